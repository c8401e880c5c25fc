"""AppTest checks for issue 17 (points 3 and 7): the fairness probe as a stakeholder reads it, and the smaller
frictions (pickers, the Ranker radio, typed users on New item, the Evaluation metric picker, one long-text notice).

Like tests/test_app.py they run with the deterministic hash encoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fast_app(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path_factory.getbasetemp() / "coldrec-cache"))
    monkeypatch.setenv("COLDREC_USER_DATA", str(tmp_path_factory.mktemp("user-data")))
    work = tmp_path_factory.mktemp("work")
    monkeypatch.chdir(work)
    return work


def start(**state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["pm_method"] = "pca"
    for key, value in state.items():
        at.session_state[key] = value
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def goto(at: AppTest, page: str) -> AppTest:
    return ok(at.switch_page(page).run())


def submit(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.get("form_submit_button") if b.label == label]
    return ok(button.click().run())


def table_with(at: AppTest, *columns: str):
    return [d.value for d in at.dataframe if set(columns) <= set(map(str, d.value.columns))]


# ------------------------------------------------------------------------------------------- point 3: probe
def test_fairness_probe_reads_against_the_noise_floor_with_plain_labels():
    at = goto(start(), "pages/4_What-if.py")
    at.selectbox(key="wi_probe_attr").set_value("locale")
    ok(at.button(key="wi_probe_run").click().run())
    [table] = table_with(at, "persona", "change", "vs_floor")
    assert set(table["vs_floor"]) <= {"above the floor", "within the floor"}
    assert (table["floor"] > 0).all()  # a neutral clause moves a cold list too
    assert "lives in Lagos" in set(table["change"]) and not table["change"].str.contains("added clause").any()
    text = " ".join(m.value for m in at.markdown)
    assert "neutral change" in text and ("Largest above the floor" in text or "No swap moved" in text)
    assert any("keeps its liked and disliked items" in c.value for c in at.caption)
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert "noise floor (neutral change)" in [t.get("name") for t in spec["data"]]
