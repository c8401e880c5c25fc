"""A recommender over a Milvus store (issue 14): the catalog never loads as a matrix.

Recall runs in the store (:meth:`coldrec.retrieval.MilvusStore.search`, the ``top_n`` contract: category filters
as Milvus expressions, seen items excluded by id); only the recalled rows (id, title, category, vector) are fetched,
then the same ranker step, controls (MMR) and reasons as :class:`coldrec.recommend.Recommender` run on those rows.
``coldrec recommend --index`` and the app's ``COLDREC_INDEX`` both use :class:`StoreRecommender`.

Example:
    >>> from coldrec.encoders import HashEncoder
    >>> from coldrec.retrieval import MilvusStore
    >>> rec = StoreRecommender(MilvusStore("items.db"), HashEncoder())            # doctest: +SKIP
    >>> rec.recommend("quiet wireless headphones", k=5)[["title", "reason"]]     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd

from coldrec.errors import ColdrecError
from coldrec.recommend._explain import apply_controls, bounded_order, explain
from coldrec.recommend._pipeline import RecommendConfig
from coldrec.retrieval import ProfileConfig, UserInput, UserProfile, build_profile, build_profiles

__all__ = ["StoreRecommender", "store_location", "SAMPLE_ROWS"]

SAMPLE_ROWS = 5_000
"""Rows of the seeded sample the app's pickers and Profile map use for a store-backed catalog."""


def store_location(uri) -> str:
    """Where a store lives, safe to show: a local file's name, a server's ``host:port/collection`` (a token is
    never part of a URI: the parser refuses credentials; servers read ``$MILVUS_TOKEN``)."""
    import os

    if uri.kind == "lite":
        return f"Milvus Lite file {os.path.basename(uri.target)} (collection {uri.collection})"
    return f"Milvus server {uri.target.removeprefix('http://')} (collection {uri.collection})"


