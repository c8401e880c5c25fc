"""The per-machine precision calibration (issue 18), with fake encoders: no model, no timing assertions."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from coldrec.encoders import _calibrate as cal
from coldrec.encoders import HashEncoder, describe_precision


class _Fake:
    """An encoder whose speed and fidelity are set: ``delay`` seconds per call, ``noise`` added to the vectors."""

    def __init__(self, delay: float, noise: float = 0.0) -> None:
        self.delay, self.noise, self.calls, self.base = delay, noise, 0, HashEncoder(dim=32)

    def encode(self, texts):
        self.calls += 1
        key = tuple(texts)
        if key not in _VECS:  # hashed once per test session: the sleep alone sets the speed, even on a busy box
            _VECS[key] = self.base.encode(texts)
        time.sleep(self.delay)
        v = _VECS[key]
        if self.noise:
            v = v + self.noise * np.random.default_rng(0).standard_normal(v.shape).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
        return v


_VECS: dict = {}


@pytest.fixture
def amx(monkeypatch):
    cal._MEMO.clear()
    monkeypatch.setattr(cal, "cpu_info", lambda: ("Test Xeon", frozenset({"amx_bf16", "avx512f"})))
    monkeypatch.setattr(cal, "_torch_threads", lambda: 2)
    yield
    cal._MEMO.clear()


def _maker(made: list, speeds: dict, noise: float = 0.0):
    def make(precision):
        made.append(precision)
        return _Fake(speeds[precision], noise if precision != "fp32" else 0.0)
    return make


def test_candidates_follow_the_cpu_flags():
    assert cal.candidates({"amx_bf16", "avx512_vnni"}) == ["bf16"]
    assert cal.candidates({"avx512_bf16"}) == ["bf16"]
    assert cal.candidates({"avx512_vnni", "avx2"}) == ["int8"] == cal.candidates({"avx_vnni"})
    assert cal.candidates({"avx512_vnni"}, onnx=False) == [] == cal.candidates({"avx2"})


def test_calibration_keeps_a_faster_faithful_path_and_records_it(amx):
    made: list = []
    choice = cal.choose_precision(_maker(made, {"fp32": 0.05, "bf16": 0.001}), "model@1")
    assert choice.precision == "bf16" and choice.cosine > 0.999 and choice.speedup > cal.MIN_SPEEDUP
    assert "bf16" in choice.reason and "fp32" in choice.reason and describe_precision() == choice.reason
    entry = json.loads(cal.calibration_path().read_text())[choice.key]
    assert entry["cpu"] == "Test Xeon" and entry["precision"] == "bf16" and "torch" in entry["versions"]
    cal._MEMO.clear()  # a new process: the file answers, nothing is measured again
    again = cal.choose_precision(_maker(made, {"fp32": 0.05, "bf16": 0.001}), "model@1")
    assert (again.precision, again.reason) == (choice.precision, choice.reason) and made == ["fp32", "bf16"]


def test_calibration_is_redone_when_the_machine_or_model_changes(amx, monkeypatch):
    made: list = []
    first = cal.choose_precision(_maker(made, {"fp32": 0.05, "bf16": 0.001}), "model@1")
    cal._MEMO.clear()
    monkeypatch.setattr(cal, "cpu_info", lambda: ("Another Xeon", frozenset({"amx_bf16"})))
    second = cal.choose_precision(_maker(made, {"fp32": 0.05, "bf16": 0.001}), "model@1")
    third = cal.choose_precision(_maker(made, {"fp32": 0.05, "bf16": 0.001}), "model@2")
    assert len({first.key, second.key, third.key}) == 3 and made.count("fp32") == 3


def test_an_unfaithful_or_slower_path_falls_back_to_fp32_and_says_why(amx):
    bad = cal.choose_precision(_maker([], {"fp32": 0.05, "bf16": 0.001}, noise=1.0), "model@noisy")
    assert bad.precision == "fp32" and "cosine" in bad.reason and "bf16" in bad.reason
    slow = cal.choose_precision(_maker([], {"fp32": 0.001, "bf16": 0.02}), "model@slow")
    assert slow.precision == "fp32" and "no faster path" in slow.reason


def test_no_candidate_means_fp32_without_measuring(amx, monkeypatch):
    monkeypatch.setattr(cal, "cpu_info", lambda: ("Old CPU", frozenset({"avx2"})))
    made: list = []
    choice = cal.choose_precision(_maker(made, {}), "model@1")
    assert choice.precision == "fp32" and made == [] and "neither" in choice.reason


def test_cuda_is_fp16_and_a_read_only_cache_still_chooses(amx, monkeypatch, tmp_path):
    assert cal.choose_precision(lambda p: None, "m", device="cuda:0").precision == "fp16"
    blocker = tmp_path / "a-file"
    blocker.write_text("x")  # the cache folder cannot be created: the choice holds for this process only
    monkeypatch.setattr(cal, "calibration_path", lambda: blocker / "calibration.json")
    assert cal.choose_precision(_maker([], {"fp32": 0.05, "bf16": 0.001}), "m").precision == "bf16"


def test_describe_precision_of_an_encoder():
    enc = HashEncoder()
    assert "no model precision" in describe_precision(enc)
    enc.precision_reason = "bf16: measured 2.9× fp32"
    assert describe_precision(enc) == "bf16: measured 2.9× fp32"


def test_calibration_texts_are_fixed():
    a, b = cal.calibration_texts(), cal.calibration_texts()
    assert a == b and len(a) == 200 and all(4 <= len(t.split()) <= 40 for t in a)
