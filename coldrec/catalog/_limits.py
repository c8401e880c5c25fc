"""Upload limits, checked before the work they bound: bytes read, bytes decompressed, columns, rows and cells.

Each limit is a setting (an environment variable, read on every load so a server can be tuned without a restart)
and each refusal says which limit was hit, by how much, and how to raise it:

========================== ======= ================================================================
setting                    default what it bounds
========================== ======= ================================================================
COLDREC_MAX_FILE_MB        512     bytes read from a file, upload or stream (devices and FIFOs are refused)
COLDREC_MAX_DECOMPRESSED_MB 512    bytes a ``.gz`` expands to, and the uncompressed size of an ``.xlsx``
COLDREC_MAX_COLUMNS        1000    columns of a table (checked on the header / sheet dimension first)
COLDREC_MAX_ROWS           2000000 data rows of one upload
COLDREC_MAX_CELLS          50000000 rows × columns (an ``.xlsx`` with one far cell is refused before parsing)
========================== ======= ================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from coldrec.errors import CatalogError

__all__ = ["Limits", "limits"]

_SETTINGS = {  # field: (environment variable, default)
    "file_bytes": ("COLDREC_MAX_FILE_MB", 512 * 2**20),
    "decompressed_bytes": ("COLDREC_MAX_DECOMPRESSED_MB", 512 * 2**20),
    "columns": ("COLDREC_MAX_COLUMNS", 1000),
    "rows": ("COLDREC_MAX_ROWS", 2_000_000),
    "cells": ("COLDREC_MAX_CELLS", 50_000_000),
}


@dataclass(frozen=True)
class Limits:
    """The limits in force (see the module docstring for the settings)."""

    file_bytes: int
    decompressed_bytes: int
    columns: int
    rows: int
    cells: int

    def check(self, what: str, value: int, label: str) -> None:
        """Raise :class:`CatalogError` naming the setting when ``value`` exceeds the limit ``what``."""
        limit = getattr(self, what)
        if value <= limit:
            return
        var = _SETTINGS[what][0]
        if what.endswith("bytes"):
            shown, cap, unit = f"{value / 2**20:,.1f}", f"{limit / 2**20:,.0f}", " MB"
        else:
            shown, cap, unit = f"{value:,}", f"{limit:,}", ""
        noun = {"file_bytes": "file size", "decompressed_bytes": "decompressed size"}.get(what, what)
        raise CatalogError(
            f"{label}: {noun} {shown}{unit} is over the limit of {cap}{unit}; refused before reading further. "
            f"Split the file, or raise the limit with {var}=… (in {'MB' if unit else 'count'})."
        )


def _read(var: str, default: int, mb: bool) -> int:
    raw = os.environ.get(var, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise CatalogError(f"{var}={raw!r} is not a number; give a positive number"
                           f"{' of MB' if mb else ''} (default {default // 2**20 if mb else default:,}).") from None
    if value <= 0:
        raise CatalogError(f"{var}={raw!r} must be positive.")
    return int(value * 2**20) if mb else int(value)


def limits() -> Limits:
    """The limits from the environment (defaults in the module docstring)."""
    return Limits(**{name: _read(var, default, var.endswith("_MB")) for name, (var, default) in _SETTINGS.items()})
