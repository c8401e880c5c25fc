"""Helpers for the real-browser test: start ``streamlit run app.py`` on a free port, drive Debian's Chromium.

Used by ``tests/test_browser.py``; also runnable by hand to take screenshots of every page::

    python tests/e2e_helpers.py            # screenshots in artifacts/screenshots/
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("COLDREC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# sidebar link text -> file stem (Streamlit names pages after their files)
PAGES = {"Catalog": "1_Catalog", "New user": "2_New_user", "New item": "3_New_item", "What-if": "4_What-if",
         "Profile map": "5_Profile_map", "Ranker": "6_Ranker", "Evaluation": "7_Evaluation"}


def require_browser_and_model() -> None:
    """Skip (with the reason) unless Chromium, Python Playwright and the bundled MiniLM are all usable here."""
    import pytest

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install -y chromium chromium-driver`")
    pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
    try:
        from coldrec.encoders import default_model_path

        default_model_path()
    except Exception as exc:  # noqa: BLE001 - any failure means the real model is not usable here
        pytest.skip(f"the all-MiniLM-L6-v2 model is not available ({exc})")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Terminate a server process we started, killing it if it does not exit in ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def running_app(env: dict[str, str] | None = None, timeout: float = 120.0, log: Path | None = None, *,
                config_defaults: bool = False, net_log: Path | None = None,
                info: dict | None = None, port: int | None = None) -> Iterator[str]:
    """Start the app on ``port`` (default ``$COLDREC_E2E_PORT``, else a free localhost port); yield its URL; stop
    it (and only it) afterwards.

    Args:
        config_defaults: pass only the port, so the address, usage statistics and the rest come from
            ``.streamlit/config.toml`` as they would for ``streamlit run app.py``.
        net_log: run the server under ``tests/net_guard_launcher.py``: non-loopback connections and look-ups
            are refused and written to this file.
        info: filled with ``{"pid": ...}`` of the server process.
        port: the port (default ``$COLDREC_E2E_PORT``, else a free one).
    """
    port = port or int(os.environ.get("COLDREC_E2E_PORT", "0") or 0) or free_port()
    launcher = [str(ROOT / "tests" / "net_guard_launcher.py"), str(net_log)] if net_log else ["-m", "streamlit"]
    cmd = [sys.executable, *launcher, "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port)]
    if not config_defaults:
        cmd += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **(env or {})}
    log = log or (ROOT / "artifacts" / "streamlit.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        if info is not None:
            info["pid"] = proc.pid
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise TimeoutError(f"streamlit did not answer on {url} within {timeout:.0f} s; see {log}")
                time.sleep(0.5)
            yield url
        finally:
            stop(proc)


@contextlib.contextmanager
def browser_page(width: int = 1440, height: int = 900) -> Iterator[object]:
    """A Playwright page in headless Chromium (the system binary, no downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def wait_idle(page, timeout: float = 180.0, settle: float = 1.0) -> None:
    """Wait until the script run finished (Streamlit's running indicator is gone) and nothing is stale."""
    deadline = time.time() + timeout
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
    quiet_since = None
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        stale = page.locator('[data-stale="true"]').count() > 0
        spinner = page.locator('[data-testid="stSpinner"]').count() > 0
        if running or stale or spinner:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since > settle:
            return
        time.sleep(0.2)
    raise TimeoutError("the app kept running for too long")


def goto_page(page, label: str, timeout: float = 180.0) -> None:
    """Navigate with the sidebar (keeps the session, unlike a fresh URL)."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=label, exact=True).click()
    wait_idle(page, timeout)


def shoot(page, name: str, max_height: int = 4000) -> Path:
    """Screenshot of the whole page: the viewport grows to the main area's height (Streamlit scrolls inside
    its own container, so Playwright's ``full_page`` alone would stop at the window)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size or {"width": 1440, "height": 900}
    height = page.evaluate("(document.querySelector('[data-testid=stMain]') || document.body).scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), max_height))})
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def lasso(page, chart: int = 0, frame: tuple[float, float, float, float] = (0.05, 0.05, 0.95, 0.95)) -> None:
    """Draw a closed lasso (a rectangle path) over a fraction ``frame`` of a plotly chart's plot area."""
    drag = page.locator('[data-testid="stPlotlyChart"] .nsewdrag').nth(chart)
    drag.scroll_into_view_if_needed()  # mouse events outside the viewport reach nothing: the path would not close
    area = drag.bounding_box()
    x0, y0, x1, y1 = frame
    pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0 + 0.01)]
    page.mouse.move(area["x"] + area["width"] * pts[0][0], area["y"] + area["height"] * pts[0][1])
    page.mouse.down()
    for px, py in pts[1:]:
        page.mouse.move(area["x"] + area["width"] * px, area["y"] + area["height"] * py, steps=8)
    page.mouse.up()


def grid_cells(page, index: int = 0) -> list[str]:
    """Cell texts of a dataframe (Glide's accessible table mirrors the rendered cells)."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(index)
    return [c.strip() for c in grid.locator('[role="gridcell"]').all_text_contents()]


if __name__ == "__main__":  # pragma: no cover - manual screenshots
    with running_app() as url, browser_page() as pg:
        pg.goto(url)
        wait_idle(pg)
        print(shoot(pg, "0_Home"))
        for lab, stem in PAGES.items():
            goto_page(pg, lab)
            print(shoot(pg, stem))
