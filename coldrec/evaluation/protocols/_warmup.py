"""The warm-up study: quality as a function of how many of a user's interactions are known.

For every history length ``s`` in :data:`POINTS` each test user (of a seeded fold over users) shows only ``s``
known items; the targets are hidden from that known part (``rest`` mode: known = the first ``s`` positives, targets
= all later ones; ``last`` mode: known = the ``s`` most recent items before the held-out last one, target = that
one). Methods: popularity, EASE and item-KNN (fitted on the fold's training users only), text-only profiles for
each text side (the language model, the hashing encoder, TF-IDF) and a hybrid
``w·z(text) + wp·z(log pop) + (1−w−wp)·z(CF)`` (CF = EASE or item-KNN) whose weights and CF per history length
are chosen on validation users (training users held out of the CF fit). The
difference between the language-model hybrid and the same hybrid with TF-IDF or hashing text is the language
model's gain at that point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.evaluation._common import recency_weights
from coldrec.retrieval import standardize_rows

POINTS: tuple[int, ...] = (0, 1, 2, 3, 5, 10, 20)
WEIGHTS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0)
# (name, tau, gamma): mean of the item similarities, a soft max-sim, a recency-weighted soft max-sim
TEXT_AGGS: tuple[tuple[str, float | None, float], ...] = (("mean", None, 1.0), ("soft-0.1", 0.1, 1.0),
                                                         ("recency-soft-0.05", 0.05, 0.5))
Progress = Callable[[float, str], None]


@dataclass
class WarmupConfig:
    """Options of :func:`warmup_study`."""

    points: tuple[int, ...] = POINTS
    """Known-interaction counts evaluated (users with fewer are left out of that point)."""
    ks: tuple[int, ...] = (10, 20)
    """Cut-offs of Recall@K and NDCG@K."""
    folds: int = 5
    """Seeded folds over users: each user is a test user exactly once."""
    seed: int = 0
    """Seeds the folds, the validation users and the tie-breaking."""
    val_fraction: float = 0.15
    """Share of each fold's training users held out of the CF fit to choose λ, text aggregation and w(s)."""
    val_folds: int = 1
    """1: one hold-out of ``val_fraction``; more: that many inner folds over the training users, so that every
    training user validates once (each choice pools them; costs one CF fit per inner fold)."""
    l2_grid: tuple[float, ...] = (10.0, 100.0, 1000.0, 10000.0)
    """EASE λ values tried on the first fold's validation users (the choice is kept for the other folds)."""
    weights: tuple[float, ...] = WEIGHTS
    """Hybrid text weights tried per history length (0 = EASE only, 1 = text only)."""
    pop_weights: tuple[float, ...] = (0.0, 0.2, 0.4)
    """Hybrid popularity weights tried with each text weight (the rest of the weight goes to EASE)."""
    min_val_users: int = 20
    """Fewer validation users at a point than this: the hybrid weight of the previous point (0.5 at the first)
    is reused."""
    ranker_features: tuple[str, ...] = ("concat", "rich")
    """Feature sets of the trained coldrec ranker (:class:`coldrec.ranking.MLPRanker`) tried on the validation
    users (the best is the ``ranker`` row); empty = no ranker row."""
    ranker_epochs: int = 8
    """Upper bound on the ranker's epochs (its best epoch is chosen on its own held-out share of the fit users)."""


@dataclass
class TextSide:
    """One text representation: item-item similarity and (optional) user-text-to-item similarity."""

    S: np.ndarray
    """``(n_items, n_items)`` similarity between item texts."""
    U0: np.ndarray | None = None
    """``(n_users, n_items)`` similarity between each user's own text and the items; None = users have no text."""
    kernels: dict = field(default_factory=dict, repr=False, compare=False)
    """``exp((S − 1) / τ)`` per temperature τ, built on first use (see :func:`text_scores`)."""

    def kernel(self, tau: float) -> np.ndarray:
        """``exp((S − 1) / τ)``: the soft max-sim's terms shifted by the largest possible cosine (1), so one
        matrix serves every user; for τ ≥ 0.05 and cosines ≥ −1 no term falls below e⁻⁴⁰ (no float32 underflow)."""
        if tau not in self.kernels:
            self.kernels[tau] = np.exp((self.S - np.float32(1.0)) / np.float32(tau)).astype(np.float32)
        return self.kernels[tau]


@dataclass
class WarmupData:
    """What the study needs from a dataset."""

    name: str
    n_items: int
    seqs: list[np.ndarray]
    """Per user, the positive items oldest first (item indices)."""
    mode: str = "rest"
    """``rest`` (targets = everything after the known prefix) or ``last`` (target = the last item)."""
    text: dict[str, TextSide] = field(default_factory=dict)
    """Text sides by label, e.g. ``lm``, ``tfidf``, ``hash``."""
    item_vectors: np.ndarray | None = None
    """``(n_items, d)`` language-model item vectors the trained ranker reads; None = no ranker row."""
    user_vectors: np.ndarray | None = None
    """``(n_users, d)`` language-model vectors of the users' own text (queries); None = users have no text."""


def split_user(seq: np.ndarray, s: int, mode: str) -> tuple[np.ndarray, set] | None:
    """``(known, targets)`` of one user at ``s`` known interactions, or None when the user has too few.

    ``targets`` never contains a known item.
    """
    seq = np.asarray(seq, dtype=np.int64)
    if mode == "rest":
        if len(seq) <= s:
            return None
        known, rest = seq[:s], seq[s:]
    elif mode == "last":
        hist = seq[:-1]
        if len(seq) < 1 or len(hist) < s:
            return None
        known, rest = hist[len(hist) - s:], seq[-1:]
    else:
        raise ColdrecError(f"unknown warm-up mode {mode!r}; valid choices: rest, last")
    targets = set(rest.tolist()) - set(known.tolist())
    return (known, targets) if targets else None


