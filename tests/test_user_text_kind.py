"""Train/serve consistency for asymmetric encoders (E5): every path that encodes user-side text (profiles, the
what-if / fairness probe, feedback, the new-item audience, ranker training data, the evaluation cache) asks for
``kind="query"``, every item text for ``kind="passage"``."""

from __future__ import annotations

import numpy as np
import pytest

from coldrec.encoders import HashEncoder


class RecordingEncoder(HashEncoder):
    """An asymmetric hash encoder that records the kind of every text it encodes; queries and passages of the
    same text get different vectors, as with E5's prefixes."""

    asymmetric = True

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.name = "recording-e5"
        self.seen: list[tuple[str, str]] = []

    def encode(self, texts, *, progress=None, kind="passage"):
        self.seen.extend((kind, str(t)) for t in texts)
        return super().encode([f"{kind}: {t}" for t in texts])

    def kinds(self, texts) -> set[str]:
        wanted = set(texts)
        return {k for k, t in self.seen if t in wanted}


@pytest.fixture
def rec(tiny_catalog):
    from coldrec.recommend import Recommender

    enc = RecordingEncoder()
    r = Recommender.from_catalog(tiny_catalog, enc, cache=None)
    assert enc.kinds(tiny_catalog.texts) == {"passage"}  # items
    enc.seen.clear()
    return r


def test_profiles_encode_the_user_side_as_queries(rec):
    from coldrec.retrieval import UserInput, build_profile

    text = "Quiet headphones for the train. Also a small cookbook."
    p = build_profile(UserInput(text, history=["a garden hose"]), rec.encoder, rec.item_vectors,
                      rec.catalog.id_to_row)
    assert {k for k, _ in rec.encoder.seen} == {"query"}
    assert p.sentences  # the clauses the reasons use were encoded too, as queries
    # the description's own vector is the query one, never the passage one
    q, d = rec.encoder.encode([text], kind="query")[0], rec.encoder.encode([text], kind="passage")[0]
    solo = build_profile(text, rec.encoder, rec.item_vectors, rec.catalog.id_to_row).vector
    assert np.allclose(solo, q, atol=1e-6) and not np.allclose(solo, d, atol=1e-3)


def test_recommend_and_feedback_ask_for_queries(rec):
    from coldrec.recommend import feedback_recommend

    rec.recommend("wireless earbuds for running", k=3)
    rec.profiles(["a pruning tool for roses", "budget vegetarian cooking"])
    feedback_recommend(rec, "something for my kitchen", liked=["k1"], k=3)
    assert rec.encoder.seen and {k for k, _ in rec.encoder.seen} == {"query"}


def test_fairness_probe_asks_for_queries(rec):
    from coldrec.analysis import persona_probe

    personas = [{"name": "p1", "description": "He is a retired man who likes gardening.", "liked": ["g1"]},
                {"name": "p2", "description": "She is a young woman who runs every morning."}]
    persona_probe(rec, personas, "gender", k=3)
    assert len(rec.encoder.seen) > 2 and {k for k, _ in rec.encoder.seen} == {"query"}


def test_new_item_audience_encodes_the_item_as_passage_and_users_as_queries(rec):
    from coldrec.recommend import new_item_report

    item = "A folding garden rake. Light and strong."
    users = {"u1": "I keep a small vegetable garden", "u2": "I run marathons"}
    new_item_report(rec, item, users, k=3)
    assert rec.encoder.kinds([item]) == {"passage"}
    assert rec.encoder.kinds(users.values()) == {"query"}


def test_ranker_training_data_from_the_cli_path_uses_queries(tiny_catalog, tmp_path):
    """What a ranker learns from (the log users' descriptions) is encoded as served: as queries."""
    from coldrec.encoders import EmbeddingCache, embed_texts

    enc = RecordingEncoder()
    texts = ["I like quiet music", "I cook for one"]
    q = embed_texts(enc, texts, EmbeddingCache(tmp_path), kind="query").vectors
    assert enc.kinds(texts) == {"query"}
    assert np.allclose(q, enc.encode(texts, kind="query"))


def test_evaluation_cache_keeps_the_kinds_apart(tmp_path, monkeypatch):
    from coldrec.evaluation import _common

    monkeypatch.setattr(_common, "_cache_root", lambda: tmp_path)
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    enc = RecordingEncoder()
    texts = ["I like quiet jazz late at night"]
    q = _common.embed_cached(enc, texts, "users", kind="query")
    p = _common.embed_cached(enc, texts, "users")
    assert [k for k, _ in enc.seen] == ["query", "passage"]  # the second call is not served the first's file
    assert not np.allclose(q, p)
    again = _common.embed_cached(enc, texts, "users", kind="query")
    assert len(enc.seen) == 2 and np.allclose(again, q)


def test_training_script_and_app_encode_users_as_queries():
    """The demo-ranker script, the shipped-vector script and the app's user vectors name kind="query"."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    train = (root / "scripts" / "train_demo_rankers.py").read_text()
    assert 'embed_texts(enc, t, cache, kind="query")' in train
    ship = (root / "scripts" / "build_demo_embeddings.py").read_text()
    assert 'kind="query"' in ship and 'cache_name(enc, "query")' in ship
    ui = (root / "ui" / "resources.py").read_text()
    assert 'def embed_texts_cached(texts: Sequence[str], kind: str = "query")' in ui
    assert "demo_user_vectors(" in ui  # the app's log-user vectors come from the reader tested below


def test_demo_user_vectors_encode_the_log_users_as_queries():
    """The one reader of the demo log users' vectors (the app's and the hybrid's) embeds their descriptions as
    queries when no shipped file matches the encoder."""
    from coldrec.demo import demo_user_vectors, load_demo

    demo, enc = load_demo("ecommerce"), RecordingEncoder()
    U = demo_user_vectors(demo, enc)
    texts = demo.users["description"].fillna("").astype(str).tolist()
    assert U.shape == (len(texts), enc.dim) and enc.kinds(texts) == {"query"}


def test_each_user_text_is_encoded_once(rec):
    """A one-clause description is its own clause (one text to the encoder, not two); texts shared by several
    users in one batch are encoded once; the profiles are what encoding every text on its own gives."""
    from coldrec.retrieval import build_profile, build_profiles

    one = "深夜学习时喜欢听安静的爵士乐。"
    p = build_profile(one, rec.encoder, rec.item_vectors, rec.catalog.id_to_row)
    assert rec.encoder.seen == [("query", one)]
    assert p.sentences == ["深夜学习时喜欢听安静的爵士乐"] and np.allclose(p.sentence_vectors[0], p.vector)

    two = "Quiet headphones for the train, a small cookbook"
    rec.encoder.seen.clear()
    many = build_profiles([two, one, two], rec.encoder, rec.item_vectors, rec.catalog.id_to_row)
    texts = [t for _, t in rec.encoder.seen]
    assert sorted(texts) == sorted({two, one, "Quiet headphones for the train", "a small cookbook"})
    solo = build_profile(two, rec.encoder, rec.item_vectors, rec.catalog.id_to_row)
    for got in (many[0], many[2]):
        assert np.allclose(got.vector, solo.vector, atol=1e-6)
        assert np.allclose(got.sentence_vectors, rec.encoder.encode(solo.sentences, kind="query"), atol=1e-6)
    assert np.allclose(many[1].vector, p.vector, atol=1e-6)
