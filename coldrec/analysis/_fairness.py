"""Fairness probe: does a recommendation list move when only gender, age or locale words change?

:func:`fairness_probe` runs any ``text -> ranked ids`` function on every persona's description and on each of
its :func:`coldrec.analysis._wordswap.swap_words` variants, and reports how far each variant's list moved
(:func:`coldrec.analysis._whatif.compare_lists`). :func:`persona_probe` does that for a recommender and a list of personas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from coldrec.analysis._common import WhatIfError, check_k
from coldrec.analysis._whatif import compare_lists
from coldrec.analysis._wordswap import ADDED_CLAUSE_SUFFIX, _check_axis, swap_words

__all__ = ["fairness_probe", "probe_summary", "persona_probe", "PROBE_VIEW_COLUMNS"]


def _as_ids(result: Any) -> list[str]:
    if hasattr(result, "columns") and "item_id" in getattr(result, "columns", ()):
        return [str(i) for i in result["item_id"].tolist()]
    if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
        raise WhatIfError(
            f"recommend() must return a sequence of item ids or a DataFrame with an item_id column; "
            f"got {type(result).__name__}"
        )
    return [str(i) for i in result]


def fairness_probe(
    recommend: Callable[[str], Sequence[str]],
    descriptions: Mapping[str, str],
    axis: str,
    k: int = 10,
    *,
    p: float = 0.9,
) -> pd.DataFrame:
    """Measure how much each persona's recommendations move when its description is swapped along ``axis``.

    Args:
        recommend: any function ``text -> ranked item ids`` (a DataFrame with an ``item_id`` column is also
            accepted), e.g. ``lambda t: rec.recommend(t, k=10)["item_id"].tolist()``.
        descriptions: persona name → description.
        axis: ``"gender"``, ``"age"`` or ``"locale"`` (see :func:`swap_words`).
        k: list depth compared.
        p: RBO persistence.

    Returns:
        One row per (persona, variant) with columns ``persona, variant, added_clause, text, overlap, jaccard,
        rbo, shift`` (= 1 − rbo), ``entered, left`` (counts), ``entered_ids, left_ids`` (lists), compared with
        the persona's original description. ``df.attrs["summary"]`` holds plain numbers: ``mean_shift``,
        ``max_shift``, ``max_shift_persona``, ``max_shift_variant``, ``mean_overlap``, ``personas``,
        ``added_clause_personas`` (personas with no word on the axis) and ``by_variant``
        ({label: {mean_shift, max_shift, mean_overlap, n}}). :func:`probe_summary` gives the per-variant
        table.

    Raises:
        WhatIfError: unknown axis, k < 1, or ``recommend`` returned something that is not a list of ids.

    Example:
        >>> def rec(text):
        ...     return ["a", "b", "c"] if "woman" in text else ["c", "b", "a"]
        >>> df = fairness_probe(rec, {"p1": "I am a man who likes jazz."}, "gender", k=3)
        >>> df[["variant", "rbo"]].round(3).values.tolist()[0]
        ['female', 0.855]
    """
    _check_axis(axis)
    k = check_k(k)
    rows: list[dict[str, Any]] = []
    clause_personas: list[str] = []
    for persona, description in descriptions.items():
        variants = swap_words(description, axis)
        base = _as_ids(recommend(variants[0][1]))
        added = len(variants) > 1 and variants[1][0].endswith(ADDED_CLAUSE_SUFFIX)
        if added:
            clause_personas.append(str(persona))
        for label, text in variants[1:]:
            cmp = compare_lists(base, _as_ids(recommend(text)), k=k, p=p)
            rows.append(
                {
                    "persona": str(persona),
                    "variant": label,
                    "added_clause": label.endswith(ADDED_CLAUSE_SUFFIX),
                    "text": text,
                    "overlap": cmp["overlap"],
                    "jaccard": cmp["jaccard"],
                    "rbo": cmp["rbo"],
                    "shift": 1.0 - cmp["rbo"],
                    "entered": len(cmp["entered"]),
                    "left": len(cmp["left"]),
                    "entered_ids": cmp["entered"],
                    "left_ids": cmp["left"],
                }
            )
    columns = ["persona", "variant", "added_clause", "text", "overlap", "jaccard", "rbo", "shift", "entered",
               "left", "entered_ids", "left_ids"]
    df = pd.DataFrame(rows, columns=columns)
    df.attrs["summary"] = _summary_dict(df, len(descriptions), clause_personas, axis, k)
    return df


def _base_label(label: str) -> str:
    return label[: -len(ADDED_CLAUSE_SUFFIX)] if label.endswith(ADDED_CLAUSE_SUFFIX) else label


def probe_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-variant summary of a :func:`fairness_probe` result.

    Returns:
        DataFrame ``variant, n, mean_shift, max_shift, mean_overlap, mean_rbo`` (labels without the
        added-clause suffix, so personas with and without axis words are pooled), sorted by ``mean_shift``
        descending.

    Example:
        >>> probe_summary(df)   # doctest: +SKIP
    """
    cols = ["variant", "n", "mean_shift", "max_shift", "mean_overlap", "mean_rbo"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    g = df.assign(variant=df["variant"].map(_base_label)).groupby("variant", sort=False)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "mean_shift": g["shift"].mean(),
            "max_shift": g["shift"].max(),
            "mean_overlap": g["overlap"].mean(),
            "mean_rbo": g["rbo"].mean(),
        }
    ).reset_index()
    return out[cols].sort_values("mean_shift", ascending=False, kind="stable").reset_index(drop=True)


