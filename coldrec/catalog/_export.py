"""Safe CSV export: neutralise cells that spreadsheet programs would run as formulas (CSV injection).

Two things make an exported CSV dangerous: a cell that starts with a formula character, and a cell whose line
break (a bare ``\\r`` included) is written unquoted, so the text after it opens a new row that may start with a
formula. :func:`safe_csv_text` prevents both: every text cell (object, string and categorical columns, and the
header) that starts with a formula character gets a leading ``'``, and every cell holding a CR, LF, quote or the
separator is quoted (rows end with CRLF, so the csv writer quotes a bare CR as well as LF).
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

import pandas as pd

__all__ = ["neutralise_formulas", "safe_csv_frame", "safe_csv_bytes", "safe_csv_text", "FORMULA_PREFIXES"]

#: Leading characters that make a spreadsheet treat a cell as a formula (or hide one behind a line break).
#: The full-width forms are included: some spreadsheet programs fold them to their ASCII twins.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _fix(v: Any) -> Any:
    if isinstance(v, str) and v.startswith(FORMULA_PREFIXES):
        return "'" + v
    return v


def _is_text(s: pd.Series) -> bool:
    return (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)
            or isinstance(s.dtype, pd.CategoricalDtype))


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` whose text cells starting with a formula character get a leading ``'``.

    The formula characters are ``= + - @``, tab, CR, LF and their full-width forms (:data:`FORMULA_PREFIXES`).
    Spreadsheet programs execute such cells as formulas when a CSV is opened (CSV/formula injection). The
    catalog keeps the data as is; apply this only to frames being exported for download. Every text column is
    neutralised: object, string and categorical ones, and the column names. Numeric columns are left alone.
    """
    out = df.copy()
    # By position, not by name: a frame may carry two columns with the same name.
    for j in range(out.shape[1]):
        s = out.iloc[:, j]
        if _is_text(s):
            out.isetitem(j, s.astype(object).map(_fix))
    out.columns = [_fix(str(c)) for c in out.columns]
    return out


#: Alias of :func:`neutralise_formulas` (the name the app uses for download buttons).
safe_csv_frame = neutralise_formulas


def safe_csv_text(df: pd.DataFrame, out: TextIO | None = None) -> str | None:
    """Formula-safe CSV text of ``df``: neutralised cells, quoted line breaks, CRLF rows.

    Args:
        df: the frame to export.
        out: a text stream to write to (e.g. ``sys.stdout``); ``None`` returns the text instead.

    Returns:
        The CSV text when ``out`` is None, else None.
    """
    return neutralise_formulas(df).to_csv(out, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def safe_csv_bytes(df: pd.DataFrame, *, bom: bool = True) -> bytes:
    """CSV bytes with formulas neutralised, UTF-8 (with a BOM by default so Excel shows CJK and emoji)."""
    text = safe_csv_text(df)
    return text.encode("utf-8-sig" if bom else "utf-8", "replace")
