"""Home page: which encoder is active, how it was chosen, which languages it covers — and the picker follows it.

The real encoders are replaced by hash encoders carrying the real models' names (so the language coverage and the
English-only notice behave as with the real ones) and the process-wide background loads start empty, so these
tests run in seconds and never see an encoder another test loaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_helpers import hash_app_env, ok

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
ZH = ("demo", "music-zh")
NAMES = {"minilm": "all-MiniLM-L6-v2@fake", "multilingual": "multilingual-e5-small-q4@fake"}
SWITCH = "Use the multilingual encoder for this session"


def _named_hash(kind: str):
    from coldrec.encoders import HashEncoder

    enc = HashEncoder(dim=32)
    if kind != "hash":
        enc.name = NAMES.get(kind or "minilm") or f"{Path(kind).name}-fake"
    return enc


@pytest.fixture(autouse=True)
def _fake_encoders(monkeypatch, tmp_path_factory):
    import ui.loading
    import ui.resources

    hash_app_env(monkeypatch, tmp_path_factory)
    monkeypatch.delenv("COLDREC_ENCODER")
    built: list[str] = []
    monkeypatch.setattr(ui.resources, "_build_encoder", lambda kind: built.append(kind) or _named_hash(kind))
    monkeypatch.setattr(ui.loading, "_LOADS", {})
    return built


def start(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    return ok(at.run())


def status(at: AppTest) -> dict[str, str]:
    """The Home page's ``**what:** value`` lines (Markdown escapes removed)."""
    out = {}
    for m in at.markdown:
        text = m.value.replace("\\", "").replace("\u200b", "")
        if text.startswith("**") and ":** " in text:
            what, value = text[2:].split(":** ", 1)
            out[what] = value
    return out


def english_notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "English-only" in w.value.replace("\\", "")]


def test_one_click_switch_moves_the_home_picker_and_labels(_fake_encoders):
    at = start(coldrec_source=ZH)
    assert at.radio(key="home_encoder").value == "minilm"
    row = status(at)
    assert row["Encoder"] == "MiniLM (English)" and row["Languages"] == "English only"
    assert row["Chosen by"].startswith("the default") and row["Model"] == NAMES["minilm"]
    assert len(english_notices(at)) == 1  # the Chinese catalog on an English-only encoder

    next(b for b in at.button if b.label == SWITCH).click().run()
    ok(at)
    assert at.radio(key="home_encoder").value == "multilingual"  # the picker shows the active encoder
    row = status(at)
    assert row["Model"] == NAMES["multilingual"] and row["Encoder"].startswith("multilingual-e5-small")
    assert "Chinese" in row["Languages"] and "one-click" in row["Chosen by"]
    assert not english_notices(at)
    assert "multilingual-e5-small" in at.sidebar.caption[0].value.replace("\\", "")

    # Picking MiniLM again really switches back (the stale picker could not: it already said MiniLM).
    at.radio(key="home_encoder").set_value("minilm").run()
    ok(at)
    row = status(at)
    assert row["Model"] == NAMES["minilm"] and row["Chosen by"] == "picked on Home for this session"
    assert at.radio(key="home_encoder").value == "minilm" and len(english_notices(at)) == 1
    assert _fake_encoders.count("multilingual") == 1  # one build per process, reused after switching back


def test_multilingual_from_the_environment(monkeypatch):
    monkeypatch.setenv("COLDREC_ENCODER", "multilingual")
    at = start(coldrec_source=ZH)
    row = status(at)
    assert at.radio(key="home_encoder").value == "multilingual"
    assert row["Encoder"].startswith("multilingual-e5-small") and "Chinese" in row["Languages"]
    assert row["Chosen by"] == "set by the server (COLDREC_ENCODER=multilingual)"
    assert "local folder" not in " ".join(status(at).values())
    assert not english_notices(at)


def test_local_folder_is_named_not_shown(monkeypatch, tmp_path):
    folder = tmp_path / "secret-place" / "my-zh-model"
    monkeypatch.setenv("COLDREC_ENCODER", str(folder))
    at = start(coldrec_source=ZH)
    row = status(at)
    assert not [r for r in at.radio if r.key == "home_encoder"]  # a folder is the server's choice: no picker
    assert row["Encoder"] == "local folder my-zh-model"
    assert row["Chosen by"] == "set by the server (COLDREC_ENCODER=<folder my-zh-model>)"
    assert row["Languages"].startswith("as trained")
    page = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "secret-place" not in page
