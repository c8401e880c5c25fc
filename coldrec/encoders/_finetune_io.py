"""Saving a fine-tuned encoder as a local sentence-transformers folder (safetensors + JSON, never pickle).

The folder is a copy of the base folder (tokenizer, modules.json, pooling, sentence_bert_config.json …) with a new
``model.safetensors`` — the base file's tensor names, dtypes and header metadata, the trained layers' values
replaced — and ``coldrec_finetune.json`` (format ``coldrec-finetune/1``: the base model's identity, the config,
the data fingerprint, the metrics and the new weights' SHA-256). ``model_identity`` hashes every JSON file of a
folder, so the weights' SHA-256 in ``coldrec_finetune.json`` gives each fine-tune its own embedding-cache key.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from coldrec.errors import ColdrecError

__all__ = ["FORMAT", "INFO_FILE", "check_out", "save_finetuned", "read_finetune_info"]

FORMAT = "coldrec-finetune/1"
INFO_FILE = "coldrec_finetune.json"


def check_out(out: str | Path, overwrite: bool) -> Path:
    """The output folder as a Path; refuse one that exists and is not empty (or is a file) before any work."""
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise ColdrecError(f"--out {str(path)!r} is a file; give a folder path for the fine-tuned model.")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise ColdrecError(f"--out {str(path)!r} exists and is not empty; choose a new folder or pass --force "
                           "(overwrite=True) to replace it.")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _new_weights(base_file: Path, module, frozen: int) -> tuple[dict, dict, list[str]]:
    """The base file's tensors with the trained layers (index ``frozen`` and up) replaced; its metadata."""
    from safetensors import safe_open
    from safetensors.numpy import load_file

    tensors = load_file(str(base_file))
    with safe_open(str(base_file), "np") as fh:
        metadata = fh.metadata() or {}
    prefix = "bert." if any(k.startswith("bert.encoder.") for k in tensors) else ""
    changed = []
    for name, p in module.state_dict().items():
        parts = name.split(".")
        if name.startswith("encoder.layer.") and int(parts[2]) >= frozen:
            key = prefix + name
            if key not in tensors:
                raise ColdrecError(f"The base weights have no tensor {key!r}; the folder does not match its "
                                   "config.json. Re-copy the base model folder.")
            tensors[key] = p.detach().cpu().numpy().astype(tensors[key].dtype).reshape(tensors[key].shape)
            changed.append(key)
    return tensors, metadata, changed


def save_finetuned(base: Path, out: Path, enc, frozen: int, meta: dict, fingerprint: str) -> Path:
    """Write the fine-tuned folder atomically (a temporary sibling renamed into place); point ``enc`` at it.

    ``enc`` (the in-memory ``BertEncoder`` whose module was trained) gets the new weights for its numpy path, its
    name becomes the saved folder's identity and its folder the saved one, so its vectors equal a fresh
    ``load_encoder(model=out)``.
    """
    from safetensors.numpy import save_file

    from coldrec.encoders._base import model_identity

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shutil.copytree(base, tmp, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("model.safetensors", INFO_FILE, ".git*"))
        tensors, metadata, changed = _new_weights(base / "model.safetensors", enc.model, frozen)
        save_file(tensors, str(tmp / "model.safetensors"), metadata=metadata)
        info = {"format": FORMAT,
                "base": {"name": model_identity(base), "weights_sha256": _sha256(base / "model.safetensors")},
                "trained_tensors": changed, "data_fingerprint": fingerprint,
                "weights_sha256": _sha256(tmp / "model.safetensors"), **meta}
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    enc._weights = {k.removeprefix("bert."): v for k, v in tensors.items()
                    if not k.removeprefix("bert.").startswith("pooler.") and not k.endswith("position_ids")}
    enc._numpy_model = None
    enc.folder, enc.name = out, model_identity(out)
    return out


def read_finetune_info(folder: str | Path) -> dict | None:
    """The ``coldrec_finetune.json`` of a model folder, or None when it is not a coldrec fine-tune."""
    path = Path(folder).expanduser() / INFO_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("format") == FORMAT else None
