"""Measures 2 and 3 — embedding cache and interactive latency.

Cache (2): ``coldrec.encoders.embed_texts`` with an ``EmbeddingCache`` in a temporary folder. First embed of the
synthetic catalog (baseline) vs re-embed of the unchanged catalog (ratio, median of repeats), then 1% of the
texts changed: how many texts reach the encoder. The encoder is the ONNX int8 one when available (the fastest
encoder gives the smallest, i.e. most conservative, ratio); the fp32 one otherwise.

Latency (3): ``coldrec.recommend._pipeline.Recommender.recommend(description, k=20)`` on a 10k-item catalog whose vectors
are already cached (clustered unit vectors stand in for them: recall and ranking cost does not depend on their
content), warm fp32 encoder, an MLP ranker fitted for 1 epoch (its cost per call is what matters). p50 and p95
over many descriptions; the same for the int8 encoder as an extra line.

Run: ``python bench/bench_cache_latency.py [--quick]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Result, clustered_unit_vectors, median, pct, save_raw, set_threads, synthetic_texts, script_main  # noqa

import numpy as np  # noqa: E402


def _encoder(kind: str):
    if kind == "int8":
        from coldrec.encoders import OnnxEncoder, onnx_available

        if onnx_available():
            return OnnxEncoder(precision="int8")
    from coldrec.encoders import load_encoder

    return load_encoder(device="cpu", precision="fp32")


def run_cache(quick: bool = False) -> list[Result]:
    from coldrec.encoders import EmbeddingCache, embed_texts

    set_threads()
    n = 500 if quick else 10_000
    texts = synthetic_texts(n, seed=21)
    enc = _encoder("int8")
    enc.encode(texts[:32])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(tmp)
        t = time.perf_counter()
        first = embed_texts(enc, texts, cache=cache)
        first_s = time.perf_counter() - t
        again_s = []
        for _ in range(5):
            c2 = EmbeddingCache(tmp)  # a fresh process would open the folder like this
            t = time.perf_counter()
            again = embed_texts(enc, texts, cache=c2)
            again_s.append(time.perf_counter() - t)
        identical = bool(np.array_equal(first.vectors, again.vectors))
        # warm in-process cache (the app keeps one EmbeddingCache)
        warm_s = []
        for _ in range(5):
            t = time.perf_counter()
            embed_texts(enc, texts, cache=cache)
            warm_s.append(time.perf_counter() - t)
        changed = list(texts)
        rng = np.random.default_rng(3)
        rows = rng.choice(n, size=max(1, n // 100), replace=False)
        for r in rows:
            changed[r] = changed[r] + " Now in a new colour."
        t = time.perf_counter()
        upd = embed_texts(enc, changed, cache=EmbeddingCache(tmp))
        upd_s = time.perf_counter() - t
        same_rows = np.setdiff1d(np.arange(n), rows)
        unchanged_identical = bool(np.array_equal(upd.vectors[same_rows], first.vectors[same_rows]))
    ratio = first_s / median(again_s)
    results.append(Result("cache.reembed_speedup", ratio, "x", ">=50x", ratio >= 50 and identical,
                          f"{n} texts, {enc.name}: first {first_s:.1f}s ({first.encoded} encoded), re-embed "
                          f"median {median(again_s) * 1000:.0f} ms from disk (fresh EmbeddingCache), "
                          f"{median(warm_s) * 1000:.0f} ms warm in-process; identical vectors: {identical}"))
    ok = upd.encoded == len(rows) and upd.cached == n - len(rows) and unchanged_identical
    results.append(Result("cache.changed_1pct_encoded", float(upd.encoded), "texts", f"=={len(rows)}", ok,
                          f"cached {upd.cached}, {upd_s:.2f}s vs first {first_s:.1f}s; unchanged rows "
                          f"bit-identical: {unchanged_identical}"))
    save_raw("cache", results, {"n": n, "first_s": first_s, "again_s": again_s, "warm_s": warm_s})
    return results


def _descriptions(m: int, seed: int = 5) -> list[str]:
    return [t.split(". Model")[0] for t in synthetic_texts(m, seed=seed, min_words=12, max_words=30)]


def run_latency(quick: bool = False) -> list[Result]:
    import pandas as pd

    from coldrec.catalog import load_catalog
    from coldrec.recommend import Recommender
    from coldrec.ranking import MLPRanker, RankerConfig

    set_threads()
    n = 10_000
    reps = 30 if quick else 100
    texts = synthetic_texts(n, seed=31, min_words=20, max_words=30)
    df = pd.DataFrame({"item_id": [f"i{i}" for i in range(n)], "title": [t[:40] for t in texts],
                       "description": texts, "category": [f"c{i % 12}" for i in range(n)]})
    catalog = load_catalog(df, name="bench10k")
    E = clustered_unit_vectors(n, 384, clusters=200, seed=4)
    rng = np.random.default_rng(0)
    users = clustered_unit_vectors(300, 384, clusters=200, seed=4)
    pos = [rng.choice(n, size=5, replace=False).tolist() for _ in range(len(users))]
    ranker = MLPRanker(RankerConfig(epochs=1)).fit(E, users, pos)
    descs = _descriptions(reps)
    results = []
    rows = {}
    import torch

    for kind in ("fp32", "fp32_1thread", "int8"):
        enc = _encoder("int8" if kind == "int8" else "fp32")
        torch.set_num_threads(1 if kind == "fp32_1thread" else set_threads())
        rec = Recommender(catalog, E, enc, ranker=ranker)
        for d in descs[:5]:  # warm-up
            rec.recommend(d, k=20)
        ms = []
        stages = {"encode": [], "recall": []}
        cpu = []
        for d in descs:
            c = time.process_time()
            t = time.perf_counter()
            out = rec.recommend(d, k=20)
            ms.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            t = time.perf_counter()
            q = enc.encode([d])[0]
            stages["encode"].append((time.perf_counter() - t) * 1000)
            from coldrec.retrieval import top_n

            t = time.perf_counter()
            top_n(E, q, 200)
            stages["recall"].append((time.perf_counter() - t) * 1000)
        assert len(out) == 20
        rows[kind] = {"p50": pct(ms, 50), "p95": pct(ms, 95), "cpu_p50": pct(cpu, 50), "cpu_p95": pct(cpu, 95), "encode_p50": pct(stages["encode"], 50),
                      "recall_p50": pct(stages["recall"], 50), "ranked_by": out.attrs.get("ranked_by"),
                      "recall": out.attrs.get("recall"), "device": getattr(enc, "device", "?")}
        print(f"  {kind}: p50 {rows[kind]['p50']:.1f} ms p95 {rows[kind]['p95']:.1f} ms "
              f"(CPU time p50 {rows[kind]['cpu_p50']:.1f} p95 {rows[kind]['cpu_p95']:.1f}) "
              f"(encode p50 {rows[kind]['encode_p50']:.1f}, top_n(200) p50 {rows[kind]['recall_p50']:.2f}) "
              f"ranked_by={rows[kind]['ranked_by']} recall={rows[kind]['recall']}", flush=True)
    set_threads()
    f = rows["fp32"]
    note = (f"{n} items, default fp32 encoder ({set_threads()} torch threads), MLP ranker, k=20, {reps} "
            f"descriptions; stages p50: encode {f['encode_p50']:.1f} ms, top_n(200) {f['recall_p50']:.2f} ms; "
            f"process CPU time per call p50 {f['cpu_p50']:.1f} p95 {f['cpu_p95']:.1f} ms")
    results.append(Result("latency.p50", f["p50"], "ms", "<=50ms", f["p50"] <= 50, note))
    results.append(Result("latency.p95", f["p95"], "ms", "<=100ms", f["p95"] <= 100, ""))
    for kind, label in (("fp32_1thread", "fp32 encoder, torch.set_num_threads(1)"),
                        ("int8", "ONNX int8 encoder")):
        r = rows[kind]
        results.append(Result(f"latency.p50_{kind}", r["p50"], "ms", "<=50ms", r["p50"] <= 50,
                              f"{label}: p95 {r['p95']:.1f} ms (<=100: {r['p95'] <= 100}); CPU time p50 {r['cpu_p50']:.1f} "
                              f"p95 {r['cpu_p95']:.1f} ms; encode p50 "
                              f"{r['encode_p50']:.1f} ms, top_n(200) p50 {r['recall_p50']:.2f} ms"))
    save_raw("latency", results, rows)
    return results


def run(quick: bool = False) -> list[Result]:
    return run_cache(quick) + run_latency(quick)


if __name__ == "__main__":
    script_main(__doc__, lambda a: {"cache": run_cache, "latency": run_latency}.get(a.only, run)(a.quick),
                (("--only", {"choices": ("cache", "latency")}),))
