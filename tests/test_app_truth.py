"""Issue 17 point 1 in the app: the Ranker page's training result and the Evaluation page's quick check are one
measurement (coldrec.evaluation.holdout_comparison), so they show the same numbers for the same ranker and domain.

Runs with the deterministic hash encoder on the small e-commerce demo, like tests/test_app.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from streamlit.testing.v1 import AppTest  # noqa: E402

from app_helpers import hash_app_env, ok

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fast_app(monkeypatch, tmp_path_factory):
    return hash_app_env(monkeypatch, tmp_path_factory)



def comparison_tables(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if {"method", "recall@10", "ndcg@10", "auc"} <= set(d.value.columns)]


def quick_check(at: AppTest) -> pd.DataFrame:
    ok(at.switch_page("app_pages/7_Evaluation.py").run())
    ok(at.button(key="ev_run").click().run())
    [table] = comparison_tables(at)
    return table


def test_ranker_page_and_evaluation_quick_check_report_the_same_numbers():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["rk_epochs"] = 2
    ok(at.run())
    # before any training the hash encoder has no demo ranker: the quick check compares the baselines only
    before = quick_check(at)
    assert list(before["method"]) == ["popularity", "tfidf", "cosine (zero-shot)"]
    ok(at.switch_page("app_pages/6_Ranker.py").run())
    [train] = [b for b in at.get("form_submit_button") if b.label == "Train"]
    ok(train.click().run())
    [trained] = comparison_tables(at)
    assert list(trained["method"])[:3] == ["popularity", "tfidf", "cosine (zero-shot)"]
    assert list(trained["method"])[3:] == ["mlp-concat"]  # the form's default features
    captions = " ".join(c.value for c in at.caption)
    assert "held-out log users" in captions and "the list the app serves" in captions
    quick = quick_check(at)
    pd.testing.assert_frame_equal(quick.reset_index(drop=True), trained.reset_index(drop=True))
    # the baselines did not move with the ranker: the same users, candidates and metric
    pd.testing.assert_frame_equal(quick.iloc[:3].reset_index(drop=True), before.reset_index(drop=True))
    captions = " ".join(c.value for c in at.caption)
    assert "trained" in captions.lower() and "held-out log users" in captions
