"""Protocols: no leakage in the splits, tiny slices of each protocol run, clear errors, result files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coldrec.errors import ColdrecError
from coldrec.evaluation._evaluate import (
    METHODS,
    PROTOCOLS,
    format_table,
    history_scores,
    run_protocol,
    split_cold,
    write_results,
)

FAST = dict(encoder="hash", epochs=1, max_examples=300, recall_n=20, tower_epochs=2, log=lambda m: None)


def test_history_scores_mean_and_soft_max():
    sims = np.array([[0.9, 0.1], [0.1, 0.3], [0.5, 0.5]], dtype=np.float32)  # user0: rows 0-1, user1: row 2
    mean = history_scores(sims, [2, 1], None, None)
    np.testing.assert_allclose(mean, [[0.5, 0.2], [0.5, 0.5]], atol=1e-6)
    soft = history_scores(sims, [2, 1], None, 0.01)
    assert soft[0, 0] == pytest.approx(0.9 - 0.01 * np.log(2), abs=1e-3)  # ≈ max-sim
    w = np.array([0.0, 1.0, 1.0], dtype=np.float32)  # recency weight 0 on the older row
    assert history_scores(sims, [2, 1], w, None)[0].tolist() == pytest.approx([0.1, 0.3])


def test_split_cold_is_seeded_and_disjoint():
    warm, cold = split_cold(range(100), 0.2, seed=3)
    assert len(cold) == 20 and len(warm) == 80 and not set(warm) & set(cold)
    assert split_cold(range(100), 0.2, seed=3)[1].tolist() == cold.tolist()
    with pytest.raises(ColdrecError):
        split_cold([1], 0.2)
    with pytest.raises(ColdrecError):
        split_cold(range(10), 1.5)


def test_user_folds_partition_users():
    from coldrec.evaluation._evaluate import user_folds

    folds = user_folds(np.arange(103), 5, seed=1)
    allu = np.concatenate(folds)
    assert sorted(allu.tolist()) == list(range(103)) and len(folds) == 5
    for i, f in enumerate(folds):  # a test fold never overlaps its training users
        train = np.concatenate([g for j, g in enumerate(folds) if j != i])
        assert not set(f.tolist()) & set(train.tolist())


def test_unknown_protocol_and_method_errors():
    with pytest.raises(ColdrecError, match="valid choices"):
        run_protocol("netflix-prize")
    with pytest.raises(ColdrecError, match="valid choices"):
        run_protocol("scientific", methods="random,deep-magic")
    assert set(PROTOCOLS) >= {"scientific", "citeulike-cold", "ml100k-cold-users", "cold-items", "cold-users"}


def test_custom_protocol_errors_are_clear(tmp_path):
    with pytest.raises(ColdrecError, match="--catalog"):
        run_protocol("cold-items", encoder="hash")
    with pytest.raises(ColdrecError, match="not found"):
        run_protocol("cold-items", encoder="hash", catalog=tmp_path / "nope.csv", interactions=tmp_path / "x.csv")


def _write_custom(tmp_path, n_items=60, n_users=40, seed=0):
    rng = np.random.default_rng(seed)
    words = ["red", "blue", "green", "shoe", "lamp", "desk", "book", "song", "film", "game"]
    items = tmp_path / "items.csv"
    items.write_text("item_id,title\n" + "\n".join(
        f"i{i},{' '.join(rng.choice(words, 3))} {i}" for i in range(n_items)) + "\n")
    inter = tmp_path / "inter.csv"
    rows = [f"u{u},i{i},{int(rng.integers(1, 6))}" for u in range(n_users)
            for i in rng.choice(n_items, 12, replace=False)]
    inter.write_text("user_id,item_id,rating\n" + "\n".join(rows) + "\n")
    users = tmp_path / "users.csv"
    users.write_text("user_id,description\n" + "\n".join(f"u{u},likes {rng.choice(words)}" for u in range(n_users)))
    return items, inter, users


def test_cold_items_on_own_files_has_no_leakage(tmp_path):
    items, inter, _ = _write_custom(tmp_path)
    r = run_protocol("cold-items", catalog=items, interactions=inter, out=tmp_path / "res", **FAST)
    assert set(r["methods"]) >= {"random", "tfidf", "zero-shot", "mlp-concat", "mlp-rich"}
    assert "itemknn" not in r["methods"]  # cold items have no interactions
    # ... so popularity would only repeat the random row: it is left out, and the notes say why
    assert "popularity" not in r["methods"] and any("popularity is not shown" in n for n in r["notes"])
    for vals in r["methods"].values():
        assert set(vals) == {f"{m}@{k}" for m in ("recall", "ndcg") for k in (10, 20, 50)}
        assert all(0.0 <= v <= 1.0 for v in vals.values())
    data = json.loads((tmp_path / "res" / "cold-items-items.json").read_text())  # <protocol>-<catalog stem>
    for key in ("protocol", "dataset", "model", "commit", "seed", "machine", "seconds", "methods"):
        assert key in data
    assert (tmp_path / "res" / "cold-items-items.md").read_text().startswith("# cold-items")


def test_cold_users_needs_text_or_shots(tmp_path):
    items, inter, users = _write_custom(tmp_path)
    with pytest.raises(ColdrecError, match="text per user"):
        run_protocol("cold-users", catalog=items, interactions=inter, shots=0, **FAST)
    r = run_protocol("cold-users", catalog=items, interactions=inter, users=users, **FAST)
    assert "zero-shot" in r["methods"] and r["n_users"] > 0
    r3 = run_protocol("cold-users", catalog=items, interactions=inter, shots=3, methods="popularity,itemknn", **FAST)
    assert set(r3["methods"]) == {"popularity", "itemknn"}


def test_format_table_and_markdown(tmp_path):
    res = {"protocol": "demo", "dataset": "d", "seconds": 1.0, "methods": {
        "random": {"recall@10": 0.1, "ndcg@10": 0.05}, "zero-shot": {"recall@10": 0.3, "ndcg@10": 0.2}},
        "published": {"paper": {"recall@10": 0.25}}}
    txt = format_table(res)
    assert "zero-shot" in txt and "0.3000" in txt
    js, md = write_results(res, tmp_path)
    assert "| *paper* | 0.2500 | – |" in md.read_text()
    assert json.loads(js.read_text())["methods"]["random"]["recall@10"] == 0.1


def test_split_modules_keep_the_old_names():
    import coldrec.evaluation._evaluate as ev

    for name in ("EvalConfig", "run_protocol", "format_markdown", "protocol_scientific", "protocol_citeulike_cold",
                 "protocol_ml100k_cold_users", "protocol_custom", "user_folds", "split_cold", "set_features",
                 "bridge_features", "embed_cached", "get_encoder", "SHOTS", "_machine", "_commit"):
        assert hasattr(ev, name), name
    assert ev._PUBLISHED is ev.PUBLISHED and "scientific" in ev.PUBLISHED
    m = ev.machine_info()
    assert {"cpu", "cores", "gpu", "python"} <= set(m)
    assert isinstance(ev._commit(), str) and ev._commit()


def test_protocol_rankers_are_the_public_ranker_with_the_protocol_config():
    pytest.importorskip("torch")
    from torch import nn

    from coldrec.evaluation._common import EvalConfig
    from coldrec.evaluation._reranking import config_record, ranker_config
    from coldrec.ranking import MLPRanker

    cfg = EvalConfig(hidden=16, skip_init=1.0, epochs=3, negatives=8, objective="pointwise")
    rc = ranker_config(cfg, "rich", ("kernel:0.1", "max", "cos"))
    assert (rc.hidden, rc.skip_init, rc.epochs, rc.negatives, rc.objective, rc.scalars) == (
        (16, 8), 1.0, 3, 8, "pointwise", ("kernel:0.1", "max", "cos"))
    r = MLPRanker(rc)
    r._build(8)
    linears = [m for m in r._net.head if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16, 8), (8, 1)]
    assert float(r._net.head[-1].weight.detach().abs().sum()) == 0.0  # residual start: the head adds nothing
    assert config_record(r)["class"] == "coldrec.ranking.MLPRanker" and config_record(r)["features"] == "rich"


def test_evaluation_defines_no_model_of_its_own():
    """Results must come from the public ranker: no torch module or training loop inside coldrec/evaluation."""
    from pathlib import Path
    import re

    root = Path(__file__).resolve().parents[1] / "coldrec" / "evaluation"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"nn\.(Linear|Module)\b", text), path
        assert not re.search(r"\.backward\(|optim\.", text), f"{path} has a training loop"


def test_text_popularity_rows_never_see_their_own_positives():
    pytest.importorskip("torch")
    from coldrec.evaluation._users import text_popularity_matrix

    rng = np.random.default_rng(0)
    n_users, n_items = 60, 30
    X = rng.standard_normal((n_users, 5)).astype(np.float32)
    pos = [rng.choice(n_items, 4, replace=False) for _ in range(n_users)]
    fit, val, test = np.arange(0, 40), np.arange(40, 50), np.arange(50, 60)
    a, log = text_popularity_matrix(X, pos, n_items, fit, val, test, wds=(1e-3,))
    assert a.shape == (n_users, n_items) and 0.0 <= a.min() and a.max() <= 1.0 and log["wd"] == 1e-3
    for u in (3, 45, 55):  # a fit (cross-fitted), a validation and a test user
        changed = list(pos)
        changed[u] = np.array([0, 1, 2, 3]) if not set(pos[u]) == {0, 1, 2, 3} else np.array([4, 5, 6, 7])
        b, _ = text_popularity_matrix(X, changed, n_items, fit, val, test, wds=(1e-3,))
        np.testing.assert_allclose(a[u], b[u], atol=1e-6)


def test_segment_popularity_rows_ignore_the_test_users_ratings():
    from coldrec.evaluation._users import segment_popularity_matrix

    rng = np.random.default_rng(0)
    n_users, n_items = 80, 25
    fields = {"age": rng.integers(0, 3, n_users), "gender": rng.choice(["M", "F"], n_users),
              "occupation": rng.choice(["doctor", "artist"], n_users)}
    pos = [rng.choice(n_items, 4, replace=False) for _ in range(n_users)]
    train, test = np.arange(0, 60), np.arange(60, 80)
    a, log = segment_popularity_matrix(fields, pos, n_items, train)
    assert a.shape == (n_users, n_items) and 0.0 <= a.min() and a.max() <= 1.0
    changed = list(pos)
    for u in test:
        changed[u] = np.arange(4)
    b, log_b = segment_popularity_matrix(fields, changed, n_items, train)
    assert log_b == log
    np.testing.assert_allclose(a, b)
    # control: a training user's ratings do move the other users' rows
    mine = list(pos)
    mine[5] = np.arange(4) if set(pos[5].tolist()) != {0, 1, 2, 3} else np.arange(4, 8)
    assert not np.allclose(segment_popularity_matrix(fields, mine, n_items, train)[0][test], a[test])


def test_blend_weight_follows_the_row_set_that_holds_the_signal():
    from coldrec.evaluation._users import blend_rows, blend_weight

    rng = np.random.default_rng(3)
    n_users, n_items = 60, 40
    pos = [rng.choice(n_items, 3, replace=False) for _ in range(n_users)]
    signal = rng.random((n_users, n_items)).astype(np.float32)
    for u, p_ in enumerate(pos):
        signal[u, p_] += 2.0  # the positives on top
    noise = rng.random((n_users, n_items)).astype(np.float32)
    users = np.arange(n_users)
    assert blend_weight(noise, signal, pos, users)[0] >= 0.75  # several weights may rank perfectly: ties keep
    assert blend_weight(signal, noise, pos, users)[0] == 0.0   # the smaller one
    w, log = blend_weight(signal, signal, pos, users)  # a tie keeps the smaller weight
    assert w == 0.0 and len(set(log["ndcg@10 by w (training users)"].values())) == 1
    mixed = blend_rows(signal, noise, 0.25)
    assert mixed.shape == signal.shape and np.allclose(blend_rows(signal, noise, 0.0).std(1), 1.0, atol=1e-4)


# ------------------------------------------------------------------ tiny slices on the real data (CI-sized)
@pytest.mark.realdata
def test_scientific_slice(shared_datasets):
    r = run_protocol("scientific", data=shared_datasets, max_users=60, **FAST)
    # every method but the own-data hybrid (encoder + TF-IDF fusion), which the published protocols do not run
    assert set(r["methods"]) == set(METHODS) - {"hybrid"}
    assert set(r["methods"]["zero-shot"]) == {"recall@10", "ndcg@10", "recall@50", "ndcg@50"}
    assert r["methods"]["random"]["recall@50"] < 0.2
    # RecBole's way (history items left in the ranking) is reported next to ours
    assert set(r["unmasked"]) == {"zero-shot", "mlp-concat", "mlp-rich", "user-tower", "user-tower+mlp"}
    # the trained first stage names its public class; its recall at N (the re-ranker's ceiling) is reported
    assert r["user_tower"]["config"]["class"] == "coldrec.ranking.UserTower"
    assert set(r["user_tower"]["recall_at_n"]) == {"recall@50", "recall@100", "recall@200"}
    assert r["ranker"]["mlp-rich"]["config"]["scalars"][0] == "zero-shot"
    assert r["user_tower"]["ranker"]["config"]["scalars"][0] == "user-tower"
    # the re-ranker over the tower: residual weight 5 on standardised scalars (20 on raw ones collapsed in epoch 1);
    # mlp-rich keeps the protocol's defaults
    tk = r["user_tower"]["ranker"]["config"]
    assert (tk["skip_init"], tk["standardize"]) == (5.0, True)
    assert (r["ranker"]["mlp-rich"]["config"]["skip_init"], r["ranker"]["mlp-rich"]["config"]["standardize"]) == (20.0, False)
    assert r["unmasked"]["zero-shot"] != r["methods"]["zero-shot"]
    # each trained row names the public class and config that produced it
    rk = r["ranker"]["mlp-rich"]["config"]
    assert rk["class"] == "coldrec.ranking.MLPRanker" and rk["features"] == "rich" and rk["scalars"][0] == "zero-shot"


@pytest.mark.realdata
def test_scientific_validation_targets_never_in_history(shared_datasets):
    from coldrec.evaluation import load_scientific

    ds = load_scientific(shared_datasets)
    for u in range(0, ds.n_users, 7):
        # the validation target is the item just before the test target; the validation history stops before it
        assert ds.test_history[u][-1] == ds.valid_target[u]
        if len(ds.test_history[u]) < 50:
            assert np.array_equal(ds.valid_history[u], ds.test_history[u][:-1])


@pytest.mark.realdata
def test_citeulike_slice(shared_datasets):
    r = run_protocol("citeulike-cold", data=shared_datasets, max_users=60, **FAST)
    assert "itemknn" not in r["methods"] and r["n_items"] == 2378
    assert set(r["methods"]["zero-shot"]) == {f"{m}@{k}" for m in ("recall", "ndcg") for k in (20, 50, 100)}


@pytest.mark.realdata
def test_ml100k_slice(shared_datasets):
    r = run_protocol("ml100k-cold-users", data=shared_datasets, max_users=60, **FAST)
    assert set(r["methods"]["popularity"]) == {"recall@10", "ndcg@10"}
    # segment popularity is its own row, next to popularity, with its strengths chosen per fold
    assert list(r["methods"])[:4] == ["random", "popularity", "segment-popularity", "segment+text-popularity"]
    assert "segment-popularity" in r["few_shot"]["3-shot"]
    assert len(r["ranker"]["segment_popularity"]) == 5
    # and its blend with the text-conditioned popularity, weight chosen per fold on training users
    assert len(r["ranker"]["segment_text_popularity"]) == 5
    assert all(f["w"] in (0.0, 0.25, 0.5, 0.75, 1.0) for f in r["ranker"]["segment_text_popularity"])
    assert "itemknn" in r["few_shot"]["3-shot"] and "itemknn" not in r["methods"]
    assert r["methods"]["popularity"]["ndcg@10"] > r["methods"]["random"]["ndcg@10"]


def test_a_taken_result_file_is_refused_before_the_protocol_runs(tmp_path):
    (tmp_path / "ml100k-cold-users.json").write_text("{}")
    # the data folder does not exist: a refusal after the run would fail on the data first
    with pytest.raises(ColdrecError, match="ml100k-cold-users.json exists: pass --force"):
        run_protocol("ml100k-cold-users", data=tmp_path / "no-data-here", out=tmp_path)
