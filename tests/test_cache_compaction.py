"""Size-tiered shard merges: each cached row is rewritten O(log N) times, and nothing is lost or changed by any
sequence of appends, merges, full compactions and reopenings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coldrec.encoders import EmbeddingCache
from coldrec.encoders import _cache as cache_module

MODEL = "m"


def _open(root) -> EmbeddingCache:
    cache = EmbeddingCache(root)
    assert cache.secret() is not None  # keys are salted from here on
    return cache


def _vec(i: int, dim: int = 8) -> np.ndarray:
    return np.random.default_rng(i).standard_normal(dim).astype(np.float32)


def _append_one_at_a_time(cache: EmbeddingCache, n: int) -> None:
    for i in range(n):
        cache.store(MODEL, [cache.key(f"t{i}")], _vec(i)[None])


class _OldCompaction(EmbeddingCache):
    """The policy before size tiers: past 48 shards, every shard is merged into one."""

    def _merge_tiers(self, model: str) -> None:
        if len(self._refresh(model)) > 48:
            self._merge(model, list(self._loaded[model]))


def _bound(n: int) -> float:
    return n * (math.log(n, 4) + 1)


def test_rows_rewritten_over_1000_appends_stay_within_n_log4_n(tmp_path):
    cache = _open(tmp_path)
    _append_one_at_a_time(cache, 1000)
    assert 0 < cache.rows_rewritten <= _bound(1000)
    shards = list(cache.folder(MODEL).glob("shard-*.npz"))
    assert len(shards) <= (cache_module.FANOUT - 1) * (math.floor(math.log(1000, 4)) + 1)
    found = _open(tmp_path).lookup(MODEL, [cache.key(f"t{i}") for i in range(1000)])
    assert len(found) == 1000
    assert np.array_equal(found[cache.key("t123")], _vec(123))


def test_the_old_merge_everything_policy_fails_the_same_bound(tmp_path):
    old = _OldCompaction(tmp_path)
    old.secret()
    _append_one_at_a_time(old, 1000)
    assert old.rows_rewritten > _bound(1000)  # ~10,300 rows: quadratic in the number of compactions


def test_merge_plan_picks_only_the_lowest_full_tier():
    plan = EmbeddingCache._merge_plan
    assert plan({"a": 1, "b": 2, "c": 3}) is None  # three of tier 0: not yet
    assert plan({"a": 1, "b": 2, "c": 3, "d": 1, "big": 5000}) == ["a", "b", "c", "d"]
    assert plan({"a": 4, "b": 15, "c": 5, "d": 9, "e": 1}) == ["a", "b", "c", "d"]  # tier 1 full, tier 0 not
    assert plan({"a": 16, "b": 1, "c": 4, "d": 64}) is None  # one per tier


@pytest.mark.parametrize("seed", range(6))
def test_random_appends_merges_and_reopens_match_a_dict_oracle(tmp_path, seed):
    rng = np.random.default_rng(seed)
    oracle: dict[str, np.ndarray] = {}
    cache = _open(tmp_path)
    texts = [f"text {i}" for i in range(400)]
    for _ in range(120):
        op = rng.random()
        if op < 0.75:  # append a batch of 1-40 texts, some already cached (same text, same vector)
            batch = sorted({texts[j] for j in rng.integers(0, len(texts), int(rng.integers(1, 41)))})
            vecs = np.stack([_vec(texts.index(t)) for t in batch])
            keys = [cache.key(t) for t in batch]
            assert cache.store(MODEL, keys, vecs)
            oracle.update({t: v for t, v in zip(batch, vecs)})
        elif op < 0.85:
            cache.compact(MODEL)
        else:
            cache = _open(tmp_path)  # a new process opens the folder
        probe = list(rng.choice(texts, 50, replace=False))
        found = cache.lookup(MODEL, [cache.key(t) for t in probe])
        assert set(found) == {cache.key(t) for t in probe if t in oracle}
        for t in probe:
            if t in oracle:
                assert np.array_equal(found[cache.key(t)], oracle[t])
    final = _open(tmp_path).lookup(MODEL, [cache.key(t) for t in texts])
    assert len(final) == len(oracle)


def test_a_merge_killed_before_deleting_its_inputs_leaves_duplicates_that_the_next_merge_removes(tmp_path,
                                                                                                monkeypatch):
    cache = _open(tmp_path)
    _append_one_at_a_time(cache, 3)
    real_unlink = type(tmp_path).unlink

    def killed(self, *a, **k):
        raise KeyboardInterrupt  # the process dies right after the merged shard is renamed into place

    monkeypatch.setattr(type(tmp_path), "unlink", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.store(MODEL, [cache.key("t3")], _vec(3)[None])
    monkeypatch.setattr(type(tmp_path), "unlink", real_unlink)
    fresh = _open(tmp_path)
    keys = [fresh.key(f"t{i}") for i in range(4)]
    assert len(fresh.lookup(MODEL, keys)) == 4
    fresh.compact(MODEL)
    (only,) = fresh.folder(MODEL).glob("shard-*.npz")
    with np.load(only) as z:
        assert sorted(z["keys"].astype(str)) == sorted(keys)  # duplicates dropped, nothing lost
