"""Issue 19 — peak RSS of ``cold-users`` on own files at 10k test users × 100k items (target ≤ 2 GB).

Writes a synthetic catalog (100k short texts from a 2,000-word vocabulary) and an interaction log (12.5k users, 20
positives each; ``--cold-fraction 0.8`` holds out 10k of them) to a temporary folder, then runs
``run_protocol("cold-users", ...)`` in a child process with a fake encoder (random unit rows, 384 wide: the
encoder is not what is measured) and reads the child's VmHWM. Methods: random, popularity, tfidf, itemknn,
zero-shot, hybrid (the trained rankers are left out: scoring 10k × 100k pairs through the MLP is hours on 2 cores;
their scoring is blocked the same way, one user and 65,536 items per call).

Before blocking, this run needed a dense 100k × 100k float32 item-item cosine (40 GB) and 10k × 100k float64 score
matrices per method (8 GB each): it could not run on this machine.

Run: ``python bench/bench_cold_users_memory.py [--quick]``
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Result, load_avg, machine_info, save_raw, script_main  # noqa: E402

CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from coldrec.evaluation import run_protocol

class RandomUnitRows:
    name = "hash-random-unit-rows"  # 'hash' prefix: the evaluation does not cache these on disk
    def encode(self, texts):
        v = np.random.default_rng(len(texts)).standard_normal((len(texts), 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
t0 = time.time()
r = run_protocol("cold-users", catalog={catalog!r}, interactions={log!r}, encoder=RandomUnitRows(), shots=3,
                 cold_fraction=0.8, positive_threshold="any", log=lambda m: None,
                 methods=("random", "popularity", "tfidf", "itemknn", "zero-shot", "hybrid"))
print(json.dumps({{"peak_mb": peak(), "seconds": time.time() - t0, "n_users": r["n_users"], "n_items": r["n_items"],
                  "methods": sorted(r["methods"]), "hybrid": {{k: r["hybrid"][k] for k in ("fusion", "weight")}}}}))
"""


def _write_files(folder: Path, n_items: int, n_users: int, per_user: int = 20) -> tuple[Path, Path]:
    import numpy as np

    rng = np.random.default_rng(0)
    vocab = [f"w{j}" for j in range(2000)]
    words = rng.integers(0, len(vocab), size=(n_items, 8))
    with open(folder / "items.csv", "w") as fh:
        fh.write("item_id,title\n")
        for i in range(n_items):
            fh.write(f"i{i}," + " ".join(vocab[j] for j in words[i]) + "\n")
    with open(folder / "log.csv", "w") as fh:
        fh.write("user_id,item_id\n")
        for u in range(n_users):
            for i in rng.choice(n_items, per_user, replace=False):
                fh.write(f"u{u},i{i}\n")
    return folder / "items.csv", folder / "log.csv"


def measure(args) -> list[Result]:
    quick = bool(getattr(args, "quick", False))
    n_items, n_users = (20_000, 2_500) if quick else (100_000, 12_500)
    with tempfile.TemporaryDirectory() as tmp:
        catalog, log = _write_files(Path(tmp), n_items, n_users)
        code = CHILD.format(root=str(ROOT), catalog=str(catalog), log=str(log))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    note = (f"{rec['n_users']} cold users x {rec['n_items']} items, fake 384-d encoder, methods "
            f"{', '.join(rec['methods'])}; {rec['seconds']:.0f} s wall on a busy shared machine (load {load_avg()})")
    res = [Result("cold_users.peak_rss", round(rec["peak_mb"], 1), "MB", "<=2048", rec["peak_mb"] <= 2048, note,
                  extra=rec)]
    if not quick:
        save_raw("cold_users_memory", res, {"machine": machine_info()})
    return res


if __name__ == "__main__":
    script_main(__doc__, measure)
