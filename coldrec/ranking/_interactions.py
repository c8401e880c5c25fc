"""Interaction logs: reading them, checking them, and turning them into ranker training data.

A log is rows of (user, item, optional rating, optional timestamp). Problems are reported, never fatal while
something usable remains: unknown item ids, users with no positive, and self-contradicting rows (the same user
and item marked both liked and not liked; the latest row wins) are all counted with examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Sequence

import numpy as np
import pandas as pd

from coldrec.catalog._vocabulary import ROLE_NAMES, find_column, looks_headerless, restore_header_row
from coldrec.errors import ColdrecError

__all__ = ["InteractionLog", "TrainingData", "load_interactions", "build_training_data", "popularity_counts",
           "positive_rule", "PositiveRule"]

_FLAGS = {"user": "--user-col", "item": "--item-col", "rating": "--rating-col", "time": "--time-col"}


def _sample(col: pd.Series, n: int = 3) -> str:
    vals = [repr(str(v))[:40] for v in col.dropna().unique()[:n]]
    return ", ".join(vals) or "(empty)"


def _pick(df: pd.DataFrame, given: str | None, role: str, used: Sequence[str], required: bool,
          label: str) -> str | None:
    if given:
        if given not in df.columns:
            raise ColdrecError(
                f"{label} has no {role} column {given!r} ({_FLAGS[role]} {given}); its columns are: "
                f"{', '.join(map(str, df.columns))}. Pass one of them with {_FLAGS[role]}."
            )
        return given
    found = find_column(list(df.columns), role, used)
    if found is None and required:
        cols = "; ".join(f"{c!s} (e.g. {_sample(df[c])})" for c in list(df.columns)[:8])
        raise ColdrecError(
            f"Could not tell which column of {label} holds the {role} ids: none is named like one "
            f"({', '.join(ROLE_NAMES[role][:6])}, …). Columns: {cols}. Name it with {_FLAGS[role]} COLUMN."
        )
    return found


_DATE = r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4})([ T]\d{1,2}:\d{2}.*)?$"


def _infer_roles(df: pd.DataFrame, known_items: Sequence[str] | None) -> dict[str, str]:
    """Roles of a headerless log's ``column_N`` columns from their values.

    time: integers above 10^8 (Unix seconds) or dates; rating: a numeric column with at most 20 distinct values;
    item: the id-like column whose values are most often catalog ids (else the second id-like column); user: the
    remaining id-like column.
    """
    roles: dict[str, str] = {}
    ids: list[str] = []
    for c in df.columns:
        col = df[c].dropna().astype(str).str.strip()
        num = pd.to_numeric(col, errors="coerce")
        if len(col) and num.notna().all():
            if "time" not in roles and (num > 1e8).mean() > 0.9:
                roles["time"] = c
                continue
            if "rating" not in roles and num.nunique() <= 20 and len(ids) >= 2:
                roles["rating"] = c
                continue
        elif "time" not in roles and len(col) and col.head(50).str.match(_DATE).all():
            roles["time"] = c
            continue
        ids.append(c)
    if len(ids) >= 2:
        item = ids[1]
        if known_items is not None:
            known = set(map(str, known_items))
            item = max(ids[:3], key=lambda c: df[c].astype(str).str.strip().isin(known).mean())
        roles["item"] = item
        roles["user"] = next(c for c in ids if c != item)
    return roles


@dataclass(frozen=True)
class PositiveRule:
    """Which ratings count as a positive: ``op`` is ``">="``, ``">"``, ``"=="`` or ``"any"``."""

    op: str
    value: float
    text: str

    def apply(self, rating: pd.Series) -> pd.Series:
        """0/1 labels for ``rating`` (NaN ratings give 0; callers drop those rows)."""
        if self.op == "any":
            return pd.Series(np.ones(len(rating), np.int8), index=rating.index)
        ops = {">=": rating >= self.value, ">": rating > self.value, "==": rating == self.value}
        return ops[self.op].astype("int8")


def positive_rule(rating: pd.Series, positive: str | float | None = None) -> PositiveRule:
    """Which ratings count as positive.

    ``positive`` is ``"any"``, a number (``>=`` it), or a rule such as ``">= 4"``, ``"> 0"``, ``"== 1"``.
    ``None`` reads the scale from the values: 0/1 labels → ``>= 1``; 1–5 or 0.5–5 stars → ``>= 4``; 1–10 →
    ``>= 8``; counts (larger maxima) → ``>= 1`` (any interaction); scores with negatives → ``> 0``.

    Raises:
        ColdrecError: ``positive`` is none of those forms.

    Example:
        >>> positive_rule(pd.Series([1.0, 3.0, 5.0])).text
        'rating >= 4 (a 1-5 scale)'
    """
    if isinstance(positive, str):
        spec = positive.strip().lower()
        if spec in ("any", "all", "every"):
            return PositiveRule("any", 0.0, "every row is a positive (--positive any)")
        m = re.fullmatch(r"(>=|>|==|=)?\s*(-?\d+(?:\.\d+)?)", spec)
        if not m:
            raise ColdrecError(f"--positive {positive!r} is not a rule: use 'any', a number, or a rule such as "
                               "'>= 4', '> 0' or '== 1'.")
        op = {"=": "=="}.get(m.group(1) or ">=", m.group(1) or ">=")
        return PositiveRule(op, float(m.group(2)), f"rating {op} {float(m.group(2)):g} (--positive)")
    if positive is not None:
        return PositiveRule(">=", float(positive), f"rating >= {float(positive):g}")
    r = rating.dropna()
    lo, hi = (float(r.min()), float(r.max())) if len(r) else (0.0, 1.0)
    if lo < 0:
        return PositiveRule(">", 0.0, f"rating > 0 (scores from {lo:g} to {hi:g})")
    if hi <= 1:
        return PositiveRule(">=", 1.0, "rating >= 1 (0/1 labels)")
    if hi <= 5:
        scale = "a 1-5 scale" if bool((r == r.round()).all()) else "a 0.5-5 star scale"
        return PositiveRule(">=", 4.0, f"rating >= 4 ({scale})")
    if hi <= 10 and lo >= 0.5:
        return PositiveRule(">=", 8.0, "rating >= 8 (a 1-10 scale)")
    return PositiveRule(">=", 1.0, f"rating >= 1 (counts up to {hi:g}: any interaction)")


def _timestamps(col: pd.Series) -> pd.Series:
    """Numbers as they are; date strings ("2021-03-01") as seconds since 1970, so rows still sort by time."""
    ts = pd.to_numeric(col, errors="coerce")
    if ts.isna().all() and col.notna().any():
        dt = pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
        ts = (dt - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return ts


@dataclass
class InteractionLog:
    """A cleaned log: ``frame`` has ``user_id, item_id, label (0/1), timestamp``; ``warnings`` says what was off."""

    frame: pd.DataFrame
    rows_read: int
    warnings: list[str] = field(default_factory=list)
    positive: str = "every row is a positive (no rating column)"
    """Which rows counted as positives, in words (e.g. ``rating >= 4 (a 1-5 scale)``)."""
    columns: dict[str, str] = field(default_factory=dict)
    """The file's column read for each role (``user``, ``item``, ``rating``, ``time``)."""

    @property
    def positives(self) -> pd.DataFrame:
        """Rows with label 1."""
        return self.frame[self.frame["label"] == 1]


