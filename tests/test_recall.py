from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coldrec.errors import ColdrecError
from coldrec.retrieval import mmr_rerank, popularity_prior, standardize_rows, top_n
from tests.conftest import unit_rows


def brute_force(E, q, n, mask=None):
    """Reference: sentence-transformers' semantic_search on the same vectors."""
    import torch
    from sentence_transformers.util import semantic_search

    E2 = E if mask is None else E[mask]
    hits = semantic_search(torch.from_numpy(q[None]), torch.from_numpy(E2), top_k=n)[0]
    rows = np.array([h["corpus_id"] for h in hits])
    return (np.flatnonzero(mask)[rows] if mask is not None else rows), np.array([h["score"] for h in hits])


def _case(m: int, seed: int):
    """A seeded generator, ``m`` unit item rows and one unit query (16-d)."""
    rng = np.random.default_rng(seed)
    return rng, unit_rows(rng, m, 16), unit_rows(rng, 1, 16)[0]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200), st.integers(1, 50), st.integers(0, 10_000))
def test_top_n_equals_brute_force(m, n, seed):
    rng, E, q = _case(m, seed)
    rows, scores = top_n(E, q, n)
    ref_rows, ref_scores = brute_force(E, q, min(n, m))
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    # ties aside, the same items in the same order
    assert set(rows.tolist()) == set(ref_rows.tolist()) or np.allclose(np.sort(scores), np.sort(ref_scores))
    assert np.all(np.diff(scores) <= 1e-7)


def test_category_filter_and_exclusions_match_brute_force():
    rng = np.random.default_rng(1)
    E, q = unit_rows(rng, 300, 32), unit_rows(rng, 1, 32)[0]
    mask = rng.random(300) < 0.3
    rows, _ = top_n(E, q, 20, allowed=mask)
    ref, _ = brute_force(E, q, 20, mask)
    assert rows.tolist() == ref.tolist()
    rows2, _ = top_n(E, q, 20, allowed=mask, exclude=rows[:5].tolist())
    assert not set(rows[:5]) & set(rows2) and rows2[:15].tolist() == rows[5:].tolist()


def test_fewer_items_than_n_returns_what_passes():
    E = np.eye(4, dtype=np.float32)
    rows, _ = top_n(E, E[0], 10, allowed=np.array([True, False, True, False]))
    assert sorted(rows.tolist()) == [0, 2]


def test_popularity_blend_moves_popular_items_up():
    E = np.array([[1, 0], [0.9, 0.436]], dtype=np.float32)
    q = np.array([1, 0], dtype=np.float32)
    assert top_n(E, q, 2)[0].tolist() == [0, 1]
    assert top_n(E, q, 2, popularity=np.array([0, 1000]), pop_weight=0.5)[0].tolist() == [1, 0]
    assert popularity_prior(np.array([0, 9, 99])).tolist()[-1] == 1.0


def test_mmr_trades_relevance_for_diversity():
    E = np.array([[1, 0, 0], [0.999, 0.045, 0], [0.8, 0, 0.6]], dtype=np.float32)
    q = np.array([1, 0, 0], dtype=np.float32)
    assert top_n(E, q, 2)[0].tolist() == [0, 1]
    assert top_n(E, q, 2, mmr_lambda=0.3)[0].tolist() == [0, 2]
    assert top_n(E, q, 2, mmr_lambda=1.0)[0].tolist() == [0, 1]
    with pytest.raises(ColdrecError, match="between 0 and 1"):
        mmr_rerank(E, np.arange(3), np.ones(3), 2, lam=1.5)


def test_dimension_mismatch_is_a_clear_error():
    with pytest.raises(ColdrecError, match="same model"):
        top_n(np.eye(3, dtype=np.float32), np.ones(4, dtype=np.float32), 1)
    with pytest.raises(ColdrecError, match="pop_weight"):
        top_n(np.eye(3, dtype=np.float32), np.ones(3, dtype=np.float32), 1, pop_weight=2)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40), st.integers(0, 10_000))
@pytest.mark.filterwarnings("ignore:Precision loss")
def test_standardize_rows_matches_scipy_zscore(rows, cols, seed):
    from scipy.stats import zscore

    x = np.random.default_rng(seed).normal(size=(rows, cols)) * 3 + 7
    x[0] = 2.5  # a constant row has no spread: zeros, not NaN
    want = np.nan_to_num(zscore(x, axis=1), nan=0.0)
    np.testing.assert_allclose(standardize_rows(x), want, atol=1e-9)
    assert standardize_rows(x, np.float32).dtype == np.float32
    np.testing.assert_allclose(standardize_rows(x[1 % rows]), want[1 % rows], atol=1e-9)  # 1-d: over the items


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 120), st.integers(1, 30), st.integers(0, 10_000))
def test_top_n_over_given_scores_equals_top_n(m, n, seed):
    rng, E, q = _case(m, seed)
    allowed = rng.random(m) < 0.7
    ex = rng.choice(m, size=min(3, m), replace=False).tolist()
    want = top_n(E, q, n, allowed=allowed, exclude=ex)
    got = top_n(E, q, n, allowed=allowed, exclude=ex, scores=E @ q)
    assert got[0].tolist() == want[0].tolist()
    np.testing.assert_allclose(got[1], want[1], atol=1e-6)
    with pytest.raises(ColdrecError, match="scores has [23] entries"):
        top_n(E, q, n, scores=np.zeros(2, np.float32)) if m != 2 else top_n(E, q, n, scores=np.zeros(3))
