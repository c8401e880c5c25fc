"""AppTest checks for issue 17 (points 3 and 7): the fairness probe as a stakeholder reads it, and the smaller
frictions (pickers, the Ranker radio, typed users on New item, the Evaluation metric picker, one long-text notice).

Like tests/test_app.py they run with the deterministic hash encoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streamlit.testing.v1 import AppTest  # noqa: E402

from app_helpers import hash_app_env, ok

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fast_app(monkeypatch, tmp_path_factory):
    return hash_app_env(monkeypatch, tmp_path_factory)


def start(**state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["pm_method"] = "pca"
    for key, value in state.items():
        at.session_state[key] = value
    return ok(at.run())



def goto(at: AppTest, page: str) -> AppTest:
    return ok(at.switch_page(page).run())


def submit(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.get("form_submit_button") if b.label == label]
    return ok(button.click().run())


def table_with(at: AppTest, *columns: str):
    return [d.value for d in at.dataframe if set(columns) <= set(map(str, d.value.columns))]


# ------------------------------------------------------------------------------------------- point 3: probe
def test_fairness_probe_reads_against_the_noise_floor_with_plain_labels():
    at = goto(start(), "app_pages/4_What-if.py")
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


# ---------------------------------------------------------------------------------- point 7: the frictions
def test_item_pickers_never_bulk_select_on_enter_and_wrap_chosen_items():
    at = goto(start(), "app_pages/2_New_user.py")
    for key in ("nu_liked", "nu_disliked"):
        proto = at.multiselect(key=key).proto
        assert proto.select_all == 0, "a 'Select N matches' row would be what Enter picks"
        assert proto.wrap is True, "chosen items would scroll sideways in one line"


def _write_results(folder: Path) -> None:
    folder.mkdir()
    base = {"dataset": "demo", "model": "hash", "seed": 0, "commit": "abc", "machine": "test", "seconds": 1.0}
    (folder / "cold-users.json").write_text(json.dumps({**base, "protocol": "cold-users", "methods": {
        "popularity": {"recall@10": 0.1, "ndcg@10": 0.05, "auc": 0.6}}}))
    (folder / "cold-items.json").write_text(json.dumps({**base, "protocol": "cold-items", "methods": {
        "zero-shot": {"recall@20": 0.2, "ndcg@20": 0.1}}}))


def test_evaluation_metric_picker_keeps_a_selection_when_the_protocol_changes(_fast_app):
    _write_results(_fast_app / "results")
    at = goto(start(), "app_pages/7_Evaluation.py")
    assert at.selectbox(key="ev_protocol").value == "cold-items"
    assert at.multiselect(key="ev_metrics").value == ["recall@20", "ndcg@20"]
    ok(at.selectbox(key="ev_protocol").set_value("cold-users").run())
    assert at.multiselect(key="ev_metrics").value == ["recall@10", "ndcg@10", "auc"]  # its own metrics
    assert at.get("plotly_chart")
    ok(at.multiselect(key="ev_metrics").set_value(["auc"]).run())
    ok(at.selectbox(key="ev_protocol").set_value("cold-items").run())
    assert at.multiselect(key="ev_metrics").value == ["recall@20", "ndcg@20"]  # never empty after a switch
    ok(at.multiselect(key="ev_metrics").set_value([]).run())  # emptied on purpose: stays empty
    assert at.multiselect(key="ev_metrics").value == []


def test_new_item_reaches_every_user_typed_in_the_session_not_only_the_last():
    at = goto(start(), "app_pages/2_New_user.py")
    first, second = "wireless headphones for the train", "a garden hose and pruning shears for my roses"
    for text in (first, second, first):  # typing the first one again does not add a third user
        at.text_area(key="nu_desc").input(text)
        submit(at, "Recommend")
    goto(at, "app_pages/3_New_item.py")
    at.text_input(key="ni_title").input("Noise-cancelling headphones")
    submit(at, "Find its audience")
    [audience] = table_with(at, "user_id", "final_rank", "reaches")
    who = audience.set_index("user_id")["who"]
    assert who["typed user"] == first and who["typed user 2"] == second
    assert not any(u.startswith("typed user 3") for u in who.index)


def test_a_long_description_gets_one_long_text_notice_not_two():
    at = goto(start(), "app_pages/2_New_user.py")
    at.text_area(key="nu_desc").input(" ".join(["quiet headphones for long train rides"] * 40))
    submit(at, "Recommend")
    notices = [n.value for n in [*at.info, *at.warning] if "model window" in n.value]
    assert len(notices) == 1, notices