def load_interactions(
    source: str | IO[bytes] | pd.DataFrame,
    *,
    known_items: Sequence[str] | None = None,
    user_col: str | None = None,
    item_col: str | None = None,
    rating_col: str | None = None,
    time_col: str | None = None,
    positive_threshold: float | str | None = None,
    name: str | None = None,
) -> InteractionLog:
    """Read and check an interaction log (CSV/TSV/JSON/Parquet/Excel path or file object, or a DataFrame).

    Args:
        source: the log.
        known_items: catalog item ids; rows naming other items are reported and left out of training.
        user_col, item_col, rating_col, time_col: column names (auto-detected when ``None``).
        positive_threshold: which rows are positives: a number (rating at or above it), a rule such as
            ``">= 4"``, ``"> 0"``, ``"any"``, or None to read the scale from the values (see
            :func:`positive_rule`). Without a rating column every row is a positive.
        name: the log's name in messages (default: the file name).

    A file whose first row is data (numbers or ids, no known column name) is read as headerless, with a
    warning; its columns are then ``column_1…`` and their roles are read from their values.

    Example:
        >>> log = load_interactions(pd.DataFrame({"user_id": ["u1"], "item_id": ["a"]}))
        >>> int(log.frame["label"].sum())
        1
    """
    label = name or (f"the interaction log {Path(str(source)).name!r}" if isinstance(source, (str, Path))
                     else "the interaction log")
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        from coldrec.catalog import read_table

        df = read_table(source)[0]
    warnings: list[str] = []
    guessed: dict[str, str] = {}
    named = [c for c in (user_col, item_col, rating_col, time_col) if c]
    if looks_headerless(df.columns, df) and not any(c in df.columns for c in named):
        first = ", ".join(map(str, df.columns))
        df = restore_header_row(df)
        if not named:
            guessed = _infer_roles(df, known_items)
            warnings.append(f"{label} has no header row (its first row, {first}, is data): read it as columns "
                            f"column_1…column_{df.shape[1]}, taking "
                            f"{', '.join(f'{r} = {c}' for r, c in guessed.items())} from their values; name them "
                            "with --user-col/--item-col/--rating-col/--time-col.")
    rows_read = len(df)
    used: list[str] = []
    cols: dict[str, str] = {}
    for role, given, required in (("user", user_col, True), ("item", item_col, True), ("rating", rating_col, False),
                                  ("time", time_col, False)):
        c = _pick(df, given or guessed.get(role), role, used, required, label)
        if c is not None:
            cols[role] = c
            used.append(c)
    u, i, r, t = cols["user"], cols["item"], cols.get("rating"), cols.get("time")
    rule = PositiveRule("any", 0.0, "every row is a positive (no rating column)")
    out = pd.DataFrame({"user_id": df[u].astype("string"), "item_id": df[i].astype("string")})
    bad = out["user_id"].isna() | out["item_id"].isna() | (out["user_id"].str.strip() == "") | (out["item_id"].str.strip() == "")
    if r is not None:
        rating = pd.to_numeric(df[r], errors="coerce")
        nonnum = rating.isna() & df[r].notna()
        if nonnum.any():
            rows = (np.flatnonzero(nonnum.to_numpy())[:5] + 1).tolist()
            warnings.append(f"{int(nonnum.sum())} row(s) have a non-numeric {r!r} and were left out (rows {rows}).")
        bad |= rating.isna()
        rule = positive_rule(rating, positive_threshold)
        out["label"] = rule.apply(rating)
    else:
        out["label"] = np.int8(1)
    out["timestamp"] = _timestamps(df[t]) if t is not None else np.arange(len(df), dtype=float)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5] + 1).tolist()
        warnings.append(f"{int(bad.sum())} row(s) have an empty user, item or rating and were left out (rows {rows}).")
    out = out[~bad]
    if known_items is not None:
        known = set(map(str, known_items))
        unknown = ~out["item_id"].isin(known)
        if unknown.any():
            ex = ", ".join(repr(x) for x in out.loc[unknown, "item_id"].unique()[:5])
            catalog_ex = ", ".join(repr(x) for x in list(known)[:3])
            warnings.append(f"{int(unknown.sum())} row(s) of {label} name item ids not in the catalog and were left "
                            f"out: {ex} (column {i!r}; catalog ids look like {catalog_ex}). If the ids are in another "
                            "column, name it with --item-col; if the catalog's ids are, name that with --id.")
            out = out[~unknown]
    out = out.sort_values(["user_id", "timestamp"], kind="stable")
    dup = out.duplicated(["user_id", "item_id"], keep=False)
    if dup.any():
        conflicted = out[dup].groupby(["user_id", "item_id"])["label"].nunique()
        n_conf = int((conflicted > 1).sum())
        if n_conf:
            warnings.append(
                f"{n_conf} user-item pair(s) are marked both liked and not liked; the latest row was kept."
            )
        out = out.drop_duplicates(["user_id", "item_id"], keep="last")
    no_pos = out.groupby("user_id")["label"].max()
    n_no_pos = int((no_pos == 0).sum())
    if n_no_pos:
        warnings.append(f"{n_no_pos} user(s) have no positive interaction; they are kept as negatives only.")
    if out.empty:
        raise ColdrecError(
            f"The interaction log has no usable row ({rows_read} read). " + " ".join(warnings)
        )
    return InteractionLog(out.reset_index(drop=True), rows_read, warnings, rule.text, cols)


