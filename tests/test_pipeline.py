from __future__ import annotations

import numpy as np
import pytest

from coldrec.errors import ColdrecError
from coldrec.recommend import RESULT_COLUMNS, Recommender
from coldrec.retrieval import UserInput
from coldrec.ranking import MLPRanker, RankerConfig


@pytest.fixture
def rec(tiny_catalog, fake_encoder):
    return Recommender.from_catalog(tiny_catalog, fake_encoder)


def test_recommend_returns_table_with_reasons(rec):
    df = rec.recommend("wireless headphones for my commute", k=3)
    assert list(df.columns) == RESULT_COLUMNS
    assert df["item_id"].iloc[0] == "h1"
    assert df["final_rank"].tolist() == [1, 2, 3]
    assert (df["rank_change"] == 0).all() and df["ranker_score"].isna().all()
    assert df.attrs["ranked_by"].startswith("cosine") and any("No ranker" in w for w in df.attrs["warnings"])
    assert "wireless headphones" in df["reason"].iloc[0]


def test_liked_item_reason_and_exclusion(rec):
    df = rec.recommend(UserInput(liked=["g1"]), k=3)
    assert "g1" not in df["item_id"].tolist()
    assert "Garden hose" in df["reason"].iloc[0]


def test_category_filters(rec):
    df = rec.recommend("garden", k=5, categories=["Kitchen"])
    assert set(df["category"]) == {"Kitchen"} and len(df) == 2
    assert any("Only 2 item(s)" in w for w in df.attrs["warnings"])
    df = rec.recommend("garden", k=6, exclude_categories=["Garden"])
    assert "Garden" not in set(df["category"])
    with pytest.raises(ColdrecError, match="Unknown category 'Toys'.*Audio, Garden, Kitchen"):
        rec.recommend("x", categories=["Toys"])


def test_empty_user_is_a_clear_error(rec):
    with pytest.raises(ColdrecError, match="type a description or pick liked items"):
        rec.recommend("  ")


class ReverseRanker(MLPRanker):
    """A ranker that prefers what cosine likes least: the table must show the reordering."""

    def __init__(self, dim):
        super().__init__(RankerConfig())
        self.dim = dim
        self._net = object()

    def score(self, item_vectors, user_vector, popularity=None):
        return 1 - (item_vectors @ user_vector + 1) / 2


def test_ranker_reorders_and_rank_change_is_consistent(tiny_catalog, fake_encoder):
    rec = Recommender.from_catalog(tiny_catalog, fake_encoder, ranker=ReverseRanker(64))
    df = rec.recommend("wireless headphones", k=6, n=6)
    assert df["recall_rank"].tolist() == [6, 5, 4, 3, 2, 1]
    assert (df["rank_change"] == df["recall_rank"] - df["final_rank"]).all()
    assert df["ranker_score"].is_monotonic_decreasing
    assert df.attrs["ranked_by"] == "mlp-concat"
    # the item the ranker lifted five places says so first; the ones that barely moved keep the text reason
    assert df["reason"].iloc[0].startswith("lifted by the ranker from #6")
    assert not df["reason"].iloc[1:].str.contains("lifted by the ranker").any()


def test_mismatched_ranker_dimension_is_refused(tiny_catalog, fake_encoder):
    with pytest.raises(ColdrecError, match="trained on 384-d"):
        Recommender.from_catalog(tiny_catalog, fake_encoder, ranker=ReverseRanker(384))


def test_vector_count_must_match_catalog(tiny_catalog, fake_encoder):
    with pytest.raises(ColdrecError, match="re-embed"):
        Recommender(tiny_catalog, np.zeros((2, 64), np.float32), fake_encoder)


@pytest.mark.slow
def test_minilm_headphones_over_garden_tools_in_demo(minilm):
    from coldrec.demo import demo_recommender

    rec = demo_recommender("ecommerce", minilm, ranker=None)
    df = rec.recommend("wireless noise-cancelling headphones", k=5)
    cats = df["category"].tolist()
    assert all("Headphones" in c or "Audio" in c for c in cats), cats
    garden = rec.catalog.items["category"].str.contains("Garden").to_numpy()
    scores = rec.item_vectors @ rec.profile("wireless noise-cancelling headphones").vector
    assert scores[~garden].max() > scores[garden].max() + 0.2


def test_profile_config_per_call_moves_between_description_and_history(rec):
    from coldrec.retrieval import ProfileConfig

    user = UserInput(description="garden hose for watering", history=["wireless headphones for my commute"])
    only_text = rec.recommend(user, k=1, profile_config=ProfileConfig(description_weight=1.0, history_weight=0.0))
    only_hist = rec.recommend(user, k=1, profile_config=ProfileConfig(description_weight=0.0, history_weight=1.0))
    assert only_text["item_id"].iloc[0] == "g1" and only_hist["item_id"].iloc[0] == "h1"
    assert rec.profile_config == ProfileConfig()  # the per-call weights do not stick
