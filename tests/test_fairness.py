"""Tests of coldrec.analysis._fairness: every swap is read against the noise floor of a neutral change, with fake
recommenders whose response to gender words is planted."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from coldrec.analysis import (
    NEUTRAL_CLAUSES,
    fairness_probe,
    neutral_variants,
    persona_probe,
    plain_label,
    probe_summary,
)
from coldrec.errors import ColdrecError

CATALOG = [f"item{i}" for i in range(20)]
FEMALE = re.compile(r"\b(woman|she|her|mother)\b", re.IGNORECASE)
PERSONAS = {"jazz man": "I am a man who loves jazz.", "hiker": "He hikes every weekend.", "reader": "I like novels."}


def planted(originals):
    """Women get the catalog reversed (the planted bias); any other edit of a description swaps #9 and #10
    (the noise every edit causes)."""

    def recommend(text: str) -> list[str]:
        if FEMALE.search(text):
            return CATALOG[::-1]
        if text in originals:
            return list(CATALOG)
        return CATALOG[:8] + [CATALOG[9], CATALOG[8]] + CATALOG[10:]

    return recommend


def test_planted_gender_response_is_above_the_floor_and_named_in_the_headline():
    df = fairness_probe(planted(set(PERSONAS.values())), PERSONAS, "gender", k=10)
    rows = df.set_index(["persona", "variant"])
    woman = rows.loc[("jazz man", "female")]
    assert woman["change"] == "“woman” instead of “man”" and woman["shift"] == pytest.approx(1.0)
    assert 0 < woman["floor"] < 0.2 and woman["vs_floor"] == "above the floor"
    # the neutral rewrite moves the list exactly as much as a neutral clause does: within the floor
    assert rows.loc[("jazz man", "neutral"), "vs_floor"] == "within the floor"
    assert rows.loc[("hiker", "female"), "change"] == "“She” instead of “He”"
    # a persona with no gender word gets a sentence, compared with a neutral sentence
    reader = rows.loc[("reader", "female")]
    assert reader["change"] == "says she is a woman" and reader["vs_floor"] == "above the floor"
    assert rows.loc[("reader", "male"), "vs_floor"] == "within the floor"
    assert not df["change"].str.contains("added clause").any()
    s = df.attrs["summary"]
    assert s["above_floor"] == 3 and s["max_above_floor"]["persona"] == "jazz man"
    assert s["headline"].startswith("3 of 7 swaps moved the list more than a neutral change does")
    assert "1.00 for jazz man (“woman” instead of “man”)" in s["headline"]
    assert probe_summary(df).set_index("variant").loc["female", "above_floor"] == 3


def test_when_every_edit_moves_the_list_alike_no_swap_is_above_the_floor():
    originals = set(PERSONAS.values())

    def any_edit_reverses(text: str) -> list[str]:
        return list(CATALOG) if text in originals else CATALOG[::-1]

    df = fairness_probe(any_edit_reverses, PERSONAS, "gender", k=10)
    assert (df["shift"] == df["floor"]).all() and (df["vs_floor"] == "within the floor").all()
    s = df.attrs["summary"]
    assert s["above_floor"] == 0 and s["max_above_floor"] is None
    assert s["headline"].startswith("No swap moved a list more than a neutral change")


def test_recommender_that_ignores_text_never_shifts():
    df = fairness_probe(lambda t: CATALOG, {"a": "She is 30.", "b": "He lives in London."}, "gender", k=10)
    assert (df["rbo"] == 1.0).all() and df.attrs["summary"]["max_shift"] == 0.0
    assert (df["vs_floor"] == "within the floor").all()


def test_plain_labels_for_age_and_locale():
    assert plain_label("I'm a 30-year-old nurse.", "I'm a 68-year-old nurse.", "age", "old") == \
        "age 68 instead of 30"
    assert plain_label("I like jazz.", "I like jazz. I live in Lagos.", "locale", "Nigeria (added clause)") == \
        "lives in Lagos"
    df = fairness_probe(lambda t: CATALOG, {"p": "I like jazz."}, "locale", k=5)
    assert "lives in Lagos" in set(df["change"]) and set(df["variant"]) >= {"Nigeria", "UK"}


def test_neutral_variants_add_a_neutral_clause_and_reword():
    variants = dict(neutral_variants("I'm a cook"))
    assert variants[f"adds “{NEUTRAL_CLAUSES[0]}”"] == "I'm a cook. I also like a good cup of tea."
    assert variants["neutral rewording"] == "I am a cook"
    assert dict(neutral_variants("Jazz."))["neutral rewording"] == "About me: Jazz."


class PlantedRecommender:
    """recommend(UserInput, k): liked items first, then the planted gender response; records every user."""

    def __init__(self):
        self.users = []

    def recommend(self, user, k=10):
        self.users.append(user)
        rest = [i for i in (CATALOG[::-1] if FEMALE.search(user.description) else CATALOG) if i not in user.liked]
        return pd.DataFrame({"item_id": (list(user.liked) + rest)[:k]})


def test_persona_probe_keeps_each_personas_liked_items():
    rec = PlantedRecommender()
    personas = [{"name": "p", "description": "He is a man.", "liked": ["item5"], "disliked": ["item6"]},
                {"name": "q", "description": "I like jazz."}]
    df = persona_probe(rec, personas, "gender", k=5)
    calls = [(tuple(u.liked), tuple(u.disliked)) for u in rec.users if "jazz" not in u.description]
    assert len(calls) == 1 + len(NEUTRAL_CLAUSES) + 1 + 2  # original, neutral variants, female and neutral swap
    assert set(calls) == {(("item5",), ("item6",))}  # every variant of p keeps p's liked and disliked items
    assert {(tuple(u.liked), tuple(u.disliked)) for u in rec.users if "jazz" in u.description} == {((), ())}
    assert df.columns[:5].tolist() == ["persona", "change", "shift", "floor", "vs_floor"]
    s = df.attrs["summary"]
    assert s["kept_likes"] == 1 and "keeps its liked" in s["note"]
    assert df.set_index(["persona", "variant"]).loc[("p", "female"), "vs_floor"] == "above the floor"
    with pytest.raises(ColdrecError, match="no personas"):
        persona_probe(rec, [], "gender")


def test_bad_recommend_output_and_missing_persona_function():
    with pytest.raises(ColdrecError, match="recommend"):
        fairness_probe(lambda t: 3, {"a": "He"}, "gender")
    with pytest.raises(ColdrecError, match=r"persona 'b'.*\['a'\]"):
        fairness_probe({"a": lambda t: CATALOG}, {"a": "He", "b": "She"}, "gender")


def test_chinese_descriptions_get_chinese_neutral_changes_and_readable_labels():
    assert plain_label("我今年45岁，男。", "我今年22岁，男。", "age", "young") == "age 22 instead of 45"
    assert plain_label("我是妈妈。", "我是爸爸。", "gender", "male") == "“爸爸” instead of “妈妈”"
    assert plain_label("喜欢爵士", "喜欢爵士。我住在香港。", "locale", "zh-HK (added clause)") == "adds “我住在香港。”"
    clause, text = neutral_variants("喜欢爵士")[0]
    assert text == "喜欢爵士。我也喜欢喝一杯好茶。" and "I also like" not in clause


def test_persona_probe_encodes_every_variant_in_one_call(tiny_catalog, fake_encoder):
    """The probe's texts (swaps and neutral variants of every persona) go to the encoder in one batch, and the
    frame is the one a recommend per text gives."""
    from coldrec.recommend import Recommender

    calls = []

    class Counting(type(fake_encoder)):
        def encode(self, texts, **kw):
            calls.append(len(texts))
            return super().encode(texts, **kw)

    rec = Recommender.from_catalog(tiny_catalog, Counting(dim=fake_encoder.dim))
    personas = [{"name": "a", "description": "I am a man who loves quiet headphones.", "liked": ["h1"]},
                {"name": "b", "description": "She gardens, and cooks vegetarian food."}]
    calls.clear()
    df = persona_probe(rec, personas, "gender", k=3)
    assert len(calls) == 1 and set(df["persona"]) == {"a", "b"}

    class PerText:  # the same recommender without the batch: one encode per text
        def recommend(self, user, k):
            return rec.recommend(user, k=k)

    slow = persona_probe(PerText(), personas, "gender", k=3)
    assert len(calls) > 5
    pd.testing.assert_frame_equal(df, slow)
    assert df.attrs == slow.attrs


def _demo_recommender_with_ranker(encoder, **config):
    """The e-commerce demo catalog (its personas too) with a small MLP ranker, so the ranker reorders the lists."""
    import numpy as np

    from coldrec.demo import demo_recommender, load_demo
    from coldrec.ranking import MLPRanker, RankerConfig
    from coldrec.recommend import RecommendConfig, Recommender

    base = demo_recommender("ecommerce", encoder, cache=False, ranker=None)
    E = base.item_vectors
    rng = np.random.default_rng(0)
    users = E[rng.integers(0, len(E), 16)] + 0.1 * rng.standard_normal((16, E.shape[1])).astype(np.float32)
    ranker = MLPRanker(RankerConfig(epochs=2, hidden=(16,))).fit(E, users, [[i, i + 16] for i in range(16)])
    rec = Recommender(base.catalog, E, encoder, ranker=ranker, config=RecommendConfig(**config))
    return rec, load_demo("ecommerce").personas


@pytest.mark.parametrize("config", [{}, {"mmr_lambda": 0.6, "pop_weight": 0.2}])
def test_ranked_ids_equal_the_per_user_recommend_lists(fake_encoder, config):
    rec, personas = _demo_recommender_with_ranker(fake_encoder, **config)
    from coldrec.retrieval import UserInput

    users = [UserInput(t, list(p.get("liked", ()) or ()), list(p.get("disliked", ()) or ()))
             for p in personas for t in (p["description"], p["description"] + " She is 70.")]
    fast = rec.ranked_ids(users, k=10)
    slow = [list(rec.recommend(u, k=10)["item_id"]) for u in users]
    assert fast == slow and len({tuple(x) for x in fast}) > 1
    assert rec.ranked_ids(users[:1], k=10, n=12, categories=[rec.catalog.items["category"].iloc[0]]) == [
        list(rec.recommend(users[0], k=10, n=12, categories=[rec.catalog.items["category"].iloc[0]])["item_id"])]


def _per_variant_probe(rec, personas, axis, k):
    """The probe as it was computed before batching: one ``recommend`` (with its own encode) per variant."""
    from coldrec.retrieval import UserInput

    class PerText:
        def recommend(self, user, k):
            return rec.recommend(UserInput(user.description, user.liked, user.disliked), k=k)

    return persona_probe(PerText(), personas, axis, k=k)


@pytest.mark.parametrize("axis", ["gender", "age"])
def test_the_batched_probe_equals_the_per_variant_probe_on_the_demo_personas(fake_encoder, axis):
    rec, personas = _demo_recommender_with_ranker(fake_encoder)
    many = [{**p, "name": f"{p['name']} #{i}"} for i, p in enumerate(personas * 3)]
    fast = persona_probe(rec, many, axis, k=10)
    slow = _per_variant_probe(rec, many, axis, k=10)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs == slow.attrs and fast["shift"].gt(0).any()


@pytest.mark.slow
def test_the_batched_probe_equals_the_per_variant_probe_with_the_real_minilm(minilm):
    rec, personas = _demo_recommender_with_ranker(minilm)
    fast = persona_probe(rec, personas[:3], "gender", k=10)
    slow = _per_variant_probe(rec, personas[:3], "gender", k=10)
    pd.testing.assert_frame_equal(fast, slow)
