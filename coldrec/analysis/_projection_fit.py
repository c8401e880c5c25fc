"""The numeric side of :class:`coldrec.analysis._projection.Projection`: PCA, nearest-neighbour placement, UMAP fitting.

Plain functions on arrays; :mod:`coldrec.analysis._projection` decides which one runs, explains it and caches the result.
umap-learn (numba, pynndescent) is imported inside the functions that need it.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PCAState", "UmapFit", "fit_pca", "knn_place", "fit_umap", "warmup", "unit_rows", "umap_version",
           "UMAP_SMALL_DATA"]

UMAP_SMALL_DATA = 4096  # umap-learn switches from exact neighbours to NN-descent here


@dataclass
class PCAState:
    """A fitted linear map: ``(x - mean) @ components.T``."""

    mean: np.ndarray  # (d,)
    components: np.ndarray  # (k, d), rows may be zero when the rank is below k

    def transform(self, x: np.ndarray) -> np.ndarray:
        return ((x.astype(np.float64) - self.mean) @ self.components.T).astype(np.float32)


def fit_pca(x: np.ndarray, k: int) -> PCAState:
    """PCA with numpy (SVD or the covariance eigendecomposition, whichever is smaller), deterministic signs."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=0)
    xc = x64 - mean
    n, d = xc.shape
    comps = np.zeros((k, d))
    if n >= 2:
        if n <= d:
            _, s, vt = np.linalg.svd(xc, full_matrices=False)
        else:
            w, v = np.linalg.eigh(xc.T @ xc)
            order = np.argsort(w)[::-1]
            s, vt = np.sqrt(np.clip(w[order], 0, None)), v[:, order].T
        tol = (s[0] if len(s) else 0.0) * 1e-9
        r = min(k, int(np.sum(s > tol)) if s.size and s[0] > 0 else 0)
        comps[:r] = vt[:r]
        for i in range(r):  # deterministic sign: largest |loading| positive
            j = int(np.argmax(np.abs(comps[i])))
            if comps[i, j] < 0:
                comps[i] = -comps[i]
    return PCAState(mean=mean, components=comps)


def unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def knn_place(base: np.ndarray, base_coords: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """Weighted mean of the map positions of the ``k`` most cosine-similar rows of ``base`` (unit rows).

    A query equal to a base row lands exactly on that row's position.
    """
    qu = unit_rows(q)
    k = int(min(k, base.shape[0]))
    out = np.empty((q.shape[0], base_coords.shape[1]), dtype=np.float32)
    chunk = max(1, 2_000_000 // max(1, base.shape[0]))
    for start in range(0, q.shape[0], chunk):
        sims = qu[start : start + chunk] @ base.T
        if k < base.shape[0]:
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(base.shape[0]), (sims.shape[0], k))
        s = np.take_along_axis(sims, top, axis=1).astype(np.float64)
        dist = np.clip(1.0 - s, 0.0, None)
        dmin = dist.min(axis=1, keepdims=True)
        sigma = np.maximum((dist - dmin).mean(axis=1, keepdims=True), 1e-6)
        w = np.exp(-(dist - dmin) / sigma)
        exact = dmin[:, 0] < 1e-6  # a known item: put it exactly on its fitted position
        if exact.any():
            w[exact] = (dist[exact] < 1e-6).astype(np.float64)
        w /= w.sum(axis=1, keepdims=True)
        out[start : start + chunk] = np.einsum("mk,mkc->mc", w, base_coords[top]).astype(np.float32)
    return out


@dataclass
class UmapFit:
    """What :func:`fit_umap` returns: the model, the fitted rows and their coordinates."""

    model: Any
    indices: np.ndarray  # rows the model was fitted on (sorted)
    coords: np.ndarray  # (n, n_components); rows outside ``indices`` are still to be placed
    n_neighbors: int


def fit_umap(x: np.ndarray, cfg: Any) -> UmapFit:
    """Fit UMAP on ``x`` (a seeded subsample of ``cfg.max_points`` rows when larger) with ``cfg``'s settings."""
    import umap  # heavy: numba, pynndescent, sklearn

    _set_numba_threads(cfg.numba_threads)
    n = x.shape[0]
    if n > cfg.max_points:
        rng = np.random.default_rng(cfg.seed)
        idx = np.sort(rng.choice(n, size=cfg.max_points, replace=False))
    else:
        idx = np.arange(n)
    n_neighbors = int(min(cfg.n_neighbors, len(idx) - 1))
    model = umap.UMAP(
        n_components=cfg.n_components,
        n_neighbors=n_neighbors,
        min_dist=float(cfg.min_dist),
        metric=cfg.metric,
        n_epochs=cfg.n_epochs,
        random_state=cfg.seed,
        transform_seed=cfg.seed,
        verbose=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        emb = np.asarray(model.fit_transform(x[idx]), dtype=np.float32)
    coords = np.empty((n, cfg.n_components), dtype=np.float32)
    coords[idx] = emb
    return UmapFit(model=model, indices=idx, coords=coords, n_neighbors=n_neighbors)


def umap_transform(model: Any, x: np.ndarray) -> np.ndarray:
    """``model.transform(x)`` as float32, with umap-learn's warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(model.transform(x), dtype=np.float32)


def umap_version() -> str:
    """umap-learn's version (``"none"`` when it cannot be imported): part of the map cache key."""
    try:
        import umap

        return getattr(umap, "__version__", "?")
    except Exception:  # noqa: BLE001
        return "none"


def warmup(n_items: int | None = None, n_components: int = 2, seed: int = 0) -> float:
    """Trigger numba compilation of the UMAP fit and transform paths on a tiny random set.

    umap-learn uses exact neighbours below 4,096 items and NN-descent (pynndescent) above; each path compiles
    its own kernels. Measured on the shared 2-core box in a fresh process: ~20 s for the exact path, another
    ~60 s for the NN-descent path (numba caches part of it on disk; the rest recompiles in every process).
    Call it once per process behind a spinner, before the first real map.

    Args:
        n_items: size of the catalog you will map; below 4,096 only the exact path is warmed. ``None``: both.
        n_components: 2 or 3 (the compiled kernels are shared, so either warms both).
        seed: random seed of the dummy data.

    Returns:
        Seconds spent (about 0.3 s when everything is already compiled in this process).

    Example:
        >>> seconds = warmup(n_items=len(catalog.ids))   # doctest: +SKIP
    """
    import umap

    t0 = time.perf_counter()
    x = np.random.default_rng(seed).normal(size=(300, 16)).astype(np.float32)
    paths = (False,) if n_items is not None and n_items < UMAP_SMALL_DATA else (False, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for approx in paths:  # exact kNN (small data) and NN-descent (large data) paths
            m = umap.UMAP(
                n_components=n_components,
                n_neighbors=10,
                metric="cosine",
                n_epochs=20,
                random_state=seed,
                force_approximation_algorithm=approx,
            )
            m.fit(x)
            m.transform(x[:2])
    return time.perf_counter() - t0


def _set_numba_threads(n: int | None) -> None:
    if n is None:
        return
    import numba

    numba.set_num_threads(max(1, min(int(n), int(numba.config.NUMBA_NUM_THREADS))))
