"""Segment popularity: which items a user likes, given only categorical fields (age bucket, gender, occupation).

A hierarchy of segments, coarse to fine (e.g. age → age × gender → age × gender × occupation), each a Dirichlet
posterior around its parent: ``p_L(i) = (c_L(i) + a_L * p_{L-1}(i)) / (N_L + a_L)`` where ``c_L`` are the liked-item
counts of the user's segment at level ``L``, ``N_L`` their sum and ``a_L`` the level's strength (pseudo-counts of the
parent). Level 0 is global popularity with additive smoothing. A segment with much data follows its own counts; a
tiny or unseen segment falls back to its parent. The strengths are chosen by NDCG@10 on validation users carved from
the training users (:func:`choose_segment_strengths`), never on the users being scored.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["SegmentPopularityConfig", "SegmentPopularity", "choose_segment_strengths", "age_buckets"]


@dataclass(frozen=True)
class SegmentPopularityConfig:
    """Segment levels and the candidate smoothing strengths of :class:`SegmentPopularity`."""

    levels: tuple[tuple[str, ...], ...] = (("age",), ("age", "gender"), ("age", "gender", "occupation"))
    """Segment levels, coarse to fine; each names the user fields whose values define a segment. Each level backs
    off to the one before it, the first to global popularity."""
    strengths: tuple[float, ...] = (1000.0, 3000.0, 10000.0, 30000.0)
    """Candidate Dirichlet strengths (pseudo-counts of the parent distribution) tried for every level."""
    prior: float = 0.5
    """Additive smoothing of the global counts (level 0), so an item nobody liked keeps a small probability."""
    inner_folds: int = 5
    """Folds of the training users for choosing the strengths (each fold is the validation set once)."""

    def __post_init__(self) -> None:
        if not self.levels or any(not lv for lv in self.levels):
            raise ColdrecError(f"SegmentPopularityConfig.levels must be non-empty tuples of field names, got "
                               f"{self.levels!r}; for example (('age',), ('age', 'gender')).")
        if not self.strengths or min(self.strengths) <= 0:
            raise ColdrecError(f"SegmentPopularityConfig.strengths must be positive numbers, got {self.strengths!r}.")
        if self.inner_folds < 2:
            raise ColdrecError(f"SegmentPopularityConfig.inner_folds must be at least 2, got {self.inner_folds!r}.")


def age_buckets(ages: Sequence[int] | np.ndarray, edges: Sequence[int] = (18, 25, 35, 45, 50, 56)) -> np.ndarray:
    """Age bucket index per user: 0 below ``edges[0]``, ``j`` in ``[edges[j-1], edges[j])``.

    The default edges are MovieLens-1M's age groups (under 18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+).

    Example:
        >>> age_buckets([7, 18, 24, 25, 60]).tolist()
        [0, 1, 1, 2, 6]
    """
    return np.searchsorted(np.asarray(edges), np.asarray(ages), side="right")


def _level_keys(fields: Mapping[str, Sequence], levels: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Per level, an integer segment id per user (equal ids = the same values of that level's fields)."""
    missing = sorted({f for lv in levels for f in lv} - set(fields))
    if missing:
        raise ColdrecError(f"Segment field(s) {', '.join(map(repr, missing))} are not among the user fields "
                           f"{', '.join(map(repr, sorted(fields)))}.")
    codes = {f: np.unique(np.asarray(v).astype(str), return_inverse=True)[1].ravel() for f, v in fields.items()}
    keys = []
    for lv in levels:
        stacked = np.stack([codes[f] for f in lv], axis=1)
        keys.append(np.unique(stacked, axis=0, return_inverse=True)[1].ravel())
    return keys


