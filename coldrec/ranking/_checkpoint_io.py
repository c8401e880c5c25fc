"""Ranker checkpoint files: ``model.safetensors`` (weights) + ``config.json`` (everything else), never pickles.

``config.json`` (format ``coldrec-ranker/2``) holds the :class:`RankerConfig`, the vector width, the scalar
names and their normalisation, the popularity scale and the training popularity per item id, the epoch history,
what it was trained on (encoder, catalog, profile settings) and the SHA-256 of ``model.safetensors``
(``weights_sha256``). :func:`read_config` is the one place that reads it and checks it against the schema of
:mod:`coldrec.ranking._checkpoint_schema`; :func:`load_checkpoint` then compares the safetensors header with the
shapes the config implies and the file with its digest before a tensor is read or a layer is built.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from coldrec.errors import CheckpointError
from coldrec.ranking._checkpoint_schema import (DIGEST_KEY, check_header, check_meta, read_config_json,
                                                expected_shapes)

__all__ = ["FORMAT", "read_config", "save_checkpoint", "load_checkpoint"]

FORMAT = "coldrec-ranker/2"
_RETRAIN = ("retrain it with `coldrec train-ranker`, the app's Ranker page or `python scripts/train_demo_rankers.py`"
            " (the ranker is now the listwise model the evaluation protocols measure)")
_RESAVE = ("re-save the checkpoint that wrote these weights (MLPRanker.save), or retrain it with `coldrec "
           "train-ranker` or the app's Ranker page")


def save_checkpoint(ranker, folder: str | Path) -> Path:
    """Write ``ranker`` into ``folder`` (weights first, then the config holding their SHA-256); returns it."""
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = save({k: v.detach().contiguous() for k, v in ranker._net.state_dict().items()})
    (folder / "model.safetensors").write_bytes(data)
    cfg = asdict(ranker.config)
    meta = {"format": FORMAT, "config": cfg, "dim": ranker.dim, "scalars": list(ranker.config.scalars),
            "scale": ranker.scale, "pop_scale": ranker.pop_scale,
            "item_popularity": None if ranker.item_ids is None else {
                "ids": list(ranker.item_ids), "counts": [float(c) for c in ranker.item_popularity]},
            "history": ranker.history, "trained_on": ranker.trained_on,
            DIGEST_KEY: hashlib.sha256(data).hexdigest()}
    (folder / "config.json").write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
    return folder


def read_config(folder: str | Path, *, allow_missing_digest: bool = False) -> dict[str, Any]:
    """The checked ``config.json`` of a checkpoint folder, with ``config`` turned into a :class:`RankerConfig`.

    Args:
        folder: the checkpoint folder.
        allow_missing_digest: accept a config without ``weights_sha256`` (written before coldrec stored it).

    Raises:
        CheckpointError: a file is missing, the JSON is not a coldrec ranker config (every key is checked against
            the schema: types, ranges, lengths, unknown keys), or it is an older format.
    """
    folder = Path(folder)
    meta = read_config_json(folder, "Ranker checkpoint", "MLPRanker.save()", "ranker")
    if meta.get("format") == "coldrec-ranker/1":
        raise CheckpointError(f"Ranker checkpoint {folder.name!r} has the old format 'coldrec-ranker/1' (the "
                              f"pointwise ranker coldrec no longer ships): {_RETRAIN}.")
    if DIGEST_KEY not in meta and meta.get("format") == FORMAT and not allow_missing_digest:
        raise CheckpointError(
            f"Ranker checkpoint {folder.name!r} has no {DIGEST_KEY} (the SHA-256 of its weights, stored since "
            f"coldrec checks weights on load): {_RETRAIN}; or, if you trust these files, re-save them once with "
            "`MLPRanker.load(folder, allow_missing_digest=True).save(folder)`.")
    return check_meta(meta, folder.name, FORMAT, digest_required=not allow_missing_digest)


def load_checkpoint(cls, folder: str | Path, *, allow_missing_digest: bool = False):
    """A ``cls`` (:class:`MLPRanker`) from ``folder``; refuses anything :meth:`MLPRanker.save` did not write.

    The config is checked first (:func:`read_config`), then the safetensors header against the shapes it
    implies, then the file against its SHA-256; only then are tensors read and the network built.
    """
    folder = Path(folder)
    meta = read_config(folder, allow_missing_digest=allow_missing_digest)
    try:
        return _load_checked(cls, folder, meta)
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - last resort: the checks above should make this unreachable
        raise CheckpointError(f"Ranker checkpoint {folder.name!r} could not be loaded (internal error "
                              f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}); "
                              f"{_RESAVE}.") from exc


def _load_checked(cls, folder: Path, meta: dict[str, Any]):
    import numpy as np
    from safetensors import SafetensorError
    from safetensors.numpy import load  # numpy arrays: scoring a loaded ranker never needs torch

    weights = folder / "model.safetensors"
    check_header(weights, expected_shapes(meta, folder.name), folder.name)
    data = weights.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if meta[DIGEST_KEY] is not None and digest != meta[DIGEST_KEY]:
        raise CheckpointError(
            f"Weights in {folder.name!r} do not match their config: the SHA-256 of model.safetensors is "
            f"{digest[:16]}…, config.json records {meta[DIGEST_KEY][:16]}… (the file was changed or damaged "
            f"after saving, or comes from another checkpoint): {_RESAVE}.")
    try:
        state = load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights.name} in {folder.name!r} is not a valid safetensors file ({exc}); coldrec "
                              "loads only safetensors checkpoints, never pickles.") from None
    if not all(np.isfinite(t).all() for t in state.values()):
        raise CheckpointError(f"Weights in {folder.name!r} contain NaN or infinite values: {_RESAVE}.")
    ranker = cls(meta["config"])
    try:
        ranker._restore(meta, state)
    except RuntimeError as exc:
        cfg = meta["config"]
        raise CheckpointError(f"Weights in {folder.name!r} do not match their config ({cfg.features}, "
                              f"hidden={cfg.hidden}, dim={meta['dim']}): {str(exc).splitlines()[0]}") from None
    return ranker
