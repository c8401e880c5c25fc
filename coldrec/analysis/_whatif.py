"""What-if analysis: how much does a recommendation list move when the user text changes?

* :func:`compare_lists` compares two ranked lists at depth ``k`` (overlap, Jaccard, rank-biased overlap,
  items that entered / left, per-item rank changes); :func:`compare_variants` compares several recommendation
  frames with the first one.
* :func:`swap_words` (in :mod:`coldrec.analysis._wordswap`) rewrites a user description along one axis (``"gender"``,
  ``"age"``, ``"locale"``) to build counterfactual variants.
* :func:`fairness_probe` (in :mod:`coldrec.analysis._fairness`) runs any ``text -> ranked ids`` function on every persona
  and every variant and reports how far each variant's list moved from the original one.

The module knows nothing about the pipeline: callers pass ids or frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from coldrec.analysis._common import WhatIfError, check_k

__all__ = ["WhatIfError", "compare_lists", "compare_variants", "rank_biased_overlap"]


# ====================================================================== list comparison
def _dedupe(items: Iterable[Any]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for it in items:
        s = str(it)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out



def rank_biased_overlap(a: Sequence[Any], b: Sequence[Any], p: float = 0.9, k: int | None = None) -> float:
    """Extrapolated rank-biased overlap (Webber, Moffat & Zobel 2010, eq. 32), in [0, 1].

    Handles lists of different lengths (the shorter list is treated as truncated, not as ending). Repeated ids
    count once (first occurrence). Two empty lists give 1.0; one empty list gives 0.0.

    Args:
        a, b: ranked ids, best first.
        p: persistence (0 < p < 1); 0.9 puts ~86% of the weight on the first 10 ranks.
        k: evaluate on the first ``k`` ids of each list (``None``: whole lists).

    Example:
        >>> round(rank_biased_overlap(["x", "y", "z"], ["x", "z", "y"]), 4)
        0.955
    """
    if not 0.0 < p < 1.0:
        raise WhatIfError(f"p={p!r} must be strictly between 0 and 1 (e.g. 0.9)")
    la, lb = _dedupe(a), _dedupe(b)
    if k is not None:
        k = check_k(k)
        la, lb = la[:k], lb[:k]
    if not la and not lb:
        return 1.0
    if not la or not lb:
        return 0.0
    S, L = (la, lb) if len(la) <= len(lb) else (lb, la)
    s, l = len(S), len(L)
    seen_s: set[str] = set()
    seen_l: set[str] = set()
    x = 0  # overlap of the prefixes at depth d
    x_s = 0  # overlap at depth s
    total = 0.0
    for d in range(1, l + 1):
        item_l = L[d - 1]
        if d <= s:
            item_s = S[d - 1]
            if item_s == item_l:
                x += 1
            else:
                x += (item_s in seen_l) + (item_l in seen_s)
            seen_s.add(item_s)
            seen_l.add(item_l)
            if d == s:
                x_s = x
        else:
            # S has ended: only new items of L can still match S
            if item_l in seen_s:
                x += 1
            seen_l.add(item_l)
        total += (x / d) * p**d
        if d > s:
            total += x_s * (d - s) / (s * d) * p**d
    x_l = x
    value = (1 - p) / p * total + ((x_l - x_s) / l + x_s / s) * p**l
    return float(min(1.0, max(0.0, value)))


def compare_lists(a: Sequence[Any], b: Sequence[Any], k: int = 10, *, p: float = 0.9, rank_diff: bool = True
                  ) -> dict[str, Any]:
    """Compare the top-``k`` of two ranked id lists (``a`` = before, ``b`` = after).

    Args:
        a: ranked ids before the change, best first (repeats count once).
        b: ranked ids after the change.
        k: depth; both lists are cut to their first ``k`` ids.
        p: RBO persistence.
        rank_diff: build the ``rank_diff`` frame (``False``: leave it out, ~10× faster; the fairness probe
            compares hundreds of lists and never shows it).

    Returns:
        A dict with
        ``k``;
        ``overlap`` (|A∩B| / k, where A, B are the two top-k sets; k is replaced by the longer list's
        length when both are shorter, so identical short lists score 1.0);
        ``jaccard`` (|A∩B| / |A∪B|);
        ``rbo`` (extrapolated rank-biased overlap at depth k, p=0.9);
        ``entered`` (ids in B not in A, in B's order); ``left`` (ids in A not in B, in A's order);
        ``rank_diff``: DataFrame ``item_id, rank_a, rank_b, delta`` over A∪B, 1-based ranks, ``<NA>`` when the
        item is not in that top-k, ``delta = rank_a - rank_b`` (positive: moved up in B); rows ordered by
        ``rank_b`` then ``rank_a``.

    Raises:
        WhatIfError: ``k`` < 1 or ``p`` outside (0, 1).

    Example:
        >>> r = compare_lists(["x", "y", "z"], ["y", "x", "w"], k=3)
        >>> r["overlap"], r["entered"], r["left"]
        (0.6666666666666666, ['w'], ['z'])
    """
    k = check_k(k)
    la, lb = _dedupe(a)[:k], _dedupe(b)[:k]
    sa, sb = set(la), set(lb)
    inter = sa & sb
    union = sa | sb
    denom = k if max(len(la), len(lb)) >= k else max(len(la), len(lb))
    overlap = len(inter) / denom if denom else 1.0
    jaccard = len(inter) / len(union) if union else 1.0
    out = {
        "k": k,
        "overlap": float(overlap),
        "jaccard": float(jaccard),
        "rbo": rank_biased_overlap(la, lb, p=p),
        "entered": [i for i in lb if i not in sa],
        "left": [i for i in la if i not in sb],
    }
    if rank_diff:
        out["rank_diff"] = _rank_diff(la, lb)
    return out


def _rank_diff(la: list[str], lb: list[str]) -> pd.DataFrame:
    """``item_id, rank_a, rank_b, delta`` over both top-k lists (see :func:`compare_lists`)."""
    sb = set(lb)
    rank_a = {item: i + 1 for i, item in enumerate(la)}
    rank_b = {item: i + 1 for i, item in enumerate(lb)}
    order = lb + [item for item in la if item not in sb]
    rows = pd.DataFrame(
        {
            "item_id": pd.Series(order, dtype=object),
            "rank_a": pd.array([rank_a.get(i) for i in order], dtype="Int64"),
            "rank_b": pd.array([rank_b.get(i) for i in order], dtype="Int64"),
        }
    )
    rows["delta"] = rows["rank_a"] - rows["rank_b"]
    return rows


def compare_variants(lists: Mapping[str, pd.DataFrame], k: int = 10) -> pd.DataFrame:
    """Each recommendation frame against the first one, with titles for the items that entered / left.

    Args:
        lists: variant name → ``Recommender.recommend`` frame (``item_id``, ``title``), in display order.
        k: depth compared.

    Returns:
        One row per later variant: ``variant`` (``"A → B"``), ``overlap@k``, ``rbo``, ``jaccard``, ``entered``
        and ``left`` (lists of titles, ids where a title is unknown).
    """
    names = list(lists)
    titles = {i: t for df in lists.values() for i, t in zip(df["item_id"], df["title"])}
    base = list(lists[names[0]]["item_id"]) if names else []
    rows = []
    for n in names[1:]:
        r = compare_lists(base, list(lists[n]["item_id"]), k=k)
        rows.append({"variant": f"{names[0]} → {n}", "overlap@k": r["overlap"], "rbo": r["rbo"],
                     "jaccard": r["jaccard"], "entered": [titles.get(i, i) for i in r["entered"]],
                     "left": [titles.get(i, i) for i in r["left"]]})
    return pd.DataFrame(rows)
