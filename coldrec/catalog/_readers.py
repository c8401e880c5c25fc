"""Read a table from a path, file object, bytes or DataFrame: get the bytes, gunzip, pick the format, parse.

A file object's name (or ``filename=``) only picks the format; it is never opened as a path. The per-format
parsers live in :mod:`coldrec.catalog._formats`.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from coldrec.catalog._decoding import _BOMS
from coldrec.errors import CatalogError
from coldrec.catalog._formats import (
    _clean_header,
    _read_delimited,
    _read_json,
    _read_jsonl,
    _Table,
)
from coldrec.catalog._sheets import _read_excel, _read_parquet
from coldrec.catalog._limits import limits
from coldrec.catalog._validation import _short

__all__ = ["FORMATS", "MAX_GUNZIP_BYTES", "read_table"]

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
        df.columns = _clean_header(df.columns)
        df = df.reset_index(drop=True)
        return _Table(df, "dataframe", "", label, np.arange(1, len(df) + 1), len(df))
    data = _read_bytes(source, label)
    fmt_name = label if (filename or _has_name(source)) else ""
    if data[:2] == b"\x1f\x8b":  # gzip, whatever the name says: decompress with a size cap, pick the inner format
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


#: Default largest decompressed size of a .gz upload; the limit in force is ``COLDREC_MAX_DECOMPRESSED_MB``.
MAX_GUNZIP_BYTES = 512 * 1024**2


def _gunzip(data: bytes, label: str) -> bytes:
    """Decompress in 1 MB steps, stopping as soon as the output passes the limit (a bomb never fills memory)."""
    import gzip
    import zlib

    cap = limits().decompressed_bytes
    chunks: list[bytes] = []
    size = 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as g:
            while chunk := g.read(2**20):
                size += len(chunk)
                if size > cap:
                    limits().check("decompressed_bytes", size, f"{label} (gzip)")
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise CatalogError(f"{label}: a damaged gzip file ({exc}).") from None
    return b"".join(chunks)


def _has_name(source: Any) -> bool:
    if isinstance(source, (str, os.PathLike)):
        return True
    name = getattr(source, "name", None)
    return isinstance(name, str) and bool(name)


def _read_bytes(source: Any, label: str) -> bytes:
    lim = limits()
    if isinstance(source, (bytes, bytearray, memoryview)):
        lim.check("file_bytes", len(source), label)
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        return _read_path(Path(source), label, lim.file_bytes)
    if hasattr(source, "read"):
        data = _read_stream(source, label, lim.file_bytes)
        lim.check("file_bytes", len(data), label)
        return data
    raise CatalogError(
        f"{label}: unsupported source type {type(source).__name__}; give a path, a binary file object, "
        "bytes or a pandas DataFrame."
    )


def _read_path(path: Path, label: str, cap: int) -> bytes:
    """A regular file's bytes, refusing folders, devices, FIFOs and sockets before opening them (no hang)."""
    import stat

    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise CatalogError(f"{label}: is a folder, not a catalog file.")
        if not stat.S_ISREG(st.st_mode):
            kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                    or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a file")
            raise CatalogError(f"{label}: is {kind}, not a regular file; save the catalog to a file and give its path.")
        limits().check("file_bytes", st.st_size, label)
        with open(path, "rb") as fh:
            data = fh.read(cap + 1)  # the file may have grown since stat
        limits().check("file_bytes", len(data), label)
        return data
    except FileNotFoundError:
        raise CatalogError(f"{label}: file not found.") from None
    except CatalogError:
        raise
    except OSError as exc:
        raise CatalogError(f"{label}: cannot be read ({exc.strerror or exc}).") from None


def _read_stream(source: Any, label: str, cap: int) -> bytes:
    """At most ``cap + 1`` bytes of a file object (an endless stream is cut, then refused by the caller)."""
    try:
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except Exception:  # non-seekable stream: read from where it is
                pass
        data = source.read(cap + 1)
    except Exception as exc:
        raise CatalogError(f"{label}: cannot be read ({exc}).") from None
    if isinstance(data, str):  # a text-mode file object
        return data.encode("utf-8", "surrogatepass")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CatalogError(f"{label}: file object returned {type(data).__name__}, not bytes.")
    return bytes(data)


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
    for bom, _ in _BOMS:  # UTF-32 LE is tried before UTF-16 LE, whose BOM is its prefix
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
