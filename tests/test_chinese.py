"""Chinese end to end without a model: sentence splitting, the hash encoder on CJK, the Chinese word swap of the
fairness probe, TF-IDF tokens, GB18030/GBK/Big5 catalogs written from the Chinese demo data, and every Chinese
demo domain loading and recommending (hash encoder; no demo ranker, so cosine).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coldrec.analysis import has_axis_words, persona_probe, swap_words
from coldrec.catalog import ColumnMap, load_catalog
from coldrec.demo import CHINESE_DOMAINS, DOMAIN_LABELS, demo_recommender, load_demo
from coldrec.encoders import HashEncoder, load_encoder, tokenize
from coldrec.retrieval import split_sentences

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
COLUMNS = ColumnMap(id="item_id", text=["title", "description"], template="{title}。{description}", title="title",
                    category="category", tags="tags", price="price")


# ------------------------------------------------------------------------------------------ sentences
@pytest.mark.parametrize("text, expected", [
    ("我住小公寓。天天做饭！吃素？预算有限", ["我住小公寓。", "天天做饭！", "吃素？", "预算有限"]),
    ("喜欢爵士；也听民谣。", ["喜欢爵士；", "也听民谣。"]),
    ("他说：“真好听。”我也觉得。", ["他说：“真好听。”", "我也觉得。"]),
    ("真的吗？！好……再见。", ["真的吗？！", "好……", "再见。"]),
    ("深夜学习时，喜欢听安静的爵士乐", ["深夜学习时", "喜欢听安静的爵士乐"]),
    ("素食、平价、小户型", ["素食", "平价", "小户型"]),
    ("I cook a lot. Vegetarian! 预算有限。", ["I cook a lot.", "Vegetarian!", "预算有限。"]),
])
def test_split_sentences_chinese(text, expected):
    assert split_sentences(text) == expected


def test_split_sentences_english_unchanged():
    assert split_sentences("I cook a lot, vegetarian, budget-minded") == ["I cook a lot", "vegetarian", "budget-minded"]
    assert split_sentences("One. Two! Three?") == ["One.", "Two!", "Three?"]


# ------------------------------------------------------------------------------------------ hash encoder
def test_tokenize_cjk_bigrams_and_words():
    assert tokenize("我爱听爵士乐 and Jazz") == ["爱听", "听爵", "爵士", "士乐", "jazz"]
    assert tokenize("安静的钢琴") == ["安静", "钢琴"]  # cut at 的: no bigram 静钢 across it
    assert tokenize("mp3播放器") == ["mp3", "播放", "放器"]
    assert tokenize("琴") == ["琴"] and tokenize("的") == []


def test_hash_encoder_separates_chinese_texts():
    enc = HashEncoder(dim=256)
    texts = ["深夜学习时喜欢听安静的爵士乐", "安静的钢琴爵士乐", "健身时听的说唱和电子", "喜欢做素食，预算有限",
             "平价素食菜谱，预算有限也能做"]
    v = enc.encode(texts)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.2 and sims[3, 4] > sims[3, 2] + 0.2
    assert len({tuple(np.round(row, 4)) for row in v}) == len(texts)  # not one bucket for everything
    assert enc.count_truncated(["爵" * 400]) == 1 and enc.count_truncated(["爵士乐"]) == 0
    assert enc.name.endswith("-cjk")  # CJK vectors changed: the cache key changed with them


# ------------------------------------------------------------------------------------------ word swap
def _variants(text: str, axis: str) -> dict[str, str]:
    return dict(swap_words(text, axis))


def test_swap_gender_chinese_longest_substring():
    out = _variants("我是两个孩子的妈妈，我老公是工程师，他弹吉他。", "gender")
    assert out["male"] == "我是两个孩子的爸爸，我老婆是工程师，她弹吉他。"
    assert out["neutral"] == "我是两个孩子的家长，我另一半是工程师，ta弹吉他。"
    assert "吉他" in out["male"] and "吉她" not in out["male"]  # 吉他 is a guitar, not a pronoun
    # 男朋友 is one word (not 男 + 朋友), and 其他 is never touched
    assert _variants("我男朋友喜欢其他乐队", "gender")["female"] == "我女朋友喜欢其他乐队"


def test_swap_gender_they_plural_is_generic():
    """他们 is the generic plural (mixed or unknown groups): kept; 她们 is swapped as one unit, never 她 + 们."""
    out = _variants("她们是我的姐妹，他们是我的同学。", "gender")
    assert out["male"] == "他们是我的兄弟，他们是我的同学。"
    assert out["neutral"] == "他们是我的兄弟姐妹，他们是我的同学。"
    assert not has_axis_words("他们都喜欢摇滚", "gender")
    assert "他们" in _variants("他们都喜欢摇滚", "gender")["original"]


def test_swap_gender_single_characters():
    out = _variants("我今年45岁，男，职业是电工。", "gender")
    assert out["female"] == "我今年45岁，女，职业是电工。"
    assert out["neutral"] == "我今年45岁，非二元性别，职业是电工。"
    out = _variants("我是男生，爱看男篮", "gender")  # 男篮 flips to 女篮 but has no neutral form
    assert out["female"] == "我是女生，爱看女篮" and out["neutral"] == "我是学生，爱看男篮"


def test_swap_age_chinese():
    out = _variants("我是一名六十多岁的退休老师。我刚退休不久。", "age")
    assert out["young"] == "我是一名二十多岁的实习老师。我刚毕业不久。"
    assert out["middle"] == "我是一名四十多岁的在职老师。我刚工作不久。"
    assert out["old"] == "我是一名七十多岁的退休老师。我刚退休不久。"  # the old age is 70, like "seventies"
    out = _variants("我今年24岁，90后，是个年轻人。", "age")
    assert out["old"] == "我今年70岁，60后，是个老年人。"
    assert out["middle"] == "我今年45岁，80后，是个中年人。"


def test_swap_locale_chinese_and_protected_words():
    out = _variants("我住在成都，是四川人，常去香港。", "locale")
    assert out["zh-TW"] == "我住在台北，是台湾人，常去台北。"
    assert out["zh-SG"] == "我住在新加坡，是新加坡人，常去新加坡。"
    # 舞台中央 contains 台中 and 阳台 contains 台: neither is a place
    assert not has_axis_words("站在舞台中央，阳台上种花", "locale")
    assert _variants("喜欢爵士", "locale")["zh-HK (added clause)"] == "喜欢爵士。我住在香港。"


def test_swap_words_english_still_english():
    assert swap_words("He is a retired father in London.", "gender")[1] == (
        "female", "She is a retired mother in London.")


def test_fairness_probe_on_chinese_personas():
    enc = HashEncoder(dim=128)
    rec = demo_recommender("music-zh", enc, cache=False, ranker=None)
    personas = load_demo("music-zh").personas
    df = persona_probe(rec, personas, "age", k=10)
    real = df[~df["variant"].str.endswith("(added clause)")]
    assert len(real) >= 2, "Chinese personas with age words get real (not added-clause) variants"
    assert set(real["variant"]) <= {"young", "middle", "old"}
    assert df.attrs["summary"]["personas"] == len(personas)
    assert len(df.attrs["summary"]["added_clause_personas"]) < len(personas)
    df = persona_probe(rec, personas, "gender", k=10)
    assert (~df["variant"].str.endswith("(added clause)")).sum() >= 2


# ------------------------------------------------------------------------------------------ TF-IDF
def test_tfidf_tokenises_chinese():
    from coldrec.evaluation._common import _tfidf, tfidf_vectorizer

    texts = ["安静的钢琴爵士乐", "深夜听爵士乐", "健身房的说唱"]
    vocab = tfidf_vectorizer(texts).fit(texts).vocabulary_
    assert {"爵士", "钢琴", "说唱"} <= set(vocab) and "安静的钢琴爵士乐" not in vocab
    X = _tfidf(texts).toarray()
    sims = X @ X.T
    assert sims[0, 1] > 0 and sims[0, 2] == 0
    # English keeps scikit-learn's tokens and English stop words
    assert "the" not in tfidf_vectorizer(["the red lamp"], stop_words="english").fit(["the red lamp"]).vocabulary_


# ------------------------------------------------------------------------------------------ catalogs
@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_catalog_gb_encodings_from_chinese_demo(tmp_path, encoding):
    src = ROOT / "data" / "ecommerce-zh" / "items.csv"
    path = tmp_path / f"items.{encoding}.csv"
    path.write_bytes(src.read_text(encoding="utf-8").encode(encoding))
    cat = load_catalog(path, COLUMNS)
    ref = load_catalog(src, COLUMNS)
    assert cat.report.encoding == "gb18030"  # GBK is a subset: read as GB18030
    assert cat.report.kept == len(ref) and cat.titles == ref.titles and list(cat.texts) == list(ref.texts)
    assert not any("\ue000" <= ch <= "\uf8ff" for t in cat.texts for ch in t)  # no undecodable-byte markers


def test_catalog_big5_traditional():
    """Big5 holds traditional characters: the fixture is 60 ecommerce-zh rows converted with OpenCC (s2twp)."""
    path = FIXTURES / "ecommerce-zh-tw.big5.csv"
    cat = load_catalog(path, COLUMNS)
    assert cat.report.encoding in {"big5", "cp950", "big5hkscs"}
    assert cat.report.kept == 60 and not cat.report.skipped
    assert cat.titles[0] == "煙火集 切片刀兩件套"
    assert "適合" in cat.texts[0] and cat.categories[0] == "廚房烹飪"
    assert not any("\ue000" <= ch <= "\uf8ff" for t in cat.texts for ch in t)


# ------------------------------------------------------------------------------------------ demo domains
@pytest.mark.parametrize("domain", CHINESE_DOMAINS)
def test_chinese_domain_loads_and_recommends(domain):
    demo = load_demo(domain)
    assert "中文" in DOMAIN_LABELS[domain] and len(demo.catalog) >= 300 and len(demo.users) >= 200
    rec = demo_recommender(domain, load_encoder("hash"), cache=False)
    assert rec.ranker is None  # a shipped zh ranker is the multilingual encoder's: refused for another encoder
    persona = next(p for p in demo.personas if p["liked"])
    out = rec.recommend(persona["description"], k=5)
    assert len(out) == 5 and out.attrs["ranked_by"] == "cosine: no ranker trained"
    assert out["reason"].str.contains("“").all()
    first = split_sentences(persona["description"])[0]
    assert any(first[:10] in r for r in out["reason"]) or len(split_sentences(persona["description"])) > 1
    assert demo.catalog.texts[0].startswith(demo.catalog.titles[0] + "。")


def test_unknown_domain_names_the_choices():
    from coldrec.errors import ColdrecError

    with pytest.raises(ColdrecError, match="music-zh"):
        load_demo("music-cn")


@pytest.mark.parametrize("domain", CHINESE_DOMAINS)
def test_a_shipped_chinese_ranker_is_the_multilingual_encoders(domain):
    """A zh demo ranker (shipped only where it beat popularity and cosine, see data/RANKERS.md) was trained with
    the multilingual encoder and says so; MiniLM never gets it."""
    import json

    demo = load_demo(domain)
    config = demo.ranker_path / "config.json"
    if not config.is_file():
        assert f"| {domain} | *none shipped" in (demo.folder.parent / "RANKERS.md").read_text(encoding="utf-8")
        return
    encoder = json.loads(config.read_text(encoding="utf-8"))["trained_on"]["encoder"]
    assert str(encoder).startswith("multilingual-e5-small"), encoder