class StoreRecommender:
    """Recommend from the items of a :class:`coldrec.retrieval.MilvusStore` for a cold user.

    Args:
        store: an open store holding the catalog's unit vectors (``coldrec index SHARDS --into URI``).
        encoder: the encoder for user texts (the model the items were embedded with).
        ranker: a fitted :class:`coldrec.ranking.MLPRanker` scored over the recalled rows, or ``None``: cosine.
        profile_config: weights of the user profile parts.
        config: recall/rank defaults (:class:`coldrec.recommend.RecommendConfig`).

    ``item_vectors`` is ``None``: nothing here holds the catalog's matrix. The popularity blend needs interaction
    counts the store does not hold, so ``pop_weight > 0`` is refused with that reason.
    """

    item_vectors = None

    def __init__(self, store, encoder, ranker=None, profile_config: ProfileConfig | None = None,
                 config: RecommendConfig | None = None) -> None:
        if not store.count():
            raise ColdrecError(f"{store.uri} holds no items; load shards with `coldrec index SHARDS --into URI`.")
        if store.dim != encoder.dim:
            raise ColdrecError(f"{store.uri} holds {store.dim}-d vectors but model {encoder.name} makes "
                               f"{encoder.dim}-d ones: use the model the store was embedded with.")
        if ranker is not None and hasattr(ranker, "check_fits"):
            # another encoder or width is refused as on the in-memory path; ids are not checked (the store is
            # the catalog, and items the ranker never saw are cold: popularity 0)
            ranker.check_fits(encoder_name=getattr(encoder, "name", None), dim=store.dim)
        self.store, self.encoder, self.ranker = store, encoder, ranker
        trained_profile = getattr(ranker, "trained_on", {}).get("profile_config") if ranker is not None else None
        self.profile_config = profile_config or (ProfileConfig(**trained_profile) if trained_profile
                                                 else ProfileConfig())
        self.config = config or RecommendConfig()
        self.total = store.count()
        self.ranker_popularity = None
        self.popularity = None

    def _ranker_popularity(self, ids) -> np.ndarray:
        """The training counts a checkpoint saved for ``ids`` (what its ``log_popularity`` feature read when it
        was trained; items it never saw count 0), as the in-memory :class:`Recommender` serves them."""
        saved = self.ranker.popularity_for([str(i) for i in ids]) if hasattr(self.ranker, "popularity_for") else None
        return saved if saved is not None else np.zeros(len(ids), np.float32)

    @property
    def ranked_by(self) -> str:
        return self.ranker.config.method_name if self.ranker is not None else "cosine: store recall"

    @property
    def location(self) -> str:
        return store_location(self.store.uri)

    # -- profiles ----------------------------------------------------------------------------------------------
    def _known(self, users: Sequence[UserInput]) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
        ids = [str(i) for u in users for i in (*u.liked, *u.disliked)]
        known = self.store.items_of(list(dict.fromkeys(ids)))
        E = (np.stack(known["vector"].map(lambda v: np.asarray(v, np.float32)).to_list()) if len(known)
             else np.zeros((0, self.store.dim), np.float32))
        return known, E, {i: r for r, i in enumerate(known["item_id"])}

    def profile(self, user: UserInput | str, config: ProfileConfig | None = None) -> UserProfile:
        """The user's profile: liked/disliked items' vectors are fetched from the store by id."""
        user = UserInput(description=user) if isinstance(user, str) else user
        _, E, rows = self._known([user])
        return build_profile(user, self.encoder, E, rows, config or self.profile_config)

    def profiles(self, users: Sequence[UserInput | str], config: ProfileConfig | None = None) -> list[UserProfile]:
        """:meth:`profile` for many users, their texts encoded in one batch (the fairness probe); each profile's
        liked/disliked rows count in that user's own liked-then-disliked items, as :meth:`recommend` fetches them."""
        users = [UserInput(description=u) if isinstance(u, str) else u for u in users]
        known, E, rows = self._known(users)
        profs = build_profiles(users, self.encoder, E, rows, config or self.profile_config)
        ids = known["item_id"].tolist()
        for u, p in zip(users, profs):  # rows into the union of everyone's items → rows into this user's own,
            mine = [i for i in dict.fromkeys(map(str, (*u.liked, *u.disliked))) if i in rows]  # as recommend reads
            pos = {i: j for j, i in enumerate(mine)}
            p.liked_rows = np.array([pos[ids[r]] for r in p.liked_rows], np.int64)
            p.disliked_rows = np.array([pos[ids[r]] for r in p.disliked_rows], np.int64)
        return profs

    # -- recommend ---------------------------------------------------------------------------------------------
    def recommend(self, user: UserInput | str, k: int | None = None, *, n: int | None = None,
                  categories: Sequence[str] | None = None, exclude_categories: Sequence[str] | None = None,
                  mmr_lambda: float | None = None, pop_weight: float | None = None,
                  exclude_seen: bool | None = None, profile: UserProfile | None = None,
                  profile_config: ProfileConfig | None = None, max_lift: int | None | str = "config") -> pd.DataFrame:
        """Recall ``n`` from the store, rank them, apply MMR, return the top ``k`` with reasons.

        Returns the columns of :data:`coldrec.recommend.RESULT_COLUMNS`; ``attrs`` hold ``ranked_by``, ``recall``
        (e.g. ``"milvus-lite:FLAT"``), ``recalled``, ``total`` (rows in the store), ``categories`` and
        ``warnings``, as :meth:`coldrec.recommend.Recommender.recommend`.

        Raises:
            ColdrecError: nothing describes the user, ``pop_weight > 0``, or k / MMR out of range.
        """
        cfg = self.config
        k = cfg.k if k is None else int(k)
        if k < 1:
            raise ColdrecError(f"k must be at least 1, got {k}.")
        n = max(k, cfg.n if n is None else int(n))
        if pop_weight:
            raise ColdrecError(f"pop_weight={pop_weight!r} needs interaction counts, which a store-backed catalog "
                               "does not hold: set the popularity blend to 0.")
        mmr_lambda = cfg.mmr_lambda if mmr_lambda is None else mmr_lambda
        if mmr_lambda is not None and not 0 <= mmr_lambda <= 1:
            raise ColdrecError(f"MMR lambda must be between 0 and 1 (or None for off), got {mmr_lambda!r}.")
        user = UserInput(description=user) if isinstance(user, str) else user
        known, E, _ = self._known([user])
        prof = profile if profile is not None else build_profile(user, self.encoder, E, dict(
            zip(known["item_id"], range(len(known)))), profile_config or self.profile_config)
        if prof.empty:
            raise ColdrecError(" ".join(prof.warnings) or "Nothing usable describes this user.")
        seen = [*user.liked, *user.disliked] if (cfg.exclude_seen if exclude_seen is None else exclude_seen) else []
        rows, _ = self.store.search(prof.vector, n, include_categories=categories,
                                    exclude_categories=exclude_categories, exclude_ids=seen)
        got = self.store.lookup(rows, vectors=True)
        V = (np.stack(got["vector"].map(lambda v: np.asarray(v, np.float32)).to_list()) if len(got)
             else np.zeros((0, self.store.dim), np.float32))
        return self._table(prof, got, V, known, E, k, mmr_lambda,
                           cfg.max_lift if max_lift == "config" else max_lift)

    def _table(self, prof, got, V, known, E, k, mmr_lambda, max_lift) -> pd.DataFrame:
        cosine = (V @ prof.vector).astype(np.float32)
        if self.ranker is not None and len(V):
            rscore = np.asarray(self.ranker.score(V, prof.vector, self._ranker_popularity(got["item_id"])),
                                np.float32)
            order = bounded_order(rscore, cosine, max_lift, self.config.lift_floor)
        else:
            rscore, order = np.full(len(V), np.nan, np.float32), np.arange(len(V))
        blended, final = apply_controls(V, order, np.zeros(len(V), np.float32), k, 0.0, mmr_lambda)
        shown = order[final]
        at_rank = np.empty(len(order), np.int64)
        at_rank[order] = np.arange(len(order))
        moves = [(int(r - at_rank[r]), 0, int(at_rank[r] - i), int(r + 1)) for i, r in enumerate(shown)]
        # reasons compare with the liked items too: their rows follow the recalled ones in one small matrix
        M = np.concatenate([V, E]) if len(E) else V
        titles = [*got["title"].tolist(), *known["title"].tolist()]
        p = dataclasses.replace(prof, liked_rows=np.asarray(prof.liked_rows, np.int64) + len(V))
        out = pd.DataFrame({
            "item_id": got["item_id"].to_numpy()[shown], "title": got["title"].to_numpy()[shown],
            "category": got["category"].to_numpy()[shown], "recall_rank": shown + 1,
            "recall_score": cosine[shown].astype(float), "ranker_score": rscore[shown].astype(float),
            "final_rank": np.arange(1, len(shown) + 1)})
        out["rank_change"] = out["recall_rank"] - out["final_rank"]
        out["reason"] = explain(M, shown, p, titles, moves)
        warnings = list(prof.warnings)
        if len(V) < k:
            warnings.append(f"Only {len(V)} item(s) pass the filters (asked for {k}).")
        out.attrs.update({"ranked_by": self.ranked_by, "recall": getattr(self.store, "last_recall", self.store.recall),
                          "recalled": int(len(V)), "total": self.total, "where": self.location,
                          "categories": int(out["category"].nunique()),
                          "categories_before_controls": int(got["category"].iloc[order[:k]].nunique()) if len(V) else 0,
                          "changed_by_controls": int(sum(int(s) not in set(order[:k].tolist()) for s in shown)),
                          "truncated": prof.truncated, "warnings": warnings})
        return out

    def ranked_ids(self, users: Sequence[UserInput | str], k: int | None = None, **kwargs) -> list[list[str]]:
        """The ``item_id`` column :meth:`recommend` returns for each user, their texts encoded in one batch."""
        profiles = kwargs.pop("profiles", None) or self.profiles(users, kwargs.pop("profile_config", None))
        return [list(self.recommend(u, k, profile=p, **kwargs)["item_id"]) for u, p in zip(users, profiles)]

    # -- the catalog side --------------------------------------------------------------------------------------
    def sample(self, size: int = SAMPLE_ROWS, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
        """``(items, vectors)`` of ``size`` rows drawn with ``seed`` (all rows when the store holds fewer), in row
        order: what the app's Profile map and item pickers work on instead of the whole catalog."""
        rows = np.arange(self.total)
        if size < self.total:
            rows = np.sort(np.random.default_rng(seed).choice(self.total, size, replace=False))
        got = self.store.lookup(rows.tolist(), vectors=True)
        V = (np.stack(got["vector"].map(lambda v: np.asarray(v, np.float32)).to_list()) if len(got)
             else np.zeros((0, self.store.dim), np.float32))
        return got.drop(columns=["vector"]), V

    def similar(self, item_vector: np.ndarray, m: int = 10) -> pd.DataFrame:
        """The ``m`` store items nearest to a new item's vector (``item_id, title, category, cosine``)."""
        rows, sims = self.store.search(np.asarray(item_vector, np.float32), max(0, int(m)))
        df = self.store.lookup(rows).drop(columns=["row"])
        return df.assign(cosine=sims.astype(float))

    def audience_ranks(self, user_vectors: np.ndarray, c_new: np.ndarray, n: int) -> np.ndarray:
        """A new item's recall rank in each user's list: ``1 +`` the store items above it among the user's top
        ``n`` from the store; ``n + 1`` when all ``n`` beat it (not recalled). Exact for ranks ``<= n``."""
        hits = self.store.search_many(user_vectors, n)
        return np.array([1 + int(np.count_nonzero(s > c)) for (_, s), c in zip(hits, c_new)], np.int64)
