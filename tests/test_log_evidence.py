"""LogEvidence (the text + log hybrid inside Recommender.recommend) on tiny data with known answers."""

import numpy as np
import pandas as pd
import pytest

from coldrec.catalog import load_catalog
from coldrec.errors import ColdrecError
from coldrec.recommend import LogEvidence, LogEvidenceConfig, Recommender


def _unit(a):
    a = np.asarray(a, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# three users near the profile [1, 0] all chose item 3; a far user chose item 0
USERS = _unit([[1.0, 0.0], [0.95, 0.05], [0.9, 0.1], [0.0, 1.0]])
CHOSEN = [[3], [3, 1], [3], [0]]


def test_votes_count_the_k_nearest_users_choices():
    ev = LogEvidence(LogEvidenceConfig(k=3)).fit(USERS, CHOSEN, n_items=4)
    assert ev.votes(np.array([1.0, 0.0], np.float32)).tolist() == [0.0, 1.0, 0.0, 3.0]
    assert ev.k == 3
    # k larger than the log: everyone votes
    assert LogEvidence(LogEvidenceConfig(k=50)).fit(USERS, CHOSEN, 4).votes(np.array([1.0, 0.0])).tolist() == \
        [1.0, 1.0, 0.0, 3.0]


def test_a_user_without_positives_does_not_vote_and_repeats_count_once():
    ev = LogEvidence(LogEvidenceConfig(k=2)).fit(USERS, [[3, 3, 3], [], [1], [0]], n_items=4)
    assert ev.votes(np.array([1.0, 0.0])).tolist() == [0.0, 1.0, 0.0, 1.0]


def test_blend_weight_zero_is_the_text_order_and_one_the_votes_order():
    cos = np.array([0.9, 0.5, 0.4, 0.1])
    votes = np.array([0.0, 0.0, 1.0, 3.0])
    text = LogEvidence(LogEvidenceConfig(weight=0.0)).blend(cos, votes)
    log = LogEvidence(LogEvidenceConfig(weight=1.0)).blend(cos, votes)
    assert np.argsort(-text).tolist() == [0, 1, 2, 3]
    assert np.argsort(-log)[:2].tolist() == [3, 2]


def test_errors_name_the_value_and_the_fix():
    with pytest.raises(ColdrecError, match="weight must be between 0 and 1, got 1.5"):
        LogEvidenceConfig(weight=1.5)
    with pytest.raises(ColdrecError, match="k must be a whole number ≥ 1, got 0"):
        LogEvidenceConfig(k=0)
    with pytest.raises(ColdrecError, match="one vector per log user: 4 vectors for 2 users"):
        LogEvidence().fit(USERS, [[0], [1]], 4)
    with pytest.raises(ColdrecError, match="item row 9 is outside the catalog's 4 items"):
        LogEvidence().fit(USERS, [[9], [1], [0], [0]], 4)
    with pytest.raises(ColdrecError, match="before fit"):
        LogEvidence().votes(np.zeros(2))


def _recommender(fake_encoder, weight=0.9):
    items = pd.DataFrame({"item_id": list("abcd"), "title": ["red shoes", "red boots", "green tea", "blue kettle"],
                          "category": ["shoes", "shoes", "tea", "kitchen"]})
    cat = load_catalog(items)
    E = fake_encoder.encode(cat.texts)
    users = fake_encoder.encode(["red shoes please", "I love red shoes", "shoes in red", "tea drinker"])
    ev = LogEvidence(LogEvidenceConfig(k=3, weight=weight)).fit(users, [[3], [3], [3], [2]], n_items=4)
    return Recommender(cat, E, fake_encoder, log_evidence=ev), cat, E


def test_recommend_lifts_what_similar_users_chose_and_says_so(fake_encoder):
    rec, cat, E = _recommender(fake_encoder)
    df = rec.recommend("red shoes", k=4, n=2)  # the kettle is outside the cosine top 2: the votes bring it in
    assert df["item_id"].iloc[0] == "d"
    assert df["reason"].iloc[0].startswith("liked by 3 of 3 similar users")
    assert df.attrs["ranked_by"].startswith("hybrid: text + 3 similar log users")
    assert "No ranker is trained" not in " ".join(df.attrs["warnings"])
    # weight 0: the text order, whatever the votes
    text_only, _, _ = _recommender(fake_encoder, weight=0.0)
    cosine = Recommender(cat, E, fake_encoder).recommend("red shoes", k=4)
    assert list(text_only.recommend("red shoes", k=4)["item_id"]) == list(cosine["item_id"])


def test_filters_and_seen_items_hold_for_voted_items(fake_encoder):
    rec, _, _ = _recommender(fake_encoder)
    assert "d" not in set(rec.recommend("red shoes", k=4, exclude_categories=["kitchen"])["item_id"])
    from coldrec.retrieval import UserInput

    assert "d" not in set(rec.recommend(UserInput(description="red shoes", disliked=["d"]), k=4)["item_id"])


def test_ranker_and_log_evidence_together_are_refused(fake_encoder, tiny_ranker=None):
    rec, cat, E = _recommender(fake_encoder)

    class _Ranker:  # only the attributes the constructor reads before the check
        trained_on: dict = {}

    with pytest.raises(ColdrecError, match="Give a ranker or log evidence, not both"):
        Recommender(cat, E, fake_encoder, ranker=_Ranker(), log_evidence=rec.log_evidence)


def test_settings_round_trip_and_a_bad_file_is_named(tmp_path):
    path = LogEvidence(LogEvidenceConfig(k=7, weight=0.3)).save_settings(tmp_path / "hybrid.json", encoder="x")
    cfg, meta = LogEvidence.read_settings(path)
    assert cfg == LogEvidenceConfig(k=7, weight=0.3) and meta["encoder"] == "x"
    (tmp_path / "bad.json").write_text("[1]")
    with pytest.raises(ColdrecError, match="bad.json is not a log-evidence settings file"):
        LogEvidence.read_settings(tmp_path / "bad.json")


def test_shared_likes_pick_the_similar_users_first():
    # user 3 is far by description but shares the liked item 0 with the profile: with a like, they vote first
    users = _unit([[1.0, 0.0], [0.95, 0.05], [0.9, 0.1], [0.0, 1.0]])
    ev = LogEvidence(LogEvidenceConfig(k=1)).fit(users, [[3], [3], [3], [0, 2]], n_items=4)
    assert ev.votes(np.array([1.0, 0.0])).tolist() == [0.0, 0.0, 0.0, 1.0]
    assert ev.votes(np.array([1.0, 0.0]), liked_rows=[0]).tolist() == [1.0, 0.0, 1.0, 0.0]


def test_the_table_says_how_much_came_from_the_log(fake_encoder):
    rec, _, _ = _recommender(fake_encoder, weight=0.9)
    df = rec.recommend("red shoes", k=4, n=2)
    assert "log_share" in df and df["log_share"].between(0, 1).all()
    assert df["log_share"].iloc[0] > 0.5  # the kettle is there because of the votes
    text_only, _, _ = _recommender(fake_encoder, weight=0.0)
    assert (text_only.recommend("red shoes", k=4)["log_share"] == 0).all()
    from coldrec.recommend import Recommender as R

    assert "log_share" not in R(rec.catalog, rec.item_vectors, fake_encoder).recommend("red shoes", k=2)
