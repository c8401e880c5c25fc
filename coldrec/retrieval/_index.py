"""Approximate nearest-neighbour recall for large catalogs (FAISS, inner product on unit vectors).

Below :data:`EXACT_THRESHOLD` rows an exact matrix-vector product is fast enough (and exact); above it
:func:`coldrec.retrieval._recall.top_n` switches to an :class:`ANNIndex`, built once per catalog content and cached on disk
with FAISS's own ``write_index`` / ``read_index`` (never pickle) under ``<coldrec cache>/index/``.

The threshold comes from ``bench/bench_ann.py`` on 2 CPU cores (see bench/RESULTS.md): exact search costs about
``n × d × 4`` bytes of memory traffic per query, while an IVF
index answers in well under a millisecond at recall@100 ≥ 0.95. Single-threaded exact search of 384-d rows took
0.2 ms at 10k, 4.6 ms at 100k, 9 ms at 200k and 53 ms at 1M on the 2-core box at load ~2, and 2–5× that when the
box was crowded (25 ms at 100k). At 150k exact search costs ~7 ms on a quiet box (~35 ms on a crowded one), and
building an index at that size takes well under a minute (once, then cached), so the switch happens there.

Example:
    >>> import numpy as np
    >>> from coldrec.retrieval._index import ANNIndex, IndexConfig
    >>> X = np.random.default_rng(0).standard_normal((2000, 16)).astype("float32")
    >>> X /= np.linalg.norm(X, axis=1, keepdims=True)
    >>> idx = ANNIndex.build(X, IndexConfig(kind="hnsw"), cache=False)
    >>> rows, scores = idx.search(X[3], 5)
    >>> int(rows[0])
    3
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from coldrec.encoders import default_cache_dir
from coldrec.errors import ColdrecError
from coldrec.retrieval._exact import exact_top_k, single_thread_blas
from coldrec.retrieval._faiss import load_faiss

__all__ = ["EXACT_THRESHOLD", "IndexConfig", "ANNIndex", "index_for", "recall_method", "content_hash",
           "exact_top_k", "single_thread_blas", "KINDS"]

#: Catalogs with at least this many rows use the ANN index in ``recall.top_n`` (chosen from bench_ann.py).
EXACT_THRESHOLD = 150_000
KINDS = ("ivf", "hnsw")
#: A filtered query whose allowed rows are at most this many is answered exactly (≈ 5 ms single-threaded).
EXACT_SUBSET = 50_000
_MEMO: dict[tuple, "ANNIndex"] = {}
_LOCK = threading.Lock()


@dataclass
class IndexConfig:
    """ANN index settings.

    Attributes:
        kind: "ivf" (IVF-Flat, inner product: fast to build, the default) or "hnsw" (HNSW-Flat, inner product).
        nlist: IVF lists; None = about 4·√n (rounded, at least 1, at most n/39).
        nprobe: IVF lists scanned per query.
        train_size: IVF k-means sample size (None = min(n, 32·nlist)).
        m: HNSW neighbours per node.
        ef_construction: HNSW build beam.
        ef_search: HNSW search beam.
        threads: FAISS OpenMP threads; None = all cores. Set before build and search so FAISS does not fight
            torch/NumPy thread pools on small machines.
        seed: k-means seed.
    """

    kind: str = "ivf"
    nlist: int | None = None
    nprobe: int = 24
    train_size: int | None = None
    m: int = 32
    ef_construction: int = 80
    ef_search: int = 160
    threads: int | None = None
    seed: int = 1234

    def tag(self, n: int) -> str:
        if self.kind == "ivf":
            return f"ivf{self.resolved_nlist(n)}"
        return f"hnsw{self.m}-{self.ef_construction}"

    def resolved_nlist(self, n: int) -> int:
        if self.nlist:
            return int(max(1, min(self.nlist, n)))
        return int(max(1, min(int(round(4 * np.sqrt(n))), n // 39 if n >= 39 else 1)))


def content_hash(vectors: np.ndarray) -> str:
    """BLAKE2b of shape, dtype and bytes (20 hex chars): the on-disk cache key of an index."""
    v = np.ascontiguousarray(vectors)
    h = hashlib.blake2b(digest_size=10)
    h.update(f"{v.shape}|{v.dtype.str}".encode())
    mv = memoryview(v.reshape(-1).view(np.uint8))
    step = 1 << 26
    for s in range(0, len(mv), step):
        h.update(mv[s:s + step])
    return h.hexdigest()


def _set_threads(n: int | None) -> None:
    faiss = load_faiss()

    faiss.omp_set_num_threads(int(n or os.cpu_count() or 1))


class ANNIndex:
    """A FAISS inner-product index over unit rows, with disk caching keyed by content hash.

    Build with :meth:`build`; query with :meth:`search` (or :meth:`search_filtered` for recall's filters).
    """

    def __init__(self, index, config: IndexConfig, n: int, dim: int, key: str = "") -> None:
        self._index = index
        self.config = config
        self.n = int(n)
        self.dim = int(dim)
        self.key = key
        self.path: Path | None = None
        self.build_seconds: float = 0.0
        self.loaded_from_cache = False
        self._apply_search_params()

    # -- construction ------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, vectors: np.ndarray, config: IndexConfig | None = None, *, cache: bool = True,
              cache_dir: str | Path | None = None) -> "ANNIndex":
        """Build (or load from the disk cache) an index over ``vectors``.

        Args:
            vectors: (n, d) unit rows (float32; other dtypes are converted).
            config: index settings; default IVF.
            cache: look in / write to the disk cache (key: content hash + config tag).
            cache_dir: cache folder; default ``<coldrec cache>/index``.

        Raises:
            ColdrecError: bad shape, empty input or unknown kind.
        """
        import time

        faiss = load_faiss()

        config = config or IndexConfig()
        if config.kind not in KINDS:
            raise ColdrecError(f"unknown index kind {config.kind!r}; choose one of {KINDS}")
        X = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
        if X.ndim != 2 or X.shape[0] == 0:
            raise ColdrecError(f"vectors must be a non-empty (n, d) matrix, got shape {X.shape}")
        n, d = X.shape
        _set_threads(config.threads)
        key = ""
        path = None
        if cache:
            key = f"{content_hash(X)}-{config.tag(n)}"
            folder = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "index"
            path = folder / f"{key}.faiss"
            if path.exists():
                try:
                    obj = cls.load(path, config)
                    obj.key = key
                    return obj
                except Exception:  # damaged file: rebuild
                    pass
        t0 = time.perf_counter()
        if config.kind == "hnsw":
            index = faiss.IndexHNSWFlat(d, int(config.m), faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = int(config.ef_construction)
            index.add(X)
        else:
            nlist = config.resolved_nlist(n)
            quant = faiss.IndexFlatIP(d)
            index = faiss.IndexIVFFlat(quant, d, nlist, faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = int(config.seed)
            ts = config.train_size or min(n, 32 * nlist)
            if ts < n:
                rng = np.random.default_rng(config.seed)
                sample = X[np.sort(rng.choice(n, size=ts, replace=False))]
            else:
                sample = X
            index.train(sample)
            index.add(X)
        obj = cls(index, config, n, d, key)
        obj.build_seconds = time.perf_counter() - t0
        if path is not None:
            obj.save(path)
        return obj

    def save(self, path: str | Path) -> Path:
        """Write the index with ``faiss.write_index`` (atomic rename)."""
        faiss = load_faiss()

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        faiss.write_index(self._index, str(tmp))
        os.replace(tmp, path)
        self.path = path
        return path

    @classmethod
    def load(cls, path: str | Path, config: IndexConfig | None = None) -> "ANNIndex":
        """Read an index written by :meth:`save` (``faiss.read_index``)."""
        faiss = load_faiss()

        path = Path(path)
        if not path.exists():
            raise ColdrecError(f"no index file at {path}")
        index = faiss.read_index(str(path))
        kind = "hnsw" if "HNSW" in type(index).__name__ else "ivf"
        config = config or IndexConfig(kind=kind)
        if config.kind != kind:
            config = IndexConfig(**{**asdict(config), "kind": kind})
        _set_threads(config.threads)
        obj = cls(index, config, index.ntotal, index.d)
        obj.path = path
        obj.loaded_from_cache = True
        return obj

    def _apply_search_params(self) -> None:
        idx = self._index
        if self.config.kind == "hnsw":
            idx.hnsw.efSearch = int(self.config.ef_search)
        else:
            idx.nprobe = int(min(self.config.nprobe, idx.nlist))

    def set_search(self, *, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Change the speed/recall trade-off without rebuilding."""
        if nprobe is not None:
            self.config.nprobe = int(nprobe)
        if ef_search is not None:
            self.config.ef_search = int(ef_search)
        self._apply_search_params()

    # -- queries -----------------------------------------------------------------------------------------------
    @property
    def method(self) -> str:
        """"hnsw" or "ivf" — what ``recall`` reports when the index answered."""
        return self.config.kind

    def memory_bytes(self) -> int:
        """Approximate resident size of the index (vectors + graph/lists)."""
        faiss = load_faiss()

        try:
            return int(faiss.serialize_index(self._index).nbytes) if self.n <= 50_000 else self._estimate()
        except Exception:
            return self._estimate()

    def _estimate(self) -> int:
        base = self.n * self.dim * 4
        if self.config.kind == "hnsw":
            return base + self.n * self.config.m * 2 * 4 + self.n * 8
        return base + self.n * 8 + self._index.nlist * self.dim * 4

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows by inner product, best first.

        Args:
            query: (d,) or (q, d).
            k: neighbours wanted (fewer come back when the index has fewer reachable rows).

        Returns:
            (rows int64, scores float32): shape (k,) for a 1-d query, else (q, k). Missing results are dropped
            for a 1-d query and marked -1 / -inf for a batch.
        """
        q = np.asarray(query, dtype=np.float32)
        single = q.ndim == 1
        q = np.ascontiguousarray(q.reshape(1, -1) if single else q)
        if q.shape[1] != self.dim:
            raise ColdrecError(f"query has {q.shape[1]} dimensions, the index has {self.dim}")
        k = int(min(max(k, 0), self.n))
        if k == 0:
            e = np.zeros((q.shape[0], 0))
            return (e[0].astype(np.int64), e[0].astype(np.float32)) if single else (e.astype(np.int64),
                                                                                     e.astype(np.float32))
        D, I = self._index.search(q, k)
        D = D.astype(np.float32)
        D[I < 0] = -np.inf
        if single:
            ok = I[0] >= 0
            return I[0][ok].astype(np.int64), D[0][ok]
        return I.astype(np.int64), D

    def search_filtered(self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None,
                        exclude: Iterable[int] = (), vectors: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k for one query with recall's filters (allowed mask, excluded rows).

        The index is asked for more than k (k + excluded, scaled by the allowed fraction) and the survivors
        are kept. With ``vectors`` given, the allowed rows are scored exactly instead when they are at most
        :data:`EXACT_SUBSET` (a category filter: exact is then both cheaper and exact), or when too few survive.
        """
        ex = np.fromiter((int(r) for r in exclude), dtype=np.int64)
        frac = 1.0
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=bool)
            frac = max(float(allowed.mean()), 1e-6)
        want = int(min(self.n, np.ceil((k + ex.size) / frac * 1.5) + 10))
        if allowed is not None and vectors is not None and int(allowed.sum()) <= EXACT_SUBSET:
            rows = np.flatnonzero(allowed)
            if ex.size:
                rows = np.setdiff1d(rows, ex, assume_unique=False)
            r, s = exact_top_k(vectors[rows], query, k)
            return rows[r], s
        rows, scores = self.search(query, want)
        keep = np.ones(rows.shape[0], dtype=bool)
        if ex.size:
            keep &= ~np.isin(rows, ex)
        if allowed is not None:
            keep &= allowed[rows]
        rows, scores = rows[keep][:k], scores[keep][:k]
        if rows.shape[0] < k and vectors is not None:
            mask = np.ones(self.n, dtype=bool) if allowed is None else allowed.copy()
            if ex.size:
                mask[ex] = False
            cand = np.flatnonzero(mask)
            r, s = exact_top_k(vectors[cand], query, k)
            return cand[r], s
        return rows, scores

    def __repr__(self) -> str:
        return f"ANNIndex(kind={self.config.kind!r}, n={self.n}, dim={self.dim}, key={self.key!r})"


