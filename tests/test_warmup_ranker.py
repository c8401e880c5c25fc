"""The trained coldrec ranker (the app's MLPRanker) as a warm-up method: fit users only, chosen on validation."""

from __future__ import annotations

import json

import numpy as np

from coldrec.evaluation.protocols import _warmup_ranker as wr
from coldrec.evaluation.protocols._warmup import WarmupConfig
from coldrec.evaluation.protocols._warmup_study import _choose_on_validation, warmup_study
from coldrec.retrieval import interaction_matrix
from tests.test_warmup import _toy

FAST = WarmupConfig(points=(0, 1, 2, 3), folds=3, l2_grid=(10.0,), weights=(0.0, 0.5, 1.0), min_val_users=5,
                    ranker_epochs=2)


def _with_vectors(text: bool):
    data = _toy()
    rng = np.random.default_rng(5)
    topic = np.arange(data.n_items) // 10
    E = np.eye(8, dtype=np.float32)[topic] + 0.2 * rng.standard_normal((data.n_items, 8)).astype(np.float32)
    data.item_vectors = E / np.linalg.norm(E, axis=1, keepdims=True)
    if text:  # each user's own text points at the topic of their first item
        D = np.eye(8, dtype=np.float32)[[topic[s[0]] for s in data.seqs]]
        data.user_vectors = D
    return data


def test_profile_is_the_apps_mean_of_liked_plus_description():
    E = np.eye(3, dtype=np.float32)
    D = np.array([[0.0, 0.0, 2.0]], np.float32)
    v = wr.profile_vectors(E, D, np.array([0]), [np.array([0, 1])])
    want = np.array([0.5 ** 0.5, 0.5 ** 0.5, 0.0]) + np.array([0, 0, 1.0])
    assert np.allclose(v[0], want / np.linalg.norm(want), atol=1e-6)
    assert np.allclose(wr.profile_vectors(E, None, np.array([0]), [np.zeros(0, np.int64)]), 0)


def test_ranker_row_at_every_point_with_text_and_only_warm_points_without():
    with_text = warmup_study(_with_vectors(True), FAST)
    assert with_text["curves"]["ranker"]["ndcg@10"][0] is not None
    assert all(v is not None for v in with_text["curves"]["ranker"]["ndcg@10"])
    no_text = warmup_study(_with_vectors(False), FAST)
    assert no_text["curves"]["ranker"]["ndcg@10"][0] is None and no_text["curves"]["ranker"]["ndcg@10"][1] > 0.1
    assert {c["ranker"]["features"] for c in no_text["choices"]} <= {"concat", "rich"}
    again = warmup_study(_with_vectors(False), FAST)
    assert json.dumps(again["curves"]["ranker"]) == json.dumps(no_text["curves"]["ranker"])


def test_ranker_is_trained_on_fit_users_only_and_chosen_on_validation(monkeypatch):
    seen = []
    real = wr.fit_ranker

    def spy(data, fit_users, *a, **k):
        seen.append(set(np.asarray(fit_users).tolist()))
        return real(data, fit_users, *a, **k)

    monkeypatch.setattr(wr, "fit_ranker", spy)
    data = _with_vectors(False)
    users = np.arange(len(data.seqs))
    fit, val, test = users[:80], users[80:100], users[100:]
    before = _choose_on_validation(data, FAST, [(fit, val)])["ranker"]
    assert seen and all(s == set(fit.tolist()) for s in seen) and len(seen) == len(FAST.ranker_features)
    rng = np.random.default_rng(3)
    for u in test:  # the test users' histories never reach the ranker or its choice
        data.seqs[u] = rng.choice(data.n_items, size=len(data.seqs[u]), replace=False)
    after = _choose_on_validation(data, FAST, [(fit, val)])["ranker"]
    assert (after["features"], after["val_ndcg@10"]) == (before["features"], before["val_ndcg@10"])


def test_ranker_scores_rank_recall_candidates_first_and_exclude_known():
    data = _with_vectors(False)
    fit = np.arange(80)
    X = interaction_matrix([data.seqs[u] for u in fit], data.n_items)
    pop = np.asarray(X.sum(0)).ravel().astype(np.float32)
    rk = wr.fit_ranker(data, fit, pop, "rich", (1, 2), 0, 2)
    known = [np.array(data.seqs[u][:2]) for u in (100, 101)]
    sc = wr.ranker_scores(rk, data, np.array([100, 101]), known, pop)
    assert sc.shape == (2, data.n_items)
    for r, k in enumerate(known):
        assert np.isneginf(sc[r, k]).all()
        top = np.argsort(-sc[r])[:10]
        assert not set(top.tolist()) & set(k.tolist())
