"""Write CiteULike-a as an analyst's two own files (in a temp folder, never in the repo) and run the own-data
``cold-items`` protocol on them, one JSON per run under ``bench/raw/``.

The files: ``papers.csv`` (``item_id, title, abstract``; the abstract where the dataset has one, 1,901 papers in
all; tags are left out because they are user-generated and leak) and ``libraries.csv`` (``user_id, item_id``, every
row a positive). ``--max-items N`` keeps the first N papers (and the library entries on them) so the encoder fits a
busy 2-core box; the report says so.

Example::

    COLDREC_DATA=/work/shared/datasets python scripts/citeulike_own_data.py --max-items 8800 --seeds 0,1,2 \\
        --methods tfidf,zero-shot,hybrid
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_files(src: Path, out: Path, max_items: int | None) -> tuple[Path, Path, dict]:
    """``papers.csv`` and ``libraries.csv`` from ``src`` (citeulike-a/) into ``out``; returns their paths + counts."""
    titles = (src / "citeutitles.txt").read_text(encoding="utf-8").splitlines()
    n = len(titles) if not max_items else min(max_items, len(titles))
    by_title = {t.strip(): i for i, t in enumerate(titles)}
    abstracts: dict[int, str] = {}
    with open(src / "extra_raw-data_subset1929_hebatef.csv", encoding="utf-8", newline="") as f:
        rows = csv.reader(f, escapechar="\\")
        next(rows)
        for r in rows:
            i = by_title.get(r[3].strip())
            if i is not None and i < n:
                abstracts[i] = r[4].strip()
    out.mkdir(parents=True, exist_ok=True)
    papers, libs = out / "papers.csv", out / "libraries.csv"
    with open(papers, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "title", "abstract"])
        for i in range(n):
            w.writerow([i, titles[i].strip(), abstracts.get(i, "")])
    pairs = 0
    with open(libs, "w", encoding="utf-8", newline="") as f, open(src / "users.dat", encoding="utf-8") as u:
        w = csv.writer(f)
        w.writerow(["user_id", "item_id"])
        for uid, line in enumerate(u):
            for it in line.split()[1:]:
                if int(it) < n:
                    w.writerow([uid, it])
                    pairs += 1
    return papers, libs, {"items": n, "abstracts": len(abstracts), "pairs": pairs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-items", type=int, default=8800, help="keep the first N papers (0 = all 16,980)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--methods", default="tfidf,zero-shot,hybrid")
    ap.add_argument("--model", default=None, help="as coldrec evaluate --model (default: the bundled MiniLM)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "raw"))
    ap.add_argument("--tag", default="citeulike-own", help="file stem of the raw JSON")
    a = ap.parse_args(argv)
    src = Path(os.environ.get("COLDREC_DATA", ROOT.parent / "shared" / "datasets")) / "citeulike-a"
    if not (src / "users.dat").is_file():
        print(f"citeulike-a not found under {src.parent} (set COLDREC_DATA)", file=sys.stderr)
        return 2
    from coldrec.evaluation import EvalConfig
    from coldrec.evaluation.protocols._custom import protocol_custom

    tmp = Path(tempfile.gettempdir()) / f"citeulike-own-{a.max_items}"
    papers, libs, counts = write_files(src, tmp, a.max_items or None)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    runs = []
    t0 = time.time()
    for seed in [int(s) for s in a.seeds.split(",")]:
        cfg = EvalConfig(seed=seed, methods=tuple(a.methods.split(",")))
        ts = time.time()
        r = protocol_custom("cold-items", catalog=papers, interactions=libs, positive_threshold="any",
                            encoder=a.model, cfg=cfg, log=lambda m: None)
        r["seed"], r["wall_s"] = seed, round(time.time() - ts, 1)
        runs.append(r)
        row = "  ".join(f"{m} {v['recall@10']:.4f}/{v['ndcg@10']:.4f}" for m, v in r["methods"].items())
        print(f"seed {seed} ({r['wall_s']} s) R@10/N@10: {row}  hybrid={r.get('hybrid', {}).get('fusion')}:"
              f"{r.get('hybrid', {}).get('weight')}", flush=True)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rec = {"commit": commit + ("+dirty" if dirty else ""), "machine": platform.processor() or platform.machine(),
           "nproc": os.cpu_count(), "loadavg": Path("/proc/loadavg").read_text().split()[:3],
           "wall_s": round(time.time() - t0, 1), "cpu_s": round(ru.ru_utime + ru.ru_stime, 1),
           "data": {"source": str(src), **counts, "max_items": a.max_items}, "methods": a.methods, "runs": runs}
    out = Path(a.out) / f"{a.tag}-{a.max_items}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rec, indent=1, default=str))
    print(f"wrote {out} (wall {rec['wall_s']} s, cpu {rec['cpu_s']} s, loadavg {rec['loadavg']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
