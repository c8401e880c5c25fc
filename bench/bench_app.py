"""Measure 7 — app start: ``streamlit run app.py`` to health 200, then (headless Chromium, opened the moment the
server is healthy) to the New user page's title and to its first recommendation table; the one-time encoder
load is read from the app's own log line and reported next to it. Cold = empty embedding cache (the demo
vectors ship in ``data/<domain>/embeddings/``), warm = a second start on the same cache. The library's first
recommendation in a fresh process is reported too.

Each start is a fresh process against a temporary ``COLDREC_CACHE``; only processes started here are stopped.

Run: ``python bench/bench_app.py [--quick]``
"""

from __future__ import annotations

import contextlib
import os
import re
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


QUERY = "I cook a lot and want sturdy kitchen tools that last"
TARGET_S = 3.0  # first recommendation after health, beyond the one-time model load


def _load_seconds(log_text: str, what: str) -> tuple[float | None, float | None]:
    """``(X, T)`` from the app's stderr line ``coldrec: <what> took X s (done at T)`` (ui/resources.py)."""
    m = re.search(rf"coldrec: {re.escape(what)} took ([0-9.]+) s \(done at ([0-9.]+)\)", log_text)
    return (float(m.group(1)), float(m.group(2))) if m else (None, None)


def _browser_first_rec(page, url: str, t0: float, out: dict) -> None:
    """Open the New user page straight away, type a description, press Recommend, wait for the table."""
    page.set_default_timeout(600_000)
    page.goto(url + "/New_user")
    page.wait_for_selector('[data-testid="stMain"] h1')
    out["first_render_s"] = time.perf_counter() - t0
    if page.get_by_text("once per server start", exact=False).count():
        out["saw_loading_status"] = True
    box = page.get_by_label("Who is this user? (their own words)")
    box.wait_for()
    out["form_s"] = time.perf_counter() - t0
    box.fill(QUERY)
    page.get_by_role("button", name="Recommend").click()
    page.wait_for_selector('[data-testid="stDataFrame"] [role="gridcell"]', state="attached")
    out["first_rec_s"] = time.perf_counter() - t0


def _start_app(env: dict, browser: bool, timeout: float = 300.0) -> dict:
    """Start the server; from its health check on, time the first page and the first recommendation."""
    sys.path.insert(0, str(ROOT / "tests"))
    from e2e_helpers import CHROMIUM, browser_page, free_port, stop

    port = int(os.environ.get("COLDREC_BENCH_PORT") or free_port())  # a fixed port on shared machines
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    out: dict = {}
    with tempfile.NamedTemporaryFile(suffix=".log") as log, contextlib.ExitStack() as stack:
        page = None
        if browser and Path(CHROMIUM).exists():
            # the user's browser is already open when the server starts: its own start-up is not the app's
            page = stack.enter_context(browser_page())
            page.goto("about:blank")
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = t0 + timeout
            while _get(f"{url}/_stcore/health") != 200:
                if proc.poll() is not None or time.perf_counter() > deadline:
                    out["error"] = "app did not become healthy"
                    return out
                time.sleep(0.1)
            healthy, out["health_wall"] = time.perf_counter(), time.time()
            out["health_s"] = healthy - t0
            if page is not None:
                try:
                    _browser_first_rec(page, url, healthy, out)
                except Exception as exc:  # pragma: no cover - browser problems are reported, not fatal
                    out["browser_error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
            time.sleep(0.5)
            text = Path(log.name).read_text(errors="replace")
            out["model_load_s"], _ = _load_seconds(text, "loading the sentence encoder")
            out["demo_load_s"], done = _load_seconds(text, "preparing the e-commerce demo")
            # how long the one-time load ran on after the health check (0 when it was done before)
            out["load_after_health_s"] = None if done is None else max(0.0, done - out["health_wall"])
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
    # "cold": a fresh embedding cache (the demo vectors ship in data/); "warm": a second start on that cache.
    # Both run on a machine whose OS already caches the model files (the first library run below warms it).
    with tempfile.TemporaryDirectory() as cache_app, tempfile.TemporaryDirectory() as cache_lib:
        base = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLDREC_WARM_UMAP": "0"}
        rows["library"] = _first_rec({**base, "COLDREC_CACHE": cache_lib})
        for mode in ("cold",) if quick else ("cold", "warm"):
            rows[mode] = _start_app({**base, "COLDREC_CACHE": cache_app}, browser=True)
            print(f"  {mode}: app {rows[mode]}", flush=True)
    lib = rows["library"]
    for mode in [m for m in ("cold", "warm") if m in rows]:
        a = rows[mode]
        res.append(Result(f"app.{mode}_health_s", a.get("health_s"), "s", "report", None,
                          a.get("error", "streamlit run → /_stcore/health 200")))
        res.append(Result(f"app.{mode}_first_page_s", a.get("first_render_s"), "s", "report", None,
                          a.get("browser_error", "health → New user page title drawn"
                                + (" with the loading status box" if a.get("saw_loading_status") else ""))))
        res.append(Result(f"app.{mode}_model_load_s", a.get("model_load_s"), "s", "info", None,
                          "one-time encoder load in the background thread from server start (import torch + "
                          f"sentence-transformers + weights); encoder + demo + warm-up call "
                          f"{a.get('demo_load_s') or float('nan'):.1f}s, of which "
                          f"{a.get('load_after_health_s') or 0:.1f}s after the health check"))
        first, load = a.get("first_rec_s"), a.get("load_after_health_s")
        beyond = first - load if first is not None and load is not None else None
        res.append(Result(f"app.{mode}_first_recommendation_s", first, "s", f"<={TARGET_S:.0f}s+model load",
                          None if beyond is None else beyond <= TARGET_S,
                          a.get("browser_error", f"health → first table on New user (headless Chromium, already running "
                                f"before the server starts, opens it at once, types, presses Recommend); {beyond if beyond is not None else float('nan'):.1f}s "
                                "beyond the part of the one-time load that ran after the health check")))
    res.append(Result("app.library_first_recommendation_s", lib.get("first_rec_s"), "s", "info", None,
                      lib.get("error", f"fresh process, coldrec.demo_recommender('ecommerce') + recommend, ready "
                              f"{lib.get('recommender_ready_s', 0):.1f}s, process {lib.get('process_s', 0):.1f}s "
                              "incl. interpreter start")))
    save_raw("app", res, rows)
    return res


if __name__ == "__main__":
    script_main(__doc__, lambda a: run(a.quick))
