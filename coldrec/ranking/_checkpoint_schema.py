"""The schema of a ranker checkpoint's ``config.json`` and the check of its ``model.safetensors`` header.

:func:`check_meta` validates every key of ``config.json`` (types, ranges, lengths, unknown keys) before anything
is built; :func:`expected_shapes` derives the tensor shapes the config implies on torch's ``meta`` device (no
memory is allocated) and refuses a network over :data:`MAX_PARAMS`; :func:`check_header` compares them with the
safetensors header, read before the tensors. Every refusal is a :class:`CheckpointError` naming the key, the value
found and what is allowed.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable

from coldrec.errors import CheckpointError

__all__ = ["MAX_HIDDEN", "MAX_LAYERS", "MAX_DIM", "MAX_PARAMS", "MAX_CONFIG_BYTES", "DIGEST_KEY", "check_meta",
           "expected_shapes", "check_header"]

MAX_HIDDEN = 4096  # width of one layer
MAX_LAYERS = 8  # entries of ``hidden``
MAX_DIM = 8192  # width of the item and user vectors
MAX_PARAMS = 32_000_000  # weights of the whole network (128 MB of float32)
MAX_SCALARS = 32
MAX_ITEMS = 5_000_000  # ids in ``item_popularity``
MAX_CONFIG_BYTES = 256 * 2**20
MAX_HEADER_BYTES = 1 * 2**20
DIGEST_KEY = "weights_sha256"
_KEYS = {"format", "config", "dim", "scalars", "scale", "pop_scale", "item_popularity", "history", "trained_on"}


class _Bad(CheckpointError):
    """A schema violation: ``where`` (the key path) and ``what`` (value found and what is allowed)."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _num(lo: float, hi: float, *, integer: bool = False, lo_open: bool = False, hi_open: bool = False
         ) -> Callable[[Any], Any]:
    kind = "an integer" if integer else "a number"
    lo_s, hi_s = ("(" if lo_open else "["), (")" if hi_open else "]")

    def check(v: Any) -> Any:
        ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok_type or not math.isfinite(v) or v < lo or v > hi \
                or (lo_open and v == lo) or (hi_open and v == hi):
            raise _Bad(f"is {_show(v)}; it must be {kind} in {lo_s}{lo:g}, {hi:g}{hi_s}")
        return v
    return check


def _choice(options) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if not isinstance(v, str) or v not in options:
            raise _Bad(f"is {_show(v)}; it must be one of {', '.join(map(repr, options))}")
        return v
    return check


def _bool(v: Any) -> Any:
    if not isinstance(v, bool):
        raise _Bad(f"is {_show(v)}; it must be true or false")
    return v


def _list(item: Callable[[Any], Any], lo: int, hi: int) -> Callable[[Any], list]:
    def check(v: Any) -> list:
        if not isinstance(v, list) or not lo <= len(v) <= hi:
            raise _Bad(f"is {_show(v)}; it must be a list of {lo} to {hi:,} entries")
        for i, x in enumerate(v):
            try:
                item(x)
            except _Bad as exc:
                raise _Bad(f"entry {i} {exc}") from None
        return v
    return check


def _text(max_len: int, min_len: int = 1) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if not isinstance(v, str) or not min_len <= len(v) <= max_len:
            raise _Bad(f"is {_show(v)}; it must be a string of {min_len} to {max_len:,} characters")
        return v
    return check


def _json_value(v: Any, depth: int = 0, budget: list | None = None) -> Any:
    """Free-form JSON (``trained_on``): at most 4 levels, 2,000 values, strings up to 10,000 characters."""
    budget = [2000] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0 or depth > 4:
        raise _Bad("is nested too deep or too large (at most 4 levels and 2,000 values)")
    if isinstance(v, str):
        return _text(10_000, 0)(v)
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, list):
        return [_json_value(x, depth + 1, budget) for x in v]
    if isinstance(v, dict):
        return {_text(128)(k): _json_value(x, depth + 1, budget) for k, x in v.items()}
    raise _Bad(f"holds {_show(v)}")


def _config_schema() -> dict[str, Callable[[Any], Any]]:
    from coldrec.ranking._features import FEATURE_SETS, OBJECTIVES

    return {
        "features": _choice(FEATURE_SETS), "objective": _choice(OBJECTIVES),
        "scalars": _list(_text(128), 0, MAX_SCALARS),
        "hidden": _list(_num(1, MAX_HIDDEN, integer=True), 1, MAX_LAYERS),
        "dropout": _num(0, 1, hi_open=True), "lr": _num(0, 10, lo_open=True), "weight_decay": _num(0, 10),
        "epochs": _num(1, 100_000, integer=True), "batch_size": _num(1, 1_000_000, integer=True),
        "negatives": _num(1, 100_000, integer=True), "max_examples": _num(1, 10**9, integer=True),
        "recall_n": _num(1, 1_000_000, integer=True), "skip_init": _num(-1e6, 1e6), "standardize": _bool,
        "patience": _num(1, 100_000, integer=True), "val_fraction": _num(0, 1, hi_open=True),
        "seed": _num(0, 2**63 - 1, integer=True),
    }


