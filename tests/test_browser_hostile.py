"""Hostile catalog in a real browser (issue 15 #2 and #5).

``streamlit run app.py`` starts with only the port given (address, usage statistics… from
``.streamlit/config.toml``) under a socket guard that refuses and logs every non-loopback connection or look-up of
the server process. Headless Chromium intercepts every request (Playwright routing) and aborts any that would leave
localhost. It uploads a catalog whose every cell carries Markdown images and links, ``:red[…]`` directives, HTML,
``javascript:`` URLs and autolinks, embeds it, and visits every page, filling the forms. It asserts:

* zero requests left localhost (the browser) and zero outbound attempts (the server process);
* the server listens on 127.0.0.1 only;
* no link or image on any page comes from item text (DOM and plotly figures), and no directive turned red.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from e2e_helpers import CHROMIUM, browser_page, goto_page, running_app, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EVIL = "evil.example"
PAYLOAD = (f"![i](http://{EVIL}/i.png) [l](http://{EVIL}/l) :red[r] <img src=http://{EVIL}/h.png> "
           f'<a href="http://{EVIL}/a">a</a> javascript:alert(1) http://{EVIL}/auto :material/home: **b** $x^2$')
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def hostile_csv(n: int = 12) -> bytes:
    df = pd.DataFrame({
        "item_id": [f"id{i} {PAYLOAD}" for i in range(n)],
        "title": [f"{PAYLOAD} lamp {i}" for i in range(n)],
        "description": [f"a reading lamp, {PAYLOAD}" for _ in range(n)],
        "category": [f"{PAYLOAD} c{i % 3}" for i in range(n)],
        "price": [PAYLOAD] * n,
        "image_url": ["javascript:alert(1)"] * n,
    })
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode()


@pytest.fixture(scope="module")
def browser_ready():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install -y chromium chromium-driver`")
    pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")


def live_markup(page) -> list[str]:
    """Links and images that come from item text, and Markdown colour directives that took effect."""
    return page.evaluate(f"""() => {{
        const out = [];
        for (const a of document.querySelectorAll('a')) {{
            const href = a.getAttribute('href') || a.getAttribute('xlink:href') || '';
            if (href.includes('{EVIL}') || href.startsWith('javascript:')) out.push('link ' + href);
        }}
        for (const img of document.querySelectorAll('img, image')) {{
            const src = img.getAttribute('src') || img.getAttribute('href') || img.getAttribute('xlink:href') || '';
            if (src.includes('{EVIL}') || src.startsWith('javascript:')) out.push('image ' + src);
        }}
        for (const gd of document.querySelectorAll('.js-plotly-plot')) {{
            const blob = JSON.stringify([(gd.data || []).map(t => [t.name, t.text, t.hovertemplate, t.x, t.y]),
                                         (gd.layout || {{}}).annotations || []]);
            if (/<a[\s>]|<img/i.test(blob)) out.push('plotly markup ' + blob.slice(0, 200));
        }}
        for (const el of document.querySelectorAll('[data-testid="stMarkdownContainer"] span[style*="color"]')) {{
            if ((el.textContent || '').trim() === 'r') out.push('directive :red[r] rendered');
        }}
        return out;
    }}""")


def listening_addresses(pid: int) -> set[str]:
    import psutil

    addrs = set()
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        for c in proc.net_connections(kind="inet"):
            if c.status == psutil.CONN_LISTEN:
                addrs.add(c.laddr.ip)
    return addrs


def test_hostile_catalog_on_every_page_no_outside_request_no_live_markup(browser_ready, tmp_path):
    net_log, info, outside, seen = tmp_path / "server-net.log", {}, [], {}
    with running_app(env={"COLDREC_ENCODER": "hash", "COLDREC_CACHE": str(tmp_path / "cache")},
                     config_defaults=True, net_log=net_log, info=info) as url, browser_page() as page:
        assert listening_addresses(info["pid"]) <= {"127.0.0.1"}, listening_addresses(info["pid"])

        def route(r):
            host = urlparse(r.request.url).hostname or ""
            if r.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
                return r.continue_()
            outside.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.set_default_timeout(120_000)
        page.goto(url)
        wait_idle(page)
        seen["Home"] = live_markup(page)

        goto_page(page, "Catalog")
        page.get_by_role("tab", name="Upload a file").click()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            files=[{"name": 'evil "shop" <b>.csv', "mimeType": "text/csv", "buffer": hostile_csv()}])
        wait_idle(page)
        page.get_by_role("button", name="Validate").click()
        wait_idle(page)
        page.get_by_role("button", name="Embed 12 items and use this catalog").click()
        wait_idle(page)
        assert page.get_by_text("Ready:").count() >= 1
        seen["Catalog"] = live_markup(page)

        goto_page(page, "New user")
        page.get_by_label("Who is this user? (their own words)").fill(f"a reading lamp {PAYLOAD}")
        page.get_by_role("button", name="Recommend").click()
        wait_idle(page)
        seen["New user"] = live_markup(page)

        goto_page(page, "New item")
        page.get_by_label("Title").fill(f"A lamp {PAYLOAD}")
        page.get_by_role("button", name="Find its audience").click()
        wait_idle(page)
        seen["New item"] = live_markup(page)

        goto_page(page, "What-if")
        page.get_by_label("Variant A").fill(f"a lamp {PAYLOAD}")
        page.get_by_label("Variant B").fill("a bright reading lamp")
        page.get_by_role("button", name="Compare").click()
        wait_idle(page)
        seen["What-if"] = live_markup(page)

        goto_page(page, "Profile map")
        page.locator('[data-testid="stMain"]').get_by_text("PCA", exact=True).click()
        wait_idle(page)
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
        seen["Profile map"] = live_markup(page)

        for label in ("Ranker", "Evaluation"):
            goto_page(page, label)
            seen[label] = live_markup(page)
        page.wait_for_timeout(1000)  # late requests (favicon, fonts) get their chance to be seen
    assert outside == [], f"the browser tried to reach outside localhost: {outside}"
    server_attempts = net_log.read_text() if net_log.exists() else ""
    assert server_attempts == "", f"the server process tried to reach the network:\n{server_attempts}"
    assert all(not v for v in seen.values()), json.dumps(seen, indent=1)[:3000]
    assert len(seen) == 8, sorted(seen)
