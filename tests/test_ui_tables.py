"""The app's table helpers (ui/tables.py): columns that fit the page and values shown as a reader expects."""

from __future__ import annotations

import numpy as np
import pandas as pd

import ui
from coldrec.recommend._views import results_view


def _width(col) -> int:
    return int(col["width"])


def test_audience_without_ranker_gives_the_users_words_the_space():
    aud = pd.DataFrame({"user_id": ["u1"], "who": ["I cook a lot"], "ranker_score": [np.nan]})
    order, config = ui.audience_columns(aud)
    assert "ranker_score" not in order and "who" in order
    assert _width(config["who"]) > _width(ui.AUDIENCE_COLUMNS["who"])
    shown = sum(_width(config[c]) for c in order)
    full = sum(_width(ui.AUDIENCE_COLUMNS[c]) for c in ui.audience_columns(aud.assign(ranker_score=[0.5]))[0])
    assert shown == full  # the same table width: the Ranker column's pixels went to "who"


def test_audience_with_a_ranker_keeps_its_column():
    aud = pd.DataFrame({"user_id": ["u1", "u2"], "who": ["a", "b"], "ranker_score": [np.nan, 0.3]})
    order, config = ui.audience_columns(aud)
    assert order[-1] == "ranker_score" and config is ui.AUDIENCE_COLUMNS


def test_metric_table_fits_the_page_with_six_metrics():
    metrics = [f"{m}@{k}" for k in (20, 50, 100) for m in ("recall", "ndcg")]
    table = pd.DataFrame({"method": ["a"], "published": [False], **{m: [0.5] for m in metrics}})
    cols = ui.metric_columns(table, metrics)
    assert sum(_width(cols[c]) for c in ["method", "published", *metrics]) <= ui.tables.METRIC_TABLE_WIDTH


def test_log_share_is_shown_in_whole_percents():
    view = results_view(pd.DataFrame({"log_share": [0.618, 0.71, 0.0049]}))
    assert view["log_share"].tolist() == [0.62, 0.71, 0.0]
