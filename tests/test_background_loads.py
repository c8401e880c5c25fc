"""ui/resources.py's background loads: once per process, a failure is retried, pages wait only for start-up
work (the encoder, the default demo), never for a map or the UMAP compile."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("streamlit")


@pytest.fixture
def resources(monkeypatch):
    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    import ui.resources as r

    return r


def test_a_load_runs_once_and_a_failed_one_is_retried(resources):
    calls = []

    def job(x):
        calls.append(x)
        if len(calls) == 1:
            raise RuntimeError("first try fails")
        return x * 2

    key = ("test-job", id(calls))
    with pytest.raises(RuntimeError, match="first try"):
        resources.background(key, "A test job", job, 21)
    assert resources.background(key, "A test job", job, 21) == 42
    assert resources.background(key, "A test job", job, 21) == 42
    assert calls == [21, 21]


def test_pages_wait_for_start_up_loads_only(resources):
    gate = threading.Event()
    resources._submit(("map", "test", "m", 2, "umap"), "Fitting a test map", gate.wait)
    resources._submit(("demo", "test-domain", "x"), "Preparing a test demo", gate.wait)
    try:
        labels = [label for label, _ in resources.pending_loads()]
        assert "Preparing a test demo" in labels and "Fitting a test map" not in labels
    finally:
        gate.set()


def test_the_encoder_comes_from_the_background_load(resources):
    first = resources.encoder()
    assert resources.encoder() is first and first.name
