from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from coldrec.errors import CheckpointError, ColdrecError
from coldrec.ranking import MLPRanker, RankerConfig, auc
from tests.conftest import unit_rows


def planted(seed=0, users=300, items=200, d=16):
    """Users like items whose hidden 'kind' matches theirs; the kind is a direction the MLP can find,
    while plain cosine between user and item vectors carries no signal."""
    rng = np.random.default_rng(seed)
    E = unit_rows(rng, items, d)
    kinds = (E[:, 0] > 0).astype(int)
    U = unit_rows(rng, users, d)
    ukind = rng.integers(0, 2, users)
    U[:, 1] = np.where(ukind == 1, 0.9, -0.9)  # the user's kind is written in dimension 1
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    pos = [rng.choice(np.flatnonzero(kinds == ukind[u]), 6, replace=False) for u in range(users)]
    return E, U, pos, kinds, ukind


def test_learns_planted_signal_and_beats_cosine():
    E, U, pos, kinds, ukind = planted()
    train, test = np.arange(240), np.arange(240, 300)
    r = MLPRanker(RankerConfig(hidden=(32, 16), epochs=30, patience=5, seed=0)).fit(E, U[train],
                                                                                      [pos[u] for u in train])
    rng = np.random.default_rng(5)
    aucs, cos_aucs = [], []
    for u in test:
        good = np.flatnonzero(kinds == ukind[u])
        bad = np.flatnonzero(kinds != ukind[u])
        s = r.score(E, U[u])
        aucs.append(auc(s[good], s[bad]))
        c = E @ U[u]
        cos_aucs.append(auc(c[good], c[bad]))
    assert np.mean(aucs) > 0.8
    assert np.mean(aucs) > np.mean(cos_aucs) + 0.2
    del rng


def test_scores_are_probabilities_and_deterministic_with_seed():
    E, U, pos, *_ = planted(users=60)
    a = MLPRanker(RankerConfig(hidden=(16,), epochs=3, patience=9, seed=3)).fit(E, U, pos)
    b = MLPRanker(RankerConfig(hidden=(16,), epochs=3, patience=9, seed=3)).fit(E, U, pos)
    s = a.score(E, U[0])
    assert s.min() >= 0 and s.max() <= 1
    np.testing.assert_allclose(s, b.score(E, U[0]), atol=1e-6)
    assert [h["epoch"] for h in a.history] == [1, 2, 3] and "val" in a.history[0]
    c = MLPRanker(RankerConfig(hidden=(16,), epochs=3, patience=9, seed=4)).fit(E, U, pos)
    assert not np.allclose(s, c.score(E, U[0]), atol=1e-6)  # the seed matters


@pytest.mark.parametrize("features", ["concat", "rich"])
def test_save_load_gives_identical_scores(tmp_path, features):
    E, U, pos, *_ = planted(users=60)
    pop = np.arange(len(E), dtype=np.float32)
    ids = [f"i{j}" for j in range(len(E))]
    r = MLPRanker(RankerConfig(features=features, hidden=(16,), epochs=2, standardize=True)).fit(
        E, U, pos, popularity=pop, item_ids=ids)
    r.save(tmp_path / "ck")
    r2 = MLPRanker.load(tmp_path / "ck")
    # a loaded ranker scores on numpy (tests/test_numpy_path.py); its torch net reproduces the saved one exactly
    np.testing.assert_allclose(r.score(E, U[1], pop), r2.score(E, U[1], pop), rtol=0, atol=1e-6)
    assert r2._net is not None and r2._numpy_net is None
    np.testing.assert_array_equal(r.score(E, U[1], pop), r2.score(E, U[1], pop))
    assert r2.config == r.config and r2.history == r.history
    meta = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert meta["format"] == "coldrec-ranker/2"
    # what the features read is saved: scalar names and their normalisation, the popularity scale and counts
    assert meta["scalars"] == ([] if features == "concat" else ["cosine", "log_popularity"])
    assert (meta["scale"] is None) == (features == "concat") and meta["pop_scale"] == pytest.approx(np.log1p(len(E) - 1))
    np.testing.assert_array_equal(r2.popularity_for(ids[::-1] + ["new"]), np.append(pop[::-1], 0))


def test_old_format_is_refused_with_a_retrain_hint(tmp_path):
    E, U, pos, *_ = planted(users=30)
    MLPRanker(RankerConfig(hidden=(8,), epochs=1)).fit(E, U, pos).save(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["format"] = "coldrec-ranker/1"
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match=r"old format 'coldrec-ranker/1'.*retrain it with `coldrec train-ranker`"):
        MLPRanker.load(tmp_path)


