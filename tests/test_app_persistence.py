"""Issue 17, point 5 — nothing lost: an upload and its column mapping survive a refresh and a server restart (kept
per session on disk, keyed by the random token in the URL, with an expiry); saved rankers live in the session's
folder in the per-user data folder and are listed to that session only.

A refresh or a restart is a new AppTest (a new Streamlit session, nothing in memory) opened on the same URL
(``?s=<token>``); another browser is a new AppTest without it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from streamlit.testing.v1 import AppTest  # noqa: E402

from coldrec.catalog import SessionStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ROWS = ["sku,name,blurb,dept"] + [
    f"s{i},Item {i},{word} thing number {i} for people who like {word},{dept}"
    for i, (word, dept) in enumerate([("tea", "Drinks"), ("coffee", "Drinks"), ("hiking", "Outdoor"),
                                      ("tent", "Outdoor"), ("novel", "Books"), ("poetry", "Books")] * 3)]


@pytest.fixture(autouse=True)
def _fast_app(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path_factory.getbasetemp() / "coldrec-cache"))
    monkeypatch.chdir(tmp_path_factory.mktemp("work"))


def open_app(token: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if token:
        at.query_params["s"] = token
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def goto(at: AppTest, page: str) -> AppTest:
    return ok(at.switch_page(page).run())


def upload_and_validate() -> AppTest:
    at = goto(open_app(), "app_pages/1_Catalog.py")
    ok(at.get("file_uploader")[0].upload("shop.csv", "\n".join(ROWS).encode(), "text/csv").run())
    at.selectbox(key="cat_category").set_value("dept")
    [button] = [b for b in at.get("form_submit_button") if b.label == "Validate"]
    return ok(button.click().run())


def test_a_validated_upload_and_its_mapping_survive_a_refresh_then_embed():
    first = upload_and_validate()
    token = first.session_state["coldrec_token"]
    assert first.query_params["s"] == token and SessionStore.valid_token(token)
    again = goto(open_app(token), "app_pages/1_Catalog.py")  # refresh (or restart) before pressing Embed
    [kept] = [i.value for i in again.info if "Kept from before the refresh" in i.value]
    assert "shop" in kept and "category ← dept" in kept and "18 items" in kept
    ok(again.button(key="cat_embed").click().run())
    assert again.session_state["coldrec_source"][0] == "upload"
    assert set(again.session_state["coldrec_uploads"][again.session_state["coldrec_source"][1]].categories) == \
        {"Drinks", "Outdoor", "Books"}  # the mapping was kept: dept is the category


def test_the_session_catalog_survives_a_restart_and_stays_private():
    at = upload_and_validate()
    ok(at.button(key="cat_embed").click().run())
    token, src = at.session_state["coldrec_token"], at.session_state["coldrec_source"]
    restarted = open_app(token)  # a new server process has only the disk: the same URL finds the catalog
    assert restarted.session_state["coldrec_source"] == src
    assert any("shop" in c.value for c in restarted.sidebar.caption)
    other = open_app()  # another browser: a new token, its own (empty) folder
    assert other.session_state["coldrec_token"] != token
    assert other.session_state["coldrec_source"] == ("demo", "ecommerce")
    assert not other.session_state["coldrec_uploads"]


def test_a_bad_token_in_the_url_is_replaced_never_used_as_a_path():
    at = open_app("../../etc")
    token = at.session_state["coldrec_token"]
    assert token != "../../etc" and SessionStore.valid_token(token) and at.query_params["s"] == token


def test_sessions_expire_after_their_ttl(tmp_path):
    store = SessionStore(tmp_path, ttl_days=1)
    old, fresh = store.new_token(), store.new_token()
    for tok in (old, fresh):
        store.write_state(tok, {"source": ["demo", "news"]})
    past = time.time() - 2 * 86400
    os.utime(store.folder(old) / "state.json", (past, past))
    assert store.read_state(old) == {} and store.read_state(fresh) == {"source": ["demo", "news"]}
    assert store.sweep() == [old] and not store.folder(old).exists() and store.folder(fresh).exists()


def _tiny_ranker():
    from coldrec.encoders import HashEncoder
    from coldrec.ranking import MLPRanker, RankerConfig

    rng = np.random.default_rng(0)
    d = HashEncoder().dim
    items, users = rng.standard_normal((40, d)).astype(np.float32), rng.standard_normal((8, d)).astype(np.float32)
    return MLPRanker(RankerConfig(epochs=1, hidden=(8,))).fit(items, users, [[i, i + 8] for i in range(8)])


def test_saved_rankers_are_listed_to_their_session_only_and_the_radio_shows_the_loaded_one():
    from coldrec.ranking import save_named

    owner = open_app()
    folder = SessionStore().rankers(owner.session_state["coldrec_token"])
    assert str(folder).startswith(os.environ["COLDREC_USER_DATA"])  # the per-user data folder, not the install
    save_named(_tiny_ranker(), "mine", folder)
    goto(owner, "app_pages/6_Ranker.py")
    assert owner.radio(key="rk_choice").value == "default"
    owner.selectbox(key="rk_saved").set_value("mine")
    ok(owner.button(key="rk_load_saved").click().run())
    assert owner.session_state["coldrec_rankers"]["demo:ecommerce"][0] == "loaded from files (mine)"
    assert owner.radio(key="rk_choice").value == "loaded"  # the radio says what the pages now use
    other = goto(open_app(), "app_pages/6_Ranker.py")
    assert "rk_saved" not in [s.key for s in other.selectbox]  # nothing saved in this session: no list at all
