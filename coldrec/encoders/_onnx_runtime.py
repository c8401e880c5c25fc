"""ONNX Runtime encoder: the same sentence-transformers pipeline, exported once, optionally int8-quantised.

The ONNX file comes from :func:`coldrec.encoders._onnx_export.export_onnx` (torch export, BERT graph fusion, int8
quantisation, cached per model). Pooling (read from ``1_Pooling/config.json``) and L2 normalisation run in NumPy,
exactly as ``modules.json`` describes them. Texts are tokenised once, sorted by token length and batched so that
padding waste is minimal, then the rows are put back in input order.

Exported files live in ``platformdirs.user_cache_dir("coldrec")/onnx/<model-hash>/`` (or
``$COLDREC_CACHE/onnx/<model-hash>/``) and are never written into the repository.

Example:
    >>> from coldrec.encoders._onnx_runtime import OnnxEncoder
    >>> enc = OnnxEncoder(precision="int8")          # doctest: +SKIP
    >>> enc.encode(["a red wool scarf"]).shape        # doctest: +SKIP
    (1, 384)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from coldrec.encoders._base import default_model_path, model_identity
from coldrec.errors import ColdrecError, ModelNotFoundError

# The export half lives in coldrec.encoders._onnx_export.
from coldrec.encoders._onnx_export import (
    PRECISIONS,
    OnnxConfig,
    _read_json,
    export_onnx,
)

__all__ = ["OnnxEncoder", "onnx_available"]

def onnx_available() -> bool:
    """Return True when onnxruntime can be imported (the fast path is optional)."""
    try:
        import onnxruntime  # noqa: F401
    except Exception:  # pragma: no cover - depends on the environment
        return False
    return True


def _max_seq_length(model_path: Path) -> int:
    cfg = _read_json(model_path / "sentence_bert_config.json", {})
    if "max_seq_length" in cfg:
        return int(cfg["max_seq_length"])
    hf = _read_json(model_path / "config.json", {})
    return int(hf.get("max_position_embeddings", 512))


def _pooling_mode(model_path: Path) -> tuple[str, bool]:
    """Return (pooling mode, normalise) following modules.json and the Pooling config."""
    modules = _read_json(model_path / "modules.json", {}) or []
    normalize = False
    pool_dir = model_path / "1_Pooling"
    if isinstance(modules, list):
        for m in modules:
            t = str(m.get("type", ""))
            if t.endswith("Normalize"):
                normalize = True
            if t.endswith("Pooling"):
                pool_dir = model_path / m.get("path", "1_Pooling")
    cfg = _read_json(pool_dir / "config.json", {"pooling_mode_mean_tokens": True})
    if cfg.get("pooling_mode_cls_token"):
        mode = "cls"
    elif cfg.get("pooling_mode_max_tokens"):
        mode = "max"
    elif cfg.get("pooling_mode_mean_sqrt_len_tokens"):
        mode = "mean_sqrt"
    else:
        mode = "mean"
    return mode, normalize


def _torch_threads() -> int:
    """torch's intra-op thread count when torch is loaded (one thread budget for both runtimes), else all cores."""
    import sys

    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else (os.cpu_count() or 1)


