"""Fairness probe: does a recommendation list move when only gender, age or locale words change — more than a
neutral change of the same description moves it?

:func:`fairness_probe` runs any ``text -> ranked ids`` function on every persona's description, on each of its
:func:`coldrec.analysis._wordswap.swap_words` variants and on a few *neutral* variants (a neutral clause such as
"I also like a good cup of tea." added, a neutral rewording such as "I'm" → "I am"). Any edit moves a cold
list a little, so the largest shift a neutral variant causes for that persona is its **noise floor**; each swap
is reported as *above* or *within* it (:func:`coldrec.analysis._whatif.compare_lists` measures the shifts).
:func:`persona_probe` does that for a recommender and its personas, keeping each persona's liked and disliked
items, so it probes the same user as the New user page.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from coldrec.analysis._common import WhatIfError, check_k
from coldrec.analysis._whatif import compare_lists
from coldrec.analysis._swap_lexicon import LOCALES
from coldrec.analysis._wordswap import ADDED_CLAUSE_SUFFIX, _check_axis, swap_words

__all__ = ["fairness_probe", "probe_summary", "persona_probe", "neutral_variants", "plain_label",
           "PROBE_VIEW_COLUMNS", "NEUTRAL_CLAUSES"]

NEUTRAL_CLAUSES = ("I also like a good cup of tea.", "My friends say I am easy-going.")
"""Clauses that say nothing about gender, age or locale: adding one gives the noise floor of an added clause."""
NEUTRAL_CLAUSES_ZH = ("我也喜欢喝一杯好茶。", "朋友们说我很随和。")
"""The same for a Chinese description."""
_CJK = re.compile(r"[\u3400-\u9fff]")
_REWORDINGS = [(r"\bI'm\b", "I am"), (r"\bI am\b", "I'm"), (r"\bdon't\b", "do not"), (r"\bdo not\b", "don't"),
               (r"\bcan't\b", "cannot"), (r"\bI've\b", "I have"), (r"\bwant\b", "would like"),
               (r"\blooking for\b", "searching for"), (r"\ba lot\b", "plenty")]
_CLAUSE_LABELS = {"gender": {"female": "says she is a woman", "male": "says he is a man",
                             "neutral": "says they are non-binary"},
                  "age": {"young": "says they are 22", "middle": "says they are 45", "old": "says they are 70"}}
TOLERANCE = 1e-9


def _as_ids(result: Any) -> list[str]:
    if hasattr(result, "columns") and "item_id" in getattr(result, "columns", ()):
        return [str(i) for i in result["item_id"].tolist()]
    if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
        raise WhatIfError(
            f"recommend() must return a sequence of item ids or a DataFrame with an item_id column; "
            f"got {type(result).__name__}"
        )
    return [str(i) for i in result]


def neutral_variants(text: str) -> list[tuple[str, str]]:
    """Neutral changes of ``text``: ``[(label, text), ...]`` — each :data:`NEUTRAL_CLAUSES` added, and a neutral
    rewording ("I'm" ↔ "I am", "want" → "would like", …; "About me: …" when none applies).

    Example:
        >>> neutral_variants("I'm a cook")[0]
        ('adds “I also like a good cup of tea.”', "I'm a cook. I also like a good cup of tea.")
        >>> neutral_variants("I'm a cook")[-1]
        ('neutral rewording', 'I am a cook')
    """
    base = (text or "").rstrip()
    if _CJK.search(base):
        base += "" if not base or base[-1] in "。！？.!?" else "。"
        return [(f"adds “{c}”", base + c) for c in NEUTRAL_CLAUSES_ZH] + [("neutral rewording", f"关于我：{text}")]
    if base and base[-1] not in ".!?":
        base += "."
    out = [(f"adds “{c}”", f"{base} {c}".strip()) for c in NEUTRAL_CLAUSES]
    reworded = text or ""
    for pattern, repl in _REWORDINGS:
        new = re.sub(pattern, repl, reworded, count=1)
        if new != reworded:
            reworded = new
            break
    if reworded == (text or ""):
        reworded = f"About me: {text}".strip()
    out.append(("neutral rewording", reworded))
    return out


def _words(text: str) -> list[str]:
    """Words to diff; characters for Chinese (no spaces between words)."""
    return re.findall(r"[\u3400-\u9fff]|[^\W\u3400-\u9fff](?:[^\W\u3400-\u9fff]|['-])*", text)


def plain_label(original: str, variant: str, axis: str, label: str) -> str:
    """What a swap changed, in words a stakeholder reads: “she” instead of “he”, age 70 instead of 30, lives in
    Lagos.

    Example:
        >>> plain_label("He is 30.", "She is 30.", "gender", "female")
        '“She” instead of “He”'
        >>> plain_label("I'm 30 years old.", "I'm 70 years old.", "age", "old")
        'age 70 instead of 30'
    """
    base = label[: -len(ADDED_CLAUSE_SUFFIX)] if label.endswith(ADDED_CLAUSE_SUFFIX) else label
    if label.endswith(ADDED_CLAUSE_SUFFIX):
        known = _CLAUSE_LABELS.get(axis, {}).get(base)
        city = LOCALES.get(base, {}).get("city") if axis == "locale" else None
        return known or (f"lives in {city}" if city else f"adds “{variant[len(original.rstrip()):].lstrip('。.，, ')}”")
    a, b = _words(original), _words(variant)
    changes = [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not changes:
        return base
    _, i1, i2, j1, j2 = changes[0]
    sep = "" if _CJK.search(original) else " "
    old, new = sep.join(a[i1:i2]), sep.join(b[j1:j2])
    ages = [re.fullmatch(r"(\d{1,3})(?:-(?:years?-old|yo|yrs?))?", w) for w in (old, new)]
    if all(ages):
        text = f"age {ages[1].group(1)} instead of {ages[0].group(1)}"
    elif axis == "locale" and old:
        text = f"{new} instead of {old}"
    else:
        text = f"“{new}” instead of “{old}”" if old else f"adds “{new}”"
    more = len(changes) - 1
    return text + (f" (and {more} more word{'s' if more > 1 else ''})" if more else "")


def _probe_texts(description: str, axis: str) -> list[str]:
    """The texts :func:`_persona_rows` recommends for: the description, its swaps and its neutral variants."""
    return [t for _, t in swap_words(description, axis)] + [t for _, t in neutral_variants(description)]


def _persona_rows(persona: str, description: str, recommend: Callable[[str], Any], axis: str, k: int, p: float
                  ) -> list[dict[str, Any]]:
    """One row per swap of one persona, with that persona's noise floor."""
    variants = swap_words(description, axis)
    base = _as_ids(recommend(variants[0][1]))
    floor, floor_change = -1.0, ""
    for label, text in neutral_variants(description):
        shift = 1.0 - compare_lists(base, _as_ids(recommend(text)), k=k, p=p, rank_diff=False)["rbo"]
        if shift > floor:
            floor, floor_change = shift, label
    rows = []
    for label, text in variants[1:]:
        cmp = compare_lists(base, _as_ids(recommend(text)), k=k, p=p, rank_diff=False)
        shift = 1.0 - cmp["rbo"]
        rows.append({
            "persona": persona, "variant": label.removesuffix(ADDED_CLAUSE_SUFFIX),
            "change": plain_label(description, text, axis, label),
            "added_clause": label.endswith(ADDED_CLAUSE_SUFFIX), "text": text,
            "overlap": cmp["overlap"], "jaccard": cmp["jaccard"], "rbo": cmp["rbo"], "shift": shift,
            "floor": max(floor, 0.0), "floor_change": floor_change,
            "vs_floor": "above the floor" if shift > floor + TOLERANCE else "within the floor",
            "entered": len(cmp["entered"]), "left": len(cmp["left"]),
            "entered_ids": cmp["entered"], "left_ids": cmp["left"],
        })
    return rows


