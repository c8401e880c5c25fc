"""Settings of a :class:`coldrec.analysis._projection.Projection` and the error it raises.

Kept apart from the fitting code so the settings (and their validation) can be read on their own; everything
here is importable from :mod:`coldrec.analysis._projection`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from coldrec.errors import ColdrecError

__all__ = ["ProjectionConfig", "ProjectionError", "METHODS", "REST_PLACEMENTS", "TRANSFORM_METHODS"]

METHODS = ("umap", "pca")
REST_PLACEMENTS = ("knn", "transform")
TRANSFORM_METHODS = ("umap", "knn", "pca")


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
