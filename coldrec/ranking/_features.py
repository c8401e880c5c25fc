"""The ranker's feature vocabulary: feature sets, objectives, and the scalar features the app computes.

``rich`` rankers read named scalar features, the first of which is the recall score their residual path starts
from. The app, the CLI and the demos use :data:`APP_SCALARS`: ``cosine`` (item · user, the cosine recall score)
and ``log_popularity`` (``log1p(count) / pop_scale`` with the training counts and scale saved in the checkpoint).
The evaluation protocols name their own scalars and pass them to the ranker directly.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["FEATURE_SETS", "OBJECTIVES", "APP_SCALARS", "app_scalars", "log_popularity"]

FEATURE_SETS = ("concat", "rich")
OBJECTIVES = ("listwise", "pointwise")
APP_SCALARS: tuple[str, ...] = ("cosine", "log_popularity")


def log_popularity(popularity: np.ndarray | None, n: int, scale: float) -> np.ndarray:
    """``log1p(count) / scale`` as float32 (negative counts clipped to 0); zeros when ``popularity`` is None.

    ``scale`` is ``log1p(max training count)``, so training items land in [0, 1].

    Example:
        >>> log_popularity(np.array([0, np.e - 1]), 2, 1.0).round(3).tolist()
        [0.0, 1.0]
    """
    if popularity is None:
        return np.zeros(n, dtype=np.float32)
    return (np.log1p(np.maximum(np.asarray(popularity, dtype=np.float32), 0)) / scale).astype(np.float32)


def app_scalars(names: Sequence[str], item_vectors: np.ndarray, user_vectors: np.ndarray,
                logpop: np.ndarray) -> np.ndarray:
    """``(..., len(names))`` scalar features of aligned item/user vectors (``(..., d)`` each).

    Example:
        >>> app_scalars(("cosine", "log_popularity"), np.ones((1, 2)) / 2, np.ones((1, 2)), np.array([0.5]))
        array([[1. , 0.5]], dtype=float32)
    """
    unknown = [n for n in names if n not in APP_SCALARS]
    if unknown:
        raise ColdrecError(
            f"This ranker reads scalar feature(s) {', '.join(map(repr, unknown))}, which only the evaluation protocol "
            f"that trained it computes; coldrec computes {', '.join(APP_SCALARS)} at serving time. Score it with "
            "MLPRanker.score_batch(), or train one for serving with MLPRanker.fit() / coldrec train-ranker.")
    shape = np.asarray(item_vectors).shape[:-1]
    out = np.empty(shape + (len(names),), np.float32)
    for j, name in enumerate(names):
        out[..., j] = np.sum(item_vectors * user_vectors, axis=-1) if name == "cosine" else logpop
    return out
