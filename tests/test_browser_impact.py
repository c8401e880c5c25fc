"""One real-browser step for the Impact page: the warm-up chart renders in headless Chromium (hash encoder).

The server runs on the first free port of 8580–8589 (the range this project's shared machine allows).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from e2e_helpers import CHROMIUM, ROOT, browser_page, goto_page, shoot, stop, wait_idle

pytestmark = [pytest.mark.browser]


def _port() -> int:
    for port in range(8580, 8590):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)):
                return port
    pytest.skip("no free port in 8580–8589")


def test_impact_chart_in_a_real_browser(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install -y chromium chromium-driver`")
    pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
    from test_app_impact import _warmup_result

    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "warmup-toy.json").write_text(json.dumps(_warmup_result()))
    port = _port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLDREC_ENCODER": "hash",
           "COLDREC_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with open(tmp_path / "streamlit.log", "wb") as log:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, "streamlit did not start"
                time.sleep(0.5)
        with browser_page() as page:
            page.set_default_timeout(180_000)
            page.goto(url)
            wait_idle(page, timeout=300)
            goto_page(page, "Impact")
            page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", state="attached")
            assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 5
            assert "catches up" in (page.locator('[data-testid="stMain"]').text_content() or "")
            assert page.locator('[data-testid="stException"]').count() == 0
            shoot(page, "8_Impact")
    finally:
        stop(proc)
