"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coldrec.metrics._ranking import (
    MetricAccumulator,
    hit_rate_at_k,
    jaccard,
    ndcg_at_k,
    overlap_at_k,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    topk_rows,
)
from coldrec.analysis import rank_biased_overlap


def test_recall_divides_by_number_of_relevant_items():
    ranked = ["a", "b", "c", "d", "e"]
    assert recall_at_k(ranked, {"b", "e", "z"}, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, {"b", "e", "z"}, 5) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, set(), 5) == 0.0
    assert precision_at_k(ranked, {"b", "e"}, 5) == pytest.approx(0.4)
    assert hit_rate_at_k(ranked, {"e"}, 4) == 0.0 and hit_rate_at_k(ranked, {"e"}, 5) == 1.0


def test_ndcg_single_target_is_one_over_log_rank():
    ranked = [5, 3, 9, 1]
    assert ndcg_at_k(ranked, {5}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(ranked, {9}, 10) == pytest.approx(1 / math.log2(4))  # rank 3 → 1/log2(3+1) = 0.5
    assert ndcg_at_k(ranked, {9}, 2) == 0.0


def test_ndcg_several_targets_hand_computed():
    # hits at ranks 2 and 4 out of 3 relevant items, k = 5
    ranked = ["x", "a", "y", "b", "z"]
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, {"a", "b", "c"}, 5) == pytest.approx(dcg / idcg)
    assert dcg / idcg == pytest.approx(0.4982, abs=1e-4)  # (0.6309 + 0.4307) / (1 + 0.6309 + 0.5)
    # ideal list is cut at k: 3 relevant but k = 2 → IDCG has 2 terms
    idcg2 = 1 + 1 / math.log2(3)
    assert ndcg_at_k(ranked, {"a", "b", "c"}, 2) == pytest.approx((1 / math.log2(3)) / idcg2)
    assert ndcg_at_k(["a", "b", "c"], {"a", "b", "c"}, 3) == pytest.approx(1.0)


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        recall_at_k([1], {1}, 0)


def test_topk_rows_orders_best_first_and_breaks_ties_by_index():
    s = np.array([[0.1, 0.9, 0.5, 0.9], [3, 2, 1, 0]], dtype=float)
    assert topk_rows(s, 3).tolist() == [[1, 3, 2], [0, 1, 2]]
    assert topk_rows(s, 10).shape == (2, 4)
    assert topk_rows(np.array([[-np.inf, 1.0, 0.0]]), 1).tolist() == [[1]]


def test_accumulator_matches_per_user_functions():
    rng = np.random.default_rng(0)
    scores = rng.random((20, 30))
    rel = [set(rng.choice(30, size=rng.integers(1, 6), replace=False).tolist()) for _ in range(20)]
    rel[3] = set()  # users without relevant items are skipped, not counted as zero
    out = ranking_metrics(scores, rel, (5, 10))
    top = topk_rows(scores, 30)
    users = [u for u in range(20) if rel[u]]
    for k in (5, 10):
        assert out[f"recall@{k}"] == pytest.approx(np.mean([recall_at_k(top[u], rel[u], k) for u in users]), abs=1e-6)
        assert out[f"ndcg@{k}"] == pytest.approx(np.mean([ndcg_at_k(top[u], rel[u], k) for u in users]), abs=1e-6)
    acc = MetricAccumulator([10])
    acc.add(top[:1], [rel[0]])
    assert acc.users == 1


def test_item_ids_map_columns():
    out = ranking_metrics(np.array([[0.2, 0.9, 0.1]]), [{"b"}], (1,), item_ids=np.array(["a", "b", "c"]))
    assert out == {"recall@1": 1.0, "ndcg@1": 1.0}


def test_list_comparisons():
    assert jaccard([1, 2, 3], [2, 3, 4]) == pytest.approx(0.5)
    assert jaccard([], []) == 1.0
    assert overlap_at_k([1, 2, 3], [3, 9, 1], 2) == pytest.approx(0.0)
    assert overlap_at_k([1, 2, 3], [3, 9, 1], 3) == pytest.approx(2 / 3)
    assert rank_biased_overlap([1, 2, 3, 4], [1, 2, 3, 4]) == pytest.approx(1.0)
    assert rank_biased_overlap([1, 2, 3], [4, 5, 6]) == pytest.approx(0.0)
    swapped_top = rank_biased_overlap([1, 2, 3, 4], [2, 1, 3, 4])
    swapped_tail = rank_biased_overlap([1, 2, 3, 4], [1, 2, 4, 3])
    assert 0 < swapped_top < swapped_tail < 1  # disagreement at the top costs more
    with pytest.raises(ValueError):
        rank_biased_overlap([1], [1], p=1.0)
