"""Ranking metrics and list-comparison measures.

Per-user functions take a ranked list (best first) and the set of relevant items:

* :func:`recall_at_k` = hits in the top k / number of relevant items (Heater/DropoutNet definition; with one
  target it is the hit rate).
* :func:`ndcg_at_k` = DCG@k / IDCG@k with binary gains, ``DCG = sum 1/log2(rank + 1)`` over hits at ranks
  1..k and ``IDCG`` the DCG of ``min(k, |relevant|)`` hits at the top.

:func:`topk_rows` and :func:`ranking_metrics` evaluate many users at once from a score matrix.
List comparison for the what-if tools: :func:`jaccard`, :func:`overlap_at_k` (rank-biased overlap lives in
:mod:`coldrec.analysis`, which handles lists of different lengths).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from coldrec.errors import ColdrecError

__all__ = [
    "MetricError",
    "recall_at_k",
    "ndcg_at_k",
    "hit_rate_at_k",
    "precision_at_k",
    "topk_rows",
    "ranking_metrics",
    "MetricAccumulator",
    "jaccard",
    "overlap_at_k",
]


class MetricError(ColdrecError):
    """A metric was asked for with a bad argument (k < 1, scores and targets of different lengths)."""


def _check_k(k: int) -> int:
    if int(k) < 1:
        raise MetricError(f"k must be an integer >= 1 (e.g. 10), got {k!r}")
    return int(k)


def recall_at_k(ranked: Sequence, relevant: Iterable, k: int) -> float:
    """Hits among the first ``k`` of ``ranked`` divided by ``len(relevant)`` (0.0 when nothing is relevant)."""
    k = _check_k(k)
    rel = set(relevant)
    if not rel:
        return 0.0
    hits = sum(1 for x in list(ranked)[:k] if x in rel)
    return hits / len(rel)


def precision_at_k(ranked: Sequence, relevant: Iterable, k: int) -> float:
    """Hits among the first ``k`` divided by ``k``."""
    k = _check_k(k)
    rel = set(relevant)
    return sum(1 for x in list(ranked)[:k] if x in rel) / k


def hit_rate_at_k(ranked: Sequence, relevant: Iterable, k: int) -> float:
    """1.0 if any relevant item is in the first ``k``, else 0.0."""
    k = _check_k(k)
    rel = set(relevant)
    return float(any(x in rel for x in list(ranked)[:k]))


def _discounts(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, n + 2))


def ndcg_at_k(ranked: Sequence, relevant: Iterable, k: int) -> float:
    """Binary-gain NDCG@k; the ideal list puts ``min(k, |relevant|)`` hits first. 0.0 when nothing is relevant."""
    k = _check_k(k)
    rel = set(relevant)
    if not rel:
        return 0.0
    top = list(ranked)[:k]
    disc = _discounts(k)
    dcg = sum(disc[i] for i, x in enumerate(top) if x in rel)
    idcg = disc[: min(k, len(rel))].sum()
    return float(dcg / idcg)


def topk_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` largest scores per row, best first (``(n, k)``; k is clipped to the width).

    Ties are broken by the lower column index (stable); callers that want random tie-breaking add jitter.
    """
    scores = np.asarray(scores)
    if scores.ndim == 1:
        scores = scores[None, :]
    k = min(_check_k(k), scores.shape[1])
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    sub = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -sub), axis=1) if sub.size else np.zeros_like(part)
    return np.take_along_axis(part, order, axis=1)


class MetricAccumulator:
    """Accumulates per-user Recall@k and NDCG@k over batches; :meth:`result` averages over users.

    Users with no relevant items are skipped (not counted as zeros).
    """

    def __init__(self, ks: Sequence[int]) -> None:
        self.ks = sorted({_check_k(k) for k in ks})
        self.sums = {f"{m}@{k}": 0.0 for k in self.ks for m in ("recall", "ndcg")}
        self.users = 0
        self._disc = _discounts(max(self.ks))
        self._idcg = np.cumsum(self._disc)

    def add(self, top: np.ndarray, relevant: Sequence[Iterable]) -> None:
        """``top``: ``(n, >=max k)`` ranked item ids per user; ``relevant``: per user a collection of ids."""
        kmax = max(self.ks)
        top = np.asarray(top)
        for row, rel in zip(top, relevant):
            rel = set(int(r) for r in rel) if not isinstance(rel, set) else rel
            if not rel:
                continue
            hits = np.fromiter((x in rel for x in row[:kmax].tolist()), dtype=bool, count=min(kmax, len(row)))
            gains = hits * self._disc[: len(hits)]
            cum_hits = np.cumsum(hits)
            cum_dcg = np.cumsum(gains)
            for k in self.ks:
                kk = min(k, len(hits))
                h = cum_hits[kk - 1] if kk else 0
                d = cum_dcg[kk - 1] if kk else 0.0
                self.sums[f"recall@{k}"] += h / len(rel)
                self.sums[f"ndcg@{k}"] += d / self._idcg[min(k, len(rel)) - 1]
            self.users += 1

    def result(self) -> dict[str, float]:
        n = max(self.users, 1)
        out: dict[str, float] = {}
        for k in self.ks:
            out[f"recall@{k}"] = round(self.sums[f"recall@{k}"] / n, 6)
            out[f"ndcg@{k}"] = round(self.sums[f"ndcg@{k}"] / n, 6)
        return out


def ranking_metrics(scores: np.ndarray, relevant: Sequence[Iterable], ks: Sequence[int],
                    item_ids: np.ndarray | None = None) -> dict[str, float]:
    """Mean Recall@k / NDCG@k for a score matrix ``(n_users, n_items)`` (``-inf`` = excluded).

    ``item_ids`` maps columns to the ids used in ``relevant`` (default: column index).
    """
    top = topk_rows(scores, max(ks))
    if item_ids is not None:
        top = np.asarray(item_ids)[top]
    acc = MetricAccumulator(ks)
    acc.add(top, relevant)
    return acc.result()


def jaccard(a: Iterable, b: Iterable) -> float:
    """|a ∩ b| / |a ∪ b| (1.0 for two empty sets)."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def overlap_at_k(a: Sequence, b: Sequence, k: int) -> float:
    """|top-k(a) ∩ top-k(b)| / k."""
    k = _check_k(k)
    return len(set(list(a)[:k]) & set(list(b)[:k])) / k

