"""The feedback loop (seed §3.2.3 step 3, "wait for the user's feedback"): mark shown items liked or not-for-me,
the profile takes them in, the list re-ranks, and items already shown stay out of the way as in a feed.

:func:`feedback_recommend` is exactly :meth:`Recommender.recommend` with the marked items added to the user's
liked / disliked items, minus the items already shown. :func:`simulate_session` replays a log user who marks the
shown items they really interacted with, round by round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from coldrec.errors import ColdrecError
from coldrec.retrieval import UserInput

STRATEGIES: tuple[str, ...] = ("text+feedback", "feedback-only", "popularity")
"""``text+feedback``: the description starts the session, feedback refines it; ``feedback-only``: popularity
first, then the liked items alone; ``popularity``: the next most popular items every round."""


def _merge(base: Sequence[str], extra: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*map(str, base), *map(str, extra)]))


def feedback_recommend(rec, user: UserInput | str, liked: Sequence[str] = (), disliked: Sequence[str] = (),
                       k: int | None = None, *, shown: Sequence[str] = (), **options) -> pd.DataFrame:
    """The re-ranked list after feedback.

    Equal to ``rec.recommend(UserInput(description, liked=user.liked + liked, disliked=user.disliked + disliked))``
    with the items in ``shown`` (already seen, not marked) taken out of the list; ``options`` go to ``recommend``.
    ``attrs["hidden_shown"]`` counts the shown items kept out of the way.
    """
    base = UserInput(description=user) if isinstance(user, str) else user
    u = UserInput(description=base.description, liked=_merge(base.liked, liked),
                  disliked=_merge(base.disliked, disliked), history=list(base.history))
    k = rec.config.k if k is None else int(k)
    marked = set(u.liked) | set(u.disliked)
    hide = [s for s in dict.fromkeys(map(str, shown)) if s not in marked]
    if not hide:
        return rec.recommend(u, k, **options)
    n = options.pop("n", None)
    n = max(rec.config.n if n is None else int(n), k + len(hide))
    table = rec.recommend(u, k + len(hide), n=n, **options)
    keep = ~table["item_id"].astype(str).isin(hide)
    out = table[keep].head(k).reset_index(drop=True)
    out.attrs.update(table.attrs)
    out.attrs["hidden_shown"] = int((~keep).sum())
    return out


@dataclass
class FeedbackRound:
    """One round of a session: what was shown, what was marked, what entered and left the list."""

    number: int
    shown: list[str]
    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)
    entered: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


@dataclass
class FeedbackSession:
    """A live session: the typed user, every item marked so far, every item shown, and the rounds."""

    user: UserInput
    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    rounds: list[FeedbackRound] = field(default_factory=list)

    def next_list(self, rec, k: int | None = None, **options) -> pd.DataFrame:
        """The list to show now (items already shown kept out), recorded as a new round."""
        table = feedback_recommend(rec, self.user, self.liked, self.disliked, k, shown=self.shown, **options)
        ids = table["item_id"].astype(str).tolist()
        prev = self.rounds[-1].shown if self.rounds else []
        self.rounds.append(FeedbackRound(len(self.rounds) + 1, ids, entered=[i for i in ids if i not in prev],
                                         left=[i for i in prev if i not in ids]))
        self.shown = _merge(self.shown, ids)
        return table

    def mark(self, item_id: str, verdict: str) -> None:
        """Mark a shown item ``liked`` or ``not-for-me`` (a second mark replaces the first)."""
        if verdict not in ("liked", "not-for-me"):
            raise ColdrecError(f"unknown verdict {verdict!r}; valid choices: liked, not-for-me")
        item_id = str(item_id)
        self.liked = [i for i in self.liked if i != item_id]
        self.disliked = [i for i in self.disliked if i != item_id]
        (self.liked if verdict == "liked" else self.disliked).append(item_id)
        if self.rounds:
            r = self.rounds[-1]
            r.liked = [i for i in r.liked if i != item_id]
            r.disliked = [i for i in r.disliked if i != item_id]
            (r.liked if verdict == "liked" else r.disliked).append(item_id)


def _popular_next(rec, k: int, shown: set, tie: np.ndarray, popularity: np.ndarray) -> list[str]:
    ids = rec.catalog.items["item_id"].astype(str).to_numpy()
    order = np.lexsort((tie, -popularity))
    return [ids[i] for i in order if ids[i] not in shown][:k]


def simulate_session(rec, truth: Iterable[str], *, description: str = "", strategy: str = "text+feedback",
                     rounds: int = 5, k: int = 5, seed: int = 0) -> list[int]:
    """Hits per round for a simulated user who likes exactly the shown items in ``truth``.

    Popularity leaves out the user's own interactions (``truth``), so a held-out log user never sees their own
    clicks counted. Deterministic for a seed (popularity ties are broken by a seeded draw).
    """
    if strategy not in STRATEGIES:
        raise ColdrecError(f"unknown strategy {strategy!r}; valid choices: {', '.join(STRATEGIES)}")
    truth = {str(t) for t in truth}
    ids = rec.catalog.items["item_id"].astype(str).to_numpy()
    pop = np.asarray(rec.popularity, np.float64) - np.isin(ids, list(truth))
    tie = np.random.default_rng(seed).random(len(ids))
    shown: list[str] = []
    liked: list[str] = []
    hits = []
    for r in range(rounds):
        use_text = strategy == "text+feedback" and description.strip()
        if strategy == "popularity" or not (use_text or liked):
            now = _popular_next(rec, k, set(shown), tie, pop)
        else:
            user = UserInput(description=description if use_text else "")
            now = feedback_recommend(rec, user, liked, (), k, shown=shown)["item_id"].astype(str).tolist()
        got = [i for i in now if i in truth]
        hits.append(len(got))
        liked += got
        shown += now
    return hits


def simulate_sessions(rec, users: pd.DataFrame, positives: dict[str, set], *, rounds: int = 5, k: int = 5,
                      max_users: int = 50, seed: int = 0, progress=None) -> dict:
    """Mean hits per round of each strategy over up to ``max_users`` seeded log users with a description and
    at least one positive; ``users`` needs ``user_id`` and ``description``."""
    ok = [u for u, d in zip(users["user_id"].astype(str), users["description"].astype(str))
          if d.strip() and positives.get(u)]
    if not ok:
        raise ColdrecError("no log user has both a description and a positive interaction to simulate")
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(ok, min(max_users, len(ok)), replace=False).tolist())
    desc = dict(zip(users["user_id"].astype(str), users["description"].astype(str)))
    per: dict[str, list[list[int]]] = {s: [] for s in STRATEGIES}
    for j, u in enumerate(picked):
        for s in STRATEGIES:
            per[s].append(simulate_session(rec, positives[u], description=desc[u], strategy=s, rounds=rounds, k=k,
                                           seed=seed))
        if progress:
            progress(j + 1, len(picked))
    return {"users": picked, "rounds": rounds, "k": k, "seed": seed,
            "mean_hits": {s: np.mean(v, axis=0).round(4).tolist() for s, v in per.items()},
            "mean_cumulative_hits": {s: np.cumsum(np.mean(v, axis=0)).round(4).tolist() for s, v in per.items()}}


def positives_by_user(frame: pd.DataFrame) -> dict[str, set]:
    """``user_id -> {item_id}`` of the positive rows (``label == 1`` when a label column is present)."""
    if "label" in frame.columns:
        frame = frame[frame["label"] == 1]
    out: dict[str, set] = {}
    for u, i in zip(frame["user_id"].astype(str), frame["item_id"].astype(str)):
        out.setdefault(u, set()).add(i)
    return out
