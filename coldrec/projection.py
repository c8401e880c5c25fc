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

import hashlib
import json
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coldrec.errors import ColdrecError

__all__ = [
    "ProjectionConfig",
    "Projection",
    "ProjectionError",
    "project_items",
    "warmup",
    "METHODS",
    "REST_PLACEMENTS",
]

METHODS = ("umap", "pca")
REST_PLACEMENTS = ("knn", "transform")
TRANSFORM_METHODS = ("umap", "knn", "pca")
_CACHE_FORMAT = 1
_UMAP_SMALL_DATA = 4096  # umap-learn switches from exact neighbours to NN-descent here


class ProjectionError(ColdrecError):
    """Bad projection input or config (wrong shape, unknown method, transform before fit)."""


@dataclass
class ProjectionConfig:
    """Hyperparameters of a :class:`Projection`.

    Example:
        >>> cfg = ProjectionConfig(method="umap", n_components=2, max_points=20_000, seed=0)
    """

    method: str = "umap"
    """``"umap"`` (non-linear, keeps neighbourhoods; default) or ``"pca"`` (linear, instant)."""
    n_components: int = 2
    """Map dimensions: 2 or 3."""
    n_neighbors: int = 15
    """UMAP neighbourhood size; larger keeps more global structure. Clipped to ``n - 1`` for small
    catalogs."""
    min_dist: float = 0.1
    """UMAP minimum distance between points on the map (0 packs clusters tightly, 0.99 spreads them)."""
    metric: str = "cosine"
    """Distance used by UMAP in the embedding space; sentence-encoder vectors are compared by cosine."""
    max_points: int = 20_000
    """Fit UMAP on at most this many items (seeded subsample); the rest is placed afterwards."""
    place_rest: str = "transform"
    """How items outside the subsample are placed: ``"transform"`` (UMAP ``transform``, uses the NN-descent
    index: ~0.7 ms/item on the 2-core box) or ``"knn"`` (weighted mean of the map positions of the nearest
    fitted items by brute force; no NN index, ~1.2 ms/item against 20k fitted items)."""
    seed: int = 42
    """Random seed for the subsample and UMAP (UMAP then runs single-threaded, which makes it
    deterministic)."""
    min_umap_points: int = 15
    """Below this many items UMAP is unreliable; PCA is used instead (with a notice)."""
    n_epochs: int | None = 200
    """UMAP optimisation epochs. 200 (umap-learn's own choice above 10k items) halves the fit time of a 10k
    catalog compared with ``None`` (umap-learn's choice: 500 up to 10k items) with a visually equivalent
    map."""
    knn_k: int = 10
    """Neighbours used by the ``"knn"`` placement (new points after a cache hit, items outside the
    subsample)."""
    numba_threads: int | None = None
    """If set, ``numba.set_num_threads`` is called with it (capped at the cores numba sees) before fitting;
    ``None`` leaves numba's default (all cores)."""
    cache_dir: str | Path | None = None
    """Folder for the on-disk coordinate cache (``.npz``, no pickle). ``None`` disables the disk cache."""

    def validate(self) -> ProjectionConfig:
        """Check every field; raise :class:`ProjectionError` naming the bad value and the valid choices."""
        if self.method not in METHODS:
            raise ProjectionError(f"method={self.method!r} is not supported; choose one of {list(METHODS)}")
        if self.n_components not in (2, 3):
            raise ProjectionError(f"n_components={self.n_components!r} is not supported; choose 2 or 3")
        if not isinstance(self.n_neighbors, int) or self.n_neighbors < 2:
            raise ProjectionError(f"n_neighbors={self.n_neighbors!r} must be an integer >= 2 (typical 5-50)")
        if not 0.0 <= float(self.min_dist) <= 1.0:
            raise ProjectionError(f"min_dist={self.min_dist!r} must be between 0.0 and 1.0")
        if not isinstance(self.max_points, int) or self.max_points < self.min_umap_points:
            raise ProjectionError(
                f"max_points={self.max_points!r} must be an integer >= min_umap_points "
                f"({self.min_umap_points})"
            )
        if self.place_rest not in REST_PLACEMENTS:
            raise ProjectionError(
                f"place_rest={self.place_rest!r} is not supported; choose one of {list(REST_PLACEMENTS)}"
            )
        if not isinstance(self.knn_k, int) or self.knn_k < 1:
            raise ProjectionError(f"knn_k={self.knn_k!r} must be an integer >= 1")
        if self.n_epochs is not None and (not isinstance(self.n_epochs, int) or self.n_epochs < 1):
            raise ProjectionError(f"n_epochs={self.n_epochs!r} must be None or an integer >= 1")
        threads = self.numba_threads
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ProjectionError(f"numba_threads={self.numba_threads!r} must be None or an integer >= 1")
        return self

    def key_fields(self) -> dict[str, Any]:
        """Fields that change the coordinates (used in the cache key; ``cache_dir`` and threads excluded)."""
        d = asdict(self)
        for name in ("cache_dir", "numba_threads"):
            d.pop(name, None)
        return d


