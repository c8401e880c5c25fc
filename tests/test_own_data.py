"""Your own data on the first try: the files analysts have (headerless logs, MovieLens and Amazon column names,
odd rating scales) read through the CLI with messages in CLI terms."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coldrec.catalog import complete_columns, guess_columns, load_catalog, ColumnMap
from coldrec.catalog._vocabulary import looks_headerless, normalise_name, restore_header_row
from coldrec.cli import main
from coldrec.errors import ColdrecError
from coldrec.ranking import load_interactions
from coldrec.ranking._interactions import positive_rule

WORDS = ["tea", "coffee", "hiking", "tent", "novel", "poetry", "jazz", "piano", "garden", "lamp"]


@pytest.fixture
def own_files(tmp_path):
    """A MovieLens-shaped catalog (movieId, title, genres, plot) and a 1-10 scale log with userId/movieId."""
    items = pd.DataFrame({
        "movieId": [f"m{i}" for i in range(40)],
        "title": [f"{WORDS[i % 10].title()} story {i}" for i in range(40)],
        "genres": [["Drama", "Comedy", "Documentary", "Horror"][i % 4] for i in range(40)],
        "plot": [f"A film about {WORDS[i % 10]} and {WORDS[(i + 3) % 10]} for people who like {WORDS[i % 10]}."
                 for i in range(40)],
    })
    rows = []
    for u in range(30):
        for j in range(8):
            i = (u * 3 + j * 5) % 40
            rows.append((f"u{u}", f"m{i}", 1 + (u + j) % 10, 1_600_000_000 + 100 * j))
    log = pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"])
    items.to_csv(tmp_path / "movies.csv", index=False)
    log.to_csv(tmp_path / "ratings.csv", index=False)
    # the same log without its header, columns in another order (item,user,rating,ts)
    log[["movieId", "userId", "rating", "timestamp"]].to_csv(tmp_path / "headerless.csv", index=False, header=False)
    return tmp_path, items, log


def test_names_normalise_across_camel_case_and_punctuation():
    assert normalise_name("movieId") == "movie_id" and normalise_name("reviewerID") == "reviewer_id"
    assert normalise_name("Unix Review-Time") == "unix_review_time"


def test_one_vocabulary_reads_movielens_and_amazon_logs():
    ml = load_interactions(pd.DataFrame({"userId": ["1", "2"], "movieId": ["10", "11"], "rating": ["5", "2"]}))
    assert ml.columns == {"user": "userId", "item": "movieId", "rating": "rating"}
    assert ml.frame["label"].tolist() == [1, 0]
    amz = load_interactions(pd.DataFrame({"reviewerID": ["A1"], "asin": ["B00"], "overall": ["4.0"],
                                          "unixReviewTime": ["1400000000"]}))
    assert amz.columns == {"user": "reviewerID", "item": "asin", "rating": "overall", "time": "unixReviewTime"}


def test_headerless_log_is_detected_and_its_roles_read_from_values(own_files):
    folder, items, log = own_files
    got = load_interactions(folder / "headerless.csv", known_items=items["movieId"])
    assert any("no header row" in w for w in got.warnings)
    assert got.columns["item"] == "column_1" and got.columns["user"] == "column_2"
    assert got.columns["rating"] == "column_3" and got.columns["time"] == "column_4"
    assert len(got.frame) == len(log)  # the first row is data, not lost


def test_a_header_of_numbers_over_words_is_not_taken_for_data():
    frame = pd.DataFrame({"2019": ["tea", "coffee"], "2020": ["hiking", "tent"]})
    assert not looks_headerless(frame.columns, frame)
    assert looks_headerless(["196", "242", "3"], pd.DataFrame({"196": ["1"], "242": ["2"], "3": ["3"]}))
    assert not looks_headerless(["user", "item", "5"])


def test_restoring_the_header_row_undoes_pandas_suffixes():
    df = pd.DataFrame({"u1": ["u2"], "5": ["4"], "5.1": ["3"]})
    back = restore_header_row(df)
    assert back.iloc[0].tolist() == ["u1", "5", "5"] and back.shape == (2, 3)


@pytest.mark.parametrize("values, rule, positives", [
    ([0, 1, 1, 0], "0/1 labels", [0, 1, 1, 0]),
    ([1, 3, 4, 5], "1-5 scale", [0, 0, 1, 1]),
    ([0.5, 3.5, 4.0, 4.5], "0.5-5 star", [0, 0, 1, 1]),
    ([1, 7, 8, 10], "1-10 scale", [0, 0, 1, 1]),
    ([1, 3, 40, 250], "counts", [1, 1, 1, 1]),
    ([-2, -1, 1, 2], "> 0", [0, 0, 1, 1]),
])
def test_the_positive_rule_follows_the_rating_scale(values, rule, positives):
    s = pd.Series(values, dtype=float)
    r = positive_rule(s)
    assert rule in r.text
    assert r.apply(s).tolist() == positives


def test_positive_rules_from_the_command_line():
    s = pd.Series([1.0, 2.0, 3.0])
    assert positive_rule(s, "any").apply(s).tolist() == [1, 1, 1]
    assert positive_rule(s, "> 1").apply(s).tolist() == [0, 1, 1]
    assert positive_rule(s, "== 2").apply(s).tolist() == [0, 1, 0]
    assert positive_rule(s, ">=3").apply(s).tolist() == [0, 0, 1]
    with pytest.raises(ColdrecError, match="'most' is not a rule: use 'any', a number"):
        positive_rule(s, "most")


def test_a_text_flag_adds_to_the_guesses_instead_of_replacing_them(own_files):
    folder, _, _ = own_files
    cat = load_catalog(folder / "movies.csv", ColumnMap(text=["plot"], guess_rest=True))
    assert cat.ids[:2] == ["m0", "m1"]  # not row numbers
    assert set(cat.items["category"]) == {"Drama", "Comedy", "Documentary", "Horror"}
    assert any("guessed for the roles not named" in w for w in cat.report.warnings)
    filled, names = complete_columns(ColumnMap(id="movieId"), guess_columns(pd.read_csv(folder / "movies.csv")))
    assert filled.id == "movieId" and filled.text and "id" not in " ".join(names)


def test_unknown_item_ids_name_the_column_the_catalog_ids_and_the_flag():
    log = pd.DataFrame({"userId": ["u1", "u2"], "movieId": ["1", "2"], "rowid": ["m1", "m2"]})
    got = load_interactions(log, known_items=["m1", "m2"]) if False else None  # noqa: F841  (kept readable)
    with pytest.raises(ColdrecError) as exc:
        load_interactions(log, known_items=["m1", "m2"])
    text = str(exc.value)
    assert "'movieId'" in text and "--item-col" in text and "'m1'" in text


def test_missing_user_column_error_shows_samples_and_the_flag():
    with pytest.raises(ColdrecError, match=r"--user-col COLUMN") as exc:
        load_interactions(pd.DataFrame({"who": ["ann", "bob"], "movieId": ["1", "2"]}))
    assert "'ann'" in str(exc.value)


def test_cli_train_ranker_reads_a_headerless_log_with_flags(own_files, tmp_path, capsys, monkeypatch):
    folder, _, _ = own_files
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    rc = main(["train-ranker", "--catalog", str(folder / "movies.csv"), "--interactions",
               str(folder / "headerless.csv"), "--item-col", "column_1", "--user-col", "column_2",
               "--rating-col", "column_3", "--positive", ">= 6", "--model", "hash", "--epochs", "2",
               "--out", str(tmp_path / "rk")])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "no header row" not in err  # the columns were named, so nothing had to be guessed


def test_cli_evaluate_writes_protocol_and_dataset_and_never_overwrites(own_files, tmp_path, capsys, monkeypatch):
    folder, _, _ = own_files
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "res"
    args = ["evaluate", "--protocol", "cold-items", "--catalog", str(folder / "movies.csv"), "--interactions",
            str(folder / "ratings.csv"), "--model", "hash", "--methods", "popularity,zero-shot", "--out", str(out),
            "--batch-size", "16", "--device", "cpu", "--cache-dir", str(tmp_path / "cache2")]
    assert main(args) == 0, capsys.readouterr().err
    written = json.loads((out / "cold-items-movies.json").read_text())
    assert written["file_stem"] == "cold-items-movies"
    assert main(args) == 1
    assert "exists: pass --force" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0


def test_cli_evaluate_seeds_give_the_mean_of_separate_runs(own_files, tmp_path, capsys, monkeypatch):
    folder, _, _ = own_files
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    base = ["evaluate", "--protocol", "cold-items", "--catalog", str(folder / "movies.csv"), "--interactions",
            str(folder / "ratings.csv"), "--model", "hash", "--methods", "popularity,zero-shot"]
    runs = []
    for s in (0, 1):
        assert main(base + ["--seed", str(s), "--out", str(tmp_path / f"s{s}")]) == 0
        runs.append(json.loads((tmp_path / f"s{s}" / "cold-items-movies.json").read_text())["methods"])
    assert main(base + ["--seeds", "0,1", "--out", str(tmp_path / "both")]) == 0
    both = json.loads((tmp_path / "both" / "cold-items-movies.json").read_text())
    for method, vals in both["methods"].items():
        for metric, v in vals.items():
            assert v == pytest.approx((runs[0][method][metric] + runs[1][method][metric]) / 2, abs=1e-6)
    assert "±" in capsys.readouterr().out


def test_cli_column_flags_are_refused_for_the_published_protocols(capsys):
    assert main(["evaluate", "--protocol", "scientific", "--item-col", "asin"]) == 1
    assert "for your own data" in capsys.readouterr().err


def test_cli_shots_zero_without_text_speaks_in_flags(own_files, tmp_path, capsys, monkeypatch):
    folder, _, _ = own_files
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    assert main(["evaluate", "--protocol", "cold-users", "--catalog", str(folder / "movies.csv"), "--interactions",
                 str(folder / "ratings.csv"), "--model", "hash", "--shots", "0"]) == 1
    err = capsys.readouterr().err
    assert "--users FILE" in err and "--shots N" in err and "users=..." not in err


def test_the_report_says_which_positive_rule_ran_and_what_text_is_embedded(own_files, tmp_path, monkeypatch):
    from coldrec.evaluation import run_protocol

    folder, _, _ = own_files
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    r = run_protocol("cold-users", catalog=folder / "movies.csv", interactions=folder / "ratings.csv",
                     encoder="hash", methods=("popularity", "zero-shot"), shots=2)
    assert any("rating >= 8 (a 1-10 scale)" in n for n in r["notes"]), r["notes"]
    cat = load_catalog(folder / "movies.csv")
    assert any(w.startswith("embedded text: 'title' + 'plot'; e.g. 'Tea story 0") for w in cat.report.warnings)


# ------------------------------------------------------------------------------------------- blocks and the hybrid
TOPICS = ["jazz", "tent", "tea", "novel"]


class _FakeEncoder:
    """Vectors from a lookup, not from the words: ``oracle`` knows each item's topic (one-hot), ``noise`` is
    random unit rows; the name starts with ``hash`` so the evaluation does not cache them on disk."""

    def __init__(self, kind: str) -> None:
        self.kind, self.name, self.dim = kind, f"hash-fake-{kind}", 8

    def encode(self, texts):
        import numpy as np

        out = np.zeros((len(texts), self.dim), np.float32)
        for r, t in enumerate(texts):
            i = int(t.split("code")[1].split()[0])
            if self.kind == "oracle":
                out[r, i % len(TOPICS)] = 1.0
            else:
                out[r] = np.random.default_rng(i).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _topic_files(folder, words: bool):
    """80 items in 4 topics; each user likes 12 items of one topic. With ``words`` the texts name the topic
    (TF-IDF can find it), without they are unique codes (only the oracle encoder knows the topic)."""
    items = pd.DataFrame({"item_id": [f"i{i}" for i in range(80)],
                          "title": [f"code{i} " + (f"{TOPICS[i % 4]} {TOPICS[i % 4]}s" if words else f"x{i}y")
                                    for i in range(80)]})
    rows = [(f"u{u}", f"i{(u % 4) + 4 * ((u + 3 * j) % 20)}") for u in range(32) for j in range(12)]
    items.to_csv(folder / "topics.csv", index=False)
    pd.DataFrame(rows, columns=["user_id", "item_id"]).to_csv(folder / "likes.csv", index=False)
    return folder / "topics.csv", folder / "likes.csv"


@pytest.mark.parametrize("words, kind, weight, same_as", [(True, "noise", 0.0, "tfidf"),
                                                           (False, "oracle", 1.0, "zero-shot")])
def test_the_hybrid_weight_is_chosen_on_validation(tmp_path, words, kind, weight, same_as):
    from coldrec.evaluation import run_protocol

    catalog, log = _topic_files(tmp_path, words)
    r = run_protocol("cold-items", catalog=catalog, interactions=log, encoder=_FakeEncoder(kind),
                     methods=("tfidf", "zero-shot", "hybrid"), positive_threshold="any", log=lambda m: None)
    assert r["hybrid"]["weight"] == weight, r["hybrid"]
    assert r["methods"]["hybrid"] == r["methods"][same_as]
    assert any(n.startswith("hybrid with tfidf of words and word pairs") and "validation users" in n
               for n in r["notes"]), r["notes"]
    # the other weights were tried on validation, and the single method that lost scored lower there
    val = r["hybrid"]["validation"]
    assert len(val) == 42 and val[f"score:{1.0 - weight}"] < val[f"score:{weight}"]
    assert r["hybrid"]["by"] == ["recall@10", "ndcg@10"]


def test_choose_fusion_prefers_the_better_single_method_on_ties_and_mixes_when_it_helps():
    import numpy as np
    from coldrec.evaluation._hybrid import choose_fusion, fuse

    # two users, six items; the encoder finds item 0 for user 0 only, TF-IDF item 1 for user 1 only
    enc = np.array([[9, 1, 0, 0, 0, 0], [0, 0, 9, 1, 0, 0]], float)
    lex = np.array([[0, 0, 0, 9, 1, 0], [0, 9, 0, 0, 0, 1]], float)
    got = choose_fusion([(enc, lex, [{0}, {1}], None)], np.arange(6), ks=(1,), by=("recall@1",))
    assert got["validation"]["score:1.0"] == got["validation"]["score:0.0"] == [0.5]
    assert got["weight"] not in (0.0, 1.0) and got["validation"][f"{got['fusion']}:{got['weight']}"] == [1.0]
    with pytest.raises(ColdrecError, match="valid choices: score, rank"):
        fuse(enc, lex, 0.5, "sum")
    with pytest.raises(ColdrecError, match=r"in \[0, 1\]"):
        fuse(enc, lex, 1.5)


def _retarget(log_path, catalog_path, out_path, seed=0, fraction=0.2):
    """The same log with every interaction on a held-out (cold) item moved to another cold item: the training
    side (warm items, validation) is unchanged, only the test targets differ."""
    import numpy as np
    from coldrec.evaluation._common import split_cold

    rows = {x: r for r, x in enumerate(pd.read_csv(catalog_path)["item_id"].astype(str))}
    log = pd.read_csv(log_path)
    _, cold = split_cold(np.unique([rows[x] for x in log["item_id"]]), fraction, seed)
    ids = {r: x for x, r in rows.items()}
    move = {ids[int(a)]: ids[int(b)] for a, b in zip(cold, np.roll(cold, 1))}
    log["item_id"] = [move.get(x, x) for x in log["item_id"]]
    log.to_csv(out_path, index=False)
    return sorted(move)


def test_the_hybrid_choice_never_sees_the_test_targets(tmp_path):
    from coldrec.evaluation import run_protocol

    catalog, log = _topic_files(tmp_path, True)
    moved = _retarget(log, catalog, tmp_path / "moved.csv")
    opts = dict(catalog=catalog, encoder="hash", methods=("tfidf", "zero-shot", "hybrid"), positive_threshold="any",
                log=lambda m: None)
    a = run_protocol("cold-items", interactions=log, **opts)
    b = run_protocol("cold-items", interactions=tmp_path / "moved.csv", **opts)
    assert moved and a["n_users"] == b["n_users"]
    assert a["methods"]["zero-shot"] != b["methods"]["zero-shot"]  # the test targets did change ...
    assert a["hybrid"] == b["hybrid"]  # ... and the fusion, weight and every validation value did not


def test_hybrid_lexical_adds_word_pairs_shared_by_two_texts():
    from coldrec.evaluation._hybrid import hybrid_lexical

    texts = ["gene expression data", "gene expression networks", "social networks", "a lonely word"]
    X = hybrid_lexical(texts)
    sims = (X @ X.T).toarray()
    assert sims[0, 1] > sims[1, 2] > 0 and sims[3, :3].max() == 0  # "gene expression" links 0 and 1 more
    assert abs(sims[0, 0] - 1) < 1e-6
    assert hybrid_lexical(["alpha", "beta"]).shape[0] == 2  # no shared term: every term kept instead


def test_item_cosine_by_rows_equals_the_dense_matrix():
    import numpy as np
    import scipy.sparse as sp
    from coldrec.evaluation._blocks import ItemCosine
    from coldrec.evaluation._common import _item_cosine

    R = sp.random(30, 12, density=0.3, random_state=1, format="csr", dtype=np.float32)
    R.data[:] = 1.0
    dense = _item_cosine(R)
    assert np.array_equal(ItemCosine(R)[[3, 0, 11]], dense[[3, 0, 11]])


def test_cold_users_in_blocks_equals_all_users_at_once(own_files, tmp_path, monkeypatch):
    from coldrec.evaluation import run_protocol

    folder, _, _ = own_files
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    pd.DataFrame({"user_id": [f"u{u}" for u in range(30)],
                  "description": [f"I like {WORDS[u % 10]} and {WORDS[(u * 7) % 10]}" for u in range(30)]}
                 ).to_csv(folder / "users.csv", index=False)
    opts = dict(catalog=folder / "movies.csv", interactions=folder / "ratings.csv", encoder="hash", shots=2,
                users=folder / "users.csv", positive_threshold="any", epochs=1, log=lambda m: None, cold_fraction=0.3)
    whole = run_protocol("cold-users", **opts)
    assert {"random", "popularity", "tfidf", "itemknn", "zero-shot", "hybrid", "mlp-rich"} <= set(whole["methods"])
    assert whole["n_users"] > 3
    for size in (1, 3):
        assert run_protocol("cold-users", block_users=size, **opts)["methods"] == whole["methods"]


def test_cli_prints_the_hybrid_row_with_its_chosen_weight(tmp_path, capsys):
    catalog, log = _topic_files(tmp_path, True)
    assert main(["evaluate", "--protocol", "cold-items", "--catalog", str(catalog), "--interactions", str(log),
                 "--model", "hash", "--methods", "tfidf,zero-shot,hybrid", "--positive", "any",
                 "--seeds", "0,1", "--out", str(tmp_path / "res")]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("hybrid ("))
    chosen = json.loads((tmp_path / "res" / "cold-items-topics.json").read_text())["hybrid"]["per_seed"]
    label = " / ".join(f"{c['fusion']} w={c['weight']:.2f}" for c in chosen.values())
    assert line.startswith(f"hybrid ({label})") and len(chosen) == 2 and "±" in line
