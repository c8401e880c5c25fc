"""Item cold start: the audience of a new item equals adding it to the catalog and recommending for each user."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coldrec.recommend import (AUDIENCE_COLUMNS, compare_audiences, item_audience, new_item_report, reach_by_group,
                              similar_items)
from coldrec.errors import ColdrecError
from coldrec.recommend import Recommender
from coldrec.retrieval import UserProfile
from coldrec.ranking import MLPRanker, RankerConfig
from conftest import unit_rows


class FixedRanker(MLPRanker):
    """A deterministic ranker that is not monotone in cosine and uses popularity (so both paths matter)."""

    def __init__(self, dim: int, seed: int = 0) -> None:
        super().__init__(RankerConfig())
        rng = np.random.default_rng(seed)
        self.dim, self._net = dim, object()
        self.w = rng.standard_normal((3, dim)).astype(np.float32)

    def score_pairs(self, item_vectors, user_vectors, popularity=None):
        pop = np.zeros(len(item_vectors)) if popularity is None else np.asarray(popularity, float)
        z = (item_vectors @ self.w[0] + user_vectors @ self.w[1] + (item_vectors * user_vectors) @ self.w[2] * 4
             + 0.3 * np.log1p(pop))
        return 1 / (1 + np.exp(-z))


def _catalog(n: int):
    from coldrec.catalog import ColumnMap, load_catalog

    frame = pd.DataFrame({"item_id": [f"i{j}" for j in range(n)], "title": [f"item {j}" for j in range(n)],
                          "category": [f"c{j % 3}" for j in range(n)]})
    return load_catalog(frame, ColumnMap(id="item_id", text=["title"], title="title", category="category"))


@pytest.mark.parametrize("with_ranker,assumed", [(False, 0.0), (True, 0.0), (True, 25.0)])
@pytest.mark.parametrize("n", [5, 12, 40])
def test_audience_matches_adding_the_item_and_recommending(fake_encoder, with_ranker, assumed, n):
    rng = np.random.default_rng(n)
    d, items = 16, 30
    E, U, e = unit_rows(rng, items, d), unit_rows(rng, 25, d), unit_rows(rng, 1, d)[0]
    pop = rng.integers(0, 50, items).astype(np.float32)
    ranker = FixedRanker(d) if with_ranker else None
    rec = Recommender(_catalog(items), E, fake_encoder, ranker=ranker, popularity=pop)
    got = item_audience(rec, e, U, [f"u{j}" for j in range(len(U))], k=4, n=n, popularity=assumed)
    got = got.set_index("user_id")

    # Brute force: the catalog with the new item appended (with the assumed count), recommended for each user.
    big = Recommender(_catalog(items + 1), np.vstack([E, e]), fake_encoder, ranker=ranker,
                      popularity=np.append(pop, assumed))
    new_id = f"i{items}"
    for j, u in enumerate(U):
        recs = big.recommend("", k=n, n=n, profile=UserProfile(vector=u))
        row = got.loc[f"u{j}"]
        hit = recs.index[recs["item_id"] == new_id]
        if len(hit):
            assert row["final_rank"] == recs.loc[hit[0], "final_rank"]
            assert row["recall_rank"] == recs.loc[hit[0], "recall_rank"]
        else:
            assert pd.isna(row["final_rank"]) and row["recall_rank"] > n
        assert row["reaches"] == (len(hit) > 0 and recs.loc[hit[0], "final_rank"] <= 4)


def test_audience_table_order_and_columns(fake_encoder):
    rng = np.random.default_rng(1)
    E, U, e = unit_rows(rng, 20, 8), unit_rows(rng, 6, 8), unit_rows(rng, 1, 8)[0]
    rec = Recommender(_catalog(20), E, fake_encoder)
    U[2] = e  # this user is the item's own direction: cosine 1, first everywhere
    df = item_audience(rec, e, U, list("abcdef"), k=3, n=10)
    assert list(df.columns) == AUDIENCE_COLUMNS
    assert df["user_id"].iloc[0] == "c" and df["final_rank"].iloc[0] == 1 and df["reaches"].iloc[0]
    ranked = df["final_rank"].dropna().tolist()
    assert ranked == sorted(ranked) and df.attrs["ranked_by"].startswith("cosine")


def test_bad_inputs_name_the_problem(fake_encoder):
    rng = np.random.default_rng(2)
    rec = Recommender(_catalog(10), unit_rows(rng, 10, 8), fake_encoder)
    with pytest.raises(ColdrecError, match="k must be at least 1, got 0"):
        item_audience(rec, np.ones(8), np.ones((2, 8)), ["a", "b"], k=0)
    with pytest.raises(ColdrecError, match="1 user id\\(s\\) for 2 user vector"):
        item_audience(rec, np.ones(8), np.ones((2, 8)), ["a"])
    with pytest.raises(ColdrecError, match="8-d like the catalog's; got item 5-d"):
        item_audience(rec, np.ones(5), np.ones((2, 8)), ["a", "b"])
    with pytest.raises(ColdrecError, match="NaN"):
        item_audience(rec, np.full(8, np.nan), np.ones((1, 8)), ["a"])
    with pytest.raises(ColdrecError, match="popularity must be a count >= 0, got -1"):
        item_audience(rec, np.ones(8), np.ones((1, 8)), ["a"], popularity=-1)


def test_new_item_report_on_known_text(tiny_catalog, fake_encoder):
    rec = Recommender.from_catalog(tiny_catalog, fake_encoder)
    users = {"runner": "wireless earbuds for running", "gardener": "a garden hose for watering plants",
             "blank": "!!!"}
    rep = new_item_report(rec, "Wireless sport earbuds, sweat resistant, for running", users, k=2)
    assert rep.similar["item_id"].iloc[0] == "h2" and rep.similar["cosine"].is_monotonic_decreasing
    assert rep.audience["user_id"].iloc[0] == "runner" and bool(rep.audience["reaches"].iloc[0])
    assert "blank" not in set(rep.audience["user_id"]) and rep.summary["skipped_users"] == 1
    assert rep.summary["users"] == 2 and 0 < rep.summary["reach"] <= 1 and not rep.summary["truncated"]
    long = new_item_report(rec, "earbuds " * 500, users, k=2)  # the hash encoder's window is 128 words
    assert long.summary["truncated"]
    with pytest.raises(ColdrecError, match="Describe the new item"):
        new_item_report(rec, "   ", users)


def test_similar_items_is_brute_force_top_m(fake_encoder):
    rng = np.random.default_rng(3)
    E, e = unit_rows(rng, 50, 8), unit_rows(rng, 1, 8)[0]
    rec = Recommender(_catalog(50), E, fake_encoder)
    df = similar_items(rec, e, m=7)
    assert df["item_id"].tolist() == [f"i{j}" for j in np.argsort(-(E @ e), kind="stable")[:7]]
    assert len(similar_items(rec, e, m=500)) == 50


def test_assumed_popularity_lifts_the_item_only_with_a_popularity_ranker(fake_encoder):
    from coldrec.recommend import median_popularity, uses_popularity

    rng = np.random.default_rng(5)
    E, U, e = unit_rows(rng, 30, 8), unit_rows(rng, 12, 8), unit_rows(rng, 1, 8)[0]
    pop = rng.integers(0, 100, 30).astype(np.float32)
    plain = Recommender(_catalog(30), E, fake_encoder, ranker=FixedRanker(8), popularity=pop)
    assert not uses_popularity(plain) and median_popularity(plain) == float(np.median(pop))
    rich = FixedRanker(8)
    rich.config.features = "rich"
    rec = Recommender(_catalog(30), E, fake_encoder, ranker=rich, popularity=pop)
    assert uses_popularity(rec)
    cold = item_audience(rec, e, U, list("abcdefghijkl"), k=5, n=30).set_index("user_id")["final_rank"]
    warm = item_audience(rec, e, U, list("abcdefghijkl"), k=5, n=30, popularity=90).set_index("user_id")
    warm = warm["final_rank"].reindex(cold.index)
    # the fake ranker adds 0.3·log1p(popularity): an item assumed popular never ranks lower
    assert (warm <= cold).all() and (warm < cold).any()


def test_reach_by_group_counts_each_group():
    audience = pd.DataFrame({"user_id": ["a", "b", "c", "d", "typed"], "reaches": [True, False, True, True, True]})
    out = reach_by_group(audience, {"a": "budget", "b": "budget", "c": "premium", "d": ""})
    assert out.to_dict("records") == [
        {"group": "(not in the log)", "users": 1, "reached": 1, "reach": 1.0},
        {"group": "(unknown)", "users": 1, "reached": 1, "reach": 1.0},
        {"group": "premium", "users": 1, "reached": 1, "reach": 1.0},
        {"group": "budget", "users": 2, "reached": 1, "reach": 0.5},
    ]


@pytest.mark.slow
def test_minilm_new_headphones_reach_the_commuter_not_the_gardener(minilm):
    from coldrec.demo import load_demo

    demo = load_demo("ecommerce")
    rec = Recommender.from_catalog(demo.catalog, minilm)
    users = {"commuter": "I take a noisy train to work every day and want some quiet",
             "gardener": "I grow vegetables and flowers in my back garden"}
    rep = new_item_report(rec, "Foldable wireless noise-cancelling headphones with a 40-hour battery", users, k=10)
    by = rep.audience.set_index("user_id")
    assert by.loc["commuter", "reaches"] and not by.loc["gardener", "reaches"]
    assert (rep.similar["category"].head(5) == "Headphones & Audio").all()


def test_blocks_of_users_give_the_same_table(fake_encoder, monkeypatch):
    import coldrec.recommend._audience as audience

    rng = np.random.default_rng(4)
    E, U, e = unit_rows(rng, 30, 8), unit_rows(rng, 9, 8), unit_rows(rng, 1, 8)[0]
    rec = Recommender(_catalog(30), E, fake_encoder, ranker=FixedRanker(8), popularity=np.arange(30.0))
    whole = item_audience(rec, e, U, list("abcdefghi"), k=3, n=8)
    monkeypatch.setattr(audience, "_USER_BLOCK", 2)  # two users and seven items per block
    monkeypatch.setattr(audience, "_BLOCK_FLOATS", 18)  # 9 items a block
    monkeypatch.setattr(audience, "_RANK_USERS", 3)
    pd.testing.assert_frame_equal(item_audience(rec, e, U, list("abcdefghi"), k=3, n=8), whole)
    monkeypatch.setattr(audience, "_KEEP", 1)  # cut the kept entries back after (nearly) every block
    pd.testing.assert_frame_equal(item_audience(rec, e, U, list("abcdefghi"), k=3, n=8), whole)
    monkeypatch.setattr(audience, "_BLOCK_FLOATS", 1)  # the narrowest blocks: 8 items
    pd.testing.assert_frame_equal(item_audience(rec, e, U, list("abcdefghi"), k=3, n=8), whole)


def test_no_users_gives_an_empty_audience_not_an_error(tiny_catalog, fake_encoder):
    rec = Recommender.from_catalog(tiny_catalog, fake_encoder)
    rep = new_item_report(rec, "A garden rake with a long handle", {}, k=3)
    assert rep.audience.empty and list(rep.audience.columns) == AUDIENCE_COLUMNS
    assert rep.summary["users"] == 0 and rep.summary["reach"] == 0.0 and rep.summary["median_final_rank"] is None
    assert rep.similar["category"].iloc[0] == "Garden"


def test_compare_audiences_lists_gained_and_lost_users():
    a = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"], "who": ["w1", "w2", "w3", "w4"],
                      "final_rank": pd.array([1, 12, None, 4], dtype="Int64"), "reaches": [True, False, False, True]})
    b = pd.DataFrame({"user_id": ["u4", "u3", "u2", "u1"], "who": ["w4", "w3", "w2", "w1"],
                      "final_rank": pd.array([20, 3, 2, 1], dtype="Int64"), "reaches": [False, True, True, True]})
    out = compare_audiences(a, b)
    assert out[["user_id", "change"]].values.tolist() == [["u2", "gained"], ["u3", "gained"], ["u4", "lost"]]
    assert out.loc[out["user_id"] == "u3", "rank_a"].isna().all() and out["who"].tolist() == ["w2", "w3", "w4"]
    assert out.attrs == {"reached_a": 2, "reached_b": 3, "kept": 1}
    with pytest.raises(ColdrecError, match="different users"):
        compare_audiences(a, b.iloc[:3])


def test_rewording_an_item_moves_its_audience(tiny_catalog, fake_encoder):
    rec = Recommender.from_catalog(tiny_catalog, fake_encoder)
    users = {"runner": "wireless earbuds for running", "gardener": "a garden hose for watering plants"}
    a = new_item_report(rec, "Wireless sport earbuds for running", users, k=2).audience
    b = new_item_report(rec, "A garden hose for watering plants, thirty metres", users, k=2).audience
    out = compare_audiences(a, b)
    assert set(zip(out["user_id"], out["change"])) == {("runner", "lost"), ("gardener", "gained")}


def _tied_rows(rng: np.random.Generator, n: int, d: int = 16) -> np.ndarray:
    """Unit rows with four entries of +-1/2: every cosine is a multiple of 1/4, exact in float32 (many ties)."""
    x = np.zeros((n, d), np.float32)
    for r in range(n):
        x[r, rng.choice(d, 4, replace=False)] = rng.choice([-0.5, 0.5], 4)
    return x


@pytest.mark.parametrize("take", [0, 1, 3, 9, 40, 61])
@pytest.mark.parametrize("width,keep", [(8, 1), (9, 1), (20, 4), (64, 4), (1000, 4)])
def test_scan_matches_brute_force_with_ties(monkeypatch, take, width, keep):
    import coldrec.recommend._audience as audience

    rng = np.random.default_rng(take * 7 + width)
    E, U = _tied_rows(rng, 61), _tied_rows(rng, 23)
    E[30:40] = E[0]  # duplicate rows: exact ties that only the row order breaks
    c_new = U @ _tied_rows(rng, 1)[0]
    monkeypatch.setattr(audience, "_BLOCK_FLOATS", width * len(U))  # blocks of `width` items
    monkeypatch.setattr(audience, "_KEEP", keep)
    rank, top = audience._scan(U, c_new, E, take)
    S = U @ E.T
    assert rank.tolist() == (1 + (S > c_new[:, None]).sum(1)).tolist()
    assert len(np.unique(S)) < 10  # the data is tie-heavy, so the order among ties is under test
    want = np.argsort(-S, axis=1, kind="stable")[:, :take]  # best first, ties by lower row
    recalled = rank <= take + 1  # the top of a user out of the recall is never read
    assert top.shape == (len(U), take) and top[recalled].tolist() == want[recalled].tolist()
    assert recalled.any() or take == 0


def test_audience_with_ties_and_n_beyond_the_catalog(fake_encoder):
    rng = np.random.default_rng(3)
    E, U, e = _tied_rows(rng, 12), _tied_rows(rng, 40), _tied_rows(rng, 1)[0]
    E[6:] = E[:6]
    pop = rng.integers(0, 5, 12).astype(np.float32)
    rec = Recommender(_catalog(12), E, fake_encoder, ranker=FixedRanker(16), popularity=pop)
    got = item_audience(rec, e, U, [f"u{j}" for j in range(len(U))], k=20, n=30).set_index("user_id")
    big = Recommender(_catalog(13), np.vstack([E, e]), fake_encoder, ranker=FixedRanker(16),
                      popularity=np.append(pop, 0.0))
    for j, u in enumerate(U):  # the whole catalog is recalled: the item reaches everyone, at the ranker's rank
        recs = big.recommend("", k=30, n=30, profile=UserProfile(vector=u)).set_index("item_id")
        assert len(recs) == 13
        assert got.loc[f"u{j}", "final_rank"] == recs.loc["i12", "final_rank"]
        assert got.loc[f"u{j}", "reaches"]
        # recall rank: 1 + the catalog items strictly closer (the new item wins a cosine tie; recommend() on the
        # appended catalog breaks it by row, where the new item is last)
        assert got.loc[f"u{j}", "recall_rank"] == 1 + int((E @ u > e @ u).sum())
    assert (got["recall_rank"] < 13).any() and got["cosine"].round(6).isin((E @ U.T).round(6).ravel()).any()
