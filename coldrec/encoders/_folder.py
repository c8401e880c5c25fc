"""What a sentence-transformers model folder says about itself: pooling, normalisation, window, lower-casing.

``modules.json`` lists the modules the folder chains (Transformer → Pooling → Normalize for all-MiniLM-L6-v2);
``1_Pooling/config.json`` the pooling mode; ``sentence_bert_config.json`` the token window (``max_seq_length``)
and ``do_lower_case``. The ONNX and the transformers-direct encoders both read them here, so they pool exactly as
sentence-transformers would; a folder with any other module (Dense, a custom one) is not "plain" and is loaded by
sentence-transformers itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FolderSpec", "read_folder", "read_json"]

_PLAIN_MODULES = ("Transformer", "Pooling", "Normalize")


def read_json(path: Path, default):
    """The JSON in ``path``, or ``default`` (a copy) when the file is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default.copy() if hasattr(default, "copy") else default


@dataclass(frozen=True)
class FolderSpec:
    """The pipeline a model folder describes."""

    pooling: str
    """``"mean"``, ``"cls"``, ``"max"`` or ``"mean_sqrt"``."""
    normalize: bool
    """Whether modules.json ends with a Normalize module (coldrec normalises every row anyway)."""
    max_seq_length: int
    """Tokens per text, special tokens included (longer texts are cut)."""
    do_lower_case: bool
    """Whether sentence-transformers lower-cases texts before tokenising."""
    plain: bool
    """True when the folder is Transformer (at its root) + Pooling (+ Normalize) only: transformers alone runs it."""


def _pooling(cfg: dict) -> str:
    if cfg.get("pooling_mode_cls_token"):
        return "cls"
    if cfg.get("pooling_mode_max_tokens"):
        return "max"
    if cfg.get("pooling_mode_mean_sqrt_len_tokens"):
        return "mean_sqrt"
    return "mean"


def read_folder(folder: Path) -> FolderSpec:
    """Read modules.json, the Pooling config and sentence_bert_config.json of ``folder``."""
    folder = Path(folder)
    modules = read_json(folder / "modules.json", [])
    pool_dir, normalize, plain, kinds = folder / "1_Pooling", False, isinstance(modules, list), []
    for m in modules if isinstance(modules, list) else []:
        kind = str(m.get("type", "")).rsplit(".", 1)[-1]
        kinds.append(kind)
        if kind == "Normalize":
            normalize = True
        elif kind == "Pooling":
            pool_dir = folder / m.get("path", "1_Pooling")
        elif kind == "Transformer":
            plain = plain and m.get("path", "") in ("", ".")
        if kind not in _PLAIN_MODULES:
            plain = False
    plain = plain and kinds[:2] == ["Transformer", "Pooling"] and len(kinds) <= 3
    st_cfg = read_json(folder / "sentence_bert_config.json", {})
    if "max_seq_length" in st_cfg:
        window = int(st_cfg["max_seq_length"])
    else:
        window = int(read_json(folder / "config.json", {}).get("max_position_embeddings", 512))
    pool_cfg = read_json(pool_dir / "config.json", {"pooling_mode_mean_tokens": True})
    return FolderSpec(pooling=_pooling(pool_cfg), normalize=normalize, max_seq_length=window,
                      do_lower_case=bool(st_cfg.get("do_lower_case", False)), plain=plain)
