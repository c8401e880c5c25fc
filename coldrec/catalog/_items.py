"""Build a catalog's items frame from the mapped source columns.

Cells of any type become text; the embedded text is rendered from the text columns or the template; titles,
tags, prices and image URLs are normalised; the standard columns come first, other source columns follow.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from coldrec.catalog._columns import ColumnMap, _parse_template
from coldrec.catalog._decoding import _BAD_BYTE_BASE, _BAD_BYTE_RE, _SURROGATE_RE
from coldrec.catalog._validation import ValidationReport, _short

__all__ = ["STANDARD_COLUMNS"]

#: Columns every :attr:`Catalog.items` frame has, in this order (extra source columns follow).
STANDARD_COLUMNS: tuple[str, ...] = ("item_id", "title", "text", "category", "tags", "price", "image_url")


# ------------------------------------------------------------------------------------------- cell values
def _cell_to_str(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, np.floating):
        return _cell_to_str(float(v))
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "surrogateescape")  # bad bytes -> lone surrogates -> row reported
    if isinstance(v, (list, tuple, np.ndarray)):
        return ";".join(s for s in (_cell_to_str(x) for x in list(v)) if s)
    if isinstance(v, dict):
        try:
            return json.dumps(v, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return str(v)
    if v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)


def _as_str_series(s: pd.Series) -> pd.Series:
    """Object Series of Python str ("" for missing), vectorised where the column is already text."""
    obj = s.astype(object) if s.dtype != object else s
    vals = obj.to_numpy(dtype=object, copy=False)
    # fast path: every cell already a str
    if len(vals) and all(type(v) is str for v in vals[: min(len(vals), 64)]):
        is_str = np.fromiter((type(v) is str for v in vals), dtype=bool, count=len(vals))
        if is_str.all():
            return pd.Series(vals, index=s.index, dtype=object)
    return pd.Series([_cell_to_str(v) for v in vals], index=s.index, dtype=object)


def _show(value: str) -> str:
    """Value for the report: undecodable bytes as \\xNN, shortened."""
    if not isinstance(value, str):
        value = _cell_to_str(value)
    value = _BAD_BYTE_RE.sub(lambda m: f"\\x{ord(m.group(0)) - _BAD_BYTE_BASE:02x}", value)
    value = _SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", value)
    return _short(value)


def _render_partial(parts: list[tuple[str, bool]], values: dict[str, str]) -> str:
    """Render a template for a row with empty fields: keep the prefix and suffix literals, and between two
    filled fields only the literal just before the later one."""
    first_field = next(i for i, (_, is_f) in enumerate(parts) if is_f)
    last_field = max(i for i, (_, is_f) in enumerate(parts) if is_f)
    out: list[str] = [p for p, _ in parts[:first_field]]
    pending = ""  # literal waiting for the next filled field
    started = False
    for p, is_f in parts[first_field : last_field + 1]:
        if not is_f:
            pending = p if started else ""
            continue
        v = values[p]
        if not v.strip():
            continue
        if started:
            out.append(pending)
        out.append(v)
        started = True
        pending = ""
    out.extend(p for p, _ in parts[last_field + 1 :])
    return "".join(out)


def _blank_mask(values: np.ndarray) -> np.ndarray:
    """True where a str is empty or whitespace only."""
    return np.fromiter((not v or v.isspace() for v in values), dtype=bool, count=len(values))


def _render_text(cmap: ColumnMap, col, blank, n: int) -> tuple[pd.Series, np.ndarray]:
    """Build the text to embed, vectorised over rows. Returns ``(text, blank_mask)``."""
    if cmap.template:
        parts = _parse_template(cmap.template)
        fields = [p for p, is_f in parts if is_f]
        if not fields:
            raise ValueError("the template has no {column} placeholder")
        out = np.full(n, "", dtype=object)
        any_content = np.zeros(n, dtype=bool)
        all_content = np.ones(n, dtype=bool)
        for p, is_f in parts:
            if is_f:
                v = col(p).to_numpy(dtype=object)
                has = ~blank(p)
                any_content |= has
                all_content &= has
                out = out + v
            else:
                out = out + p
        # rows with some empty fields: drop the separators around them ("{title}. {description}" with no title
        # gives "description", not ". description"); rows with every field filled are rendered literally
        partial = np.flatnonzero(any_content & ~all_content)
        if len(partial):
            values = {f: col(f).to_numpy(dtype=object) for f in fields}
            out = out.copy()
            for i in partial:
                out[i] = _render_partial(parts, {f: values[f][i] for f in fields})
        out = np.where(any_content, out, "")
        return pd.Series(out, dtype=object), ~any_content
    cols = cmap.text
    if len(cols) == 1:
        return col(cols[0]).reset_index(drop=True), blank(cols[0])
    res = np.full(n, "", dtype=object)
    r_empty = np.ones(n, dtype=bool)
    for c in cols:
        v = col(c).to_numpy(dtype=object)
        v_empty = blank(c)
        both = np.flatnonzero(~r_empty & ~v_empty)
        if len(both):
            ends_punct = _ENDS_PUNCT.search
            sep = np.array([" " if ends_punct(x) else ". " for x in res[both]], dtype=object)
            res = res.copy()
            res[both] = res[both] + sep + v[both]
        res = np.where(r_empty & ~v_empty, v, res)
        r_empty = r_empty & v_empty
    return pd.Series(res, dtype=object), r_empty


_URL_OK = re.compile(r"^\s*https?://", re.IGNORECASE)
_ENDS_PUNCT = re.compile(r"[.!?。！？:;…]\s*$")


def _build_items(df, cmap: ColumnMap, col, ids: pd.Series, text: pd.Series, keep: np.ndarray, report) -> pd.DataFrame:
    rows_kept = keep
    out: dict[str, Any] = {}
    out["item_id"] = ids.to_numpy(dtype=object)[rows_kept]
    text_k = text.to_numpy(dtype=object)[rows_kept]
    if cmap.title:
        title = col(cmap.title).to_numpy(dtype=object)[rows_kept]
        t_empty = _blank_mask(title)
    else:
        title = np.full(len(rows_kept), "", dtype=object)
        t_empty = np.ones(len(rows_kept), dtype=bool)
    if t_empty.any():
        fallback = _title_from_text(pd.Series(text_k[t_empty], dtype=object))
        title = title.copy()
        title[t_empty] = fallback
    out["title"] = title
    out["text"] = text_k
    out["category"] = (
        col(cmap.category).str.strip().to_numpy(dtype=object)[rows_kept]
        if cmap.category
        else np.full(len(rows_kept), "", dtype=object)
    )
    if cmap.tags:
        tags = col(cmap.tags).iloc[rows_kept]
        tags = (
            tags.str.replace(r"\s*[;,|]\s*", ";", regex=True)
            .str.replace(r";{2,}", ";", regex=True)
            .str.strip()
            .str.strip(";")
        )
        out["tags"] = tags.to_numpy(dtype=object)
    else:
        out["tags"] = np.full(len(rows_kept), "", dtype=object)
    if cmap.price:
        out["price"] = _parse_price(df[cmap.price].iloc[rows_kept], col(cmap.price).iloc[rows_kept], cmap.price, report)
    else:
        out["price"] = np.full(len(rows_kept), np.nan, dtype=float)
    if cmap.image_url:
        img = col(cmap.image_url).iloc[rows_kept].str.strip()
        bad = (img != "") & ~img.str.contains(_URL_OK, regex=True).fillna(False)
        if bad.any():
            report.warnings.append(
                f"{int(bad.sum()):,} value(s) in image column {cmap.image_url!r} are not http(s) URLs and were "
                "blanked."
            )
            img = img.where(~bad, "")
        out["image_url"] = img.to_numpy(dtype=object)
    else:
        out["image_url"] = np.full(len(rows_kept), "", dtype=object)

    items = pd.DataFrame({k: pd.Series(v, dtype=object if k != "price" else float) for k, v in out.items()})
    # extra source columns, as read
    # (columns used for a role are represented by the standard column; text columns stay, e.g. description)
    used_roles = {cmap.id, cmap.title, cmap.category, cmap.tags, cmap.price, cmap.image_url} - {None}
    extra: dict[str, pd.Series] = {}
    kept = None
    for c in df.columns:
        if c in used_roles:
            continue
        target = f"{c}_source" if c in STANDARD_COLUMNS else c
        if target in items.columns or target in extra:
            continue
        if kept is None:
            kept = df.iloc[rows_kept].reset_index(drop=True)  # one row selection for every extra column
        s = kept[c]
        extra[target] = s.astype(object) if (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)) else s
    if extra:  # one concat, not one insert per column (quadratic in the number of columns)
        items = pd.concat([items, pd.DataFrame(extra, index=items.index)], axis=1)
    return items


def _title_from_text(text: pd.Series, width: int = 80) -> np.ndarray:
    first = text.str.strip().str.split(r"\r?\n|\r", n=1, regex=True).str[0].fillna("")
    long = first.str.len() > width
    short = first.str.slice(0, width - 1).str.rstrip() + "…"
    return first.where(~long, short).to_numpy(dtype=object)


def _parse_price(raw: pd.Series, s: pd.Series, column: str, report: ValidationReport) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype(float).to_numpy()
    t = s.str.strip()
    num = pd.to_numeric(t.where(t != "", None), errors="coerce").astype(float)  # plain numbers: fast path
    todo = num.isna() & (t != "")
    if todo.any():
        num[todo] = _parse_price_text(t[todo])
    num = num.where(np.isfinite(num), np.nan)
    bad = num.isna() & (t != "")
    if bad.any():
        report.warnings.append(
            f"{int(bad.sum()):,} value(s) in price column {column!r} are not numbers and were left empty "
            f"(e.g. {_show(t[bad].iloc[0])!r})."
        )
    return num.to_numpy(dtype=float)


def _parse_price_text(t: pd.Series) -> pd.Series:
    """Prices written for people: "$1,299.00", "12,99 €", "EUR 5"."""
    cleaned = t.str.replace(r"[^\d.,\-eE+]", "", regex=True)
    both = cleaned.str.contains(",", regex=False) & cleaned.str.contains(".", regex=False)
    decimal_comma = ~both & cleaned.str.fullmatch(r"-?\d+,\d{1,2}")
    cleaned = cleaned.where(~decimal_comma, cleaned.str.replace(",", ".", regex=False))
    cleaned = cleaned.str.replace(",", "", regex=False)
    return pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce").astype(float)
