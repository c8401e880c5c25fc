"""Approximate nearest-neighbour recall for large catalogs (FAISS, inner product on unit vectors).

Below :data:`EXACT_THRESHOLD` rows an exact matrix-vector product is fast enough (and exact); above it
:func:`coldrec.retrieval._recall.top_n` switches to an :class:`ANNIndex`, built once per catalog content and cached on disk
with FAISS's own ``write_index`` / ``read_index`` (never pickle) under ``<coldrec cache>/index/``.

The threshold comes from ``bench/bench_ann.py`` on 2 CPU cores (see bench/RESULTS.md): exact search costs about
``n × d × 4`` bytes of memory traffic per query, while an IVF index scans only the lists it probes. How many it
probes is measured, not guessed: a build picks the smallest nprobe whose recall@100 against exact search reaches
``IndexConfig.target_recall`` on sampled queries (:mod:`coldrec.retrieval._ivf_calibration`), and
:attr:`ANNIndex.recall_note` says what was measured. Single-threaded exact search of 384-d rows took
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
from dataclasses import replace
from pathlib import Path
from typing import Iterable

import numpy as np

from coldrec.encoders import default_cache_dir
from coldrec.errors import ColdrecError
from coldrec.retrieval._exact import exact_top_k, single_thread_blas
from coldrec.retrieval._faiss import load_faiss
from coldrec.retrieval._filtered import EXACT_SUBSET, filtered_search
from coldrec.retrieval._index_config import DEFAULT_NPROBE, KINDS, IndexConfig, content_hash
from coldrec.retrieval._ivf_calibration import (Calibration, calibrate_nprobe, describe_recall, measure_recall,
                                                read_meta, write_meta)

__all__ = ["EXACT_THRESHOLD", "IndexConfig", "ANNIndex", "index_for", "recall_method", "content_hash",
           "exact_top_k", "single_thread_blas", "KINDS", "DEFAULT_NPROBE", "Calibration", "EXACT_SUBSET"]

#: Catalogs with at least this many rows use the ANN index in ``recall.top_n`` (chosen from bench_ann.py).
EXACT_THRESHOLD = 150_000
_MEMO: dict[tuple, "ANNIndex"] = {}
_LOCK = threading.Lock()


def _set_threads(n: int | None) -> None:
    faiss = load_faiss()

    faiss.omp_set_num_threads(int(n or os.cpu_count() or 1))


class ANNIndex:
    """A FAISS inner-product index over unit rows, with disk caching keyed by content hash.

    Build with :meth:`build`; query with :meth:`search` (or :meth:`search_filtered` for recall's filters). An IVF
    build calibrates its nprobe (:attr:`calibration`, :attr:`recall_note`); :meth:`set_search` overrides it.
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
        #: what the build measured for its IVF nprobe (None: not calibrated, or an HNSW index)
        self.calibration: Calibration | None = None
        #: recall@k of a hand-set nprobe, once :meth:`measure_recall` has measured it
        self.measured_recall: float | None = None
        self._apply_search_params()

    # -- construction ------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, vectors: np.ndarray, config: IndexConfig | None = None, *, cache: bool = True,
              cache_dir: str | Path | None = None) -> "ANNIndex":
        """Build (or load from the disk cache) an index over ``vectors``.

        Args:
            vectors: (n, d) unit rows (float32; other dtypes are converted).
            config: index settings; default IVF, its nprobe calibrated to ``config.target_recall`` (see
                :mod:`coldrec.retrieval._ivf_calibration`; recorded in :attr:`calibration` and in the cache's JSON).
            cache: look in / write to the disk cache (key: content hash + config tag).
            cache_dir: cache folder; default ``<coldrec cache>/index``.

        Raises:
            ColdrecError: bad shape or empty input (a bad config is refused when it is made).
        """
        config = replace(config) if config is not None else IndexConfig()  # set_search must not edit the caller's
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
                except Exception:  # damaged file: rebuild
                    obj = None
                if obj is not None:
                    obj.key = key
                    if obj._needs_calibration():  # built before calibration, or for another target
                        obj.calibrate(X)
                        obj.save(path)
                    return obj
        obj = cls._build_new(X, config, key)
        if path is not None:
            obj.save(path)
        return obj

    @classmethod
    def _build_new(cls, X: np.ndarray, config: IndexConfig, key: str) -> "ANNIndex":
        import time

        faiss = load_faiss()

        n, d = X.shape
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
        if obj._needs_calibration():
            obj.calibrate(X)
        obj.build_seconds = time.perf_counter() - t0
        return obj

    def _needs_calibration(self) -> bool:
        c, cal = self.config, self.calibration
        return c.calibrates and (cal is None or not cal.matches(c.target_recall, min(c.calibration_k, self.n),
                                                                 min(c.calibration_queries, self.n), c.seed))

    def calibrate(self, vectors: np.ndarray) -> Calibration:
        """Choose the IVF nprobe for ``config.target_recall`` on ``vectors`` (the rows this index holds) and use it.

        Raises:
            ColdrecError: an HNSW index (its ``ef_search`` is set by hand), or no target recall configured.
        """
        c = self.config
        if c.kind != "ivf" or c.target_recall is None:
            raise ColdrecError(f"calibration needs an IVF index and a target_recall, got kind={c.kind!r}, "
                               f"target_recall={c.target_recall!r}")
        X = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
        self.calibration = calibrate_nprobe(self._index, X, target=float(c.target_recall), k=c.calibration_k,
                                            queries=c.calibration_queries, seed=c.seed)
        self.config.nprobe, self.measured_recall = None, None
        self._apply_search_params()
        return self.calibration

    def save(self, path: str | Path) -> Path:
        """Write the index with ``faiss.write_index`` (atomic rename) and its JSON record beside it (``.json``:
        the calibration, or a hand-set nprobe)."""
        faiss = load_faiss()

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        faiss.write_index(self._index, str(tmp))
        os.replace(tmp, path)
        write_meta(path, {"kind": self.config.kind, "n": self.n, "dim": self.dim, "nprobe": self.config.nprobe,
                          "calibration": None if self.calibration is None else self.calibration.to_json()})
        self.path = path
        return path

    @classmethod
    def load(cls, path: str | Path, config: IndexConfig | None = None) -> "ANNIndex":
        """Read an index written by :meth:`save` (``faiss.read_index``) with its calibration from the JSON record.

        A nprobe in ``config`` wins over the recorded one (and its recall then reads "not measured").
        """
        faiss = load_faiss()

        path = Path(path)
        if not path.exists():
            raise ColdrecError(f"no index file at {path}")
        index = faiss.read_index(str(path))
        kind = "hnsw" if "HNSW" in type(index).__name__ else "ivf"
        config = replace(config, kind=kind) if config is not None else IndexConfig(kind=kind)
        _set_threads(config.threads)
        obj = cls(index, config, index.ntotal, index.d)
        meta = read_meta(path) or {}
        if kind == "ivf" and meta.get("calibration"):
            obj.calibration = Calibration.from_json(meta["calibration"])
        if kind == "ivf" and config.nprobe is None and meta.get("nprobe") is not None and obj.calibration is None:
            obj.config.nprobe = int(meta["nprobe"])  # saved after a hand-set nprobe
        obj._apply_search_params()
        obj.path = path
        obj.loaded_from_cache = True
        return obj

    def _apply_search_params(self) -> None:
        idx = self._index
        if self.config.kind == "hnsw":
            idx.hnsw.efSearch = int(self.config.ef_search)
        else:
            idx.nprobe = self.nprobe

    @property
    def nprobe(self) -> int:
        """The IVF nprobe searches use: the user's, else the calibrated one (while a target is set: ``target_recall=None``
        means the configured nprobe, on a cached index too), else :data:`DEFAULT_NPROBE`."""
        c, cal = self.config, self.calibration
        calibrated = cal.nprobe if cal is not None and c.target_recall is not None else DEFAULT_NPROBE
        chosen = c.nprobe if c.nprobe is not None else calibrated
        return int(max(1, min(chosen, self._index.nlist))) if self.config.kind == "ivf" else 0

    def set_search(self, *, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Change the speed/recall trade-off without rebuilding.

        A nprobe set here overrides the calibrated one; the recall then reads "not measured" (the build's
        measurement was for another nprobe) until :meth:`measure_recall` measures it.
        """
        if nprobe is not None:
            replace(self.config, nprobe=int(nprobe))  # refuses a bad value before anything changes
            self.config.nprobe, self.measured_recall = int(nprobe), None
        if ef_search is not None:
            self.config.ef_search = int(ef_search)
        self._apply_search_params()

    def measure_recall(self, vectors: np.ndarray) -> float:
        """Recall@``calibration_k`` vs exact at the current settings, on the calibration's sampled queries."""
        c = self.config
        X = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
        self.measured_recall = measure_recall(self._index, X, k=c.calibration_k, queries=c.calibration_queries,
                                              seed=c.seed)
        return self.measured_recall

    @property
    def recall_note(self) -> str:
        """What the user can trust, in one line: ``IVF nprobe 64: recall@100 0.96 vs exact on 200 sampled queries``,
        or ``... recall not measured`` for a hand-set nprobe or an HNSW index."""
        return describe_recall(self.config, self.nprobe, self.calibration, self.measured_recall, self.n)

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
        """Top-k for one query with recall's filters (allowed mask, excluded rows): see
        :func:`coldrec.retrieval._filtered.filtered_search`."""
        return filtered_search(self.search, self.n, query, k, allowed=allowed, exclude=exclude, vectors=vectors)

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
    fp = _fingerprint(vectors) + (config.tag(vectors.shape[0]), config.nprobe, config.target_recall)
    with _LOCK:
        hit = _MEMO.get(fp)
        if hit is not None:
            return hit
        idx = ANNIndex.build(vectors, config, cache=cache)
        if len(_MEMO) >= 4:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[fp] = idx
        return idx
