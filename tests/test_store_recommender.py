"""StoreRecommender (issue 14, point 3): recommend from a Milvus Lite store without the catalog's matrix, and get
what the in-memory Recommender gives on the same catalog (same lists, scores, reasons, audiences)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from coldrec.errors import ColdrecError

HAS_MILVUS = all(importlib.util.find_spec(m) for m in ("pymilvus", "milvus_lite"))
needs_milvus = pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus/milvus-lite not installed: "
                                  "pip install -r requirements-scale.txt")
WORDS = ["lamp", "jazz", "vinyl", "shirt", "knife", "garden", "tea", "boots", "hiking", "quiet", "red", "wool"]


def _catalog(n=240, seed=3):
    from coldrec.catalog import ColumnMap, load_catalog

    rng = np.random.default_rng(seed)
    titles = [" ".join(rng.choice(WORDS, 4)) + f" no{i}" for i in range(n)]
    frame = pd.DataFrame({"id": [f"s{i:03d}" for i in range(n)], "name": titles,
                          "cat": rng.choice(["home", "music", "outdoor"], n)})
    return load_catalog(frame, ColumnMap(id="id", text=["name"], title="name", category="cat"))


@pytest.fixture
def pair(tmp_path, fake_encoder):
    """(in-memory Recommender, StoreRecommender) over the same catalog and vectors."""
    from coldrec.encoders import embed_texts
    from coldrec.recommend import Recommender, StoreRecommender
    from coldrec.retrieval import MilvusStore

    cat = _catalog()
    X = embed_texts(fake_encoder, cat.texts).vectors
    store = MilvusStore(str(tmp_path / "items.db"))
    store.add(cat.ids, X, categories=cat.categories, titles=cat.titles)
    yield Recommender(cat, X, fake_encoder), StoreRecommender(store, fake_encoder)
    store.close()


@needs_milvus
@pytest.mark.parametrize("kw", [
    {},
    {"categories": ["music", "home"]},
    {"exclude_categories": ["outdoor"], "mmr_lambda": 0.4},
    {"n": 30, "mmr_lambda": 0.0},
])
def test_store_recommender_equals_the_in_memory_recommender(pair, kw):
    from coldrec.retrieval import UserInput

    mem, st = pair
    user = UserInput("quiet jazz on vinyl, and tea", liked=["s007", "s101"], disliked=["s050"])
    a, b = mem.recommend(user, k=8, **kw), st.recommend(user, k=8, **kw)
    assert list(b["item_id"]) == list(a["item_id"]) and len(b) == 8
    assert not {"s007", "s101", "s050"} & set(b["item_id"])
    np.testing.assert_allclose(b["recall_score"], a["recall_score"], atol=1e-5)
    assert list(b["recall_rank"]) == list(a["recall_rank"]) and list(b["reason"]) == list(a["reason"])
    assert b.attrs["recall"] == "milvus-lite:FLAT" and b.attrs["total"] == 240
    assert b.attrs["categories"] == a.attrs["categories"]
    assert b.attrs["changed_by_controls"] == a.attrs["changed_by_controls"]
    assert "Milvus Lite file items.db" in b.attrs["where"]


@needs_milvus
def test_store_recommender_ranks_with_a_ranker_like_the_in_memory_one(pair):
    from coldrec.ranking import MLPRanker, RankerConfig

    mem, st = pair
    rng = np.random.default_rng(0)
    U = mem.item_vectors[rng.choice(len(mem.catalog), 40)]
    pos = [rng.choice(len(mem.catalog), 3, replace=False).tolist() for _ in range(40)]
    ranker = MLPRanker(RankerConfig(hidden=(8,), epochs=2, seed=1)).fit(mem.item_vectors, U, pos)
    mem.ranker, st.ranker = ranker, ranker
    mem.ranker_popularity = np.zeros(len(mem.catalog), np.float32)
    a, b = mem.recommend("red wool boots for hiking", k=6), st.recommend("red wool boots for hiking", k=6)
    assert list(b["item_id"]) == list(a["item_id"])
    np.testing.assert_allclose(b["ranker_score"], a["ranker_score"], atol=1e-5)


@needs_milvus
def test_store_serves_a_rich_ranker_the_training_popularity_its_checkpoint_saved(pair, tmp_path):
    """A ranker reading log popularity gets, from the store as in memory, the counts it was trained with (items
    it never saw count 0) — not zeros, which would serve it a catalog it never saw."""
    from coldrec.ranking import MLPRanker, RankerConfig
    from coldrec.recommend import Recommender, StoreRecommender

    mem, st = pair
    rng = np.random.default_rng(0)
    n = len(mem.catalog)
    U = mem.item_vectors[rng.choice(n, 200)]
    seen = n - 20  # the last 20 items are new to the ranker: popularity 0 on both paths
    order = np.argsort(-(mem.item_vectors @ mem.profile("wool boots").vector))
    head = order[order < seen][:12]  # recalled for this user
    pos = [rng.choice(head, 3, replace=False).tolist() for _ in range(200)]  # a popular head the ranker must learn
    pop = np.bincount(np.concatenate(pos), minlength=n).astype(np.float32)
    cfg = RankerConfig(features="rich", scalars=("cosine", "log_popularity"), hidden=(8,), epochs=6, seed=1,
                       skip_init=1.0)
    ids = list(mem.catalog.ids)
    ranker = MLPRanker(cfg).fit(mem.item_vectors[:seen], U, pos, popularity=pop[:seen], item_ids=ids[:seen])
    ranker = MLPRanker.load(ranker.save(tmp_path / "rich"))
    a = Recommender(mem.catalog, mem.item_vectors, mem.encoder, ranker=ranker).recommend("wool boots", k=8)
    store_rec = StoreRecommender(st.store, st.encoder, ranker=ranker)
    b = store_rec.recommend("wool boots", k=8)
    assert list(b["item_id"]) == list(a["item_id"])
    np.testing.assert_allclose(b["ranker_score"], a["ranker_score"], atol=1e-5)
    zeros = ranker.score(mem.item_vectors[:40], mem.item_vectors[0], np.zeros(40, np.float32))
    assert not np.allclose(zeros, ranker.score(mem.item_vectors[:40], mem.item_vectors[0], pop[:40]), atol=1e-4)


@needs_milvus
def test_store_refuses_a_ranker_trained_with_another_encoder(pair):
    from coldrec.ranking import MLPRanker, RankerConfig
    from coldrec.errors import CheckpointError
    from coldrec.recommend import StoreRecommender

    mem, st = pair
    rng = np.random.default_rng(0)
    pos = [rng.choice(len(mem.catalog), 3, replace=False).tolist() for _ in range(30)]
    ranker = MLPRanker(RankerConfig(hidden=(8,), epochs=1, seed=1)).fit(mem.item_vectors, mem.item_vectors[:30], pos)
    ranker.trained_on["encoder"] = "some-other-model@0123456789ab"
    with pytest.raises(CheckpointError, match="trained with encoder 'some-other-model.*retrain the ranker"):
        StoreRecommender(st.store, st.encoder, ranker=ranker)


@needs_milvus
def test_store_new_item_report_matches_the_full_scan_up_to_the_recall_size(pair, fake_encoder):
    from coldrec.recommend import new_item_report

    mem, st = pair
    users = {f"u{i}": " ".join(np.random.default_rng(i).choice(WORDS[:5], 2)) for i in range(40)}
    a = new_item_report(mem, "jazz vinyl lamp", users, k=5, n=20)
    b = new_item_report(st, "jazz vinyl lamp", users, k=5, n=20)
    assert a.summary["reached"] > 0
    assert list(b.similar["item_id"]) == list(a.similar["item_id"])
    ra = a.audience.set_index("user_id")["recall_rank"]
    rb = b.audience.set_index("user_id")["recall_rank"]
    inside = ra[ra <= 20].index
    assert len(inside) and (rb[inside] == ra[inside]).all()        # exact where the store's top n decides
    beyond = ra[ra > 20].index
    assert len(beyond) and rb[beyond].isna().all()                   # beyond n: unknown, never guessed
    assert b.summary["reached"] == a.summary["reached"]


@needs_milvus
def test_store_sample_is_seeded_and_refusals_name_the_fix(pair):
    _, st = pair
    items, V = st.sample(50, seed=1)
    again, _ = st.sample(50, seed=1)
    assert len(items) == 50 == len(V) and list(items["item_id"]) == list(again["item_id"])
    assert list(items["row"]) == sorted(items["row"]) and items["item_id"].is_unique
    assert list(st.sample(50, seed=2)[0]["item_id"]) != list(items["item_id"])
    assert len(st.sample(10_000)[0]) == 240
    with pytest.raises(ColdrecError, match="interaction counts.*popularity blend to 0"):
        st.recommend("jazz", k=3, pop_weight=0.3)
    with pytest.raises(ColdrecError, match="k must be at least 1"):
        st.recommend("jazz", k=0)


@needs_milvus
def test_store_recommender_refuses_an_empty_store_or_another_model(tmp_path, fake_encoder):
    from coldrec.encoders import HashEncoder
    from coldrec.recommend import StoreRecommender
    from coldrec.retrieval import MilvusStore

    with MilvusStore(str(tmp_path / "empty.db")) as store:
        with pytest.raises(ColdrecError, match="holds no items.*coldrec index"):
            StoreRecommender(store, fake_encoder)
        store.add(["a"], np.eye(1, 64, dtype=np.float32))
        with pytest.raises(ColdrecError, match="64-d vectors but model .* makes 32-d"):
            StoreRecommender(store, HashEncoder(dim=32))


def test_store_location_shows_a_file_name_or_a_host_never_a_path_or_token(tmp_path):
    from coldrec.recommend import store_location
    from coldrec.retrieval import parse_index_uri

    lite = store_location(parse_index_uri(str(tmp_path / "deep" / "items.db#goods")))
    assert lite == "Milvus Lite file items.db (collection goods)" and str(tmp_path) not in lite
    assert store_location(parse_index_uri("milvus://milvus.internal:19530/items")) == \
        "Milvus server milvus.internal:19530 (collection items)"


@needs_milvus
def test_batched_profiles_give_the_lists_and_reasons_of_one_at_a_time(pair):
    from coldrec.retrieval import UserInput

    mem, st = pair
    users = [UserInput("jazz vinyl", liked=["s010", "s020"]), UserInput("garden tea", liked=["s030"],
                                                                        disliked=["s010"]),
             UserInput("red wool boots", liked=["nope", "s020"], disliked=["s040"])]
    profiles = st.profiles(users)
    for u, p in zip(users, profiles):
        one, batched = st.recommend(u, k=6), st.recommend(u, k=6, profile=p)
        assert list(batched["item_id"]) == list(one["item_id"]) and list(batched["reason"]) == list(one["reason"])
        assert list(one["item_id"]) == list(mem.recommend(u, k=6)["item_id"])
    assert st.ranked_ids(users, k=6) == [list(st.recommend(u, k=6)["item_id"]) for u in users]


@needs_milvus
def test_cli_recommend_index_is_the_store_recommender(tmp_path, capsys):
    import json

    from coldrec.cli import main
    from coldrec.encoders import embed_texts, load_encoder
    from coldrec.recommend import Recommender
    from coldrec.retrieval import MilvusStore

    cat, enc = _catalog(), load_encoder("hash")
    X = embed_texts(enc, cat.texts).vectors
    with MilvusStore(str(tmp_path / "cli.db")) as store:
        store.add(cat.ids, X, categories=cat.categories, titles=cat.titles)
    assert main(["recommend", "--index", str(tmp_path / "cli.db"), "--model", "hash", "--describe", "jazz vinyl tea",
                 "--like", "s005", "--only-category", "music", "--mmr", "0.5", "-k", "6", "--format", "json"]) == 0
    out = capsys.readouterr()
    got = [r["item_id"] for r in json.loads(out.out)]
    want = Recommender(cat, X, enc).recommend(__import__("coldrec").UserInput("jazz vinyl tea", liked=["s005"]), k=6,
                                               categories=["music"], mmr_lambda=0.5)
    assert got == list(want["item_id"]) and "recall milvus-lite:FLAT over 240 items" in out.err
