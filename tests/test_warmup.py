"""The warm-up study: leak-free splits, EASE, validation-only choices, determinism, the 0-shot point."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coldrec.errors import ColdrecError
from coldrec.evaluation.protocols._warmup import (TextSide, WarmupConfig, WarmupData, blend, split_user,
                                                  split_users, text_scores)
from coldrec.evaluation.protocols._warmup_study import (_choose_on_validation, crossover, hybrid_targets,
                                                        warmup_study)
from coldrec.retrieval import EASE, EASEConfig, ItemKNN, interaction_matrix


def _toy(seed: int = 0, n_users: int = 120, n_items: int = 40) -> WarmupData:
    """4 topics of 10 items; each user likes one topic (and its popular head more); text knows the topics."""
    rng = np.random.default_rng(seed)
    topic = np.arange(n_items) // 10
    seqs = []
    for _ in range(n_users):
        t = rng.integers(4)
        pool = np.flatnonzero(topic == t)
        p = np.linspace(2, 1, len(pool))
        seqs.append(rng.choice(pool, size=rng.integers(3, 10), replace=False, p=p / p.sum()))
    onehot = np.eye(4, dtype=np.float32)[topic] + 0.3 * rng.standard_normal((n_items, 4)).astype(np.float32)
    onehot /= np.linalg.norm(onehot, axis=1, keepdims=True)
    return WarmupData("toy", n_items, seqs, "rest", {"lm": TextSide(onehot @ onehot.T), "tfidf":
                                                     TextSide(np.eye(n_items, dtype=np.float32))})


FAST = WarmupConfig(points=(0, 1, 2, 3), folds=3, l2_grid=(1.0, 10.0), weights=(0.0, 0.5, 1.0), min_val_users=5)


@pytest.mark.parametrize("mode", ["rest", "last"])
def test_splits_never_leak_targets_into_the_known_part(mode):
    rng = np.random.default_rng(1)
    for _ in range(300):
        seq = rng.integers(0, 30, size=rng.integers(1, 25))
        for s in (0, 1, 2, 3, 5, 10, 20):
            sp = split_user(seq, s, mode)
            if sp is None:  # too few interactions, or every would-be target is already known
                known = seq[:s] if mode == "rest" else seq[:-1][max(0, len(seq) - 1 - s):]
                rest = seq[s:] if mode == "rest" else seq[-1:]
                assert (len(seq) <= s if mode == "rest" else len(seq) - 1 < s) or set(rest) <= set(known)
                continue
            known, targets = sp
            assert len(known) == s and not (set(known.tolist()) & targets) and targets
            if mode == "rest":
                assert np.array_equal(known, seq[:s]) and targets <= set(seq[s:].tolist())
            else:
                assert targets == {int(seq[-1])} and np.array_equal(known, seq[:-1][len(seq) - 1 - s:])


def test_split_mode_error_names_choices():
    with pytest.raises(ColdrecError, match="rest, last"):
        split_user(np.arange(5), 1, "random")


def test_ease_is_the_closed_form_and_falls_back_to_popularity():
    X = interaction_matrix([[0, 1], [0, 1], [2], [2, 3], [0, 1, 3]], 4)
    m = EASE(EASEConfig(l2=0.5)).fit(X)
    G = (X.T @ X).toarray().astype(np.float64) + 0.5 * np.eye(4)
    P = np.linalg.inv(G)
    B = np.eye(4) - P / np.diag(P)[None, :]
    np.testing.assert_allclose(m.B, B, atol=1e-5)
    assert np.allclose(np.diag(m.B), 0)
    assert m.score([[0]])[0].argmax() == 1  # 0 and 1 always together
    assert m.score([[]])[0].argmax() == 0 or m.score([[]])[0].argmax() == 1  # popularity: 0 and 1 have 3
    assert ItemKNN().fit(X).score([[2]])[0].argmax() == 3
    with pytest.raises(ColdrecError, match="l2"):
        EASE(EASEConfig(l2=0)).fit(X)


def test_ease_cholesky_inverse_equals_lu_and_falls_back_when_not_spd():
    from coldrec.retrieval._cf import _spd_inverse

    rng = np.random.default_rng(3)
    X = interaction_matrix([rng.choice(60, rng.integers(1, 9), replace=False) for _ in range(200)], 60)
    G = (X.T @ X).toarray().astype(np.float64) + 7.0 * np.eye(60)
    np.testing.assert_allclose(_spd_inverse(G.copy()), np.linalg.inv(G), rtol=1e-10, atol=1e-14)
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])  # symmetric, eigenvalues 3 and -1: Cholesky fails
    np.testing.assert_allclose(_spd_inverse(indefinite.copy()), np.linalg.inv(indefinite))


def test_fast_validation_ndcg_equals_the_metric_accumulator():
    from coldrec.evaluation._common import _Evaluator
    from coldrec.evaluation.protocols._warmup import ValidationSet

    rng = np.random.default_rng(4)
    scores = rng.random((30, 50))
    known = [rng.choice(50, 3, replace=False) for _ in range(30)]
    targets = [set(rng.choice(50, rng.integers(1, 15), replace=False).tolist()) - set(k.tolist()) or {49}
               for k in known]
    ev = _Evaluator((10,), np.arange(50), rng)
    ev.add(scores, targets, known)
    assert ValidationSet(50, targets, known).ndcg(scores) == pytest.approx(ev.result()["ndcg@10"], abs=1e-6)


def test_blend_endpoints_are_the_single_methods():
    rng = np.random.default_rng(0)
    t, c = rng.random((3, 8)), rng.random((3, 8))
    assert np.array_equal(np.argsort(blend(t, c, 1.0), 1), np.argsort(t, 1))
    assert np.array_equal(np.argsort(blend(t, c, 0.0), 1), np.argsort(c, 1))
    assert np.array_equal(np.argsort(blend(None, c, 0.7), 1), np.argsort(c, 1))


def test_text_scores_use_user_text_only_without_known_items():
    S = np.eye(3, dtype=np.float32)
    U0 = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], np.float32)
    side = TextSide(S, U0)
    out = text_scores(side, np.array([0, 1]), [np.zeros(0, np.int64), np.array([1])], ("mean", None, 1.0))
    assert out[0].argmax() == 2 and out[1].argmax() == 1
    assert text_scores(TextSide(S), np.array([0]), [np.zeros(0, np.int64)], ("mean", None, 1.0)) is None


def test_study_is_seeded_and_deterministic():
    a = warmup_study(_toy(), FAST)
    b = warmup_study(_toy(), FAST)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    c = warmup_study(_toy(), WarmupConfig(**{**FAST.__dict__, "seed": 1}))
    assert json.dumps(a["curves"], sort_keys=True) != json.dumps(c["curves"], sort_keys=True)
    assert a["points"] == [0, 1, 2, 3] and a["n_users"]["0"] == 120
    assert set(a["curves"]) >= {"popularity", "ease", "itemknn", "text-lm", "hybrid-lm", "hybrid-tfidf"}
    assert a["lm_gain"]["vs tfidf"]["ndcg@10"][0] is not None


def test_hybrid_weight_is_chosen_on_validation_users_only():
    data = _toy()
    users = np.arange(len(data.seqs))
    rng = np.random.default_rng(3)
    fit, val, test = users[:80], users[80:100], users[100:]
    before = _choose_on_validation(data, FAST, [(fit, val)])
    # scramble everything the test users did: the choices must not move
    for u in test:
        data.seqs[u] = rng.choice(data.n_items, size=len(data.seqs[u]), replace=False)
    assert _choose_on_validation(data, FAST, [(fit, val)]) == before
    # while changing the validation users' histories moves them
    for u in val:
        data.seqs[u] = rng.choice(data.n_items, size=len(data.seqs[u]), replace=False)
    assert _choose_on_validation(data, FAST, [(fit, val)]) != before


@pytest.mark.parametrize("val_folds", [1, 3])
def test_validation_users_are_training_users_held_out_of_the_cf_fit(val_folds):
    from coldrec.evaluation.protocols._warmup_study import validation_splits

    train = np.arange(10, 70)
    cfg = WarmupConfig(val_folds=val_folds)
    splits = validation_splits(train, cfg, 0)
    assert len(splits) == val_folds
    for fit, val in splits:
        assert not set(fit) & set(val) and set(fit) | set(val) == set(train)
    if val_folds > 1:  # every training user validates exactly once
        assert sorted(np.concatenate([v for _, v in splits]).tolist()) == train.tolist()
    r = warmup_study(_toy(), WarmupConfig(**{**FAST.__dict__, "val_folds": val_folds}))
    assert r["choices"][0]["n_val_users"]["0"] == (120 - 40) * (1 if val_folds > 1 else 0.15)


def test_hybrid_helps_where_text_and_cf_both_know_something():
    r = warmup_study(_toy(n_users=240), FAST)
    t = r["targets"]
    assert t["within_tolerance_everywhere"] or min(t["margin_over_best_single"]) > -0.05
    assert r["curves"]["text-lm"]["ndcg@10"][1] > r["curves"]["text-tfidf"]["ndcg@10"][1]


def test_crossover_and_targets():
    assert crossover([0, 1, 2, 3], [None, .3, .3, .3], [.1, .2, .3, .4]) == 2
    assert crossover([1, 2], [.5, .5], [.1, .2]) is None
    t = hybrid_targets({"hybrid-lm": {"ndcg@10": [.307, .41]}, "text-lm": {"ndcg@10": [.31, .40]},
                        "ease": {"ndcg@10": [.20, .39]}})
    assert t["within_tolerance_everywhere"] and t["strictly_better_somewhere"]
    assert t["margin_over_best_single"] == pytest.approx([-0.003, 0.01])
    t = hybrid_targets({"hybrid-lm": {"ndcg@10": [.29]}, "text-lm": {"ndcg@10": [.30]}, "ease": {"ndcg@10": [.2]}})
    assert not t["within_tolerance_everywhere"] and not t["strictly_better_somewhere"]


def test_users_with_too_few_interactions_are_left_out_and_counted():
    data = _toy()
    r = warmup_study(data, WarmupConfig(**{**FAST.__dict__, "points": (0, 5, 9)}))
    want = {s: sum(len(q) > s for q in data.seqs) for s in (0, 5, 9)}
    assert {int(k): v for k, v in r["n_users"].items()} == {s: v for s, v in want.items() if v}


@pytest.mark.realdata
def test_zero_shot_point_equals_the_cold_user_protocol(shared_datasets, tmp_path):
    from coldrec.evaluation import run_protocol

    cold = run_protocol("ml100k-cold-users", data=shared_datasets, max_users=80, encoder="hash",
                        methods="zero-shot,popularity", epochs=1, log=lambda m: None)
    warm = run_protocol("warmup", data=shared_datasets, max_users=80, encoder="hash", dataset="ml100k", folds=2,
                        out=tmp_path, log=lambda m: None)
    assert warm["n_users"]["0"] == cold["n_users"]["0-shot"]
    for k in ("recall@10", "ndcg@10"):
        assert warm["curves"]["text-lm"][k][0] == pytest.approx(cold["methods"]["zero-shot"][k], abs=1e-6)
    assert (tmp_path / "warmup-ml100k.json").is_file() and "crossover" in (tmp_path / "warmup-ml100k.md").read_text()
    us, known, _ = split_users([np.arange(5)], np.array([0]), 3, "rest")
    assert list(known[0]) == [0, 1, 2]


@pytest.mark.parametrize("agg", [("mean", None, 1.0), ("soft-0.1", 0.1, 1.0), ("recency-soft-0.05", 0.05, 0.5)])
def test_text_scores_equal_history_scores_of_the_gathered_rows(agg):
    """The sparse-weights path (one kernel per τ) gives history_scores' numbers, repeats and recency included."""
    from coldrec.evaluation._common import history_scores, recency_weights
    from coldrec.evaluation.protocols._warmup import TextSide, text_scores

    rng = np.random.default_rng(7)
    E = rng.standard_normal((40, 8)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    side = TextSide(E @ E.T, rng.random((6, 40)).astype(np.float32))
    known = [np.array([3, 3, 9]), np.array([], dtype=np.int64), np.array([0]), rng.choice(40, 12), np.array([5, 1]),
             np.array([39, 0, 7, 7, 7])]
    got = text_scores(side, np.arange(6), known, agg, desc_weight=0.5)
    _, tau, gamma = agg
    for u, k in enumerate(known):
        if not len(k):
            np.testing.assert_allclose(got[u], side.U0[u])  # no history: the user's own text
            continue
        w = recency_weights([len(k)], gamma) if gamma < 1 else None
        want = history_scores(side.S[k], [len(k)], w, tau)[0] + 0.5 * side.U0[u]
        np.testing.assert_allclose(got[u], want, atol=2e-6)