class SegmentPopularity:
    """Hierarchically smoothed popularity per segment of users (see the module docstring).

    Args:
        fields: per user (all users, indexed by user id), the value of each field, e.g. ``{"age": buckets,
            "gender": genders, "occupation": occupations}``.
        user_pos: per user, the ids of the items they liked.
        n_items: number of items.
        levels: the segment levels, coarse to fine (see :class:`SegmentPopularityConfig`).
        prior: additive smoothing of the global counts.
    """

    def __init__(self, fields: Mapping[str, Sequence], user_pos: Sequence[np.ndarray], n_items: int,
                 levels: Sequence[Sequence[str]] = SegmentPopularityConfig.levels, prior: float = 0.5) -> None:
        self.keys = _level_keys(fields, levels)
        self.levels = tuple(tuple(lv) for lv in levels)
        self.n_items = int(n_items)
        self.prior = float(prior)
        self.user_pos = list(user_pos)
        self.counts: list[np.ndarray] = []
        self.fit_users = np.zeros(0, np.int64)

    def _onehot(self, users: np.ndarray) -> np.ndarray:
        Y = np.zeros((len(users), self.n_items))
        for r, u in enumerate(users):
            np.add.at(Y[r], self.user_pos[u], 1.0)
        return Y

    def fit(self, users: np.ndarray) -> "SegmentPopularity":
        """Count the liked items of ``users`` globally and per segment of every level."""
        self.fit_users = np.asarray(users, np.int64)
        Y = self._onehot(self.fit_users)
        self.counts = [Y.sum(0)]
        for key in self.keys:
            C = np.zeros((int(key.max()) + 1, self.n_items))
            np.add.at(C, key[self.fit_users], Y)
            self.counts.append(C)
        return self

    def predict(self, users: np.ndarray, strengths: Sequence[float]) -> np.ndarray:
        """``(len(users), n_items)`` probabilities of each user's finest segment, with strengths per level.

        A user among the fitted users is left out of every count (leave-one-user-out), so no row ever contains its
        own user's liked items.
        """
        if len(strengths) != len(self.keys):
            raise ColdrecError(f"SegmentPopularity.predict needs one strength per level ({len(self.keys)}: "
                               f"{self.levels}), got {len(strengths)}: {tuple(strengths)!r}.")
        users = np.asarray(users, np.int64)
        own = self._onehot(users) * np.isin(users, self.fit_users)[:, None]
        c0 = self.counts[0][None, :] - own + self.prior
        P = c0 / c0.sum(1, keepdims=True)
        for key, C, a in zip(self.keys, self.counts[1:], strengths):
            c = C[key[users]] - own
            P = (c + a * P) / (c.sum(1, keepdims=True) + a)
        return P


def choose_segment_strengths(model: SegmentPopularity, train_users: np.ndarray,
                             cfg: SegmentPopularityConfig | None = None,
                             seed: int = 0) -> tuple[tuple[float, ...], dict]:
    """Strengths per level by mean NDCG@10 over ``cfg.inner_folds`` folds of ``train_users`` only.

    Each inner fold is scored by a model fitted on the other folds. Users with no liked item are skipped.
    Returns ``(strengths, log)``; ``model`` is left fitted on all of ``train_users``.
    """
    from coldrec.metrics import MetricAccumulator, topk_rows

    cfg = cfg or SegmentPopularityConfig()
    train_users = np.asarray(train_users, np.int64)
    parts = np.array_split(np.random.default_rng(seed).permutation(train_users), cfg.inner_folds)
    grid = list(itertools.product(cfg.strengths, repeat=len(model.keys)))
    score = {g: 0.0 for g in grid}
    for j, val in enumerate(parts):
        val = np.array([u for u in val if len(model.user_pos[u])], np.int64)
        if not len(val):
            continue
        model.fit(np.concatenate([p for i, p in enumerate(parts) if i != j]))
        targets = [set(np.asarray(model.user_pos[u]).tolist()) for u in val]
        tie = np.random.default_rng(0).random((len(val), model.n_items)) * 1e-12
        for g in grid:
            acc = MetricAccumulator((10,))
            acc.add(topk_rows(model.predict(val, g) + tie, 10), targets)
            score[g] += acc.result()["ndcg@10"] / cfg.inner_folds
    best = max(grid, key=lambda g: score[g])
    model.fit(train_users)
    log = {"strengths": [float(x) for x in best], "levels": [list(lv) for lv in model.levels],
           "val_ndcg@10": round(float(score[best]), 5)}
    return tuple(float(x) for x in best), log
