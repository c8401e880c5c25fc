"""Loopback load benchmark (SECURITY.md "Load", issue 15): real browser sessions against one ``streamlit run``.

Two mixes, each for ``--seconds`` (default 120):

* ``submit``: ``--sessions`` headless-Chromium sessions each submit New user descriptions in a loop.
* ``upload``: half of the sessions upload catalogs in a loop on the Catalog page (a small valid CSV, the hostile
  markup catalog of ``tests/test_browser_hostile.py``, a 2,000-column CSV, a gzip bomb named ``.csv``, random
  bytes named ``.csv``) and press Validate, while the other half submit as above.

The measured window starts once every session has finished its first action (which waits for the model the
server loads at start; those latencies are reported apart as ``first_action_s``). Per action it records the
latency from the click until Streamlit is idle again, and counts errors: an exception
box, an unexpected ``st.error`` (a refused hostile upload is expected and counted apart), a lost connection or a
timeout. The server's memory (RSS of the process, and with its upload workers) is sampled every 2 s; the
window's first, largest and last sample show whether it stays flat. Results go to
``bench/raw/load-<mix>.json`` with the commit; the figures are quoted in SECURITY.md. Times depend on the machine
and its load: say where they were measured. Usage::

    python bench/bench_load.py --mix submit --seconds 120 --sessions 4
    python bench/bench_load.py --mix upload --seconds 120 --sessions 4
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from tests.e2e_helpers import CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402

DESCRIPTIONS = ["wireless headphones for my commute", "a cosy reading lamp for long evenings",
                "vegetarian cookbook, quick weeknight meals", "running shoes for trail races",
                "a gift for a coffee lover", "noise-cancelling earbuds for the office"]
IDLE_JS = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]') && !document.querySelector('[data-testid="stSpinner"]')"""


OUTCOME_JS = """() => !!document.querySelector('[data-testid="stAlertContentError"]')
    || document.querySelector('[data-testid="stMain"]').innerText.includes("DONE")"""


def catalogs() -> list[tuple[str, bytes, bool]]:
    """``(file name, bytes, expected to be refused)`` for the upload mix."""
    import numpy as np
    import pandas as pd

    from tests.test_browser_hostile import hostile_csv

    small = pd.DataFrame({"item_id": [f"p{i}" for i in range(20)], "title": [f"lamp model {i}" for i in range(20)],
                          "description": [f"a reading lamp, warm light, model {i}" for i in range(20)]})
    wide = ",".join(f"c{i}" for i in range(2000)) + "\n" + ",".join("1" for _ in range(2000)) + "\n"
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as gz:
        chunk = b"a,b\n" * 262_144  # 1 MB
        for _ in range(100):  # 100 MB decompressed, over the 64 MB limit this run sets
            gz.write(chunk)
    rnd = np.random.default_rng(0).bytes(200_000)
    return [("small.csv", small.to_csv(index=False).encode(), False), ("hostile.csv", hostile_csv(), False),
            ("wide.csv", wide.encode(), True), ("bomb.csv", bomb.getvalue(), True), ("random.csv", rnd, True)]


async def wait_idle(page, timeout: float = 180.0, settle: float = 1.0) -> None:
    """Until Streamlit shows no running indicator, stale element or spinner for ``settle`` seconds."""
    deadline, quiet = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if await page.evaluate(IDLE_JS):
            quiet = quiet or time.monotonic()
            if time.monotonic() - quiet >= settle:
                return
        else:
            quiet = None
        await asyncio.sleep(0.1)
    raise TimeoutError("the app kept running")


async def problems(page) -> list[str]:
    out = []
    if await page.locator('[data-testid="stException"]').count():
        out.append("exception")
    if await page.get_by_text("Connection error").count():
        out.append("connection lost")
    return out


async def gate(win: dict) -> None:
    """Wait until every session finished its first (warm-up) action; the measured window then starts."""
    win["ready"] += 1
    if win["ready"] == win["sessions"]:
        win["start"] = time.monotonic()
        win["end"] = win["start"] + win["seconds"]
        win["event"].set()
    await win["event"].wait()


def _record(rec: dict, kind: str, win: dict, latency: float) -> None:
    (rec[kind] if win["event"].is_set() else rec["first"]).append(latency)


async def submit_session(browser, url: str, i: int, win: dict, rec: dict) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(180_000)
    await page.goto(url)
    await wait_idle(page)
    await page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="New user", exact=True).click()
    await wait_idle(page)
    n = 0
    while not win["event"].is_set() or time.monotonic() < win["end"]:
        t0 = time.perf_counter()
        try:
            await page.get_by_label("Who is this user? (their own words)").fill(
                f"{DESCRIPTIONS[(i + n) % len(DESCRIPTIONS)]} #{i}-{n}")
            await page.get_by_role("button", name="Recommend").click()
            await wait_idle(page, settle=0.3)
            bad = await problems(page)
            if await page.locator('[data-testid="stAlertContentError"]').count():
                bad.append("st.error")
        except Exception as exc:  # noqa: BLE001 - a timeout or a closed page is an error of the run
            bad = [type(exc).__name__]
        _record(rec, "submit", win, time.perf_counter() - t0)
        rec["errors"] += [f"submit s{i}: {b}" for b in bad]
        n += 1
        if n == 1:
            await gate(win)
    await ctx.close()


