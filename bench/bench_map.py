"""Measure 8 — the Profile map in a real browser: first map and lasso → table on synthetic 10k / 50k catalogs.

Per size: ``streamlit run app.py`` (hash encoder, so embedding is not what is timed; the app compiles UMAP in the
background at start as it does with MiniLM, ``COLDREC_WARM_UMAP=1``), headless Chromium uploads a synthetic CSV
on the Catalog page (long-tail, partly multi-valued category column), embeds it, waits for the UMAP compile to
finish (reported as ``map.jit_s``), then opens the Profile map and times:

* ``map.first_view_<n>_s`` — page opened → first map drawn (the PCA preview while UMAP fits);
* ``map.first_umap_<n>_s`` — page opened → the UMAP map replaced the preview (target 15 s at 10k, 60 s at 50k;
  the issue's 8.8k catalog sits just under the 10k line);
* ``map.lasso_<n>_s`` — lasso released → the selection table shows the new count (median of 3 lassos of
  different sizes; target 1 s at 10k).

Only the server processes started here are stopped. Run: ``python bench/bench_map.py [--quick]`` (quick: 10k only).
"""

from __future__ import annotations

import csv
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Result, save_raw, script_main, synthetic_texts  # noqa: E402

TARGETS = {10_000: (15.0, 1.0), 50_000: (60.0, None)}  # first UMAP map (s), lasso → table (s)


def write_catalog(path: Path, n: int, seed: int = 0) -> Path:
    """``n`` synthetic items; 500 Zipf-distributed categories, a fifth of them multi-valued ("A, B")."""
    rng = np.random.default_rng(seed)
    cats = [f"Genre {i:03d}" for i in range(500)]
    weights = 1.0 / np.arange(1, 501) ** 1.1
    pick = rng.choice(500, size=n, p=weights / weights.sum())
    second = rng.choice(500, size=n)
    texts = synthetic_texts(n, seed=seed, min_words=25, max_words=45)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "title", "description", "category"])
        for i, text in enumerate(texts):
            cat = cats[pick[i]] + (f", {cats[second[i]]}" if rng.random() < 0.2 else "")
            w.writerow([f"s{i}", text.split(".")[0], text, cat])
    return path


