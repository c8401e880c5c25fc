"""Interaction logs: reading them, checking them, and turning them into ranker training data.

A log is rows of (user, item, optional rating, optional timestamp). Problems are reported, never fatal while
something usable remains: unknown item ids, users with no positive, and self-contradicting rows (the same user
and item marked both liked and not liked; the latest row wins) are all counted with examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Callable, Sequence

import numpy as np
import pandas as pd

from coldrec.errors import ColdrecError

__all__ = ["InteractionLog", "TrainingData", "load_interactions", "build_training_data", "popularity_counts"]

_USER = ("user_id", "user", "uid", "userid", "customer_id", "reader_id")
_ITEM = ("item_id", "item", "iid", "itemid", "product_id", "asin", "movie_id", "article_id")
_RATING = ("rating", "label", "clicked", "score", "liked")
_TIME = ("timestamp", "time", "ts", "date", "datetime")


def _pick(df: pd.DataFrame, given: str | None, names: Sequence[str], what: str, required: bool) -> str | None:
    if given:
        if given not in df.columns:
            raise ColdrecError(
                f"The interaction log has no {what} column {given!r}; its columns are: {', '.join(map(str, df.columns))}."
            )
        return given
    lower = {str(c).lower(): c for c in df.columns}
    for n in names:
        if n in lower:
            return lower[n]
    if required:
        raise ColdrecError(
            f"Could not find the {what} column in the interaction log; name it with the option for it. "
            f"Columns found: {', '.join(map(str, df.columns))}; expected one of {', '.join(names)}."
        )
    return None


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
    positive_threshold: float | None = None,
) -> InteractionLog:
    """Read and check an interaction log (CSV/TSV/JSON/Parquet/Excel path or file object, or a DataFrame).

    Args:
        source: the log.
        known_items: catalog item ids; rows naming other items are reported and left out of training.
        user_col, item_col, rating_col, time_col: column names (auto-detected when ``None``).
        positive_threshold: rating at or above which a row is a positive; default 4 on a 1-5 scale, else 1.
            Without a rating column every row is a positive.

    Example:
        >>> log = load_interactions(pd.DataFrame({"user_id": ["u1"], "item_id": ["a"]}))
        >>> int(log.frame["label"].sum())
        1
    """
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        from coldrec.catalog import read_table

        df = read_table(source)[0]
    rows_read = len(df)
    u = _pick(df, user_col, _USER, "user", True)
    i = _pick(df, item_col, _ITEM, "item", True)
    r = _pick(df, rating_col, _RATING, "rating", False)
    t = _pick(df, time_col, _TIME, "timestamp", False)
    warnings: list[str] = []
    out = pd.DataFrame({"user_id": df[u].astype("string"), "item_id": df[i].astype("string")})
    bad = out["user_id"].isna() | out["item_id"].isna() | (out["user_id"].str.strip() == "") | (out["item_id"].str.strip() == "")
    if r is not None:
        rating = pd.to_numeric(df[r], errors="coerce")
        nonnum = rating.isna() & df[r].notna()
        if nonnum.any():
            rows = (np.flatnonzero(nonnum.to_numpy())[:5] + 1).tolist()
            warnings.append(f"{int(nonnum.sum())} row(s) have a non-numeric {r!r} and were left out (rows {rows}).")
        bad |= rating.isna()
        thr = positive_threshold if positive_threshold is not None else (4.0 if rating.max() > 1 else 1.0)
        out["label"] = (rating >= thr).astype("int8")
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
            warnings.append(f"{int(unknown.sum())} row(s) name item ids not in the catalog and were left out: {ex}.")
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
    return InteractionLog(out.reset_index(drop=True), rows_read, warnings)


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
    positives, negatives, vec_rows, kept = [], [], [], []
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
            pos = pos[half:]
        kept.append(u)
        positives.append(pos)
        negatives.append(neg)
    if not kept:
        raise ColdrecError(
            "No user in the log can be used for training: give user descriptions, or at least two positives per user."
        )
    pop = popularity_counts(log, id_to_row, len(item_vectors))
    return TrainingData(kept, np.asarray(vec_rows, dtype=np.float32), positives, negatives, pop,
                        "description" if use_text else "history", warnings)
