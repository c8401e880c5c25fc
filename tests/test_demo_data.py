"""Tests for the synthetic demo data (data/<domain>/) and its generator, scripts/make_demo_data.py.

Fast, no model: schema and counts, referential integrity, text shape, determinism (``--check``) and the
attribute signal of the interaction log.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SCRIPT = ROOT / "scripts" / "make_demo_data.py"
ENGLISH = ("ecommerce", "news", "video", "music", "social")
CHINESE = tuple(f"{d}-zh" for d in ENGLISH)
DOMAINS = ENGLISH + CHINESE
PRICED = {"ecommerce", "video", "music", "ecommerce-zh", "video-zh", "music-zh"}
PREFIX = {"ecommerce": "ec", "news": "nw", "video": "vd", "music": "mu", "social": "so"}
PREFIX.update({f"{d}-zh": f"{p}z" for d, p in PREFIX.items()})
AGE_GENDER_WORDS = (
    r"\b(?:woman|man|mum|dad|guy|wife|husband|grandmother|grandfather|grandma|grandad|nonbinary|retired"
    r"|\d\d-year-old|\d\d,|twenties|thirties|forties|fifties|sixties|seventies)\b"
)
AGE_GENDER_WORDS_ZH = r"女|男|妈妈|爸爸|奶奶|爷爷|老婆|退休|非二元|\d\d岁|[二三四五六七]十"


def _load_script():
    name = "coldrec_make_demo_data"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen():
    return _load_script()


def _read(domain: str, name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / domain / name, dtype={"item_id": str, "user_id": str}, keep_default_na=False)


def _zh(domain: str) -> bool:
    return domain.endswith("-zh")


def _sentences(text: str, domain: str = "ecommerce") -> list[str]:
    if _zh(domain):
        return [s for s in re.split(r"(?<=[。！？；])", text.strip()) if s.strip()]
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _age_gender(domain: str) -> str:
    return AGE_GENDER_WORDS_ZH if _zh(domain) else AGE_GENDER_WORDS


@pytest.mark.parametrize("domain", DOMAINS)
def test_items_schema_and_text(domain):
    items = _read(domain, "items.csv")
    assert list(items.columns) == ["item_id", "title", "description", "category", "tags", "price", "released"]
    assert len(items) >= 300
    assert items["item_id"].is_unique
    prefix = PREFIX[domain]
    assert items["item_id"].str.fullmatch(prefix + r"-\d{4}").all()
    assert items["title"].str.strip().ne("").all() and items["title"].is_unique
    assert items["description"].str.strip().ne("").all()
    assert items["description"].is_unique
    assert not items["description"].str.contains(r"[{}]").any(), "unfilled template slot"
    n_sent = items["description"].map(lambda t: len(_sentences(t, domain)))
    assert n_sent.between(2, 4).all(), items.loc[~n_sent.between(2, 4), "description"].head()
    if _zh(domain):  # length in characters; the text is Chinese, not English with a few Chinese words
        n_chars = items["description"].str.replace(r"\s", "", regex=True).str.len()
        assert n_chars.between(40, 200).all() and n_chars.mean() >= 50
        cjk = items["description"].str.count(r"[\u4e00-\u9fff。，、：？！“”（）]") / n_chars
        assert cjk.min() > 0.75, items.loc[cjk.idxmin(), "description"]
        assert not items["description"].str.contains(r"\b(?:the|and|with|for)\b").any()
    else:
        n_words = items["description"].str.split().str.len()
        assert n_words.between(20, 80).all() and n_words.mean() >= 30
    cats = items["category"].value_counts()
    assert 6 <= len(cats) <= 10 and cats.min() >= 20
    n_tags = items["tags"].str.split(";").str.len()
    assert n_tags.between(3, 6).all()
    released = pd.to_datetime(items["released"], format="%Y-%m-%d")
    ref = pd.Timestamp(date(2026, 11, 1))
    age = (ref - released).dt.days
    assert age.min() >= 0
    assert age.max() <= (120 if domain == "news" else 3 * 366)
    if domain == "news":
        assert age.median() <= 30
    if domain in PRICED:
        price = pd.to_numeric(items["price"])
        assert price.gt(0).all()
    else:
        assert items["price"].eq("").all()


@pytest.mark.parametrize("domain", DOMAINS)
def test_users_schema(domain):
    users = _read(domain, "users.csv")
    assert list(users.columns) == ["user_id", "description", "age", "gender", "locale", "segment"]
    assert len(users) >= 200 and users["user_id"].is_unique
    assert users["description"].str.strip().ne("").all()
    assert users["description"].map(lambda t: 1 <= len(_sentences(t, domain)) <= 3).all()
    assert users["description"].nunique() > 0.9 * len(users)
    assert users["age"].between(18, 75).all()
    assert set(users["gender"]) <= {"female", "male", "nonbinary"} and users["gender"].nunique() == 3
    assert users["locale"].str.fullmatch(r"zh-(?:CN|TW|HK|SG)" if _zh(domain) else r"en-[A-Z]{2}").all()
    if _zh(domain):
        assert users["locale"].nunique() == 4
    assert users["segment"].nunique() >= 2
    # some descriptions mention age or gender naturally (material for the fairness probe)
    assert users["description"].str.contains(_age_gender(domain), case=False).mean() > 0.2


@pytest.mark.parametrize("domain", DOMAINS)
def test_interactions_reference_known_ids(domain):
    items, users = _read(domain, "items.csv"), _read(domain, "users.csv")
    inter = _read(domain, "interactions.csv")
    assert list(inter.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert inter["user_id"].isin(users["user_id"]).all()
    assert inter["item_id"].isin(items["item_id"]).all()
    assert set(inter["rating"].unique()) == {0, 1}
    assert 0.15 < inter["rating"].mean() < 0.5
    per_user = inter.groupby("user_id").size()
    assert per_user.between(15, 40).all() and len(per_user) == len(users)
    assert not inter.duplicated(["user_id", "item_id"]).any()
    ts = inter.groupby("user_id")["timestamp"]
    increasing = ts.apply(lambda t: t.is_monotonic_increasing and t.is_unique)
    assert increasing.all()
    # an impression never happens before the item was released
    rel = pd.to_datetime(items.set_index("item_id")["released"]).astype("int64") // 10**9
    assert (inter["timestamp"].to_numpy() >= rel.loc[inter["item_id"]].to_numpy()).all()


@pytest.mark.parametrize("domain", DOMAINS)
def test_popularity_is_skewed(domain):
    inter = _read(domain, "interactions.csv")
    pos = inter[inter["rating"] == 1].groupby("item_id").size().sort_values(ascending=False)
    n_items = len(_read(domain, "items.csv"))
    top = pos.iloc[: n_items // 10].sum() / pos.sum()
    assert top > 0.25, f"top 10% of items hold only {top:.0%} of positives"
    assert pos.iloc[0] >= 5 * max(pos.median(), 1)


@pytest.mark.parametrize("domain", DOMAINS)
def test_personas(domain):
    personas = json.loads((DATA / domain / "personas.json").read_text(encoding="utf-8"))
    ids = set(_read(domain, "items.csv")["item_id"])
    assert 6 <= len(personas) <= 10
    for p in personas:
        assert set(p) == {"name", "description", "liked", "disliked"}
        assert p["name"] and p["description"]
        assert len(p["liked"]) <= 3 and len(p["disliked"]) <= 3
        assert set(p["liked"]) <= ids and set(p["disliked"]) <= ids
        assert not set(p["liked"]) & set(p["disliked"])
    assert any(re.search(_age_gender(domain), p["description"], re.I) for p in personas)


def test_ecommerce_contents():
    items = _read("ecommerce", "items.csv")
    personas = json.loads((DATA / "ecommerce" / "personas.json").read_text(encoding="utf-8"))
    assert any(p["description"] == "I just moved to a small flat and cook a lot, vegetarian, budget-minded"
               for p in personas)
    head = items[(items["category"] == "Headphones & Audio")
                 & items["title"].str.contains("Noise-Cancelling", case=False)
                 & items["tags"].str.contains("wireless")]
    assert len(head) >= 3
    garden = items[(items["category"] == "Garden & Outdoor") & items["tags"].str.contains("garden-tools")]
    assert len(garden) >= 3
    veg_books = items[(items["category"] == "Books") & items["tags"].str.contains("vegetarian")]
    spices = items[items["tags"].str.contains("spices")]
    small = items[items["tags"].str.contains("small-space|compact")]
    assert len(veg_books) >= 2 and len(spices) >= 2 and len(small) >= 5
    assert set(items["category"]) >= {"Kitchen & Cooking", "Headphones & Audio", "Garden & Outdoor", "Books",
                                      "Pantry & Groceries", "Furniture for Small Spaces"}


def test_ecommerce_zh_contents():
    items = _read("ecommerce-zh", "items.csv")
    personas = json.loads((DATA / "ecommerce-zh" / "personas.json").read_text(encoding="utf-8"))
    assert any("小公寓" in p["description"] and "吃素" in p["description"] for p in personas)
    assert len(items[items["tags"].str.contains("降噪") & items["tags"].str.contains("无线")]) >= 3
    assert len(items[(items["category"] == "图书") & items["tags"].str.contains("素食")]) >= 2
    # the generator's built-in tags are written in Chinese (tag_names of shared-zh.toml)
    tags = set(";".join(items["tags"]).split(";"))
    assert {"平价", "高端"} <= tags and not tags & {"budget", "premium", "eco", "beginner", "gift-idea"}
    assert not any(re.search(r"[A-Za-z]", t) and t.islower() for t in items["category"])


def test_chinese_language_helpers(gen):
    zh = gen.Lang.of(gen.load_vocab("music-zh"))
    assert zh.joiner == "" and not zh.articles and zh.length_unit == "chars"
    assert gen.sentences_of("第一句。第二句！第三句？第四；", zh) == ["第一句。", "第二句！", "第三句？", "第四；"]
    assert gen.sentences_of("One. Two! Three?") == ["One.", "Two!", "Three?"]
    assert gen.words_of("安静 的歌", zh) == 4 and gen.words_of("quiet songs") == 2
    assert gen.tidy("好 听 。。 再见", zh) == "好听。再见"
    assert gen.with_article("歌手", zh) == "歌手" and gen.with_article("artist") == "an artist"
    assert gen.join_and(["爵士", "民谣", "古典"], gen.load_vocab("music-zh")["users"]) == "爵士、民谣和古典"
    assert zh.tag("budget") == "平价" and gen.ENGLISH.tag("budget") == "budget"


def test_data_is_small():
    """The written demo data (ten domains) stays small; shipped checkpoints and vectors are checked apiece."""
    files = [f for f in DATA.rglob("*") if f.is_file()]
    written = sum(f.stat().st_size for f in files if not {"ranker", "embeddings"} & set(f.parts))
    assert written < 5 * 1024 * 1024
    for f in files:
        if {"ranker", "embeddings"} & set(f.parts):
            assert f.stat().st_size < 2 * 1024 * 1024, f  # under the repository's 5 MB per-file rule, with room


def test_generator_is_deterministic(gen):
    assert gen.check(DATA) == []
    assert gen.main(["--check"]) == 0


def test_logistic_model_prefers_matching_attributes(gen):
    U, I = gen.UserPrefs, gen.ItemAttrs
    user = U(fav_categories=("Books",), liked_tags=frozenset({"vegetarian", "cookbook"}), price_band=0,
             recency=1.0, avoid_category="Fitness")
    base = I(category="Books", tags=frozenset({"books", "vegetarian", "cookbook"}), price_band=0, age_days=30,
             quality=0.0)
    p = lambda **kw: gen.positive_probability(user, I(**{**base.__dict__, **kw}))  # noqa: E731
    p0 = p()
    assert p0 > p(category="Garden & Outdoor") + 0.2  # favourite category
    assert p(category="Garden & Outdoor") > p(category="Fitness")  # avoided category
    assert p0 > p(tags=frozenset({"books"}))  # tag overlap
    assert p0 > p(price_band=2)  # price band
    assert p0 > p(age_days=1000)  # recency preference
    assert p(quality=2.0) > p0  # item quality/popularity latent
    assert 0.0 < p(category="Fitness", tags=frozenset(), price_band=2, age_days=1000) < 0.05


def test_planted_signal_in_generated_log(gen):
    built = gen.build_domain("ecommerce")
    inter, prefs = built["interactions"], built["prefs"]
    row_of = {iid: r for r, iid in enumerate(built["items"]["item_id"])}
    pref_of = dict(zip(built["users"]["user_id"], prefs))
    fav = np.array([built["attrs"][row_of[i]].category in pref_of[u].fav_categories
                    for u, i in zip(inter["user_id"], inter["item_id"])])
    rating = inter["rating"].to_numpy()
    assert rating[fav].mean() > rating[~fav].mean() + 0.25
    # the noise-free probability ranks the observed positives well above chance (AUC)
    dom = built["domain"]
    attrs = built["attrs"]
    prob = np.array([gen.positive_probability(pref_of[u], attrs[row_of[i]], dom.max_age_days, dom.weights)
                     for u, i in zip(inter["user_id"], inter["item_id"])])
    order = prob.argsort()
    ranks = np.empty(len(prob))
    ranks[order] = np.arange(1, len(prob) + 1)
    n1, n0 = rating.sum(), len(rating) - rating.sum()
    auc = (ranks[rating == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    assert 0.75 < auc < 0.97
