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

Example:
    >>> from coldrec.catalog import load_catalog, ColumnMap
    >>> cat = load_catalog("items.csv", ColumnMap(id="sku", text=["name", "blurb"],
    ...                    template="{name}. {blurb}"))                        # doctest: +SKIP
    >>> print(cat.report.summary())                                           # doctest: +SKIP
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import json
import math
import os
import re
import sys
import warnings as _warnings
from collections import Counter
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Iterable, Sequence

import numpy as np
import pandas as pd

from coldrec.errors import CatalogError

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
]

#: Formats :func:`read_table` understands, keyed by file suffix.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}

#: Columns every :attr:`Catalog.items` frame has, in this order (extra source columns follow).
STANDARD_COLUMNS: tuple[str, ...] = ("item_id", "title", "text", "category", "tags", "price", "image_url")

# Bytes that could not be decoded are mapped to these private-use code points (U+F0000 + byte) by the
# "coldrec-undecodable" error handler, so the parser sees valid text and the rows holding them can be
# reported (and skipped) with the original bytes shown, instead of being silently mangled.
_BAD_BYTE_BASE = 0xF0000
_BAD_BYTE_RE = re.compile("[\U000f0000-\U000f00ff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_BAD_CHARS_PATTERN = "[\U000f0000-\U000f00ff\ud800-\udfff]"


def _undecodable_handler(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):  # pragma: no cover - only registered for decoding
        raise err
    bad = err.object[err.start : err.end]
    return "".join(chr(_BAD_BYTE_BASE + b) for b in bad), err.end


codecs.register_error("coldrec-undecodable", _undecodable_handler)

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_MAX_VALUE_CHARS = 200  # how much of a bad cell the report shows
_MAX_ROWS_LISTED = 10  # row numbers listed per reason in the summary


# --------------------------------------------------------------------------------------------------- API types
@dataclass
class ColumnMap:
    """Which source columns play which role in the catalog.

    Any field left as ``None`` (or an empty ``text`` list) is filled by :func:`guess_columns` when the
    catalog is loaded with ``columns=None``; with an explicit map, ``None`` means "no such column".
    """

    id: str | None = None
    """Column holding the unique item id. ``None``: ids are generated from row numbers (with a warning)."""
    text: list[str] = field(default_factory=list)
    """Columns joined into the text that is embedded (e.g. ``["title", "description"]``)."""
    template: str | None = None
    """How the text columns are joined, e.g. ``"{title}. {description}"`` (``{column}`` placeholders, ``{{``
    for a literal brace). ``None``: non-empty parts are joined with ``". "``."""
    title: str | None = None
    """Column shown as the item's title in pickers and result lists. ``None``: first text column, or the
    start of the text."""
    category: str | None = None
    """Optional category / genre / section column (used by filters)."""
    tags: str | None = None
    """Optional tags column; ``;``, ``,`` or ``|`` separated, or lists (JSON/Parquet). Stored ``;``-joined."""
    price: str | None = None
    """Optional price column; parsed to float (currency signs and thousands separators removed), NaN if not a
    number."""
    image_url: str | None = None
    """Optional image URL column; only ``http(s)://`` values are kept (others are blanked with a warning)."""

    def __post_init__(self) -> None:
        if isinstance(self.text, str):
            self.text = [self.text]
        else:
            self.text = list(self.text or [])

    def used_columns(self) -> list[str]:
        """Every source column this map refers to (text columns, template fields and the roles)."""
        cols: list[str] = []
        for c in [self.id, *self.text, self.title, self.category, self.tags, self.price, self.image_url]:
            if c is not None and c not in cols:
                cols.append(c)
        if self.template:
            for c in _template_fields(self.template):
                if c not in cols:
                    cols.append(c)
        return cols


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

        Use :func:`safe_csv_bytes` to export it: values are raw data and may start with ``=``.
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


# ------------------------------------------------------------------------------------------------ reading
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


def read_table(
    source: str | os.PathLike | IO[bytes] | bytes | pd.DataFrame, filename: str | None = None
) -> tuple[pd.DataFrame, str, str]:
    """Read a table from a path, a binary file object, bytes or a DataFrame, without interpreting columns.

    CSV/TSV/JSON cells are read as strings exactly as written (``"007"`` stays ``"007"``). Rows that could
    not be parsed at all (a CSV line with too many fields, a JSON Lines line that is not JSON) are left out;
    ``df.attrs`` says so, kept small because pandas copies attrs along with the frame:
    ``coldrec_rows_read`` (data rows in the file), ``coldrec_skipped`` (rows left out),
    ``coldrec_issues`` (the first 100 of them as :class:`RowIssue`) and ``coldrec_warnings``.

    Args:
        source: filesystem path, binary file object (``.name`` used for the format only), bytes or DataFrame.
        filename: name used to pick the format (its suffix) and in messages; never opened.

    Returns:
        ``(frame, format, encoding)``; encoding is ``""`` for binary formats.

    Raises:
        CatalogError: unreadable or unsupported file (the message names it).
    """
    t = _read(source, filename)
    df = t.frame
    df.attrs["coldrec_rows_read"] = t.rows_read
    df.attrs["coldrec_skipped"] = len(t.issues)
    df.attrs["coldrec_issues"] = list(t.issues[:100])
    df.attrs["coldrec_warnings"] = list(t.warnings)
    return df, t.format, t.encoding


def _source_label(source: Any, filename: str | None) -> str:
    if filename:
        return str(filename)
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    name = getattr(source, "name", None)
    if isinstance(name, str) and name:
        return name
    if isinstance(source, pd.DataFrame):
        return "<DataFrame>"
    return "<uploaded file>"


def _read(source: Any, filename: str | None = None) -> _Table:
    label = _source_label(source, filename)
    if isinstance(source, pd.DataFrame):
        df = source.copy()
        df.columns = _clean_header([str(c) for c in df.columns])
        df = df.reset_index(drop=True)
        return _Table(df, "dataframe", "", label, np.arange(1, len(df) + 1), len(df))
    data = _read_bytes(source, label)
    fmt_name = label if (filename or _has_name(source)) else ""
    if data[:2] == b"\x1f\x8b":  # gzip (items.csv.gz): decompress with a size cap, pick the inner format
        data = _gunzip(data, label)
        if fmt_name.lower().endswith(".gz"):
            fmt_name = fmt_name[:-3]
    fmt = _pick_format(fmt_name, data, label)
    try:
        if fmt in ("csv", "tsv"):
            return _read_delimited(data, fmt, label)
        if fmt == "json":
            return _read_json(data, label)
        if fmt == "jsonl":
            return _read_jsonl(data, label)
        if fmt == "parquet":
            return _read_parquet(data, label)
        if fmt == "excel":
            return _read_excel(data, label)
    except CatalogError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise CatalogError(f"{label}: too large or too deeply nested to read as {fmt} ({type(exc).__name__}).")
    except Exception as exc:  # any parser failure becomes a message naming the file
        raise CatalogError(f"{label}: could not be read as {fmt}: {_short(str(exc) or type(exc).__name__)}") from exc
    raise CatalogError(f"{label}: unsupported format {fmt!r}.")  # pragma: no cover


#: Largest decompressed size accepted from a .gz upload (a guard against decompression bombs).
MAX_GUNZIP_BYTES = 2 * 1024**3


def _gunzip(data: bytes, label: str) -> bytes:
    import gzip
    import zlib

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as g:
            out = g.read(MAX_GUNZIP_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise CatalogError(f"{label}: a damaged gzip file ({exc}).") from None
    if len(out) > MAX_GUNZIP_BYTES:
        raise CatalogError(f"{label}: decompresses to more than {MAX_GUNZIP_BYTES // 1024**3} GB; refused.")
    return out


def _has_name(source: Any) -> bool:
    if isinstance(source, (str, os.PathLike)):
        return True
    name = getattr(source, "name", None)
    return isinstance(name, str) and bool(name)


def _read_bytes(source: Any, label: str) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            if path.is_dir():
                raise CatalogError(f"{label}: is a folder, not a catalog file.")
            return path.read_bytes()
        except FileNotFoundError:
            raise CatalogError(f"{label}: file not found.") from None
        except CatalogError:
            raise
        except OSError as exc:
            raise CatalogError(f"{label}: cannot be read ({exc.strerror or exc}).") from None
    if hasattr(source, "read"):
        try:
            if hasattr(source, "seek"):
                try:
                    source.seek(0)
                except Exception:  # non-seekable stream: read from where it is
                    pass
            data = source.read()
        except Exception as exc:
            raise CatalogError(f"{label}: cannot be read ({exc}).") from None
        if isinstance(data, str):  # a text-mode file object
            return data.encode("utf-8", "surrogatepass")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise CatalogError(f"{label}: file object returned {type(data).__name__}, not bytes.")
        return bytes(data)
    raise CatalogError(
        f"{label}: unsupported source type {type(source).__name__}; give a path, a binary file object, "
        "bytes or a pandas DataFrame."
    )


def _pick_format(name: str, data: bytes, label: str) -> str:
    suffix = os.path.splitext(name.lower().strip())[1] if name else ""
    if suffix == ".xls" and not data.startswith(b"PK"):
        raise CatalogError(
            f"{label}: old Excel .xls files are not supported; save it as .xlsx or CSV (UTF-8)."
        )
    if suffix in FORMATS:
        return FORMATS[suffix]
    # no (known) suffix: sniff the bytes
    if data.startswith(b"PK\x03\x04"):
        return "excel"
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise CatalogError(f"{label}: old Excel .xls files are not supported; save it as .xlsx or CSV (UTF-8).")
    # unknown or missing suffix: sniff the text below
    head = data[:4096]
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    head_txt = head.replace(b"\x00", b"").lstrip()
    if head_txt.startswith(b"["):
        return "json"
    if head_txt.startswith(b"{"):
        lines = [ln for ln in data.replace(b"\x00", b"").splitlines() if ln.strip()]
        if len(lines) > 1 and lines[0].strip().endswith(b"}"):
            try:
                json.loads(lines[0].decode("utf-8", "replace"))
                return "jsonl"
            except ValueError:
                pass
        return "json"
    return "csv"


# ---------------------------------------------------------------------------------------------- decoding
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(data: bytes, label: str) -> tuple[str, str, list[str], bool]:
    """Decode bytes: BOM, then strict UTF-8, then UTF-16 without BOM, then detection.

    Returns ``(text, encoding, warnings, marked)``. Bytes that the chosen encoding cannot decode become
    private-use markers (see ``_BAD_BYTE_BASE``) and ``marked`` is True; the rows holding them are then
    skipped as "undecodable bytes" (shown as ``\\xNN`` in the report), so nothing is silently mangled.
    """
    warnings: list[str] = []
    boms = [enc for bom, enc in _BOMS if data.startswith(bom)]
    for enc in boms:  # a UTF-16 LE BOM followed by U+0000 looks like a UTF-32 BOM: strict first
        try:
            return data.decode(enc), enc, warnings, False
        except UnicodeDecodeError:
            continue
    if boms:
        enc = boms[-1]
        text = data.decode(enc, "coldrec-undecodable")
        warnings.append(f"some bytes are not valid {enc}; the rows holding them are skipped as 'undecodable bytes'.")
        return text, enc, warnings, True
    try:
        return data.decode("utf-8"), "utf-8", warnings, False
    except UnicodeDecodeError:
        pass
    # UTF-16 without BOM: many NUL bytes at even (BE) or odd (LE) positions
    if len(data) >= 4 and len(data) % 2 == 0:
        sample = data[:65536]
        odd_nul = sample[1::2].count(0) / max(1, len(sample) // 2)
        even_nul = sample[0::2].count(0) / max(1, len(sample) // 2)
        for frac, enc in ((odd_nul, "utf-16-le"), (even_nul, "utf-16-be")):
            if frac > 0.3:
                try:
                    text = data.decode(enc)
                except UnicodeDecodeError:
                    continue
                warnings.append(f"decoded as {enc} (no byte-order mark); save as UTF-8 to be sure.")
                return text, enc, warnings, False
    marked = data.decode("utf-8", "coldrec-undecodable")
    bad = len(_BAD_BYTE_RE.findall(marked))
    good_multibyte = len(_UTF8_MULTIBYTE.findall(data))
    if good_multibyte >= max(1, bad):
        # mostly valid UTF-8 with a few broken bytes: keep UTF-8, report the rows that hold them
        warnings.append(
            f"{bad:,} byte(s) are not valid UTF-8; the rows holding them are skipped as 'undecodable bytes'."
        )
        return marked, "utf-8", warnings, True
    enc = _detect_encoding(data)
    if enc:
        try:
            text = data.decode(enc)
            warnings.append(
                f"not UTF-8: decoded as {enc} (detected). Check accented and non-Latin characters, or save "
                "the file as UTF-8."
            )
            return text, enc, warnings, False
        except (UnicodeDecodeError, LookupError):
            pass
    high = sum(data.count(bytes([b])) for b in range(0x80, 0x100)) if len(data) < 5_000_000 else 0
    candidates = ("gb18030", "cp1252", "latin-1") if high >= 0.3 * len(data) else ("cp1252", "latin-1")
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        warnings.append(
            f"not UTF-8 and no encoding detected with confidence: decoded as {enc}. Check accented characters, "
            "or save the file as UTF-8."
        )
        return text, enc, warnings, False
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


# Preference among equally plausible detections (charset-normalizer often ties on short text).
_ENCODING_PREFERENCE = (
    "utf_8", "gb18030", "cp1252", "latin_1", "iso8859_15", "cp932", "shift_jis", "big5", "euc_jp", "cp949",
    "euc_kr", "cp1251", "koi8_r", "cp1250", "iso8859_2", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
)
_LATIN_SINGLE_BYTE = frozenset(
    "latin_1 iso8859_1 iso8859_2 iso8859_3 iso8859_4 iso8859_9 iso8859_10 iso8859_13 iso8859_14 iso8859_15 "
    "iso8859_16 cp1250 cp1252 cp1254 cp1257 cp1258 cp437 cp850 cp852 cp775 cp858 mac_roman mac_latin2 "
    "mac_iceland mac_turkish hp_roman8".split()
)
_GB_ALIASES = ("gb2312", "gbk", "hz", "cp936", "gb18030")


def _detect_encoding(data: bytes) -> str | None:
    """Best guess among charset-normalizer's matches: least chaos, then most coherence, then preference."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - listed in requirements
        return None
    sample = data
    if len(data) > 500_000:  # detect on a prefix cut at a line end (not inside a character)
        cut = data.rfind(b"\n", 0, 500_000)
        sample = data[: cut if cut > 0 else 500_000]
    try:
        matches = list(from_bytes(sample))
    except Exception:  # detection is a hint, never a failure
        return None
    if not matches:
        return None
    min_chaos = min(m.chaos for m in matches)
    close = [m for m in matches if m.chaos <= min_chaos + 0.02]
    max_coh = max(m.coherence for m in close)
    close = [m for m in close if m.coherence >= max_coh - 0.05]

    def norm(enc: str) -> str:
        e = enc.lower().replace("-", "_")
        return "gb18030" if e in _GB_ALIASES else e

    def rank(m) -> tuple[int, float]:
        e = norm(m.encoding)
        pref = _ENCODING_PREFERENCE.index(e) if e in _ENCODING_PREFERENCE else len(_ENCODING_PREFERENCE)
        return pref, -m.coherence

    enc = norm(min(close, key=rank).encoding)
    if enc in _LATIN_SINGLE_BYTE and enc != "cp1252":
        # Western text is far more often Windows-1252 than Baltic/Central-European code pages, which the
        # detector tends to prefer on short samples: take cp1252 when it reads the high bytes as letters.
        try:
            as1252 = data.decode("cp1252")
        except UnicodeDecodeError:
            as1252 = None
        if as1252 is not None:
            high = [ch for ch in as1252 if ord(ch) > 127]
            if high and sum(ch.isalpha() for ch in high) >= 0.8 * len(high):
                enc = "cp1252"
    if max_coh < 0.1 and enc not in _ENCODING_PREFERENCE[:4]:
        # no language evidence (short text): most catalogs that are not UTF-8 are Windows-1252
        try:
            data.decode("cp1252")
            enc = "cp1252"
        except UnicodeDecodeError:
            pass
    try:
        return codecs.lookup(enc).name
    except LookupError:
        return None


# --------------------------------------------------------------------------------------------- formats
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


def _read_delimited(data: bytes, fmt: str, label: str) -> _Table:
    text, encoding, warnings, marked = _decode(data, label)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise CatalogError(f"{label}: the file is empty.")
    _reject_binary(text, label, fmt)
    sep = _sniff_sep(text, fmt)
    if fmt == "csv" and sep != ",":
        warnings.append(f"column separator detected as {sep!r}.")
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
    df.columns = _clean_header([str(c) for c in df.columns])
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


def _clean_header(cols: list[str]) -> list[str]:
    out: list[str] = []
    seen: Counter[str] = Counter()
    for i, c in enumerate(cols):
        c = _BAD_BYTE_RE.sub("\ufffd", c)
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
    text, encoding, warnings, marked = _decode(data, label)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise CatalogError(f"{label}: the file is empty.")
    _reject_binary(text, label, "json")
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
    issues: list[RowIssue] = []
    keep: list[dict] = []
    rows: list[int] = []
    for i, rec in enumerate(records, start=1):
        if isinstance(rec, dict):
            keep.append(rec)
            rows.append(i)
        else:
            issues.append(RowIssue(i, "", f"not a JSON object ({type(rec).__name__})", _short(rec)))
    df = _frame_from_records(keep)
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
            if len(lengths) == 1:
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


def _frame_from_records(records: list[dict]) -> pd.DataFrame:
    cols: dict[str, None] = {}
    for rec in records:
        for k in rec:
            cols.setdefault(k, None)
    names = list(cols)
    arr = {str(k): pd.Series([rec.get(k) for rec in records], dtype=object) for k in names}
    df = pd.DataFrame(arr) if arr else pd.DataFrame(index=range(len(records)))
    df.columns = _clean_header([str(c) for c in df.columns])
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
    df = _frame_from_records(keep)
    return _Table(
        df, "jsonl", encoding, label, np.asarray(rows, dtype=np.int64), len(lines), issues, warnings, marked
    )


def _read_parquet(data: bytes, label: str) -> _Table:
    df = pd.read_parquet(io.BytesIO(data))
    df = df.reset_index(drop=True)
    df.columns = _clean_header([str(c) for c in df.columns])
    return _Table(df, "parquet", "", label, np.arange(1, len(df) + 1), len(df))


def _read_excel(data: bytes, label: str) -> _Table:
    try:
        import openpyxl  # noqa: F401
    except ImportError:  # pragma: no cover - listed in requirements
        raise CatalogError(f"{label}: reading Excel needs openpyxl (pip install openpyxl).") from None
    warnings: list[str] = []
    with pd.ExcelFile(io.BytesIO(data), engine="openpyxl") as xf:
        sheets = xf.sheet_names
        if not sheets:
            raise CatalogError(f"{label}: the workbook has no sheet.")
        if len(sheets) > 1:
            warnings.append(f"the workbook has {len(sheets)} sheets; read the first, {sheets[0]!r}.")
        df = xf.parse(sheets[0], dtype=object, keep_default_na=False, na_values=[])  # "NaN", "null" are text
    df = df.reset_index(drop=True)
    df.columns = _clean_header(["" if str(c).startswith("Unnamed: ") else str(c) for c in df.columns])
    return _Table(df, "excel", "", label, np.arange(1, len(df) + 1), len(df), [], warnings)


# --------------------------------------------------------------------------------------- column guessing
_ID_NAMES = (
    "item_id", "itemid", "id", "asin", "sku", "product_id", "productid", "movie_id", "movieid", "article_id",
    "articleid", "news_id", "newsid", "doc_id", "docid", "paper_id", "paperid", "video_id", "track_id",
    "song_id", "post_id", "book_id", "isbn", "content_id", "uuid", "key", "code",
)
_TITLE_NAMES = (
    "title", "name", "item_name", "product_name", "product_title", "headline", "movie_title", "track_name",
    "song", "book_title", "label", "raw_title",
)
_TEXT_NAMES = (
    "description", "desc", "summary", "body", "text", "abstract", "overview", "content", "plot", "synopsis",
    "details", "product_description", "blurb", "about", "caption", "review", "lead", "subtitle",
)
_CATEGORY_NAMES = ("category", "categories", "genre", "genres", "section", "type", "department", "class", "topic")
_TAG_NAMES = ("tags", "tag", "keywords", "keyword", "labels", "topics", "hashtags")
_PRICE_NAMES = ("price", "cost", "amount", "price_usd", "list_price", "sale_price")
_IMAGE_NAMES = ("image_url", "image", "img", "img_url", "thumbnail", "thumbnail_url", "picture", "photo", "cover", "imageurl")


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def guess_columns(df: pd.DataFrame) -> ColumnMap:
    """Guess a :class:`ColumnMap` from common column names (case and punctuation ignored).

    id: item_id/id/asin/sku/product_id/movie_id/…, else a ``*_id`` column; title: title/name/…; text:
    title + description/desc/summary/body/text/abstract/overview/…; category: category/genre/section/type;
    tags: tags/keywords/labels; price: price/cost; image: image/image_url/thumbnail. When nothing textual is
    recognised, the string column with the longest cells is used as text.
    """
    cols = [str(c) for c in df.columns]
    norm = {c: _norm(c) for c in cols}
    used: set[str] = set()

    def pick(names: Sequence[str]) -> str | None:
        for want in names:
            for c in cols:
                if c not in used and norm[c] == want:
                    used.add(c)
                    return c
        return None

    id_col = pick(_ID_NAMES)
    if id_col is None:
        for c in cols:
            if norm[c].endswith("_id") and not norm[c].startswith(("user", "customer", "author")):
                id_col = c
                used.add(c)
                break
    title = pick(_TITLE_NAMES)
    texts: list[str] = []
    while (c := pick(_TEXT_NAMES)) is not None:
        texts.append(c)
    category = pick(_CATEGORY_NAMES)
    tags = pick(_TAG_NAMES)
    price = pick(_PRICE_NAMES)
    image = pick(_IMAGE_NAMES)
    text_cols = ([title] if title else []) + texts[:2]
    if not text_cols:
        best, best_len = None, -1.0
        sample = df.head(200)
        for c in cols:
            if c in used:
                continue
            s = sample[c]
            vals = [v for v in s.tolist() if isinstance(v, str)]
            if not vals:
                continue
            avg = sum(len(v) for v in vals) / len(s)
            if avg > best_len:
                best, best_len = c, avg
        if best is not None:
            text_cols = [best]
    return ColumnMap(
        id=id_col,
        text=text_cols,
        template=None,
        title=title,
        category=category,
        tags=tags,
        price=price,
        image_url=image,
    )


# ------------------------------------------------------------------------------------------ templates
_FIELD_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def _parse_template(template: str) -> list[tuple[str, bool]]:
    """Split a template into ``(literal, False)`` / ``(column, True)`` parts. Raises ValueError."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    lit = []
    for m in _FIELD_RE.finditer(template):
        lit.append(template[pos : m.start()])
        tok = m.group(0)
        if tok == "{{":
            lit.append("{")
        elif tok == "}}":
            lit.append("}")
        elif m.group(1) is not None:
            name = m.group(1)
            if not name.strip():
                raise ValueError("empty placeholder {} in the template")
            parts.append(("".join(lit), False))
            lit = []
            parts.append((name, True))
        else:
            raise ValueError(f"unmatched {tok!r} at position {m.start()} (write {tok * 2} for a literal brace)")
        pos = m.end()
    lit.append(template[pos:])
    parts.append(("".join(lit), False))
    return [p for p in parts if p[1] or p[0]]


def _template_fields(template: str) -> list[str]:
    try:
        return [name for name, is_field in _parse_template(template) if is_field]
    except ValueError:
        return []


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


def _short(value: Any, limit: int = _MAX_VALUE_CHARS) -> str:
    s = value if isinstance(value, str) else str(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _reason_key(reason: str) -> str:
    return re.sub(r"\s*\(.*\)$", "", reason)


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


def _load_catalog(source: Any, columns: ColumnMap | None, filename: str | None, name: str | None) -> Catalog:
    table = _read(source, filename)
    label = table.label
    df = table.frame
    report = ValidationReport(label, table.format, table.encoding, rows_read=table.rows_read)
    report.warnings.extend(table.warnings)
    if name is None:
        stem = Path(label).stem if label and not label.startswith("<") else "catalog"
        name = stem or "catalog"
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
    check_cols = cmap.used_columns() + [c for c in df.columns if c not in cmap.used_columns()]
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
        for c in check_cols or cmap.used_columns() + [c for c in df.columns if c not in cmap.used_columns()]:
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
            first = {}
            for i, v in zip(live_idx[~dup].tolist(), live_ids.to_numpy()[~dup].tolist()):
                first.setdefault(v, i)
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


def _list_cols(cols: Iterable[Any], limit: int = 60) -> str:
    cols = [str(c) for c in cols]
    txt = ", ".join(repr(c) for c in cols[:limit])
    return txt + (f", … (+{len(cols) - limit})" if len(cols) > limit else "") if cols else "(none)"


def _resolve_columns(columns: ColumnMap, df: pd.DataFrame, label: str) -> ColumnMap:
    """Check the map against the frame; accept case/space variants; raise naming the missing columns."""
    if not isinstance(columns, ColumnMap):
        raise CatalogError(f"{label}: columns must be a ColumnMap, not {type(columns).__name__}.")
    available = [str(c) for c in df.columns]
    lower: dict[str, list[str]] = {}
    for c in available:
        lower.setdefault(c.strip().casefold(), []).append(c)

    missing: list[str] = []

    def fix(c: str | None, role: str) -> str | None:
        if c is None or c == "":
            return None
        c = str(c)
        if c in available:
            return c
        alt = lower.get(c.strip().casefold(), [])
        if len(alt) == 1:
            return alt[0]
        close = difflib.get_close_matches(c, available, n=3, cutoff=0.5)
        close += [a for a in difflib.get_close_matches(c.casefold(), list(lower), n=3, cutoff=0.5)
                  for a in lower[a] if a not in close]
        hint = f"closest: {', '.join(repr(x) for x in close[:3])}" if close else "no close match"
        missing.append(f"{role} column {c!r} not found ({hint})")
        return c

    template = columns.template
    tmpl_fields: list[str] = []
    if template:
        try:
            tmpl_fields = [name for name, is_field in _parse_template(template) if is_field]
        except ValueError as exc:
            raise CatalogError(f"{label}: bad template {template!r}: {exc}.") from None
    out = ColumnMap(
        id=fix(columns.id, "id"),
        text=[x for x in (fix(c, "text") for c in columns.text) if x is not None],
        template=template,
        title=fix(columns.title, "title"),
        category=fix(columns.category, "category"),
        tags=fix(columns.tags, "tags"),
        price=fix(columns.price, "price"),
        image_url=fix(columns.image_url, "image_url"),
    )
    renamed: dict[str, str] = {}
    for f in tmpl_fields:
        if f in out.text:
            continue
        g = fix(f, "template")
        if g is not None and g != f:
            renamed[f] = g
    if missing:
        raise CatalogError(
            f"{label}: " + "; ".join(missing) + f". Available columns: {_list_cols(available)}."
        )
    if renamed and template:
        parts = _parse_template(template)
        out.template = "".join(
            "{" + renamed.get(p, p) + "}" if is_f else p.replace("{", "{{").replace("}", "}}") for p, is_f in parts
        )
    return out


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
    for c in df.columns:
        if c in used_roles:
            continue
        target = f"{c}_source" if c in STANDARD_COLUMNS else c
        if target in items.columns:
            continue
        s = df[c].iloc[rows_kept].reset_index(drop=True)
        items[target] = s.astype(object) if (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)) else s
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


# ---------------------------------------------------------------------------------------------- export
def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` whose text cells starting with ``= + - @`` (or tab / CR) get a leading ``'``.

    Spreadsheet programs execute such cells as formulas when a CSV is opened (CSV/formula injection). The
    catalog keeps the data as is; apply this only to frames being exported for download. Column names are
    neutralised too. Numeric columns are left alone.
    """
    out = df.copy()

    def fix(v: Any) -> Any:
        if isinstance(v, str) and v.startswith(_FORMULA_PREFIXES):
            return "'" + v
        return v

    for c in out.columns:
        s = out[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[c] = s.astype(object).map(fix)
    out.columns = [fix(str(c)) for c in out.columns]
    return out


#: Alias of :func:`neutralise_formulas` (the name the app uses for download buttons).
safe_csv_frame = neutralise_formulas


def safe_csv_bytes(df: pd.DataFrame, *, bom: bool = True) -> bytes:
    """CSV bytes with formulas neutralised, UTF-8 (with a BOM by default so Excel shows CJK and emoji)."""
    text = neutralise_formulas(df).to_csv(index=False)
    return text.encode("utf-8-sig" if bom else "utf-8", "replace")
