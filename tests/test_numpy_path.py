"""The torch-free inference path (issue 18, warm CLI ≤ 3 s): numpy BERT for small CPU batches, numpy ranker.

Fast tests hold the numpy forwards to the torch ones on tiny random networks (a random BERT saved by
transformers, rankers trained here); the slow ones hold the bundled MiniLM to cosine ≥ 0.99999 on every row of
220 varied texts, and check in fresh processes that a warm ``coldrec recommend`` prints exactly what the torch
path prints and never imports torch, sentence_transformers, transformers or sklearn.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from coldrec.encoders._base import EncoderConfig, default_model_path
from coldrec.encoders._bert import BertEncoder
from coldrec.errors import CheckpointError, ModelNotFoundError
from coldrec.ranking import MLPRanker, RankerConfig

from test_bert import _TEXTS, _tiny_folder, _varied_texts  # noqa: E402  (tests/ is on sys.path under pytest)

HEAVY = ("torch", "sentence_transformers", "transformers", "sklearn")


def _encoders(folder):
    """The same folder twice: the numpy path on, and off (torch)."""
    fast = BertEncoder(EncoderConfig(model=str(folder), device="cpu", precision="fp32"))
    ref = BertEncoder(EncoderConfig(model=str(folder), device="cpu", precision="fp32"))
    ref.numpy_max_texts = 0
    return fast, ref


def test_gelu_equals_torch_for_both_forms():
    import torch

    from coldrec.encoders._bert_numpy import _gelu

    x = np.linspace(-12, 12, 20001, dtype=np.float32)
    for approx in ("none", "tanh"):
        want = torch.nn.functional.gelu(torch.from_numpy(x), approximate=approx).numpy()
        assert np.abs(_gelu(x, approx) - want).max() < 1e-6, approx


@pytest.mark.parametrize("pooling,act,lower", [("mean", "gelu", False), ("cls", "gelu", True),
                                               ("max", "gelu_new", False), ("mean_sqrt", "gelu", False)])
def test_tiny_bert_numpy_equals_torch(tmp_path, pooling, act, lower):
    fast, ref = _encoders(_tiny_folder(tmp_path, pooling=pooling, act=act, lower=lower))
    texts = _TEXTS + ["word " * 40]  # padding and truncation (window 16) in one batch
    a, b = fast.encode(texts), ref.encode(texts)
    assert fast._torch_model is None and ref._torch_model is not None  # each ran the path it was told to
    blank = np.array([not t.strip() for t in texts])
    assert not np.abs(a[blank]).any()
    cos = (a[~blank] * b[~blank]).sum(axis=1)
    assert cos.min() >= 0.99999, cos
    assert fast.name == ref.name


def test_large_or_long_batches_keep_torch(tmp_path):
    fast, _ = _encoders(_tiny_folder(tmp_path))
    assert fast._numpy_path(["a lamp"] * 32) and not fast._numpy_path(["a lamp"] * 33)
    assert not fast._numpy_path(["x" * 5000])
    fast.device = "cuda"
    assert not fast._numpy_path(["a lamp"])


def test_misshaped_weights_name_the_tensor_and_the_fix(tmp_path):
    from safetensors.numpy import load_file, save_file

    folder = _tiny_folder(tmp_path)
    weights = load_file(str(folder / "model.safetensors"))
    weights["encoder.layer.0.intermediate.dense.bias"] = np.zeros(3, np.float32)
    save_file(weights, str(folder / "model.safetensors"))
    with pytest.raises(ModelNotFoundError, match=r"intermediate\.dense\.bias.*shape \(3,\).*force-reinstall"):
        BertEncoder(EncoderConfig(model=str(folder), device="cpu", precision="fp32"))


def test_pick_device_asks_torch_when_an_accelerator_may_exist(monkeypatch):
    import coldrec.encoders._base as base

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(base.os.path, "exists", lambda p: False)
    assert base._surely_cpu_only()
    monkeypatch.setattr(base.os.path, "exists", lambda p: p == "/dev/nvidiactl")
    assert not base._surely_cpu_only()
    monkeypatch.setattr(sys, "platform", "darwin")  # Apple MPS: only torch can tell
    monkeypatch.setattr(base.os.path, "exists", lambda p: False)
    assert not base._surely_cpu_only()


def test_torch_threads_are_recorded_and_reused(monkeypatch):
    import torch

    from coldrec.encoders import _calibrate

    n = _calibrate._torch_threads()
    assert n == torch.get_num_threads()
    path = _calibrate.calibration_path().with_name("torch-threads.json")
    (key,) = json.loads(path.read_text()).keys()
    path.write_text(json.dumps({key: n + 7}))
    monkeypatch.delitem(sys.modules, "torch")  # a process that has not imported torch trusts the record
    assert _calibrate._torch_threads() == n + 7


# --------------------------------------------------------------------------------------------- the ranker
def _planted(n_items=40, users=30, dim=12, seed=0):
    rng = np.random.default_rng(seed)
    E = rng.normal(size=(n_items, dim)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    pos = [[int(i) for i in rng.choice(n_items, size=3, replace=False)] for _ in range(users)]
    U = np.stack([E[p].mean(0) for p in pos]).astype(np.float32)
    return E, U / np.linalg.norm(U, axis=1, keepdims=True), pos


@pytest.mark.parametrize("features,hidden", [("concat", (16,)), ("rich", (16, 8)), ("rich", (8, 6, 4))])
def test_loaded_ranker_scores_on_numpy_like_torch(tmp_path, features, hidden):
    E, U, pos = _planted()
    pop = np.arange(len(E), dtype=np.float32)
    r = MLPRanker(RankerConfig(features=features, hidden=hidden, epochs=2, standardize=True, seed=5)).fit(
        E, U, pos, popularity=pop)
    r.save(tmp_path / "ck")
    loaded = MLPRanker.load(tmp_path / "ck")
    assert loaded._numpy_net is not None and loaded._torch_net is None and loaded.is_fitted
    got = loaded.score(E, U[2], pop)
    assert "torch" not in repr(type(got)) and loaded._torch_net is None  # scored without building torch
    np.testing.assert_allclose(got, r.score(E, U[2], pop), rtol=0, atol=1e-5)
    I, S = E[None].repeat(3, 0), np.random.default_rng(1).normal(size=(3, len(E), len(r.config.scalars)))
    np.testing.assert_allclose(loaded.score_batch(I, U[:3], S.astype(np.float32)),
                               r.score_batch(I, U[:3], S.astype(np.float32)), rtol=0, atol=1e-5)
    assert np.ptp(got) > 0  # not a constant


@pytest.mark.parametrize("features,hidden,scalars", [("concat", (16,), ()), ("rich", (16, 8), ("cosine",)),
                                                     ("rich", (8, 6, 4), ("cosine", "log_popularity")),
                                                     ("rich", (8,), ())])
def test_net_shapes_equal_the_torch_state_dict(features, hidden, scalars):
    import torch

    from coldrec.ranking._net import make_net, net_shapes

    with torch.device("meta"):
        net = make_net(24, len(scalars), features, hidden, 0.0, 0, 1.0)
    assert net_shapes(24, len(scalars), features, hidden) == {k: tuple(v.shape) for k, v in net.state_dict().items()}


def test_shipped_ranker_keeps_its_digest_check(tmp_path):
    from coldrec.demo import load_demo

    src = load_demo("ecommerce").ranker_path
    if not (src / "model.safetensors").is_file():
        pytest.skip("the ecommerce demo ships no ranker checkpoint")
    r = MLPRanker.load(src)
    assert r._numpy_net is not None
    U = np.random.default_rng(0).normal(size=(5, r.dim)).astype(np.float32)
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    np.testing.assert_allclose(r.score(U, U[0]), _torch_scores(src, U), rtol=0, atol=1e-5)
    shutil.copytree(src, tmp_path / "ck")
    data = bytearray((tmp_path / "ck" / "model.safetensors").read_bytes())
    data[-1] ^= 1  # one flipped bit in the last weight
    (tmp_path / "ck" / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="do not match their config: the SHA-256"):
        MLPRanker.load(tmp_path / "ck")


def _torch_scores(folder, U):
    r = MLPRanker.load(folder)
    _ = r._net  # build the torch net: from now on it scores
    assert r._numpy_net is None
    return r.score(U, U[0])


# ----------------------------------------------------------------------------------------- the real model
@pytest.mark.slow
def test_bundled_minilm_numpy_equals_torch_on_every_row():
    texts = _varied_texts()  # short, 400-word (cut at 256 tokens), accents, CJK, emoji, special-token text
    fast, ref = _encoders(default_model_path())
    live = [t for t in texts if t.strip()]
    a = np.concatenate([fast._numpy_encode(live[i:i + 16]) for i in range(0, len(live), 16)])
    b = ref.encode(live)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.99999, (cos.min(), live[int(np.argmin(cos))][:80])
    assert fast._torch_model is None and fast.name == ref.name


def _run_cli(env: dict, *args: str) -> tuple[str, list[str]]:
    """stdout of ``coldrec recommend`` in a fresh process, and which heavy packages it had imported at exit."""
    code = ("import runpy, sys; sys.argv = ['coldrec', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('coldrec.cli', run_name='__main__')\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            f"print('HEAVY', *[m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, "recommend", *args], capture_output=True, text=True,
                         env=env, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    body, _, heavy = out.stdout.rpartition("HEAVY")
    return body, heavy.split()


@pytest.mark.slow
def test_warm_cli_recommend_imports_no_torch_and_prints_what_torch_prints(tmp_path):
    import pandas as pd

    rows = [("a1", "Quiet wireless headphones with 30 h battery", "Audio"),
            ("a2", "A cast-iron pan for everyday vegetarian cooking", "Kitchen"),
            ("a3", "Garden hose with a brass spray nozzle, 30 m", "Garden"),
            ("a4", "Paperback novel: a slow-burning mystery on a night train", "Books"),
            ("a5", "Kopfhörer für die Bahn — leise und leicht", "Audio"),
            ("a6", "Bamboo chopping board trio for a small kitchen", "Kitchen")]
    path = tmp_path / "tiny.csv"
    pd.DataFrame(rows, columns=["id", "description", "category"]).to_csv(path, index=False)
    env = {**os.environ, "COLDREC_CACHE": str(tmp_path / "cache"), "COLDREC_PRECISION": "fp32"}
    for args in (["--catalog", str(path), "-k", "4", "--describe", "I cook a lot and take the train"],
                 ["--domain", "ecommerce", "-k", "10", "--describe", "small flat, cook a lot, vegetarian"]):
        want, heavy_torch = _run_cli({**env, "COLDREC_NUMPY_PATH": "0"}, *args)  # cold: fills the cache
        assert "torch" in heavy_torch  # the reference really ran torch
        got, heavy = _run_cli(env, *args)  # warm
        assert heavy == [], heavy
        assert got == want and len(got.splitlines()) >= 4, (got, want)