def _exact_keys(obj: Any, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(obj, dict):
        raise _Bad(f"is {_show(obj)}; it must be a JSON object")
    unknown = sorted(set(obj) - required - optional, key=str)
    if unknown:
        raise _Bad(f"has unknown key(s) {', '.join(_show(k) for k in unknown[:5])}; the known ones are "
                   f"{', '.join(sorted(required | optional))}")
    missing = sorted(required - set(obj))
    if missing:
        raise _Bad(f"lacks {', '.join(missing)}")
    return obj


def _scale(n: int) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, list) or len(v) != 2:
            raise _Bad(f"is {_show(v)}; it must be null or [means, stds]")
        _list(_num(-1e12, 1e12), n, n)(v[0])
        _list(_num(0, 1e12, lo_open=True), n, n)(v[1])
        return v
    return check


def _popularity(v: Any) -> Any:
    if v is None:
        return v
    _exact_keys(v, {"ids", "counts"})
    for key, item in (("ids", _text(1024, 0)), ("counts", _num(0, 1e15))):
        try:
            _list(item, 0, MAX_ITEMS)(v[key])
        except _Bad as exc:
            raise _Bad(f"{key} {exc}") from None
    if len(v["ids"]) != len(v["counts"]):
        raise _Bad(f"has {len(v['ids'])} ids but {len(v['counts'])} counts")
    return v


def _history(v: Any) -> Any:
    return _list(_epoch, 0, 100_000)(v)


def _epoch(v: Any) -> Any:
    """One epoch of ``history``: up to 32 names (``epoch``, ``loss``, ``val``, ``seconds``) with numbers."""
    if not isinstance(v, dict) or len(v) > 32:
        raise _Bad(f"is {_show(v)}; it must be an object of at most 32 numbers")
    for k, x in v.items():
        _text(64)(k)
        if isinstance(x, bool) or not isinstance(x, (int, float, type(None))):
            raise _Bad(f"has {_show(k)}: {_show(x)}; values must be numbers")
    return v


def _trained_on(v: Any) -> Any:
    if not isinstance(v, dict):
        raise _Bad(f"is {_show(v)}; it must be a JSON object")
    return _json_value(v)


def check_meta(meta: Any, folder: str, fmt: str, digest_required: bool = True) -> dict[str, Any]:
    """Validate the parsed ``config.json`` of checkpoint ``folder`` against the schema of format ``fmt``.

    ``digest_required=False`` accepts a config without ``weights_sha256`` (returned as None).

    Returns:
        ``meta`` with ``config`` turned into a :class:`RankerConfig` (and ``weights_sha256`` None when absent).

    Raises:
        CheckpointError: naming the first key whose value breaks the schema, the value and what is allowed.
    """
    from coldrec.ranking._config import RankerConfig

    where = "config.json"
    try:
        _exact_keys(meta, _KEYS | ({DIGEST_KEY} if digest_required else set()), {DIGEST_KEY})
        schema = _config_schema()
        where = "config"
        names = [f.name for f in fields(RankerConfig)]
        _exact_keys(meta["config"], set(names))
        for key in names:
            where = f"config.{key}"
            schema[key](meta["config"][key])
        n = len(meta["config"]["scalars"])
        top: dict[str, Callable[[Any], Any]] = {
            "format": _choice([fmt]), "dim": _num(1, MAX_DIM, integer=True),
            "scalars": _list(_text(128), n, n), DIGEST_KEY: _digest, "scale": _scale(n),
            "pop_scale": _num(0, 1e6, lo_open=True), "item_popularity": _popularity, "history": _history,
            "trained_on": _trained_on,
        }
        for key, check in top.items():
            where = key
            if key in meta:  # only the digest may be absent (digest_required=False)
                check(meta[key])
        where = "scalars"
        if meta["scalars"] != meta["config"]["scalars"]:
            raise _Bad(f"{_show(meta['scalars'])} differ from config.scalars {_show(meta['config']['scalars'])}")
        where = "config"
        config = RankerConfig(**meta["config"])
        if list(config.scalars) != meta["scalars"]:
            raise _Bad(f"names scalars {_show(meta['scalars'])} that features {config.features!r} does not use")
        where = "scale"
        standardized = config.standardize and config.features == "rich" and bool(config.scalars)
        if (meta["scale"] is not None) != standardized:
            raise _Bad(f"is {_show(meta['scale'])} but config.standardize is {config.standardize} "
                       f"(features {config.features!r}): a saved scale goes with standardize=true and rich only")
    except _Bad as exc:
        raise CheckpointError(f"Ranker config.json in {folder!r} is not a coldrec ranker config: {where} {exc}. "
                              "Use the folder MLPRanker.save() wrote, unchanged.") from None
    except (ValueError, TypeError) as exc:  # RankerConfig's own checks
        raise CheckpointError(f"Ranker config.json in {folder!r} is not a coldrec ranker config: {exc}") from None
    return {DIGEST_KEY: None, **meta, "config": config}


