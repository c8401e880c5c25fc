"""Load an item catalog from a file (or a DataFrame) and account for every row.

The catalog is the input of the whole pipeline: each item becomes one text that the sentence encoder turns
into a vector, so a new item is recommendable the moment it has a description (the cold-start point).

Supported inputs: CSV, TSV, JSON (array of objects, or column-oriented), JSON Lines, Parquet and Excel
(``.xlsx``), each optionally gzipped (``items.csv.gz``), given as a filesystem path, a binary file object (a
Streamlit ``UploadedFile`` is a ``BytesIO`` with ``.name``), raw ``bytes``, or a ready
:class:`pandas.DataFrame`. A file object's name (or ``filename=``)
only picks the format; it is never opened as a path.

Every data row read is accounted for in the :class:`ValidationReport`: kept, or skipped with its row number,
column and reason. Text is stored exactly as read (no HTML escaping, no trimming of the content); the
encoding is UTF-8 first, then detected.

This module holds :class:`Catalog` and :func:`load_catalog`; the pieces live beside it and every public name
stays importable from here: :mod:`coldrec.catalog._readers` (sources, formats; parsers in :mod:`coldrec.catalog._formats`,
text decoding in :mod:`coldrec.catalog._decoding`), :mod:`coldrec.catalog._columns` (:class:`ColumnMap`, guessing, templates),
:mod:`coldrec.catalog._items` (the items frame), :mod:`coldrec.catalog._validation` (the report) and :mod:`coldrec.catalog._export`
(formula-safe CSV).

Example:
    >>> from coldrec.catalog._catalog import load_catalog, ColumnMap
    >>> cat = load_catalog("items.csv", ColumnMap(id="sku", text=["name", "blurb"],
    ...                    template="{name}. {blurb}"))                        # doctest: +SKIP
    >>> print(cat.report.summary())                                           # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from coldrec.catalog._vocabulary import looks_headerless, restore_header_row
from coldrec.catalog._columns import (ColumnMap, _list_cols, _resolve_columns, _template_fields, complete_columns,
                                     guess_columns)
from coldrec.catalog._decoding import _BAD_CHARS_PATTERN
from coldrec.errors import CatalogError
from coldrec.catalog._export import neutralise_formulas, safe_csv_bytes, safe_csv_frame
from coldrec.catalog._items import STANDARD_COLUMNS, _as_str_series, _blank_mask, _build_items, _render_text, _show
from coldrec.catalog._readers import FORMATS, MAX_GUNZIP_BYTES, _read, _source_label, read_table
from coldrec.catalog._validation import RowIssue, ValidationReport, _short

__all__ = [
    "ColumnMap",
    "RowIssue",
    "ValidationReport",
    "Catalog",
    "read_table",
    "guess_columns",
    "load_catalog",
    "neutralise_formulas",
    "safe_csv_frame",
    "safe_csv_bytes",
    "FORMATS",
    "STANDARD_COLUMNS",
    "MAX_GUNZIP_BYTES",  # public before the split into readers/formats; kept importable
]


@dataclass
class Catalog:
    """Validated items plus the report of how they were read.

    Attributes:
        items: one row per item; columns ``item_id`` (str, unique), ``title`` (str), ``text`` (str, what is
            embedded), ``category`` (str, ``""`` if none), ``tags`` (``;``-joined str), ``price`` (float/NaN),
            ``image_url`` (str), then any other source columns. Index is 0..n-1 (the row of the item in the
            embedding matrix).
        report: the :class:`ValidationReport`.
        name: display name (file stem by default).
    """

    items: pd.DataFrame
    report: ValidationReport
    name: str = "catalog"

    def __len__(self) -> int:
        return len(self.items)

    @property
    def ids(self) -> list[str]:
        """Item ids in row order."""
        return self.items["item_id"].tolist()

    @property
    def titles(self) -> list[str]:
        """Titles in row order."""
        return self.items["title"].tolist()

    @property
    def texts(self) -> list[str]:
        """Texts to embed, in row order."""
        return self.items["text"].tolist()

    @property
    def categories(self) -> list[str]:
        """Categories in row order (``""`` where none)."""
        return self.items["category"].tolist()

    @cached_property
    def id_to_row(self) -> dict[str, int]:
        """``{item_id: row}`` (row in :attr:`items` and in the embedding matrix)."""
        return {item_id: row for row, item_id in enumerate(self.items["item_id"].tolist())}

    def index_of(self, item_id: str) -> int:
        """Row of ``item_id``.

        Raises:
            CatalogError: unknown id (the message lists the closest ids).
        """
        try:
            return self.id_to_row[str(item_id)]
        except KeyError:
            close = difflib.get_close_matches(str(item_id), list(self.id_to_row)[:50_000], n=5, cutoff=0.5)
            hint = f" Closest ids: {', '.join(map(repr, close))}." if close else ""
            raise CatalogError(
                f"Item id {str(item_id)!r} is not in catalog {self.name!r} ({len(self):,} items).{hint}"
            ) from None

    def content_hash(self) -> str:
        """sha256 over the ids and texts (in order): identifies the catalog for caches."""
        h = hashlib.sha256()
        for item_id, text in zip(self.items["item_id"].tolist(), self.items["text"].tolist()):
            for part in (item_id, text):
                b = part.encode("utf-8", "surrogatepass")
                h.update(len(b).to_bytes(8, "little"))
                h.update(b)
        return h.hexdigest()

    @cached_property
    def _folded(self) -> tuple[pd.Series, pd.Series]:
        """Case-folded titles and ids, computed once (pickers search on every keystroke)."""
        return (self.items["title"].astype(object).str.casefold(), self.items["item_id"].astype(object).str.casefold())

    def search(self, query: str, limit: int = 20) -> list[str]:
        """Ids whose title or id contains ``query`` (case-insensitive), title-prefix matches first.

        An empty query returns the first ``limit`` ids.
        """
        limit = max(0, int(limit))
        q = (query or "").strip().casefold()
        if not q:
            return self.ids[:limit]
        titles, ids = self._folded
        starts = titles.str.startswith(q).fillna(False).to_numpy(bool)
        hit = (
            starts
            | titles.str.contains(q, regex=False).fillna(False).to_numpy(bool)
            | ids.str.contains(q, regex=False).fillna(False).to_numpy(bool)
        )
        order = np.concatenate([np.flatnonzero(starts), np.flatnonzero(hit & ~starts)])
        return self.items["item_id"].to_numpy()[order[:limit]].tolist()


# -------------------------------------------------------------------------------------------- loading
def load_catalog(
    source: str | os.PathLike | IO[bytes] | bytes | pd.DataFrame,
    columns: ColumnMap | dict | None = None,
    *,
    filename: str | None = None,
    name: str | None = None,
) -> Catalog:
    """Read, map and validate a catalog.

    Args:
        source: path, binary file object (``.name`` picks the format), bytes or DataFrame.
        columns: which columns play which role (a :class:`ColumnMap` or a dict of its fields); ``None``
            guesses them (:func:`guess_columns`).
        filename: name for the format and messages (never opened); defaults to the path / ``.name``.
        name: catalog display name; defaults to the file stem.

    Returns:
        A :class:`Catalog` whose ``report`` accounts for every input row.

    Raises:
        CatalogError: unreadable file, a mapped column that does not exist (the message lists the closest
            and all available columns), or no usable row (the message is the report summary).
    """
    try:
        return _load_catalog(source, columns, filename, name)
    except CatalogError:
        raise
    except (KeyboardInterrupt, SystemExit):  # pragma: no cover
        raise
    except Exception as exc:  # safety net: bad input never surfaces as a raw traceback
        label = _source_label(source, filename)
        raise CatalogError(
            f"{label}: internal error while loading the catalog ({type(exc).__name__}: {_short(str(exc), 300)}); "
            "please report it with the file."
        ) from exc


def _load_catalog(source: Any, columns: ColumnMap | dict | None, filename: str | None, name: str | None) -> Catalog:
    table = _read(source, filename)
    label = table.label
    df = table.frame
    report = ValidationReport(label, table.format, table.encoding, rows_read=table.rows_read)
    report.warnings.extend(table.warnings)
    if name is None:
        # the last part of a name given with / or \ separators (an upload name is a name, never a path)
        stem = Path(label.replace("\\", "/").rsplit("/", 1)[-1]).stem if label and not label.startswith("<") \
            else "catalog"
        name = stem or "catalog"
    if columns is None and looks_headerless(df.columns, df):
        first = ", ".join(map(str, df.columns))[:120]
        df = restore_header_row(df)
        table.rows_read += 1
        table.rows = np.concatenate([[table.rows[0] - 1 if len(table.rows) else 1], table.rows]) \
            if len(table.rows) else np.arange(1, len(df) + 1)
        report.rows_read = table.rows_read
        report.warnings.append(f"{label} has no header row (its first row, {first}, is data): read as columns "
                               f"column_1…column_{df.shape[1]}; name them in the column map (--id, --text …).")
    if columns is None:
        cmap = guess_columns(df)
        if not cmap.text:
            raise CatalogError(
                f"{label}: no text column found. Available columns: {_list_cols(df.columns)}. "
                "Name the text column(s) in the column map (e.g. --text description)."
            )
        guessed = ", ".join(
            f"{role}={val!r}"
            for role, val in (
                ("id", cmap.id), ("text", cmap.text), ("title", cmap.title), ("category", cmap.category),
                ("tags", cmap.tags), ("price", cmap.price), ("image_url", cmap.image_url),
            )
            if val
        )
        report.warnings.append(f"columns guessed: {guessed}.")
    else:
        if isinstance(columns, dict):
            unknown = sorted(set(columns) - {f.name for f in fields(ColumnMap)})
            if unknown:
                raise CatalogError(
                    f"{label}: unknown column-map key(s) {unknown}; valid: {[f.name for f in fields(ColumnMap)]}."
                )
            columns = ColumnMap(**columns)
        cmap = _resolve_columns(columns, df, label)
        if columns.guess_rest:
            cmap, filled = complete_columns(cmap, guess_columns(df))
            if filled:
                report.warnings.append(f"columns guessed for the roles not named: {', '.join(filled)}.")
    if not cmap.text and not cmap.template:
        raise CatalogError(
            f"{label}: the column map names no text column. Available columns: {_list_cols(df.columns)}."
        )

    n = len(df)
    rows = table.rows
    skipped: list[RowIssue] = list(table.issues)
    alive = np.ones(n, dtype=bool)

    # every used column as clean Python str
    cache: dict[str, pd.Series] = {}

    def col(c: str) -> pd.Series:
        if c not in cache:
            cache[c] = _as_str_series(df[c]).reset_index(drop=True)
        return cache[c]

    blanks: dict[str, np.ndarray] = {}

    def blank(c: str) -> np.ndarray:
        """True where column c is empty or whitespace only (cached)."""
        if c not in blanks:
            blanks[c] = _blank_mask(col(c).to_numpy(dtype=object))
        return blanks[c]

    # 1. undecodable bytes / lone surrogates anywhere in the row (used columns first, so the reason names one)
    used = cmap.used_columns()
    row_cols = used + [c for c in df.columns if c not in used]
    check_cols = row_cols
    pattern = _BAD_CHARS_PATTERN if table.marked else "[\ud800-\udfff]"
    if not table.marked and table.format in ("csv", "tsv"):
        check_cols = []  # strictly decoded text cannot hold markers or lone surrogates
    for c in check_cols:
        s = df[c]
        if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
            continue
        sv = col(c)
        bad = sv.str.contains(pattern, regex=True).fillna(False).to_numpy(bool) & alive
        for i in np.flatnonzero(bad):
            skipped.append(RowIssue(int(rows[i]), c, "undecodable bytes", _show(sv.iat[i])))
        alive &= ~bad

    # 2. completely empty rows (blank lines, trailing spreadsheet rows)
    if n and len(df.columns):
        empty_row = np.ones(n, dtype=bool)
        for c in row_cols:
            if c in df.columns:
                empty_row &= blank(c)
                if not empty_row.any():
                    break  # the id/text columns usually settle it
        for i in np.flatnonzero(empty_row & alive):
            skipped.append(RowIssue(int(rows[i]), "", "empty row", ""))
        alive &= ~empty_row

    # 3. ids
    if cmap.id is not None:
        raw_ids = col(cmap.id)
        ids = raw_ids.str.strip()
        if (ids != raw_ids).any():
            report.warnings.append(f"leading/trailing spaces removed from ids in column {cmap.id!r}.")
        empty_id = (ids == "").to_numpy(bool) & alive
        for i in np.flatnonzero(empty_id):
            skipped.append(RowIssue(int(rows[i]), cmap.id, "empty id", _show(raw_ids.iat[i])))
        alive &= ~empty_id
    else:
        ids = pd.Series([f"row-{r}" for r in rows.tolist()], dtype=object)
        report.warnings.append(
            "no id column: ids generated from row numbers (row-1, row-2, …); they change if rows are reordered."
        )

    # 4. text
    try:
        text, text_blank = _render_text(cmap, col, blank, n)
    except ValueError as exc:
        raise CatalogError(f"{label}: bad template {cmap.template!r}: {exc}.") from None
    empty_text = text_blank & alive
    text_col_name = ", ".join(cmap.text) if not cmap.template else ", ".join(_template_fields(cmap.template))
    for i in np.flatnonzero(empty_text):
        skipped.append(RowIssue(int(rows[i]), text_col_name, "empty text", ""))
    alive &= ~empty_text

    # 5. duplicate ids among otherwise valid rows: keep the first
    if cmap.id is not None and alive.any():
        live_idx = np.flatnonzero(alive)
        live_ids = ids.iloc[live_idx]
        dup = live_ids.duplicated(keep="first").to_numpy(bool)
        if dup.any():
            first = dict(zip(live_ids.to_numpy()[~dup].tolist(), live_idx[~dup].tolist()))  # each id once
            for i in live_idx[dup]:
                v = ids.iat[i]
                skipped.append(
                    RowIssue(int(rows[i]), cmap.id, f"duplicate id (first seen in row {int(rows[first[v]])})", _show(v))
                )
            alive[live_idx[dup]] = False

    keep = np.flatnonzero(alive)
    report.kept = int(len(keep))
    skipped.sort(key=lambda r: r.row)
    report.skipped = skipped
    if report.kept == 0:
        raise CatalogError(f"{label}: no usable row.\n{report.summary()}")

    items = _build_items(df, cmap, col, ids, text, keep, report)
    if report.kept + len(report.skipped) != report.rows_read:  # pragma: no cover - invariant
        report.warnings.append(
            f"internal: {report.kept} kept + {len(report.skipped)} skipped != {report.rows_read} rows read."
        )
    return Catalog(items=items, report=report, name=name)
