"""Safe CSV export: neutralise cells that spreadsheet programs would run as formulas (CSV injection)."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["neutralise_formulas", "safe_csv_frame", "safe_csv_bytes"]

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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

    # By position, not by name: a frame may carry two columns with the same name.
    for j in range(out.shape[1]):
        s = out.iloc[:, j]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out.isetitem(j, s.astype(object).map(fix))
    out.columns = [fix(str(c)) for c in out.columns]
    return out


#: Alias of :func:`neutralise_formulas` (the name the app uses for download buttons).
safe_csv_frame = neutralise_formulas


def safe_csv_bytes(df: pd.DataFrame, *, bom: bool = True) -> bytes:
    """CSV bytes with formulas neutralised, UTF-8 (with a BOM by default so Excel shows CJK and emoji)."""
    text = neutralise_formulas(df).to_csv(index=False)
    return text.encode("utf-8-sig" if bom else "utf-8", "replace")