@dataclass
class _PCAState:
    mean: np.ndarray  # (d,)
    components: np.ndarray  # (k, d), rows may be zero when the rank is below k

    def transform(self, x: np.ndarray) -> np.ndarray:
        return ((x.astype(np.float64) - self.mean) @ self.components.T).astype(np.float32)


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
        self._n_neighbors_used: int | None = None

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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray(self._model.transform(q), dtype=np.float32)
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
        import umap  # heavy: numba, pynndescent, sklearn

        cfg = self.config
        _set_numba_threads(cfg.numba_threads)
        n = x.shape[0]
        if n > cfg.max_points:
            rng = np.random.default_rng(cfg.seed)
            idx = np.sort(rng.choice(n, size=cfg.max_points, replace=False))
        else:
            idx = np.arange(n)
        train = x[idx]
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
            emb = np.asarray(model.fit_transform(train), dtype=np.float32)
        coords = np.empty((n, cfg.n_components), dtype=np.float32)
        coords[idx] = emb
        self._model = model
        self.method_used = "umap"
        self.fit_indices = idx
        self._n_neighbors_used = n_neighbors
        self.coords = coords
        if len(idx) < n:
            rest = np.setdiff1d(np.arange(n), idx, assume_unique=True)
            if cfg.place_rest == "transform":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    coords[rest] = np.asarray(model.transform(x[rest]), dtype=np.float32)
                how = "UMAP transform"
            else:
                coords[rest] = self._knn_place(x[rest], train_rows=idx)
                how = "nearest neighbours"
            if announce:
                self.notices.append(f"Fitted on {len(idx):,} of {n:,} items; the rest placed by {how}.")
        if announce and n_neighbors < cfg.n_neighbors:
            self.notices.append(f"Small catalog: UMAP neighbourhood reduced to {n_neighbors} items.")
        # Prepare the transform path now (pynndescent builds its search graph on first query) so the first
        # typed profile is placed quickly.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.transform(train[:1])

    def _fit_pca(self, x: np.ndarray) -> None:
        k = self.config.n_components
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
        self._pca = _PCAState(mean=mean, components=comps)
        self.coords = self._pca.transform(x)
        self.method_used = "pca"
        self.fit_indices = np.arange(n)

    def _knn_place(self, q: np.ndarray, train_rows: np.ndarray | None = None) -> np.ndarray:
        """Weighted mean of the map positions of the ``knn_k`` most cosine-similar fitted items."""
        assert self._vectors is not None and self.coords is not None
        if train_rows is None:
            if self._unit is None:
                self._unit = _unit_rows(self._vectors)
            base, base_coords = self._unit, self.coords
        else:
            base, base_coords = _unit_rows(self._vectors[train_rows]), self.coords[train_rows]
        qu = _unit_rows(q)
        k = int(min(self.config.knn_k, base.shape[0]))
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

    # ------------------------------------------------------------------ disk cache (npz, no pickle)
    def _cache_path(self) -> Path | None:
        if self.config.cache_dir is None or self.cache_key is None:
            return None
        return Path(self.config.cache_dir) / f"projection-{self.cache_key}.npz"

    def _load_cache(self) -> bool:
        path = self._cache_path()
        if path is None or not path.is_file():
            return False
        try:
            with np.load(path, allow_pickle=False) as z:
                coords = np.asarray(z["coords"], dtype=np.float32)
                method = str(z["method"])
                notices = [str(s) for s in z["notices"]]
                fit_indices = np.asarray(z["fit_indices"], dtype=np.int64)
                pca = _PCAState(z["pca_mean"], z["pca_components"]) if method == "pca" else None
        except Exception:  # noqa: BLE001 - a corrupt cache file is just a miss
            return False
        assert self._vectors is not None
        if coords.shape != (self._vectors.shape[0], self.config.n_components):
            return False
        self.coords, self.method_used, self.fit_indices, self._pca = coords, method, fit_indices, pca
        self.notices = notices
        return True

    def _save_cache(self) -> None:
        path = self._cache_path()
        if path is None or self.coords is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
            d = self._vectors.shape[1] if self._vectors is not None else 0
            pca_mean = self._pca.mean if self._pca is not None else np.zeros(d)
            pca_comp = self._pca.components if self._pca is not None else np.zeros((0, d))
            np.savez(
                tmp,
                coords=self.coords,
                method=np.array(self.method_used),
                notices=np.array(self.notices, dtype=str),
                fit_indices=self.fit_indices if self.fit_indices is not None else np.arange(0),
                pca_mean=pca_mean,
                pca_components=pca_comp,
            )
            os.replace(tmp, path)
        except OSError:
            pass  # read-only / full disk: the map still works, only uncached


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
    paths = (False,) if n_items is not None and n_items < _UMAP_SMALL_DATA else (False, True)
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


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def _cache_key(x: np.ndarray, cfg: ProjectionConfig) -> str:
    try:
        import umap

        umap_version = getattr(umap, "__version__", "?")
    except Exception:  # noqa: BLE001
        umap_version = "none"
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps({"format": _CACHE_FORMAT, "umap": umap_version, "shape": list(x.shape),
                         "config": cfg.key_fields()}, sort_keys=True, default=str).encode())
    h.update(np.ascontiguousarray(x, dtype=np.float32).tobytes())
    return h.hexdigest()


def _set_numba_threads(n: int | None) -> None:
    if n is None:
        return
    import numba

    numba.set_num_threads(max(1, min(int(n), int(numba.config.NUMBA_NUM_THREADS))))

