"""Named ranker checkpoints in a folder (``<per-user data folder>/rankers/<name>/``) and checkpoints uploaded as
bytes. The app saves each session's rankers in that session's own folder (:class:`coldrec.catalog.SessionStore`),
never in the install folder.

A checkpoint is the two files :meth:`coldrec.ranking._ranker.MLPRanker.save` writes: ``model.safetensors`` and
``config.json`` (no pickle anywhere).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coldrec.catalog import default_data_dir
from coldrec.errors import ColdrecError

__all__ = ["RANKER_DIR", "save_named", "saved_names", "load_named", "load_from_bytes", "checkpoint_files"]

RANKER_DIR = str(default_data_dir() / "rankers")  # per-user data folder (platformdirs), not the install folder
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def save_named(ranker: Any, name: str, root: str | Path = RANKER_DIR) -> str:
    """Save ``ranker`` under ``root/<name>``; returns the folder.

    Raises:
        ColdrecError: no ranker, or ``name`` is not 1–64 letters, digits, ``-`` or ``_``.
    """
    if ranker is None:
        raise ColdrecError("The pages rank by cosine right now: there is no ranker to save. Train or load one first.")
    if not _NAME.fullmatch(name or ""):
        raise ColdrecError(f"{name!r} is not a usable folder name (1–64 letters, digits, - or _).")
    return str(ranker.save(Path(root) / name))


def saved_names(root: str | Path = RANKER_DIR) -> list[str]:
    """Checkpoint folders under ``root`` (those with a ``config.json``), sorted."""
    folder = Path(root)
    return sorted(p.name for p in folder.iterdir() if (p / "config.json").is_file()) if folder.is_dir() else []


def load_named(name: str, root: str | Path = RANKER_DIR) -> Any:
    """The :class:`coldrec.ranking._ranker.MLPRanker` saved as ``root/<name>``.

    Raises:
        ColdrecError: no such checkpoint (the message lists the saved ones).
    """
    from coldrec.ranking._ranker import MLPRanker

    names = saved_names(root)
    if name not in names:
        raise ColdrecError(f"No saved ranker called {name!r}; saved ones: {', '.join(names) or 'none'}.")
    return MLPRanker.load(Path(root) / name)


def checkpoint_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Uploaded ``{file name: bytes}`` → ``{"model.safetensors": …, "config.json": …}``.

    Raises:
        ColdrecError: not exactly one weights file and one config file.
    """
    by_kind = {("model.safetensors" if n.endswith(".safetensors") else "config.json"): b for n, b in files.items()}
    if len(by_kind) != 2:
        raise ColdrecError("A checkpoint is two files: model.safetensors and config.json. Upload both.")
    return by_kind


def load_from_bytes(files: Mapping[str, bytes]) -> Any:
    """Load a checkpoint given as ``{file name: bytes}`` (e.g. two uploads) via a temporary folder.

    Errors name the folder ``uploaded checkpoint``.
    """
    from coldrec.ranking._ranker import MLPRanker

    by_kind = checkpoint_files(files)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "uploaded checkpoint"  # the name error messages show
        folder.mkdir()
        for fname, data in by_kind.items():
            (folder / fname).write_bytes(data)
        return MLPRanker.load(folder)
