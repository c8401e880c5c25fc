"""Cache write cost at scale (issue 18): first embed of 500k texts with the embedding cache vs without it.

The encoder is the hashing one at 384 dimensions (MiniLM's size, so the cache writes as many bytes as with the real
model), its word table warmed first, so the encode is cheap and what is left is what the cache adds: keys, shard
writes and merges. Runs, in one process: no cache, the cache with size-tiered merges (fan-out 4), and (``--compare-old``) the
same cache with the old policy (past 48 shards merge everything into one). Wall and CPU time
(``resource.getrusage``) per run, rows rewritten by merges, and the load average.

Target: first embed with the cache ≤ 2× the cache-free time.

Run: ``python bench/bench_cache_compaction.py [--quick] [--compare-old]`` (quick: 20k texts, old policy included)
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Result, load_avg, machine_info, save_raw, script_main, synthetic_texts  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _old_policy_cache():
    from coldrec.encoders import EmbeddingCache

    class OldCompaction(EmbeddingCache):
        """Before issue 18: past 48 shards, every shard is rewritten into one."""

        def _merge_tiers(self, model: str) -> None:
            if len(self._refresh(model)) > 48:
                self._merge(model, list(self._loaded[model]))

    return OldCompaction


def _timed(enc, texts, cache_cls):
    from coldrec.encoders import embed_texts

    with tempfile.TemporaryDirectory(prefix="coldrec-bench-cache-") as tmp:
        cache = cache_cls(tmp) if cache_cls is not None else None
        t, c = time.perf_counter(), _cpu()
        res = embed_texts(enc, texts, cache=cache)
        wall, cpu = time.perf_counter() - t, _cpu() - c
        shards = len(list(Path(tmp).glob("*/shard-*.npz")))
    return {"wall_s": wall, "cpu_s": cpu, "encoded": res.encoded, "shards": shards,
            "rows_rewritten": getattr(cache, "rows_rewritten", 0), "load": load_avg()}, res.vectors


def _texts(n: int) -> tuple[list[str], list[str]]:
    """``n`` distinct texts (2,000 synthetic descriptions × a "sku" number), and a small set with every word."""
    base = synthetic_texts(2000, seed=18)
    texts = [f"{base[i % 2000]} sku {i // 2000}" for i in range(n)]
    return texts, base + [f"sku {j}" for j in range(n // 2000 + 1)]


def run(quick: bool = False, compare_old: bool = False) -> list[Result]:
    import numpy as np

    from coldrec.encoders import EmbeddingCache, HashEncoder

    n = 20_000 if quick else 500_000
    texts, vocabulary = _texts(n)
    enc = HashEncoder(dim=384)
    enc.encode(vocabulary)  # warm the word table: the encode is then cheap, what is left is the cache's cost
    runs: dict[str, dict] = {}
    runs["free"], ref = _timed(enc, texts, None)
    runs["tiered"], vecs = _timed(enc, texts, EmbeddingCache)
    same = bool(np.array_equal(ref, vecs))
    del vecs, ref
    if compare_old or quick:
        runs["old"], _ = _timed(enc, texts, _old_policy_cache())
    free = runs["free"]["wall_s"]
    t, o = runs["tiered"], runs.get("old")
    ratio = t["wall_s"] / free
    note = (f"{n:,} texts, hash-384 (warm): no cache {free:.1f}s; cache tiered {t['wall_s']:.1f}s wall / "
            f"{t['cpu_s']:.1f}s CPU, {t['rows_rewritten']:,} rows rewritten, {t['shards']} shards; no cache "
            f"{runs['free']['cpu_s']:.1f}s CPU; vectors identical to no-cache: {same}; load {load_avg()}")
    results = [Result("cache.first_embed_vs_free", ratio, "x", "<=2x", ratio <= 2 and same, note)]
    if o is not None:
        results.append(Result("cache.first_embed_vs_free_old_policy", o["wall_s"] / free, "x", "-", True,
                              f"the merge-everything policy, same run: {o['wall_s']:.1f}s wall, {o['cpu_s']:.1f}s "
                              f"CPU, {o['rows_rewritten']:,} rows rewritten"))
    # the name bench/run.py --report reads (MEASURES["compaction"]); it was saved as "cache_compaction", never shown
    save_raw("compaction" if not quick else "compaction_quick", results,
             {"n": n, "runs": runs, "machine": machine_info()})
    return results


if __name__ == "__main__":
    script_main(__doc__, lambda a: run(a.quick, a.compare_old),
                (("--compare-old", {"action": "store_true", "help": "also time the old merge-everything policy"}),))
