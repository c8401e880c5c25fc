"""Maps fitted in the background (ui/loading.py threads): the fitted map when it is ready, a PCA preview until then.

No Streamlit cache here: a fitted :class:`coldrec.analysis.Projection` is kept once per process by its load key.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ui.loading import _LOADS, _LOADS_LOCK, _submit, background
from ui.resources import encoder

MAP_CONFIG = dict(max_points=10_000, place_rest="knn")  # app maps: 10k-item UMAP fit, the rest by neighbours


def _fit_map(content_key: str, dims: int, method: str, vectors: np.ndarray) -> Any:
    from coldrec.encoders import default_cache_dir
    from coldrec.analysis import Projection, ProjectionConfig

    cfg = ProjectionConfig(method=method, n_components=dims, cache_dir=default_cache_dir() / "projections",
                           **MAP_CONFIG)
    return Projection(cfg).fit(np.asarray(vectors))


def _map_key(content_key: str, dims: int, method: str) -> tuple:
    return ("map", content_key, encoder().name, int(dims), method)


def projection(content_key: str, vectors: np.ndarray, dims: int = 2, method: str = "umap") -> Any:
    """A fitted :class:`coldrec.analysis.Projection`, one per content + model + settings, kept in memory (waits
    for the fit).

    ``content_key`` names what ``vectors`` hold (a workspace key such as ``demo:news`` or ``upload:<hash>``), so
    a rerun does not hash the vectors again."""
    key = _map_key(content_key, dims, method)
    return background(key, f"Fitting the {method.upper()} map", _fit_map, content_key, int(dims), method, vectors)


def projection_or_preview(content_key: str, vectors: np.ndarray, dims: int = 2,
                          method: str = "umap") -> tuple[Any, float | None]:
    """``(map, None)`` when the ``method`` map is ready; else ``(PCA preview, seconds the fit has run)`` while
    the UMAP map fits in a background thread (the page polls and swaps it in)."""
    key = _map_key(content_key, dims, method)
    fut = _submit(key, f"Fitting the {method.upper()} map", _fit_map, content_key, int(dims), method, vectors)
    if fut.done() or method == "pca":
        return fut.result(), None
    with _LOADS_LOCK:
        started = _LOADS[key][1] if key in _LOADS else time.perf_counter()
    return projection(content_key, vectors, dims, "pca"), time.perf_counter() - started
