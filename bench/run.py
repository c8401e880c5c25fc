"""Run the coldrec benchmark suite.

``python bench/run.py --quick`` runs every measure at reduced size (a few minutes) and prints one line per
result: ``name value target pass|miss|info|skipped``. Without ``--quick`` the full profile runs and
``bench/RESULTS.md`` is written (machine, commit, load, every line with its note). ``--only encode,ann`` picks
measures; ``--report`` only rebuilds RESULTS.md from the last records in ``bench/raw/``.

Benchmarks are scripts, not tests: timings on a shared machine are noisy, so each measure compares against its
baseline inside one run (interleaved where possible) and quotes medians.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RAW_DIR, ROOT, Result, load_avg, machine_info  # noqa: E402

MEASURES = {
    "encode": ("bench_encode", "run", "1. Encoding throughput"),
    "cache": ("bench_cache_latency", "run_cache", "2. Embedding cache"),
    "latency": ("bench_cache_latency", "run_latency", "3. Interactive latency"),
    "ann": ("bench_ann", "run", "4. Recall at scale"),
    "projection": ("bench_projection", "run", "5. Projection"),
    "memory": ("bench_memory", "run", "6. Memory"),
    "app": ("bench_app", "run", "7. App start"),
    "map": ("bench_map", "run", "8. Profile map in the browser"),
    "compaction": ("bench_cache_compaction", "run", "9. Cache compaction (first embed of 500k texts)"),
    "audience": ("bench_audience", "run", "10. New-item audience (1k users x 1M items)"),
}


def run_measure(name: str, quick: bool) -> list[Result]:
    mod_name, fn_name, _ = MEASURES[name]
    mod = importlib.import_module(mod_name)
    try:
        return getattr(mod, fn_name)(quick)
    except Exception as exc:
        traceback.print_exc()
        return [Result(f"{name}.error", None, "", "-", False, f"{type(exc).__name__}: {exc}"[:300])]


def _md_table(heading: str, header: list[str], rows: list[list]) -> list[str]:
    """A level-3 heading and a Markdown table, as lines."""
    return [f"\n### {heading}\n", "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(str(c) for c in row) + " |" for row in rows)]


def write_results_md(path: Path | None = None) -> Path:
    """Assemble bench/RESULTS.md from bench/raw/*.json (the last full run of each measure)."""
    path = path or ROOT / "bench" / "RESULTS.md"
    m = machine_info()
    lines = ["# coldrec benchmark results", "",
             "Written by `python bench/run.py` (full profile). Each ratio is measured in one run against the named",
             "baseline; timings on this shared machine are noisy (see the load column), so medians are quoted.", "",
             f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GiB RAM, GPU: {m['gpu']}",
             f"- commit: {m['commit']}; Python {m['python']}; "
             + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
             f"- written {m['date']}; load average now {m['load']}", "",
             "| measure | result | value | target | status | CPU, load (1/5/15 min) at end, date | note |",
             "|---|---|---|---|---|---|---|"]
    extras = []
    for name, (_, _, title) in MEASURES.items():
        f = RAW_DIR / f"{name}.json"
        if not f.exists():
            lines.append(f"| {title} | — | — | — | not run | — | |")
            continue
        rec = json.loads(f.read_text())
        for r in rec["results"]:
            res = Result(**r)
            note = res.note.replace("|", "/")
            lines.append(f"| {title} | `{res.name}` | {res.value_str()} | {res.target} | **{res.status()}** | "
                         f"{rec.get('cpu_model') or 'CPU not recorded'}, {rec.get('load', '')} ({rec.get('date', '')}) | {note} |")
        rows = rec.get("meta", {}).get("rows")
        if name == "encode" and rows:
            extras += _md_table(
                "Encoding candidates (same texts, same run, interleaved rounds)",
                ["method", "texts/s", "ratio vs baseline (median of rounds)", "rounds", "mean cos", "min cos"],
                [[r["method"], f"{r['texts_per_s']:.1f}", f"{r['ratio_median']:.2f}x", r["ratios"],
                  f"{r['cos_mean']:.4f}", f"{r['cos_min']:.4f}"] for r in rows])
        if name == "ann" and rows:
            extras += _md_table(
                "ANN settings (same queries, same run)", ["index", "ms/query (median)", "p95", "recall@100"],
                [[r["index"], f"{r['ms']:.2f}", f"{r['p95']:.2f}", f"{r['recall@100']:.4f}"] for r in rows])
            sizes = rec["meta"].get("exact_ms_by_size", {})
            if sizes:
                extras.append("\nExact single-query latency by catalog size (1 BLAS thread): "
                              + ", ".join(f"{int(k):,}: {v:.1f} ms" for k, v in sizes.items()))
    # then one section per machine measured (bench/machines/*.md), the notes, and the scale section
    parts = ["\n".join(lines + extras) + "\n"]
    parts += [f.read_text() for f in sorted((ROOT / "bench" / "machines").glob("*.md"))]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        parts.append(notes.read_text())
    from bench_scale import scale_section

    parts.append(scale_section(RAW_DIR))
    path.write_text("\n".join(p.rstrip("\n") + "\n" for p in parts if p.strip()))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="coldrec benchmark suite")
    ap.add_argument("--quick", action="store_true", help="reduced sizes, a few minutes, no RESULTS.md")
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(MEASURES)}")
    ap.add_argument("--report", action="store_true", help="only rebuild RESULTS.md from bench/raw/")
    a = ap.parse_args(argv)
    if a.report:
        print(write_results_md())
        return 0
    names = [x.strip() for x in a.only.split(",") if x.strip()] or list(MEASURES)
    bad = [x for x in names if x not in MEASURES]
    if bad:
        ap.error(f"unknown measure(s) {bad}; choose from {list(MEASURES)}")
    if a.quick:
        import common

        common.RAW_DIR = Path(__import__("tempfile").mkdtemp(prefix="coldrec-bench-quick-"))
    print(f"# load {load_avg()}", flush=True)
    t0 = time.perf_counter()
    allres = []
    for name in names:
        t = time.perf_counter()
        res = run_measure(name, a.quick)
        for r in res:
            print(r.line(), flush=True)
        print(f"# {name} took {time.perf_counter() - t:.0f}s, load {load_avg()}", flush=True)
        allres += res
    print(f"# total {time.perf_counter() - t0:.0f}s", flush=True)
    if not a.quick:
        print(f"# wrote {write_results_md()}")
    return 0 if all(r.ok is not False for r in allres) else 1


if __name__ == "__main__":
    raise SystemExit(main())