async def upload_session(browser, url: str, i: int, win: dict, rec: dict, files: list) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(180_000)
    n = 0
    while not win["event"].is_set() or time.monotonic() < win["end"]:
        name, data, refused = files[(i + n) % len(files)]
        t0 = time.perf_counter()
        try:  # a fresh session per upload: the uploader starts empty, as for a new visitor
            await page.goto(url)
            await wait_idle(page, settle=0.3)
            await page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Catalog", exact=True).click()
            await wait_idle(page, settle=0.3)
            await page.get_by_role("tab", name="Upload a file").click()
            t0 = time.perf_counter()
            await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
            await page.wait_for_function(OUTCOME_JS.replace("DONE", "rows read as"), timeout=180_000)
            await wait_idle(page, settle=0.3)
            shown_error = await page.locator('[data-testid="stAlertContentError"]').count() > 0
            if not shown_error:
                await page.get_by_role("button", name="Validate").click()
                await page.wait_for_function(OUTCOME_JS.replace("DONE", "and use this catalog"), timeout=180_000)
                await wait_idle(page, settle=0.3)
                shown_error = await page.locator('[data-testid="stAlertContentError"]').count() > 0
            bad = await problems(page)
            if shown_error and not refused:
                bad.append(f"{name} refused")
            if refused and not shown_error:
                bad.append(f"{name} accepted")
            rec["refused"] += int(shown_error and refused)
            rec["outcomes"].append(f"{name}: {'refused' if shown_error else 'accepted'} in {time.perf_counter() - t0:.1f} s")
        except Exception as exc:  # noqa: BLE001
            bad = [type(exc).__name__]
        _record(rec, "upload", win, time.perf_counter() - t0)
        rec["errors"] += [f"upload s{i} {name}: {b}" for b in bad]
        n += 1
        if n == 1:
            await gate(win)
    await ctx.close()


def sample_rss(pid: int, stop: threading.Event, out: list) -> None:
    import psutil

    proc = psutil.Process(pid)
    while not stop.is_set():
        try:
            procs = [proc, *proc.children(recursive=True)]
            out.append((time.monotonic(), proc.memory_info().rss / 2**20,
                        sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20))
        except Exception:  # noqa: BLE001 - a worker that just exited
            pass
        stop.wait(2.0)


async def drive(url: str, mix: str, sessions: int, seconds: float, rec: dict) -> None:
    from playwright.async_api import async_playwright

    files = catalogs() if mix == "upload" else []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        win = {"ready": 0, "sessions": sessions, "seconds": seconds, "event": asyncio.Event(), "start": None}
        tasks = []
        for i in range(sessions):
            if mix == "upload" and i % 2 == 1:
                tasks.append(upload_session(browser, url, i, win, rec, files))
            else:
                tasks.append(submit_session(browser, url, i, win, rec))
        await asyncio.gather(*tasks)
        rec["window"] = (win["start"], time.monotonic())
        await browser.close()


def by_file(outcomes: list[str]) -> dict[str, list[float]]:
    """``{file name: [seconds of each upload + validate]}`` from the ``"name: outcome in X s"`` lines."""
    out: dict[str, list[float]] = {}
    for line in outcomes:
        name, rest = line.split(": ", 1)
        out.setdefault(name, []).append(float(rest.split(" in ")[1].split()[0]))
    return out


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_s": round(statistics.median(values), 2),
            "p90_s": round(sorted(values)[int(0.9 * (len(values) - 1))], 2), "max_s": round(max(values), 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mix", choices=["submit", "upload"], default="submit")
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--encoder", default=None, help="COLDREC_ENCODER for the server (default: the app's)")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    rec: dict = {"submit": [], "upload": [], "first": [], "errors": [], "refused": 0, "outcomes": []}
    rss: list = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"COLDREC_CACHE": str(Path(tmp) / "cache"), "COLDREC_USER_DATA": str(Path(tmp) / "user"),
               "COLDREC_MAX_DECOMPRESSED_MB": "64"}
        if args.encoder:
            env["COLDREC_ENCODER"] = args.encoder
        info: dict = {}
        with running_app(env=env, info=info, port=args.port or None, log=Path(tmp) / "server.log") as url:
            stop = threading.Event()
            sampler = threading.Thread(target=sample_rss, args=(info["pid"], stop, rss), daemon=True)
            sampler.start()
            asyncio.run(drive(url, args.mix, args.sessions, args.seconds, rec))
            stop.set()
            sampler.join()
    start, end = rec["window"]
    wall = end - start
    warm = [r for r in rss if r[0] >= start] or rss
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip())
    out = {"mix": args.mix, "sessions": args.sessions, "seconds": round(wall, 1), "encoder": args.encoder or "app default",
           "submit": summary(rec["submit"]), "upload": summary(rec["upload"]),
           "first_action_s": [round(x, 1) for x in rec["first"]], "hostile_refused": rec["refused"],
           "upload_outcomes": sorted(set(o.split(" in ")[0] for o in rec["outcomes"])),
           "upload_s_by_file": by_file(rec["outcomes"]),
           "errors": len(rec["errors"]), "error_list": rec["errors"][:20],
           "server_rss_mb_in_window": {"start": round(warm[0][1]), "max": round(max(r[1] for r in warm)),
                             "end": round(warm[-1][1])},
           "server_and_workers_rss_max_mb": round(max(r[2] for r in rss)),
           "commit": commit.strip() + ("+dirty" if dirty else ""), "date": time.strftime("%Y-%m-%d"),
           "machine": f"{os.cpu_count()} cores, load avg {os.getloadavg()[0]:.1f} at the end (shared)"}
    path = ROOT / "bench" / "raw" / f"load-{args.mix}.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0 if not rec["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
