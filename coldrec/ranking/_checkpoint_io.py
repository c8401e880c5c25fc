"""Ranker checkpoint files: ``model.safetensors`` (weights) + ``config.json`` (everything else), never pickles.

``config.json`` (format ``coldrec-ranker/2``) holds the :class:`RankerConfig`, the vector width, the scalar
names and their normalisation, the popularity scale and the training popularity per item id, the epoch history
and what it was trained on (encoder, catalog, profile settings). :func:`read_config` is the one place that reads
and checks it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from coldrec.errors import CheckpointError

__all__ = ["FORMAT", "read_config", "save_checkpoint", "load_checkpoint"]

FORMAT = "coldrec-ranker/2"
_RETRAIN = ("retrain it with `coldrec train-ranker`, the app's Ranker page or `python scripts/train_demo_rankers.py`"
            " (the ranker is now the listwise model the evaluation protocols measure)")


def save_checkpoint(ranker, folder: str | Path) -> Path:
    """Write ``ranker`` into ``folder``; returns the folder."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().contiguous() for k, v in ranker._net.state_dict().items()},
              str(folder / "model.safetensors"))
    cfg = asdict(ranker.config)
    meta = {"format": FORMAT, "config": cfg, "dim": ranker.dim, "scalars": list(ranker.config.scalars),
            "scale": ranker.scale, "pop_scale": ranker.pop_scale,
            "item_popularity": None if ranker.item_ids is None else {
                "ids": list(ranker.item_ids), "counts": [float(c) for c in ranker.item_popularity]},
            "history": ranker.history, "trained_on": ranker.trained_on}
    (folder / "config.json").write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
    return folder


def read_config(folder: str | Path) -> dict[str, Any]:
    """The checked ``config.json`` of a checkpoint folder, with ``config`` turned into a :class:`RankerConfig`.

    Raises:
        CheckpointError: a file is missing, the JSON is not a coldrec ranker config, or it is an older format.
    """
    from coldrec.ranking._config import RankerConfig

    folder = Path(folder)
    for name in ("model.safetensors", "config.json"):
        if not (folder / name).is_file():
            raise CheckpointError(f"Ranker checkpoint {folder.name!r} is missing {name}: a checkpoint is a folder "
                                  "with model.safetensors and config.json written by MLPRanker.save().")
    try:
        meta = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("the file is not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"Ranker config.json in {folder.name!r} is not a coldrec ranker config: {exc}.") from exc
    fmt = meta.get("format")
    if fmt == "coldrec-ranker/1":
        raise CheckpointError(f"Ranker checkpoint {folder.name!r} has the old format {fmt!r} (the pointwise ranker "
                              f"coldrec no longer ships): {_RETRAIN}.")
    try:
        if fmt != FORMAT:
            raise ValueError(f"format is {fmt!r}, expected {FORMAT!r}")
        known = {f.name for f in fields(RankerConfig)}
        config = RankerConfig(**{k: v for k, v in dict(meta["config"]).items() if k in known})
        dim = int(meta["dim"])
        if dim < 1:
            raise ValueError(f"dim is {dim}")
        if list(meta.get("scalars", [])) != list(config.scalars):
            raise ValueError(f"scalars {meta.get('scalars')!r} differ from the config's {list(config.scalars)!r}")
        scale = meta.get("scale")
        if scale is not None and (len(scale) != 2 or any(len(s) != len(config.scalars) for s in scale)):
            raise ValueError(f"scale must be [mean, std] with one value per scalar {list(config.scalars)!r}")
        pop = meta.get("item_popularity")
        if pop is not None and len(pop["ids"]) != len(pop["counts"]):
            raise ValueError("item_popularity has different numbers of ids and counts")
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"Ranker config.json in {folder.name!r} is not a coldrec ranker config: {exc}.") from exc
    return {**meta, "config": config, "dim": dim}


def load_checkpoint(cls, folder: str | Path):
    """A ``cls`` (:class:`MLPRanker`) from ``folder``; refuses anything :meth:`MLPRanker.save` did not write."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    meta = read_config(folder)
    weights = folder / "model.safetensors"
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights.name} in {folder.name!r} is not a valid safetensors file ({exc}); coldrec "
                              "loads only safetensors checkpoints, never pickles.") from exc
    if not all(torch.isfinite(t).all() for t in state.values()):
        raise CheckpointError(f"Weights in {folder.name!r} contain NaN or infinite values.")
    ranker = cls(meta["config"])
    try:
        ranker._restore(meta, state)
    except RuntimeError as exc:
        cfg = meta["config"]
        raise CheckpointError(f"Weights in {folder.name!r} do not match their config ({cfg.features}, "
                              f"hidden={cfg.hidden}, dim={meta['dim']}): {str(exc).splitlines()[0]}") from exc
    return ranker