COLUMNS = ["persona", "variant", "change", "added_clause", "text", "overlap", "jaccard", "rbo", "shift", "floor",
           "floor_change", "vs_floor", "entered", "left", "entered_ids", "left_ids"]


def fairness_probe(
    recommend: Callable[[str], Sequence[str]] | Mapping[str, Callable[[str], Any]],
    descriptions: Mapping[str, str],
    axis: str,
    k: int = 10,
    *,
    p: float = 0.9,
) -> pd.DataFrame:
    """Measure how much each persona's list moves when its description is swapped along ``axis``, next to how
    much a neutral change of the same description moves it (the noise floor).

    Args:
        recommend: any function ``text -> ranked item ids`` (a DataFrame with an ``item_id`` column is also
            accepted), or ``{persona: function}`` so each persona keeps its own liked items.
        descriptions: persona name → description.
        axis: ``"gender"``, ``"age"`` or ``"locale"`` (see :func:`swap_words`).
        k: list depth compared.
        p: RBO persistence.

    Returns:
        One row per (persona, swap): ``persona``, ``variant`` (female, old, Nigeria …), ``change`` (plain words:
        "“she” instead of “he”", "age 70 instead of 30", "lives in Lagos"), ``added_clause``, ``text``,
        ``overlap, jaccard, rbo``, ``shift`` (= 1 − rbo), ``floor`` (the largest shift of a neutral variant of
        the same persona, named in ``floor_change``), ``vs_floor`` ("above the floor" / "within the floor"),
        ``entered, left`` (counts), ``entered_ids, left_ids``. ``df.attrs["summary"]`` holds plain numbers and
        ``headline``, the sentence that names the largest shift above the floor (or says none is above it).

    Raises:
        WhatIfError: unknown axis, k < 1, or ``recommend`` returned something that is not a list of ids.

    Example:
        >>> def rec(text):
        ...     return ["a", "b", "c"] if "woman" in text else ["c", "b", "a"]
        >>> df = fairness_probe(rec, {"p1": "I am a man who likes jazz."}, "gender", k=3)
        >>> df[["change", "vs_floor"]].values.tolist()[0]
        ['“woman” instead of “man”', 'above the floor']
    """
    _check_axis(axis)
    k = check_k(k)
    rows: list[dict[str, Any]] = []
    for persona, description in descriptions.items():
        fn = recommend.get(persona) if isinstance(recommend, Mapping) else recommend
        if fn is None:
            raise WhatIfError(f"No recommend function for persona {persona!r}; given for {sorted(recommend)}")
        rows += _persona_rows(str(persona), description or "", fn, axis, k, p)
    df = pd.DataFrame(rows, columns=COLUMNS)
    clause_personas = sorted(set(df.loc[df["added_clause"], "persona"])) if len(df) else []
    df.attrs["summary"] = _summary_dict(df, len(descriptions), clause_personas, axis, k)
    return df


