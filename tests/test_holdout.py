"""coldrec.evaluation.holdout_comparison, the one ranker-vs-baselines table (issue 17 point 1), on a tiny hand-made
case whose recall@2 / NDCG@2 are worked out below by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coldrec.catalog import load_catalog
from coldrec.errors import ColdrecError
from coldrec.evaluation import HOLDOUT_BASELINES, describe_holdout, holdout_comparison
from coldrec.ranking import load_interactions, split_users

WORDS = ["apple", "banana", "cherry", "date", "elder", "fig"]


class WordEncoder:
    """Item i is the unit vector e_i; a text is the sum of its item words, the first word weighted 2, normalised."""

    name, dim, max_seq_length = "word-test", len(WORDS), 512

    def encode(self, texts, *, progress=None):
        out = np.zeros((len(texts), self.dim), np.float32)
        for r, text in enumerate(texts):
            found = [w for w in str(text).lower().replace(".", " ").split() if w in WORDS]
            for j, w in enumerate(found):
                out[r, WORDS.index(w)] += 2.0 if j == 0 else 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def count_truncated(self, texts):
        return 0


class FavouriteRanker:
    """A stand-in ranker that puts one item first and otherwise keeps the recall order."""

    trained_on: dict = {}

    class config:
        method_name, seed = "fav-ranker", 0

    def __init__(self, row: int) -> None:
        self.row = row

    def score(self, item_vectors, user_vector, popularity=None):
        return 0.5 + 0.5 * item_vectors[:, self.row]


def tiny_case():
    """Six one-word items, five log users; the held-out one wrote "cherry apple" and clicked apple and date."""
    catalog = load_catalog(pd.DataFrame({"item_id": [f"i{j}" for j in range(6)], "title": WORDS,
                                         "description": WORDS}))
    [held], _ = split_users(5, 0.2, 0)
    users = [f"u{j}" for j in range(5)]
    texts, rows = {}, []
    train_clicks = iter([["i3", "i1"], ["i3", "i1"], ["i3", "i1"], ["i3", "i4"]])  # popularity: i3 4, i1 3, i4 1
    for j, u in enumerate(users):
        if j == held:
            texts[u] = "cherry apple"
            rows += [(u, "i0", 1), (u, "i3", 1), (u, "i5", 0)]  # clicked apple, date; shown fig, skipped
        else:
            texts[u] = "fig"
            rows += [(u, i, 1) for i in next(train_clicks)]
    log = load_interactions(pd.DataFrame(rows, columns=["user_id", "item_id", "rating"]))
    enc = WordEncoder()
    return catalog, enc.encode(catalog.texts), enc, log, texts, users[held]


def ndcg2(hits):
    """NDCG@2 for two relevant items, ``hits`` = (rank 1 relevant, rank 2 relevant)."""
    dcg = sum(h / math.log2(r + 2) for r, h in enumerate(hits))
    return dcg / (1 + 1 / math.log2(3))


def test_hand_computed_tiny_case():
    catalog, E, enc, log, texts, held = tiny_case()
    frame = holdout_comparison(catalog, E, enc, log, user_texts=texts, k=2, ranker=FavouriteRanker(3))
    got = frame.set_index("method")
    assert list(got.index) == [*HOLDOUT_BASELINES, "fav-ranker"]
    assert frame.attrs["test_users"] == [held] and (got["users"] == 1).all()
    # popularity (training users only): i3, i1 -> date is a click at rank 1
    assert got.loc["popularity", "recall@2"] == pytest.approx(0.5)
    assert got.loc["popularity", "ndcg@2"] == pytest.approx(ndcg2((1, 0)))
    # cosine of "cherry apple" = (2 e2 + e0)/sqrt5: cherry, apple -> apple at rank 2
    assert got.loc["cosine (zero-shot)", "ndcg@2"] == pytest.approx(ndcg2((0, 1)))
    # TF-IDF: cherry and apple weigh the same (each in one item and the user's text), the tie keeps catalog order
    assert got.loc["tfidf", "ndcg@2"] == pytest.approx(ndcg2((1, 0)))
    # the ranker lifts date (i3) over the cosine order: date, cherry
    assert got.loc["fav-ranker", "ndcg@2"] == pytest.approx(ndcg2((1, 0)))
    # AUC, clicks {apple, date} against the skipped fig: popularity 4 > 0 and a tie 0 = 0 -> (1 + .5) / 2
    assert got.loc["popularity", "auc"] == pytest.approx(0.75)
    assert got.loc["cosine (zero-shot)", "auc"] == pytest.approx(0.75)
    assert "1 held-out log users" in describe_holdout(frame) and "recall@2" in describe_holdout(frame)


def test_ranker_row_is_the_list_recommend_serves():
    from coldrec.recommend import Recommender
    from coldrec.retrieval import UserInput

    catalog, E, enc, log, texts, held = tiny_case()
    ranker = FavouriteRanker(5)  # fig, which the held-out user skipped
    frame = holdout_comparison(catalog, E, enc, log, user_texts=texts, k=2, ranker=ranker)
    served = Recommender(catalog, E, enc, ranker=ranker).recommend(UserInput(description=texts[held]), 2)
    hits = tuple(int(i in {"i0", "i3"}) for i in served["item_id"])
    assert hits == (0, 0) and served["item_id"].tolist()[0] == "i5"
    assert frame.set_index("method").loc["fav-ranker", "ndcg@2"] == pytest.approx(ndcg2(hits))


def test_split_is_the_trainers_and_errors_name_the_fix():
    catalog, E, enc, log, texts, _ = tiny_case()
    with pytest.raises(ColdrecError, match=r"k must be at least 1, got 0.*10"):
        holdout_comparison(catalog, E, enc, log, user_texts=texts, k=0)
    with pytest.raises(ColdrecError, match=r"test_fraction must be between 0 and 1.*got 1\.5.*0\.2"):
        holdout_comparison(catalog, E, enc, log, user_texts=texts, test_fraction=1.5)
    small = load_interactions(pd.DataFrame({"user_id": ["a", "b"], "item_id": ["i0", "i1"], "rating": [1, 1]}))
    with pytest.raises(ColdrecError, match=r"Only 2 usable user\(s\).*at least 5"):
        holdout_comparison(catalog, E, enc, small, user_texts={"a": "apple", "b": "fig"})


def test_hybrid_row_votes_come_from_training_users_only():
    from coldrec.evaluation import HYBRID_METHOD
    from coldrec.evaluation._log_choice import hybrid_recommender
    from coldrec.recommend import LogEvidenceConfig

    catalog, E, enc, log, texts, held = tiny_case()
    frame = holdout_comparison(catalog, E, enc, log, user_texts=texts, k=2,
                               log_evidence=LogEvidenceConfig(k=5, weight=0.9))
    got = frame.set_index("method")
    assert list(got.index) == [*HOLDOUT_BASELINES, HYBRID_METHOD]
    # the four training users vote date 4, banana 3, elder 1: date (a click) first, banana second
    assert got.loc[HYBRID_METHOD, "ndcg@2"] == pytest.approx(ndcg2((1, 0)))
    assert frame.attrs["hybrid"]["k"] == 5 and frame.attrs["hybrid"]["validation_ndcg"] == {}
    users = sorted(texts)
    train = [j for j, u in enumerate(users) if u != held]
    positives = [np.array([catalog.id_to_row[i] for i in log.positives.loc[log.positives["user_id"] == u,
                                                                         "item_id"]]) for u in users]
    rec, _, _ = hybrid_recommender(catalog, E, enc, users, texts, positives, train, np.zeros(6, np.float32),
                                   choice=LogEvidenceConfig(k=5, weight=0.9))
    assert len(rec.log_evidence.user_vectors) == 4 and rec.log_evidence.k == 4  # the held-out user never votes
    with pytest.raises(ColdrecError, match="needs the log users' descriptions"):
        holdout_comparison(catalog, E, enc, log, k=2, log_evidence=True)


def test_hybrid_choice_is_made_on_training_users():
    from coldrec.evaluation import choose_log_evidence

    catalog, E, enc, log, texts, held = tiny_case()
    users = sorted(texts)
    positives = [np.array([catalog.id_to_row[i] for i in log.positives.loc[log.positives["user_id"] == u,
                                                                         "item_id"]]) for u in users]
    U = enc.encode([texts[u] for u in users])
    train = [j for j, u in enumerate(users) if u != held]
    with pytest.raises(ColdrecError, match="Only 4 training user"):
        choose_log_evidence(catalog, E, enc, U, positives, train, [texts[u] for u in users], np.zeros(6))
    # the held-out user's clicks change nothing in the choice (they are not read)
    five = train + train[:1]
    a = choose_log_evidence(catalog, E, enc, U, positives, five, [texts[u] for u in users], np.zeros(6))
    positives[users.index(held)] = np.array([5])
    b = choose_log_evidence(catalog, E, enc, U, positives, five, [texts[u] for u in users], np.zeros(6))
    assert a == b
