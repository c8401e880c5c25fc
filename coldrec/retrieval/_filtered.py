"""Filtered ANN search: recall's allowed mask and excluded rows on top of an index that knows neither.

Example:
    >>> import numpy as np
    >>> X = np.eye(4, dtype=np.float32)
    >>> def search(q, k):
    ...     s = X @ q
    ...     rows = np.argsort(-s)[:k]
    ...     return rows, s[rows]
    >>> filtered_search(search, 4, X[1] + 0.5 * X[2] + 0.2 * X[0], 2, exclude=[1])[0].tolist()
    [2, 0]
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from coldrec.retrieval._exact import exact_top_k

__all__ = ["EXACT_SUBSET", "filtered_search"]

#: A filtered query whose allowed rows are at most this many is answered exactly (≈ 5 ms single-threaded).
EXACT_SUBSET = 50_000


def filtered_search(search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]], n: int, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None,
                    exclude: Iterable[int] = (), vectors: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Top-k for one query with recall's filters (allowed mask, excluded rows).

    The index is asked for more than k (k + excluded, scaled by the allowed fraction) and the survivors
    are kept. With ``vectors`` given, the allowed rows are scored exactly instead when they are at most
    :data:`EXACT_SUBSET` (a category filter: exact is then both cheaper and exact), or when too few survive.

    Args:
        search: the index's ``search(query, k) -> (rows, scores)``.
        n: rows in the index.
        query: (d,) user vector.
        k: results wanted.
        allowed: (n,) bool mask of rows that may be returned.
        exclude: rows never returned.
        vectors: the (n, d) rows, for the exact fallbacks.
    """
    ex = np.fromiter((int(r) for r in exclude), dtype=np.int64)
    frac = 1.0
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=bool)
        frac = max(float(allowed.mean()), 1e-6)
    want = int(min(n, np.ceil((k + ex.size) / frac * 1.5) + 10))
    if allowed is not None and vectors is not None and int(allowed.sum()) <= EXACT_SUBSET:
        rows = np.flatnonzero(allowed)
        if ex.size:
            rows = np.setdiff1d(rows, ex, assume_unique=False)
        r, s = exact_top_k(vectors[rows], query, k)
        return rows[r], s
    rows, scores = search(query, want)
    keep = np.ones(rows.shape[0], dtype=bool)
    if ex.size:
        keep &= ~np.isin(rows, ex)
    if allowed is not None:
        keep &= allowed[rows]
    rows, scores = rows[keep][:k], scores[keep][:k]
    if rows.shape[0] < k and vectors is not None:
        mask = np.ones(n, dtype=bool) if allowed is None else allowed.copy()
        if ex.size:
            mask[ex] = False
        cand = np.flatnonzero(mask)
        r, s = exact_top_k(vectors[cand], query, k)
        return cand[r], s
    return rows, scores
