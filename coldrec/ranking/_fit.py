""":meth:`coldrec.ranking.MLPRanker.fit`: candidate sets from users' profile vectors, then the shared loop.

Each training example is (user, positive item). Its candidates are the positive, half hard negatives drawn from
the user's explicit negatives and cosine recall (top ``recall_n``, the user's profile items left out, as at
serving) and half uniform ones. The scalars are the app's (:data:`coldrec.ranking._features.APP_SCALARS`),
computed by :meth:`MLPRanker.scalar_features` — the same function :meth:`MLPRanker.score` calls at serving.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.metrics import MetricAccumulator, topk_rows
from coldrec.ranking._trainer import rerank, sample_negatives

__all__ = ["fit_from_profiles", "recall_candidates"]


def recall_candidates(item_vectors: np.ndarray, user_vectors: np.ndarray, n: int,
                      exclude: Sequence[Sequence[int]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cosine scores ``(u, m)`` (excluded rows at -inf) and each user's top-``n`` rows, best first."""
    zs = (np.asarray(user_vectors, np.float32) @ np.asarray(item_vectors, np.float32).T).astype(np.float64)
    if exclude is not None:
        for r, ex in enumerate(exclude):
            if len(ex):
                zs[r, np.asarray(ex, dtype=np.int64)] = -np.inf
    return zs, topk_rows(zs, min(n, zs.shape[1]))


def _check(item_vectors, user_vectors, positives, extra: dict) -> None:
    if item_vectors.ndim != 2 or user_vectors.ndim != 2 or item_vectors.shape[1] != user_vectors.shape[1]:
        raise ColdrecError(f"item_vectors {item_vectors.shape} and user_vectors {user_vectors.shape} must be 2-d "
                           "with the same width.")
    if len(positives) != len(user_vectors):
        raise ColdrecError(f"positives has {len(positives)} users but user_vectors has {len(user_vectors)}.")
    for name, value, n in extra.values():
        if value is not None and len(value) != n:
            raise ColdrecError(f"{name} has {len(value)} entries; expected {n} (one per "
                               f"{'item' if name in ('popularity', 'item_ids') else 'user'}).")


def fit_from_profiles(ranker, item_vectors, user_vectors, positives, popularity=None, negatives=None, liked=None,
                      item_ids=None, progress: Callable[[dict], None] | None = None):
    """Train ``ranker`` (an :class:`coldrec.ranking.MLPRanker`) in place; see :meth:`MLPRanker.fit`."""
    cfg = ranker.config
    E = np.ascontiguousarray(item_vectors, dtype=np.float32)
    U = np.ascontiguousarray(user_vectors, dtype=np.float32)
    m = len(E)
    _check(E, U, positives, {"p": ("popularity", popularity, m), "i": ("item_ids", item_ids, m),
                             "n": ("negatives", negatives, len(U)), "l": ("liked", liked, len(U))})
    pos = [np.asarray(p, dtype=np.int64) for p in positives]
    with_pos = [u for u, p in enumerate(pos) if len(p)]
    if not with_pos:
        raise ColdrecError("No training user has a positive item: nothing to learn from.")
    counts = np.zeros(m, np.float32) if popularity is None else np.maximum(np.asarray(popularity, np.float32), 0)
    ranker.pop_scale = float(np.log1p(max(float(counts.max(initial=0)), 1.0)))
    ranker.item_ids = [str(i) for i in item_ids] if item_ids is not None else None
    ranker.item_popularity = counts.copy() if item_ids is not None else None
    rng = np.random.default_rng(cfg.seed)
    perm = rng.permutation(with_pos)
    n_val = int(round(len(perm) * cfg.val_fraction)) if len(perm) >= 5 else 0
    val_users, train_users = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    seen = [np.asarray(x, np.int64) for x in liked] if liked is not None else [np.zeros(0, np.int64)] * len(U)
    _, pools = recall_candidates(E, U, cfg.recall_n, seen)
    hard = [np.concatenate([np.asarray(negatives[u], np.int64), pools[u]]) if negatives is not None
            and len(negatives[u]) else pools[u] for u in range(len(U))]
    pos_sets = [set(p.tolist()) for p in pos]
    pairs = np.array([(u, i) for u in train_users for i in pos[u]], dtype=np.int64).reshape(-1, 2)

    def make_batch(bidx: np.ndarray, r: np.random.Generator):
        rows, targets = pairs[bidx, 0], pairs[bidx, 1]
        neg = sample_negatives([hard[u] for u in rows], [pos_sets[u] | set(seen[u].tolist()) for u in rows], m,
                               cfg.negatives, r)
        cols = np.concatenate([targets[:, None], neg], axis=1)
        I, Ub = E[cols], U[rows]
        return I, Ub, ranker.scalar_features(I, Ub[:, None, :], counts[cols]) if cfg.scalars else \
            np.zeros(cols.shape + (0,), np.float32)

    calls = [0]

    def validate(rk) -> float:
        if not len(val_users):  # too few users to hold some out: every epoch counts as better, the last is kept
            calls[0] += 1
            return float(calls[0])
        zs, top = recall_candidates(E, U[val_users], cfg.recall_n, [seen[u] for u in val_users])
        I = E[top]
        S = rk.scalar_features(I, U[val_users][:, None, :], counts[top]) if cfg.scalars else \
            np.zeros(top.shape + (0,), np.float32)
        scores = rerank(zs, top, rk.score_batch(I, U[val_users], S))
        acc = MetricAccumulator([10])
        acc.add(topk_rows(scores, 10), [pos_sets[u] for u in val_users])
        return acc.result()["ndcg@10"]

    ranker.fit_batches(make_batch, len(pairs), validate, dim=E.shape[1], progress=progress)
    if not n_val:  # the epoch counter stood in for a validation score: not a metric to show
        ranker.history = [{k: v for k, v in h.items() if k != "val"} for h in ranker.history]
    best = max((h.get("val", -1.0) for h in ranker.history), default=None)
    ranker.trained_on.update({"users": len(with_pos), "items": m, "val_users": int(len(val_users)),
                              "validation": "ndcg@10 of the held-out users' re-ranked top-recall_n lists",
                              "best_val": float(best) if n_val and best is not None else None})
    return ranker
