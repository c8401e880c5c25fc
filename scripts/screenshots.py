"""Screenshots of every page, filled in as a user would, at 1440×900 and 1280×800 (or ``--sizes``).

``python scripts/screenshots.py [--port 8560] [--sizes 1440x900,1280x800]`` starts ``streamlit run app.py`` on a
free port (or uses a running server with ``--url``), drives headless Chromium (tests/e2e_helpers.py) and writes
``artifacts/screenshots/<width>x<height>/<page>.png``. It also reports any page that scrolls sideways.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e_helpers import PAGES, SCREENSHOTS, browser_page, goto_page, lasso, running_app, wait_idle  # noqa: E402

QUERY = "quiet noise-cancelling headphones for the train"
SIDEWAYS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(
    d => { const s = d.querySelector('.dvn-scroller'); return s ? s.scrollWidth - s.clientWidth : 0; })"""


def _fill(page, label: str) -> None:
    """What a user does on each page before looking at it."""
    if label == "New user":
        page.get_by_label("Who is this user? (their own words)").fill(QUERY)
        page.get_by_role("button", name="Recommend").click()
        page.wait_for_selector('[data-testid="stDataFrame"] [role="gridcell"]', state="attached")
    elif label == "New item":
        page.get_by_label("Title").fill("Foldable wireless noise-cancelling headphones")
        page.get_by_label("Description", exact=True).fill("Over-ear, 40-hour battery, folds flat for the commute.")
        page.get_by_role("button", name="Find its audience").click()
        page.get_by_text("Who it reaches").wait_for(timeout=180_000)
    elif label == "What-if":
        page.get_by_label("Variant A").fill("I cook a lot and want sturdy kitchen tools")
        page.get_by_label("Variant B").fill("I cook a lot and want sturdy kitchen tools, and I garden")
        page.get_by_role("button", name="Compare").click()
        page.get_by_text("How far apart are the lists?").wait_for(timeout=180_000)
    elif label == "Profile map":
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=300_000)
        page.get_by_role("textbox", name="Find on the map (words in the title or text)").fill("headphones")
        page.keyboard.press("Enter")
    wait_idle(page, timeout=300)


def shoot_all(url: str, width: int, height: int) -> list[str]:
    out_dir = SCREENSHOTS / f"{width}x{height}"
    out_dir.mkdir(parents=True, exist_ok=True)
    notes = []
    with browser_page(width, height) as page:
        page.set_default_timeout(300_000)
        page.goto(url)
        wait_idle(page, timeout=600)
        page.get_by_text("once per server start").first.wait_for(state="detached", timeout=900_000)
        wait_idle(page, timeout=600)
        pages = [("Home", "0_Home"), *PAGES.items(), ("Impact", "8_Impact")]  # Impact: its own browser test
        for label, stem in pages:
            if label != "Home":
                goto_page(page, label, timeout=600)
                _fill(page, label)
            page.wait_for_timeout(800)
            wait_idle(page, timeout=600, settle=2.0)
            page.screenshot(path=str(out_dir / f"{stem}.png"), full_page=False)
            page.locator('[data-testid="stMain"]').evaluate("m => m.scrollTo(0, m.scrollHeight / 2)")
            page.wait_for_timeout(300)
            page.screenshot(path=str(out_dir / f"{stem}_lower.png"), full_page=False)
            wide = [w for w in page.evaluate(SIDEWAYS) if w > 2]
            notes.append(f"{width}x{height} {label}: " + (f"tables scroll sideways by {wide} px" if wide else "ok"))
            if label == "Profile map":
                lasso(page)
                page.get_by_text("selected items").wait_for(timeout=120_000)
                wait_idle(page)
                page.screenshot(path=str(out_dir / f"{stem}_selection.png"), full_page=False)
    return notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running app (default: start one)")
    ap.add_argument("--sizes", default="1440x900,1280x800")
    a = ap.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) for s in a.sizes.split(",")]
    ctx = contextlib.nullcontext(a.url) if a.url else running_app(timeout=300)
    with ctx as url:
        for w, h in sizes:
            for line in shoot_all(url, w, h):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
