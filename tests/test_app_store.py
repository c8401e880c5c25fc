"""The app on a store-backed catalog (issue 14, point 3): ``COLDREC_INDEX`` names a Milvus Lite file written here
from the e-commerce demo catalog (hash encoder); the pages recall from the store, work on a seeded sample where they
must, say plainly when they cannot work from a store, and say what to install without the extras."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_helpers import ok

HAS_MILVUS = all(importlib.util.find_spec(m) for m in ("pymilvus", "milvus_lite"))
needs_milvus = pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus/milvus-lite not installed: "
                                  "pip install -r requirements-scale.txt")
APP = str(Path(__file__).resolve().parents[1] / "app.py")
SAMPLE = 120  # smaller than the 330-item catalog, so the sample is a sample
DESCRIPTION = "wireless noise-cancelling headphones for my train commute"


@pytest.fixture(scope="module")
def store_file(tmp_path_factory):
    """The demo catalog's hash vectors in a Milvus Lite file (closed before the app opens it)."""
    if not HAS_MILVUS:
        pytest.skip("pymilvus/milvus-lite not installed: pip install -r requirements-scale.txt")
    from coldrec.demo import load_demo
    from coldrec.encoders import HashEncoder, embed_texts
    from coldrec.retrieval import MilvusStore

    cat = load_demo("ecommerce").catalog
    X = embed_texts(HashEncoder(), cat.texts).vectors
    path = tmp_path_factory.mktemp("store") / "shop_items.db"
    with MilvusStore(str(path)) as store:
        store.add(cat.ids, X, categories=cat.categories, titles=cat.titles)
    return path, cat, X


@pytest.fixture
def store_app(store_file, monkeypatch, tmp_path_factory):
    import coldrec.recommend

    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path_factory.getbasetemp() / "coldrec-cache"))
    monkeypatch.setenv("COLDREC_USER_DATA", str(tmp_path_factory.mktemp("user-data")))
    monkeypatch.setenv("COLDREC_INDEX", str(store_file[0]))
    monkeypatch.setenv("COLDREC_INDEX_DEMO", "ecommerce")
    monkeypatch.setattr(coldrec.recommend, "SAMPLE_ROWS", SAMPLE)
    monkeypatch.chdir(tmp_path_factory.mktemp("work"))
    return store_file