def recall_method(n_rows: int, threshold: int | None = None) -> str:
    """"exact" below the threshold, else the ANN kind that :func:`index_for` builds."""
    thr = EXACT_THRESHOLD if threshold is None else threshold
    return "exact" if n_rows < thr else IndexConfig().kind


def _fingerprint(v: np.ndarray) -> tuple:
    n = v.shape[0]
    sample = v[np.linspace(0, n - 1, num=min(n, 64)).astype(np.int64)]
    return (id(v), v.shape, v.dtype.str, hashlib.blake2b(np.ascontiguousarray(sample).tobytes(),
                                                         digest_size=8).hexdigest())


def index_for(vectors: np.ndarray, config: IndexConfig | None = None, *, threshold: int | None = None,
              cache: bool = True) -> ANNIndex | None:
    """The ANN index for a catalog's vectors, or None below the threshold (exact is used there).

    Indexes are memoised per process (keyed by the array object, its shape and a row sample, so repeated
    ``top_n`` calls on the same array do not re-hash 1.5 GB) and cached on disk by full content hash.
    """
    thr = EXACT_THRESHOLD if threshold is None else threshold
    if vectors.shape[0] < thr:
        return None
    config = config or IndexConfig()
    fp = _fingerprint(vectors) + (config.tag(vectors.shape[0]),)
    with _LOCK:
        hit = _MEMO.get(fp)
        if hit is not None:
            return hit
        idx = ANNIndex.build(vectors, config, cache=cache)
        if len(_MEMO) >= 4:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[fp] = idx
        return idx
