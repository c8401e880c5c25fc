"""2-D / 3-D maps of item embeddings (the "Profile map" page).

:class:`Projection` fits UMAP (umap-learn) on the item vectors and can then place new vectors (a typed user
profile, a persona) on the same map *without refitting*. Large catalogs are fitted on a seeded subsample of
``max_points`` items and the rest is placed afterwards; tiny catalogs (UMAP needs a neighbourhood graph) and
``method="pca"`` use a plain PCA computed with numpy. Every such decision is explained in
:attr:`Projection.notice`, a sentence the UI shows as is.

Caching
    With a ``cache_dir`` the fitted coordinates are stored as ``<key>.npz`` where the key hashes the vector
    bytes, the config and the umap-learn version. Only numeric/string arrays are stored and they are loaded
    with ``allow_pickle=False``: **no pickle is ever written or read**, so a cache folder shared with others
    cannot execute code. The fitted UMAP model itself lives only in memory (the app also keeps the
    :class:`Projection` in its in-process cache). After a disk-cache hit there is no UMAP model, so
    :meth:`Projection.transform` places points by nearest-neighbour interpolation on the cached map
    (``transform_method == "knn"``), which is exact for training points and fast (one matrix product). Call
    :meth:`Projection.refit_model` to get the UMAP model back (deterministic with the seed, so the map does
    not move).

Speed
    umap-learn compiles its kernels with numba on first use, in every new process (numba's disk cache only
    covers part of it). Call :func:`warmup` early (behind a spinner) so the first real fit does not look
    frozen. Measured on the shared 2-core dev box (load average 2-10, so +-2x), random unit 384-d vectors:

    ========================================  ==========================================================
    warmup() in a fresh process               47-130 s (exact path alone ~20 s); 0.3 s once compiled
    fit 10k items, after JIT                  15 s (n_epochs=200, default); 28 s with umap's 500 epochs
    transform one point (UMAP)                ~70 ms median (first call ~150 ms), 10k or 100k map
    transform one point (knn, after cache)    0.2 ms (10k map), 19 ms (100k map; first call +1 s)
    100k items (20k subsample + transform)    64 s; cache hit 0.3 s
    ========================================  ==========================================================
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from coldrec.analysis._projection_config import (
    METHODS,
    REST_PLACEMENTS,
    TRANSFORM_METHODS,
    ProjectionConfig,
    ProjectionError,
)
from coldrec.analysis._projection_fit import PCAState as _PCAState
from coldrec.analysis._projection_fit import fit_pca, fit_umap, knn_place, umap_transform, umap_version, unit_rows, warmup
from coldrec.analysis._projection_store import StoredMap, cache_key, cache_path, load_map, save_map

__all__ = [
    "ProjectionConfig",
    "Projection",
    "ProjectionError",
    "project_items",
    "warmup",
    "METHODS",
    "REST_PLACEMENTS",
]


class Projection:
    """A fitted 2-D/3-D map of item vectors that can place new vectors on it.

    Attributes:
        config: the :class:`ProjectionConfig`.
        coords: ``(n, n_components)`` float32 map positions, in the order of the fitted vectors.
        keys: the ``keys`` passed to :meth:`fit` (e.g. item ids) or ``None``.
        method_used: ``"umap"`` or ``"pca"`` (PCA when asked for or as a fallback).
        notice: a sentence for the UI explaining subsampling / fallbacks / cache hits ("" when nothing to
            say).
        notices: the same, as a list of sentences.
        from_cache: the coordinates came from the disk cache.
        fit_indices: rows UMAP was fitted on (all rows unless subsampled).
        seconds: wall time of :meth:`fit`.
        cache_key: content hash used for the disk cache.

    Example:
        >>> import numpy as np
        >>> E = np.random.default_rng(0).normal(size=(200, 32)).astype("float32")
        >>> proj = Projection(ProjectionConfig(seed=0)).fit(E)
        >>> proj.coords.shape
        (200, 2)
        >>> proj.transform(E[:1]).shape   # a typed user profile would go here
        (1, 2)
    """

    def __init__(self, config: ProjectionConfig | None = None) -> None:
        self.config = (config or ProjectionConfig()).validate()
        self.coords: np.ndarray | None = None
        self.keys: list[str] | None = None
        self.method_used: str | None = None
        self.notices: list[str] = []
        self.from_cache = False
        self.fit_indices: np.ndarray | None = None
        self.seconds = 0.0
        self.cache_key: str | None = None
        self._vectors: np.ndarray | None = None
        self._unit: np.ndarray | None = None
        self._model: Any = None
        self._pca: _PCAState | None = None

    # ------------------------------------------------------------------ public API
    @property
    def notice(self) -> str:
        """All notices joined into one string ("" when there is nothing to tell the user)."""
        return " ".join(self.notices)

    @property
    def transform_method(self) -> str | None:
        """How :meth:`transform` places points now: ``"umap"``, ``"knn"`` (after a cache hit) or ``"pca"``."""
        if self.coords is None:
            return None
        if self.method_used == "pca":
            return "pca"
        return "umap" if self._model is not None else "knn"

    def fit(self, vectors: np.ndarray, keys: Sequence[str] | None = None) -> Projection:
        """Fit the map on item vectors (or load it from the disk cache).

        Args:
            vectors: ``(n, d)`` item embeddings (unit rows are typical; cosine does not need them).
            keys: optional ids, one per row, kept as :attr:`keys` (not part of the cache key).

        Returns:
            ``self``, with :attr:`coords`, :attr:`notice` and friends set.

        Raises:
            ProjectionError: ``vectors`` is not a non-empty finite 2-D array, or ``keys`` has the wrong
                length.

        Example:
            >>> cfg = ProjectionConfig(max_points=5_000)
            >>> proj = Projection(cfg).fit(E, keys=catalog.ids)  # doctest: +SKIP
            >>> proj.notice                                      # doctest: +SKIP
            'Fitted on 5,000 of 12,000 items; the rest placed by UMAP transform.'
        """
        t0 = time.perf_counter()
        x = _as_matrix(vectors, "vectors")
        n = x.shape[0]
        if keys is not None:
            keys = [str(k) for k in keys]
            if len(keys) != n:
                raise ProjectionError(
                    f"keys has {len(keys)} entries but vectors has {n} rows; pass one key per row"
                )
        cfg = self.config
        self._reset()
        self._vectors = x
        self.keys = keys
        self.cache_key = _cache_key(x, cfg)

        if self._load_cache():
            self.from_cache = True
            self.notices.append("Map loaded from the cache.")
            self.seconds = time.perf_counter() - t0
            return self

        method = cfg.method
        if method == "umap" and n < cfg.min_umap_points:
            self.notices.append(
                f"Only {n:,} item{'s' if n != 1 else ''}: UMAP needs at least {cfg.min_umap_points}, "
                "so the map uses PCA (linear)."
            )
            method = "pca"
        elif method == "pca":
            self.notices.append("PCA map (linear): instant, but clusters overlap more than with UMAP.")

        if method == "umap":
            try:
                self._fit_umap(x)
            except (MemoryError, KeyboardInterrupt):
                raise
            except Exception as exc:  # noqa: BLE001 - a UI map must not crash; explain and fall back
                self._model = None
                self.notices.append(f"UMAP failed ({type(exc).__name__}: {exc}); showing a PCA map instead.")
                method = "pca"
        if method == "pca":
            self._fit_pca(x)
        self._save_cache()
        self.seconds = time.perf_counter() - t0
        return self

    def transform(self, vectors: np.ndarray, *, method: str | None = None) -> np.ndarray:
        """Place new vectors on the fitted map without refitting.

        Args:
            vectors: ``(d,)`` or ``(m, d)`` vectors in the same embedding space as the items.
            method: ``None`` (default: UMAP transform when the model is in memory, else nearest-neighbour
                interpolation; PCA maps always use PCA), or force ``"umap"``, ``"knn"`` or ``"pca"``.

        Returns:
            ``(m, n_components)`` float32 coordinates.

        Raises:
            ProjectionError: called before :meth:`fit`, wrong dimension, or a method that is not available.

        Example:
            >>> xy = proj.transform(profile.vector)   # doctest: +SKIP
            >>> xy.shape                              # doctest: +SKIP
            (1, 2)
        """
        if self.coords is None or self._vectors is None:
            raise ProjectionError("transform() called before fit(); call Projection(...).fit(vectors) first")
        q = _as_matrix(vectors, "vectors", allow_1d=True)
        d = self._vectors.shape[1]
        if q.shape[1] != d:
            raise ProjectionError(
                f"vectors have dimension {q.shape[1]} but the map was fitted on dimension {d}"
            )
        method = method or self.transform_method
        if method not in TRANSFORM_METHODS:
            raise ProjectionError(
                f"method={method!r} is not supported; choose one of {list(TRANSFORM_METHODS)}"
            )
        if method == "pca":
            if self._pca is None:
                raise ProjectionError("method='pca' needs a PCA map; this map was fitted with UMAP")
            return self._pca.transform(q)
        if method == "umap":
            if self._model is None:
                raise ProjectionError(
                    "method='umap' needs the UMAP model in memory (it is not stored in the disk cache); "
                    "call refit_model() or use method='knn'"
                )
            return umap_transform(self._model, q)
        return self._knn_place(q)

    def to_frame(self) -> Any:
        """The map as a DataFrame: ``key`` (when keys were given), ``x``, ``y`` (and ``z`` for 3-D).

        Example:
            >>> proj.to_frame().head(2)   # doctest: +SKIP
        """
        import pandas as pd

        if self.coords is None:
            raise ProjectionError("to_frame() called before fit()")
        df = pd.DataFrame(self.coords, columns=["x", "y", "z"][: self.coords.shape[1]])
        if self.keys is not None:
            df.insert(0, "key", self.keys)
        return df

    def refit_model(self) -> Projection:
        """Refit the UMAP model after a disk-cache hit so :meth:`transform` uses UMAP again.

        UMAP is deterministic with the seed, so the refitted coordinates equal the cached ones (they are
        kept).
        """
        if self._vectors is None:
            raise ProjectionError("refit_model() called before fit()")
        if self.method_used != "umap" or self._model is not None:
            return self
        coords = self.coords
        self._fit_umap(self._vectors, announce=False)
        self.coords = coords
        return self

    # ------------------------------------------------------------------ internals
    def _reset(self) -> None:
        self.coords = None
        self.method_used = None
        self.notices = []
        self.from_cache = False
        self.fit_indices = None
        self._unit = None
        self._model = None
        self._pca = None

    def _fit_umap(self, x: np.ndarray, announce: bool = True) -> None:
        cfg = self.config
        fitted = fit_umap(x, cfg)
        idx, coords, n = fitted.indices, fitted.coords, x.shape[0]
        self._model = fitted.model
        self.method_used = "umap"
        self.fit_indices = idx
        self.coords = coords
        if len(idx) < n:
            rest = np.setdiff1d(np.arange(n), idx, assume_unique=True)
            if cfg.place_rest == "transform":
                coords[rest] = umap_transform(fitted.model, x[rest])
                how = "UMAP transform"
            else:
                coords[rest] = self._knn_place(x[rest], train_rows=idx)
                how = "nearest neighbours"
            if announce:
                self.notices.append(f"Fitted on {len(idx):,} of {n:,} items; the rest placed by {how}.")
        if announce and fitted.n_neighbors < cfg.n_neighbors:
            self.notices.append(f"Small catalog: UMAP neighbourhood reduced to {fitted.n_neighbors} items.")
        # Prepare the transform path now (pynndescent builds its search graph on first query) so the first
        # typed profile is placed quickly.
        umap_transform(fitted.model, x[idx[:1]])

    def _fit_pca(self, x: np.ndarray) -> None:
        self._pca = fit_pca(x, self.config.n_components)
        self.coords = self._pca.transform(x)
        self.method_used = "pca"
        self.fit_indices = np.arange(x.shape[0])

    def _knn_place(self, q: np.ndarray, train_rows: np.ndarray | None = None) -> np.ndarray:
        """Weighted mean of the map positions of the ``knn_k`` most cosine-similar fitted items."""
        assert self._vectors is not None and self.coords is not None
        if train_rows is None:
            if self._unit is None:
                self._unit = unit_rows(self._vectors)
            base, base_coords = self._unit, self.coords
        else:
            base, base_coords = unit_rows(self._vectors[train_rows]), self.coords[train_rows]
        return knn_place(base, base_coords, q, self.config.knn_k)

    # ------------------------------------------------------------------ disk cache (npz, no pickle)
    def _cache_path(self) -> Path | None:
        return cache_path(self.config.cache_dir, self.cache_key)

    def _load_cache(self) -> bool:
        assert self._vectors is not None
        stored = load_map(self._cache_path(), (self._vectors.shape[0], self.config.n_components))
        if stored is None:
            return False
        self.coords, self.method_used, self.fit_indices = stored.coords, stored.method, stored.fit_indices
        self._pca = _PCAState(stored.pca_mean, stored.pca_components) if stored.method == "pca" else None
        self.notices = stored.notices
        return True

    def _save_cache(self) -> None:
        if self.coords is None:
            return
        d = self._vectors.shape[1] if self._vectors is not None else 0
        save_map(self._cache_path(), StoredMap(
            coords=self.coords,
            method=str(self.method_used),
            notices=list(self.notices),
            fit_indices=self.fit_indices if self.fit_indices is not None else np.arange(0),
            pca_mean=self._pca.mean if self._pca is not None else np.zeros(d),
            pca_components=self._pca.components if self._pca is not None else np.zeros((0, d)),
        ))


def project_items(
    vectors: np.ndarray,
    config: ProjectionConfig | None = None,
    cache_dir: str | Path | None = None,
    keys: Sequence[str] | None = None,
) -> Projection:
    """Fit (or load from cache) a map of item vectors in one call.

    Args:
        vectors: ``(n, d)`` item embeddings.
        config: hyperparameters; default :class:`ProjectionConfig()`.
        cache_dir: overrides ``config.cache_dir`` when given.
        keys: optional item ids, kept as ``.keys``.

    Returns:
        The fitted :class:`Projection`.

    Example:
        >>> proj = project_items(E, cache_dir="~/.cache/coldrec/projections")   # doctest: +SKIP
        >>> proj.coords.shape, proj.notice                                      # doctest: +SKIP
        ((12000, 2), '')
    """
    cfg = ProjectionConfig(**asdict(config)) if config is not None else ProjectionConfig()
    if cache_dir is not None:
        cfg.cache_dir = Path(cache_dir).expanduser()
    return Projection(cfg).fit(vectors, keys=keys)


# ---------------------------------------------------------------------- helpers
def _as_matrix(vectors: Any, name: str, allow_1d: bool = False) -> np.ndarray:
    try:
        x = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        got = type(vectors).__name__
        raise ProjectionError(f"{name} must be a numeric array; got {got} ({exc})") from exc
    if allow_1d and x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ProjectionError(f"{name} must be a non-empty 2-D array (rows, dim); got shape {x.shape}")
    if not np.isfinite(x).all():
        bad = int(np.argmax(~np.isfinite(x).all(axis=1)))
        raise ProjectionError(f"{name} contains NaN or infinite values (first at row {bad})")
    return np.ascontiguousarray(x)


def _cache_key(x: np.ndarray, cfg: ProjectionConfig) -> str:
    return cache_key(x, cfg.key_fields(), umap_version())