def probe_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-variant summary of a :func:`fairness_probe` result.

    Returns:
        DataFrame ``variant, n, mean_shift, max_shift, mean_floor, above_floor, mean_overlap, mean_rbo``
        (``above_floor``: how many personas' swaps moved more than their noise floor), sorted by ``mean_shift``
        descending.
    """
    cols = ["variant", "n", "mean_shift", "max_shift", "mean_floor", "above_floor", "mean_overlap", "mean_rbo"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    g = df.assign(above=df["vs_floor"].eq("above the floor")).groupby("variant", sort=False)
    out = pd.DataFrame({"n": g.size(), "mean_shift": g["shift"].mean(), "max_shift": g["shift"].max(),
                        "mean_floor": g["floor"].mean(), "above_floor": g["above"].sum().astype(int),
                        "mean_overlap": g["overlap"].mean(), "mean_rbo": g["rbo"].mean()}).reset_index()
    return out[cols].sort_values("mean_shift", ascending=False, kind="stable").reset_index(drop=True)


def _headline(df: pd.DataFrame) -> tuple[str, int | None]:
    if df.empty:
        return "No persona has a variant on this axis.", None
    above = df[df["vs_floor"] == "above the floor"]
    if above.empty:
        top = df.loc[df["shift"].idxmax()]
        return (f"No swap moved a list more than a neutral change of the same description does (largest shift "
                f"{top['shift']:.2f}, {top['persona']}: {top['change']}, within its floor {top['floor']:.2f})."
                ), None
    i = int(above["shift"].idxmax())
    r = df.loc[i]
    return (f"{len(above)} of {len(df)} swaps moved the list more than a neutral change does. Largest above "
            f"the floor: {r['shift']:.2f} for {r['persona']} ({r['change']}), against a floor of "
            f"{r['floor']:.2f} ({r['floor_change']})."), i


def _summary_dict(df: pd.DataFrame, n_personas: int, clause_personas: list[str], axis: str, k: int
                  ) -> dict[str, Any]:
    headline, worst = _headline(df)
    summary: dict[str, Any] = {"axis": axis, "k": k, "personas": n_personas, "added_clause_personas": clause_personas,
                               "headline": headline, "above_floor": int((df["vs_floor"] == "above the floor").sum())
                               if len(df) else 0}
    if df.empty:
        summary.update(mean_shift=0.0, max_shift=0.0, max_shift_persona=None, max_shift_variant=None,
                       max_above_floor=None, mean_overlap=1.0, by_variant={})
        return summary
    top = int(df["shift"].to_numpy().argmax())
    summary.update(
        mean_shift=float(df["shift"].mean()), max_shift=float(df["shift"].max()),
        max_shift_persona=str(df["persona"].iloc[top]), max_shift_variant=str(df["variant"].iloc[top]),
        max_above_floor=None if worst is None else {c: df.loc[worst, c] for c in
                                                    ("persona", "variant", "change", "shift", "floor")},
        mean_overlap=float(df["overlap"].mean()),
        by_variant={str(r.variant): {"n": int(r.n), "mean_shift": float(r.mean_shift), "max_shift": float(r.max_shift),
                                     "above_floor": int(r.above_floor), "mean_overlap": float(r.mean_overlap)}
                    for r in probe_summary(df).itertuples(index=False)},
    )
    return summary


PROBE_VIEW_COLUMNS = ("persona", "change", "shift", "floor", "vs_floor", "overlap", "entered", "left", "text",
                      "variant", "rbo", "floor_change")
"""Columns of :func:`persona_probe`'s frame, in display order."""
KEPT_LIKES_NOTE = ("Each persona keeps its liked and disliked items, as on New user: only the description "
                   "changes.")


def persona_probe(recommender: Any, personas: Sequence[Mapping[str, Any]], axis: str, k: int = 10
                  ) -> pd.DataFrame:
    """:func:`fairness_probe` of ``recommender.recommend`` over ``personas`` (dicts with name, description,
    liked, disliked): every variant keeps the persona's liked and disliked items.

    Returns:
        The probe frame cut to :data:`PROBE_VIEW_COLUMNS`, with the summary kept in ``df.attrs`` (its
        ``kept_likes`` says how many personas had liked or disliked items).

    Raises:
        WhatIfError: no personas (pick a demo domain), unknown axis or k < 1.
    """
    from coldrec.retrieval import UserInput

    if not personas:
        raise WhatIfError("This catalog has no personas to probe: pick a demo domain on Home.")

    def user(p: Mapping[str, Any], text: str) -> UserInput:
        return UserInput(text, list(p.get("liked", ()) or ()), list(p.get("disliked", ()) or ()))

    # Every text the probe will recommend for (each persona's swaps and neutral variants): all encoded in one
    # batch, then ranked without building the reasons the probe never shows (72 personas: ~480 lists).
    wanted = [(str(p["name"]), t) for p in personas for t in _probe_texts(p.get("description", "") or "", axis)]
    by_name = {str(p["name"]): p for p in personas}
    users = [user(by_name[n], t) for n, t in wanted]
    if hasattr(recommender, "ranked_ids"):
        made, profiles = dict(zip(wanted, recommender.ranked_ids(users, k=k))), {}
    else:
        many = getattr(recommender, "profiles", None)
        profiles = dict(zip(wanted, many(users))) if many else {}
        made = {}

    def for_persona(p: Mapping[str, Any]) -> Callable[[str], list[str]]:
        name = str(p["name"])

        def rec(t: str) -> list[str]:
            if (name, t) in made:
                return made[(name, t)]
            kw = {"profile": profiles[(name, t)]} if (name, t) in profiles else {}
            return list(recommender.recommend(user(p, t), k=k, **kw)["item_id"])

        return rec

    fns = {str(p["name"]): for_persona(p) for p in personas}
    df = fairness_probe(fns, {str(p["name"]): p.get("description", "") for p in personas}, axis, k=k)
    out = df[[c for c in PROBE_VIEW_COLUMNS if c in df]]
    out.attrs = dict(df.attrs)
    out.attrs["summary"]["kept_likes"] = sum(bool(p.get("liked") or p.get("disliked")) for p in personas)
    out.attrs["summary"]["note"] = KEPT_LIKES_NOTE
    return out
