"""IVF nprobe calibration: the chosen nprobe reaches the target where nprobe 1 fails, is the smallest on the grid
that does, survives save→load, yields to a hand-set nprobe and is the same for the same seed."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("faiss")

from coldrec.errors import ColdrecError  # noqa: E402
from coldrec.retrieval._index import DEFAULT_NPROBE, ANNIndex, IndexConfig  # noqa: E402
from coldrec.retrieval._ivf_calibration import (  # noqa: E402
    META_FORMAT,
    nprobe_grid,
    recall_vs_exact,
    sample_queries,
)

TARGET = 0.95


def _clustered(n: int, d: int = 32, clusters: int = 40, spread: float = 0.6, seed: int = 0) -> np.ndarray:
    # broad clusters: a query's top 100 spans several of the 307 IVF lists, so one probed list is not enough
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((clusters, d)).astype(np.float32)
    x = c[rng.integers(0, clusters, n)] + spread * rng.standard_normal((n, d)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    return _clustered(12_000, seed=3)


@pytest.fixture(scope="module")
def built(X) -> ANNIndex:
    return ANNIndex.build(X, IndexConfig(target_recall=TARGET, threads=1), cache=False)


def _recall_at(idx: ANNIndex, X: np.ndarray, nprobe: int, seed: int = 99) -> float:
    """Recall@100 at ``nprobe`` on queries the calibration did not see (another seed)."""
    from coldrec.retrieval._exact import exact_top_k

    Q = sample_queries(X, 200, seed)
    truth, _ = exact_top_k(X, Q, 100)
    before = idx._index.nprobe
    idx._index.nprobe = nprobe
    try:
        found = idx.search(Q, 100)[0]
    finally:
        idx._index.nprobe = before
    return recall_vs_exact(found, truth)


def test_calibrated_recall_reaches_the_target_where_nprobe_1_fails(built, X):
    cal = built.calibration
    assert cal is not None and cal.nprobe == built.nprobe == built._index.nprobe
    assert cal.recall >= TARGET and cal.k == 100 and cal.queries == 200
    assert _recall_at(built, X, 1) < 0.6  # the data needs calibration: one list misses most of the top 100
    assert _recall_at(built, X, built.nprobe) >= TARGET - 0.03  # and the choice holds on unseen queries
    assert built.recall_note == f"IVF nprobe {cal.nprobe}: recall@100 {cal.recall:.2f} vs exact on 200 sampled queries"


def test_chosen_nprobe_is_the_smallest_on_the_grid_that_reaches_the_target(built, X):
    p = built.nprobe
    assert 1 < p < built._index.nlist and p in nprobe_grid(built._index.nlist)
    assert built.calibration.curve[p // 2] < TARGET <= built.calibration.curve[p]
    assert sorted(built.calibration.curve) == [q for q in nprobe_grid(built._index.nlist) if q <= p]
    half = ANNIndex.build(X, IndexConfig(nprobe=p // 2, threads=1), cache=False)
    assert half.measure_recall(X) < TARGET  # re-measured from scratch, not read from the curve
    assert half.measured_recall == pytest.approx(built.calibration.curve[p // 2])


def test_save_load_keeps_nprobe_and_recall(built, X, tmp_path):
    path = built.save(tmp_path / "ivf.faiss")
    record = json.loads((tmp_path / "ivf.json").read_text())  # JSON beside the FAISS file, never pickle
    assert record["format"] == META_FORMAT and record["calibration"]["nprobe"] == built.nprobe
    for config in (None, IndexConfig(target_recall=TARGET)):
        back = ANNIndex.load(path, config)
        assert back.nprobe == built.nprobe and back._index.nprobe == built.nprobe
        assert back.calibration == built.calibration and back.recall_note == built.recall_note
    hand = ANNIndex.load(path, IndexConfig(nprobe=3))
    assert hand.nprobe == 3 and hand.recall_note == "IVF nprobe 3 (set by hand): recall not measured"


def test_disk_cache_keeps_the_calibration_and_recalibrates_for_another_target(X, tmp_path, monkeypatch):
    import coldrec.retrieval._index as index_mod

    a = ANNIndex.build(X, IndexConfig(threads=1), cache_dir=tmp_path)
    calls = []
    real = index_mod.calibrate_nprobe
    monkeypatch.setattr(index_mod, "calibrate_nprobe", lambda *a, **k: calls.append(k) or real(*a, **k))
    b = ANNIndex.build(X, IndexConfig(threads=1), cache_dir=tmp_path)
    assert b.loaded_from_cache and not calls and b.calibration == a.calibration
    c = ANNIndex.build(X, IndexConfig(target_recall=0.5, threads=1), cache_dir=tmp_path)
    assert c.loaded_from_cache and len(calls) == 1 and c.calibration.target == 0.5
    assert c.nprobe <= a.nprobe and c.calibration.recall >= 0.5


def test_an_explicit_nprobe_skips_calibration(X, built, monkeypatch):
    import coldrec.retrieval._index as index_mod

    def boom(*a, **k):
        raise AssertionError("calibration ran although the user set nprobe")

    monkeypatch.setattr(index_mod, "calibrate_nprobe", boom)
    idx = ANNIndex.build(X, IndexConfig(nprobe=4, threads=1), cache=False)
    assert idx.calibration is None and idx.nprobe == 4 and idx._index.nprobe == 4
    assert idx.recall_note == "IVF nprobe 4 (set by hand): recall not measured"
    off = ANNIndex.build(X, IndexConfig(target_recall=None, threads=1), cache=False)
    assert off.calibration is None and off.nprobe == DEFAULT_NPROBE
    assert off.recall_note == f"IVF nprobe {DEFAULT_NPROBE} (default): recall not measured"
    # set_search on a calibrated index: the user's nprobe wins and the old measurement no longer applies
    cfg_before = built.config.nprobe
    try:
        built.set_search(nprobe=2)
        assert built.nprobe == 2 and built._index.nprobe == 2 and "recall not measured" in built.recall_note
        r = built.measure_recall(X)
        assert built.recall_note == f"IVF nprobe 2 (set by hand): recall@100 {r:.2f} vs exact on 200 sampled queries"
    finally:
        built.config.nprobe, built.measured_recall = cfg_before, None
        built._apply_search_params()
    assert built.nprobe == built.calibration.nprobe


def test_calibration_is_seeded(X, built):
    again = ANNIndex.build(X, IndexConfig(target_recall=TARGET, threads=1), cache=False)
    assert again.nprobe == built.nprobe and again.calibration.curve == built.calibration.curve
    assert np.array_equal(sample_queries(X, 50, 7), sample_queries(X, 50, 7))
    assert not np.array_equal(sample_queries(X, 50, 7), sample_queries(X, 50, 8))
    Q = sample_queries(X, 50, 7)
    np.testing.assert_allclose(np.linalg.norm(Q, axis=1), 1.0, rtol=1e-5)
    assert not (Q[:, None, :] == X[None, :200, :]).all(axis=2).any()  # queries are not catalog rows verbatim


def test_bad_settings_name_the_value_and_the_valid_range(built):
    with pytest.raises(ColdrecError, match=r"target_recall must be in \(0, 1\].*1\.5"):
        IndexConfig(target_recall=1.5)
    with pytest.raises(ColdrecError, match="nprobe must be at least 1, got 0"):
        IndexConfig(nprobe=0)
    with pytest.raises(ColdrecError, match="unknown index kind 'lsh'; choose one of"):
        IndexConfig(kind="lsh")
    hnsw = ANNIndex.build(np.eye(8, dtype=np.float32), IndexConfig(kind="hnsw"), cache=False)
    assert hnsw.calibration is None and hnsw.recall_note == "HNSW ef_search 160: recall not measured"
    assert nprobe_grid(1) == [1] and nprobe_grid(6) == [1, 2, 4, 6] and nprobe_grid(8) == [1, 2, 4, 8]


def test_cli_recommend_prints_what_the_calibration_measured(tmp_path, monkeypatch, capsys):
    import pandas as pd

    import coldrec.retrieval._index as index_mod
    from coldrec.cli import main

    monkeypatch.setattr(index_mod, "EXACT_THRESHOLD", 100)  # a 400-item catalog takes the ANN path
    monkeypatch.setattr(index_mod, "_MEMO", {})
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    words = ["audio", "garden", "kitchen", "travel", "sport", "office", "toys", "books"]
    rows = [(f"i{i}", f"{words[i % 8]} item {i}", f"a {words[i % 8]} {words[(i * 3) % 8]} thing number {i % 17}",
             words[i % 8]) for i in range(400)]
    path = tmp_path / "items.csv"
    pd.DataFrame(rows, columns=["item_id", "title", "description", "category"]).to_csv(path, index=False)
    assert main(["recommend", "--catalog", str(path), "--describe", "audio thing", "-k", "3", "--model", "hash"]) == 0
    err = capsys.readouterr().err
    assert "recall ivf (IVF nprobe " in err and "vs exact on 200 sampled queries)" in err, err


def test_no_target_means_the_configured_nprobe_on_a_cached_index_too(X, tmp_path):
    ANNIndex.build(X, IndexConfig(threads=1), cache_dir=tmp_path)  # cached with its calibration
    off = ANNIndex.build(X, IndexConfig(target_recall=None, threads=1), cache_dir=tmp_path)
    assert off.loaded_from_cache and off.nprobe == DEFAULT_NPROBE and off._index.nprobe == DEFAULT_NPROBE
    assert off.recall_note == f"IVF nprobe {DEFAULT_NPROBE} (default): recall not measured"
    with pytest.raises(ColdrecError, match="nprobe must be at least 1, got 0"):
        off.set_search(nprobe=0)
    assert off.nprobe == DEFAULT_NPROBE
