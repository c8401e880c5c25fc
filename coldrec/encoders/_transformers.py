"""The default sentence encoder without sentence-transformers: ``AutoModel`` + ``AutoTokenizer`` + pooling.

Importing ``sentence_transformers`` pulls in scikit-learn, scipy.stats, transformers' fp8 integrations and more
(~6.8 s of a 9.8 s warm CLI run, issue 18). A folder that chains only Transformer → Pooling (→ Normalize) — the
bundled all-MiniLM-L6-v2 and most sentence-transformers models — needs none of it: this encoder tokenises with
the folder's tokenizer (same window, lower-casing and whitespace stripping as sentence-transformers), runs the
transformer, pools as ``1_Pooling/config.json`` says and L2-normalises. The vectors equal
``SentenceTransformer.encode`` (cosine ≥ 0.9999, ``tests/test_encoder.py``) and the cache identity is the same
(:func:`coldrec.encoders._base.model_identity`), so vectors cached by the sentence-transformers path stay valid.

Everything else is :class:`SentenceEncoder`'s: CUDA fp16 / MPS / CPU fp32 (and bf16 on CPUs with AMX or
AVX512-BF16), length-sorted chunks with progress, one torch thread for short inputs, GPU out-of-memory halving
and the CPU fallback, ``count_truncated`` and ``device_label``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coldrec.encoders._base import EncoderConfig
from coldrec.encoders._folder import read_folder
from coldrec.encoders._sentence import SentenceEncoder, _damaged

__all__ = ["TransformersEncoder", "plain_folder", "torch_pool"]


def torch_pool(hidden, mask, mode: str):
    """Unit rows of ``hidden`` (batch, tokens, dim) pooled over the unmasked tokens as sentence-transformers'
    ``Pooling`` does (``cls``, ``max``, ``mean_sqrt`` or ``mean``); differentiable (the fine-tuning reuses it)."""
    import torch

    m = mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "cls":
        v = hidden[:, 0]
    elif mode == "max":
        v = hidden.masked_fill(m == 0, -1e9).max(dim=1).values
    else:
        count = m.sum(dim=1).clamp(min=1e-9)
        v = (hidden * m).sum(dim=1) / (count.sqrt() if mode == "mean_sqrt" else count)
    return torch.nn.functional.normalize(v, p=2, dim=1)  # coldrec's contract: unit rows (Normalize does the same)


def plain_folder(folder: str | Path | None) -> bool:
    """True when ``folder`` (``None``: the bundled model) is Transformer + Pooling (+ Normalize) only."""
    from coldrec.encoders._base import default_model_path

    path = Path(folder).expanduser() if folder else default_model_path()
    return path.is_dir() and (path / "modules.json").exists() and read_folder(path).plain


class TransformersEncoder(SentenceEncoder):
    """A plain sentence-transformers folder run with transformers alone (see the module docstring).

    Example:
        >>> enc = TransformersEncoder()                 # doctest: +SKIP
        >>> enc.encode(["wireless headphones"]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(self, config: EncoderConfig | None = None) -> None:
        self._setup(config)
        self.spec = read_folder(self.folder)
        self._quiet_transformers()
        from transformers import AutoModel, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(self.folder), local_files_only=True)
            self.model = AutoModel.from_pretrained(str(self.folder), local_files_only=True,
                                                   dtype=self._torch_dtype())
        except Exception as exc:  # a damaged folder fails deep inside transformers
            raise _damaged(self.folder, exc) from exc
        if getattr(self.model, "pooler", None) is not None:
            self.model.pooler = None  # the CLS dense + tanh head: computed on every call, used by no pooling mode
        self.model.eval()
        self._cast()
        self.model.to(self.device)
        self.dim = int(self.model.config.hidden_size)
        self.max_seq_length = int(self.spec.max_seq_length)

    def _tokenize(self, texts: list[str]):
        if self.spec.do_lower_case:
            texts = [t.lower() for t in texts]
        return self.tokenizer([t.strip() for t in texts], padding=True, truncation="longest_first",
                              max_length=self.max_seq_length, return_tensors="pt")

    def count_truncated(self, texts) -> int:
        """Count texts whose token length (with special tokens) exceeds ``max_seq_length``."""
        if not len(texts):
            return 0
        probe = [str(t)[: self.max_seq_length * 12] for t in texts]  # a 1 MB text is cut long before its end
        ids = self.tokenizer(probe, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        return int(sum(len(x) > self.max_seq_length for x in ids))

    def _run(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Unit float32 rows for ``texts`` (already length-sorted by :meth:`encode`), ``batch_size`` at a time."""
        import torch

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self._tokenize(texts[start : start + batch_size])
                batch = {k: v.to(device) for k, v in batch.items()}
                hidden = self.model(**batch).last_hidden_state
                out[start : start + len(hidden)] = self._pool(hidden, batch["attention_mask"])
        return out

    def _pool(self, hidden, mask) -> np.ndarray:
        # pool and normalise in fp32 whatever the compute dtype, as sentence-transformers
        return torch_pool(hidden.float(), mask, self.spec.pooling).cpu().numpy()
