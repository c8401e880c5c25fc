"""AppTest of what issue 16/17 asked of the Profile map and What-if: search-and-highlight, cluster labels,
full-text hover, a grouped legend for long-tail categories, and no recomputation on unrelated reruns.

Hash encoder and PCA maps, as in tests/test_app.py, so nothing waits for the model or UMAP's compiler.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def _fast_app(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path_factory.getbasetemp() / "coldrec-cache"))
    monkeypatch.chdir(tmp_path_factory.mktemp("work"))


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def open_map(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["pm_method"] = "pca"
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page("app_pages/5_Profile_map.py").run()
    return ok(at)


def item_spec(at: AppTest) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_map_search_highlights_matches_and_shows_cluster_labels_and_full_hover():
    at = open_map()
    spec = item_spec(at)
    labels = [a for a in spec["layout"].get("annotations", []) if not a.get("showarrow")]
    assert len(labels) >= 2 and all(" · " in a["text"] or a["text"] for a in labels)
    hover = [t for tr in spec["data"] if tr.get("customdata") is not None for t in tr["text"]]
    assert any("<br>" in h for h in hover), "hover shows the title and the start of the text on wrapped lines"
    at.text_input(key="pm_search").input("headphones").run()
    ok(at)
    spec = item_spec(at)
    [matches] = [t for t in spec["data"] if str(t.get("name", "")).startswith("matches")]
    assert 0 < len(matches["text"]) < 330
    assert all("headphones" in h.lower() for h in matches["text"])  # hover = title + text: the match is there
    assert any("items match" in c.value for c in at.caption)


def test_map_figure_is_reused_on_an_unrelated_rerun():
    at = open_map()
    first = at.session_state["_memo_map_figure"][2][0]
    at.run()  # what a lasso does to the page: a rerun with the same map, people and search
    assert at.session_state["_memo_map_figure"][2][0] is first


def test_long_tail_category_column_gets_a_grouped_legend_with_a_notice():
    rows = ["sku,name,blurb,dept"] + [f"s{i},Item {i},thing {i} for people who like word{i % 7},Dept {i % 40}"
                                      for i in range(120)]
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["pm_method"] = "pca"
    at.run()
    at.switch_page("app_pages/1_Catalog.py").run()
    at.get("file_uploader")[0].upload("shop.csv", "\n".join(rows).encode(), "text/csv").run()
    at.selectbox(key="cat_category").set_value("dept")
    [b for b in at.get("form_submit_button") if b.label == "Validate"][0].click().run()
    at.button(key="cat_embed").click().run()
    at.switch_page("app_pages/5_Profile_map.py").run()
    ok(at)
    names = [t["name"] for t in item_spec(at)["data"] if t.get("customdata") is not None]
    assert len(names) == 13 and names[-1] == "other"
    assert any("most common categories" in c.value for c in at.caption)


def test_what_if_lists_are_not_recomputed_on_an_unrelated_rerun():
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("app_pages/4_What-if.py").run()
    at.text_area(key="wi_text_0").input("I cook a lot")
    at.text_area(key="wi_text_1").input("I cook a lot and garden")
    [b for b in at.get("form_submit_button") if b.label == "Compare"][0].click().run()
    ok(at)
    lists = at.session_state["_memo_variants"][2]
    at.selectbox(key="wi_probe_attr").set_value("age").run()
    assert at.session_state["_memo_variants"][2] is lists
