from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from coldrec.errors import ColdrecError
from coldrec.ranking import build_training_data, load_interactions, popularity_counts


def test_problems_are_reported_not_fatal():
    df = pd.DataFrame({
        "user": ["u1", "u1", "u1", "u2", "u3", "u3", ""],
        "item": ["a", "ghost", "b", "a", "b", "b", "a"],
        "rating": [5, 5, 2, 1, 5, 1, 5],
        "ts": [1, 2, 3, 4, 5, 6, 7],
    })
    log = load_interactions(df, known_items=["a", "b"])
    text = " ".join(log.warnings)
    assert "'ghost'" in text and "not in the catalog" in text
    assert "both liked and not liked" in text              # u3/b: 5 then 1, the latest wins
    assert "no positive" in text                             # u2 rated 1 only; u3's only pair ended negative
    assert "empty user" in text and "rows [7]" in text
    assert log.rows_read == 7
    assert set(log.frame["user_id"]) == {"u1", "u2", "u3"}
    assert log.frame.set_index(["user_id", "item_id"]).loc[("u3", "b"), "label"] == 0


def test_auto_detects_columns_and_binary_labels():
    log = load_interactions(io.BytesIO(b"user_id,item_id,rating\nu,a,1\nu,b,0\n"))
    assert log.frame["label"].tolist() == [1, 0]


def test_missing_column_names_what_exists():
    with pytest.raises(ColdrecError, match=r"which column of the interaction log holds the user ids.*Columns: who \(e\.g\. 'u'\); what"):
        load_interactions(pd.DataFrame({"who": ["u"], "what": ["a"]}))
    with pytest.raises(ColdrecError, match="no user column 'uid'"):
        load_interactions(pd.DataFrame({"user": ["u"], "item": ["a"]}), user_col="uid")


def test_no_usable_row_is_an_error():
    with pytest.raises(ColdrecError, match="no usable row"):
        load_interactions(pd.DataFrame({"user": ["u"], "item": ["zzz"]}), known_items=["a"])


def test_training_data_from_history_never_shows_targets_in_profile():
    E = np.eye(4, dtype=np.float32)
    df = pd.DataFrame({"user": ["u"] * 4, "item": list("abcd"), "ts": [1, 2, 3, 4]})
    data = build_training_data(load_interactions(df), {k: i for i, k in enumerate("abcd")}, E)
    assert data.profile_source == "history"
    assert data.positives[0].tolist() == [2, 3]  # the later half are targets
    assert data.user_vectors[0][2:].sum() == 0  # built from the earlier half only
    assert popularity_counts(load_interactions(df), {k: i for i, k in enumerate("abcd")}, 4).tolist() == [1, 1, 1, 1]


def test_training_data_from_descriptions(fake_encoder):
    E = np.eye(64, dtype=np.float32)[:3]
    df = pd.DataFrame({"user": ["u", "u", "v"], "item": ["a", "b", "c"], "rating": [1, 0, 1]})
    data = build_training_data(load_interactions(df), {"a": 0, "b": 1, "c": 2}, E,
                               encode=fake_encoder.encode, user_texts={"u": "likes tea", "v": ""})
    assert data.user_ids == ["u"] and data.negatives[0].tolist() == [1]
    assert any("no description" in w for w in data.warnings)


def test_date_string_timestamps_order_rows_by_time():
    import pandas as pd

    from coldrec.ranking import load_interactions

    df = pd.DataFrame({"user_id": ["u1", "u1", "u1"], "item_id": ["a", "b", "c"], "rating": [1, 1, 1],
                       "date": ["2021-03-05", "2021-01-02", "2021-02-10"]})
    log = load_interactions(df)
    assert log.frame["timestamp"].notna().all()
    assert log.frame["item_id"].tolist() == ["b", "c", "a"]  # by date, not by file position
