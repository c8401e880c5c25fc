"""Scale benchmark (issue 14): Ray local vs in-process embedding, Milvus Lite vs FAISS vs exact recall, and an
end-to-end embed → index → recommend run.

    python bench/bench_scale.py --texts 20000 --items 100000 --e2e 200000 --out bench/raw/scale.json

Ratios are measured in one run. The machine is shared (2 cores, up to 8 engineers): the load average is recorded
next to each part, and absolute times are pessimistic. Local Ray uses num_cpus=2 and is shut down at the end;
Milvus Lite stores live in a temporary folder and are closed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

WORDS = ("red blue green quiet wireless lamp chair desk kitchen knife cotton shirt jazz vinyl piano novel travel "
         "garden coffee tea soft steel wooden budget premium kids outdoor running yoga camera phone").split()


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _catalog(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    w = np.array(WORDS)
    return pd.DataFrame({"item_id": [f"it{i:07d}" for i in range(n)],
                         "title": [" ".join(t) for t in w[rng.integers(0, len(w), (n, 3))]],
                         "description": [" ".join(t) for t in w[rng.integers(0, len(w), (n, 10))]],
                         "category": [f"c{c}" for c in rng.integers(0, 10, n)]})


def ray_vs_in_process(n: int, tmp: Path) -> dict:
    """The same n texts embedded in-process and by Ray (1 actor, local, num_cpus=2), hash encoder."""
    import ray

    from coldrec.catalog import load_catalog
    from coldrec.encoders import embed_texts, load_encoder
    from coldrec.scale import RayEmbedConfig, ray_embed, read_shards

    df = _catalog(n)
    src = tmp / "texts.parquet"
    df.to_parquet(src)
    t = time.perf_counter()
    cat = load_catalog(src)
    vec = embed_texts(load_encoder("hash"), cat.texts).vectors
    local_s = time.perf_counter() - t
    t = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    start_s = time.perf_counter() - t
    try:
        res = {}
        for actors in (1, 2):
            t = time.perf_counter()
            out = ray_embed(src, tmp / f"shards{actors}", config=RayEmbedConfig(
                model="hash", use_cache=False, actors=actors, cpus_per_actor=0.5, rows_per_shard=50_000, block_rows=4096))
            res[actors] = time.perf_counter() - t
            assert out.rows == n
    finally:
        ray.shutdown()
    got = np.concatenate([s["vectors"] for s in read_shards(tmp / "shards1")])
    cos = float(np.sum(got * vec, axis=1).min())
    return {"texts": n, "in_process_s": local_s, "in_process_rows_s": n / local_s, "ray_start_s": start_s,
            "ray_1actor_s": res[1], "ray_1actor_rows_s": n / res[1], "ray_2actor_s": res[2],
            "ray_2actor_rows_s": n / res[2], "overhead_ratio_1actor": local_s / res[1],
            "overhead_ratio_2actor": local_s / res[2], "min_cos_vs_in_process": cos, "load": _load()}


def _vectors(n: int, d: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((256, d)).astype(np.float32)
    lab = rng.integers(0, 256, n)
    X = centers[lab] + 0.9 * rng.standard_normal((n, d)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, np.array([f"c{c % 10}" for c in lab])


def _lat(fn, queries) -> tuple[list, float, float]:
    out, times = [], []
    for q in queries:
        t = time.perf_counter()
        out.append(fn(q))
        times.append((time.perf_counter() - t) * 1000)
    return out, float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _recall(got, want) -> float:
    return float(np.mean([len(set(g[:100].tolist()) & set(w[:100].tolist())) / max(1, len(w[:100]))
                          for g, w in zip(got, want)]))


def _rss_mb(pid_filter=None) -> float:
    import psutil

    me = psutil.Process()
    procs = [me] + me.children(recursive=True)
    return sum(p.memory_info().rss for p in procs if pid_filter is None or pid_filter(p)) / 2**20


def _exact_filtered(X: np.ndarray, q: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """Exact top-k among the rows of ``mask``: every cosine, the rest set to -inf (what exact top_n does)."""
    s = X @ q
    s[~mask] = -np.inf
    part = np.argpartition(-s, k - 1)[:k]
    return part[np.argsort(-s[part], kind="stable")]


def stores(n: int, tmp: Path, queries: int = 50) -> list[dict]:
    """Exact vs FAISS IVF vs Milvus Lite (FLAT, HNSW) on n × 384: build, memory, p50/p95, recall@100, ± filter."""
    from coldrec.retrieval import ANNIndex, IndexConfig, MilvusStore, StoreConfig, exact_top_k

    X, cats = _vectors(n)
    rng = np.random.default_rng(1)
    Q = X[rng.choice(n, queries, replace=False)] + 0.5 * rng.standard_normal((queries, X.shape[1])).astype(np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    mask = cats == "c3"
    want = [exact_top_k(X, q[None], 100)[0][0] for q in Q]
    want_f = [_exact_filtered(X, q, mask, 100) for q in Q]
    rows = []
    # the exact row is exact at every size (top_n itself switches to the ANN index above EXACT_THRESHOLD)
    exact, p50, p95 = _lat(lambda q: exact_top_k(X, q[None], 100)[0][0], Q)
    exact_f, fp50, fp95 = _lat(lambda q: _exact_filtered(X, q, mask, 100), Q)
    rows.append({"backend": "exact (numpy)", "n": n, "build_s": 0.0, "memory_mb": X.nbytes / 2**20, "p50_ms": p50,
                 "p95_ms": p95, "recall@100": _recall(exact, want), "filtered_p50_ms": fp50, "filtered_p95_ms": fp95,
                 "filtered_recall@100": _recall(exact_f, want_f), "load": _load()})
    rss0 = _rss_mb()
    t = time.perf_counter()
    idx = ANNIndex.build(X, IndexConfig(kind="ivf"), cache=False)
    build = time.perf_counter() - t
    mem = _rss_mb() - rss0
    got, p50, p95 = _lat(lambda q: idx.search(q, 100)[0], Q)
    got_f, fp50, fp95 = _lat(lambda q: idx.search_filtered(q, 100, allowed=mask, exclude=[], vectors=X)[0], Q)
    rows.append({"backend": f"faiss {idx.config.kind}", "n": n, "build_s": build, "memory_mb": mem, "p50_ms": p50,
                 "p95_ms": p95, "recall@100": _recall(got, want), "filtered_p50_ms": fp50, "filtered_p95_ms": fp95,
                 "filtered_recall@100": _recall(got_f, want_f), "load": _load(),
                 # what the build measured on its own sample, beside what this bench measures on its queries
                 "calibration": idx.recall_note})
    print(json.dumps(rows[0]), json.dumps(rows[1]), sep="\n", flush=True)
    del idx
    for kind, params, search in (("FLAT", None, None), ("HNSW", {"M": 16, "efConstruction": 100}, {"ef": 200})):
        rss0 = _rss_mb()
        t = time.perf_counter()
        with MilvusStore(str(tmp / f"bench_{kind}.db"), StoreConfig(index_type=kind, index_params=params,
                                                                     search_params=search)) as store:
            store.add([f"i{i}" for i in range(n)], X, categories=list(cats))
            store.search(Q[0], 10)  # the first search loads / builds the index
            build = time.perf_counter() - t
            mem = _rss_mb() - rss0
            got, p50, p95 = _lat(lambda q: store.search(q, 100)[0], Q)
            got_f, fp50, fp95 = _lat(lambda q: store.search(q, 100, include_categories=["c3"])[0], Q)
        rows.append({"backend": f"milvus-lite {kind}", "n": n, "build_s": build, "memory_mb": mem, "p50_ms": p50,
                     "p95_ms": p95, "recall@100": _recall(got, want), "filtered_p50_ms": fp50,
                     "filtered_p95_ms": fp95, "filtered_recall@100": _recall(got_f, want_f), "load": _load()})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def end_to_end(n: int, tmp: Path) -> dict:
    """Parquet of n synthetic items → `embed --engine ray` (hash) → `index` → `recommend --index`, via the CLI."""
    df = _catalog(n, seed=3)
    for i, part in enumerate(np.array_split(np.arange(n), 4)):
        (tmp / "e2e").mkdir(exist_ok=True)
        df.iloc[part].to_parquet(tmp / "e2e" / f"part-{i}.parquet")
    steps = {}
    cmds = {"embed": ["embed", str(tmp / "e2e"), "--engine", "ray", "--model", "hash", "--no-cache",
                      "--out", str(tmp / "e2e.shards"), "--rows-per-shard", "100000"],
            "index": ["index", str(tmp / "e2e.shards"), "--into", str(tmp / "e2e.db")],
            "recommend": ["recommend", "--index", str(tmp / "e2e.db"), "--model", "hash", "--describe",
                          "quiet wireless headphones for running", "--exclude-category", "c3", "-k", "10",
                          "--format", "csv"]}
    for name, argv in cmds.items():
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "coldrec.cli", *argv], cwd=ROOT, capture_output=True, text=True)
        steps[name + "_s"] = time.perf_counter() - t
        if p.returncode:
            raise SystemExit(f"{name} failed: {p.stderr[-2000:]}")
        steps[name + "_out"] = (p.stdout.strip().splitlines() or [""])[0 if name != "recommend" else -1][:200]
    return {"items": n, **steps, "load": _load()}


START, END = "<!-- bench_scale.py: start -->", "<!-- bench_scale.py: end -->"


def _f(v, nd=1) -> str:
    return f"{v:,.{nd}f}" if isinstance(v, (int, float)) else str(v)


def report(raw: Path = ROOT / "bench" / "raw", results: Path = ROOT / "bench" / "RESULTS.md") -> str:
    """Write the scale section of RESULTS.md (between markers; `bench/run.py --report` writes it too)."""
    section = scale_section(raw)
    text = results.read_text() if results.exists() else ""
    if START in text:
        text = text[: text.index(START)] + text[text.index(END) + len(END):].lstrip("\n")
    results.write_text(text.rstrip("\n") + "\n\n" + section)
    return section


def scale_section(raw: Path = ROOT / "bench" / "raw") -> str:
    """The scale section (between its markers) from ``raw/scale-*.json``; empty when none was recorded."""
    recs = {p.stem.removeprefix("scale-"): json.loads(p.read_text()) for p in sorted(raw.glob("scale-*.json"))}
    if not recs:
        return ""
    out = [START, "", "## Scale (issue 14): `python bench/bench_scale.py`", ""]
    for part, rec in recs.items():
        where = rec.get("machine") or "the machine was shared by up to 8 engineers"
        out.append(f"- `{part}`: commit {rec['commit']}, {rec['cpus']} CPUs, started {rec['started']}; {where} "
                   "(load in each row)")
    if "ray" in recs:
        r = recs["ray"]["ray"]
        out += ["", f"Ray local (num_cpus=2) vs in-process on the same {r['texts']:,} texts, hash encoder:", "",
                "| path | wall s | rows/s | ratio vs in-process (rows/s) |", "|---|---|---|---|",
                f"| in-process (load_catalog + embed_texts) | {_f(r['in_process_s'])} | {_f(r['in_process_rows_s'], 0)} | 1 |",
                f"| Ray, 1 actor | {_f(r['ray_1actor_s'])} | {_f(r['ray_1actor_rows_s'], 0)} | {r['overhead_ratio_1actor']:.3f} |",
                f"| Ray, 2 actors × 0.5 CPU | {_f(r['ray_2actor_s'])} | {_f(r['ray_2actor_rows_s'], 0)} | {r['overhead_ratio_2actor']:.3f} |",
                "", f"Ray start (ray.init) {_f(r['ray_start_s'])} s, not in the rows above; min cosine Ray vs "
                f"in-process {r['min_cos_vs_in_process']:.7f}; load {r['load']}."]
    for part in [p for p in recs if p.startswith("stores")]:
        rows = recs[part]["stores"]
        out += [f"\n{note}" for note in recs[part].get("notes", [])]
        out += ["", f"Recall backends on {rows[0]['n']:,} × 384 clustered unit vectors, 50 queries, k=100; filter = "
                "one category of 10 (~10% of rows):", "",
                "| backend | build s | memory MB | p50 ms | p95 ms | recall@100 | filtered p50 ms | filtered p95 ms | "
                "filtered recall@100 | load |", "|---|---|---|---|---|---|---|---|---|---|"]
        out += [f"| {x['backend']} | {_f(x['build_s'])} | {_f(x['memory_mb'], 0)} | {_f(x['p50_ms'], 2)} | "
                f"{_f(x['p95_ms'], 2)} | {_f(x['recall@100'], 4)} | {_f(x['filtered_p50_ms'], 2)} | "
                f"{_f(x['filtered_p95_ms'], 2)} | {_f(x['filtered_recall@100'], 4)} | {x['load']} |" for x in rows]
    for part in [p for p in recs if p.startswith("e2e")]:
        e = recs[part]["e2e"]
        out += ["", f"End to end, {e['items']:,} synthetic items in 4 Parquet files, hash encoder, via the CLI "
                "(each step a fresh process, so each includes Python/Ray/Milvus start):", "",
                "| step | wall s | output |", "|---|---|---|"]
        out += [f"| {k} | {_f(e[k + '_s'])} | {e[k + '_out'].replace('|', '/')} |" for k in ("embed", "index", "recommend")]
        out.append(f"\nload {e['load']}.")
    if "ray" in recs and "e2e" in recs:
        r, e = recs["ray"]["ray"], recs["e2e"]["e2e"]
        extra = e["items"] - r["texts"]
        marginal = extra / max(1e-9, e["embed_s"] - r["ray_start_s"] - r["ray_1actor_s"])
        fixed = r["ray_1actor_s"] - r["texts"] / marginal
        out += ["", "Reading:", "",
                f"- Ray's cost is mostly fixed: from the 1-actor runs ({r['texts']:,} rows: {_f(r['ray_1actor_s'])} s "
                f"after ray.init; {e['items']:,} rows end to end: {_f(e['embed_s'])} s including process and Ray start) "
                f"the marginal Ray throughput per actor is about r_ray = {_f(marginal, 0)} rows/s and the fixed cost "
                f"T0 ≈ {_f(fixed, 0)} s (actor start, imports, scheduling on a crowded box). These two runs ran under "
                "different load, so both numbers are rough.",
                "- Projection (stated formula): T(N rows, A actors) ≈ T0 + N / (A · r_a), with per-actor throughput "
                "r_a = 1 / (1/r_enc + 1/r_ray), r_enc the encoder's rate on the actor's hardware. With MiniLM int8 on 2 "
                "CPU cores (r_enc ≈ 309 texts/s, encode measure above) r_a ≈ "
                f"{_f(1 / (1 / 309 + 1 / marginal), 0)} rows/s: 10M items on 8 such actors ≈ "
                f"{_f((fixed + 10e6 / (8 / (1 / 309 + 1 / marginal))) / 3600, 1)} h. For GPU actors put the GPU's "
                "measured r_enc in the formula (not measured with Ray here: no GPU in this box).",
                "- Milvus Lite (milvus-lite 3.2.2, one local file) is far slower per query than in-process exact or "
                "FAISS here (seconds vs milliseconds at 100k): it buys persistence and one API shared with a server, "
                "not speed. Switch points from these numbers: exact below 150k rows (unchanged), in-process FAISS "
                "while the matrix fits in RAM (1M × 384 = 1.5 GB), a Milvus *server/cluster* "
                "(`milvus://host:port/collection`) when it does not; Milvus Lite for a laptop-sized store that must "
                "outlive the process, not as a fast path." + ("" if any(
                    p.startswith("e2e") and recs[p]["e2e"]["items"] >= 1_000_000 for p in recs) else
                    " 1M × 384 in Milvus Lite was not run (insert ≈ "
                    f"{_f(e['items'] / max(1e-9, e['index_s']), 0)} rows/s in the end-to-end index step → ≈ "
                    f"{_f(1e6 / max(1e-9, e['items'] / e['index_s']) / 60, 0)} min to load 1M; FLAT query time "
                    "grows linearly, so ≈ 10× the 100k latency: an extrapolation, not a measurement)."),
                "- Caveats: memory is the RSS growth of this process (Milvus Lite's server runs in-process); FAISS IVF "
                "uses the nprobe its build calibrated (recall@100 ≥ 0.95 on 200 profile-like sampled queries; records "
                "since that change carry the line in `calibration`, older ones ran the fixed nprobe 24); this bench's "
                "queries are near-random directions (cosine ≈ 0.01 to the row they came from), harder than profiles "
                "(its recall@100 here, on diffuse synthetic clusters, is lower than on "
                "bench_ann's data; filtered queries on a 10% subset are answered exactly by design); Milvus Lite's "
                "HNSW with a category filter returned only 43% of the true top 100 (its filtered graph search, same "
                "ef), so use FLAT on Lite when filters matter — `coldrec index` defaults to FLAT there."]
    out += ["", END]
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=20_000)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--e2e", type=int, default=200_000)
    ap.add_argument("--parts", default="ray,stores,e2e")
    ap.add_argument("--out", default=str(ROOT / "bench" / "raw" / "scale.json"))
    ap.add_argument("--report", action="store_true", help="only write the scale section of bench/RESULTS.md")
    ap.add_argument("--idle", action="store_true", help="record that nothing else ran on the machine")
    a = ap.parse_args()
    if a.report:
        print(report())
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    from coldrec.encoders import cpu_info

    result = {"commit": commit.strip(), "cpus": os.cpu_count(), "started": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                                          time.gmtime()),
              "machine": f"{cpu_info()[0]}, nothing else running" if a.idle else None}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "ray" in a.parts:
            result["ray"] = ray_vs_in_process(a.texts, tmp)
            print(json.dumps(result["ray"], indent=1), flush=True)
        if "stores" in a.parts:
            result["stores"] = stores(a.items, tmp)
            print(pd.DataFrame(result["stores"]).to_string(), flush=True)
        if "e2e" in a.parts:
            result["e2e"] = end_to_end(a.e2e, tmp)
            print(json.dumps(result["e2e"], indent=1), flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
