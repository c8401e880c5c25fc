"""The app's store path (issue 14, point 3): what `COLDREC_INDEX` costs on a Milvus Lite store of N × 384 rows.

    python bench/bench_app_store.py --items 100000 --out bench/raw/app-store.json

Measures, in one run on one store: opening it + the seeded 5,000-row sample the app fetches at start
(`StoreRecommender.sample`), one New user request (`StoreRecommender.recommend`, k=10, n=50, with and without a
category filter) p50/p95 over 30 descriptions, and a New item audience over 240 users (`new_item_report`, batched
store searches). Wall and CPU time (the process's own, `resource.getrusage`) and the load average are recorded: the
machine is shared (2 cores), so wall times are pessimistic. Vectors are random unit rows (the hash encoder's 384-d
space): recall cost does not depend on what the vectors mean.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(fn):
    w, c = time.perf_counter(), _cpu()
    out = fn()
    return out, time.perf_counter() - w, _cpu() - c


def main() -> None:
    from common import load_avg, machine_info

    from coldrec.encoders import HashEncoder
    from coldrec.recommend import SAMPLE_ROWS, StoreRecommender, new_item_report
    from coldrec.retrieval import MilvusStore

    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "raw" / "app-store.json"))
    args = ap.parse_args()
    enc = HashEncoder(dim=384)
    rng = np.random.default_rng(0)
    res: dict = {"items": args.items, "dim": 384, "sample_rows": SAMPLE_ROWS, "machine": machine_info()}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "items.db")
        with MilvusStore(path) as store:
            t = time.perf_counter()
            for lo in range(0, args.items, 50_000):
                m = min(50_000, args.items - lo)
                X = rng.standard_normal((m, 384)).astype(np.float32)
                X /= np.linalg.norm(X, axis=1, keepdims=True)
                store.add([f"it{i:07d}" for i in range(lo, lo + m)], X,
                          categories=[f"c{c}" for c in rng.integers(0, 10, m)], titles=[f"item {i}" for i in
                                                                                       range(lo, lo + m)])
            res["load_s"] = time.perf_counter() - t
        res["load_avg_before"] = load_avg()

        def start():
            rec = StoreRecommender(MilvusStore(path), enc)
            return rec, rec.sample(SAMPLE_ROWS, seed=0)

        (rec, (items, V)), wall, cpu = _timed(start)
        res["open_and_sample"] = {"wall_s": wall, "cpu_s": cpu, "rows": len(items), "bytes": int(V.nbytes)}
        words = "quiet wireless lamp chair desk kitchen knife cotton shirt jazz vinyl piano novel travel".split()
        texts = [" ".join(rng.choice(words, 6)) for _ in range(30)]
        rec.recommend(texts[0], k=10)  # first search loads the collection
        for name, kw in (("recommend", {}), ("recommend_filtered", {"categories": ["c1", "c2"]})):
            walls, cpus = [], []
            for t in texts:
                _, w, c = _timed(lambda: rec.recommend(t, k=10, n=50, **kw))
                walls.append(w)
                cpus.append(c)
            res[name] = {"p50_ms": 1e3 * float(np.median(walls)), "p95_ms": 1e3 * float(np.percentile(walls, 95)),
                         "cpu_ms_median": 1e3 * float(np.median(cpus))}
        users = {f"u{i}": " ".join(rng.choice(words, 5)) for i in range(240)}
        rep, wall, cpu = _timed(lambda: new_item_report(rec, "wireless jazz lamp for a quiet desk", users, k=10))
        res["new_item_240_users"] = {"wall_s": wall, "cpu_s": cpu, "reached": int(rep.summary["reached"])}
        rec.store.close()
    res["load_avg_after"] = load_avg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2))
    print(json.dumps({k: v for k, v in res.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
