"""The seed pipeline glued together: profile → cosine recall → MLP ranking → a table with reasons.

Example:
    >>> from coldrec.encoders import HashEncoder
    >>> from coldrec.demo import load_demo
    >>> demo = load_demo("ecommerce")                                         # doctest: +SKIP
    >>> rec = Recommender.from_catalog(demo.catalog, HashEncoder())           # doctest: +SKIP
    >>> rec.recommend("quiet wireless headphones", k=5)[["title", "reason"]]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from coldrec.errors import ColdrecError
from coldrec.retrieval import ProfileConfig, UserInput, UserProfile, build_profile, build_profiles
from coldrec.retrieval import cosine_scores, recall_method, top_n
from coldrec.recommend._explain import MATCH_LEVELS, RANKER_NOTE_MIN, apply_controls, bounded_order, explain

__all__ = ["Recommender", "RecommendConfig", "RESULT_COLUMNS", "explain", "RANKER_NOTE_MIN"]

RESULT_COLUMNS = [
    "item_id", "title", "category", "recall_rank", "recall_score", "ranker_score", "final_rank", "rank_change",
    "reason",
]


@dataclass
class RecommendConfig:
    """Defaults of :meth:`Recommender.recommend` (each can be overridden per call)."""

    n: int = 50
    """Recall size: candidates taken by cosine before ranking. Larger N gives the ranker more room (and more
    chance to lift popular but off-topic items); the app's slider and ``--n`` override it."""
    k: int = 10
    """Items shown."""
    pop_weight: float = 0.0
    """Popularity blend on the final list (after the ranker): ``(1 - w) * position score + w * log-popularity``,
    the position score running from 1 (first) to 0 (last of the N); 0 = the ranker's order as is."""
    mmr_lambda: float | None = None
    """MMR diversity on the final list (after the ranker and the popularity blend): ``None`` off, 1 = relevance
    only, lower = more varied, 0 = each next item as unlike the ones above as possible."""
    exclude_seen: bool = True
    """Leave out items the user liked or disliked."""
    max_lift: int | None = None
    """Most places the ranker may move an item above its recall position unless the item's cosine to the profile
    is at least ``lift_floor`` (a real text match), so an off-topic item cannot jump from the tail to the top.
    ``None`` (default) lets the ranker reorder the N freely; either way a lifted item without a real match is
    flagged first in its reason ("lifted by the ranker from #35 · ⚠ no close text match"). Off by default because
    the bound costs the shipped demo rankers held-out accuracy (``scripts/measure_lift_bound.py``: at 10, e-commerce
    recall@10 .274 → .181, news .222 → .183) and the trainer's held-out numbers measure the unbounded order."""
    lift_floor: float = MATCH_LEVELS["weak"]
    """Cosine from which the ranker may lift an item without the ``max_lift`` bound (default: the weak text-match
    level of :data:`coldrec.recommend.MATCH_LEVELS`, chosen on the demo data)."""


