"""The item-side warm-up study and the warm-up on your own files: leak-free item splits, validation-only choices,
the CLI on small files, and (realdata) citeulike-a's pairs."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from coldrec.cli import main
from coldrec.errors import ColdrecError
from coldrec.evaluation.protocols._warmup_items_data import protocol_warmup_items
from coldrec.evaluation.protocols._warmup_items import (ItemWarmupConfig, ItemWarmupData, _choose, _Point,
                                                        _user_profiles, item_warmup_study, known_order, split_items)

FAST = ItemWarmupConfig(points=(0, 1, 2, 8), folds=3, l2_grid=(1.0, 10.0), weights=(0.0, 0.5, 1.0), min_val_items=3)


def _toy(seed: int = 0, n_users: int = 90, n_items: int = 60, noise_text: bool = False) -> ItemWarmupData:
    """4 topics of 15 items; each user likes items of one topic; the ``lm`` text knows the topic, ``noise`` not."""
    rng = np.random.default_rng(seed)
    topic = np.arange(n_items) % 4
    pairs = []
    for u in range(n_users):
        pool = np.flatnonzero(topic == u % 4)
        pairs += [(u, i) for i in rng.choice(pool, size=rng.integers(4, 10), replace=False)]
    lm = np.eye(4, dtype=np.float32)[topic] + 0.2 * rng.standard_normal((n_items, 4)).astype(np.float32)
    noise = rng.standard_normal((n_items, 8)).astype(np.float32)
    text = {"lm": lm / np.linalg.norm(lm, axis=1, keepdims=True),
            "noise": noise / np.linalg.norm(noise, axis=1, keepdims=True)}
    return ItemWarmupData("toy", n_users, n_items, np.array(pairs, dtype=np.int64), text)


def test_item_splits_never_leak_targets_into_the_known_part():
    rng = np.random.default_rng(1)
    for ordered in (False, True):
        pairs = np.unique(np.stack([rng.integers(0, 40, 600), rng.integers(0, 30, 600)], 1), axis=0)
        pairs = pairs[rng.permutation(len(pairs))]
        data = ItemWarmupData("t", 40, 30, pairs, {}, ordered=ordered)
        order = known_order(data, seed=0)
        items = np.arange(30)
        prev = None
        for s in (0, 1, 2, 5, 10):
            kept, known, targets = split_items(order, items, s)
            for i, kn, tg in zip(kept, known, targets):
                users_i = set(pairs[pairs[:, 1] == i, 0].tolist())
                assert len(kn) == s and len(tg) > 0
                assert not set(kn.tolist()) & set(tg.tolist())  # no target is known
                assert set(kn.tolist()) | set(tg.tolist()) == users_i  # every pair is one or the other
            left_out = [i for i in items if len(order[i]) <= s]
            assert sorted(left_out + kept.tolist()) == items.tolist()
            if prev is not None:  # the known part grows by adding users: nested across points
                for i, kn in zip(kept, known):
                    assert prev[int(i)].tolist() == kn[:len(prev[int(i)])].tolist()
            prev = {int(i): kn for i, kn in zip(kept, known)}
        if ordered:  # known = the item's first users in log order
            i = int(kept[0])
            assert order[i][:3].tolist() == list(dict.fromkeys(pairs[pairs[:, 1] == i, 0].tolist()))[:3]


def test_a_users_known_candidates_are_excluded_and_never_targets():
    cand = np.array([4, 7, 9])
    known = [np.array([0, 1]), np.array([1]), np.array([2])]
    targets = [np.array([2, 3]), np.array([0, 3]), np.array([0])]
    pt = _Point(cand, known, targets, users=None)
    assert pt.users.tolist() == [0, 2, 3]
    by_user = {int(u): (t, set(e.tolist())) for u, t, e in zip(pt.users, pt.targets, pt.exclude)}
    assert by_user[0] == ({1, 2}, {0})
    assert by_user[2] == ({0}, {2})
    assert by_user[3] == ({0, 1}, set())
    assert _Point(cand, known, targets, users=np.array([3])).users.tolist() == [3]


def test_hidden_items_never_enter_the_profiles():
    data = _toy()
    hidden = np.arange(0, 60, 3)
    for h in _user_profiles(data, hidden):
        assert not set(h.tolist()) & set(hidden.tolist())
    assert sum(len(h) for h in _user_profiles(data, np.zeros(0, np.int64))) == len(data.pairs)


def test_hybrid_weight_is_chosen_on_validation_items_only():
    data = _toy()
    order = known_order(data, FAST.seed)
    items = np.arange(data.n_items)
    test_items = items[::5]
    train_items = np.setdiff1d(items, test_items)
    before = _choose(data, FAST, order, train_items, test_items, 0, FAST.l2_grid, None)
    # scramble which users the test items have: no choice may move
    rng = np.random.default_rng(5)
    is_test = np.isin(data.pairs[:, 1], test_items)
    scrambled = data.pairs.copy()
    scrambled[is_test, 0] = rng.integers(0, data.n_users, is_test.sum())
    scrambled = np.unique(scrambled, axis=0)
    data2 = ItemWarmupData("toy", data.n_users, data.n_items, scrambled, data.text)
    assert _choose(data2, FAST, known_order(data2, FAST.seed), train_items, test_items, 0, FAST.l2_grid,
                   None) == before
    # the known case: text that knows the topic is used where CF is blind (0 known users: CF is constant), noise
    # text is not used once CF has a known user to go by
    assert before["weights"]["lm"][0][0] > 0
    assert all(before["weights"]["noise"][s][0] < 1.0 for s in (1, 2, 8))
    assert before["weights"]["noise"][1][2] in ("ease", "userknn")


def test_item_study_is_deterministic_and_reports_counts():
    a = item_warmup_study(_toy(), FAST)
    b = item_warmup_study(_toy(), FAST)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["points"] == [0, 1, 2, 8]
    users_per_item = np.bincount(_toy().pairs[:, 1], minlength=60)
    for s in a["points"]:  # items with <= s users are left out of that point, and counted
        assert a["n_items"][str(s)] == int((users_per_item > s).sum())
    assert a["n_items"]["0"] == 60 > a["n_items"]["8"]
    assert set(a["curves"]) >= {"popularity", "ease", "userknn", "text-lm", "hybrid-lm", "hybrid-noise"}
    lm, pop = a["curves"]["text-lm"]["ndcg@10"], a["curves"]["popularity"]["ndcg@10"]
    assert all(x > y for x, y in zip(lm, pop))  # topic text beats the random floor everywhere
    assert a["curves"]["ease"]["ndcg@10"][2] > pop[2]  # two known users tell CF the topic
    assert all(x is not None for x in a["curves"]["hybrid-lm"]["ndcg@10"])
    assert "vs noise" in a["lm_gain"]


def test_item_study_pools_folds_with_different_candidate_counts():
    data = _toy(n_items=62)  # folds of 21, 21, 20 items; more candidates in a later fold at some points
    res = item_warmup_study(data, ItemWarmupConfig(**{**FAST.__dict__, "folds": 4}))
    assert res["n_items"]["0"] == 62


def test_item_study_refuses_too_few_items():
    data = ItemWarmupData("t", 3, 4, np.array([[0, 0], [1, 1]]), {"lm": np.eye(4, dtype=np.float32)})
    with pytest.raises(ColdrecError, match="only 2 items have interactions.*fewer folds"):
        item_warmup_study(data, FAST)
    with pytest.raises(ColdrecError, match="at least one text side"):
        item_warmup_study(ItemWarmupData("t", 3, 4, np.array([[0, 0]]), {}), FAST)


@pytest.fixture
def small_files(tmp_path):
    rng = np.random.default_rng(0)
    topics = ["space rockets orbit", "cooking pasta recipes", "jazz piano music", "football league goals"]
    cat, log = tmp_path / "papers.csv", tmp_path / "log.csv"
    with open(cat, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["item_id", "title"])
        w.writerows([f"p{i}", f"{topics[i % 4]} note {i}"] for i in range(48))
    with open(log, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "item_id", "timestamp"])
        t = 0
        for u in range(60):
            for i in rng.choice(np.arange(u % 4, 48, 4), size=rng.integers(4, 10), replace=False):
                t += 1
                w.writerow([f"u{u}", f"p{i}", t])
    return cat, log


@pytest.mark.parametrize("protocol,stem", [("warmup-items", "warmup-items-papers"), ("warmup", "warmup-papers")])
def test_cli_warmup_on_own_files(small_files, tmp_path, capsys, monkeypatch, protocol, stem):
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    cat, log = small_files
    out = tmp_path / "out"
    args = ["evaluate", "--protocol", protocol, "--catalog", str(cat), "--interactions", str(log), "--model", "hash",
            "--folds", "3", "--out", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    res = json.loads((out / f"{stem}.json").read_text())
    md = (out / f"{stem}.md").read_text()
    assert res["protocol"] == protocol and "your files" in res["dataset"]
    assert res["points"][:3] == [0, 1, 2] and "hybrid-tfidf" in res["curves"] and "lm_gain" in res
    counts = res["n_items"] if protocol == "warmup-items" else res["n_users"]
    assert counts["0"] == (48 if protocol == "warmup-items" else 60)
    assert "## ndcg@10" in md and ("test items per point" in md) == (protocol == "warmup-items")
    capsys.readouterr()
    assert main(args) == 1  # never overwritten without --force
    assert "exists: pass --force" in capsys.readouterr().err


def test_cli_warmup_own_data_needs_both_files(small_files, capsys):
    cat, _ = small_files
    for protocol in ("warmup-items", "warmup"):
        assert main(["evaluate", "--protocol", protocol, "--catalog", str(cat), "--model", "hash"]) == 1
        assert "needs --interactions FILE" in capsys.readouterr().err
    with pytest.raises(ColdrecError, match="unknown item warm-up dataset 'ml100k'; valid choices: citeulike"):
        protocol_warmup_items(dataset="ml100k", encoder="hash")


@pytest.mark.realdata
def test_citeulike_item_data_is_every_pair_and_splits_stay_leak_free(shared_datasets):
    from coldrec.evaluation.protocols._warmup_items_data import citeulike_item_data

    data = citeulike_item_data(shared_datasets, "hash")
    assert (data.n_users, data.n_items, len(data.pairs)) == (5551, 16980, 204986)
    assert len(np.unique(data.pairs, axis=0)) == len(data.pairs)
    assert set(data.text) == {"lm", "hash", "tfidf"} and data.text["tfidf"].shape[0] == 16980
    order = known_order(data, 0)
    kept, known, targets = split_items(order, np.arange(data.n_items), 10)
    assert all(not set(k.tolist()) & set(t.tolist()) for k, t in zip(known, targets))
    assert len(kept) == sum(len(o) > 10 for o in order) < data.n_items


def _users_file(tmp_path, ids, col="bio"):
    topics = ["space rockets orbit", "cooking pasta recipes", "jazz piano music", "football league goals"]
    path = tmp_path / "people.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", col])
        w.writerows([f"u{u}", f"I love {topics[u % 4]}"] for u in ids)
    return path


def test_cli_warmup_reads_a_users_file_for_a_text_only_zero_known_row(small_files, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    cat, log = small_files
    users = _users_file(tmp_path, range(60))  # "bio": found by the cold-users reader's column guesses
    base = ["evaluate", "--protocol", "warmup", "--catalog", str(cat), "--interactions", str(log), "--model", "hash",
            "--folds", "3"]
    assert main(base + ["--users", str(users), "--out", str(tmp_path / "with")]) == 0, capsys.readouterr().err
    assert main(base + ["--out", str(tmp_path / "without")]) == 0, capsys.readouterr().err
    with_text = json.loads((tmp_path / "with" / "warmup-papers.json").read_text())
    without = json.loads((tmp_path / "without" / "warmup-papers.json").read_text())
    assert without["curves"]["text-lm"]["ndcg@10"][0] is None
    zero = with_text["curves"]["text-lm"]["ndcg@10"][0]
    # each user's text names their topic: far above popularity (a quarter of the catalog is on-topic)
    assert zero is not None and zero > with_text["curves"]["popularity"]["ndcg@10"][0] + 0.2
    assert with_text["curves"]["ranker"]["ndcg@10"][0] is not None
    assert any("users file (60 of 60" in n for n in with_text["notes"])


def test_cli_warmup_users_file_errors(small_files, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    cat, log = small_files
    base = ["evaluate", "--protocol", "warmup", "--catalog", str(cat), "--interactions", str(log), "--model", "hash"]
    assert main(base + ["--users", str(tmp_path / "nope.csv")]) == 1
    assert "--users file not found" in capsys.readouterr().err
    strangers = tmp_path / "strangers.csv"
    strangers.write_text("user_id,description\nzz1,hello\n")
    assert main(base + ["--users", str(strangers)]) == 1
    assert "describes none of the log's 60 users" in capsys.readouterr().err
    assert main(["evaluate", "--protocol", "warmup-items", "--catalog", str(cat), "--interactions", str(log),
                 "--model", "hash", "--users", str(strangers)]) == 1
    assert "--users (user descriptions) goes with --protocol warmup" in capsys.readouterr().err
