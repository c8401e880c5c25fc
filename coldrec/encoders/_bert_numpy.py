"""The plain BERT forward in numpy: small CPU batches without importing torch (issue 18, warm CLI ≤ 3 s).

``import torch`` alone costs ~2.8 s on a quiet 2-core box, more than a warm ``coldrec recommend`` has left once
pandas and the catalog are loaded, while such a run encodes one description and a few clauses. For those few
texts this module runs the same network as :mod:`coldrec.encoders._bert` — embeddings → N post-LayerNorm encoder
layers (softmax attention with the padding mask, exact erf GELU or its tanh form) → the folder's pooling → L2
normalisation — on the weights ``safetensors.numpy`` read from ``model.safetensors``, in float32. The rows equal
the torch fp32 path to cosine ≥ 0.99999 (``tests/test_numpy_path.py``), so the encoder's name and cache keys are
unchanged; :class:`~coldrec.encoders._bert.BertEncoder` picks it for CPU batches of at most
:data:`NUMPY_MAX_TEXTS` texts and keeps torch for everything larger (catalogs).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["NumpyBert", "NUMPY_MAX_TEXTS", "NUMPY_MAX_CHARS", "pool", "check_weights"]

NUMPY_MAX_TEXTS = 32  # a description and its clauses; a catalog goes to torch (batched BLAS, threads)
NUMPY_MAX_CHARS = 4_000  # numpy runs ~5× slower per token than torch: only short inputs

# numpy has no erf and scipy costs ~0.3 s to import: erfc by its Chebyshev fit (Numerical Recipes §6.2, fractional
# error < 1.2e-7 everywhere, below float32's resolution of GELU's output), evaluated in float64.
_ERFC_COEF = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
              0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def _erf(x: np.ndarray) -> np.ndarray:
    # float32 throughout: the fit's error (< 1.2e-7) is below float32's resolution of GELU's output already, and
    # float64 temporaries made this a third of the whole small-batch forward (issue 18's interactive path).
    z = np.abs(x, dtype=np.float32)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.5) * z)
    poly = np.full_like(z, np.float32(_ERFC_COEF[-1]))
    for c in reversed(_ERFC_COEF[1:-1]):
        poly *= t
        poly += np.float32(c)
    poly *= t
    poly += np.float32(_ERFC_COEF[0])
    z *= z
    poly -= z
    erfc = t * np.exp(poly)
    return np.where(x >= 0, np.float32(1.0) - erfc, erfc - np.float32(1.0))


def _gelu(x: np.ndarray, approx: str) -> np.ndarray:
    if approx == "tanh":
        return 0.5 * x * (1.0 + np.tanh(np.float32(math.sqrt(2.0 / math.pi)) * (x + np.float32(0.044715) * x ** 3)))
    return 0.5 * x * (1.0 + _erf(x * np.float32(1.0 / math.sqrt(2.0))))


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    d = x - mu
    var = (d * d).mean(-1, keepdims=True)
    return d / np.sqrt(var + np.float32(eps)) * g + b


def check_weights(cfg: dict, weights: dict[str, np.ndarray]) -> None:
    """Raise ``ValueError`` naming the first missing, unexpected or misshaped tensor (BertModel names, no pooler),
    as torch's ``load_state_dict(strict=True)`` would."""
    hid, inter = int(cfg["hidden_size"]), int(cfg["intermediate_size"])
    want = {"embeddings.word_embeddings.weight": (int(cfg["vocab_size"]), hid),
            "embeddings.position_embeddings.weight": (int(cfg["max_position_embeddings"]), hid),
            "embeddings.token_type_embeddings.weight": (int(cfg.get("type_vocab_size", 2)), hid),
            "embeddings.LayerNorm.weight": (hid,), "embeddings.LayerNorm.bias": (hid,)}
    for i in range(int(cfg["num_hidden_layers"])):
        p = f"encoder.layer.{i}."
        for name, o, n in [("attention.self.query", hid, hid), ("attention.self.key", hid, hid),
                           ("attention.self.value", hid, hid), ("attention.output.dense", hid, hid),
                           ("intermediate.dense", inter, hid), ("output.dense", hid, inter)]:
            want[p + name + ".weight"], want[p + name + ".bias"] = (o, n), (o,)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            want[p + name + ".weight"] = want[p + name + ".bias"] = (hid,)
    for key, shape in want.items():
        if key not in weights:
            raise ValueError(f"missing tensor {key!r} (expected shape {shape})")
        if tuple(weights[key].shape) != shape:
            raise ValueError(f"tensor {key!r} has shape {tuple(weights[key].shape)}, expected {shape}")
    extra = sorted(set(weights) - set(want))
    if extra:
        raise ValueError(f"unexpected tensor {extra[0]!r} (and {len(extra) - 1} more)")


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Pool ``hidden`` (batch, tokens, dim) over the unmasked tokens as sentence-transformers' ``Pooling`` does
    (``cls``, ``max``, ``mean_sqrt`` or ``mean``), then L2-normalise each row (``eps`` 1e-12, like torch)."""
    m = mask[:, :, None].astype(np.float32)
    if mode == "cls":
        v = hidden[:, 0]
    elif mode == "max":
        v = np.where(m == 0, np.float32(-1e9), hidden).max(axis=1)
    else:
        count = np.maximum(m.sum(axis=1), np.float32(1e-9))
        v = (hidden * m).sum(axis=1) / (np.sqrt(count) if mode == "mean_sqrt" else count)
    norm = np.maximum(np.linalg.norm(v, axis=1, keepdims=True), np.float32(1e-12))
    return (v / norm).astype(np.float32)


class NumpyBert:
    """BertModel's ``last_hidden_state`` in float32 numpy, from BertModel-named weights (no pooler).

    Example:
        >>> from safetensors.numpy import load_file                       # doctest: +SKIP
        >>> net = NumpyBert(cfg, load_file("model.safetensors"))          # doctest: +SKIP
        >>> net(ids, mask, type_ids).shape                                # doctest: +SKIP
        (1, 7, 384)
    """

    def __init__(self, cfg: dict, weights: dict[str, np.ndarray], approx: str = "none") -> None:
        self.hid, self.heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.layers = int(cfg["num_hidden_layers"])
        self.approx = approx
        w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        # one (hid, 3·hid) matrix for q, k and v: a single matmul per layer instead of three
        self.qkv = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}.attention.self."
            self.qkv.append((np.ascontiguousarray(np.concatenate([w[p + n + ".weight"] for n in ("query", "key",
                                                                                                  "value")]).T),
                             np.concatenate([w[p + n + ".bias"] for n in ("query", "key", "value")])))
            for n in ("query", "key", "value"):
                del w[p + n + ".weight"], w[p + n + ".bias"]
        self.t = {k: np.ascontiguousarray(w.pop(k).T) for k in [k for k in w if k.endswith("dense.weight")]}
        self.w = w

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.t[name + ".weight"] + self.w[name + ".bias"]

    def _layer(self, i: int, x: np.ndarray, live: tuple[np.ndarray, np.ndarray], shape: tuple[int, int],
               bias: np.ndarray) -> np.ndarray:
        """One encoder layer on the packed real tokens ``x`` (tokens, hid); only attention sees the padded batch."""
        (b, n), hid = shape, x.shape[1]
        hd = hid // self.heads
        wq, bq = self.qkv[i]
        padded = np.zeros((b, n, 3 * hid), dtype=np.float32)
        padded[live] = x @ wq + bq
        qkv = padded.reshape(b, n, 3, self.heads, hd).transpose(2, 0, 3, 1, 4)  # 3, b, heads, n, hd
        q, k, v = qkv[0], qkv[1], qkv[2]
        s = (q @ k.transpose(0, 1, 3, 2)) * np.float32(1.0 / math.sqrt(hd)) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3)[live].reshape(-1, hid)
        p = f"encoder.layer.{i}."
        x = _layer_norm(self._dense(ctx, p + "attention.output.dense") + x,
                        self.w[p + "attention.output.LayerNorm.weight"], self.w[p + "attention.output.LayerNorm.bias"],
                        self.eps)
        h = _gelu(self._dense(x, p + "intermediate.dense"), self.approx)
        return _layer_norm(self._dense(h, p + "output.dense") + x, self.w[p + "output.LayerNorm.weight"],
                           self.w[p + "output.LayerNorm.bias"], self.eps)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray) -> np.ndarray:
        """``(batch, tokens, hidden)`` float32 for integer arrays of shape ``(batch, tokens)`` (padding rows 0)."""
        w, (b, n) = self.w, input_ids.shape
        # Every per-token step (the dense layers, GELU, LayerNorm: ~90% of the work) runs on the real tokens only:
        # a description batched with its short clauses is mostly padding (issue 18's interactive path).
        live = np.nonzero(attention_mask.astype(bool))
        x = (w["embeddings.word_embeddings.weight"][input_ids[live]]
             + w["embeddings.position_embeddings.weight"][live[1]]
             + w["embeddings.token_type_embeddings.weight"][token_type_ids[live]])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        # padding keys get -inf-like scores (a large finite value: a row of only padding never occurs, [CLS] is real)
        bias = np.where(attention_mask.astype(bool), np.float32(0), np.float32(-1e30))[:, None, None, :]
        for i in range(self.layers):
            x = self._layer(i, x, live, (b, n), bias)
        out = np.zeros((b, n, x.shape[1]), dtype=np.float32)
        out[live] = x
        return out