class OnnxEncoder:
    """Encoder protocol over ONNX Runtime (CPU): same tokenizer, pooling and normalisation as the model folder.

    Args:
        model: model folder; default: the packaged all-MiniLM-L6-v2.
        precision: "int8" or "fp32".
        batch_size: texts per run after length sorting.
        num_threads: onnxruntime intra-op threads (None: all cores).
        config: full :class:`OnnxConfig`; overrides precision/batch_size/num_threads when given.

    Raises:
        ColdrecError: unknown precision, or onnxruntime not installed.
        ModelNotFoundError: the model folder is missing.
    """

    def __init__(self, model: str | Path | None = None, *, precision: str = "int8", batch_size: int = 64,
                 num_threads: int | None = None, config: OnnxConfig | None = None) -> None:
        if config is None:
            config = OnnxConfig(precision=precision, batch_size=batch_size, num_threads=num_threads)
        if config.precision not in PRECISIONS:
            raise ColdrecError(f"unknown ONNX precision {config.precision!r}; choose one of {PRECISIONS}")
        if not onnx_available():
            raise ColdrecError("precision='int8' needs onnxruntime: pip install onnxruntime")
        self.config = config
        self.model_path = Path(model) if model is not None else default_model_path()
        if not (self.model_path / "config.json").exists():
            raise ModelNotFoundError(f"{self.model_path} is not a model folder (no config.json)")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.onnx_path = export_onnx(self.model_path, config)
        self.max_seq_length = _max_seq_length(self.model_path)
        self._pool, self._normalize = _pooling_mode(self.model_path)
        tok_file = self.model_path / "tokenizer.json"
        if not tok_file.exists():
            raise ModelNotFoundError(f"{self.model_path} has no tokenizer.json")
        self._tok = Tokenizer.from_file(str(tok_file))
        self._tok.no_padding()
        self._tok.enable_truncation(max_length=self.max_seq_length)
        self._tok_full = None  # untruncated twin for count_truncated, made on first use
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = int(config.num_threads or _torch_threads())
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Spinning threads burn a core another process (or torch's pool) needs: 1.24x -> 1.44x fp32 on a busy
        # Xeon (issue 18).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._sess = ort.InferenceSession(str(self.onnx_path), sess_options=opts,
                                          providers=["CPUExecutionProvider"])
        self._sess_small = None
        if config.small_batch_tokens and opts.intra_op_num_threads > 1:
            small = ort.SessionOptions()
            small.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            small.intra_op_num_threads = 1
            small.inter_op_num_threads = 1
            small.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._sess_small = ort.InferenceSession(str(self.onnx_path), sess_options=small,
                                                    providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._sess.get_inputs()}
        hf = _read_json(self.model_path / "config.json", {})
        self.dim = int(hf.get("hidden_size", 384))
        self.device = "cpu"
        self.precision = config.precision
        self.folder = self.model_path
        self.warnings: list[str] = []
        # SentenceEncoder's identity plus the backend: cache keys of the two never collide yet stay readable
        self.name = f"{model_identity(self.model_path)}+onnx-{config.precision}"

    @property
    def device_label(self) -> str:
        """Human-readable device, e.g. ``"cpu (onnxruntime int8)"``."""
        return f"cpu (onnxruntime {self.precision})"

    # -- protocol -------------------------------------------------------------------------------------------
    def _tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        encs = self._tok.encode_batch([str(t) if t is not None else "" for t in texts])
        return [e.ids for e in encs]

    def count_truncated(self, texts: Sequence[str]) -> int:
        """Number of texts longer than the model window (``max_seq_length`` tokens incl. [CLS]/[SEP])."""
        if not len(texts):
            return 0
        # A second tokenizer, not a toggle of self._tok: the app shares one encoder between sessions, and an
        # encode() running while truncation is off would feed the model over-long sequences.
        if self._tok_full is None:
            from tokenizers import Tokenizer

            full = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
            full.no_padding()
            full.no_truncation()
            self._tok_full = full
        encs = self._tok_full.encode_batch([str(t) for t in texts])
        return int(sum(len(e.ids) > self.max_seq_length for e in encs))

    def encode(self, texts: Sequence[str], *,
               progress: Callable[[int, int], None] | None = None, kind: str = "passage") -> np.ndarray:
        """Encode texts to L2-normalised float32 rows, in input order.

        Args:
            texts: the texts.
            progress: called as progress(done, total) after each batch.
            kind: "query" or "passage"; ignored (the model is symmetric).

        Returns:
            (len(texts), dim) float32.
        """
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        ids = self._tokenize(texts)
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=n)
        order = np.argsort(-lengths, kind="stable") if self.config.length_sorted else np.arange(n)
        done = 0
        start = 0
        bs = max(1, int(self.config.batch_size))
        cap = max(1, int(self.config.max_tokens_per_batch))
        while start < n:
            longest = int(lengths[order[start]]) if self.config.length_sorted else int(
                lengths[order[start:start + bs]].max())
            size = max(1, min(bs, cap // max(1, longest)))
            rows = order[start:start + size]
            width = int(lengths[rows].max())
            input_ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for j, r in enumerate(rows):
                seq = ids[r]
                input_ids[j, : len(seq)] = seq
                mask[j, : len(seq)] = 1
            feeds = {"input_ids": input_ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(input_ids)
            sess = self._sess
            if self._sess_small is not None and input_ids.size <= self.config.small_batch_tokens:
                sess = self._sess_small
            hidden = sess.run(None, feeds)[0]
            out[rows] = self._pool_rows(hidden, mask)
            start += len(rows)
            done += len(rows)
            if progress is not None:
                progress(done, n)
        return out

    def _pool_rows(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        m = mask[..., None].astype(np.float32)
        if self._pool == "cls":
            v = hidden[:, 0, :]
        elif self._pool == "max":
            v = np.where(m > 0, hidden, -1e9).max(axis=1)
        else:
            s = (hidden * m).sum(axis=1)
            cnt = np.clip(m.sum(axis=1), 1e-9, None)
            v = s / (np.sqrt(cnt) if self._pool == "mean_sqrt" else cnt)
        v = v.astype(np.float32)
        # coldrec's Encoder protocol always returns unit rows (the model's Normalize module does the same)
        norm = np.linalg.norm(v, axis=1, keepdims=True)
        v = v / np.clip(norm, 1e-12, None)
        return v

    def __repr__(self) -> str:
        return f"OnnxEncoder({self.name!r}, device={self.device_label!r}, batch_size={self.config.batch_size})"
