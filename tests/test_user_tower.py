"""UserTower (coldrec.ranking): the trained first stage, on tiny synthetic sequences with a planted signal."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coldrec.errors import CheckpointError, ColdrecError
from coldrec.ranking import UserTower, UserTowerConfig

K, PER, DIM = 6, 10, 16  # clusters, items per cluster, vector width
SMALL = dict(hidden=32, layers=1, heads=2, experts=2, max_len=8, dropout=0.0, epochs=12, patience=3,
             batch_size=32, lr=5e-3, temperature=0.1, validate_k=10, threads=1)


def _items(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(K, DIM))
    E = np.repeat(centres, PER, axis=0) + 0.3 * rng.normal(size=(K * PER, DIM))
    return (E / np.linalg.norm(E, axis=1, keepdims=True)).astype(np.float32)


def _sequences(n_users: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Planted signal: a user walks the clusters c, c+1, c+2, … (items at random inside each); the target is an
    item of the next cluster. Text similarity alone points at the *current* cluster, popularity is flat."""
    rng = np.random.default_rng(seed)
    hists, targets = [], []
    for _ in range(n_users):
        c, L = int(rng.integers(K)), int(rng.integers(2, 6))
        clusters = [(c + j) % K for j in range(L + 1)]
        seq = np.array([cl * PER + int(rng.integers(PER)) for cl in clusters])
        hists.append(seq[:-1]), targets.append(seq[-1])
    return hists, np.array(targets)


def _recall(S: np.ndarray, hists, targets, k: int = 10) -> float:
    S = S.copy()
    for r, h in enumerate(hists):
        S[r, h] = -np.inf
    rank = (S > S[np.arange(len(S)), targets][:, None]).sum(1)
    return float((rank < k).mean())


@pytest.fixture(scope="module")
def trained():
    E = _items()
    train_h, train_t = _sequences(300, seed=1)
    valid_h, valid_t = _sequences(60, seed=2)
    seqs = [np.append(h, t) for h, t in zip(train_h, train_t)]
    tower = UserTower(UserTowerConfig(**SMALL)).fit(E, seqs, valid=(valid_h, valid_t))
    return E, seqs, (valid_h, valid_t), tower


def test_learns_planted_signal_beats_random_popularity_and_cosine(trained):
    E, seqs, _, tower = trained
    test_h, test_t = _sequences(100, seed=3)
    tower_r = _recall(tower.score(E, test_h), test_h, test_t)
    rng = np.random.default_rng(0)
    random_r = _recall(rng.random((len(test_h), len(E))), test_h, test_t)
    pop = np.bincount(np.concatenate(seqs), minlength=len(E)).astype(float) + 1e-3 * rng.random(len(E))
    pop_r = _recall(np.tile(pop, (len(test_h), 1)), test_h, test_t)
    cos_r = _recall(np.stack([E @ E[h[-1]] for h in test_h]), test_h, test_t)
    assert tower_r >= 0.8, tower_r  # 10 of 60 items are right; the next cluster holds exactly 10
    assert tower_r > max(random_r, pop_r, cos_r) + 0.3, (tower_r, random_r, pop_r, cos_r)
    assert tower.best_epoch is not None and len(tower.history) >= tower.best_epoch
    assert all("valid_recall@10" in row for row in tower.history)


def test_save_load_identical_scores_and_digest(trained, tmp_path):
    E, _, (valid_h, _), tower = trained
    folder = tower.save(tmp_path / "tower")
    meta = json.loads((folder / "config.json").read_text())
    assert meta["format"] == "coldrec-user-tower/1" and len(meta["weights_sha256"]) == 64
    loaded = UserTower.load(folder)
    assert loaded.config == tower.config and loaded.dim == tower.dim
    np.testing.assert_array_equal(loaded.score(E, valid_h), tower.score(E, valid_h))
    # a changed weights file is refused before any tensor is used
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (folder / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        UserTower.load(folder)


def test_load_refuses_other_folders(tmp_path, trained):
    *_, tower = trained
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        UserTower.load(tmp_path)
    folder = tower.save(tmp_path / "t")
    meta = json.loads((folder / "config.json").read_text())
    meta["config"]["hidden"] = 64
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="do not match their config"):
        UserTower.load(folder)
    meta["format"] = "coldrec-ranker/2"
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="coldrec-user-tower/1"):
        UserTower.load(folder)


