"""Scale path (issue 14): Milvus store under the top_n contract, Ray Data batch embedding with resume, the
`index` / `recommend --index` / `embed --engine ray` commands, and clear messages without the extras.

Ray runs locally with num_cpus=2 and is shut down at the end of the module; Milvus Lite stores live in tmp_path
and are closed by each test. Tests needing an extra skip with the reason when it is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coldrec.cli import main
from coldrec.errors import ColdrecError
from coldrec.retrieval import filter_expression, parse_index_uri, top_n

HAS_MILVUS = all(importlib.util.find_spec(m) for m in ("pymilvus", "milvus_lite"))
HAS_RAY = importlib.util.find_spec("ray") is not None
needs_milvus = pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus/milvus-lite not installed: "
                                  "pip install -r requirements-scale.txt")
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="ray not installed: pip install -r requirements-scale.txt")


# ---------------------------------------------------------------- URIs and filter expressions (no extras needed)

def test_uri_parser_accepts_lite_files_and_server_uris(tmp_path):
    lite = parse_index_uri(str(tmp_path / "store.db"))
    assert (lite.kind, lite.collection) == ("lite", "items") and lite.target.endswith("store.db")
    assert parse_index_uri(str(tmp_path / "s.db") + "#shop_2026").collection == "shop_2026"
    srv = parse_index_uri("milvus://milvus.internal:19530/items_v2")
    assert (srv.kind, srv.target, srv.collection) == ("server", "http://milvus.internal:19530", "items_v2")
    assert str(srv) == "milvus://milvus.internal:19530/items_v2"


@pytest.mark.parametrize("uri, fault", [
    ("", "empty"),
    ("store.sqlite", "'.db'"),
    ("http://localhost:19530/items", "unknown scheme 'http'"),
    ("milvus://localhost/items", "host and port"),
    ("milvus://localhost:19530", "collection name is missing"),
    ("milvus://localhost:19530/", "collection name is missing"),
    ("milvus://localhost:0/items", "port '0'"),
    ("milvus://localhost:99999/items", "port '99999'"),
    ("milvus://localhost:19x30/items", "port '19x30'"),
    ("milvus://user:pw@localhost:19530/items", "credentials"),
    ("milvus://localhost:19530/items?x=1", "query string"),
    ("milvus://localhost:19530/a/b", "collection 'a/b'"),
    ("milvus://localhost:19530/9items", "collection '9items'"),
    ("milvus://bad_host!:19530/items", "host 'bad_host!'"),
    ("s.db#bad-name", "collection 'bad-name'"),
])
def test_uri_parser_refuses_malformed_uris_naming_the_fault(uri, fault):
    with pytest.raises(ColdrecError) as err:
        parse_index_uri(uri)
    msg = str(err.value)
    assert fault in msg and "milvus://host:port/collection" in msg


def test_filter_expression_quotes_values_and_joins_filters():
    assert filter_expression() == ""
    expr = filter_expression(["a", 'say "hi"'], ["b\\c"], ["x1"], [3, 4])
    assert expr == ('category in ["a", "say \\"hi\\""] and category not in ["b\\\\c"] and '
                    'item_id not in ["x1"] and row not in [3, 4]')


# ---------------------------------------------------------------- without the extras

@pytest.mark.parametrize("argv, module", [
    (["recommend", "--index", "STORE", "--describe", "lamp", "--model", "hash"], "pymilvus"),
    (["index", "SHARDS", "--into", "STORE"], "pymilvus"),
    (["embed", "CATALOG", "--engine", "ray", "--model", "hash"], "ray"),
])
def test_without_the_extras_the_cli_says_what_to_install(argv, module, tmp_path, monkeypatch, capsys):
    cat = tmp_path / "items.csv"
    pd.DataFrame({"item_id": ["a"], "title": ["red lamp"]}).to_csv(cat, index=False)
    (tmp_path / "shards").mkdir()
    subst = {"STORE": str(tmp_path / "s.db"), "SHARDS": str(tmp_path / "shards"), "CATALOG": str(cat)}
    monkeypatch.setitem(sys.modules, module, None)  # import of the extra fails as if it were not installed
    assert main([subst.get(a, a) for a in argv]) == 1
    err = capsys.readouterr().err
    assert f"'{module}'" in err and "pip install -r requirements-scale.txt" in err and "Traceback" not in err


# ---------------------------------------------------------------- Milvus Lite: exact top-k on small data

def _data(n=400, d=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    cats = rng.choice(["books", 'kids "toys"', "home"], n)
    return X, [f"it{i:04d}" for i in range(n)], cats, rng.integers(0, 5000, n)


@needs_milvus
def test_milvus_lite_returns_the_exact_top_k_with_filters_exclusions_and_blend(tmp_path):
    from coldrec.retrieval import MilvusStore

    X, ids, cats, pop = _data()
    with MilvusStore(str(tmp_path / "s.db")) as store:
        assert store.add(ids[:150], X[:150], categories=cats[:150]) == 0
        assert store.add(ids[150:], X[150:], categories=cats[150:]) == 150  # rows continue across adds
        assert store.count() == len(ids) and store.recall == "milvus-lite:FLAT"
        for qi, (inc, exc, seen, w) in enumerate([(None, None, [], 0.0), (["books"], None, ["it0003"], 0.0),
                                                  (None, ['kids "toys"'], ["it0010", "it0011"], 0.0),
                                                  (None, ["home"], ["it0005"], 0.4), (None, None, [], 0.9)]):
            q = X[qi * 7] + 0.3 * X[qi * 7 + 1]
            q /= np.linalg.norm(q)
            allowed = np.ones(len(ids), bool)
            if inc:
                allowed &= np.isin(cats, inc)
            if exc:
                allowed &= ~np.isin(cats, exc)
            rows_seen = [ids.index(s) for s in seen]
            want_rows, want = top_n(X, q, 25, allowed=allowed, exclude=rows_seen, popularity=pop, pop_weight=w)
            got_rows, got = store.search(q, 25, include_categories=inc, exclude_categories=exc, exclude_ids=seen,
                                         popularity=pop, pop_weight=w)
            assert got_rows.tolist() == want_rows.tolist(), (inc, exc, seen, w)
            np.testing.assert_allclose(got, want, atol=1e-5)
            assert store.last_recall == ("milvus-lite:FLAT+blend" if w else "milvus-lite:FLAT")
        # top_n dispatches to the store: same rows as brute force, excluded rows honoured
        rows, _ = top_n(store, X[42], 10, exclude=[42])
        assert rows.tolist() == top_n(X, X[42], 10, exclude=[42])[0].tolist()
        assert store.lookup(rows[:2])["item_id"].tolist() == [ids[r] for r in rows[:2]]
        with pytest.raises(ColdrecError, match="dimensions"):
            store.search(np.ones(5, np.float32), 3)


@needs_milvus
def test_milvus_store_refuses_mismatched_adds(tmp_path):
    from coldrec.retrieval import MilvusStore

    X, ids, cats, _ = _data(20, 8)
    with MilvusStore(str(tmp_path / "s.db")) as store:
        with pytest.raises(ColdrecError, match="one vector per id"):
            store.add(ids[:3], X[:2])
        store.add(ids, X, categories=cats)
        with pytest.raises(ColdrecError, match="8-d vectors, got 4-d"):
            store.add(["z"], np.ones((1, 4), np.float32))


# ---------------------------------------------------------------- Ray Data batch embedding

@pytest.fixture(scope="module")
def local_ray():
    if not HAS_RAY:
        pytest.skip("ray not installed: pip install -r requirements-scale.txt")
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[1])}})
    yield ray
    ray.shutdown()


def _catalog_files(folder, n=360):
    rng = np.random.default_rng(1)
    words = "red blue lamp chair quiet wireless headphones kitchen knife soft cotton shirt jazz vinyl".split()
    df = pd.DataFrame({"sku": [f"p{i:04d}" for i in range(n)],
                       "title": [" ".join(rng.choice(words, 3)) for _ in range(n)],
                       "description": [" ".join(rng.choice(words, 9)) for _ in range(n)],
                       "category": rng.choice(["audio", "home", "fashion"], n)})
    df.loc[5, ["title", "description"]] = ""            # empty text: skipped with its reason
    df.loc[200, "sku"] = "p0002"                         # duplicate of an id in an earlier file
    folder.mkdir()
    df.iloc[:180].to_csv(folder / "part-a.csv", index=False)
    df.iloc[180:].to_csv(folder / "part-b.csv", index=False)
    return df


def _in_process(folder):
    from coldrec.catalog import load_catalog
    from coldrec.encoders import embed_texts, load_encoder

    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(folder.glob("*.csv"))]
    cat = load_catalog(pd.concat(frames, ignore_index=True))
    return cat, dict(zip(cat.ids, embed_texts(load_encoder("hash"), cat.texts).vectors))


def _shard_vectors(out):
    from coldrec.scale import read_shards

    ids, vecs = [], []
    for shard in read_shards(out):
        ids += shard["ids"]
        vecs.append(shard["vectors"])
    return ids, np.concatenate(vecs)


@needs_ray
def test_ray_embedding_equals_in_process_and_merges_the_report(local_ray, tmp_path):
    from coldrec.scale import RayEmbedConfig, ray_embed, read_manifest

    _catalog_files(tmp_path / "cat")
    cat, want = _in_process(tmp_path / "cat")
    res = ray_embed(tmp_path / "cat", tmp_path / "out",
                    config=RayEmbedConfig(model="hash", use_cache=False, block_rows=64, rows_per_shard=100))
    ids, vecs = _shard_vectors(tmp_path / "out")
    assert ids == cat.ids and res.rows == len(ids) == res.encoded == 358   # every kept row once, in input order
    cos = np.sum(vecs * np.stack([want[i] for i in ids]), axis=1)
    assert cos.min() >= 0.9999
    rep = res.report
    assert (rep.rows_read, rep.kept, len(rep.skipped)) == (360, 358, 2)
    assert [(s.row, s.reason) for s in rep.skipped] == [(6, "empty text"), (201, "duplicate id (first seen in row 3)")]
    man = read_manifest(tmp_path / "out")
    assert man["complete"] and man["rows"] == 358 and [s["rows"] for s in man["shards"]] == [100, 100, 100, 58]
    from coldrec.encoders import load_encoder

    assert man["model"] == load_encoder("hash").name and man["report"]["kept"] == 358


@needs_ray
def test_killed_ray_job_resumes_without_duplicate_or_missing_rows(local_ray, tmp_path):
    from coldrec.scale import RayEmbedConfig, ray_embed, read_manifest, shard_files

    _catalog_files(tmp_path / "cat")
    cat, want = _in_process(tmp_path / "cat")
    cfg = RayEmbedConfig(model="hash", use_cache=False, block_rows=64, rows_per_shard=50, stop_after_shards=2)
    with pytest.raises(KeyboardInterrupt):
        ray_embed(tmp_path / "cat", tmp_path / "out", config=cfg)
    assert len(shard_files(tmp_path / "out")) == 2 and not read_manifest(tmp_path / "out")["complete"]
    (tmp_path / "out" / "part-00002.parquet.tmp").write_bytes(b"half a shard")  # what a kill mid-write leaves
    cfg.stop_after_shards = None
    res = ray_embed(tmp_path / "cat", tmp_path / "out", config=cfg)
    ids, vecs = _shard_vectors(tmp_path / "out")
    assert sorted(ids) == sorted(cat.ids) and len(ids) == len(set(ids)) == 358
    assert res.encoded == 358 - 100 and res.rows == 358
    assert np.sum(vecs * np.stack([want[i] for i in ids]), axis=1).min() >= 0.9999
    assert res.report.kept == 358 and len(res.report.skipped) == 2


@needs_ray
@needs_milvus
def test_cli_embed_ray_then_index_then_recommend_from_the_store(local_ray, tmp_path, capsys):
    rng = np.random.default_rng(2)
    n = 300
    titles = [f"{c} item {i} " + " ".join(rng.choice(["lamp", "jazz", "shirt", "knife"], 3)) for i, c in
              enumerate(rng.choice(["vinyl", "cotton", "steel"], n))]
    df = pd.DataFrame({"item_id": [f"q{i}" for i in range(n)], "title": titles,
                       "category": [t.split()[0] for t in titles]})
    (tmp_path / "cat").mkdir()
    df.iloc[:150].to_parquet(tmp_path / "cat" / "a.parquet")
    df.iloc[150:].to_parquet(tmp_path / "cat" / "b.parquet")
    shards, store = str(tmp_path / "shards"), str(tmp_path / "store.db")
    assert main(["embed", str(tmp_path / "cat"), "--engine", "ray", "--model", "hash", "--no-cache",
                 "--out", shards, "--rows-per-shard", "120"]) == 0
    assert "300 items" in capsys.readouterr().out
    assert main(["index", shards, "--into", store]) == 0
    assert "300 items" in capsys.readouterr().out
    assert main(["index", shards, "--into", store]) == 1                 # a second load never duplicates
    assert "--replace" in capsys.readouterr().err
    # a fresh process opens the store (its collection starts released there) and recalls from it
    import subprocess

    out = subprocess.run([sys.executable, "-m", "coldrec.cli", "recommend", "--index", store, "--model", "hash",
                          "--describe", "jazz jazz vinyl", "--like", "q1", "--exclude-category", "steel", "-k", "5",
                          "--format", "json"], capture_output=True, text=True, cwd=str(Path(__file__).parents[1]))
    assert out.returncode == 0, out.stderr[-2000:]
    rows = json.loads(out.stdout)
    assert len(rows) == 5 and all(r["category"] != "steel" and r["item_id"] != "q1" for r in rows)
    assert "recall milvus-lite:FLAT over 300 items" in out.stderr


def test_local_ray_refuses_an_actor_pool_that_leaves_no_cpu_for_reading(tmp_path):
    from coldrec.scale import RayEmbedConfig, ray_embed

    with pytest.raises(ColdrecError, match="no CPU of the local Ray"):
        ray_embed(tmp_path, tmp_path / "out", config=RayEmbedConfig(model="hash", actors=2, num_cpus=2))
