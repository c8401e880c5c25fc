"""FAISS's bundled OpenBLAS on the CPU's real kernels (issue 18 point 2): IVF build at 200k x 384.

Child processes build the same IVF index through ``ANNIndex.build`` (no disk cache): "coldrec" the way coldrec
imports FAISS (``load_faiss``: ``OPENBLAS_CORETYPE`` chosen from the CPU flags); "auto" importing FAISS first so
OpenBLAS 0.3.15 detects the CPU itself (on some CPUs right, on the issue's Xeon "Prescott"); "prescott" forcing
the SSE3 kernels the issue's Xeon got, to show what a wrong detection costs. Each child reports the core name
OpenBLAS says it runs, wall and CPU seconds.

    python bench/bench_blas.py            # ~2-4 min; --n 100000 for a quicker look
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from common import Result, cpu_model_and_flags, load_avg, save_raw, script_main

_CHILD = r"""
import ctypes, glob, json, os, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
if {raw}:
    os.environ.pop("OPENBLAS_CORETYPE", None)
    if {force!r}:
        os.environ["OPENBLAS_CORETYPE"] = {force!r}
    import faiss  # OpenBLAS detects the CPU itself
from coldrec.retrieval import ANNIndex, IndexConfig
from coldrec.retrieval._faiss import load_faiss
from common import clustered_unit_vectors
faiss = load_faiss()
core = "?"
libs = glob.glob(os.path.join(os.path.dirname(faiss.__file__), "..", "faiss_cpu.libs", "libopenblas*.so*"))
if libs:
    lib = ctypes.CDLL(libs[0]); lib.openblas_get_corename.restype = ctypes.c_char_p
    core = lib.openblas_get_corename().decode()
x = clustered_unit_vectors({n}, 384, seed=3)
t, c = time.perf_counter(), time.process_time()
ANNIndex.build(x, IndexConfig(kind="ivf"), cache=False)
print(json.dumps({{"wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - c, "core": core,
                  "env": os.environ.get("OPENBLAS_CORETYPE", "")}}))
"""


def _child(n: int, raw: bool, force: str = "") -> dict:
    from common import ROOT

    code = _CHILD.format(root=str(ROOT), bench=str(ROOT / "bench"), raw=raw, force=force, n=n)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(n: int = 200_000) -> list[Result]:
    load0 = load_avg()
    runs = {"auto": [], "prescott": [], "coldrec": []}
    for _ in range(2):  # interleaved rounds: the same machine state for all
        runs["auto"].append(_child(n, raw=True))
        runs["prescott"].append(_child(n, raw=True, force="Prescott"))
        runs["coldrec"].append(_child(n, raw=False))
    best = {k: min(v, key=lambda r: r["wall_s"]) for k, v in runs.items()}
    cpu = cpu_model_and_flags()
    note = (f"{n}x384 IVF build, best of 2 interleaved; OpenBLAS core {best['auto']['core']} (own detection) -> "
            f"{best['coldrec']['core']} (OPENBLAS_CORETYPE={best['coldrec']['env'] or 'unset'}); "
            f"{cpu['cpu_model']} [{' '.join(cpu['cpu_flags'])}]; load {load0} -> {load_avg()}; busy machine")
    rows = [
        Result("ivf_build.openblas_auto", best["auto"]["wall_s"], "s", "", None,
               f"cpu {best['auto']['cpu_s']:.1f}s; " + note, extra={"runs": runs["auto"]}),
        Result("ivf_build.openblas_prescott", best["prescott"]["wall_s"], "s", "", None,
               f"cpu {best['prescott']['cpu_s']:.1f}s; SSE3 kernels forced (the issue's Xeon)",
               extra={"runs": runs["prescott"]}),
        Result("ivf_build.coldrec", best["coldrec"]["wall_s"], "s", "", None,
               f"cpu {best['coldrec']['cpu_s']:.1f}s", extra={"runs": runs["coldrec"]}),
        Result("ivf_build.speedup", best["auto"]["wall_s"] / best["coldrec"]["wall_s"], "x", ">=1.0x",
               best["auto"]["wall_s"] >= best["coldrec"]["wall_s"] * 0.95, "auto / coldrec wall"),
        Result("ivf_build.vs_prescott", best["prescott"]["wall_s"] / best["coldrec"]["wall_s"], "x", "", None,
               "prescott / coldrec wall: the gain where OpenBLAS misdetects the CPU"),
    ]
    from coldrec.evaluation._common import commit_id

    save_raw("blas", rows, {"n": n, "commit": commit_id(), "time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    return rows


if __name__ == "__main__":
    script_main(__doc__, lambda a: run(a.n), (("--n", {"type": int, "default": 200_000}),))
