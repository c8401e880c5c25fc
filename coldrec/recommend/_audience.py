"""Item cold start: a new item with no interactions, described in words — who would it reach, what is it like?

The same pipeline as for a new user, read the other way round (seed §3.2.1: the item profile is
``encode(item text)``, so a new item is usable the moment it has a description). For every known user the new
item is put into that user's pipeline exactly as if it had been added to the catalog: cosine recall of the top N
(the new item competes with every catalog item), then the ranker over the recalled N (with popularity 0: it has no
interactions yet; pass ``popularity=`` to see how a ranker with popularity features treats it once it has some).
The item *reaches* a user when it ends in that user's top k.

Example:
    >>> from coldrec.demo._datasets import demo_recommender                            # doctest: +SKIP
    >>> rec = demo_recommender("ecommerce")                                      # doctest: +SKIP
    >>> report = new_item_report(rec, "Foldable noise-cancelling headphones for kids",
    ...                          users={"u1": "I commute by train and want quiet"})   # doctest: +SKIP
    >>> report.audience[["user_id", "final_rank", "reaches"]]                   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coldrec.encoders import encode_as
from coldrec.errors import ColdrecError

__all__ = ["AUDIENCE_COLUMNS", "NewItemReport", "compare_audiences", "item_audience", "median_popularity",
           "new_item_report", "reach_by_group", "similar_items", "uses_popularity"]

AUDIENCE_COLUMNS = ["user_id", "who", "cosine", "recall_rank", "ranker_score", "final_rank", "reaches"]
_USER_BLOCK = 2048  # users scored together: the item matrix is read once per block of users
_BLOCK_FLOATS = 1 << 22  # cosines per users x items block (16 MB whatever the catalog): measured faster
# than cache-sized blocks (1 MB: more GEMM calls, each less efficient) on 1 and 2 BLAS threads
_KEEP = 4  # a block of users' kept entries are cut back to each user's best ``take`` beyond _KEEP x take a user
_RANK_USERS = 256  # users per ranker call (their candidates: 256 x N x d floats)


@dataclass
class NewItemReport:
    """What :func:`new_item_report` found for one new item."""

    vector: np.ndarray
    """The new item's unit vector (the catalog's encoder)."""
    similar: pd.DataFrame
    """Nearest catalog items: ``item_id, title, category, cosine``, best first."""
    audience: pd.DataFrame
    """One row per user (:data:`AUDIENCE_COLUMNS`), users it reaches first."""
    summary: dict = field(default_factory=dict)
    """``users, skipped_users, reached, reach, k, n, ranked_by, popularity, ranker_uses_popularity,
    median_final_rank, category_share`` and ``truncated`` (the text was longer than the model window)."""


def _unit(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise ColdrecError(f"{what} contain NaN or infinite values.")
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def uses_popularity(rec) -> bool:
    """Whether ``rec``'s ranker reads interaction counts (``rich`` features), so a new item's zero count matters."""
    ranker = getattr(rec, "ranker", None)
    return ranker is not None and getattr(getattr(ranker, "config", None), "features", "concat") == "rich"


def median_popularity(rec) -> float:
    """The catalog's median interaction count: a neutral popularity to assume for a new item."""
    pop = np.asarray(getattr(rec, "popularity", ()), dtype=np.float64)
    return float(np.median(pop)) if len(pop) else 0.0


def similar_items(rec, item_vector: np.ndarray, m: int = 10) -> pd.DataFrame:
    """The ``m`` catalog items closest to ``item_vector`` by cosine (``item_id, title, category, cosine``)."""
    from coldrec.retrieval import top_n

    if getattr(rec, "store", None) is not None:
        return rec.similar(_unit(item_vector, "The item vector").reshape(-1), m)
    top, sims = top_n(rec.item_vectors, _unit(item_vector, "The item vector").reshape(-1), max(0, int(m)))
    items = rec.catalog.items
    return pd.DataFrame({"item_id": items["item_id"].to_numpy()[top], "title": items["title"].to_numpy()[top],
                         "category": items["category"].to_numpy()[top], "cosine": sims.astype(float)})


