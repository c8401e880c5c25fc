"""The query memo of the multilingual encoder and the padding-aware split of small inputs (issue 11 latency)."""
from __future__ import annotations

import numpy as np
import pytest

from coldrec.encoders import MultilingualEncoder
from coldrec.encoders._multilingual_backends import _padded_run
from coldrec.encoders._multilingual_model import RUN_OVERHEAD_TOKENS
from coldrec.encoders._query_memo import QueryMemo

DESC = "深夜学习时喜欢听安静的爵士乐，周末也听古典。"
CLAUSES = ["深夜学习时喜欢听安静的爵士乐", "周末也听古典"]


@pytest.fixture(scope="module")
def ml():
    return MultilingualEncoder("engine", num_threads=2)


@pytest.fixture()
def calls(ml, monkeypatch):
    """Texts that reach the backend, with their kind."""
    ml.query_memo.clear()
    seen: list[tuple[str, str]] = []
    real = ml._impl.embed

    def embed(texts, kind):
        seen.extend((t, kind) for t in texts)
        return real(texts, kind)

    monkeypatch.setattr(ml._impl, "embed", embed)
    return seen


def test_an_edited_description_encodes_only_the_new_texts(ml, calls):
    first = ml.encode([DESC] + CLAUSES, kind="query")
    assert len(calls) == 3
    calls.clear()
    edited = DESC + "不喜欢太吵的。"
    again = ml.encode([edited] + CLAUSES + ["不喜欢太吵的"], kind="query")
    assert sorted(calls) == sorted([(edited, "query"), ("不喜欢太吵的", "query")])
    np.testing.assert_array_equal(again[1:3], first[1:])  # the memo's rows are the vectors encoded before
    assert ml.query_memo.hits >= 2


def test_memo_vectors_equal_a_fresh_encode(ml, calls):
    memo = ml.encode(CLAUSES, kind="query")
    ml.query_memo.clear()
    fresh = ml.encode(CLAUSES, kind="query")
    np.testing.assert_allclose(memo, fresh, atol=1e-6)


def test_passages_never_use_the_memo(ml, calls):
    q = ml.encode([CLAUSES[0]], kind="query")
    p = ml.encode([CLAUSES[0]], kind="passage")
    assert calls == [(CLAUSES[0], "query"), (CLAUSES[0], "passage")]
    assert float(q[0] @ p[0]) < 0.9999  # a query vector is never handed back for a passage
    ml.encode([CLAUSES[0]], kind="passage")
    assert calls[-1] == (CLAUSES[0], "passage")


def test_memo_drops_the_least_recently_used_and_skips_long_texts():
    memo = QueryMemo(size=2, max_chars=10)
    memo.put(["a", "b"], np.eye(2, dtype=np.float32))
    memo.get(["a"])  # a is now the most recent
    memo.put(["c", "x" * 11], np.eye(2, dtype=np.float32))
    assert sorted(memo.get(["a", "b", "c", "x" * 11])) == [0, 2]
    assert len(memo) == 2


def test_memo_size_must_not_be_negative():
    with pytest.raises(ValueError, match=r"size must be 0 \(off\) or more, got -1"):
        QueryMemo(size=-1)


def test_memo_off_keeps_nothing():
    memo = QueryMemo(size=0)
    memo.put(["a"], np.ones((1, 2), dtype=np.float32))
    assert memo.get(["a"]) == {} and len(memo) == 0


def test_small_inputs_split_where_padding_costs_more_than_a_pass():
    long, mid, short = [0] * 40, [0] * 30, [0] * (40 - RUN_OVERHEAD_TOKENS - 1)
    windows = [(0, long), (1, mid), (2, short), (3, short)]
    assert _padded_run([0, 1, 2, 3], windows) == 2  # 30 is padded by 10 (<= the overhead), 23 by 17 (more)
    assert _padded_run([2, 3], windows) == 2
    assert _padded_run([0], windows) == 1
