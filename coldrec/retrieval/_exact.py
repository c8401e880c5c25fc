"""Exact inner-product search: the baseline of the ANN index and the recall path below its threshold.

:func:`exact_top_k` is a matrix product plus ``argpartition``; :func:`single_thread_blas` keeps a single query's
matrix-vector product on one BLAS thread (it is memory-bound, and a second thread on a busy small machine only
waits). :mod:`coldrec.retrieval._index` re-exports both, and answers filtered ANN queries with them when the allowed rows
are few; :func:`coldrec.retrieval._recall.top_n` uses them below :data:`coldrec.retrieval._index.EXACT_THRESHOLD`.

Example:
    >>> import numpy as np
    >>> rows, scores = exact_top_k(np.eye(3, dtype=np.float32), np.array([0.1, 0.9, 0.2]), 2)
    >>> rows.tolist()
    [1, 2]
"""

from __future__ import annotations

import numpy as np

from coldrec.encoders._threads import single_thread_blas

__all__ = ["exact_top_k", "single_thread_blas"]


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, chunk: int = 262_144
                ) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top-k (matmul + argpartition), best first. The baseline of the ANN index.

    Args:
        vectors: (n, d) float32 rows.
        queries: (d,) or (q, d).
        k: neighbours per query.
        chunk: rows scored at a time (bounds the temporary memory for large q).

    Returns:
        (rows, scores), each (q, k) — or (k,) for a 1-d query.
    """
    q = np.asarray(queries, dtype=np.float32)
    single = q.ndim == 1
    q = q.reshape(1, -1) if single else q
    n = vectors.shape[0]
    k = min(k, n)
    if k <= 0:
        e = np.zeros((q.shape[0], 0))
        return (e[0].astype(np.int64), e[0].astype(np.float32)) if single else (e.astype(np.int64), e)
    if q.shape[0] == 1:
        with single_thread_blas():
            s = vectors @ q[0]
        part = np.argpartition(-s, k - 1)[:k]
        part = part[np.argsort(-s[part], kind="stable")]
        rows, scores = part[None, :], s[part][None, :]
    else:
        rows_l, scores_l = [], []
        step = max(1, chunk // max(1, k))
        step = max(1, min(step, int(2**28 // max(1, n * 4))))  # at most ~256 MB of scores at a time
        for a in range(0, q.shape[0], step):
            S = q[a:a + step] @ vectors.T
            part = np.argpartition(-S, k - 1, axis=1)[:, :k]
            ps = np.take_along_axis(S, part, 1)
            o = np.argsort(-ps, axis=1, kind="stable")
            rows_l.append(np.take_along_axis(part, o, 1))
            scores_l.append(np.take_along_axis(ps, o, 1))
        rows, scores = np.concatenate(rows_l), np.concatenate(scores_l)
    rows = rows.astype(np.int64)
    scores = scores.astype(np.float32)
    return (rows[0], scores[0]) if single else (rows, scores)
