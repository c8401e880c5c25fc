"""What was trained is what is served (issue 10, point 2).

(a) A ``rich`` ranker trained on an uploaded catalog + log — through the app's Ranker page and through
``coldrec train-ranker`` — sees, at serving time (New user page / ``coldrec recommend --catalog … --ranker DIR``),
exactly the scalar features it saw in training for the same (user, item). (b) The held-out metrics shown after
training are what :meth:`Recommender.recommend` gives the same held-out users. (c) A checkpoint is refused on a
catalog it does not fit, with a message naming what differs.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from coldrec.errors import CheckpointError
from coldrec.ranking import MLPRanker, RankerConfig

WORDS = ["tea", "coffee", "hiking", "tent", "novel", "poetry", "guitar", "piano", "chess", "garden"]


def catalog_rows(n: int = 40) -> list[dict]:
    return [{"sku": f"s{i}", "name": f"Item {i}", "blurb": f"{WORDS[i % 10]} {WORDS[(i * 3) % 10]} thing {i}",
             "dept": f"d{i % 4}"} for i in range(n)]


def log_rows(n_users: int = 30, n_items: int = 40, seed: int = 0) -> list[dict]:
    """Each user likes 6 items of two word groups; popular items (low ids) are liked more often."""
    rng = np.random.default_rng(seed)
    out = []
    for u in range(n_users):
        p = np.exp(-np.arange(n_items) / 15.0)
        p /= p.sum()
        for i in rng.choice(n_items, 6, replace=False, p=p):
            out.append({"user_id": f"u{u}", "item_id": f"s{i}", "rating": 5})
        for i in rng.choice(n_items, 2, replace=False):
            out.append({"user_id": f"u{u}", "item_id": f"s{i}", "rating": 1})
    return out


class FeatureSpy:
    """Records every (user vector, item vector, scalar features) the ranker computes, split by phase."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        original = MLPRanker.scalar_features
        spy = self

        def wrapped(ranker, item_vectors, user_vectors, popularity=None):
            S = original(ranker, item_vectors, user_vectors, popularity)
            I = np.asarray(item_vectors, np.float32)
            U = np.broadcast_to(np.asarray(user_vectors, np.float32), I.shape)
            d = I.shape[-1]
            spy.calls.append((U.reshape(-1, d).copy(), I.reshape(-1, d).copy(), S.reshape(-1, S.shape[-1]).copy()))
            return S

        monkeypatch.setattr(MLPRanker, "scalar_features", wrapped)

    def take(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        U, I, S = (np.concatenate(x) for x in zip(*self.calls))
        self.calls = []
        return U, I, S


def assert_same_features(train, serve) -> int:
    """For every served (user, item) pair that training also saw, the scalars are equal; returns the matches."""
    tU, tI, tS = train
    sU, sI, sS = serve
    matched = 0
    for u, i, s in zip(sU, sI, sS):
        hit = np.flatnonzero((np.abs(tU - u).max(1) < 1e-5) & (np.abs(tI - i).max(1) < 1e-6))
        for h in hit:
            np.testing.assert_allclose(tS[h], s, atol=1e-5)
        matched += bool(len(hit))
    return matched


def _first_half_liked(log: pd.DataFrame, user: str) -> list[str]:
    pos = log[(log["user_id"] == user) & (log["rating"] >= 4)]["item_id"].tolist()
    return pos[: len(pos) // 2]


def _trained_user(train, vectors: np.ndarray, ids: list[str], log: pd.DataFrame) -> tuple[str, list[str]]:
    """A log user whose history profile (mean of the first half of positives) was a training user."""
    tU = train[0]
    row = {x: r for r, x in enumerate(ids)}
    for user in dict.fromkeys(log["user_id"]):
        liked = _first_half_liked(log, user)
        v = vectors[[row[x] for x in liked]].mean(0)
        v /= np.linalg.norm(v)
        if (np.abs(tU - v).max(1) < 1e-5).any():
            return user, liked
    raise AssertionError("no training user found")


# ------------------------------------------------------------------------------------ (a) the app's path
def test_app_upload_rich_ranker_serves_the_features_it_was_trained_on(monkeypatch, tmp_path):
    pytest.importorskip("streamlit")
    from tests.test_app import goto, ok, start, submit

    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.chdir(tmp_path)
    cat, log = pd.DataFrame(catalog_rows()), pd.DataFrame(log_rows())
    at = goto(start(rk_epochs=2, rk_features="rich"), "app_pages/1_Catalog.py")
    at.get("file_uploader")[0].upload("shop.csv", cat.to_csv(index=False).encode(), "text/csv").run()
    ok(at)
    submit(at, "Validate")
    at.button(key="cat_embed").click().run()
    ok(at)
    spy = FeatureSpy(monkeypatch)
    goto(at, "app_pages/6_Ranker.py")
    at.get("file_uploader")[0].upload("log.csv", log.to_csv(index=False).encode(), "text/csv")
    submit(at, "Train")
    key = next(k for k in at.session_state["coldrec_rankers"])
    assert key.startswith("upload:")
    ranker = at.session_state["coldrec_rankers"][key][1]
    assert ranker.config.features == "rich"
    train = spy.take()
    assert train[2][:, 1].max() > 0  # the popularity feature is live in training

    [vectors] = [v for (h, _), v in at.session_state["coldrec_vectors"].items() if f"upload:{h}" == key]
    goto(at, "app_pages/2_New_user.py")
    ids = [f"s{i}" for i in range(40)]
    user, liked = _trained_user(train, vectors, ids, log)
    at.session_state["nu_liked"] = liked
    at.run()
    submit(at, "Recommend")
    serve = spy.take()
    assert serve[2][:, 1].max() > 0, "serving read no popularity: train/serve skew"
    assert assert_same_features(train, serve) >= 3, f"no served pair of {user} was seen in training"


# ------------------------------------------------------------------------------------ (a) the CLI's path
def test_cli_rich_ranker_serves_the_features_it_was_trained_on(monkeypatch, tmp_path, capsys):
    from coldrec.cli import main
    from coldrec.encoders import HashEncoder

    cat, log = pd.DataFrame(catalog_rows()), pd.DataFrame(log_rows(seed=1))
    cat.to_csv(tmp_path / "items.csv", index=False)
    log.to_csv(tmp_path / "log.csv", index=False)
    common = ["--catalog", str(tmp_path / "items.csv"), "--id", "sku", "--text", "name", "--text", "blurb",
              "--template", "{name}. {blurb}", "--title", "name", "--model", "hash", "--no-cache"]
    spy = FeatureSpy(monkeypatch)
    assert main(["train-ranker", *common, "--interactions", str(tmp_path / "log.csv"), "--features", "rich",
                 "--epochs", "2", "--out", str(tmp_path / "rk")]) == 0
    train = spy.take()
    vectors = HashEncoder().encode([f"Item {i}. {r['blurb']}" for i, r in cat.iterrows()])
    user, liked = _trained_user(train, vectors, [f"s{i}" for i in range(40)], log)
    capsys.readouterr()
    like = [a for x in liked for a in ("--like", x)]
    assert main(["recommend", *common, "--ranker", str(tmp_path / "rk"), *like, "-k", "10", "--format",
                 "json"]) == 0
    serve = spy.take()
    assert serve[2][:, 1].max() > 0, "serving read no popularity: train/serve skew"
    assert assert_same_features(train, serve) >= 3
    assert '"ranker_score"' in capsys.readouterr().out


# ------------------------------------------------------------------------ (b) held-out metrics = served lists
@pytest.mark.parametrize("features", ["concat", "rich"])
@pytest.mark.parametrize("with_texts", [True, False])
def test_holdout_metrics_are_what_recommend_serves(features, with_texts):
    from coldrec.catalog import ColumnMap, load_catalog
    from coldrec.encoders import HashEncoder
    from coldrec.metrics import MetricAccumulator
    from coldrec.ranking import load_interactions, train_ranker
    from coldrec.recommend import Recommender
    from coldrec.retrieval import UserInput

    enc = HashEncoder()
    catalog = load_catalog(pd.DataFrame(catalog_rows()), ColumnMap(id="sku", text=["name", "blurb"],
                                                                    template="{name}. {blurb}", title="name"))
    E = enc.encode(catalog.texts)
    raw = pd.DataFrame(log_rows(n_users=40, seed=2))
    log = load_interactions(raw, known_items=catalog.ids)
    texts = {f"u{u}": f"I like {WORDS[u % 10]} and {WORDS[(u + 4) % 10]}" for u in range(40)} if with_texts else None
    res = train_ranker(catalog, E, log, encode=enc.encode, user_texts=texts,
                       config=RankerConfig(features=features, epochs=2, hidden=(16, 8), recall_n=20),
                       encoder_name=enc.name)
    n = res.ranker.config.recall_n
    for ranker, method in ((res.ranker, f"mlp-{features}"), (None, "cosine (zero-shot)")):
        rec = Recommender(catalog, E, enc, ranker=ranker)
        acc = MetricAccumulator([10])
        for user in res.test_users:
            j = res.data.user_ids.index(user)
            liked = [catalog.ids[r] for r in res.data.liked[j]]
            query = UserInput(description=texts[user]) if with_texts else UserInput(liked=liked)
            top = rec.recommend(query, k=10, n=n)["item_id"].map(catalog.id_to_row).to_numpy()
            acc.add(top[None, :], [set(res.data.positives[j].tolist())])
        row = res.metrics.set_index("method").loc[method]
        got = acc.result()
        assert acc.users == row["users"] > 0
        assert got["recall@10"] == pytest.approx(row["recall@10"], abs=1e-12)
        assert got["ndcg@10"] == pytest.approx(row["ndcg@10"], abs=1e-12)


# ------------------------------------------------------------------------- (c) a checkpoint that does not fit
def test_checkpoint_on_a_catalog_it_does_not_fit_is_refused(tmp_path):
    from coldrec.catalog import ColumnMap, load_catalog
    from coldrec.encoders import HashEncoder
    from coldrec.recommend import Recommender

    enc = HashEncoder()
    rows = catalog_rows()
    cmap = ColumnMap(id="sku", text=["name", "blurb"], title="name")
    catalog = load_catalog(pd.DataFrame(rows), cmap)
    E = enc.encode(catalog.texts)
    rng = np.random.default_rng(0)
    U = E[rng.integers(0, 40, 20)]
    r = MLPRanker(RankerConfig(features="rich", epochs=1, hidden=(8,))).fit(
        E, U, [[i] for i in range(20)], popularity=np.arange(40.0), item_ids=catalog.ids)
    r.trained_on.update({"encoder": enc.name, "catalog": "shop.csv"})
    r.save(tmp_path / "rk")
    r = MLPRanker.load(tmp_path / "rk")
    Recommender(catalog, E, enc, ranker=r)  # fits
    bigger = load_catalog(pd.DataFrame(rows + [{"sku": "s99", "name": "New", "blurb": "tea", "dept": "d0"}]), cmap)
    rec = Recommender(bigger, enc.encode(bigger.texts), enc, ranker=r)  # a new (cold) item is fine: count 0
    assert rec.ranker_popularity[-1] == 0 and rec.ranker_popularity[5] == 5
    other = load_catalog(pd.DataFrame([{**x, "sku": "x" + x["sku"]} for x in rows]), cmap)
    with pytest.raises(CheckpointError, match=r"trained on catalog 'shop.csv' \(40 items\); 40 of them are not in "
                                              r"this catalog \('s0', 's1', 's2' …\)"):
        Recommender(other, E, enc, ranker=r)
    other_enc = HashEncoder(seed=1)
    with pytest.raises(CheckpointError, match=f"trained with encoder {re.escape(repr(enc.name))} but this catalog is "
                                              f"embedded with {re.escape(repr(other_enc.name))}"):
        Recommender(catalog, E, other_enc, ranker=r)
    with pytest.raises(CheckpointError, match="trained on 64-d vectors but this catalog has 32-d"):
        Recommender(catalog, E[:, :32], HashEncoder(dim=32), ranker=r)
