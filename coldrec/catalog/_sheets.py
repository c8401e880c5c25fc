"""Parsers for the binary table formats, Parquet and Excel, with their limits checked on the metadata first.

Parquet: the footer gives rows and columns before any data is read; duplicate column names are renamed as in a
CSV (``name``, ``name.1``) with a warning, instead of failing inside pyarrow. Excel: the uncompressed size of the
workbook and the sheet's dimension (an ``.xlsx`` with one cell in column XFD claims 16,384 columns) are checked
before pandas reads a cell; the active sheet is read when it is visible (else the first visible one), and the
warning names every sheet that was not read, hidden ones marked.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd

from coldrec.catalog._formats import _check_shape, _clean_header, _Table
from coldrec.catalog._limits import limits
from coldrec.errors import CatalogError

__all__: list[str] = []


def _renamed_note(before: list[str], after: list[str]) -> list[str]:
    pairs = [f"{b!r} → {a!r}" for b, a in zip(before, after) if a != b]
    return [f"repeated or blank column names renamed: {', '.join(pairs[:10])}"
            + (f", … (+{len(pairs) - 10})" if len(pairs) > 10 else "") + "."] if pairs else []


def _read_parquet(data: bytes, label: str) -> _Table:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(io.BytesIO(data))
    meta = pf.metadata
    _check_shape(label, meta.num_columns, meta.num_rows)
    table = pf.read()
    names = [str(n) for n in table.column_names]
    clean = _clean_header(names)
    if clean != names:
        table = table.rename_columns(clean)
    df = table.to_pandas().reset_index(drop=True)
    df.columns = clean
    return _Table(df, "parquet", "", label, np.arange(1, len(df) + 1), len(df), [], _renamed_note(names, clean))


def _check_zip(data: bytes, label: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(max(0, i.file_size) for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise CatalogError(f"{label}: not a valid .xlsx workbook ({exc}).") from None
    limits().check("decompressed_bytes", total, f"{label} (uncompressed workbook)")


def _pick_sheet(data: bytes, label: str) -> tuple[str, list[str]]:
    """The sheet to read (active and visible, else the first visible) and a warning naming the others."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = wb.worksheets
        if not sheets:
            raise CatalogError(f"{label}: the workbook has no sheet.")
        visible = [ws for ws in sheets if getattr(ws, "sheet_state", "visible") == "visible"]
        active = wb.active
        ws = active if active in visible else (visible[0] if visible else sheets[0])
        rows, cols = ws.max_row, ws.max_column  # from the sheet's dimension: nothing is parsed yet
        if rows is not None and cols is not None:
            _check_shape(f"{label} (sheet {ws.title!r})", int(cols), max(0, int(rows) - 1))
        others = [f"{o.title!r}" + ("" if getattr(o, "sheet_state", "visible") == "visible" else " (hidden)")
                  for o in sheets if o is not ws]
        which = "the active sheet" if ws is active else "the first visible sheet"
        warn = [f"the workbook has {len(sheets)} sheets; read {which} {ws.title!r}; not read: {', '.join(others)}. "
                "Move the catalog to its own file to read another."] if others else []
        return ws.title, warn
    finally:
        wb.close()


def _read_excel(data: bytes, label: str) -> _Table:
    import importlib.util

    if importlib.util.find_spec("openpyxl") is None:  # pragma: no cover - listed in requirements
        raise CatalogError(f"{label}: reading Excel needs openpyxl (pip install openpyxl).")
    _check_zip(data, label)
    sheet, warnings = _pick_sheet(data, label)
    df = pd.read_excel(io.BytesIO(data), sheet_name=sheet, engine="openpyxl", dtype=object, keep_default_na=False,
                       na_values=[])  # "NaN", "null" are text
    df = df.reset_index(drop=True)
    _check_shape(label, len(df.columns), len(df))
    df.columns = _clean_header(["" if str(c).startswith("Unnamed: ") else str(c) for c in df.columns])
    return _Table(df, "excel", "", label, np.arange(1, len(df) + 1), len(df), [], warnings)