def _wait_log(log: Path, pattern: str, timeout: float) -> float | None:
    """Seconds reported by the first server-log line matching ``pattern`` (``... took X s``), waiting for it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern + r" took ([0-9.]+) s", log.read_text(errors="replace") if log.exists() else "")
        if m:
            return float(m.group(1))
        time.sleep(1.0)
    return None


def _selected_count(page) -> int | None:
    loc = page.get_by_text(re.compile(r"^\d[\d,]* selected items$"))
    if loc.count() == 0:
        return None
    return int(loc.first.text_content().split()[0].replace(",", ""))


def _upload_and_embed(page, csv_path: Path) -> None:
    from e2e_helpers import goto_page, wait_idle

    goto_page(page, "Catalog")
    page.get_by_role("tab", name="Upload a file").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv_path))
    page.get_by_role("button", name="Validate").wait_for(timeout=600_000)
    wait_idle(page, timeout=600)
    page.get_by_role("button", name="Validate").click()
    wait_idle(page, timeout=600)
    page.get_by_role("button", name=re.compile(r"^Embed .* items")).click()
    page.get_by_text(re.compile(r"^Ready:")).wait_for(timeout=900_000)
    wait_idle(page, timeout=600)


def _map_timings(page) -> dict:
    from e2e_helpers import lasso

    out: dict = {}
    t0 = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Profile map", exact=True).click()
    page.locator('[data-testid="stPlotlyChart"] .nsewdrag').first.wait_for(timeout=900_000)
    out["first_view_s"] = time.perf_counter() - t0
    preview = page.get_by_text(re.compile(r"^Preview: a PCA map"))
    deadline = time.time() + 900
    while preview.count() > 0 and time.time() < deadline:
        page.wait_for_timeout(200)
    out["first_umap_s"] = time.perf_counter() - t0 if preview.count() == 0 else None
    page.wait_for_timeout(1500)  # the full rerun that swaps the map in
    lassos = []
    # disjoint frames: a drag that starts inside the previous selection's outline moves that outline (plotly's
    # editable selections) instead of drawing a new lasso
    for frame in [(0.05, 0.05, 0.45, 0.45), (0.55, 0.55, 0.95, 0.95), (0.55, 0.05, 0.95, 0.45)]:
        before = _selected_count(page)
        lasso(page, 0, frame)  # drawing it (32 mouse moves) is the user's time, not the app's
        t = time.perf_counter()
        deadline = time.time() + 120
        while (_selected_count(page) in (None, before)) and time.time() < deadline:
            page.wait_for_timeout(50)
        lassos.append((time.perf_counter() - t, _selected_count(page)))
    out["lassos"] = lassos
    return out


def _fixed_port() -> None:
    """``COLDREC_BENCH_PORT=8563`` serves on that port instead of a random free one (shared machines)."""
    import e2e_helpers

    if os.environ.get("COLDREC_BENCH_PORT"):
        e2e_helpers.free_port = lambda: int(os.environ["COLDREC_BENCH_PORT"])


def measure(n: int) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    _fixed_port()
    from e2e_helpers import browser_page, running_app, wait_idle

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = write_catalog(Path(tmp) / f"synthetic_{n}.csv", n)
        log = Path(tmp) / "streamlit.log"
        env = {"COLDREC_ENCODER": "hash", "COLDREC_WARM_UMAP": "1", "COLDREC_CACHE": str(Path(tmp) / "cache")}
        with running_app(env=env, timeout=300, log=log) as url, browser_page() as page:
            page.set_default_timeout(900_000)
            page.goto(url)
            wait_idle(page, timeout=600)
            t = time.perf_counter()
            _upload_and_embed(page, csv_path)
            upload_s = time.perf_counter() - t
            jit = _wait_log(log, "compiling umap", timeout=900)
            out = {"n": n, "upload_embed_s": upload_s, "jit_s": jit, **_map_timings(page)}
    print(f"  map {n}: {out}", flush=True)
    return out


def run(quick: bool = False) -> list[Result]:
    sys.path.insert(0, str(ROOT / "tests"))
    from e2e_helpers import CHROMIUM

    if not Path(CHROMIUM).exists():
        return [Result("map.first_umap_10000_s", None, "s", "<=15s", None, f"skipped: {CHROMIUM} not found")]
    res, rows = [], []
    for n in ([10_000] if quick else [10_000, 50_000]):
        try:
            m = measure(n)
        except Exception as exc:  # noqa: BLE001 - a browser failure is a result line, not a crash
            res.append(Result(f"map.first_umap_{n}_s", None, "s", "-", False, f"{type(exc).__name__}: {exc}"[:300]))
            continue
        rows.append(m)
        umap_t, lasso_t = TARGETS[n]
        lasso_s = statistics.median(x[0] for x in m["lassos"])
        res += [
            Result(f"map.jit_s_{n}", m["jit_s"], "s", "info", None, "UMAP numba compile in the background at start"),
            Result(f"map.first_view_{n}_s", m["first_view_s"], "s", "info", None, "page opened → first map (preview)"),
            Result(f"map.first_umap_{n}_s", m["first_umap_s"], "s", f"<={umap_t:.0f}s",
                   None if m["first_umap_s"] is None else m["first_umap_s"] <= umap_t,
                   f"page opened → UMAP map drawn; upload+validate+embed {m['upload_embed_s']:.0f}s (hash encoder)"),
            Result(f"map.lasso_{n}_s", lasso_s, "s", f"<={lasso_t:.0f}s" if lasso_t else "info",
                   (lasso_s <= lasso_t) if lasso_t else None,
                   "lasso released → table count; median of 3: " + ", ".join(f"{t:.2f}s ({c} items)"
                                                                         for t, c in m["lassos"])),
        ]
    save_raw("map", res, {"rows": rows})
    return res


if __name__ == "__main__":
    script_main(__doc__, lambda a: run(a.quick))