def item_audience(rec, item_vector: np.ndarray, user_vectors: np.ndarray, user_ids: Sequence[str], *,
                  k: int = 10, n: int | None = None, who: Sequence[str] | None = None,
                  popularity: float = 0.0) -> pd.DataFrame:
    """Where a new item would land in each user's list if it were added to ``rec``'s catalog.

    Args:
        rec: a :class:`coldrec.recommend._pipeline.Recommender` (its catalog vectors, ranker and popularity are used).
        item_vector: ``(d,)`` vector of the new item (normalised here).
        user_vectors: ``(m, d)`` user profile vectors (normalised here).
        user_ids: ``m`` ids, shown as is.
        k: the list length a user sees; the item *reaches* the user when its final rank is ``<= k``.
        n: recall size (default ``rec.config.n``), as in :meth:`Recommender.recommend`.
        who: optional ``m`` short descriptions of the users, for the table.
        popularity: interaction count assumed for the new item (0: brand new). Only a ranker with popularity
            features (``rich``) reads it; try the catalog's median to see how much the ranker holds newness
            against an item.

    Returns:
        :data:`AUDIENCE_COLUMNS`, one row per user, sorted by final rank then cosine. ``recall_rank`` is the
        new item's place among catalog + new item by cosine; ``final_rank`` its place after the ranker among the
        recalled N (``NaN`` when it is not recalled); without a ranker the final rank is the recall rank.
    """
    k = int(k)
    if k < 1:
        raise ColdrecError(f"k must be at least 1, got {k}.")
    if not np.isfinite(popularity) or popularity < 0:
        raise ColdrecError(f"popularity must be a count >= 0, got {popularity!r}.")
    n = max(k, int(rec.config.n if n is None else n))
    U = _unit(np.atleast_2d(user_vectors), "The user vectors")
    if len(U) != len(user_ids):
        raise ColdrecError(f"{len(user_ids)} user id(s) for {len(U)} user vector(s).")
    e = _unit(item_vector, "The item vector").reshape(-1)
    if getattr(rec, "store", None) is not None:  # a store-backed catalog (StoreRecommender): ranks from the store
        return _store_audience(rec, e, U, user_ids, k, n, who, popularity)
    E = rec.item_vectors
    if e.shape[0] != E.shape[1] or U.shape[1] != E.shape[1]:
        raise ColdrecError(f"Vectors must be {E.shape[1]}-d like the catalog's; got item {e.shape[0]}-d, "
                           f"users {U.shape[1]}-d (another encoder?).")
    m = len(U)
    c_new = U @ e
    final = np.full(m, np.nan)
    score = np.full(m, np.nan)
    recall_rank = np.ones(m, np.int64)
    take = min(n - 1, len(E)) if rec.ranker is not None else 0  # catalog items sharing the recalled N
    for u0 in range(0, m, _USER_BLOCK):  # memory: one block of users' top lists, whatever m is
        block = np.arange(u0, min(m, u0 + _USER_BLOCK))
        recall_rank[block], top = _scan(U[block], c_new[block], E, take)
        inside = np.flatnonzero(recall_rank[block] <= n)
        if rec.ranker is None:
            final[block[inside]] = recall_rank[block[inside]]
            continue
        for s in range(0, len(inside), _RANK_USERS):
            ins = inside[s:s + _RANK_USERS]
            score[block[ins]], final[block[ins]] = _rank_new(rec, e, U[block[ins]], top[ins], popularity)
    out = pd.DataFrame({"user_id": list(map(str, user_ids)), "who": list(who) if who is not None else [""] * m,
                        "cosine": c_new.astype(float), "recall_rank": recall_rank, "ranker_score": score,
                        "final_rank": final, "reaches": final <= k})
    out = out.sort_values(["final_rank", "cosine"], ascending=[True, False], na_position="last", kind="stable")
    out = out.reset_index(drop=True)
    out["final_rank"] = out["final_rank"].astype("Int64")
    out.attrs.update({"k": k, "n": n, "ranked_by": rec.ranked_by, "popularity": float(popularity)})
    return out


