"""Measure 7 — app start: ``streamlit run app.py`` to health 200, to the first page served, to the first
interactive page (headless Chromium, where /usr/bin/chromium exists), and the first recommendation on a demo
domain through the library — cold (empty embedding cache) and warm (second start on the same cache).

Each start is a fresh process against a temporary ``COLDREC_CACHE``; only processes started here are stopped.

Run: ``python bench/bench_app.py [--quick]``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Result, save_raw, script_main  # noqa: E402

FIRST_REC = r"""
import time; t0 = time.perf_counter()
from coldrec.demo import demo_recommender
rec = demo_recommender("ecommerce")
t1 = time.perf_counter()
out = rec.recommend("I cook a lot and want sturdy kitchen tools that last", k=10)
t2 = time.perf_counter()
print(f"RESULT {t1 - t0:.3f} {t2 - t0:.3f} {len(out)}")
"""


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except OSError:
        return 0


def _start_app(env: dict, browser: bool, timeout: float = 300.0) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from e2e_helpers import CHROMIUM, free_port, stop

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    out: dict = {}
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = t0 + timeout
            while _get(f"{url}/_stcore/health") != 200:
                if proc.poll() is not None or time.perf_counter() > deadline:
                    out["error"] = "app did not become healthy"
                    return out
                time.sleep(0.1)
            out["health_s"] = time.perf_counter() - t0
            if _get(url + "/") == 200:
                out["page_served_s"] = time.perf_counter() - t0
            if browser and Path(CHROMIUM).exists():
                try:
                    from e2e_helpers import browser_page, wait_idle

                    with browser_page() as page:
                        page.goto(url, timeout=120_000)
                        page.wait_for_selector('[data-testid="stMain"] h1', timeout=240_000)
                        out["first_render_s"] = time.perf_counter() - t0
                        wait_idle(page, timeout=240)
                        out["interactive_s"] = time.perf_counter() - t0
                except Exception as exc:  # pragma: no cover - browser problems are reported, not fatal
                    out["browser_error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
        finally:
            stop(proc)
    return out


def _first_rec(env: dict) -> dict:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", FIRST_REC], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=900)
    wall = time.perf_counter() - t
    line = next((x for x in p.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1][:200]}
    _, ready, first, k = line.split()
    return {"process_s": wall, "recommender_ready_s": float(ready), "first_rec_s": float(first), "k": int(k)}


def run(quick: bool = False) -> list[Result]:
    if not (ROOT / "app.py").exists():
        return [Result("app.start_health_s", None, "s", "report", None, "pending: app.py not written yet")]
    res: list[Result] = []
    rows = {}
    # separate caches for the app and the library run, so that "cold" really starts from an empty cache
    with tempfile.TemporaryDirectory() as cache_app, tempfile.TemporaryDirectory() as cache_lib:
        base = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        for mode in ("cold", "warm"):
            app = _start_app({**base, "COLDREC_CACHE": cache_app}, browser=not quick)
            rec = _first_rec({**base, "COLDREC_CACHE": cache_lib})
            rows[mode] = {"app": app, "library": rec}
            print(f"  {mode}: app {app}  library {rec}", flush=True)
    for mode in ("cold", "warm"):
        a, lib = rows[mode]["app"], rows[mode]["library"]
        res.append(Result(f"app.{mode}_health_s", a.get("health_s"), "s", "report", None,
                          a.get("error", f"page served {a.get('page_served_s', float('nan')):.1f}s")))
        if "interactive_s" in a or "browser_error" in a:
            res.append(Result(f"app.{mode}_first_page_interactive_s", a.get("interactive_s"), "s", "report", None,
                              a.get("browser_error", f"h1 rendered {a.get('first_render_s', float('nan')):.1f}s, "
                                    "script run finished (headless Chromium)")))
        res.append(Result(f"app.{mode}_first_recommendation_s", lib.get("first_rec_s"), "s", "report", None,
                          lib.get("error", f"ecommerce demo via coldrec.demo._datasets.demo_recommender, ready "
                                  f"{lib.get('recommender_ready_s', 0):.1f}s, process {lib.get('process_s', 0):.1f}s "
                                  "incl. interpreter start")))
    save_raw("app", res, rows)
    return res


if __name__ == "__main__":
    script_main(__doc__, lambda a: run(a.quick))
