"""On-disk cache of fitted maps: ``projection-<key>.npz`` files, written and read without pickle.

The key hashes the vector bytes, the settings that change the coordinates and the umap-learn version. Only
numeric/string arrays are stored and they are loaded with ``allow_pickle=False``, so a cache folder shared with
others cannot execute code. A missing, unreadable or mismatched file is a cache miss; a failed write (read-only
or full disk) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CACHE_FORMAT", "StoredMap", "cache_key", "cache_path", "load_map", "save_map"]

CACHE_FORMAT = 1


@dataclass
class StoredMap:
    """A map as stored: coordinates, method, notices, fitted rows and (for PCA maps) the linear map."""

    coords: np.ndarray
    method: str
    notices: list[str]
    fit_indices: np.ndarray
    pca_mean: np.ndarray
    pca_components: np.ndarray


def cache_key(x: np.ndarray, key_fields: dict[str, Any], umap_version: str) -> str:
    """blake2b over the settings, the umap-learn version, the shape and the float32 bytes of ``x``."""
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps({"format": CACHE_FORMAT, "umap": umap_version, "shape": list(x.shape),
                         "config": key_fields}, sort_keys=True, default=str).encode())
    h.update(np.ascontiguousarray(x, dtype=np.float32).tobytes())
    return h.hexdigest()


def cache_path(cache_dir: str | Path | None, key: str | None) -> Path | None:
    """``cache_dir/projection-<key>.npz`` (None when caching is off)."""
    if cache_dir is None or key is None:
        return None
    return Path(cache_dir) / f"projection-{key}.npz"


def load_map(path: Path | None, shape: tuple[int, int]) -> StoredMap | None:
    """The map stored at ``path`` when its coordinates have ``shape`` (rows, components); else None."""
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            stored = StoredMap(
                coords=np.asarray(z["coords"], dtype=np.float32),
                method=str(z["method"]),
                notices=[str(s) for s in z["notices"]],
                fit_indices=np.asarray(z["fit_indices"], dtype=np.int64),
                pca_mean=np.asarray(z["pca_mean"]),
                pca_components=np.asarray(z["pca_components"]),
            )
    except Exception:  # noqa: BLE001 - a corrupt cache file is just a miss
        return None
    return stored if stored.coords.shape == tuple(shape) else None


def save_map(path: Path | None, stored: StoredMap) -> None:
    """Write ``stored`` atomically (temporary file + rename); errors writing are ignored."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            coords=stored.coords,
            method=np.array(stored.method),
            notices=np.array(stored.notices, dtype=str),
            fit_indices=stored.fit_indices,
            pca_mean=stored.pca_mean,
            pca_components=stored.pca_components,
        )
        os.replace(tmp, path)
    except OSError:
        pass  # read-only / full disk: the map still works, only uncached