def _store_audience(rec, e, U, user_ids, k: int, n: int, who, popularity: float) -> pd.DataFrame:
    """:func:`item_audience` for a store-backed catalog: each user's top ``n`` comes from the store (batched), so
    the recall rank is exact up to ``n`` and ``NaN`` beyond it; the order is cosine (no ranker over the store)."""
    if rec.ranker is not None:
        raise ColdrecError("A new item's audience over a store-backed catalog is ranked by cosine only: "
                           "use the store without a ranker.")
    if e.shape[0] != rec.store.dim or U.shape[1] != rec.store.dim:
        raise ColdrecError(f"Vectors must be {rec.store.dim}-d like the store's; got item {e.shape[0]}-d, "
                           f"users {U.shape[1]}-d (another encoder?).")
    c_new = U @ e
    rank = rec.audience_ranks(U, c_new, n).astype(float)
    rank[rank > n] = np.nan
    out = pd.DataFrame({"user_id": list(map(str, user_ids)), "who": list(who) if who is not None else [""] * len(U),
                        "cosine": c_new.astype(float), "recall_rank": rank, "ranker_score": np.nan,
                        "final_rank": rank, "reaches": rank <= k})
    out = out.sort_values(["final_rank", "cosine"], ascending=[True, False], na_position="last", kind="stable")
    out = out.reset_index(drop=True)
    out["final_rank"] = out["final_rank"].astype("Int64")
    out["recall_rank"] = out["recall_rank"].astype("Int64")
    out.attrs.update({"k": k, "n": n, "ranked_by": rec.ranked_by, "popularity": float(popularity)})
    return out


def _rank_new(rec, e: np.ndarray, Uw: np.ndarray, rows: np.ndarray, popularity: float):
    """The ranker's score of the new item for users ``Uw`` and its rank among their recalled catalog ``rows``."""
    E, pop, take = rec.item_vectors, rec.ranker_popularity, rows.shape[1]
    cand = np.concatenate([E[rows].reshape(-1, E.shape[1]), np.repeat(e[None, :], len(Uw), 0)])
    users = np.concatenate([np.repeat(Uw, take, 0), Uw])
    p = np.concatenate([pop[rows].reshape(-1), np.full(len(Uw), popularity, np.float32)])
    scores = np.asarray(rec.ranker.score_pairs(cand, users, p), dtype=np.float64)
    theirs, new = scores[:-len(Uw)].reshape(len(Uw), take), scores[-len(Uw):]
    return new, 1 + (theirs > new[:, None]).sum(1)