def split_users(seqs: Sequence[np.ndarray], users: np.ndarray, s: int, mode: str
                ) -> tuple[np.ndarray, list[np.ndarray], list[set]]:
    """The users that have ``s`` known interactions, their known items and their targets."""
    us, known, targets = [], [], []
    for u in users:
        sp = split_user(seqs[u], s, mode)
        if sp is not None:
            us.append(int(u))
            known.append(sp[0])
            targets.append(sp[1])
    return np.array(us, dtype=np.int64), known, targets


def text_scores(side: TextSide, users: np.ndarray, known: Sequence[np.ndarray], agg: tuple[str, float | None, float],
                desc_weight: float = 0.0) -> np.ndarray | None:
    """Text-only scores ``(len(users), n_items)``; None when nobody has a known item and users have no text."""
    n = side.S.shape[0]
    lengths = np.array([len(k) for k in known], dtype=np.int64)
    has = lengths > 0
    if not has.any() and side.U0 is None:
        return None
    out = np.zeros((len(users), n), dtype=np.float32)
    if has.any():
        out[has] = _history_text(side, [known[i] for i in np.flatnonzero(has)], agg)
    if side.U0 is not None:
        u0 = side.U0[users]
        out[~has] = u0[~has]
        if desc_weight:
            out[has] += desc_weight * u0[has]
    return out


def _history_text(side: TextSide, lk: list[np.ndarray], agg: tuple[str, float | None, float]) -> np.ndarray:
    """:func:`history_scores` of the users' known items, as one sparse (users × items) weight matrix times ``S``
    (mean) or times ``side.kernel(τ)`` (soft max-sim): no per-call gather or exp of the history rows."""
    import scipy.sparse as sp

    _, tau, gamma = agg
    lens = np.array([len(x) for x in lk], dtype=np.int64)
    w = recency_weights(lens, gamma) if gamma < 1 else np.ones(int(lens.sum()), dtype=np.float32)
    wsum = np.add.reduceat(w, np.concatenate([[0], np.cumsum(lens)[:-1]]))
    W = sp.csr_matrix((w / np.repeat(wsum, lens), np.concatenate(lk), np.concatenate([[0], np.cumsum(lens)])),
                      shape=(len(lk), side.S.shape[0]), dtype=np.float32)
    if tau is None:
        return np.asarray(W @ side.S, dtype=np.float32)
    s = np.asarray(W @ side.kernel(tau), dtype=np.float32)
    return (np.float32(tau) * np.log(np.maximum(s, np.float32(1e-30))) + np.float32(1.0)).astype(np.float32)


# float32: the study holds (users x items) score matrices of every method at every point
_z = partial(standardize_rows, dtype=np.float32)


def blend(text: np.ndarray | None, cf: np.ndarray, w: float, pop: np.ndarray | None = None, wp: float = 0.0
          ) -> np.ndarray:
    """The hybrid: ``w·z(text) + wp·z(log popularity) + (1 − w − wp)·z(cf)`` per user row (z = standardised over
    the items; ``text`` None counts as weight 0)."""
    out = (1.0 - w - wp) * _z(cf)
    if text is not None and w > 0:
        out += w * _z(text)
    if pop is not None and wp > 0:
        out += wp * _z(np.log1p(np.asarray(pop, np.float64))[None, :])
    return out


def weight_pairs(weights: Sequence[float], pop_weights: Sequence[float]) -> list[tuple[float, float]]:
    """The (text weight, popularity weight) pairs tried on validation: both ≥ 0, summing to at most 1."""
    return [(w, p) for w in weights for p in pop_weights if w + p <= 1.0 + 1e-9]


class ValidationSet:
    """Validation users at one point, prepared once so that NDCG@k of many score matrices is cheap."""

    def __init__(self, n_items: int, targets: list[set], known: list[np.ndarray], k: int = 10) -> None:
        b = len(targets)
        self.k = k
        self.penalty = np.zeros((b, n_items), np.float32)
        self.relevant = np.zeros((b, n_items), bool)
        for r, (t, kn) in enumerate(zip(targets, known)):
            self.penalty[r, np.asarray(kn, dtype=np.int64)] = -np.inf
            self.relevant[r, list(t)] = True
        disc = 1.0 / np.log2(np.arange(2, k + 2))
        self.idcg = np.cumsum(disc)[np.minimum(self.relevant.sum(1), k) - 1]
        self.disc = disc

    def ndcg(self, scores: np.ndarray) -> float:
        """Mean NDCG@k of ``scores`` (known items excluded), as :class:`MetricAccumulator` computes it."""
        s = np.asarray(scores, np.float32) + self.penalty
        k = min(self.k, s.shape[1])
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        rows = np.arange(len(s))[:, None]
        top = np.take_along_axis(top, np.argsort(-s[rows, top], axis=1, kind="stable"), 1)
        dcg = (self.relevant[rows, top] * self.disc[:k]).sum(1)
        return float(np.mean(dcg / self.idcg)) if len(s) else 0.0



def user_folds(users: np.ndarray, n_folds: int, seed: int) -> list[np.ndarray]:
    """Seeded partition of ``users`` into ``n_folds`` disjoint test folds."""
    perm = np.random.default_rng(seed).permutation(np.asarray(users))
    return [np.sort(f) for f in np.array_split(perm, n_folds)]
