"""Shipped demo embeddings: ``data/<domain>/embeddings/<model>.npz`` (float16 vectors + the catalog hash).

A demo domain opens without encoding its catalog when a file for the encoder's identity (``encoder.name``) holds
vectors of exactly the current catalog (same sha256 content hash). Any mismatch — another model, an int8
encoder, an edited catalog — is a miss and the caller embeds as before (through the on-disk cache).
``python scripts/build_demo_embeddings.py`` rewrites the files. Loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

__all__ = ["shipped_path", "load_shipped", "write_shipped"]


def shipped_path(folder: Path, model: str) -> Path:
    """``<folder>/embeddings/<model with unsafe characters as _>.npz``."""
    return Path(folder) / "embeddings" / (re.sub(r"[^A-Za-z0-9_.@+-]", "_", str(model)) + ".npz")


def load_shipped(folder: Path, model: str, catalog) -> np.ndarray | None:
    """Unit float32 vectors of ``catalog`` for ``model`` from the shipped file, or None (missing or stale)."""
    path = shipped_path(folder, model)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["content_hash"]) != catalog.content_hash() or str(z["model"]) != str(model):
                return None
            vectors = np.asarray(z["vectors"], dtype=np.float32)
    except (OSError, KeyError, ValueError):
        return None
    if vectors.shape[0] != len(catalog):
        return None
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def write_shipped(folder: Path, model: str, catalog, vectors: np.ndarray) -> Path:
    """Write ``vectors`` (one per catalog row) for ``model``; returns the file written."""
    path = shipped_path(folder, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, vectors=np.asarray(vectors, dtype=np.float16), model=np.array(str(model)),
                        content_hash=np.array(catalog.content_hash()))
    return path
