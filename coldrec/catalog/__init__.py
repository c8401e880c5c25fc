"""Catalogs: readers per format, decoding, column mapping, item texts, the validation report and safe export.

Example:
    >>> import pandas as pd
    >>> from coldrec.catalog._catalog import load_catalog
    >>> load_catalog(pd.DataFrame({"id": ["a"], "title": ["Red lamp"]})).ids
    ['a']
"""

from __future__ import annotations

from coldrec.catalog._catalog import Catalog, load_catalog
from coldrec.catalog._columns import ColumnMap, complete_columns, guess_columns
from coldrec.catalog._validation import RowIssue, ValidationReport
from coldrec.catalog._readers import read_table, FORMATS, MAX_GUNZIP_BYTES
from coldrec.catalog._items import STANDARD_COLUMNS
from coldrec.catalog._export import (FORMULA_PREFIXES, neutralise_formulas, safe_csv_bytes, safe_csv_frame,
                                     safe_csv_text)
from coldrec.catalog._isolated import parse_memory_bytes, run_isolated
from coldrec.catalog._limits import Limits, limits
from coldrec.catalog._store import (SessionStore, default_data_dir, SESSION_TTL_DAYS, column_map_to_dict,
                                    column_map_from_dict)

__all__ = [
    "Catalog",
    "load_catalog",
    "ColumnMap",
    "guess_columns",
    "complete_columns",
    "RowIssue",
    "ValidationReport",
    "read_table",
    "FORMATS",
    "MAX_GUNZIP_BYTES",
    "STANDARD_COLUMNS",
    "neutralise_formulas",
    "SessionStore",
    "default_data_dir",
    "SESSION_TTL_DAYS",
    "column_map_to_dict",
    "column_map_from_dict",
    "safe_csv_frame",
    "safe_csv_bytes",
    "safe_csv_text",
    "run_isolated",
    "parse_memory_bytes",
    "Limits",
    "limits",
    "FORMULA_PREFIXES",
]