def popularity_counts(log: InteractionLog, id_to_row: dict[str, int], n_items: int) -> np.ndarray:
    """Positive interactions per catalog row."""
    pos = log.positives["item_id"].map(id_to_row).dropna().astype(int).to_numpy()
    return np.bincount(pos, minlength=n_items).astype(np.float32)


@dataclass
class TrainingData:
    """Ranker inputs derived from a log: one profile vector per user and their positive/negative rows."""

    user_ids: list[str]
    user_vectors: np.ndarray
    positives: list[np.ndarray]
    negatives: list[np.ndarray]
    popularity: np.ndarray
    profile_source: str
    warnings: list[str] = field(default_factory=list)
    liked: list[np.ndarray] = field(default_factory=list)
    """Per user, the rows in their profile (history mode: the earlier half of positives; else none). Serving
    leaves a user's liked items out of the list, so training and held-out scoring leave them out too."""


def build_training_data(
    log: InteractionLog,
    id_to_row: dict[str, int],
    item_vectors: np.ndarray,
    encode: Callable[[list[str]], np.ndarray] | None = None,
    user_texts: dict[str, str] | None = None,
) -> TrainingData:
    """Turn a log into per-user profile vectors and targets, the way a cold user is seen at serving time.

    With ``user_texts`` (user id -> description) the profile is the encoded description and every positive is a
    target. Without it, each user's earlier half of positives (by time) becomes liked items and the later half
    the targets, so the ranker never sees its targets in the profile.

    Args:
        log: from :func:`load_interactions`.
        id_to_row: item id -> row of ``item_vectors``.
        item_vectors: catalog matrix.
        encode: ``texts -> vectors`` (needed with ``user_texts``), e.g. ``lambda t: embed_texts(enc, t, cache).vectors``.
        user_texts: optional descriptions of the log's users.
    """
    frame = log.frame
    warnings = list(log.warnings)
    users = list(dict.fromkeys(frame["user_id"].tolist()))
    rows = frame["item_id"].map(id_to_row)
    grouped = {u: g for u, g in frame.assign(row=rows).groupby("user_id", sort=False)}
    use_text = bool(user_texts)
    if use_text:
        if encode is None:
            raise ColdrecError("build_training_data needs an encode function when user texts are given.")
        described = [u for u in users if str(user_texts.get(u, "") or "").strip()]
        if len(described) < len(users):
            warnings.append(
                f"{len(users) - len(described)} user(s) have no description and were left out of training."
            )
            users = described
        vecs = encode([str(user_texts[u]) for u in users]) if users else np.zeros((0, item_vectors.shape[1]))
    positives, negatives, vec_rows, kept, liked = [], [], [], [], []
    for j, u in enumerate(users):
        g = grouped[u]
        pos = g.loc[g["label"] == 1, "row"].dropna().astype(int).to_numpy()
        neg = g.loc[g["label"] == 0, "row"].dropna().astype(int).to_numpy()
        if use_text:
            vec_rows.append(vecs[j])
        else:
            if len(pos) < 2:
                continue
            half = len(pos) // 2
            prof = item_vectors[pos[:half]].mean(axis=0)
            n = float(np.linalg.norm(prof))
            vec_rows.append(prof / n if n else prof)
            liked.append(pos[:half])
            pos = pos[half:]
        if use_text:
            liked.append(np.zeros(0, dtype=np.int64))
        kept.append(u)
        positives.append(pos)
        negatives.append(neg)
    if not kept:
        raise ColdrecError(
            "No user in the log can be used for training: give user descriptions, or at least two positives per user."
        )
    pop = popularity_counts(log, id_to_row, len(item_vectors))
    return TrainingData(kept, np.asarray(vec_rows, dtype=np.float32), positives, negatives, pop,
                        "description" if use_text else "history", warnings, liked)
