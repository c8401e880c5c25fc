"""The settings of :class:`coldrec.retrieval._index.ANNIndex` and its cache key (kept apart so the index module
stays small).

Example:
    >>> IndexConfig().resolved_nlist(1_000_000)
    4000
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["IndexConfig", "KINDS", "DEFAULT_NPROBE", "content_hash"]

KINDS = ("ivf", "hnsw")
#: The IVF nprobe used when neither a calibration (``target_recall=None``) nor the user sets one.
DEFAULT_NPROBE = 24


@dataclass
class IndexConfig:
    """ANN index settings.

    Attributes:
        kind: "ivf" (IVF-Flat, inner product: fast to build, the default) or "hnsw" (HNSW-Flat, inner product).
        nlist: IVF lists; None = about 4·√n (rounded, at least 1, at most n/39).
        nprobe: IVF lists scanned per query. None (the default) = calibrated at build time to reach
            ``target_recall`` (or :data:`DEFAULT_NPROBE` when that is None). A number is the user's choice: it
            is used as given, calibration is skipped and the index reports its recall as "not measured"
            (:meth:`ANNIndex.measure_recall` measures it on demand).
        target_recall: the recall@``calibration_k`` against exact search that the calibrated IVF nprobe must
            reach on the sampled queries (0 < target ≤ 1); the smallest nprobe on the grid 1, 2, 4, … , nlist
            that reaches it is kept. None = no calibration: keep ``nprobe`` (or :data:`DEFAULT_NPROBE`).
        calibration_queries: how many seeded sample queries calibration measures recall on (at most n).
        calibration_k: the k of the calibrated recall@k (coldrec's recall asks for 50–150 candidates; clipped to n).
        train_size: IVF k-means sample size (None = min(n, 32·nlist)).
        m: HNSW neighbours per node.
        ef_construction: HNSW build beam.
        ef_search: HNSW search beam.
        threads: FAISS OpenMP threads; None = all cores. Set before build and search so FAISS does not fight
            torch/NumPy thread pools on small machines.
        seed: k-means seed, also the seed of the calibration's query sample.
    """

    kind: str = "ivf"
    nlist: int | None = None
    nprobe: int | None = None
    target_recall: float | None = 0.95
    calibration_queries: int = 200
    calibration_k: int = 100
    train_size: int | None = None
    m: int = 32
    ef_construction: int = 80
    ef_search: int = 160
    threads: int | None = None
    seed: int = 1234

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ColdrecError(f"unknown index kind {self.kind!r}; choose one of {KINDS}")
        if self.target_recall is not None and not 0 < self.target_recall <= 1:
            raise ColdrecError(f"target_recall must be in (0, 1], or None to keep nprobe; got {self.target_recall!r}")
        for name in ("nprobe", "calibration_queries", "calibration_k"):
            value = getattr(self, name)
            if value is not None and int(value) < 1:
                raise ColdrecError(f"{name} must be at least 1, got {value!r}")

    def tag(self, n: int) -> str:
        """The part of the disk-cache key that changes the index structure (not its search settings)."""
        if self.kind == "ivf":
            return f"ivf{self.resolved_nlist(n)}"
        return f"hnsw{self.m}-{self.ef_construction}"

    def resolved_nlist(self, n: int) -> int:
        """The IVF list count for ``n`` rows (see ``nlist``)."""
        if self.nlist:
            return int(max(1, min(self.nlist, n)))
        return int(max(1, min(int(round(4 * np.sqrt(n))), n // 39 if n >= 39 else 1)))

    @property
    def calibrates(self) -> bool:
        """Whether an IVF build measures its nprobe: no nprobe given and a target set."""
        return self.kind == "ivf" and self.nprobe is None and self.target_recall is not None


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
