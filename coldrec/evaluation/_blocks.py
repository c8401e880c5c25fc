"""Scoring in blocks of users so memory stays bounded: no dense users × items matrix of the whole test set, no
users × items × d array, no items × items co-occurrence matrix.

A protocol describes each method as a function of a block of user rows returning that block's scores over all
candidates; :func:`evaluate_in_blocks` runs every method block by block and accumulates the metrics, so the
result is the same (to the bit) as scoring all users at once.
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from coldrec.evaluation._common import _Evaluator

__all__ = ["BLOCK_BYTES", "block_rows", "iter_blocks", "ItemCosine", "evaluate_in_blocks"]

BLOCK_BYTES = 64 * 2 ** 20
"""Default budget of one block's float64 score matrix (rows × candidates × 8 bytes)."""


def block_rows(n_cand: int, block_users: int | None = None, budget: int = BLOCK_BYTES) -> int:
    """Users per block: ``block_users`` when given (>= 1), else as many as fit ``budget`` bytes of float64 scores."""
    if block_users is not None:
        return max(1, int(block_users))
    return max(1, budget // max(1, 8 * int(n_cand)))


def iter_blocks(n: int, size: int) -> Iterator[np.ndarray]:
    """Consecutive row positions ``[0, size), [size, 2 size), ...`` covering ``range(n)``."""
    for s in range(0, n, size):
        yield np.arange(s, min(s + size, n))


class ItemCosine:
    """Item-item cosine of the columns of a sparse user × item matrix, computed by rows on demand.

    ``sim[rows]`` is the dense ``(len(rows), n_items)`` float32 block of what ``_item_cosine`` returns as a whole
    (diagonal zeroed), so a protocol can index it like that matrix without holding items × items.
    """

    def __init__(self, R) -> None:
        from sklearn.preprocessing import normalize

        self._rn = normalize(R.tocsr().astype(np.float32), axis=0).tocsr()
        self._rnt = self._rn.T.tocsr()
        self.shape = (R.shape[1], R.shape[1])

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        out = (self._rnt[rows] @ self._rn).toarray().astype(np.float32)
        out[np.arange(len(rows)), rows] = 0.0
        return out


Scorer = Callable[[np.ndarray, dict], np.ndarray]


def evaluate_in_blocks(scorers: Mapping[str, Scorer], n_users: int, cand_items: np.ndarray,
                       targets: Sequence[set], ks: Sequence[int], seed: int,
                       exclude: Sequence[Sequence[int]] | None = None, jitter: Sequence[str] = (),
                       block_users: int | None = None) -> dict[str, dict[str, float]]:
    """Metrics of each method, scored ``block_users`` users at a time.

    Args:
        scorers: method name → ``f(rows, memo)`` returning the ``(len(rows), n_cand)`` scores of those user rows;
            ``memo`` is a dict shared by the methods within one block (a hybrid reuses its parts' scores).
        n_users: rows to score (``targets`` and ``exclude`` are indexed by row).
        cand_items: the candidate ids the columns stand for.
        targets: per row, the relevant candidate ids.
        seed: each method's evaluator draws its tie-breaking jitter from ``default_rng(seed)``, as an unblocked
            evaluation does, so results do not depend on the block size.
        exclude: per row, columns to rank last (e.g. the liked items a cold user was described by).
        jitter: methods whose scores have ties (counts) and get random tie-breaking.
        block_users: users per block (default: :func:`block_rows` of the candidate count).
    """
    evs = {m: _Evaluator(ks, cand_items, np.random.default_rng(seed)) for m in scorers}
    size = block_rows(len(cand_items), block_users)
    for rows in iter_blocks(n_users, size):
        memo: dict = {}
        tg = [targets[r] for r in rows]
        ex = None if exclude is None else [exclude[r] for r in rows]
        for m, f in scorers.items():
            evs[m].add(f(rows, memo), tg, ex, m in jitter)
    return {m: ev.result() for m, ev in evs.items()}