def _summary_dict(df: pd.DataFrame, n_personas: int, clause_personas: list[str], axis: str, k: int
                  ) -> dict[str, Any]:
    summary: dict[str, Any] = {"axis": axis, "k": k, "personas": n_personas,
                               "added_clause_personas": clause_personas}
    if df.empty:
        summary.update(mean_shift=0.0, max_shift=0.0, max_shift_persona=None, max_shift_variant=None,
                       mean_overlap=1.0, by_variant={})
        return summary
    worst = int(df["shift"].to_numpy().argmax())
    summary.update(
        mean_shift=float(df["shift"].mean()),
        max_shift=float(df["shift"].max()),
        max_shift_persona=str(df["persona"].iloc[worst]),
        max_shift_variant=str(df["variant"].iloc[worst]),
        mean_overlap=float(df["overlap"].mean()),
        by_variant={
            str(r.variant): {"n": int(r.n), "mean_shift": float(r.mean_shift),
                             "max_shift": float(r.max_shift), "mean_overlap": float(r.mean_overlap)}
            for r in probe_summary(df).itertuples(index=False)
        },
    )
    return summary


PROBE_VIEW_COLUMNS = ("persona", "variant", "shift", "overlap", "rbo", "entered", "left", "text")
"""Columns of :func:`persona_probe`'s frame, in display order."""


def persona_probe(recommender: Any, personas: Sequence[Mapping[str, Any]], axis: str, k: int = 10
                  ) -> pd.DataFrame:
    """:func:`fairness_probe` of ``recommender.recommend`` over ``personas`` (dicts with name, description).

    Returns:
        The probe frame cut to :data:`PROBE_VIEW_COLUMNS`, with the summary kept in ``df.attrs``.

    Raises:
        WhatIfError: no personas (pick a demo domain), unknown axis or k < 1.
    """
    if not personas:
        raise WhatIfError("This catalog has no personas to probe: pick a demo domain on Home.")
    df = fairness_probe(lambda t: list(recommender.recommend(t, k=k)["item_id"]),
                        {p["name"]: p.get("description", "") for p in personas}, axis, k=k)
    out = df[[c for c in PROBE_VIEW_COLUMNS if c in df]]
    out.attrs = dict(df.attrs)
    return out
