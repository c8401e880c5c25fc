"""Ranker inputs (seed §3.2.4): the feature rows and training pairs of :class:`coldrec.ranking._ranker.MLPRanker`.

Two feature sets, chosen by :attr:`coldrec.ranking._ranker.RankerConfig.features`:

- ``"concat"``: exactly the seed's ``concat(item, user)``;
- ``"rich"``: ``concat(item, user, item * user, |item - user|, cosine, log popularity)`` — the product and the
  difference let a small MLP express similarity directly, and popularity lets it learn what the crowd likes.

Training pairs are (user, item, label) triples: each positive, plus sampled negatives and the explicit ones
(items shown and skipped). :func:`mlp_layers` is the layer stack the features feed, shared by
:mod:`coldrec.ranking._ranker` and the offline evaluation rankers (:mod:`coldrec.evaluation._ranker`); torch is imported only
inside it. The model itself (training, scoring, checkpoints) lives in :mod:`coldrec.ranking._ranker`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["FEATURE_SETS", "feature_dim", "build_features", "log_popularity", "training_pairs", "mlp_layers"]

FEATURE_SETS = ("concat", "rich")


def feature_dim(features: str, dim: int) -> int:
    """Width of the feature vector for item/user vectors of ``dim``.

    Example:
        >>> feature_dim("concat", 8), feature_dim("rich", 8)
        (16, 34)
    """
    return 2 * dim if features == "concat" else 4 * dim + 2


def build_features(
    item_vectors: np.ndarray, user_vectors: np.ndarray, features: str, pop: np.ndarray | None = None
) -> np.ndarray:
    """Feature rows for pairs (``item_vectors[i]``, ``user_vectors[i]``); ``pop`` is log-popularity in [0, 1].

    Example:
        >>> build_features(np.ones((2, 3)), np.zeros((2, 3)), "concat").shape
        (2, 6)
    """
    if features == "concat":
        return np.concatenate([item_vectors, user_vectors], axis=1).astype(np.float32)
    pop = np.zeros(len(item_vectors), dtype=np.float32) if pop is None else pop.astype(np.float32)
    cos = np.sum(item_vectors * user_vectors, axis=1, keepdims=True)
    return np.concatenate(
        [item_vectors, user_vectors, item_vectors * user_vectors, np.abs(item_vectors - user_vectors), cos,
         pop[:, None]],
        axis=1,
    ).astype(np.float32)


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


def training_pairs(
    users: np.ndarray,
    positives: Sequence[Sequence[int]],
    m: int,
    rng: np.random.Generator,
    n_negatives: int,
    sample_p: np.ndarray | None = None,
    negatives: Sequence[Sequence[int]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user rows, item rows, labels) for ``users``: positives, sampled negatives, then explicit negatives.

    Args:
        users: rows of the users to draw pairs for (each must have at least one positive).
        positives: for each user, the rows of items they liked.
        m: catalog size (negatives are drawn from ``range(m)``).
        rng: generator the negatives are drawn with.
        n_negatives: sampled negatives per positive (draws that hit a positive are dropped).
        sample_p: ``(m,)`` sampling probabilities; None = uniform.
        negatives: for each user, rows of items shown and not liked (optional; positives among them are
            dropped).

    Returns:
        Three aligned arrays: user rows, item rows (int64) and float32 labels (1 positive, 0 negative).

    Example:
        >>> u, i, y = training_pairs(np.array([0]), [[2]], 5, np.random.default_rng(0), 0, negatives=[[1, 2]])
        >>> u.tolist(), i.tolist(), y.tolist()
        ([0, 0], [2, 1], [1.0, 0.0])
    """
    us, its, ys = [], [], []
    for u in users:
        p = np.asarray(positives[u], dtype=np.int64)
        us.append(np.full(len(p), u))
        its.append(p)
        ys.append(np.ones(len(p), np.float32))
        k = len(p) * n_negatives
        if k:
            s = rng.choice(m, size=k, p=sample_p)
            s = s[~np.isin(s, p)]
            us.append(np.full(len(s), u))
            its.append(s)
            ys.append(np.zeros(len(s), np.float32))
        if negatives is not None and len(negatives[u]):
            nneg = np.asarray(negatives[u], dtype=np.int64)
            nneg = nneg[~np.isin(nneg, p)]
            us.append(np.full(len(nneg), u))
            its.append(nneg)
            ys.append(np.zeros(len(nneg), np.float32))
    return np.concatenate(us), np.concatenate(its), np.concatenate(ys)


def mlp_layers(in_dim: int, hidden: Sequence[int], dropout: float) -> list:
    """The ranker's torch layers: ``[Linear, ReLU, Dropout]`` per hidden size, then ``Linear(·, 1)`` (a logit).

    Shared with the offline evaluation rankers (``coldrec.evaluation._ranker``), which put a factorised first layer in
    front of the same stack.
    """
    import torch.nn as nn

    layers: list = []
    prev = in_dim
    for h in hidden:
        layers += [nn.Linear(prev, h), nn.ReLU(), nn.Dropout(dropout)]
        prev = h
    layers.append(nn.Linear(prev, 1))  # a logit; score() applies the sigmoid
    return layers
