"""A small, thread-safe memo of user-side (query) vectors, so an edited description re-encodes only what changed.

An interactive request encodes a description and its clauses in one batch (:func:`coldrec.retrieval.build_profiles`).
When the user edits the description (adds a sentence, changes one clause) or reruns it with other settings, most
of those texts were already encoded: the memo hands their vectors back and only the new texts reach the model.
It keeps at most ``size`` short texts (least recently used dropped first) and never holds catalog passages, which
go through the on-disk :class:`coldrec.encoders.EmbeddingCache`.

Example:
    >>> memo = QueryMemo(size=2)
    >>> memo.put(["a"], np.ones((1, 3), dtype=np.float32))
    >>> memo.get(["a", "b"])
    {0: array([1., 1., 1.], dtype=float32)}
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

__all__ = ["QueryMemo", "MEMO_SIZE", "MEMO_MAX_CHARS"]

MEMO_SIZE = 512
"""Texts kept (a few dozen descriptions with their clauses); ~0.8 MB of 384-d float32 rows."""
MEMO_MAX_CHARS = 2000
"""Longer texts are not kept (a pasted document is not re-typed clause by clause)."""


class QueryMemo:
    """``text -> vector`` for the most recently encoded short query texts.

    Args:
        size: texts kept; 0 turns the memo off.
        max_chars: texts longer than this are never kept.
    """

    def __init__(self, size: int = MEMO_SIZE, max_chars: int = MEMO_MAX_CHARS) -> None:
        if size < 0:
            raise ValueError(f"QueryMemo size must be 0 (off) or more, got {size}.")
        self.size = int(size)
        self.max_chars = int(max_chars)
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """``{position in texts: vector}`` for the texts the memo holds (each marked as just used)."""
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for i, t in enumerate(texts):
                v = self._rows.get(t)
                if v is not None:
                    self._rows.move_to_end(t)
                    found[i] = v
            self.hits += len(found)
            self.misses += len(texts) - len(found)
        return found

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep the rows of ``vectors`` (one per text, copied) for the short texts, dropping the oldest."""
        if not self.size:
            return
        with self._lock:
            for t, v in zip(texts, vectors):
                if len(t) <= self.max_chars:
                    self._rows[t] = np.array(v, dtype=np.float32, copy=True)
                    self._rows.move_to_end(t)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        """Forget every text (benchmarks measuring a first request call this)."""
        with self._lock:
            self._rows.clear()
