"""ANN index: same top-k as exact on small clustered data, save→load round trip, filters, threshold switch."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("faiss")

from coldrec.errors import ColdrecError  # noqa: E402
from coldrec.retrieval._index import (  # noqa: E402
    EXACT_THRESHOLD,
    ANNIndex,
    IndexConfig,
    content_hash,
    exact_top_k,
    index_for,
    recall_method,
)


def _clustered(n: int, d: int = 32, clusters: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((clusters, d)).astype(np.float32)
    x = c[rng.integers(0, clusters, n)] + 0.3 * rng.standard_normal((n, d)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    X = _clustered(3000, seed=1)
    Q = _clustered(20, seed=2)
    return X, Q


def _brute(X, q, k):
    s = X @ q
    return np.argsort(-s, kind="stable")[:k]


def test_exact_top_k_matches_brute_force(data):
    X, Q = data
    for q in Q[:5]:
        rows, scores = exact_top_k(X, q, 10)
        assert rows.tolist() == _brute(X, q, 10).tolist()
        assert np.all(np.diff(scores) <= 1e-7)
    rows_b, scores_b = exact_top_k(X, Q, 10)
    assert rows_b.shape == (len(Q), 10)
    assert rows_b[0].tolist() == _brute(X, Q[0], 10).tolist()


@pytest.mark.parametrize("kind,params", [("hnsw", {"ef_search": 256}), ("ivf", {"nprobe": 64})])
def test_ann_top_k_equals_exact_at_high_recall(data, kind, params):
    X, Q = data
    idx = ANNIndex.build(X, IndexConfig(kind=kind, **params), cache=False)
    hits = 0
    for q in Q:
        rows, scores = idx.search(q, 10)
        exact = _brute(X, q, 10)
        hits += len(set(rows.tolist()) & set(exact.tolist()))
        np.testing.assert_allclose(scores, X[rows] @ q, rtol=1e-4, atol=1e-5)
    assert hits / (10 * len(Q)) >= 0.98
    # a point of the catalog finds itself first
    rows, _ = idx.search(X[17], 1)
    assert rows[0] == 17


def test_save_load_same_results(data, tmp_path):
    X, Q = data
    idx = ANNIndex.build(X, IndexConfig(kind="ivf", nprobe=8), cache=False)
    path = idx.save(tmp_path / "a.faiss")
    back = ANNIndex.load(path, IndexConfig(kind="ivf", nprobe=8))
    r1, s1 = idx.search(Q, 10)
    r2, s2 = back.search(Q, 10)
    assert np.array_equal(r1, r2)
    np.testing.assert_allclose(s1, s2)
    assert back.loaded_from_cache and back.n == len(X)


def test_disk_cache_keyed_by_content(data, tmp_path):
    X, Q = data
    a = ANNIndex.build(X, IndexConfig(kind="hnsw"), cache_dir=tmp_path)
    assert not a.loaded_from_cache and a.path is not None and a.path.exists()
    b = ANNIndex.build(X, IndexConfig(kind="hnsw"), cache_dir=tmp_path)
    assert b.loaded_from_cache
    assert np.array_equal(a.search(Q, 5)[0], b.search(Q, 5)[0])
    X2 = X.copy()
    X2[0] = X[1]
    assert content_hash(X2) != content_hash(X)
    c = ANNIndex.build(X2, IndexConfig(kind="hnsw"), cache_dir=tmp_path)
    assert not c.loaded_from_cache


def test_search_filtered_respects_allowed_and_exclude(data):
    X, Q = data
    idx = ANNIndex.build(X, IndexConfig(kind="hnsw", ef_search=256), cache=False)
    q = Q[0]
    top = _brute(X, q, 5)
    rows, _ = idx.search_filtered(q, 5, exclude=top[:2], vectors=X)
    assert not set(top[:2].tolist()) & set(rows.tolist())
    allowed = np.zeros(len(X), dtype=bool)
    allowed[::50] = True  # 2 %: narrow filter
    rows, scores = idx.search_filtered(q, 5, allowed=allowed, vectors=X)
    assert allowed[rows].all()
    cand = np.flatnonzero(allowed)
    assert rows.tolist() == cand[_brute(X[cand], q, 5)].tolist()


def test_threshold_switch(data):
    X, _ = data
    assert recall_method(10) == "exact"
    assert recall_method(EXACT_THRESHOLD) in ("ivf", "hnsw")
    assert index_for(X) is None  # 3,000 rows: exact
    idx = index_for(X, threshold=1000, cache=False)
    assert isinstance(idx, ANNIndex)
    assert index_for(X, threshold=1000, cache=False) is idx  # memoised per array


def test_bad_input():
    with pytest.raises(ColdrecError):
        ANNIndex.build(np.zeros((0, 4), dtype=np.float32), cache=False)
    with pytest.raises(ColdrecError):
        ANNIndex.build(np.eye(4, dtype=np.float32), IndexConfig(kind="lsh"), cache=False)
    idx = ANNIndex.build(np.eye(4, dtype=np.float32), IndexConfig(kind="hnsw"), cache=False)
    with pytest.raises(ColdrecError):
        idx.search(np.ones(3, dtype=np.float32), 2)
    rows, _ = idx.search(np.eye(4, dtype=np.float32)[2], 10)  # k > n is clipped
    assert rows[0] == 2 and len(rows) <= 4


def test_recall_top_n_switches_to_index_above_threshold(data, monkeypatch):
    import coldrec.retrieval._index as index_mod
    from coldrec.retrieval import recall_method, top_n

    X, Q = data
    exact_rows = [top_n(X, q, 10)[0] for q in Q]
    assert recall_method(len(X)) == "exact"
    monkeypatch.setattr(index_mod, "EXACT_THRESHOLD", 1000)
    monkeypatch.setattr(index_mod, "_MEMO", {})
    assert recall_method(len(X)) == "ivf"
    assert recall_method(len(X), pop_weight=0.5) == "exact"
    hits = 0
    for q, ex in zip(Q, exact_rows):
        rows, scores = top_n(X, q, 10)
        hits += len(set(rows.tolist()) & set(ex.tolist()))
        assert np.all(np.diff(scores) <= 1e-6)
    assert hits / (10 * len(Q)) >= 0.95
    # filters still hold on the ANN path
    allowed = np.zeros(len(X), dtype=bool)
    allowed[: len(X) // 2] = True
    rows, _ = top_n(X, Q[0], 10, allowed=allowed, exclude=[int(exact_rows[0][0])])
    assert allowed[rows].all() and int(exact_rows[0][0]) not in rows.tolist()
    rows, _ = top_n(X, Q[0], 5, mmr_lambda=0.5)
    assert len(rows) == 5
