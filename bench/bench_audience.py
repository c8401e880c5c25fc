"""Issue 18 — new-item audience: one new item placed in 1,000 users' lists over a 1,000,000-item catalog.

``item_audience`` (cosine recall N=50 against the whole catalog, then an MLP ranker over each recalled user's 50),
this checkout against the implementation before item blocking (its ``_audience.py`` taken from git at
``--before-rev``, loaded by path), same inputs, and the two tables compared. Clustered random unit vectors
(384-d), so nothing from the shared datasets is read.

Lines (wall and process CPU time, load average before and after each run; the box is shared, so wall is inflated):

- ``audience.1k_x_1M_s`` / ``_cpu_s``: this checkout, BLAS on 1 thread (target ≤ 10 s).
- ``audience.1k_x_1M_all_cores_s``: the same with BLAS on every core.
- ``audience.before_1k_x_1M_s``: the implementation before (1 thread), and whether its table is the same.
- ``audience.peak_mb``: peak memory allocated during the call (tracemalloc, the catalog not counted), this and
  before, on 200k items.

Run: ``python bench/bench_audience.py [--quick] [--before-rev REV]`` (quick: 200k items, about a minute; full:
about 3 minutes at load 5). Writes ``bench/raw/audience.json`` (full profile only).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Result, clustered_unit_vectors, load_avg, machine_info, save_raw, script_main  # noqa: E402

import numpy as np  # noqa: E402

BEFORE_REV = "b62fd42"  # main before the audience was blocked by items (users in blocks of 2,048, 32k sample)


def _before(rev: str):
    """``item_audience`` as it was at ``rev`` (None when git or the file is not there)."""
    try:
        src = subprocess.run(["git", "show", f"{rev}:coldrec/recommend/_audience.py"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp(prefix="coldrec-audience-before-")) / "_audience_before.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("_audience_before", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod.item_audience


def _users_and_item(E: np.ndarray, m: int = 1000, near: int = 400):
    """``m`` users near catalog items and a new item near one of them; ``near`` users are drawn around the new
    item at growing distances, so that some users recall it (and the ranker runs) and others do not."""
    rng = np.random.default_rng(8)
    d = E.shape[1]
    U = E[rng.choice(200_000, m)] + rng.standard_normal((m, d)).astype(np.float32) * np.float32(0.04)
    e = E[5] + rng.standard_normal(d).astype(np.float32) * np.float32(0.03)
    e /= np.linalg.norm(e)
    scale = (np.geomspace(0.5, 40.0, near)[:, None] / np.sqrt(d)).astype(np.float32)
    U[:near] = e + rng.standard_normal((near, d)).astype(np.float32) * scale
    return U / np.linalg.norm(U, axis=1, keepdims=True), e


def _recommender(E: np.ndarray):
    import pandas as pd

    from bench_speed import _ranker
    from coldrec.encoders import HashEncoder
    from coldrec.recommend import Recommender

    n = len(E)

    class _Cat:  # item_audience reads only the vectors, popularity, ranker and config
        items = pd.DataFrame({"category": np.zeros(n, np.int8)})
        ids = ()  # the bench ranker is fitted without item ids: nothing for check_fits to compare

        def __len__(self):
            return n

    return Recommender(_Cat(), E, HashEncoder(dim=384), ranker=_ranker(E), popularity=np.zeros(n, np.float32))


def _blas_threads(n: int):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return None
    return threadpool_limits(limits=n, user_api="blas")


def _timed(fn, rec, e, U, ids, threads: int, trace: bool = False) -> dict:
    import os

    limit = _blas_threads(threads)
    try:
        if trace:
            tracemalloc.start()
        load0, c, t = load_avg(), time.process_time(), time.perf_counter()
        out = fn(rec, e, U, ids, k=10, n=50)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    finally:
        if trace:
            tracemalloc.stop()
        if limit is not None:
            limit.unregister()
    return {"out": out, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "blas_threads": threads,
            "cores": os.cpu_count(), "load_before": load0, "load_after": load_avg(),
            **({"peak_mb": round(peak, 1)} if trace else {})}


def run(quick: bool = False, before_rev: str = BEFORE_REV) -> list[Result]:
    import os

    n = 200_000 if quick else 1_000_000
    size = f"{n // 1000}k" if n < 1_000_000 else "1M"
    E = clustered_unit_vectors(n, 384, clusters=1000, seed=7)
    U, e = _users_and_item(E)
    ids = [f"u{i}" for i in range(len(U))]
    from coldrec.recommend import item_audience

    old = _before(before_rev)
    runs: dict[str, dict] = {}
    small = _recommender(E[:200_000])  # memory: both implementations on 200k items, traced
    runs["this_200k_traced"] = _timed(item_audience, small, e, U, ids, 1, trace=True)
    if old is not None:
        runs["before_200k_traced"] = _timed(old, small, e, U, ids, 1, trace=True)
    del small
    rec = _recommender(E)
    funcs = {"this": item_audience, **({"before": old} if old is not None else {})}
    for r in range(1 if quick else 2):  # interleaved rounds, order swapped each round; the faster round is kept
        for name in (list(funcs) if r % 2 == 0 else list(funcs)[::-1]):
            runs[f"{name}_round{r}"] = _timed(funcs[name], rec, e, U, ids, 1)
    for name in funcs:
        runs[name] = min((v for k, v in runs.items() if k.startswith(f"{name}_round")), key=lambda v: v["wall_s"])
    runs["this_all_cores"] = _timed(item_audience, rec, e, U, ids, os.cpu_count() or 1)
    this, allc = runs["this"], runs["this_all_cores"]
    recalled = int(this["out"]["final_rank"].notna().sum())
    where = (f"1,000 users x {n:,} items x 384-d, N=50, k=10, MLP ranker; recalled by {recalled}, "
             f"reached {int(this['out']['reaches'].sum())}"
             f"; busy shared machine: load {this['load_before']} -> {this['load_after']}")
    res = [Result(f"audience.1k_x_{size}_s", this["wall_s"], "s", "<=10s", this["wall_s"] <= 10,
                  f"wall, 1 BLAS thread, best of {1 if quick else 2} interleaved rounds; CPU {this['cpu_s']:.2f} s; "
                  + where),
           Result(f"audience.1k_x_{size}_cpu_s", this["cpu_s"], "s", "<=10s", this["cpu_s"] <= 10,
                  "process CPU time of the same run"),
           Result(f"audience.1k_x_{size}_all_cores_s", allc["wall_s"], "s", "-", None,  # diagnostic
                  f"wall, {allc['blas_threads']} BLAS threads; CPU {allc['cpu_s']:.2f} s; load "
                  f"{allc['load_before']} -> {allc['load_after']}; same table: {allc['out'].equals(this['out'])}")]
    if old is not None:
        b = runs["before"]
        same = all(v["out"].equals(this["out"]) for k, v in runs.items() if "traced" not in k)
        res += [Result(f"audience.before_1k_x_{size}_s", b["wall_s"], "s", "-", None,
                       f"{before_rev}, 1 BLAS thread, interleaved with this one; CPU {b['cpu_s']:.2f} s; load "
                       f"{b['load_before']} -> {b['load_after']}; same table: {same}"),
                Result("audience.speedup_cpu", b["cpu_s"] / this["cpu_s"], "x", "same table", same,
                       f"CPU time before / this ({b['cpu_s']:.2f} / {this['cpu_s']:.2f} s); wall "
                       f"{b['wall_s']:.2f} / {this['wall_s']:.2f} s")]
    peak_this = runs["this_200k_traced"]["peak_mb"]
    peak_old = runs.get("before_200k_traced", {}).get("peak_mb")
    res.append(Result("audience.peak_mb_200k", peak_this, "MB", "-", None,
                      "tracemalloc peak during item_audience on 200k items (catalog excluded)"
                      + (f"; before: {peak_old:.0f} MB" if peak_old is not None else "")))
    meta = {"machine": machine_info(), "before_rev": before_rev, "items": n, "users": len(U), "busy_machine": True,
            "runs": {k: {x: y for x, y in v.items() if x != "out"} for k, v in runs.items()}}
    save_raw("audience", res, meta)
    return res


if __name__ == "__main__":
    script_main(__doc__, lambda a: run(a.quick, a.before_rev),
                (("--before-rev", {"default": BEFORE_REV, "help": "git revision of the 'before' implementation"}),))
