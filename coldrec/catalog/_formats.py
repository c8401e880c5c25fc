"""Parsers for each table format: CSV/TSV, JSON, JSON Lines, Parquet and Excel, from bytes to a frame.

Each parser returns a :class:`_Table`: the frame of raw cells plus the analyst-facing row number of each frame
row, the rows lost while parsing (as :class:`~coldrec.catalog._validation.RowIssue`) and warnings. Text formats keep
every cell as the exact string written (``"007"`` stays ``"007"``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import warnings as _warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from coldrec.catalog._decoding import _BAD_BYTE_RE, _decode
from coldrec.catalog._limits import limits
from coldrec.errors import CatalogError
from coldrec.catalog._validation import RowIssue, _short


@dataclass
class _Table:
    frame: pd.DataFrame
    format: str
    encoding: str
    label: str
    rows: np.ndarray  # 1-based row number (as the analyst sees it) of each frame row
    rows_read: int
    issues: list[RowIssue] = field(default_factory=list)  # rows lost while parsing
    warnings: list[str] = field(default_factory=list)
    marked: bool = False  # undecodable bytes were turned into markers (see _decode)


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _reject_binary(text: str, label: str, fmt: str) -> None:
    """Refuse text that is mostly control characters: binary data given a text-table name."""
    head = text[:65536]
    n = len(_CONTROL_RE.findall(head))
    if n >= 8 and n > 0.1 * len(head):  # random bytes: ~25%; real tables: ~0
        raise CatalogError(
            f"{label}: does not look like a {fmt.upper()} text table ({n:,} control characters in the first "
            f"{len(head):,}); is it the right file, or a binary file (Excel, Parquet, zip) with the wrong name?"
        )


def _sniff_sep(text: str, fmt: str) -> str:
    if fmt == "tsv":
        return "\t"
    first = text[:65536].split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", "\t", ";", "|")}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    return sep if n > 0 else ","


def _decode_table(data: bytes, label: str, fmt: str) -> tuple[str, str, list[str], bool]:
    """:func:`~coldrec.catalog._decoding._decode` less a leading BOM; refuses empty and binary input."""
    text, encoding, warnings, marked = _decode(data, label)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise CatalogError(f"{label}: the file is empty.")
    _reject_binary(text, label, fmt)
    return text, encoding, warnings, marked


def _check_shape(label: str, columns: int, rows: int | None = None, rows_bound: int | None = None) -> None:
    """Refuse a table over the column, row or cell limit (``rows_bound``: an upper bound known before parsing)."""
    lim = limits()
    lim.check("columns", columns, label)
    if rows is not None:
        lim.check("rows", rows, label)
    lim.check("cells", columns * (rows if rows is not None else rows_bound or 0), label)


def _header_width(text: str, sep: str) -> int:
    """Fields in the header record, read lazily (the rest of the text is not parsed)."""
    try:
        return len(next(csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"')))
    except (StopIteration, csv.Error):
        return 0


def _header_bytes_note(df_columns: Iterable[Any], warnings: list[str]) -> None:
    """Make the undecodable-bytes warning say what happened to the header (names keep U+FFFD, no row lost)."""
    in_header = sum(len(_BAD_BYTE_RE.findall(str(c))) for c in df_columns)
    if not in_header:
        return
    for i, w in enumerate(warnings):
        if "not valid" in w and "skipped as 'undecodable bytes'" in w:
            total = int(re.match(r"[\d,]+", w).group(0).replace(",", "")) if re.match(r"[\d,]+", w) else in_header
            rest = total - in_header
            warnings[i] = (f"{in_header:,} byte(s) in the header are not valid text: those column names show them as "
                           "U+FFFD (\ufffd); no row was skipped for them."
                           + (f" {rest:,} more such byte(s) are in data rows, which are skipped as 'undecodable "
                              "bytes'." if rest > 0 else ""))
            return


def _read_delimited(data: bytes, fmt: str, label: str) -> _Table:
    text, encoding, warnings, marked = _decode_table(data, label, fmt)
    sep = _sniff_sep(text, fmt)
    if fmt == "csv" and sep != ",":
        warnings.append(f"column separator detected as {sep!r}.")
    _check_shape(label, _header_width(text, sep), rows_bound=text.count("\n"))
    issues: list[RowIssue] = []
    try:
        with _warnings.catch_warnings():
            # a row longer than the header: pandas would drop its extra fields; take the slow path instead
            _warnings.filterwarnings("error", message="Length of header or names does not match")
            df = _read_csv_fast(text, sep)
        rows = np.arange(1, len(df) + 1)
        rows_read = len(df)
    except pd.errors.EmptyDataError:
        raise CatalogError(f"{label}: the file has no header row.") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError, OverflowError):
        df, rows, rows_read, issues = _read_delimited_slow(text, sep, label)
        if text.count('"') % 2:
            last = int(rows[-1]) if len(rows) else 0
            warnings.append(
                f"a quote is never closed: everything after it (from about data row {last}) was read into one cell."
            )
    _check_shape(label, len(df.columns), rows_read)
    if marked:
        _header_bytes_note(df.columns, warnings)
    df.columns = _clean_header(df.columns)
    return _Table(df.reset_index(drop=True), fmt, encoding, label, rows, rows_read, issues, warnings, marked)


def _read_csv_fast(text: str, sep: str) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(text),
        sep=sep,
        dtype=object,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
        quotechar='"',
        doublequote=True,
        index_col=False,
    )


def _clean_header(cols: Iterable[Any]) -> list[str]:
    """Column names as unique, non-blank str (blank -> ``column_N``, repeats -> ``name.1``)."""
    out: list[str] = []
    seen: Counter[str] = Counter()
    for i, c in enumerate(cols):
        c = _BAD_BYTE_RE.sub("\ufffd", str(c))
        if not c.strip():
            c = f"column_{i + 1}"
        base = c
        seen[base] += 1
        if seen[base] > 1:
            c = f"{base}.{seen[base] - 1}"
        out.append(c)
    return out


def _read_delimited_slow(text: str, sep: str, label: str) -> tuple[pd.DataFrame, np.ndarray, int, list[RowIssue]]:
    """Python csv fallback for malformed files: rows with too many fields are skipped and reported."""
    # raise the csv module's 128 KB field limit (a 1 MB description is fine); left raised on purpose: restoring
    # it would race with another session's read in the same process
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', doublequote=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogError(f"{label}: the file has no header row.") from None
    width = len(header)
    records: list[list[str]] = []
    rows: list[int] = []
    issues: list[RowIssue] = []
    n = 0
    for rec in reader:
        n += 1
        if len(rec) > width:
            issues.append(
                RowIssue(n, "", f"{len(rec)} fields but the header has {width}", _short(sep.join(rec)))
            )
            continue
        if len(rec) < width:
            rec = rec + [""] * (width - len(rec))
        records.append(rec)
        rows.append(n)
    df = pd.DataFrame(records, columns=range(width), dtype=object) if records else pd.DataFrame(
        {i: pd.Series([], dtype=object) for i in range(width)}
    )
    df.columns = header
    return df, np.asarray(rows, dtype=np.int64), n, issues


def _read_json(data: bytes, label: str) -> _Table:
    text, encoding, warnings, marked = _decode_table(data, label, "json")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        # perhaps JSON Lines with a .json name
        stripped = [ln for ln in text.splitlines() if ln.strip()]
        if len(stripped) > 1 and stripped[0].lstrip().startswith("{"):
            t = _read_jsonl_text(text, encoding, label, warnings, marked)
            t.warnings.append("the .json file holds one JSON object per line: read as JSON Lines.")
            return t
        raise CatalogError(f"{label}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    records = _json_records(obj, label)
    limits().check("rows", len(records), label)
    issues: list[RowIssue] = []
    keep: list[dict] = []
    rows: list[int] = []
    for i, rec in enumerate(records, start=1):
        if isinstance(rec, dict):
            keep.append(rec)
            rows.append(i)
        else:
            issues.append(RowIssue(i, "", f"not a JSON object ({type(rec).__name__})", _short(rec)))
    df = _frame_from_records(keep, label)
    return _Table(
        df, "json", encoding, label, np.asarray(rows, dtype=np.int64), len(records), issues, warnings, marked
    )


def _json_records(obj: Any, label: str) -> list:
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        # {"items": [...]} / {"data": [...]}: a single list of records inside an object
        lists = [v for v in obj.values() if isinstance(v, list) and v and any(isinstance(x, dict) for x in v[:100])]
        if len(lists) == 1 and (len(obj) == 1 or not all(isinstance(v, list) for v in obj.values())):
            return lists[0]
        # column-oriented {"col": [v1, v2], ...} or {"col": {"0": v1, ...}}
        if obj and all(isinstance(v, list) for v in obj.values()):
            lengths = {len(v) for v in obj.values()}
            if len(lengths) > 1:  # which value belongs to which item cannot be known: refuse, never guess
                shown = ", ".join(f"{k!r}: {len(v):,}" for k, v in list(obj.items())[:12])
                raise CatalogError(
                    f"{label}: column-oriented JSON whose columns have different lengths ({shown}); every column "
                    "must hold one value per item. Fix the file, or write one object per item "
                    '([{"id": …, "title": …}, …]).'
                )
            n = lengths.pop()
            cols = list(obj)
            return [{c: obj[c][i] for c in cols} for i in range(n)]
        if obj and all(isinstance(v, dict) for v in obj.values()):
            keys: list[str] = []
            for v in obj.values():
                for k in v:
                    if k not in keys:
                        keys.append(k)
            return [{c: obj[c].get(k) for c in obj} for k in keys]
        return [obj]
    raise CatalogError(
        f"{label}: JSON must be an array of objects (one per item) or an object of columns; "
        f"found {type(obj).__name__}."
    )


def _frame_from_records(records: list[dict], label: str = "") -> pd.DataFrame:
    cols: dict[str, None] = {}
    for rec in records:
        for k in rec:
            cols.setdefault(k, None)
    names = list(cols)
    _check_shape(label or "<json>", len(names), len(records))
    arr = {str(k): pd.Series([rec.get(k) for rec in records], dtype=object) for k in names}
    df = pd.DataFrame(arr) if arr else pd.DataFrame(index=range(len(records)))
    df.columns = _clean_header(df.columns)
    return df


def _read_jsonl(data: bytes, label: str) -> _Table:
    text, encoding, warnings, marked = _decode(data, label)
    return _read_jsonl_text(text, encoding, label, warnings, marked)


def _read_jsonl_text(text: str, encoding: str, label: str, warnings: list[str], marked: bool) -> _Table:
    if text.startswith("\ufeff"):
        text = text[1:]
    _reject_binary(text, label, "jsonl")
    lines = text.split("\n")
    if lines and lines[-1].strip() == "":
        lines = lines[:-1]  # the final newline does not open a row
    issues: list[RowIssue] = []
    keep: list[dict] = []
    rows: list[int] = []
    decoder = json.JSONDecoder()
    for n, line in enumerate(lines, start=1):
        s = line.strip()
        if not s:
            issues.append(RowIssue(n, "", "empty line", ""))
            continue
        try:
            obj = decoder.decode(s)
        except (ValueError, RecursionError) as exc:
            issues.append(RowIssue(n, "", f"invalid JSON ({_short(str(exc), 80)})", _short(s)))
            continue
        if not isinstance(obj, dict):
            issues.append(RowIssue(n, "", f"not a JSON object ({type(obj).__name__})", _short(s)))
            continue
        keep.append(obj)
        rows.append(n)
    if not lines:
        raise CatalogError(f"{label}: the file is empty.")
    df = _frame_from_records(keep, label)
    return _Table(
        df, "jsonl", encoding, label, np.asarray(rows, dtype=np.int64), len(lines), issues, warnings, marked
    )
