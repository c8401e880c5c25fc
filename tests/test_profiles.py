from __future__ import annotations

import numpy as np
import pytest

from coldrec.errors import ColdrecError
from coldrec.retrieval import ProfileConfig, UserInput, build_profile, build_profiles, split_sentences


@pytest.fixture
def space(fake_encoder):
    texts = ["red running shoes", "green tea leaves", "garden hose", "blue jeans"]
    E = fake_encoder.encode(texts)
    return E, {"shoes": 0, "tea": 1, "hose": 2, "jeans": 3}


def test_description_only_equals_encoded_description(fake_encoder, space):
    E, ids = space
    p = build_profile("I want green tea", fake_encoder, E, ids)
    np.testing.assert_allclose(p.vector, fake_encoder.encode(["I want green tea"])[0], atol=1e-6)
    assert not p.empty and p.sentences


def test_liked_items_pull_and_disliked_push(fake_encoder, space):
    E, ids = space
    base = build_profile("shoes and tea", fake_encoder, E, ids)
    liked = build_profile(UserInput("shoes and tea", liked=["tea"]), fake_encoder, E, ids)
    disliked = build_profile(UserInput("shoes and tea", disliked=["tea"]), fake_encoder, E, ids)
    assert liked.vector @ E[1] > base.vector @ E[1] > disliked.vector @ E[1]
    np.testing.assert_allclose(np.linalg.norm(liked.vector), 1.0, rtol=1e-5)


def test_recent_history_weighs_more(fake_encoder, space):
    E, ids = space
    p = build_profile(UserInput(history=["garden hose", "green tea"]), fake_encoder, E, ids,
                      ProfileConfig(history_decay=0.5))
    assert p.vector @ E[1] > p.vector @ E[2]


def test_weights_are_respected(fake_encoder, space):
    E, ids = space
    u = UserInput("garden hose", liked=["shoes"])
    desc_heavy = build_profile(u, fake_encoder, E, ids, ProfileConfig(description_weight=1, liked_weight=0.1))
    like_heavy = build_profile(u, fake_encoder, E, ids, ProfileConfig(description_weight=0.1, liked_weight=1))
    assert desc_heavy.vector @ E[2] > like_heavy.vector @ E[2]
    assert like_heavy.vector @ E[0] > desc_heavy.vector @ E[0]


def test_empty_user_is_flagged_not_crashing(fake_encoder, space):
    E, ids = space
    p = build_profile(UserInput("   "), fake_encoder, E, ids)
    assert p.empty and not p.vector.any()
    assert "description" in p.warnings[-1]


def test_unknown_liked_ids_are_reported(fake_encoder, space):
    E, ids = space
    p = build_profile(UserInput("tea", liked=["tea", "ghost"]), fake_encoder, E, ids)
    assert p.liked_rows.tolist() == [1]
    assert any("'ghost'" in w for w in p.warnings)


def test_negative_weight_is_refused():
    with pytest.raises(ColdrecError, match="liked_weight must be >= 0"):
        ProfileConfig(liked_weight=-1)


def test_split_sentences():
    assert split_sentences("I run. I cook!  And I read?") == ["I run.", "I cook!", "And I read?"]
    assert split_sentences("small flat, vegetarian; budget") == ["small flat", "vegetarian", "budget"]
    assert split_sentences("我喜欢音乐。我也喜欢电影。") == ["我喜欢音乐。", "我也喜欢电影。"]
    assert split_sentences("") == []
    assert len(split_sentences("word. " * 5000)) <= 32


class _Counting:
    """Wraps an encoder and counts encode calls."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0
        self.dim, self.max_seq_length, self.name = inner.dim, inner.max_seq_length, inner.name

    def encode(self, texts, **kw):
        self.calls += 1
        return self.inner.encode(texts)

    def count_truncated(self, texts):
        return self.inner.count_truncated(texts)


def test_build_profiles_is_build_profile_per_user_in_one_encode(fake_encoder, space):
    E, ids = space
    users = ["I want green tea, and shoes", UserInput("", liked=["hose"]), "", "x " * 3000,
             UserInput("jeans. Blue ones!", history=["garden", "tea"], disliked=["tea"])]
    counting = _Counting(fake_encoder)
    many = build_profiles(users, counting, E, ids)
    assert counting.calls == 1
    for user, got in zip(users, many):
        one = build_profile(user, fake_encoder, E, ids)
        np.testing.assert_allclose(got.vector, one.vector, atol=1e-6)
        assert (got.sentences, got.truncated, got.empty, got.warnings) == (
            one.sentences, one.truncated, one.empty, one.warnings)
        np.testing.assert_allclose(got.sentence_vectors, one.sentence_vectors, atol=1e-6)
