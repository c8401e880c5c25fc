"""The validation report of a catalog load: each input row is kept, or skipped with its row, column, reason.

:class:`ValidationReport` is what the CLI prints and the app shows; :class:`RowIssue` is one skipped row. The
readers (:mod:`coldrec.catalog._formats`) record rows lost while parsing, :func:`coldrec.catalog._catalog.load_catalog` the rows
lost to validation (empty text, duplicate id, undecodable bytes...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["RowIssue", "ValidationReport"]

_MAX_VALUE_CHARS = 200  # how much of a bad cell the report shows
_MAX_ROWS_LISTED = 10  # row numbers listed per reason in the summary


@dataclass
class RowIssue:
    """One skipped input row.

    Attributes:
        row: 1-based data row number as the analyst sees it: for CSV/TSV/Excel the n-th data row (the header
            is not counted, so data row 1 is line/row 2 of a spreadsheet); for JSON Lines the line number; for
            JSON the n-th object of the array; for a DataFrame the n-th row.
        column: the source column at fault ("" when the whole row is at fault).
        reason: why the row was skipped ("empty text", "duplicate id (first seen in row 3)", ...).
        value: the offending value, shortened; undecodable bytes shown as ``\\xNN``.
    """

    row: int
    column: str
    reason: str
    value: str = ""


@dataclass
class ValidationReport:
    """What happened to every input row: ``kept + len(skipped) == rows_read``.

    Attributes:
        source: the file name (or ``"<DataFrame>"``).
        format: ``csv``, ``tsv``, ``json``, ``jsonl``, ``parquet``, ``excel`` or ``dataframe``.
        encoding: text encoding used (``utf-8``, ``utf-8-sig``, ``utf-16``, ``gb18030``, ``cp1252``...), ``""``
            for binary formats and DataFrames.
        rows_read: data rows found in the input.
        kept: rows that became catalog items.
        skipped: one :class:`RowIssue` per skipped row.
        warnings: things the analyst should know that did not cost a row (encoding guessed, ids generated,
            prices not numeric, columns renamed...).
    """

    source: str
    format: str
    encoding: str
    rows_read: int = 0
    kept: int = 0
    skipped: list[RowIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when at least one row is usable and every row is accounted for."""
        return self.kept > 0 and self.kept + len(self.skipped) == self.rows_read

    @property
    def row_note(self) -> str:
        """How to read the row numbers of this report."""
        if self.format in ("csv", "tsv", "excel"):
            return "row = data row number (header not counted: data row 1 is line 2 of the file/sheet)"
        if self.format == "jsonl":
            return "row = line number in the file"
        if self.format == "json":
            return "row = position of the object in the JSON array (from 1)"
        return "row = position in the table (from 1)"

    def summary(self) -> str:
        """A short human-readable account (for the CLI, the app and error messages)."""
        enc = f", {self.encoding}" if self.encoding else ""
        lines = [
            f"{self.source} ({self.format}{enc}): {self.rows_read:,} rows read, {self.kept:,} kept, "
            f"{len(self.skipped):,} skipped."
        ]
        if self.skipped:
            groups: dict[str, list[RowIssue]] = {}
            for issue in self.skipped:
                groups.setdefault(_reason_key(issue.reason), []).append(issue)
            lines.append(f"Skipped rows ({self.row_note}):")
            for key, issues in sorted(groups.items(), key=lambda kv: -len(kv[1])):
                cols = sorted({i.column for i in issues if i.column})
                col_txt = f" [column {', '.join(repr(c) for c in cols)}]" if cols else ""
                rows = ", ".join(str(i.row) for i in issues[:_MAX_ROWS_LISTED])
                more = f", … (+{len(issues) - _MAX_ROWS_LISTED:,})" if len(issues) > _MAX_ROWS_LISTED else ""
                lines.append(f"  - {key}{col_txt}: {len(issues):,} (rows {rows}{more})")
        for w in self.warnings:
            lines.append(f"Warning: {w}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Skipped rows as a DataFrame (columns row, column, reason, value) for display or download.

        Use :func:`coldrec.catalog._export.safe_csv_bytes` to export it: values are raw data and may start with ``=``.
        """
        return pd.DataFrame(
            {
                "row": pd.Series([i.row for i in self.skipped], dtype="int64"),
                "column": pd.Series([i.column for i in self.skipped], dtype=object),
                "reason": pd.Series([i.reason for i in self.skipped], dtype=object),
                "value": pd.Series([i.value for i in self.skipped], dtype=object),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "source": self.source,
            "format": self.format,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "kept": self.kept,
            "skipped": [vars(i).copy() for i in self.skipped],
            "warnings": list(self.warnings),
        }


def _short(value: Any, limit: int = _MAX_VALUE_CHARS) -> str:
    s = value if isinstance(value, str) else str(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _reason_key(reason: str) -> str:
    return re.sub(r"\s*\(.*\)$", "", reason)
