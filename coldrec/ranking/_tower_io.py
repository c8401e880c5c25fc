"""User tower checkpoint files: ``model.safetensors`` (weights) + ``config.json`` (everything else), never pickles.

``config.json`` (format ``coldrec-user-tower/1``) holds the :class:`UserTowerConfig`, the vector width, the epoch
history, the best epoch, what it was trained on and the SHA-256 of ``model.safetensors`` (``weights_sha256``, the
same key and the same header check as the ranker's :mod:`coldrec.ranking._checkpoint_io`). On load the config is
checked (known keys, a valid config, a bounded width) before the safetensors header is compared with the shapes
the config implies and the file with its digest; only then are tensors read and the network built.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from coldrec.errors import CheckpointError, ColdrecError
from coldrec.ranking._checkpoint_schema import DIGEST_KEY, MAX_DIM, MAX_PARAMS, check_header, read_config_json

__all__ = ["TOWER_FORMAT", "save_tower", "load_tower"]

TOWER_FORMAT = "coldrec-user-tower/1"
_KEYS = {"format", "config", "dim", "history", "best_epoch", "trained_on", DIGEST_KEY}
_FIX = "use the folder UserTower.save() wrote, unchanged, or train the tower again"


def save_tower(tower, folder: str | Path) -> Path:
    """Write ``tower`` into ``folder`` (weights first, then the config holding their SHA-256); returns it."""
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = save({k: v.detach().contiguous() for k, v in tower._net.state_dict().items()})
    (folder / "model.safetensors").write_bytes(data)
    meta = {"format": TOWER_FORMAT, "config": asdict(tower.config), "dim": tower.dim, "history": tower.history,
            "best_epoch": tower.best_epoch, "trained_on": tower.trained_on,
            DIGEST_KEY: hashlib.sha256(data).hexdigest()}
    (folder / "config.json").write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
    return folder


def _read_meta(folder: Path, UserTowerConfig) -> dict[str, Any]:
    meta = read_config_json(folder, "User tower folder", "UserTower.save()", "user tower")
    if not isinstance(meta, dict) or meta.get("format") != TOWER_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise CheckpointError(f"config.json in {folder.name!r} has format {found!r}, expected {TOWER_FORMAT!r} "
                              f"(a ranker checkpoint loads with MLPRanker.load): {_FIX}.")
    unknown = sorted(set(meta) - _KEYS, key=str)
    if unknown or not isinstance(meta.get("config"), dict):
        raise CheckpointError(f"config.json in {folder.name!r} has unknown keys {unknown} or no config object; "
                              f"allowed keys: {sorted(_KEYS)}: {_FIX}.")
    names = {f.name for f in fields(UserTowerConfig)}
    bad = sorted(set(meta["config"]) - names, key=str)
    if bad:
        raise CheckpointError(f"config.json in {folder.name!r} has unknown config fields {bad}; UserTowerConfig "
                              f"has {sorted(names)}: {_FIX}.")
    try:
        meta["config"] = UserTowerConfig(**meta["config"])
    except (ColdrecError, TypeError) as exc:
        raise CheckpointError(f"config.json in {folder.name!r}: {exc} ({_FIX}).") from None
    dim = meta.get("dim")
    if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= MAX_DIM:
        raise CheckpointError(f"config.json in {folder.name!r} has dim {dim!r}; it must be an integer in "
                              f"[1, {MAX_DIM}]: {_FIX}.")
    if not isinstance(meta.get(DIGEST_KEY), str) or len(meta[DIGEST_KEY]) != 64:
        raise CheckpointError(f"config.json in {folder.name!r} has no valid {DIGEST_KEY} (the SHA-256 of its "
                              f"weights): {_FIX}.")
    return meta


def _net_for(meta: dict[str, Any]):
    from coldrec.ranking._tower_net import make_tower_net

    c = meta["config"]
    return make_tower_net(meta["dim"], c.hidden, c.layers, c.heads, c.experts, c.max_len, c.dropout, c.seed)


def load_tower(cls, folder: str | Path):
    """A ``cls`` (:class:`UserTower`) from ``folder``; refuses anything :meth:`UserTower.save` did not write."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load

    folder = Path(folder)
    meta = _read_meta(folder, cls.config_class)
    with torch.device("meta"):  # shapes only: nothing is allocated
        shapes = {k: tuple(v.shape) for k, v in _net_for(meta).state_dict().items()}
    total = sum(math.prod(s) for s in shapes.values())
    if total > MAX_PARAMS:
        raise CheckpointError(f"config.json in {folder.name!r} asks for a tower of {total:,} weights; at most "
                              f"{MAX_PARAMS:,} are loaded: {_FIX}.")
    weights = folder / "model.safetensors"
    check_header(weights, shapes, folder.name)
    data = weights.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta[DIGEST_KEY]:
        raise CheckpointError(f"Weights in {folder.name!r} do not match their config: the SHA-256 of "
                              f"model.safetensors is {digest[:16]}…, config.json records {meta[DIGEST_KEY][:16]}…: "
                              f"{_FIX}.")
    try:
        state = load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights.name} in {folder.name!r} is not a valid safetensors file ({exc}).") from None
    if not all(torch.isfinite(t).all() for t in state.values()):
        raise CheckpointError(f"Weights in {folder.name!r} contain NaN or infinite values: {_FIX}.")
    tower = cls(meta["config"])
    tower.dim, tower.history = meta["dim"], list(meta.get("history") or [])
    tower.best_epoch, tower.trained_on = meta.get("best_epoch"), dict(meta.get("trained_on") or {})
    net = _net_for(meta)
    net.load_state_dict(state)
    net.eval()
    tower._net = net
    return tower
