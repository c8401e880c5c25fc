"""The feedback loop: re-ranking equals Recommender.recommend, shown items stay out, simulation is seeded."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coldrec.errors import ColdrecError
from coldrec.recommend import (STRATEGIES, FeedbackSession, Recommender, feedback_recommend, positives_by_user,
                               simulate_session, simulate_sessions)
from coldrec.retrieval import UserInput


@pytest.fixture(scope="module")
def demo_rec():
    from coldrec.demo import demo_recommender, load_demo
    from coldrec.encoders import HashEncoder

    return load_demo("ecommerce"), demo_recommender("ecommerce", HashEncoder(dim=64), cache=False, ranker=None)


@pytest.fixture
def tiny_rec(tiny_catalog, fake_encoder):
    return Recommender.from_catalog(tiny_catalog, fake_encoder, popularity=[5, 1, 4, 0, 3, 2])


def test_feedback_rerank_equals_recommend_with_the_same_items(tiny_rec):
    user = UserInput(description="wireless headphones for the gym", liked=["k1"])
    got = feedback_recommend(tiny_rec, user, liked=["h2"], disliked=["g1"], k=3)
    want = tiny_rec.recommend(UserInput(description=user.description, liked=["k1", "h2"], disliked=["g1"]), 3)
    pd.testing.assert_frame_equal(got, want)
    assert not set(got["item_id"]) & {"k1", "h2", "g1"}


def test_shown_items_are_kept_out_of_the_way(tiny_rec):
    user = UserInput(description="garden tools and a kitchen")
    first = feedback_recommend(tiny_rec, user, k=2)
    again = feedback_recommend(tiny_rec, user, k=2, shown=first["item_id"].tolist())
    assert not set(first["item_id"]) & set(again["item_id"]) and len(again) == 2
    full = tiny_rec.recommend(user, 4, n=50)
    assert again["item_id"].tolist() == [i for i in full["item_id"] if i not in set(first["item_id"])][:2]
    assert again.attrs["hidden_shown"] == 2


def test_session_rounds_record_marks_and_changes(tiny_rec):
    s = FeedbackSession(UserInput(description="headphones"))
    first = s.next_list(tiny_rec, k=2)
    s.mark(first["item_id"][0], "liked")
    s.mark(first["item_id"][1], "not-for-me")
    s.mark(first["item_id"][1], "liked")  # a second mark replaces the first
    assert s.liked == first["item_id"].tolist() and not s.disliked
    second = s.next_list(tiny_rec, k=2)
    assert not set(second["item_id"]) & set(first["item_id"])
    r1, r2 = s.rounds
    assert r1.liked == first["item_id"].tolist() and r2.entered == second["item_id"].tolist()
    assert r2.left == first["item_id"].tolist()
    want = tiny_rec.recommend(UserInput(description="headphones", liked=s.liked), 2)
    assert second["item_id"].tolist() == want["item_id"].tolist()
    with pytest.raises(ColdrecError, match="liked, not-for-me"):
        s.mark("h1", "meh")


def test_simulated_session_is_seeded(demo_rec):
    demo, rec = demo_rec
    pos = positives_by_user(demo.interactions.frame)
    u = sorted(pos)[0]
    desc = dict(zip(demo.users["user_id"].astype(str), demo.users["description"]))[u]
    runs = [simulate_session(rec, pos[u], description=desc, strategy=s, rounds=4, k=5, seed=3) for s in STRATEGIES]
    assert runs == [simulate_session(rec, pos[u], description=desc, strategy=s, rounds=4, k=5, seed=3)
                    for s in STRATEGIES]
    assert all(len(r) == 4 and all(0 <= h <= 5 for h in r) for r in runs)
    # popularity ignores the description; text+feedback does not
    assert simulate_session(rec, pos[u], strategy="popularity", rounds=4, k=5, seed=3) == runs[2]
    with pytest.raises(ColdrecError, match="text\\+feedback, feedback-only, popularity"):
        simulate_session(rec, pos[u], strategy="oracle")


def test_simulated_sessions_average_and_are_deterministic(demo_rec):
    demo, rec = demo_rec
    pos = positives_by_user(demo.interactions.frame)
    a = simulate_sessions(rec, demo.users, pos, rounds=3, k=5, max_users=6, seed=1)
    b = simulate_sessions(rec, demo.users, pos, rounds=3, k=5, max_users=6, seed=1)
    assert a == b and len(a["users"]) == 6 and set(a["mean_hits"]) == set(STRATEGIES)
    assert a["mean_cumulative_hits"]["popularity"][-1] == pytest.approx(sum(a["mean_hits"]["popularity"]), abs=1e-3)
    with pytest.raises(ColdrecError, match="description"):
        simulate_sessions(rec, demo.users.assign(description=""), pos)


def test_simulate_command_is_deterministic(capsys):
    from coldrec.cli import main

    base = ["simulate", "--domain", "ecommerce", "--model", "hash", "--users", "4", "--rounds", "2", "--no-cache"]
    argv = base + ["--format", "json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert set(first["mean_hits"]) == set(STRATEGIES) and len(first["mean_hits"]["popularity"]) == 2
    assert main(base) == 0
    assert "text+feedback" in capsys.readouterr().out