def _digest(v: Any) -> str:
    if not isinstance(v, str) or len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise _Bad(f"is {_show(v)}; it must be 64 lowercase hex digits (the SHA-256 of model.safetensors)")
    return v


def expected_shapes(meta: dict[str, Any], folder: str) -> dict[str, tuple[int, ...]]:
    """``{tensor name: shape}`` of the network a checked ``meta`` describes (:func:`~coldrec.ranking._net.net_shapes`).

    Raises:
        CheckpointError: the network would have more than :data:`MAX_PARAMS` weights.
    """
    from coldrec.ranking._net import net_shapes

    cfg, dim = meta["config"], int(meta["dim"])
    shapes = net_shapes(dim, len(cfg.scalars), cfg.features, cfg.hidden)  # no torch import, nothing allocated
    total = sum(math.prod(s) for s in shapes.values())
    if total > MAX_PARAMS:
        raise CheckpointError(f"Ranker config.json in {folder!r} asks for a network of {total:,} weights "
                              f"(dim={dim}, hidden={list(cfg.hidden)}, {cfg.features}); at most {MAX_PARAMS:,} "
                              "are loaded. Use the folder MLPRanker.save() wrote, unchanged.")
    return shapes


def check_header(path: Path, expected: dict[str, tuple[int, ...]], folder: str) -> None:
    """Compare the safetensors header of ``path`` with ``expected`` before any tensor is read.

    Raises:
        CheckpointError: the file is not safetensors ("not a valid safetensors file"), or its tensors differ from
            the config's ("do not match their config"), or it is larger than those tensors.
    """
    def invalid(why: str) -> CheckpointError:
        return CheckpointError(f"{path.name} in {folder!r} is not a valid safetensors file ({why}); coldrec loads "
                               "only safetensors checkpoints written by MLPRanker.save(), never pickles.")

    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise invalid(f"{size} bytes")
        (n,) = struct.unpack("<Q", head)
        if not 2 <= n <= min(MAX_HEADER_BYTES, size - 8):
            raise invalid(f"header length {n:,} for a file of {size:,} bytes")
        try:
            header = json.loads(fh.read(n).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise invalid(f"header: {str(exc)[:80]}") from None
    if not isinstance(header, dict):
        raise invalid("header is not a JSON object")
    header.pop("__metadata__", None)
    found = {}
    for name, info in header.items():
        if not isinstance(info, dict) or info.get("dtype") != "F32" or not isinstance(info.get("shape"), list):
            raise _mismatch(folder, f"tensor {_show(name)} is {_show(info)}, expected float32 (F32)")
        found[name] = tuple(info["shape"])
    if found != expected:
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected), key=str)
        shapes = [f"{k} {list(found[k])} (config: {list(expected[k])})" for k in expected
                  if k in found and found[k] != expected[k]]
        why = "; ".join(filter(None, [missing and f"missing {', '.join(missing)}",
                                      extra and f"unexpected {', '.join(_show(k) for k in extra[:5])}",
                                      shapes and "shapes " + ", ".join(shapes[:3])]))
        raise _mismatch(folder, why)
    want = 8 + n + 4 * sum(math.prod(s) for s in expected.values())
    if size != want:
        raise _mismatch(folder, f"the file has {size:,} bytes, its tensors need {want:,}")


def _mismatch(folder: str, why: str) -> CheckpointError:
    return CheckpointError(f"Weights in {folder!r} do not match their config: {why}. Use the model.safetensors "
                           "that MLPRanker.save() wrote with this config.json, or retrain the ranker.")


def read_config_json(folder: Path, what: str, writer: str, noun: str) -> dict[str, Any]:
    """``folder/config.json`` as a dict, after checking both checkpoint files exist and the config's size.

    ``what`` names the checkpoint kind in messages ("Ranker checkpoint", "User tower folder"); ``writer`` the
    method that writes such folders ("MLPRanker.save()"); ``noun`` the config's kind ("ranker"). Shared by every safetensors + config.json reader so they
    refuse the same files with the same words.
    """
    for name in ("model.safetensors", "config.json"):
        if not (folder / name).is_file():
            raise CheckpointError(f"{what} {folder.name!r} is missing {name}: it must be a folder with "
                                  f"model.safetensors and config.json written by {writer}.")
    path = folder / "config.json"
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise CheckpointError(f"config.json in {folder.name!r} has {path.stat().st_size:,} bytes; at most "
                              f"{MAX_CONFIG_BYTES:,} are read. Use the folder {writer} wrote.")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("the file is not a JSON object")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        why = "it is nested too deep" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise CheckpointError(f"config.json in {folder.name!r} is not a coldrec {noun} config: {why}. Use the "
                              f"folder {writer} wrote.") from None
    return meta
