"""Recall (seed §3.2.3): the top-N items by cosine similarity to the user vector.

Plain functions over arrays. Rows of ``item_vectors`` and the query are unit vectors, so cosine is a dot product.
Filters (allowed rows, excluded rows), a popularity blend and MMR diversity are options; everything is tested
against brute force.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["cosine_scores", "top_n", "mmr_rerank", "popularity_prior", "recall_method", "standardize_rows"]


def cosine_scores(item_vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine of every item to the query (rows and query are unit vectors)."""
    q = np.asarray(query, dtype=item_vectors.dtype)
    if q.ndim == 1:  # a matrix-vector product is memory-bound: 1 BLAS thread avoids a ~12 ms wait on 2 busy cores
        from coldrec.retrieval._index import single_thread_blas

        with single_thread_blas():
            return np.asarray(item_vectors @ q, dtype=np.float32)
    return np.asarray(item_vectors @ q, dtype=np.float32)


def recall_method(n_rows: int, *, pop_weight: float = 0.0) -> str:
    """What :func:`top_n` uses for a catalog of ``n_rows``: ``"exact"``, or the ANN kind (``"ivf"``) at and above
    :data:`coldrec.retrieval._index.EXACT_THRESHOLD` rows (a popularity blend always scores exactly)."""
    from coldrec.retrieval._index import recall_method as _method

    return "exact" if pop_weight else _method(n_rows)


def popularity_prior(popularity: np.ndarray) -> np.ndarray:
    """Map interaction counts to [0, 1] by ``log1p(count) / log1p(max)``."""
    pop = np.log1p(np.maximum(np.asarray(popularity, dtype=np.float32), 0))
    top = float(pop.max()) if pop.size else 0.0
    return pop / top if top > 0 else np.zeros_like(pop)


