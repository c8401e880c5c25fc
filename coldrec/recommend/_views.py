"""Plain-data views of library objects for display: rank arrows, item labels, picker options, map labels.

Nothing here draws anything: these functions turn catalogs, recommendation frames and vectors into the strings,
lists and frames a front end (the Streamlit app, a notebook) shows. Text is returned as plain text; escaping for
Markdown or HTML is the front end's job.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PICKER_LIMIT",
    "kept_epoch",
    "arrow",
    "results_view",
    "controls_summary",
    "item_label",
    "item_options",
    "attribute_labels",
    "texts_key",
    "embeddings_parquet",
    "loss_frame",
    "fmt_seconds",
]

PICKER_LIMIT = 5000
"""Catalogs up to this size offer every item in a picker; larger ones go through :meth:`Catalog.search`."""


def arrow(change: Any) -> str:
    """Rank change as ``▲ 3`` (moved up), ``▼ 2`` (moved down), ``–`` (same) or ``new`` (not a number).

    Example:
        >>> arrow(3), arrow(-2), arrow(0), arrow(None)
        ('▲ 3', '▼ 2', '–', 'new')
    """
    try:
        v = int(change)
    except (TypeError, ValueError):
        return "new"
    return f"▲ {v}" if v > 0 else f"▼ {-v}" if v < 0 else "–"


def results_view(df: pd.DataFrame) -> pd.DataFrame:
    """A ``Recommender.recommend`` frame as shown: rank change as arrows, scores kept numeric.

    Example:
        >>> v = results_view(pd.DataFrame({"rank_change": [2], "log_share": [0.618]}))
        >>> v.loc[0, "rank_change"], float(v.loc[0, "log_share"])
        ('▲ 2', 0.62)
    """
    out = df.copy()
    if "rank_change" in out:
        out["rank_change"] = out["rank_change"].map(arrow)
    if "log_share" in out:  # whole percents: "62%" next to "71%", not "61.8%"
        out["log_share"] = pd.to_numeric(out["log_share"], errors="coerce").round(2)
    return out


def controls_summary(df: pd.DataFrame) -> str:
    """What the popularity blend and MMR did to a ``Recommender.recommend`` list, in one line.

    Example:
        >>> df = pd.DataFrame({"item_id": list("abc")})
        >>> df.attrs.update(categories=3, categories_before_controls=1, changed_by_controls=2)
        >>> controls_summary(df)
        '3 categories in the top 3 (1 without popularity and diversity) · popularity and diversity changed 2 of 3 items'
    """
    a, k = df.attrs, len(df)
    cats, before, changed = a.get("categories"), a.get("categories_before_controls"), a.get("changed_by_controls")
    if cats is None:
        return ""
    plural = "category" if cats == 1 else "categories"
    line = f"{cats} {plural} in the top {k}"
    if before is not None and before != cats:
        line += f" ({before} without popularity and diversity)"
    if changed is not None:
        line += f" · popularity and diversity changed {changed} of {k} items" if changed else \
            " · popularity and diversity change none of these items"
    return line


def item_label(catalog: Any) -> Callable[[str], str]:
    """A ``item_id -> "title (category)"`` function for item pickers."""
    titles = dict(zip(catalog.ids, catalog.titles))
    cats = dict(zip(catalog.ids, catalog.categories))

    def fmt(item_id: str) -> str:
        cat = cats.get(item_id, "")
        return f"{titles.get(item_id, item_id)}" + (f" ({cat})" if cat else "")

    return fmt


def item_options(catalog: Any, keep: Sequence[str] = (), query: str = "") -> list[str]:
    """Item ids for a liked/disliked picker.

    All ids up to :data:`PICKER_LIMIT` (the picker filters as you type), else the catalog's title search for
    ``query`` (200 ids); plus the ids already picked (``keep``) that are not among them.
    """
    ids = list(catalog.ids)
    if len(ids) > PICKER_LIMIT:
        ids = list(catalog.search(query, limit=200)) if query.strip() else ids[:200]
    present = set(ids)
    return ids + [i for i in keep if i not in present]


def attribute_labels(values: pd.Series) -> list[str]:
    """Colour labels for a user attribute: numbers (age) binned into decades, text as is, missing as ``""``."""
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().mean() > 0.8:
        return [f"{int(v // 10 * 10)}s" if pd.notna(v) else "" for v in num]
    return [str(v) if pd.notna(v) else "" for v in values]


def texts_key(texts: Sequence[str]) -> str:
    """sha256 of a list of texts (in order): a cache key for their embeddings or map."""
    h = hashlib.sha256()
    for t in texts:
        h.update(str(t).encode("utf-8", "surrogatepass") + b"\x00")
    return h.hexdigest()


def embeddings_parquet(ids: Sequence[str], vectors: np.ndarray) -> bytes:
    """Item ids + embedding vectors (one list column) as Parquet bytes."""
    frame = pd.DataFrame({"item_id": list(ids), "embedding": list(np.asarray(vectors))})
    frame.attrs = {}
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def loss_frame(history: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """A ranker's per-epoch history → a frame indexed by epoch with the training ``loss`` (epoch 0, the untrained
    ``rich`` order, has none and is left out)."""
    df = pd.DataFrame([r for r in history if r.get("loss") is not None])
    if df.empty:
        return df
    return df.set_index("epoch")[["loss"]]


def kept_epoch(history: Sequence[dict[str, Any]]) -> str:
    """Which epoch's weights a ranker kept (the first with the best validation NDCG@10, as the trainer restores)."""
    rows = [r for r in history if r.get("val") is not None]
    if not rows:
        return f"{len(history)} epoch(s), no validation users: the last epoch is kept." if history else ""
    best = rows[0]
    for r in rows[1:]:  # strictly better only, as in the trainer
        if r["val"] > best["val"]:
            best = r
    which = "the untrained recall order (epoch 0)" if int(best["epoch"]) == 0 else f"epoch {int(best['epoch'])}"
    return (f"Kept {which} of {len(rows) - (1 if rows[0]['epoch'] == 0 else 0)} trained (best validation NDCG@10 "
            f"{best['val']:.3f}; later epochs did not improve it).")


def fmt_seconds(s: float) -> str:
    """``42 s``, ``2.5 min`` or ``—`` (unknown)."""
    if not np.isfinite(s):
        return "—"
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.1f} min"
