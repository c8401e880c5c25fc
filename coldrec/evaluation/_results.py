"""Reading evaluation results back: ``results/<protocol>.json`` files as tables, and a small seeded run.

``coldrec evaluate --out results/`` writes one JSON file per protocol (see :mod:`coldrec.evaluation._evaluate`); these helpers
turn them into frames (one row per method) next to the published numbers for the same protocol.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["RESULTS_DIR", "load_results", "methods_frame", "published_frame", "machine_label"]

RESULTS_DIR = "results"


def load_results(folder: str | os.PathLike = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """Every ``<protocol>.json`` in ``folder``, keyed by protocol (files that are not results are skipped)."""
    out: dict[str, dict[str, Any]] = {}
    root = Path(folder)
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("methods"), dict):
            out[str(data.get("protocol") or path.stem)] = data
    return out


def _numeric_rows(table: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{"method": m, **{k: v for k, v in (vals or {}).items() if isinstance(v, (int, float))}}
                         for m, vals in table.items()])


def methods_frame(result: dict[str, Any]) -> pd.DataFrame:
    """A result's ``methods`` mapping → one row per method, one column per (numeric) metric."""
    return _numeric_rows(result.get("methods", {}))


def published_frame(result: dict[str, Any]) -> pd.DataFrame:
    """Published rows for the result's protocol: its ``published`` block, else coldrec.evaluation._evaluate's table."""
    table = result.get("published")
    if not isinstance(table, dict):
        try:
            from coldrec.evaluation import _evaluate as evaluate

            table = evaluate.PUBLISHED.get(str(result.get("protocol")), {})
        except ImportError:  # pragma: no cover
            table = {}
    return _numeric_rows(table)


def machine_label(machine: Any) -> str:
    """``{"cpu": …, "cores": 2, "gpu": "none"}`` → ``AMD EPYC, 2 cores, no GPU`` (other values as text)."""
    if not isinstance(machine, dict):
        return str(machine or "?")
    gpu = machine.get("gpu")
    parts = [str(machine.get("cpu") or "?"), f"{machine.get('cores', '?')} cores",
             "no GPU" if gpu in (None, "", "none") else str(gpu)]
    return ", ".join(parts)
