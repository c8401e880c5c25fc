"""The native torch BERT (coldrec/encoders/_bert.py) against the transformers path it replaces (issue 18 point 3).

Fast tests build a tiny random BERT folder with transformers (the test only) and compare both encoders on it; the
slow ones hold the bundled MiniLM to cosine ≥ 0.99999 on every row of 200+ varied texts (the bar for keeping the
cache identity) and check in a fresh process that the default path never imports transformers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from coldrec.encoders import load_encoder
from coldrec.encoders._base import EncoderConfig, default_model_path
from coldrec.encoders._bert import BertEncoder, native_folder
from coldrec.encoders._transformers import TransformersEncoder
from coldrec.errors import ModelNotFoundError

_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
_TEXTS = ["  Quiet wireless HEADPHONES  ", "hi", ".", "a", "Ein leiser Kopfhörer für die Bahn — 30 Stunden Akku",
          "word " * 40, "garden hose, spray nozzle; 30 m!", "日本語のテキスト", "", "   ", "x" * 300]


def _tiny_folder(path, pooling="mean", act="gelu", window=16, lower=False):
    """A random 2-layer BERT saved by transformers, with the bundled model's real tokenizer files."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=64, hidden_act=act, layer_norm_eps=1e-7,
                     initializer_range=0.5)  # large weights: a wrong GELU form or eps shows in the hidden states
    BertModel(cfg).save_pretrained(str(path), safe_serialization=True)
    for name in _TOKENIZER_FILES:
        shutil.copy(default_model_path() / name, path / name)
    mods = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
    (path / "modules.json").write_text(json.dumps(mods))
    (path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": window, "do_lower_case": lower}))
    (path / "1_Pooling").mkdir()
    (path / "1_Pooling" / "config.json").write_text(json.dumps({f"pooling_mode_{pooling}_tokens": True}
                                                               if pooling != "cls" else
                                                               {"pooling_mode_cls_token": True}))
    return path


def _both(folder, precision="fp32"):
    cfg = dict(model=str(folder), device="cpu", precision=precision)
    return BertEncoder(EncoderConfig(**cfg)), TransformersEncoder(EncoderConfig(**cfg))


@pytest.mark.parametrize("pooling,act,lower", [("mean", "gelu", False), ("cls", "gelu", True),
                                               ("max", "gelu_new", False)])
def test_tiny_bert_equals_the_transformers_path(tmp_path, pooling, act, lower):
    folder = _tiny_folder(tmp_path, pooling=pooling, act=act, lower=lower)
    native, ref = _both(folder)
    a, b = native.encode(_TEXTS), ref.encode(_TEXTS)
    blank = np.array([not t.strip() for t in _TEXTS])
    assert not np.abs(a[blank]).any() and not np.abs(b[blank]).any()  # blank texts: zero rows on both paths
    cos = (a[~blank] * b[~blank]).sum(axis=1)
    assert cos.min() >= 0.99999, cos
    assert np.allclose(np.linalg.norm(a[~blank], axis=1), 1.0, atol=1e-5)
    assert native.count_truncated(_TEXTS) == ref.count_truncated(_TEXTS) >= 2  # window 16: long ones are cut
    assert native.name == ref.name and native.dim == ref.dim == 32 and native.max_seq_length == 16


def test_tiny_bert_tokenises_like_transformers(tmp_path):
    native, ref = _both(_tiny_folder(tmp_path, lower=True))
    texts = ["  Hello, World!  ", "word " * 40, "ü"]
    mine, theirs = native._tokenize(texts), ref._tokenize(texts)
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert mine[key].tolist() == theirs[key].tolist(), key


def test_tiny_bert_hidden_states_equal_transformers(tmp_path):
    import torch

    native, ref = _both(_tiny_folder(tmp_path, act="gelu"))
    batch = ref._tokenize(["  Hello, World!  ", "word " * 40, "a"])  # padding in rows 0 and 2
    with torch.inference_mode():
        mine, theirs = native.model(**batch).last_hidden_state, ref.model(**batch).last_hidden_state
    keep = batch["attention_mask"].bool()
    assert torch.allclose(mine[keep], theirs[keep], atol=1e-5, rtol=1e-5), (mine - theirs).abs().max()


def test_tiny_bert_bf16_keeps_the_fidelity_bar(tmp_path):
    import torch

    folder = _tiny_folder(tmp_path)
    fast, exact = BertEncoder(EncoderConfig(model=str(folder), device="cpu", precision="bf16")), _both(folder)[0]
    assert next(fast.model.parameters()).dtype == torch.bfloat16 and fast.name.endswith("+bf16")
    cos = (fast.encode(_TEXTS[:8]) * exact.encode(_TEXTS[:8])).sum(axis=1)
    assert cos.min() >= 0.99, cos


def test_other_folders_keep_the_transformers_path(tmp_path):
    folder = _tiny_folder(tmp_path)
    assert native_folder(folder) and type(load_encoder(str(folder), device="cpu", precision="fp32")) is BertEncoder
    cfg = json.loads((folder / "config.json").read_text())
    for change in ({"model_type": "roberta"}, {"hidden_act": "silu"}, {"position_embedding_type": "relative_key"}):
        (folder / "config.json").write_text(json.dumps({**cfg, **change}))
        assert not native_folder(folder), change
    (folder / "config.json").write_text(json.dumps(cfg))
    (folder / "tokenizer.json").unlink()  # vocab.txt stays: transformers' tokenizer still reads it
    assert not native_folder(folder)
    assert type(load_encoder(str(folder), device="cpu", precision="fp32")) is TransformersEncoder


def test_damaged_weights_name_the_folder_and_the_fix(tmp_path):
    from safetensors.torch import load_file, save_file

    folder = _tiny_folder(tmp_path)
    weights = load_file(str(folder / "model.safetensors"))
    weights.pop("encoder.layer.1.output.dense.weight")
    save_file(weights, str(folder / "model.safetensors"))
    with pytest.raises(ModelNotFoundError, match=r"Could not load the model in .*force-reinstall"):
        BertEncoder(EncoderConfig(model=str(folder), device="cpu", precision="fp32"))


def _varied_texts() -> list[str]:
    """220 texts written here: short, long (over the 256-token window), punctuation, accents, CJK, empty-ish."""
    words = ("quiet wireless headphones garden hose vegetarian cookbook budget flat train battery rose hedge "
             "saucepan running sweat resistant lamp reading novel jazz vinyl kids puzzle hiking boots").split()
    rng = np.random.default_rng(18)
    out = ["", " ", "\n\t", ".", "-", "a", "?!", "   x   ", "ü", "日本", "🙂", "[CLS]", "[SEP] [PAD]"]
    for i in range(207):
        n = int(rng.choice([1, 3, 8, 20, 60, 400]))  # 400 words: cut at 256 tokens
        text = " ".join(rng.choice(words, size=n))
        if i % 3 == 0:
            text = text.upper() + "!!"
        if i % 5 == 0:
            text = f"  Ein leiser Kopfhörer — {text}, café naïve 30€ "
        out.append(text)
    return out


@pytest.mark.slow
def test_bundled_minilm_native_equals_the_transformers_path_on_every_row():
    texts = _varied_texts()
    assert len(texts) >= 200
    native, ref = _both(default_model_path())
    assert type(load_encoder(device="cpu", precision="fp32")) is BertEncoder
    a, b = native.encode(texts), ref.encode(texts)
    blank = np.array([not t.strip() for t in texts])
    assert not np.abs(a[blank]).any() and not np.abs(b[blank]).any()
    cos = (a[~blank] * b[~blank]).sum(axis=1)
    assert cos.min() >= 0.99999, (cos.min(), texts[int(np.argmin(cos))][:80])  # the bar for the cache identity
    assert native.name == ref.name  # so vectors cached by the transformers path stay valid
    assert native.count_truncated(texts) == ref.count_truncated(texts) > 0


@pytest.mark.slow
def test_default_path_never_imports_transformers(tmp_path):
    code = ("import sys, coldrec; e = coldrec.load_encoder(); v = e.encode(['hello', 'a red lamp']); "
            "print(type(e).__name__, v.shape, 'transformers' in sys.modules, 'sentence_transformers' in sys.modules)")
    env = {**os.environ, "COLDREC_CACHE": str(tmp_path), "COLDREC_PRECISION": "fp32"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["BertEncoder", "(2,", "384)", "False", "False"]
