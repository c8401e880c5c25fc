from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from coldrec.errors import CheckpointError, ColdrecError
from coldrec.ranking import MLPRanker, RankerConfig, auc, build_features
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
    r = MLPRanker(RankerConfig(hidden=(32,), epochs=30, seed=0)).fit(E, U[train], [pos[u] for u in train])
    rng = np.random.default_rng(5)
    aucs, cos_aucs = [], []
    for u in test:
        good = np.flatnonzero(kinds == ukind[u])
        bad = np.flatnonzero(kinds != ukind[u])
        s = r.score(E, U[u])
        aucs.append(auc(s[good], s[bad]))
        c = E @ U[u]
        cos_aucs.append(auc(c[good], c[bad]))
    assert np.mean(aucs) > 0.9
    assert np.mean(aucs) > np.mean(cos_aucs) + 0.2
    del rng


def test_scores_are_probabilities_and_deterministic_with_seed():
    E, U, pos, *_ = planted(users=60)
    a = MLPRanker(RankerConfig(hidden=(16,), epochs=3, seed=3)).fit(E, U, pos)
    b = MLPRanker(RankerConfig(hidden=(16,), epochs=3, seed=3)).fit(E, U, pos)
    s = a.score(E, U[0])
    assert s.min() >= 0 and s.max() <= 1
    np.testing.assert_allclose(s, b.score(E, U[0]), atol=1e-6)
    assert [h["epoch"] for h in a.history] == [1, 2, 3] and "val_auc" in a.history[0]


@pytest.mark.parametrize("features", ["concat", "rich"])
def test_save_load_gives_identical_scores(tmp_path, features):
    E, U, pos, *_ = planted(users=60)
    pop = np.arange(len(E), dtype=np.float32)
    r = MLPRanker(RankerConfig(features=features, hidden=(16,), epochs=2)).fit(E, U, pos, popularity=pop)
    r.save(tmp_path / "ck")
    r2 = MLPRanker.load(tmp_path / "ck")
    np.testing.assert_array_equal(r.score(E, U[1], pop), r2.score(E, U[1], pop))
    assert r2.config.features == features and r2.history == r.history
    assert json.loads((tmp_path / "ck" / "config.json").read_text())["format"] == "coldrec-ranker/1"


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
    r = MLPRanker(RankerConfig(hidden=(8,), epochs=1)).fit(E, U, pos)
    with pytest.raises(ColdrecError, match="trained on 16-d"):
        r.score(np.zeros((2, 8)), np.zeros(8))
    with pytest.raises(ColdrecError, match="No training user has a positive"):
        MLPRanker().fit(E, U, [[] for _ in U])


def test_rich_features_layout():
    i = np.array([[1.0, 0.0]], dtype=np.float32)
    u = np.array([[0.6, 0.8]], dtype=np.float32)
    f = build_features(i, u, "rich", np.array([0.5]))
    assert f.shape == (1, 10)
    np.testing.assert_allclose(f[0, 4:6], [0.6, 0.0])        # product
    np.testing.assert_allclose(f[0, 6:8], [0.4, 0.8])        # |difference|
    np.testing.assert_allclose(f[0, 8:], [0.6, 0.5])         # cosine, popularity


def test_auc_hand_computed():
    assert auc(np.array([3.0, 2.0]), np.array([1.0])) == 1.0
    assert auc(np.array([1.0]), np.array([1.0])) == 0.5
    assert auc(np.array([0.9, 0.8]), np.array([0.1, 0.85])) == 0.75


def test_kept_epoch_names_the_epoch_fit_restores():
    from coldrec.recommend._views import kept_epoch

    hist = [{"epoch": 1, "val_auc": 0.60}, {"epoch": 2, "val_auc": 0.70}, {"epoch": 3, "val_auc": 0.70005},
            {"epoch": 4, "val_auc": 0.65}]
    assert kept_epoch(hist).startswith("Kept epoch 2 of 4 (best validation AUC 0.700")  # 3 is within 1e-4
    assert "last epoch is kept" in kept_epoch([{"epoch": 1, "loss": 0.5}])
    assert kept_epoch([]) == ""
    E, U, pos, _, _ = planted()
    r = MLPRanker(RankerConfig(hidden=(16,), epochs=6, seed=0)).fit(E, U[:200], [pos[u] for u in range(200)])
    best = r.trained_on["best_val_auc"]
    assert best is not None and f"best validation AUC {best:.3f}" in kept_epoch(r.history)
