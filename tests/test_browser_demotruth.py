"""Real-browser checks for issue 17 with the hash encoder (no model needed): Enter in an item picker adds one item,
not "Select N matches"; a validated upload and its mapping survive a real page refresh (F5), and so does the
session's catalog once embedded. Needs Debian's chromium and Python playwright; screenshots go to
``artifacts/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e_helpers import CHROMIUM, browser_page, goto_page, running_app, shoot, wait_idle

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def browser_ready():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install -y chromium chromium-driver`")
    pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")


def test_picker_enter_adds_one_item_and_an_upload_survives_a_refresh(browser_ready, tmp_path):
    shop = tmp_path / "shop.csv"
    shop.write_text("\n".join(["sku,name,blurb"] + [f"s{i},Item {i},a {w} thing for people who like {w}"
                                                   for i, w in enumerate(["tea", "hiking", "novels"] * 4)]))
    env = {"COLDREC_ENCODER": "hash", "COLDREC_USER_DATA": str(tmp_path / "data"),
           "COLDREC_CACHE": str(tmp_path / "cache")}
    with running_app(env=env) as url, browser_page() as page:
        page.set_default_timeout(120_000)
        page.goto(url)
        wait_idle(page)
        assert "?s=" in page.url  # the session token a refresh comes back with
        goto_page(page, "New user")
        liked = page.locator('[data-testid="stMultiSelect"]').first
        box = liked.locator("input")
        box.click()
        box.fill("planter")  # matches many items: Enter used to take "Select N matches"
        page.wait_for_timeout(500)
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
        assert liked.locator("[data-tag]").count() == 1
        page.keyboard.press("Escape")
        goto_page(page, "Catalog")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator('input[type="file"]').first.set_input_files(str(shop))
        wait_idle(page)
        page.get_by_role("button", name="Validate").click()
        wait_idle(page)
        page.reload()  # F5 before embedding: a new Streamlit session
        wait_idle(page)
        assert page.get_by_text("Kept from before the refresh").count() == 1
        shoot(page, "demotruth_upload_after_refresh")
        page.get_by_role("button", name="Embed 12 items and use this catalog").click()
        wait_idle(page)
        page.reload()
        wait_idle(page)
        assert "shop" in (page.locator('[data-testid="stSidebar"]').text_content() or "")


def test_a_deep_link_as_the_first_request_gets_the_app_navigation(browser_ready, tmp_path):
    """A fresh server whose first visitor opens /New_user directly (a bookmark, a shared link) must serve the page
    through app.py's navigation (Home first, the catalog caption), not Streamlit's old pages-folder mode, which
    showed an "app" entry and skipped the app's setup."""
    env = {"COLDREC_ENCODER": "hash", "COLDREC_USER_DATA": str(tmp_path / "data"),
           "COLDREC_CACHE": str(tmp_path / "cache")}
    with running_app(env=env) as url, browser_page() as page:
        page.set_default_timeout(120_000)
        page.goto(url.rstrip("/") + "/New_user")
        wait_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]').text_content() or ""
        shoot(page, "demotruth_deep_link_first")
        assert "Home" in sidebar and "Catalog:" in sidebar, sidebar[:300]
        assert page.get_by_role("heading", name="New user").count() >= 1
