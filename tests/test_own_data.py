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
