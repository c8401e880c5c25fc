"""Encoders: the sentence-encoder protocol and factory, the hashing encoder, the ONNX int8 path and the
on-disk embedding cache.

Example:
    >>> from coldrec.encoders import load_encoder, embed_texts
    >>> enc = load_encoder("hash")
    >>> embed_texts(enc, ["a red lamp"]).vectors.shape
    (1, 256)
"""

from __future__ import annotations

from coldrec.encoders._base import Encoder, EncoderConfig, default_model_path, pick_device, default_batch_size, PRECISIONS
from coldrec.encoders._sentence import SentenceEncoder
from coldrec.encoders._factory import load_encoder
from coldrec.encoders._hash import HashEncoder
from coldrec.encoders._cache import EmbeddingCache, text_key, default_cache_dir
from coldrec.encoders._embed import EmbedResult, embed_texts
from coldrec.encoders._onnx_export import OnnxConfig, export_onnx, model_hash, onnx_cache_dir
from coldrec.encoders._onnx_runtime import OnnxEncoder, onnx_available

__all__ = [
    "Encoder",
    "EncoderConfig",
    "SentenceEncoder",
    "load_encoder",
    "default_model_path",
    "pick_device",
    "default_batch_size",
    "PRECISIONS",
    "HashEncoder",
    "EmbeddingCache",
    "EmbedResult",
    "embed_texts",
    "text_key",
    "default_cache_dir",
    "OnnxConfig",
    "export_onnx",
    "model_hash",
    "onnx_cache_dir",
    "OnnxEncoder",
    "onnx_available",
]
