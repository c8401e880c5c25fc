"""The Chinese cold-start check (bench/zh_check.py) stays runnable: its case file is valid and a hash run works."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "zh_check.py"


@pytest.fixture(scope="module")
def zh_check():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("coldrec_bench_zh_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cases_are_valid_and_cover_every_domain(zh_check):
    cases = zh_check.load_cases()
    assert zh_check.check_cases(cases) == []
    assert len(cases["zh"]) >= 40 and len(cases["cross"]) >= 40
    assert {c["domain"] for c in cases["zh"]} == {"ecommerce-zh", "news-zh", "video-zh", "music-zh", "social-zh"}
    assert {c["domain"] for c in cases["cross"]} == {"ecommerce", "news", "video", "music", "social"}
    texts = [c["text"] for s in cases.values() for c in s]
    assert len(set(texts)) == len(texts)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)  # every description is Chinese


def test_a_bad_case_is_named(zh_check):
    bad = {"zh": [{"domain": "music-zh", "category": "Jazz", "text": "爵士"}], "cross": []}
    problems = zh_check.check_cases(bad)
    assert any("'Jazz' is not in music-zh" in p and "爵士" in p for p in problems)
    assert any("needs at least 40" in p for p in problems)


def test_precision_at_5_counts_the_expected_category(zh_check):
    from coldrec.encoders import load_encoder

    cases = [{"domain": "music-zh", "category": "爵士", "text": "爵士钢琴，萨克斯爵士"},
             {"domain": "music-zh", "category": "说唱", "text": "爵士钢琴，萨克斯爵士"}]
    rows = zh_check.precision_at_5(load_encoder("hash"), cases, False)
    assert rows[0]["p5"] == sum(c == "爵士" for c in rows[0]["top5"]) / 5 and len(rows[0]["top5"]) == 5
    assert rows[0]["p5"] > rows[1]["p5"]


def test_unavailable_encoder_is_a_clear_message():
    r = subprocess.run([sys.executable, str(SCRIPT), "--model", str(ROOT / "no-such-model")], capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 2 and "is unavailable" in r.stderr and "Traceback" not in r.stderr
