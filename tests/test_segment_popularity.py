"""Segment popularity (coldrec.ranking.SegmentPopularity): known answers on tiny logs, back-off, no leakage."""

from __future__ import annotations

import numpy as np
import pytest

from coldrec.errors import ColdrecError
from coldrec.ranking import SegmentPopularity, SegmentPopularityConfig, age_buckets, choose_segment_strengths


def _log():
    """Users 0-9 (A) like item 0, users 10-19 (B) like item 1, user 20 (C, alone) likes item 2; user 21 is A, new."""
    pos = [np.array([0])] * 10 + [np.array([1])] * 10 + [np.array([2]), np.array([0])]
    fields = {"g": ["A"] * 10 + ["B"] * 10 + ["C", "A"]}
    return fields, pos


def test_segment_with_enough_data_follows_its_own_counts():
    fields, pos = _log()
    m = SegmentPopularity(fields, pos, 3, levels=(("g",),), prior=0.5).fit(np.arange(21))
    p = m.predict(np.array([21]), (1.0,))[0]
    glob = np.array([10.5, 10.5, 1.5]) / 22.5  # global counts of users 0-20 + prior 0.5
    np.testing.assert_allclose(p, (np.array([10.0, 0.0, 0.0]) + 1.0 * glob) / (10.0 + 1.0))
    assert int(np.argmax(p)) == 0  # segment A's own favourite, not the global tie


def test_tiny_segment_backs_off_to_its_parent():
    fields, pos = _log()
    m = SegmentPopularity(fields, pos, 3, levels=(("g",),), prior=0.5).fit(np.arange(20))  # C's user left out
    glob = m.predict(np.array([20]), (1e9,))[0]  # C has no fitted user: its parent (global) exactly
    np.testing.assert_allclose(glob, np.array([10.5, 10.5, 0.5]) / 21.5)
    m.fit(np.arange(21))
    # one liked item against a strength of 1000: C's row is the parent's order, item 2 stays last
    p = m.predict(np.array([21, 20]), (1000.0,))
    assert np.argsort(-p[1])[-1] == 2
    # the leave-one-user-out row of C's only user is its parent: it never sees its own item
    np.testing.assert_allclose(p[1], glob, rtol=1e-9)
    # with a weak strength a segment with data does follow itself
    assert int(np.argmax(m.predict(np.array([15]), (1.0,))[0])) == 1


def test_fitted_users_rows_never_contain_their_own_positives():
    rng = np.random.default_rng(0)
    n_users, n_items = 40, 12
    fields = {"age": age_buckets(rng.integers(10, 70, n_users)), "g": rng.choice(["M", "F"], n_users)}
    pos = [rng.choice(n_items, 3, replace=False) for _ in range(n_users)]
    levels = (("age",), ("age", "g"))
    a = SegmentPopularity(fields, pos, n_items, levels).fit(np.arange(n_users)).predict(np.arange(n_users), (2., 2.))
    for u in (0, 17):
        changed = list(pos)
        changed[u] = np.array([0, 1, 2]) if set(pos[u]) != {0, 1, 2} else np.array([3, 4, 5])
        b = SegmentPopularity(fields, changed, n_items, levels).fit(np.arange(n_users)).predict(np.array([u]), (2., 2.))
        np.testing.assert_allclose(a[u], b[0])
        # control: a user outside the fitted set (no leave-one-out) does see the change
        c = SegmentPopularity(fields, changed, n_items, levels).fit(np.arange(n_users)).predict(
            np.array([(u + 1) % n_users]), (2., 2.))[0]
        assert not np.allclose(a[(u + 1) % n_users], c)


def _planted(seed: int, n_users: int = 120, n_items: int = 20):
    """Two genders with different tastes and one shared head; each user likes 4 items."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["M", "F"], n_users)
    pos = []
    for u in range(n_users):
        w = np.ones(n_items)
        w[:3] = 6.0
        w[3:6 if g[u] == "M" else 9] += 3.0 if g[u] == "M" else 0.0
        w[6:9] += 3.0 if g[u] == "F" else 0.0
        pos.append(rng.choice(n_items, 4, replace=False, p=w / w.sum()))
    return {"g": g}, pos


def test_strengths_are_chosen_on_training_users_only():
    cfg = SegmentPopularityConfig(levels=(("g",),), strengths=(0.5, 5.0, 50.0, 500.0), inner_folds=3)
    train, test = np.arange(0, 60), np.arange(60, 120)
    fields, pos = _planted(1)
    m = SegmentPopularity(fields, pos, 20, cfg.levels)
    chosen, log = choose_segment_strengths(m, train, cfg, seed=0)
    before = m.predict(test, chosen)
    flipped = list(pos)
    rng = np.random.default_rng(5)
    for u in test:  # the test users now like random items: their segment says nothing about them
        flipped[u] = rng.choice(20, 4, replace=False)
    m2 = SegmentPopularity(fields, flipped, 20, cfg.levels)
    assert choose_segment_strengths(m2, train, cfg, seed=0)[0] == chosen
    np.testing.assert_allclose(m2.predict(test, chosen), before)
    # control: had the test users been among the selection users, their ratings would change the choice
    every = np.arange(120)
    assert choose_segment_strengths(SegmentPopularity(fields, pos, 20, cfg.levels), every, cfg, seed=0)[0] != \
        choose_segment_strengths(SegmentPopularity(fields, flipped, 20, cfg.levels), every, cfg, seed=0)[0]
    assert log["strengths"] == list(chosen) and 0.0 < log["val_ndcg@10"] <= 1.0


def test_bad_settings_name_the_value():
    with pytest.raises(ColdrecError, match="-1"):
        SegmentPopularityConfig(strengths=(-1.0,))
    with pytest.raises(ColdrecError, match="'zip'"):
        SegmentPopularity({"age": [1, 2]}, [np.array([0])] * 2, 2, levels=(("zip",),))
    m = SegmentPopularity({"age": [1, 2]}, [np.array([0])] * 2, 2, levels=(("age",),)).fit(np.arange(2))
    with pytest.raises(ColdrecError, match=r"\(1\.0, 2\.0\)"):
        m.predict(np.arange(2), (1.0, 2.0))
