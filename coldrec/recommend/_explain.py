"""The ordering stages after recall and the reasons that say honestly what moved each item.

Stages, in order: the ranker's order with a bounded lift (:func:`bounded_order`), then the popularity blend and
MMR diversity acting on that final order (:func:`apply_controls`). :func:`explain` names the stage that moved an
item first, then the text match, given only when its cosine reaches a level of :data:`MATCH_LEVELS`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["MATCH_LEVELS", "RANKER_NOTE_MIN", "match_level", "bounded_order", "apply_controls", "explain"]

MATCH_LEVELS: dict[str, float] = {"strong": 0.39, "some": 0.34, "weak": 0.27}
"""Cosine from which a text match is called strong / some / weak (all-MiniLM-L6-v2). Chosen on the shipped demo
data by ``scripts/match_levels.py``: the 99th / 97th / 90th percentile of the cosines between the log users' own
descriptions and every catalog item, averaged over the English demo domains (``tests/test_reasons.py`` recomputes
them). Below ``weak`` a reason never claims a text match. Other encoders have other cosine scales: the levels are
a reading aid calibrated for the default model."""

RANKER_NOTE_MIN = 5
"""Places an item must move for the reason to name the stage (ranker, popularity, diversity) that moved it."""


def match_level(cosine: float) -> str | None:
    """``"strong"``, ``"some"``, ``"weak"`` or ``None`` (no real match) for a cosine.

    Example:
        >>> match_level(0.5), match_level(0.3), match_level(0.1)
        ('strong', 'weak', None)
    """
    for name, floor in MATCH_LEVELS.items():
        if cosine >= floor:
            return name
    return None


def bounded_order(scores: np.ndarray, cosine: np.ndarray, max_lift: int | None, floor: float) -> np.ndarray:
    """Positions (into the recall list) in the ranker's order, where no item rises more than ``max_lift`` places
    above its recall position unless its cosine is at least ``floor``.

    Greedy: each slot takes the best-scored item allowed there (recall position <= slot + ``max_lift``, or a real
    text match). There is always one, since the ``slot + max_lift + 1`` first recalled items cannot all be taken.

    Example:
        >>> bounded_order(np.array([0.1, 0.2, 0.9]), np.array([0.5, 0.5, 0.1]), 1, 0.3).tolist()
        [1, 2, 0]
    """
    n = len(scores)
    if max_lift is None or n == 0:
        return np.argsort(-scores, kind="stable")
    free = cosine >= floor
    taken = np.zeros(n, bool)
    out = np.empty(n, np.int64)
    pos = np.arange(n)
    for slot in range(n):
        ok = ~taken & (free | (pos <= slot + max_lift))
        j = int(np.flatnonzero(ok)[np.argmax(scores[ok])])  # first best on ties: stable
        out[slot], taken[j] = j, True
    return out


def apply_controls(item_vectors: np.ndarray, rows: np.ndarray, popularity: np.ndarray, k: int,
                   pop_weight: float, mmr_lambda: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Reorder a final list ``rows`` (best first) by the popularity blend, then pick ``k`` by MMR.

    Relevance is the list position scaled to [1, 0] (the first item 1, the last 0), so the blend reads the ranker's
    order whatever the ranker's score scale: ``(1 - pop_weight) * relevance + pop_weight * popularity prior``.

    Returns:
        ``(blended, final)``: positions into ``rows`` in the order after the popularity blend (all of them), and
        the ``k`` shown after MMR.
    """
    from coldrec.retrieval import mmr_rerank, popularity_prior

    n = len(rows)
    rel = 1.0 - np.arange(n, dtype=np.float32) / max(1, n - 1)
    if pop_weight:
        rel = (1 - pop_weight) * rel + pop_weight * popularity_prior(popularity)[rows]
    order = np.lexsort((np.arange(n), -rel))
    if mmr_lambda is None or mmr_lambda >= 1:
        return order, order[:k]
    # mmr_rerank picks among the positions given, comparing the items by their own vectors
    return order, mmr_rerank(item_vectors[rows], order, rel[order], k, float(mmr_lambda))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain(item_vectors: np.ndarray, rows: np.ndarray, profile, titles: Sequence[str],
            moves: Sequence[tuple[int, int, int, int]] | None = None,
            votes: tuple[np.ndarray, int] | None = None) -> list[str]:
    """One reason per row: what moved the item first (``moves``: places gained by the ranker, the popularity
    blend and diversity, and its recall position, per row), then the description sentence or liked item it matches best,
    given as a level (strong / some / weak) only when the cosine reaches :data:`MATCH_LEVELS` ``["weak"]``.

    ``votes`` (per row, and the number of log users consulted) is given when the order is the text + log blend:
    the reason then says how many similar users chose the item ("liked by 9 of 30 similar users"), first.

    Example:
        >>> from coldrec.retrieval import UserProfile
        >>> p = UserProfile(np.array([1.0, 0]), ["tea"], np.array([[1.0, 0]]))
        >>> explain(np.array([[1.0, 0], [0, 1.0]]), np.array([0, 1]), p, ["a", "b"], [(0, 0, 0, 1), (30, 0, 0, 33)])
        ['strong match to “tea”', 'lifted by the ranker from #33 · ⚠ no close text match (nearest: “tea”)']
    """
    sources: list[str] = []
    vecs: list[np.ndarray] = []
    if profile.sentence_vectors is not None and len(profile.sentences):
        sources += [f"“{_short(s)}”" for s in profile.sentences]
        vecs.append(profile.sentence_vectors)
    if len(profile.liked_rows):
        sources += [f"your liked “{_short(titles[r], 50)}”" for r in profile.liked_rows]
        vecs.append(item_vectors[profile.liked_rows])
    if sources:
        sims = item_vectors[rows] @ np.concatenate(vecs).T
        best = sims.argmax(axis=1)
        best_sim = sims[np.arange(len(rows)), best]
    else:
        best, best_sim = np.zeros(len(rows), int), item_vectors[rows] @ profile.vector
    out = []
    for i in range(len(rows)):
        ranker, pop, mmr, recall_pos = moves[i] if moves is not None else (0, 0, 0, i + 1)
        parts = []
        if votes is not None and votes[0][i] >= 1:
            moved = f", up from #{recall_pos}" if ranker >= RANKER_NOTE_MIN else ""
            parts.append(f"liked by {int(votes[0][i])} of {votes[1]} similar users{moved}")
        elif ranker >= RANKER_NOTE_MIN:
            parts.append(f"lifted by the ranker from #{recall_pos}" if votes is None
                         else f"lifted by the text + log blend from #{recall_pos}")
        if pop >= RANKER_NOTE_MIN:
            parts.append(f"popular with other users (up {pop})")
        if mmr >= RANKER_NOTE_MIN:
            parts.append(f"adds variety (up {mmr})")
        level = match_level(float(best_sim[i]))
        if level is None:  # never a claimed match; the nearest part is named so the reader can judge
            flag = "⚠ no close text match" if parts else "no close text match"
            parts.append(f"{flag} (nearest: {sources[best[i]]})" if sources else flag)
        elif sources:
            parts.append(f"{level} match to {sources[best[i]]}")
        else:
            parts.append(f"{level} match to your profile")
        out.append(" · ".join(parts))
    return out