def _start(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["pm_method"] = "pca"
    for key, value in state.items():
        at.session_state[key] = value
    return ok(at.run())


def _goto(at: AppTest, page: str) -> AppTest:
    return ok(at.switch_page(page).run())


def _table(at: AppTest, columns: set[str]):
    frames = [d.value for d in at.dataframe if columns <= set(getattr(d.value, "columns", []))]
    assert frames, [list(getattr(d.value, "columns", [])) for d in at.dataframe]
    return frames[0]


def _text(at: AppTest) -> str:
    return " ".join(f"{getattr(e, 'label', '')} {e.value}" for kind in ("info", "caption", "markdown", "metric")
                    for e in at.get(kind)).replace("\\", "")  # Markdown escapes dropped


def _memory(cat, X):
    from coldrec.encoders import HashEncoder
    from coldrec.recommend import Recommender

    return Recommender(cat, X, HashEncoder())


@needs_milvus
def test_home_and_catalog_show_the_stores_row_count_and_where_it_lives(store_app):
    path, cat, _ = store_app
    at = _start()
    assert [m.value for m in at.metric][0] == f"{len(cat):,}"        # the store's rows, not the sample's
    assert f"a seeded sample of {SAMPLE}" in _text(at)
    at = _goto(at, "app_pages/1_Catalog.py")
    text = _text(at)
    assert "Items in the store" in text and f"{len(cat):,}" in text
    assert "Milvus Lite file shop_items.db" in text
    assert str(path.parent) not in text                               # a file's name, never its folder
    assert not at.tabs                                                 # no demo / upload tabs on a store
    assert len(at.dataframe[0].value) == SAMPLE


@needs_milvus
def test_new_user_recalls_from_the_store_like_the_in_memory_recommender(store_app):
    _, cat, X = store_app
    at = _goto(_start(), "app_pages/2_New_user.py")
    assert "Recall from the store: 330 items" in _text(at)
    at.text_area(key="nu_desc").input(DESCRIPTION)
    [button] = [b for b in at.get("form_submit_button") if b.label == "Recommend"]
    at = ok(button.click().run())
    got = _table(at, {"item_id", "final_rank", "reason"})
    want = _memory(cat, X).recommend(DESCRIPTION, k=10)
    assert list(got["item_id"]) == list(want["item_id"])
    assert not [t for t in at.toggle if t.label.startswith("Feedback mode")]  # feedback needs the matrix


@pytest.fixture(scope="module")
def store_ranker(store_file, tmp_path_factory):
    """A concat ranker trained on the demo catalog's hash vectors (what `coldrec train-ranker` would save)."""
    from coldrec.ranking import MLPRanker, RankerConfig

    _, cat, X = store_file
    rng = np.random.default_rng(3)
    users = X[rng.choice(len(X), 80)]
    pos = [rng.choice(40, 3, replace=False).tolist() for _ in range(80)]
    ranker = MLPRanker(RankerConfig(hidden=(16,), epochs=3, seed=0, skip_init=1.0)).fit(X, users, pos)
    ranker.trained_on["encoder"] = "hash-64-0-cjk"
    return ranker.save(tmp_path_factory.mktemp("rankers") / "shop-concat")


@needs_milvus
def test_a_checkpoint_named_by_coldrec_index_ranker_reranks_the_store_recall(store_app, store_ranker, monkeypatch):
    from coldrec.encoders import HashEncoder
    from coldrec.ranking import MLPRanker
    from coldrec.recommend import Recommender

    _, cat, X = store_app
    monkeypatch.setenv("COLDREC_INDEX_RANKER", str(store_ranker))
    at = _start()
    assert "Ranking with: **mlp-concat (checkpoint shop-concat, from COLDREC_INDEX_RANKER)" in _text(at)
    at = _goto(at, "app_pages/2_New_user.py")
    at.text_area(key="nu_desc").input(DESCRIPTION)
    [button] = [b for b in at.get("form_submit_button") if b.label == "Recommend"]
    at = ok(button.click().run())
    got = _table(at, {"item_id", "final_rank", "reason"})
    want = Recommender(cat, X, HashEncoder(), ranker=MLPRanker.load(store_ranker)).recommend(DESCRIPTION, k=10)
    assert list(got["item_id"]) == list(want["item_id"])
    assert list(want["item_id"]) != list(_memory(cat, X).recommend(DESCRIPTION, k=10)["item_id"])  # it re-ranks


@needs_milvus
def test_a_bad_coldrec_index_ranker_names_the_variable_and_the_fix(store_app, tmp_path, monkeypatch):
    monkeypatch.setenv("COLDREC_INDEX_RANKER", str(tmp_path / "no-such-ranker"))
    at = AppTest.from_file(APP, default_timeout=180).run()
    text = " ".join(str(e.value) for e in at.error).replace("\\", "")  # Markdown escapes dropped
    assert "COLDREC_INDEX_RANKER:" in text and "no-such-ranker" in text and "unset it to rank by cosine" in text
    assert not at.exception


@needs_milvus
def test_new_item_finds_its_neighbours_and_audience_in_the_store(store_app):
    from coldrec.recommend import similar_items

    _, cat, X = store_app
    at = _goto(_start(), "app_pages/3_New_item.py")
    at.text_input(key="ni_title").input("Travel headphones")
    at.text_area(key="ni_desc").input("Over-ear headphones for the train commute, 40-hour battery.")
    [button] = [b for b in at.get("form_submit_button") if b.label == "Find its audience"]
    at = ok(button.click().run())
    got = _table(at, {"item_id", "title", "cosine"})
    from coldrec.encoders import HashEncoder, encode_as

    vec = encode_as(HashEncoder(), ["Travel headphones. Over-ear headphones for the train commute, 40-hour battery."],
                    "passage")[0]
    assert list(got["item_id"]) == list(similar_items(_memory(cat, X), vec, 10)["item_id"])
    audience = _table(at, {"user_id", "final_rank", "reaches"})
    assert len(audience) >= 240 and audience["reaches"].any()        # the lent demo log's users and the personas


@needs_milvus
def test_what_if_and_the_fairness_probe_query_the_store(store_app):
    at = _goto(_start(), "app_pages/4_What-if.py")
    at.selectbox(key="wi_persona").select_index(1).run()
    a = at.text_area(key="wi_text_0").value
    at.text_area(key="wi_text_1").input(a + " I also love board games and jigsaw puzzles.")
    [button] = [b for b in at.get("form_submit_button") if b.label == "Compare"]
    at = ok(button.click().run())
    assert len(_table(at, {"overlap@k", "rbo", "entered"})) == 1
    at = ok(at.button(key="wi_probe_run").click().run())
    probe = _table(at, {"persona", "variant", "rbo"})
    assert len(probe) and probe["rbo"].between(0, 1).all()


@needs_milvus
def test_profile_map_works_on_the_seeded_sample_and_says_its_size(store_app):
    at = _goto(_start(), "app_pages/5_Profile_map.py")
    assert f"Map of a sample: 330 items in the Milvus Lite file" in _text(at)
    assert f"a seeded sample of {SAMPLE}" in _text(at)
    fig = at.get("plotly_chart")[0]
    import json

    items = [h for t in json.loads(fig.proto.spec)["data"] if t.get("customdata") is not None for h in t["text"]]
    assert len(items) == SAMPLE                                        # one dot per sampled item, not 330


@needs_milvus
@pytest.mark.parametrize("page", ["app_pages/6_Ranker.py", "app_pages/7_Evaluation.py", "app_pages/8_Impact.py"])
def test_pages_that_need_the_full_matrix_say_so_plainly(store_app, page):
    at = _goto(_start(), page)
    text = _text(at)
    assert "Not available on a store-backed catalog" in text and "COLDREC_INDEX" in text


def test_without_the_extras_the_app_says_what_to_install(monkeypatch, tmp_path, tmp_path_factory):
    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path_factory.getbasetemp() / "coldrec-cache"))
    monkeypatch.setenv("COLDREC_INDEX", str(tmp_path / "not_installed.db"))
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import fails as if it were not installed
    monkeypatch.chdir(tmp_path)
    for page in (None, "app_pages/2_New_user.py", "app_pages/1_Catalog.py"):
        at = AppTest.from_file(APP, default_timeout=180).run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        errors = " ".join(e.value for e in at.error).replace("\\", "").replace("\u200b", "")
        assert "pip install -r requirements-scale.txt" in errors and "'pymilvus'" in errors, errors
        assert "COLDREC_INDEX is set" in errors and "Traceback" not in errors


def test_a_malformed_coldrec_index_is_refused_with_the_valid_forms(monkeypatch, tmp_path, tmp_path_factory):
    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path_factory.getbasetemp() / "coldrec-cache"))
    monkeypatch.setenv("COLDREC_INDEX", "http://localhost:19530/items")
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=180).run()
    home = " ".join(e.value for e in at.error).replace("\\", "").replace("\u200b", "")
    assert "COLDREC_INDEX" in home and "Pick another domain" not in home, home  # the store's fix, not the demos'
    at.switch_page("app_pages/2_New_user.py").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error).replace("\\", "").replace("\u200b", "")
    assert "COLDREC_INDEX: Bad index URI" in errors and "unknown scheme 'http'" in errors, errors
    assert "milvus://host:port/collection" in errors and "unset it" in errors
