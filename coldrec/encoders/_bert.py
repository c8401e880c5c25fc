"""A native torch BERT for plain ``model_type: "bert"`` folders: no ``transformers`` import (issue 18 point 3).

Importing ``transformers`` costs ~4.6 s over torch on a quiet 2-core box (``from transformers import BertModel``
7.4 s vs ``import torch`` 2.8 s), paid by every CLI run and by the app's one-time model load. The bundled
all-MiniLM-L6-v2 is a plain BERT: this module reads ``config.json`` and ``model.safetensors`` (``safetensors``),
tokenises with the folder's ``tokenizer.json`` (``tokenizers``: the same special tokens, lower-casing, window and
padding as the transformers path) and runs embeddings → N post-LayerNorm encoder layers (attention through
``scaled_dot_product_attention`` with the padding mask) → the folder's pooling → L2 normalisation. The vectors match
the transformers path to cosine ≥ 0.99999 on every row (``tests/test_bert.py``), so the cache identity is unchanged.

Any other ``model_type``, a relative position embedding, an unknown activation or a folder without
``tokenizer.json`` keeps the transformers path (:func:`native_folder` says which).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from coldrec.encoders._base import EncoderConfig
from coldrec.encoders._folder import read_folder, read_json
from coldrec.encoders._sentence import _damaged
from coldrec.encoders._transformers import TransformersEncoder, plain_folder

__all__ = ["BertEncoder", "native_folder"]

_ACTS = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh"}  # exact erf GELU, or its tanh form


def native_folder(folder: str | Path | None) -> bool:
    """True when ``folder`` (``None``: the bundled model) is a plain BERT folder this module runs itself."""
    from coldrec.encoders._base import default_model_path

    path = Path(folder).expanduser() if folder else default_model_path()
    if not plain_folder(path) or not (path / "tokenizer.json").is_file():
        return False
    cfg = read_json(path / "config.json", {})
    return (cfg.get("model_type") == "bert" and cfg.get("hidden_act", "gelu") in _ACTS
            and cfg.get("position_embedding_type", "absolute") == "absolute"
            and (path / "model.safetensors").is_file())


def _bert_module(cfg: dict):
    """An ``nn.Module`` with BertModel's parameter names (no pooler), returning ``.last_hidden_state``."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    hid, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    approx = _ACTS[cfg.get("hidden_act", "gelu")]

    def lin(i, o):
        return nn.Linear(i, o)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            att = nn.Module()
            att.self = nn.Module()
            att.self.query, att.self.key, att.self.value = lin(hid, hid), lin(hid, hid), lin(hid, hid)
            att.output = nn.Module()
            att.output.dense, att.output.LayerNorm = lin(hid, hid), nn.LayerNorm(hid, eps=eps)
            self.attention = att
            self.intermediate = nn.Module()
            self.intermediate.dense = lin(hid, int(cfg["intermediate_size"]))
            self.output = nn.Module()
            self.output.dense = lin(int(cfg["intermediate_size"]), hid)
            self.output.LayerNorm = nn.LayerNorm(hid, eps=eps)

        def forward(self, x, mask):
            b, n, _ = x.shape
            s = self.attention.self

            def split(t):
                return t.view(b, n, heads, hid // heads).transpose(1, 2)

            ctx = F.scaled_dot_product_attention(split(s.query(x)), split(s.key(x)), split(s.value(x)),
                                                 attn_mask=mask)
            ctx = ctx.transpose(1, 2).reshape(b, n, hid)
            o = self.attention.output
            x = o.LayerNorm(o.dense(ctx) + x)
            h = F.gelu(self.intermediate.dense(x), approximate=approx)
            return self.output.LayerNorm(self.output.dense(h) + x)

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            e = nn.Module()
            e.word_embeddings = nn.Embedding(int(cfg["vocab_size"]), hid)
            e.position_embeddings = nn.Embedding(int(cfg["max_position_embeddings"]), hid)
            e.token_type_embeddings = nn.Embedding(int(cfg.get("type_vocab_size", 2)), hid)
            e.LayerNorm = nn.LayerNorm(hid, eps=eps)
            self.embeddings = e
            self.encoder = nn.Module()
            self.encoder.layer = nn.ModuleList(Layer() for _ in range(int(cfg["num_hidden_layers"])))

        def forward(self, input_ids, attention_mask, token_type_ids):
            e = self.embeddings
            pos = torch.arange(input_ids.shape[1], device=input_ids.device)
            x = e.word_embeddings(input_ids) + e.position_embeddings(pos)[None]
            x = e.LayerNorm(x + e.token_type_embeddings(token_type_ids))
            mask = attention_mask.bool()[:, None, None, :]  # (batch, 1, 1, keys): padding keys are never attended
            for layer in self.encoder.layer:
                x = layer(x, mask)
            return SimpleNamespace(last_hidden_state=x)

    return Bert()


class BertEncoder(TransformersEncoder):
    """A plain BERT sentence-transformers folder run on torch + tokenizers + safetensors alone.

    Example:
        >>> enc = BertEncoder()                          # doctest: +SKIP
        >>> enc.encode(["wireless headphones"]).shape    # doctest: +SKIP
        (1, 384)
    """

    def __init__(self, config: EncoderConfig | None = None) -> None:
        self._setup(config)
        self.spec = read_folder(self.folder)
        self.max_seq_length = int(self.spec.max_seq_length)
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        from coldrec.encoders._bert_numpy import NUMPY_MAX_TEXTS, check_weights

        self._cfg = cfg = read_json(self.folder / "config.json", {})
        try:
            self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            self._counter = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            weights = load_file(str(self.folder / "model.safetensors"))
            weights = {k.removeprefix("bert."): v for k, v in weights.items()  # the pooler head: used by no pooling
                       if not k.removeprefix("bert.").startswith("pooler.") and not k.endswith("position_ids")}
            check_weights(cfg, weights)  # what load_state_dict(strict=True) would say, before torch is imported
        except Exception as exc:  # a damaged folder: unreadable JSON or weights, missing or misshaped tensors
            raise _damaged(self.folder, exc) from exc
        self._weights = weights
        self._torch_model = self._numpy_model = None
        #: CPU batches of at most this many texts run on numpy (no torch import); 0 (or ``COLDREC_NUMPY_PATH=0``)
        #: always uses torch.
        self.numpy_max_texts = 0 if os.environ.get("COLDREC_NUMPY_PATH", "").strip() == "0" else NUMPY_MAX_TEXTS
        pad = self.tokenizer.padding or {}
        self.tokenizer.enable_truncation(max_length=self.max_seq_length, strategy="longest_first")
        self.tokenizer.enable_padding(pad_id=int(pad.get("pad_id", cfg.get("pad_token_id", 0))),
                                      pad_type_id=int(pad.get("pad_type_id", 0)),
                                      pad_token=str(pad.get("pad_token", "[PAD]")))  # to the batch's longest
        self._counter.no_truncation()
        self._counter.no_padding()
        self.dim = int(cfg["hidden_size"])

    @property
    def model(self):
        """The torch module, built on first use (a CLI run that encodes only a few texts never imports torch)."""
        if self._torch_model is None:
            import torch

            with torch.device("meta"):  # no random initialisation (~0.2 s): every parameter comes from the file
                model = _bert_module(self._cfg)
            model.load_state_dict({k: torch.from_numpy(v) for k, v in self._weights.items()}, strict=True,
                                  assign=True)
            model.eval()
            self._torch_model = model
            self._cast()
            self._torch_model.to(self.device)
        return self._torch_model

    @model.setter
    def model(self, value) -> None:
        self._torch_model = value

    def _numpy_path(self, texts: list[str]) -> bool:
        from coldrec.encoders._bert_numpy import NUMPY_MAX_CHARS

        return (self.device == "cpu" and len(texts) <= self.numpy_max_texts
                and sum(map(len, texts)) <= NUMPY_MAX_CHARS)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        """A few texts on the CPU: the numpy forward (fp32, equal to torch fp32 to cosine ≥ 0.99999); else torch."""
        return self._numpy_encode(texts) if self._numpy_path(texts) else super()._encode_batch(texts)

    def _numpy_encode(self, texts: list[str]) -> np.ndarray:
        """Unit float32 rows of non-blank ``texts`` by the numpy forward (one padded batch)."""
        from coldrec.encoders._bert_numpy import NumpyBert, pool
        from coldrec.encoders._threads import single_thread_blas

        if self._numpy_model is None:
            self._numpy_model = NumpyBert(self._cfg, self._weights, _ACTS[self._cfg.get("hidden_act", "gelu")])
        if self.spec.do_lower_case:
            texts = [t.lower() for t in texts]
        enc = self.tokenizer.encode_batch([t.strip() for t in texts])
        ids, mask, types = (np.array([getattr(e, f) for e in enc], dtype=np.int64)
                            for f in ("ids", "attention_mask", "type_ids"))
        # A few hundred tokens are too little work to split: a second OpenBLAS thread only waits for the other
        # core, 60 ms → 420–700 ms per description with another program busy (bench/NOTES.md, issue 18).
        with single_thread_blas():
            return pool(self._numpy_model(ids, mask, types), mask, self.spec.pooling)

    def _tokenize(self, texts: list[str]):
        import torch

        if self.spec.do_lower_case:
            texts = [t.lower() for t in texts]
        enc = self.tokenizer.encode_batch([t.strip() for t in texts])
        return {"input_ids": torch.tensor([e.ids for e in enc], dtype=torch.long),
                "attention_mask": torch.tensor([e.attention_mask for e in enc], dtype=torch.long),
                "token_type_ids": torch.tensor([e.type_ids for e in enc], dtype=torch.long)}

    def count_truncated(self, texts) -> int:
        """Count texts whose token length (with special tokens) exceeds ``max_seq_length``."""
        if not len(texts):
            return 0
        probe = [str(t)[: self.max_seq_length * 12] for t in texts]  # a 1 MB text is cut long before its end
        return int(sum(len(e.ids) > self.max_seq_length for e in self._counter.encode_batch(probe)))
