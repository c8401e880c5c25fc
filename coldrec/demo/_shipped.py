"""Shipped demo embeddings: ``data/<domain>/embeddings/<model>.npz`` (float16 vectors + the catalog hash) and
``<model>.users.npz`` (the log users' written descriptions + their hash).

A demo domain opens without encoding its catalog when a file for the encoder's identity (``encoder.name``) holds
vectors of exactly the current catalog (same sha256 content hash). Any mismatch — another model, an int8
encoder, an edited catalog — is a miss and the caller embeds as before (through the on-disk cache).
``python scripts/build_demo_embeddings.py`` rewrites the files. Loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from coldrec.encoders import base_model

__all__ = ["shipped_path", "load_shipped", "write_shipped", "texts_hash"]


def texts_hash(texts) -> str:
    """sha256 over ``texts`` in order (length-prefixed): identifies e.g. the log users' descriptions."""
    h = hashlib.sha256()
    for t in texts:
        b = str(t).encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def shipped_path(folder: Path, model: str, part: str = "items") -> Path:
    """``<folder>/embeddings/<model with unsafe characters as _>.npz`` (``.users.npz`` for ``part="users"``)."""
    suffix = "" if part == "items" else f".{part}"
    return Path(folder) / "embeddings" / (re.sub(r"[^A-Za-z0-9_.@+-]", "_", str(model)) + suffix + ".npz")


def _key(catalog=None, texts=None) -> str:
    return catalog.content_hash() if catalog is not None else texts_hash(texts)


def load_shipped(folder: Path, model: str, catalog=None, *, texts=None, part: str = "items") -> np.ndarray | None:
    """Unit float32 vectors of ``catalog`` (or of ``texts``) for ``model`` from the shipped file, or None
    (missing or stale). The same model at another precision (``+bf16``: cosine 0.9999 to fp32) reads the
    fp32 file."""
    path = shipped_path(folder, model, part)
    if not path.is_file() and str(model).endswith("+bf16"):
        model = base_model(model)
        path = shipped_path(folder, model, part)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["content_hash"]) != _key(catalog, texts) or str(z["model"]) != str(model):
                return None
            vectors = np.asarray(z["vectors"], dtype=np.float32)
    except (OSError, KeyError, ValueError):
        return None
    if vectors.shape[0] != (len(catalog) if catalog is not None else len(texts)):
        return None
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def write_shipped(folder: Path, model: str, catalog, vectors: np.ndarray, *, texts=None,
                  part: str = "items") -> Path:
    """Write ``vectors`` (one per catalog row, or per text of ``texts``) for ``model``; returns the file."""
    path = shipped_path(folder, model, part)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, vectors=np.asarray(vectors, dtype=np.float16), model=np.array(str(model)),
                        content_hash=np.array(_key(catalog, texts)))
    return path
