"""Warm-up results as plain data for display: the saved curves, one tidy frame per metric, and the live study."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from coldrec.errors import ColdrecError
from coldrec.evaluation._results import RESULTS_DIR

METHOD_LABELS: dict[str, str] = {
    "popularity": "Popularity",
    "ease": "Collaborative filtering (EASE)",
    "itemknn": "Collaborative filtering (item-KNN)",
    "userknn": "Collaborative filtering (user-KNN)",
    "text-lm": "Text only (language model)",
    "text-hash": "Text only (hashing, no model)",
    "text-tfidf": "Text only (TF-IDF)",
    "hybrid-lm": "Hybrid: language model + CF",
    "hybrid-hash": "Hybrid: hashing + CF",
    "hybrid-tfidf": "Hybrid: TF-IDF + CF",
}
"""Plain-language names of the warm-up methods, for charts and tables."""

DEFAULT_METHODS: tuple[str, ...] = ("popularity", "ease", "text-lm", "hybrid-tfidf", "hybrid-lm")


def load_warmup_results(folder: str | os.PathLike = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """``{dataset: result}`` of every ``warmup-<dataset>.json`` in ``folder`` (empty when there is none); the item
    side's ``warmup-items-<dataset>.json`` is keyed ``items-<dataset>``."""
    root = Path(folder)
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(root.glob("warmup-*.json")) if root.is_dir() else []:
        try:
            res = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(res, dict) and "curves" in res:
            out[path.stem.removeprefix("warmup-")] = res
    return out


def warmup_frame(result: dict[str, Any], metric: str = "ndcg@10") -> pd.DataFrame:
    """Long frame ``known, method, label, value, users`` of one metric (rows without a value left out); on the
    item side ``users`` is the number of test items at that point."""
    if metric not in result.get("metrics", []):
        raise ColdrecError(f"unknown metric {metric!r}; valid choices: {', '.join(result.get('metrics', []))}")
    rows = []
    counts = result.get("n_users") or result.get("n_items") or {}
    for m, curves in result["curves"].items():
        for s, v in zip(result["points"], curves[metric]):
            if v is not None:
                rows.append({"known": int(s), "method": m, "label": METHOD_LABELS.get(m, m), "value": float(v),
                             "users": int(counts.get(str(s), 0))})
    return pd.DataFrame(rows, columns=["known", "method", "label", "value", "users"])


def live_warmup(demo: Any, item_vectors, encoder: Any, *, seed: int = 0,
                progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """The warm-up study on a demo domain (3 folds, points 0–10; about a minute on a laptop CPU).

    Raises:
        ColdrecError: no demo domain (no log to learn from).
    """
    from coldrec.evaluation.protocols._warmup import WarmupConfig
    from coldrec.evaluation.protocols._warmup_data import demo_warmup_data
    from coldrec.evaluation.protocols._warmup_study import warmup_study

    if demo is None or getattr(demo, "interactions", None) is None:
        raise ColdrecError("The live warm-up study needs an interaction log: pick a demo domain on Home.")
    data = demo_warmup_data(demo, item_vectors, encoder)
    cfg = WarmupConfig(points=(0, 1, 2, 3, 5, 10), folds=3, seed=seed, val_fraction=0.2,
                       l2_grid=(10.0, 100.0, 1000.0), pop_weights=(0.0, 0.3))
    res = warmup_study(data, cfg, progress=progress)
    res["dataset"] = f"demo domain {getattr(demo, 'label', demo.name)}"
    return res