def _scan(U: np.ndarray, c_new: np.ndarray, E: np.ndarray, take: int) -> tuple[np.ndarray, np.ndarray]:
    """One pass over the catalog, blocked by items: the new item's recall rank and each user's top ``take``.

    Returns ``recall_rank`` (1 + the number of catalog items closer to the user than the new item) and ``top``
    (``m x take`` rows of the closest catalog items, best first, ties by lower row), valid for the users whose
    recall rank is at most ``take + 1`` (the others are out of the recall; their rows are left 0). The catalog is
    read once, in blocks of items holding :data:`_BLOCK_FLOATS` cosines (``m x block``, at least 8 items), each
    counted and thresholded at once; nothing of size ``m x catalog`` is ever held. The top is a streaming top-k:
    entries above each user's current ``take``-th best are kept and cut back when they pile up (:data:`_KEEP`).
    """
    m = len(U)
    width = max(8, _BLOCK_FLOATS // max(m, 1))
    count = np.zeros(m, np.int64)
    acc = np.zeros((m, width), np.uint8)  # per-column counts of "closer than the new item", flushed before 255
    floor = np.full(m, -np.inf, np.float32)
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    n_kept, blocks, tracking = 0, 0, take > 0
    for i0 in range(0, len(E), width):
        C = U @ E[i0:i0 + width].T
        w = C.shape[1]
        acc[:, :w] += C > c_new[:, None]
        blocks += 1
        if blocks == 255:
            count += acc.sum(1, dtype=np.int64)
            acc[:] = 0
            blocks = 0
        if tracking:
            if i0 == 0 and w >= take:  # first floor: each user's take-th best of the first block, ties kept
                floor = -np.partition(-C, take - 1, axis=1)[:, take - 1]
                hit = np.flatnonzero(C >= floor[:, None])
            else:
                hit = np.flatnonzero(C > floor[:, None])  # strict: a later tie loses to the kept, lower row
            if hit.size:
                ui, ii = np.divmod(hit, w)
                kept.append((ui, ii + i0, C.reshape(-1)[hit]))
                n_kept += hit.size
            if n_kept > _KEEP * take * m:  # cut back; a user with take + 1 closer items is out of the recall
                out = count + acc.sum(1, dtype=np.int64) > take
                kept, floor = _compact(kept, m, take, out)
                n_kept, tracking = len(kept[0][0]), not out.all()
    count += acc.sum(1, dtype=np.int64)
    top = np.zeros((m, take), np.int64)
    if take and m:
        (users, items, _), = _compact(kept, m, take, np.zeros(m, bool))[0]
        top[users, np.arange(len(users)) - np.searchsorted(users, users)] = items
    return 1 + count, top


def _compact(kept, m: int, take: int, out: np.ndarray):
    """Each user's best ``take`` of the kept ``(user, item, cosine)`` entries (best first, ties by lower item),
    sorted by user, as a one-element list; and each user's new floor (its ``take``-th cosine, -inf while it has
    fewer, +inf for the users ``out`` of the recall: their entries are dropped and no more are kept)."""
    users, items, scores = (np.concatenate(x) for x in zip(*kept))
    # stable sort by user, then best first: among equal cosines the kept order is the item order already (the
    # last cut-back's entries, best first and ties by item, then each later block's entries in item order)
    order = np.lexsort((-scores, users))
    users, items, scores = users[order], items[order], scores[order]
    pos = np.arange(len(users)) - np.searchsorted(users, users)
    keep = (pos < take) & ~out[users]
    users, items, scores = users[keep], items[keep], scores[keep]
    floor = np.full(m, -np.inf, scores.dtype)  # the cosines' own precision: a rounded floor could drop entries
    last = pos[keep] == take - 1
    floor[users[last]] = scores[last]
    floor[out] = np.inf
    return [(users, items, scores)], floor


def new_item_report(rec, text: str, users: Mapping[str, str] | None = None, *,
                    user_vectors: np.ndarray | None = None, k: int = 10, n: int | None = None,
                    similar: int = 10, popularity: float = 0.0) -> NewItemReport:
    """Encode a new item's text and report its nearest catalog items and its audience among ``users``.

    Args:
        rec: the :class:`coldrec.recommend._pipeline.Recommender` of the catalog the item would join.
        text: the new item's text (title and description), encoded with ``rec.encoder``.
        users: ``{user_id: description}``; the descriptions are encoded unless ``user_vectors`` is given.
        user_vectors: ``(len(users), d)`` vectors of those users, in the same order (e.g. from a cache).
        k, n, popularity: list length, recall size and assumed interaction count, as in :func:`item_audience`.
        similar: how many nearest catalog items to list.

    Raises:
        ColdrecError: the text is empty, or nothing usable is left after encoding it.
    """
    text = str(text or "").strip()
    if not text:
        raise ColdrecError("Describe the new item: its title and a sentence or two about it.")
    vec = np.asarray(encode_as(rec.encoder, [text], "passage"), dtype=np.float32)[0]  # the item side
    count = getattr(rec.encoder, "count_truncated", None)
    truncated = bool(count([text])) if count else False
    if not np.any(vec):
        raise ColdrecError(f"Nothing in {text[:60]!r} is usable by the encoder: use a few real words.")
    users = dict(users or {})
    if user_vectors is None:
        user_vectors = (np.asarray(encode_as(rec.encoder, list(users.values()), "query"), np.float32) if users
                        else np.zeros((0, len(vec)), np.float32))
    if len(user_vectors) != len(users):
        raise ColdrecError(f"{len(users)} user(s) but {len(user_vectors)} user vector(s).")
    keep = np.flatnonzero(np.linalg.norm(user_vectors, axis=1) > 0) if len(users) else np.zeros(0, np.int64)
    ids, descs = list(users), list(users.values())
    audience = item_audience(rec, vec, np.asarray(user_vectors)[keep].reshape(len(keep), len(vec)),
                             [ids[i] for i in keep], k=k, n=n, who=[descs[i] for i in keep],
                             popularity=popularity)
    near = similar_items(rec, vec, similar)
    reached = int(audience["reaches"].sum())
    ranks = audience["final_rank"].dropna()
    summary = {
        "users": len(audience), "skipped_users": len(users) - len(keep), "reached": reached,
        "reach": reached / len(audience) if len(audience) else 0.0, "k": audience.attrs["k"],
        "n": audience.attrs["n"], "ranked_by": rec.ranked_by, "popularity": float(popularity),
        "ranker_uses_popularity": uses_popularity(rec),
        "median_final_rank": float(ranks.median()) if len(ranks) else None,
        "category_share": near["category"].value_counts(normalize=True).round(2).to_dict(),
        "truncated": truncated,
    }
    return NewItemReport(vector=vec, similar=near, audience=audience, summary=summary)


def reach_by_group(audience: pd.DataFrame, groups: Mapping[str, str]) -> pd.DataFrame:
    """Share of each user group the new item reaches (e.g. by segment, gender or age band).

    Args:
        audience: an :func:`item_audience` table.
        groups: ``{user_id: group label}``; users missing from it (typed users, personas) count as
            ``"(not in the log)"``, an empty label as ``"(unknown)"``.

    Returns:
        ``group, users, reached, reach`` sorted by reach (highest first), then group.
    """
    label = audience["user_id"].map(lambda u: "(not in the log)" if u not in groups else groups[u] or "(unknown)")
    out = (audience.assign(group=label).groupby("group", sort=True)["reaches"]
           .agg(users="size", reached="sum").reset_index())
    out["reached"] = out["reached"].astype(int)
    out["reach"] = out["reached"] / out["users"]
    return out.sort_values(["reach", "group"], ascending=[False, True], kind="stable").reset_index(drop=True)


def compare_audiences(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Users that one description of a new item reaches and the other does not (what-if for item copy).

    Args:
        a, b: :func:`item_audience` tables of two descriptions of the same item, over the same users.

    Returns:
        ``user_id, who, rank_a, rank_b, change`` with ``change`` ``"gained"`` (reached by ``b`` only, best ``b``
        rank first) or ``"lost"`` (reached by ``a`` only); ``attrs`` hold ``reached_a``, ``reached_b``, ``kept``.

    Raises:
        ColdrecError: the two tables are not over the same users.
    """
    ia, ib = a.set_index("user_id"), b.set_index("user_id")
    if set(ia.index) != set(ib.index):
        raise ColdrecError(f"The two audiences are over different users ({len(ia)} and {len(ib)}).")
    ib = ib.reindex(ia.index)
    out = pd.DataFrame({"user_id": ia.index, "who": ia["who"].to_numpy(),
                        "rank_a": ia["final_rank"].to_numpy(), "rank_b": ib["final_rank"].to_numpy()})
    ra, rb = ia["reaches"].to_numpy(bool), ib["reaches"].to_numpy(bool)
    out["change"] = np.where(rb & ~ra, "gained", np.where(ra & ~rb, "lost", ""))
    out = out[out["change"] != ""].copy()
    out["_order"] = np.where(out["change"] == "gained", 0, 1)
    out["_rank"] = np.where(out["change"] == "gained", out["rank_b"].astype(float), out["rank_a"].astype(float))
    out = out.sort_values(["_order", "_rank", "user_id"], kind="stable").drop(columns=["_order", "_rank"])
    out = out.reset_index(drop=True)
    out.attrs.update({"reached_a": int(ra.sum()), "reached_b": int(rb.sum()), "kept": int((ra & rb).sum())})
    return out