def standardize_rows(x: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """Per-row z-scores over the last axis (a constant row becomes zeros): how the hybrids put cosines, CF scores
    and votes on one scale before they are blended.

    Example:
        >>> standardize_rows(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])).round(3).tolist()
        [[-1.225, 0.0, 1.225], [0.0, 0.0, 0.0]]
    """
    x = np.asarray(x, dtype=np.float64)
    sd = x.std(axis=-1, keepdims=True)
    return ((x - x.mean(axis=-1, keepdims=True)) / np.where(sd > 0, sd, 1.0)).astype(dtype, copy=False)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    finite = np.flatnonzero(np.isfinite(scores))
    n = min(n, finite.size)
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n < finite.size:
        part = finite[np.argpartition(-scores[finite], n - 1)[:n]]
    else:
        part = finite
    # stable tie-break on row number keeps results deterministic
    return part[np.lexsort((part, -scores[part]))].astype(np.int64)


def mmr_rerank(
    item_vectors: np.ndarray, rows: np.ndarray, relevance: np.ndarray, n: int, lam: float
) -> np.ndarray:
    """Maximal marginal relevance: pick ``n`` of ``rows`` trading relevance against similarity to the picked.

    ``score = lam * relevance - (1 - lam) * max cosine to already picked items``; ``lam=1`` is plain relevance.

    Example:
        >>> E = np.array([[1, 0], [0.99, 0.141], [0, 1]], dtype=np.float32)
        >>> mmr_rerank(E, np.arange(3), np.array([1.0, 0.99, 0.5]), 2, lam=0.3).tolist()
        [0, 2]
    """
    if not 0 <= lam <= 1:
        raise ColdrecError(f"MMR lambda must be between 0 and 1, got {lam!r}.")
    rows = np.asarray(rows, dtype=np.int64)
    relevance = np.asarray(relevance, dtype=np.float32)
    n = min(n, rows.size)
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    cand = item_vectors[rows]
    picked = [int(np.argmax(relevance))]
    max_sim = cand @ cand[picked[0]]
    alive = np.ones(rows.size, dtype=bool)
    alive[picked[0]] = False
    while len(picked) < n:
        mmr = lam * relevance - (1 - lam) * max_sim
        mmr[~alive] = -np.inf
        j = int(np.argmax(mmr))
        picked.append(j)
        alive[j] = False
        max_sim = np.maximum(max_sim, cand @ cand[j])
    return rows[np.asarray(picked)]


def top_n(
    item_vectors: np.ndarray,
    query: np.ndarray,
    n: int,
    *,
    allowed: np.ndarray | None = None,
    exclude: Iterable[int] = (),
    mmr_lambda: float | None = None,
    popularity: np.ndarray | None = None,
    pop_weight: float = 0.0,
    scores: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``n`` best rows and their scores, best first.

    Args:
        item_vectors: ``(m, d)`` unit rows.
        query: ``(d,)`` unit user vector.
        n: how many to return (fewer when fewer items pass the filters).
        allowed: boolean mask ``(m,)`` of rows that may be returned (category filter), or ``None`` for all.
        exclude: rows never returned (items the user has already seen or liked).
        mmr_lambda: ``None`` for pure relevance; else MMR diversity over a pool of ``3 n`` with this lambda.
        popularity: interaction counts ``(m,)`` used by ``pop_weight``.
        pop_weight: score = ``(1 - w) * cosine + w * popularity_prior`` (0 = cosine only).
        scores: the cosine of every row, when the caller already has it (:func:`cosine_scores`); the search is
            then exact over it and no matrix product is done again.

    Returns:
        ``(rows, scores)`` where scores are the blended relevance used for ordering.

    ``item_vectors`` may also be a :class:`coldrec.retrieval.MilvusStore`: the search then runs in the store
    (``exclude`` rows and the popularity blend as above; category filters go to ``store.search`` by name, since a
    mask over a store-sized catalog is what the store exists to avoid; MMR is not available there).

    Example:
        >>> E = np.eye(3, dtype=np.float32)
        >>> top_n(E, np.array([0.0, 1.0, 0.0], dtype=np.float32), 2)[0].tolist()
        [1, 0]
    """
    if hasattr(item_vectors, "search") and hasattr(item_vectors, "recall"):  # a vector store (retrieval._milvus)
        if allowed is not None or mmr_lambda is not None:
            raise ColdrecError("A store-backed top_n takes no allowed= mask or mmr_lambda=; pass category names "
                               "to store.search(include_categories=..., exclude_categories=...).")
        return item_vectors.search(query, n, exclude_rows=exclude, popularity=popularity, pop_weight=pop_weight)
    item_vectors = np.asarray(item_vectors)
    if item_vectors.ndim != 2:
        raise ColdrecError(f"item_vectors must be a 2-d matrix, got shape {item_vectors.shape}.")
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    if query.shape[0] != item_vectors.shape[1]:
        raise ColdrecError(
            f"The user vector has {query.shape[0]} dimensions but items have {item_vectors.shape[1]}: "
            "embed users and items with the same model."
        )
    if n < 0:
        raise ColdrecError(f"n must be >= 0, got {n}.")
    if not 0 <= pop_weight <= 1:
        raise ColdrecError(f"pop_weight must be between 0 and 1, got {pop_weight!r}.")
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=bool)
        if allowed.shape != (item_vectors.shape[0],):
            raise ColdrecError(f"allowed mask has shape {allowed.shape}, expected {(item_vectors.shape[0],)}.")
    ex_rows = [int(r) for r in exclude]
    if scores is not None:
        scores = np.asarray(scores, dtype=np.float32).reshape(-1)
        if scores.shape[0] != item_vectors.shape[0]:
            raise ColdrecError(f"scores has {scores.shape[0]} entries but there are {item_vectors.shape[0]} items: "
                               "pass cosine_scores(item_vectors, query) of the same matrix.")
    elif recall_method(item_vectors.shape[0], pop_weight=pop_weight if popularity is not None else 0.0) != "exact":
        from coldrec.retrieval._index import index_for  # ANN above the threshold (built once, cached on disk)

        index = index_for(item_vectors)
        want = n if mmr_lambda is None else n * 3
        rows, scores = index.search_filtered(query, want, allowed=allowed, exclude=ex_rows, vectors=item_vectors)
        if mmr_lambda is None:
            return rows, scores
        rows = mmr_rerank(item_vectors, rows, scores, n, float(mmr_lambda))
        return rows, (item_vectors[rows] @ query).astype(np.float32)
    scores = cosine_scores(item_vectors, query) if scores is None else scores
    if pop_weight and popularity is not None:
        scores = (1 - pop_weight) * scores + pop_weight * popularity_prior(popularity)
    scores = scores.astype(np.float32, copy=True)
    if allowed is not None:
        scores[~allowed] = -np.inf
    ex = np.asarray(ex_rows, dtype=np.int64)
    if ex.size:
        scores[ex] = -np.inf
    if mmr_lambda is None:
        rows = _top(scores, n)
        return rows, scores[rows]
    pool = _top(scores, n * 3)
    rows = mmr_rerank(item_vectors, pool, scores[pool], n, float(mmr_lambda))
    return rows, scores[rows]