class Recommender:
    """Recommend catalog items for a cold user from text and a few liked/disliked items.

    Args:
        catalog: a :class:`coldrec.catalog._catalog.Catalog`.
        item_vectors: ``(len(catalog), d)`` unit rows from ``encoder``.
        encoder: the encoder for user texts (same model as the items).
        ranker: a fitted :class:`coldrec.ranking._ranker.MLPRanker`, or ``None`` to rank by cosine.
        popularity: interaction counts per catalog row for the popularity blend (default: the ranker's
            training counts). A ranker's popularity feature always reads the counts saved with it.
        profile_config: weights of the user profile parts.
        config: recall/rank defaults.
        log_evidence: a fitted :class:`coldrec.recommend.LogEvidence` (the log users nearest to the profile vote
            for what they interacted with): the recall adds the ``n`` best-voted items to the ``n`` nearest by
            cosine, and they are ranked by the blend of text and votes. Used instead of a ranker, not with one.
    """

    def __init__(self, catalog, item_vectors: np.ndarray, encoder, ranker=None, popularity: np.ndarray | None = None,
                 profile_config: ProfileConfig | None = None, config: RecommendConfig | None = None,
                 log_evidence=None) -> None:
        if len(item_vectors) != len(catalog):
            raise ColdrecError(
                f"The catalog has {len(catalog)} items but {len(item_vectors)} vectors were given: re-embed it."
            )
        if ranker is not None and hasattr(ranker, "check_fits"):
            # a checkpoint for another catalog, encoder or width is refused, naming what differs
            ranker.check_fits(ids=list(catalog.ids), encoder_name=getattr(encoder, "name", None),
                              dim=item_vectors.shape[1])
        if ranker is not None and log_evidence is not None:
            raise ColdrecError("Give a ranker or log evidence, not both: the ranker's scores and the text + log "
                               "blend are two different orders (pass log_evidence=None to use the ranker).")
        if log_evidence is not None and log_evidence.n_items != len(catalog):
            raise ColdrecError(f"The log evidence was fitted on {log_evidence.n_items} items but the catalog has "
                               f"{len(catalog)}: fit it on this catalog's rows.")
        self.log_evidence = log_evidence
        self.catalog = catalog
        self.item_vectors = np.ascontiguousarray(item_vectors, dtype=np.float32)
        self.encoder = encoder
        self.ranker = ranker
        saved = ranker.popularity_for(list(catalog.ids)) if hasattr(ranker, "popularity_for") else None
        given = None if popularity is None else np.asarray(popularity, dtype=np.float32)
        if given is not None and given.shape != (len(catalog),):
            raise ColdrecError(f"popularity has {given.size} values but the catalog has {len(catalog)} items.")
        self.popularity = given if given is not None else (saved if saved is not None
                                                           else np.zeros(len(catalog), np.float32))
        """Counts of the popularity blend in recall: those given, else the ranker's training counts."""
        self.ranker_popularity = saved if saved is not None else self.popularity
        """Counts the ranker's ``log_popularity`` feature reads: always the training counts saved with a
        checkpoint (items it never saw count 0), so serving sees what training saw."""
        trained_profile = getattr(ranker, "trained_on", {}).get("profile_config") if ranker is not None else None
        self.profile_config = profile_config or (ProfileConfig(**trained_profile) if trained_profile
                                                 else ProfileConfig())
        self.config = config or RecommendConfig()
        self._categories = np.asarray(catalog.items["category"].astype(str).to_numpy())
        self._known_categories = frozenset(self._categories.tolist())  # once, not on every filtered click

    @classmethod
    def from_catalog(cls, catalog, encoder, *, cache=None, ranker=None, popularity=None,
                     progress: Callable[[int, int], None] | None = None, **kwargs) -> "Recommender":
        """Embed the catalog (through the cache when given) and build a recommender."""
        from coldrec.encoders import embed_texts

        vectors = embed_texts(encoder, catalog.texts, cache, progress).vectors
        return cls(catalog, vectors, encoder, ranker=ranker, popularity=popularity, **kwargs)

    @property
    def ranked_by(self) -> str:
        """``mlp-concat`` / ``mlp-rich`` with a ranker, the hybrid with log evidence, else a note that cosine order
        is kept."""
        if self.log_evidence is not None:
            c = self.log_evidence.config
            return f"hybrid: text + {self.log_evidence.k} similar log users (log weight {c.weight:g})"
        return self.ranker.config.method_name if self.ranker is not None else "cosine: no ranker trained"

    def profile(self, user: UserInput | str, config: ProfileConfig | None = None) -> UserProfile:
        """The user's profile (vector and parts) in this catalog's space; ``config`` overrides the weights."""
        return build_profile(user, self.encoder, self.item_vectors, self.catalog.id_to_row,
                             config or self.profile_config)

    def profiles(self, users: Sequence[UserInput | str], config: ProfileConfig | None = None) -> list[UserProfile]:
        """:meth:`profile` for many users, all their texts encoded in one batch."""
        return build_profiles(users, self.encoder, self.item_vectors, self.catalog.id_to_row,
                              config or self.profile_config)

    def recommend_many(self, users: Sequence[UserInput | str], k: int | None = None, **kwargs) -> list[pd.DataFrame]:
        """:meth:`recommend` for each user (same options for all), encoding every user's texts in one batch:
        a fairness probe's 72 personas × variants cost one encoder call instead of one per text."""
        profiles = self.profiles(users, kwargs.pop("profile_config", None))
        return [self.recommend(u, k, profile=p, **kwargs) for u, p in zip(users, profiles)]

    def _allowed(self, categories: Sequence[str] | None, exclude_categories: Sequence[str] | None) -> np.ndarray | None:
        if not categories and not exclude_categories:
            return None
        known = self._known_categories
        for c in list(categories or ()) + list(exclude_categories or ()):
            if c not in known:
                raise ColdrecError(f"Unknown category {c!r}; the catalog has: {', '.join(sorted(known))}.")
        mask = np.isin(self._categories, list(categories)) if categories else np.ones(len(self._categories), bool)
        if exclude_categories:
            mask &= ~np.isin(self._categories, list(exclude_categories))
        return mask

    def recommend(self, user: UserInput | str, k: int | None = None, *, n: int | None = None,
                  categories: Sequence[str] | None = None, exclude_categories: Sequence[str] | None = None,
                  mmr_lambda: float | None = None, pop_weight: float | None = None,
                  exclude_seen: bool | None = None, profile: UserProfile | None = None,
                  profile_config: ProfileConfig | None = None, max_lift: int | None | str = "config") -> pd.DataFrame:
        """Recall ``n`` items by cosine, rank them (the lift bounded by ``max_lift``), apply the popularity blend
        and MMR to that final order, and return the top ``k`` with reasons.

        Returns:
            A DataFrame with :data:`RESULT_COLUMNS` (plus ``log_share`` with log evidence: the share of the
            item's blended score that came from the similar users' votes, the rest from the text);
            ``rank_change`` > 0 means the item ends above its recall
            position, and the reason names the stage that moved it. ``attrs`` holds ``ranked_by``, ``recall``
            ("exact"), ``truncated``, ``warnings``, ``categories`` (distinct categories shown),
            ``categories_before_controls`` and ``changed_by_controls`` (shown items that the popularity blend and
            MMR brought in, out of ``k``).

        Raises:
            ColdrecError: nothing usable describes the user, or a filter names an unknown category.
        """
        prof = profile if profile is not None else self.profile(user, profile_config)
        k, stages = self._rank(prof, k, n, categories, exclude_categories, mmr_lambda, pop_weight, exclude_seen,
                               max_lift)
        return self._table(prof, *stages, k)

    def ranked_ids(self, users: Sequence[UserInput | str], k: int | None = None, **kwargs) -> list[list[str]]:
        """The ``item_id`` column :meth:`recommend` would return for each of ``users``, without its reasons:
        every user's description and past texts encoded in one batch (the description clauses, which only the
        reasons read, are not encoded), then the same recall, ranker and controls as :meth:`recommend`.

        Takes :meth:`recommend`'s options (``profiles=`` gives ready profiles, one per user).

        Example:
            >>> from coldrec.demo import demo_recommender
            >>> from coldrec.encoders import HashEncoder
            >>> rec = demo_recommender("ecommerce", HashEncoder(), ranker=None, cache=False)
            >>> ids = rec.ranked_ids(["warm boots for hiking"], k=3)[0]
            >>> ids == list(rec.recommend("warm boots for hiking", k=3)["item_id"])
            True
        """
        profiles = kwargs.pop("profiles", None)
        if profiles is None:
            profiles = build_profiles(users, self.encoder, self.item_vectors, self.catalog.id_to_row,
                                      kwargs.pop("profile_config", None) or self.profile_config, sentences=False)
        ids = self.catalog.items["item_id"].to_numpy()
        out = []
        for prof in profiles:
            _, (rows, order, _, final, *_) = self._rank(prof, k, **kwargs)
            out.append([str(i) for i in ids[rows[order[final]]]])
        return out

    def _rank(self, prof: UserProfile, k: int | None, n: int | None = None, categories=None,
              exclude_categories=None, mmr_lambda: float | None = None, pop_weight: float | None = None,
              exclude_seen: bool | None = None, max_lift: int | None | str = "config") -> tuple[int, tuple]:
        """Recall, ranker and controls for one profile: ``k`` and ``(rows, order, blended, final, cosine,
        rscore, votes)`` (see :meth:`recommend`; with log evidence ``votes`` is ``(votes, text term, log term)``
        per catalog item, else None)."""
        cfg = self.config
        k = cfg.k if k is None else int(k)
        n = max(k, cfg.n if n is None else int(n))
        if k < 1:
            raise ColdrecError(f"k must be at least 1, got {k}.")
        pop_weight = cfg.pop_weight if pop_weight is None else pop_weight
        if not 0 <= pop_weight <= 1:
            raise ColdrecError(f"pop_weight must be between 0 and 1, got {pop_weight!r}.")
        mmr_lambda = cfg.mmr_lambda if mmr_lambda is None else mmr_lambda
        if mmr_lambda is not None and not 0 <= mmr_lambda <= 1:
            raise ColdrecError(f"MMR lambda must be between 0 and 1 (or None for off), got {mmr_lambda!r}.")
        max_lift = cfg.max_lift if max_lift == "config" else max_lift
        if prof.empty:
            raise ColdrecError(" ".join(prof.warnings) or "Nothing usable describes this user.")
        seen = np.concatenate([prof.liked_rows, prof.disliked_rows]) if (
            cfg.exclude_seen if exclude_seen is None else exclude_seen) else np.zeros(0, np.int64)
        allowed = self._allowed(categories, exclude_categories)
        # the hybrid's blend needs every item's cosine: its recall reads the same array
        cos_all = None if self.log_evidence is None else cosine_scores(self.item_vectors, prof.vector)
        rows, _ = top_n(self.item_vectors, prof.vector, n, allowed=allowed, exclude=seen.tolist(), scores=cos_all)
        votes = None
        if cos_all is not None:
            rows, rscore, votes = self._with_votes(prof, rows, n, allowed, seen, cos_all)
        cosine = self.item_vectors[rows] @ prof.vector
        if votes is not None:
            order = bounded_order(rscore, cosine, max_lift, cfg.lift_floor)
        elif self.ranker is not None and len(rows):
            rscore = self.ranker.score(self.item_vectors[rows], prof.vector, self.ranker_popularity[rows])
            order = bounded_order(rscore, cosine, max_lift, cfg.lift_floor)
        else:
            rscore = np.full(len(rows), np.nan, dtype=np.float32)
            order = np.arange(len(rows))
        blended, final = apply_controls(self.item_vectors, rows[order], self.popularity, k, pop_weight, mmr_lambda)
        return k, (rows, order, blended, final, cosine, rscore, votes)

    def _with_votes(self, prof: UserProfile, rows: np.ndarray, n: int, allowed, seen, cos_all: np.ndarray
                    ) -> tuple:
        """The recall widened by the ``n`` best-voted items (same filters), in cosine order, their blended
        scores, and every item's votes (``cos_all``: every item's cosine to the profile)."""
        ev = self.log_evidence
        votes = ev.votes(prof.vector, prof.liked_rows)
        text, log = ev.parts(cos_all, votes)
        fused = text + log
        ok = np.ones(len(fused), bool) if allowed is None else allowed.copy()
        ok[np.asarray(seen, dtype=np.int64)] = False
        cand = np.flatnonzero(ok & (votes > 0))
        best = cand[np.argsort(-fused[cand], kind="stable")[:n]]
        extra = np.setdiff1d(best, rows)
        rows = np.concatenate([rows, extra[np.argsort(-cos_all[extra], kind="stable")]]) if len(extra) else rows
        rows = rows[np.argsort(-cos_all[rows], kind="stable")]
        return rows, fused[rows].astype(np.float32), (votes, text, log)

    def _columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The catalog's id, title and category columns as arrays, read once per items frame (not per request)."""
        items = self.catalog.items
        held = getattr(self, "_cols", None)
        if held is None or held[0] is not items:
            held = self._cols = (items, *(items[c].to_numpy() for c in ("item_id", "title", "category")))
        return held[1], held[2], held[3]

    def _table(self, prof: UserProfile, rows, order, blended, final, cosine, rscore, votes, k: int) -> pd.DataFrame:
        """The shown items with their positions at each stage, reasons and notes (see :meth:`recommend`)."""
        shown = order[final]  # positions into the recall list
        at_rank = np.empty(len(order), np.int64)
        at_rank[order] = np.arange(len(order))  # recall position -> position after the ranker
        at_blend = np.empty(len(order), np.int64)
        at_blend[blended] = np.arange(len(order))  # ranker position -> position after the blend
        recall_rank = shown + 1
        final_rank = np.arange(1, len(shown) + 1)
        ranked_pos = at_rank[shown]
        moves = [(int(r - a), int(a - at_blend[f]), int(at_blend[f] - i), int(r + 1))
                 for i, (r, a, f) in enumerate(zip(shown, ranked_pos, final))]
        ids, titles, categories = self._columns()
        picked = rows[shown]
        out = pd.DataFrame({
            "item_id": ids[picked],
            "title": titles[picked],
            "category": categories[picked],
            "recall_rank": recall_rank,
            "recall_score": cosine[shown].astype(float),
            "ranker_score": rscore[shown].astype(float),
            "final_rank": final_rank,
            "rank_change": recall_rank - final_rank,
            "reason": explain(self.item_vectors, picked, prof, titles, moves,
                              None if votes is None else (votes[0][picked], self.log_evidence.k)),
        })
        if votes is not None:  # how much of each item's blended score came from the log (the rest: the text)
            text, log = np.abs(votes[1][picked]), np.abs(votes[2][picked])
            # 3 decimals: a share is read as a percentage, and the fp32 engines (numpy / torch) agree to that
            out["log_share"] = np.round(np.where(text + log > 0, log / np.maximum(text + log, 1e-12), 0.0), 3)
        warnings = list(prof.warnings)
        if self.ranker is None and self.log_evidence is None:
            warnings.append("No ranker is trained: items keep their cosine (recall) order.")
        if len(rows) < k:
            warnings.append(f"Only {len(rows)} item(s) pass the filters (asked for {k}).")
        before = set(order[:k].tolist())
        out.attrs.update({"ranked_by": self.ranked_by,
                          # the hybrid's recall is exact over the cosines its blend needs anyway
                          "recall": "exact" if votes is not None else recall_method(len(self.item_vectors)),
                          "recalled": int(len(rows)),
                          "categories": len(set(self._categories[picked].tolist())),
                          "categories_before_controls": len(set(self._categories[rows[order[:k]]].tolist())),
                          "changed_by_controls": int(sum(int(s) not in before for s in shown)),
                          "truncated": prof.truncated, "warnings": warnings})
        return out
