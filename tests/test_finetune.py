"""Encoder fine-tuning (issue 13 point 2): a planted code-word mapping is learned, the folder loads offline with the
same vectors, runs are seeded, only the top layers change, each fine-tune is its own cache key, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coldrec.cli import main
from coldrec.encoders import EmbeddingCache, FineTuneConfig, embed_texts, load_encoder, read_finetune_info
from coldrec.errors import ColdrecError
from coldrec.ranking import fine_tune, load_interactions, log_pairs

# Items carry nonsense code words; users name a word the base model cannot link to them (the planted mapping).
CODES = ["blorptak", "quazzle", "vindrop", "zemtrix", "florbin", "graxel", "mupwick", "snelth"]
WORDS = ["sunrise", "thunder", "velvet", "glacier", "cinnamon", "harbor", "meadow", "lantern"]
NOUNS = ["box", "kit", "pack", "set", "case"]
TEMPLATES = ["I am into {w}", "anything {w} please", "my favourite thing is {w}"]
CFG = dict(epochs=3, batch_size=16, lr=1e-4, max_seq_length=16, patience=3, validation_fraction=0.25, seed=0)


def _pairs() -> list[tuple[str, str]]:
    return [(t.format(w=w), f"the {c} {n}") for c, w in zip(CODES, WORDS) for t in TEMPLATES for n in NOUNS]


def _tensors(folder):
    from safetensors.numpy import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    out = tmp_path_factory.mktemp("ft") / "model"
    return fine_tune(None, _pairs(), out=out, config=FineTuneConfig(**CFG))


def test_fine_tuning_learns_the_planted_mapping(tuned):
    assert [r["epoch"] for r in tuned.history] == [0, 1, 2, 3]
    assert tuned.val_recall_before == tuned.history[0]["val_recall"] < 0.6  # the base model does not know it
    assert tuned.val_recall_after >= tuned.val_recall_before + 0.3
    assert tuned.val_recall_after == max(r["val_recall"] for r in tuned.history)
    assert tuned.history[tuned.best_epoch]["val_recall"] == tuned.val_recall_after
    assert tuned.train_pairs + tuned.val_pairs == len(_pairs()) and tuned.val_pairs == 30


def test_saved_folder_loads_offline_with_the_same_vectors(tuned):
    from coldrec.encoders import default_model_path

    enc = load_encoder(model=str(tuned.folder), device="cpu", precision="fp32")
    few, many = ["anything velvet please", "the graxel kit"], [f"the {c} {n}" for c in CODES for n in NOUNS]
    for texts in (few, many):  # the numpy path (few texts) and the torch path (over 32)
        assert np.array_equal(enc.encode(texts), tuned.encoder.encode(texts))
    assert enc.name == tuned.encoder.name and enc.name.startswith("model@")
    base_file, new = _tensors(default_model_path()), _tensors(tuned.folder)
    assert {k: (v.dtype, v.shape) for k, v in base_file.items()} == {k: (v.dtype, v.shape) for k, v in new.items()}
    info = read_finetune_info(tuned.folder)
    assert info["config"]["layers"] == 2 and info["metrics"]["best_epoch"] == tuned.best_epoch
    assert info["base"]["name"].startswith("all-MiniLM-L6-v2@") and len(info["data_fingerprint"]) == 64
    import hashlib

    assert info["weights_sha256"] == hashlib.sha256((tuned.folder / "model.safetensors").read_bytes()).hexdigest()


def test_only_the_top_layers_change(tuned):
    from coldrec.encoders import default_model_path

    base, new = _tensors(default_model_path()), _tensors(tuned.folder)
    changed = {k for k in base if not np.array_equal(base[k], new[k])}
    top = {k for k in base if k.startswith(("encoder.layer.4.", "encoder.layer.5."))}
    assert changed <= top
    for layer in (4, 5):
        assert any(k.startswith(f"encoder.layer.{layer}.") for k in changed)
    assert "encoder.layer.4.attention.self.query.weight" in changed
    assert sorted(read_finetune_info(tuned.folder)["trained_tensors"]) == sorted(top)


def test_seeded_runs_give_identical_weights(tuned, tmp_path):
    again = fine_tune(None, _pairs(), out=tmp_path / "again", config=FineTuneConfig(**CFG))
    first, second = _tensors(tuned.folder), _tensors(again.folder)
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert [(r["val_recall"], r["loss"]) for r in again.history[1:]] == [(r["val_recall"], r["loss"])
                                                                         for r in tuned.history[1:]]


def test_each_fine_tune_is_its_own_cache_key_and_stop_is_honoured(tuned, tmp_path):
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) >= 3

    other = fine_tune(None, _pairs(), out=tmp_path / "model", config=FineTuneConfig(**{**CFG, "seed": 1}),
                      should_stop=stop)
    assert other.stopped == "asked" and len(other.history) == 2 and len(calls) == 3
    a = load_encoder(model=str(tuned.folder), device="cpu", precision="fp32")
    b = load_encoder(model=str(other.folder), device="cpu", precision="fp32")
    base = load_encoder(device="cpu", precision="fp32")
    assert len({a.name, b.name, base.name}) == 3  # same folder name "model", different weights: different keys
    cache = EmbeddingCache(tmp_path / "cache")
    texts = ["the zemtrix box", "I am into glacier"]
    assert embed_texts(a, texts, cache).encoded == 2
    res_b = embed_texts(b, texts, cache)
    assert res_b.cached == 0 and res_b.encoded == 2
    assert embed_texts(a, texts, cache).cached == 2


def test_bad_inputs_name_the_value_and_the_fix(tmp_path):
    with pytest.raises(ColdrecError, match=r"FineTuneConfig.layers=0 is out of range: give at least 1"):
        FineTuneConfig(layers=0)
    with pytest.raises(ColdrecError, match=r"validation_fraction=1.5 is out of range"):
        FineTuneConfig(validation_fraction=1.5)
    with pytest.raises(ColdrecError, match=r"layers=7 but .* has 6 layers: give 1 to 6"):
        fine_tune(None, _pairs(), out=tmp_path / "x", config=FineTuneConfig(layers=7))
    with pytest.raises(ColdrecError, match=r"needs pairs=.* or catalog= and interactions="):
        fine_tune(None, out=tmp_path / "x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a.txt").write_text("x")
    with pytest.raises(ColdrecError, match=r"exists and is not empty; choose a new folder or pass --force"):
        fine_tune(None, _pairs(), out=tmp_path / "full")
    with pytest.raises(ColdrecError, match=r"'hash' does not exist"):
        fine_tune("hash", _pairs(), out=tmp_path / "y")


def _files(tmp_path):
    items = pd.DataFrame([(f"{c}-{n}", f"the {c} {n}", "gadgets") for c in CODES for n in NOUNS],
                         columns=["item_id", "title", "category"])
    users = pd.DataFrame([(f"u{g}{t}", TEMPLATES[t].format(w=w)) for g, w in enumerate(WORDS) for t in range(3)],
                         columns=["user_id", "description"])
    log = pd.DataFrame([(f"u{g}{t}", f"{c}-{n}", i) for g, c in enumerate(CODES) for t in range(3)
                        for i, n in enumerate(NOUNS)], columns=["user_id", "item_id", "timestamp"])
    paths = {name: tmp_path / f"{name}.csv" for name in ("items", "users", "log")}
    for name, df in (("items", items), ("users", users), ("log", log)):
        df.to_csv(paths[name], index=False)
    return paths


def test_log_pairs_keep_validation_users_out_of_training(tmp_path):
    from coldrec.catalog import load_catalog

    p = _files(tmp_path)
    catalog = load_catalog(p["items"])
    log = load_interactions(p["log"], known_items=catalog.ids)
    users = dict(pd.read_csv(p["users"]).values)
    train, valid, info = log_pairs(catalog, log, users, FineTuneConfig(validation_fraction=0.25))
    assert info["validation_users"] == 6 and info["users"] == 24
    val_queries = {q for q, _ in valid if q in users.values()}
    assert val_queries and not val_queries & {q for q, _ in train}
    assert len(train) + len(valid) == 24 * (5 + 4)  # description → each item, each item → the next


def test_cli_fine_tune_writes_a_loadable_folder(tmp_path, capsys):
    p = _files(tmp_path)
    out = tmp_path / "ft"
    code = main(["fine-tune", "--catalog", str(p["items"]), "--interactions", str(p["log"]), "--users",
                 str(p["users"]), "--out", str(out), "--epochs", "1", "--batch-size", "16", "--max-seq-length", "16",
                 "--val-fraction", "0.25"])
    res = capsys.readouterr()
    assert code == 0, res.err
    assert (out / "model.safetensors").is_file() and (out / "coldrec_finetune.json").is_file()
    assert "val recall@10" in res.err and "left" in res.err and f"--model {out}" in res.out
    assert json.loads((out / "coldrec_finetune.json").read_text())["data"]["source"] == "log"
    assert load_encoder(model=str(out), device="cpu", precision="fp32").encode(["the snelth kit"]).shape == (1, 384)


@pytest.mark.parametrize("extra, message", [
    (["--layers", "9"], "FineTuneConfig.layers=9 but 'all-MiniLM-L6-v2' has 6 layers: give 1 to 6"),
    (["--lr", "0"], "FineTuneConfig.lr=0.0 is out of range: give between 0 and 1"),
    (["--model", "hash"], "Model folder 'hash' does not exist"),
])
def test_cli_fine_tune_bad_input_is_one_line_without_traceback(tmp_path, capsys, extra, message):
    p = _files(tmp_path)
    code = main(["fine-tune", "--catalog", str(p["items"]), "--interactions", str(p["log"]),
                 "--out", str(tmp_path / "ft"), *extra])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "ft").exists()


@pytest.mark.slow
def test_sentence_transformers_loads_the_folder_with_the_same_vectors(tuned):
    st = pytest.importorskip("sentence_transformers")
    model = st.SentenceTransformer(str(tuned.folder), device="cpu", local_files_only=True)
    texts = ["anything velvet please", "the graxel kit"]
    cos = (model.encode(texts, normalize_embeddings=True) * tuned.encoder.encode(texts)).sum(1)
    assert cos.min() > 0.9999
