"""Shared set-up of the AppTest files: the app on the hash encoder with private folders, and the no-error check."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest


def hash_app_env(monkeypatch, tmp_path_factory) -> Path:
    """Hash encoder, a private embedding cache and user-data folder, and a scratch working folder (returned)."""
    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path_factory.getbasetemp() / "coldrec-cache"))
    monkeypatch.setenv("COLDREC_USER_DATA", str(tmp_path_factory.mktemp("user-data")))
    work = tmp_path_factory.mktemp("work")
    monkeypatch.chdir(work)
    return work


def ok(at: AppTest) -> AppTest:
    """``at`` after asserting the run raised nothing and showed no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at