def test_seeded_determinism():
    E = _items()
    h, t = _sequences(80, seed=5)
    seqs = [np.append(a, b) for a, b in zip(h, t)]
    cfg = UserTowerConfig(**{**SMALL, "epochs": 2, "dropout": 0.1})
    a = UserTower(cfg).fit(E, seqs).score(E, h[:10])
    b = UserTower(cfg).fit(E, seqs).score(E, h[:10])
    c = UserTower(UserTowerConfig(**{**SMALL, "epochs": 2, "dropout": 0.1, "seed": 1})).fit(E, seqs).score(E, h[:10])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_description_only_user(trained):
    """No history: the description vector is the sequence's only element; with the planted walk, a description
    that reads like cluster c should point at cluster c + 1."""
    E, _, _, tower = trained
    descs = [E[c * PER:(c + 1) * PER].mean(0) for c in range(K)]
    S = tower.score(E, [[] for _ in range(K)], descriptions=descs)
    assert S.shape == (K, len(E)) and np.isfinite(S).all()
    hits = [int(np.argmax(S[c]) // PER) == (c + 1) % K for c in range(K)]
    assert sum(hits) >= K - 1, hits
    mixed = tower.score(E, [[], [3, 4]], descriptions=[descs[0], None])
    np.testing.assert_allclose(mixed[1], tower.score(E, [[3, 4]])[0], rtol=1e-5, atol=1e-6)


def test_description_in_training_predicts_first_item():
    E = _items()
    rng = np.random.default_rng(7)
    seqs, descs = [], []
    for _ in range(200):  # the description names cluster c, the first item is from cluster c + 2
        c = int(rng.integers(K))
        seqs.append(np.array([((c + 2) % K) * PER + int(rng.integers(PER))]))
        descs.append(E[c * PER:(c + 1) * PER].mean(0))
    tower = UserTower(UserTowerConfig(**{**SMALL, "epochs": 15})).fit(E, seqs, descriptions=descs)
    S = tower.score(E, [[] for _ in range(K)], descriptions=[E[c * PER:(c + 1) * PER].mean(0) for c in range(K)])
    assert sum(int(np.argmax(S[c]) // PER) == (c + 2) % K for c in range(K)) >= K - 1


def test_errors_name_bad_values(trained):
    E, seqs, _, tower = trained
    with pytest.raises(ColdrecError, match=r"item row 60 is out of range.*\[0, 59\]"):
        tower.score(E, [[1, 60]])
    with pytest.raises(ColdrecError, match="user 1 has no history and no description"):
        tower.score(E, [[1], []])
    with pytest.raises(ColdrecError, match="width 8, this tower was trained on width 16"):
        tower.score(E[:, :8], [[1]])
    with pytest.raises(ColdrecError, match="description vector has width 3"):
        tower.score(E, [[]], descriptions=[np.ones(3)])
    with pytest.raises(ColdrecError, match=r"heads=3 must divide hidden=32"):
        UserTowerConfig(hidden=32, heads=3)
    with pytest.raises(ColdrecError, match=r"UserTowerConfig.dropout must be a number in \[0.0, 0.95\], got 2"):
        UserTowerConfig(dropout=2)
    with pytest.raises(ColdrecError, match="not fitted"):
        UserTower().score(E, [[1]])
    with pytest.raises(ColdrecError, match="None of the 2 sequences has a next item"):
        UserTower(UserTowerConfig(**SMALL)).fit(E, [[1], [2]])
    with pytest.raises(ColdrecError, match="sequence 1: item row -1"):
        UserTower(UserTowerConfig(**SMALL)).fit(E, [[1, 2], [-1, 3]])


# ------------------------------------------------------------------ leakage: the scientific protocol's tower rows
def _write_scientific(folder, test_targets: np.ndarray, seqs: list[np.ndarray], n_items: int) -> None:
    """Synthetic files in RecBole's atomic format (the layout of UniSRec's Scientific set), no real data."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Scientific.item2index").write_text("".join(f"A{i}\t{i}\n" for i in range(n_items)))
    (folder / "Scientific.user2index").write_text("".join(f"U{u}\t{u}\n" for u in range(len(seqs))))
    (folder / "Scientific.text").write_text("item_id:token\ttext:token_seq\n" + "".join(
        f"A{i}\tgroup{i // PER} thing{i % PER} tool\n" for i in range(n_items)))
    head = "user_id:token\titem_id_list:token_seq\titem_id:token\n"
    train = [f"{u}\t{' '.join(map(str, s[:j]))}\t{s[j]}\n" for u, s in enumerate(seqs) for j in range(1, len(s) - 1)]
    (folder / "Scientific.train.inter").write_text(head + "".join(train))
    (folder / "Scientific.valid.inter").write_text(head + "".join(
        f"{u}\t{' '.join(map(str, s[:-1]))}\t{s[-1]}\n" for u, s in enumerate(seqs)))
    (folder / "Scientific.test.inter").write_text(head + "".join(
        f"{u}\t{' '.join(map(str, s))}\t{int(test_targets[u])}\n" for u, s in enumerate(seqs)))


def test_scientific_tower_never_sees_test_targets(tmp_path):
    """Two copies of a synthetic Scientific set that differ only in the test targets: the tower's training data
    holds no test target, and every training / selection number (epochs, validation recall, the blend weight,
    the re-ranker on top) is identical; only the test rows differ."""
    from coldrec.evaluation import load_scientific, run_protocol
    from coldrec.evaluation.protocols._scientific_tower import tower_training_data

    h, t = _sequences(40, seed=9)
    seqs = [np.append(a, b) for a, b in zip(h, t)]  # history + validation target
    n_items = K * PER + 40  # the last 40 items are only ever test targets
    runs = []
    for shift in (0, 1):
        targets = K * PER + (np.arange(40) + shift * 7) % 40
        _write_scientific(tmp_path / f"d{shift}" / "amazon-scientific", targets, seqs, n_items)
        ds = load_scientific(tmp_path / f"d{shift}")
        train_seqs, vh, vt, _ = tower_training_data(ds, np.arange(40), seed=0)
        assert not set(np.concatenate(train_seqs)) & set(targets.tolist())
        assert not set(np.concatenate(vh)) & set(targets.tolist()) and not set(vt.tolist()) & set(targets.tolist())
        runs.append(run_protocol("scientific", data=tmp_path / f"d{shift}", encoder="hash", epochs=1,
                                 max_examples=100, recall_n=10, tower_epochs=3, log=lambda m: None,
                                 methods=("zero-shot", "user-tower", "user-tower+mlp")))
    a, b = (r["user_tower"] for r in runs)
    strip = lambda rows: [{k: v for k, v in row.items() if k != "seconds"} for row in rows]  # noqa: E731
    assert strip(a["epochs"]) == strip(b["epochs"]) and a["beta"] == b["beta"]
    assert a["beta_validation"] == b["beta_validation"]
    assert strip(a["ranker"]["epochs"]) == strip(b["ranker"]["epochs"])