def test_pickle_disguised_as_safetensors_is_refused(tmp_path):
    E, U, pos, *_ = planted(users=30)
    MLPRanker(RankerConfig(hidden=(8,), epochs=1)).fit(E, U, pos).save(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(pickle.dumps({"evil": 1}))
    with pytest.raises(CheckpointError, match="not a valid safetensors"):
        MLPRanker.load(tmp_path)


def test_tampered_config_is_refused(tmp_path):
    E, U, pos, *_ = planted(users=30)
    MLPRanker(RankerConfig(hidden=(8,), epochs=1)).fit(E, U, pos).save(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["config"]["hidden"] = [99]
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="do not match"):
        MLPRanker.load(tmp_path)
    (tmp_path / "config.json").write_text("not json")
    with pytest.raises(CheckpointError, match="not a coldrec ranker config"):
        MLPRanker.load(tmp_path)


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        MLPRanker.load(tmp_path)


def test_errors_name_values_and_choices():
    with pytest.raises(ColdrecError, match="choose one of concat, rich"):
        RankerConfig(features="deep")
    with pytest.raises(ColdrecError, match="not trained"):
        MLPRanker().score(np.zeros((1, 4)), np.zeros(4))
    E, U, pos, *_ = planted(users=20)
    with pytest.raises(ColdrecError, match="Unknown objective 'ranknet'; choose one of listwise, pointwise"):
        RankerConfig(objective="ranknet")
    r = MLPRanker(RankerConfig(hidden=(8,), epochs=1)).fit(E, U, pos)
    with pytest.raises(ColdrecError, match="trained on 16-d"):
        r.score(np.zeros((2, 8)), np.zeros(8))
    with pytest.raises(ColdrecError, match="No training user has a positive"):
        MLPRanker().fit(E, U, [[] for _ in U])


def test_app_scalars_are_cosine_and_scaled_log_popularity():
    E, U, pos, *_ = planted(users=30)
    pop = np.zeros(len(E), np.float32)
    pop[:3] = [np.e - 1, 0, np.e ** 2 - 1]  # max count e^2 - 1: pop_scale = 2
    r = MLPRanker(RankerConfig(features="rich", hidden=(8,), epochs=1)).fit(E, U, pos, popularity=pop)
    S = r.scalar_features(E[:3], np.broadcast_to(U[0], (3, E.shape[1])), pop[:3])
    np.testing.assert_allclose(S[:, 0], E[:3] @ U[0], rtol=1e-6)
    np.testing.assert_allclose(S[:, 1], [0.5, 0.0, 1.0], rtol=1e-6)


def test_a_protocol_ranker_names_its_scalars_and_cannot_be_served_without_them():
    rng = np.random.default_rng(0)
    d, M = 6, 5
    E = unit_rows(rng, 40, d)

    def make_batch(bidx, r):
        I = E[r.integers(0, 40, (len(bidx), M))]
        S = r.random((len(bidx), M, 2)).astype(np.float32)
        S[:, 0, 0] += 1.0  # the positive (column 0) has the best first scalar
        return I, unit_rows(r, len(bidx), d), S

    cfg = RankerConfig(features="rich", scalars=("kernel:0.1", "bridge"), hidden=(8, 4), epochs=2, skip_init=1.0)
    r = MLPRanker(cfg).fit_batches(make_batch, 64, lambda rk: 0.5, dim=d)
    I, Uq, S = make_batch(np.arange(3), np.random.default_rng(1))
    logits = r.score_batch(I, Uq, S)
    assert logits.shape == (3, M) and r.history[0] == {"epoch": 0, "val": 0.5}
    with pytest.raises(ColdrecError, match=r"scalar feature\(s\) 'kernel:0.1', 'bridge'.*score_batch"):
        r.score(E[:3], E[0])


def test_untrained_rich_ranker_keeps_the_recall_order():
    E, U, pos, *_ = planted(users=30)
    r = MLPRanker(RankerConfig(features="rich", hidden=(8,), epochs=1))
    r._build(E.shape[1])  # epoch 0: the residual head is zero, so the logit is skip * cosine
    s = r.score(E, U[0], np.arange(len(E), dtype=np.float32))
    np.testing.assert_array_equal(np.argsort(-s, kind="stable"), np.argsort(-(E @ U[0]), kind="stable"))


def test_auc_hand_computed():
    assert auc(np.array([3.0, 2.0]), np.array([1.0])) == 1.0
    assert auc(np.array([1.0]), np.array([1.0])) == 0.5
    assert auc(np.array([0.9, 0.8]), np.array([0.1, 0.85])) == 0.75


def test_kept_epoch_names_the_epoch_fit_restores():
    from coldrec.recommend._views import kept_epoch

    hist = [{"epoch": 0, "val": 0.60}, {"epoch": 1, "loss": 3.0, "val": 0.70}, {"epoch": 2, "loss": 2.9, "val": 0.70},
            {"epoch": 3, "loss": 2.8, "val": 0.65}]
    assert kept_epoch(hist).startswith("Kept epoch 1 of 3 trained (best validation NDCG@10 0.700")  # ties: first
    assert "untrained recall order" in kept_epoch([{"epoch": 0, "val": 0.6}, {"epoch": 1, "loss": 1, "val": 0.5}])
    assert "last epoch is kept" in kept_epoch([{"epoch": 1, "loss": 0.5}])
    assert kept_epoch([]) == ""
    E, U, pos, _, _ = planted()
    r = MLPRanker(RankerConfig(hidden=(16,), epochs=6, seed=0)).fit(E, U[:200], [pos[u] for u in range(200)])
    best = r.trained_on["best_val"]
    assert best is not None and f"best validation NDCG@10 {best:.3f}" in kept_epoch(r.history)
    restored = max(r.history, key=lambda h: h["val"])
    assert f"epoch {restored['epoch']} of" in kept_epoch(r.history)
