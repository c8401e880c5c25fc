"""``embed_texts``: embed texts through the on-disk :class:`~coldrec.encoders._cache.EmbeddingCache`.

Cached texts are read, the rest encoded in checkpointed chunks (a killed job resumes from the last one) and stored.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from coldrec.encoders._base import cache_name, cut_long_texts, encode_as, max_text_chars
from coldrec.encoders._cache import EmbeddingCache, text_key

__all__ = ["EmbedResult", "embed_texts"]

Progress = Callable[[int, int], None]


@dataclass
class EmbedResult:
    """What :func:`embed_texts` did."""

    vectors: np.ndarray
    """``(n, d)`` float32, in the order of the input texts."""
    encoded: int
    """Distinct texts sent to the model."""
    cached: int
    """Texts served from the cache."""
    truncated: int
    """Encoded texts longer than the model window (cut by the model)."""
    seconds: float
    """Wall time of the call."""
    warnings: list[str] = field(default_factory=list)
    """Cache problems met on the way (unwritable folder, damaged shard rebuilt…)."""



_FIRST_CHUNK = 32  # texts in the first chunk, which measures the encoder's speed
_clock = time.perf_counter  # how chunk times are measured (tests pass a fake clock)


def embed_texts(
    encoder,
    texts: Sequence[str],
    cache: EmbeddingCache | None = None,
    progress: Progress | None = None,
    *,
    checkpoint_every: int = 2048,
    flush_seconds: float = 2.0,
    kind: str = "passage",
) -> EmbedResult:
    """Embed texts, reading what the cache has and encoding (and caching) only the rest.

    Args:
        encoder: any :class:`coldrec.encoders.Encoder`.
        texts: the texts, duplicates allowed (each distinct text is encoded once).
        cache: an :class:`EmbeddingCache`, or ``None`` to encode everything.
        progress: ``progress(done, total)`` over all ``len(texts)``; cached texts count as done at once.
        checkpoint_every: the most texts encoded between two cache writes.
        flush_seconds: about how much encoding time passes between two cache writes (chunks are sized from the
            measured speed), so a killed job resumes from a write at most this long ago.
        kind: ``"passage"`` (items, the default) or ``"query"`` (user-side texts). Asymmetric encoders (the
            multilingual E5) encode and cache the two kinds apart (key ``name+kind``); others ignore it.

    Example:
        >>> from coldrec.encoders import HashEncoder
        >>> embed_texts(HashEncoder(dim=8), ["x", "y", "x"]).vectors.shape
        (3, 8)
    """
    t0 = time.perf_counter()
    texts = [t if isinstance(t, str) else "" for t in texts]
    if cache is not None and cache.enabled:
        cache.secret()  # read or create the salt first: a cache that cannot have one is off from here on
    keys = [cache.key(t) if cache is not None else text_key(t) for t in texts]
    unique: dict[str, str] = dict(zip(keys, texts))
    total = len(texts)
    model = cache_name(encoder, kind)
    found: dict[str, np.ndarray] = {}
    encoded = truncated = 0

    def missing() -> list[str]:
        return [k for k in unique if k not in found]

    if cache is not None:
        found.update(cache.lookup(model, list(unique)))
    todo = missing()
    if todo:
        with cache.lock(model) if cache is not None else nullcontext():
            if cache is not None:
                found.update(cache.lookup(model, todo))  # another process may have done them while we waited
                todo = missing()
            encoded, truncated = _encode_missing(encoder, unique, todo, found, cache, progress, total,
                                                 keys, checkpoint_every, model, kind, flush_seconds)
    elif progress:
        progress(total, total)
    dim = encoder.dim
    vectors = np.zeros((total, dim), dtype=np.float32)
    for i, k in enumerate(keys):
        vectors[i] = found[k]
    todo_set = set(todo)
    cached = sum(1 for k in keys if k not in todo_set)
    warns = list(cache.warnings) if cache is not None else []
    long = sum(1 for k in todo_set if len(unique[k]) > max_text_chars())
    if long:
        warns.append(f"{long:,} text(s) longer than {max_text_chars():,} characters were cut to that length before "
                     "tokenisation (COLDREC_MAX_TEXT_CHARS); the model reads only their beginning anyway.")
    return EmbedResult(vectors, encoded, cached, truncated, time.perf_counter() - t0, warns)


def _encode_missing(encoder, unique, todo, found, cache, progress, total, keys, checkpoint_every, model, kind,
                    flush_seconds=2.0):
    todo_set = set(todo)
    base = sum(1 for k in keys if k not in todo_set)
    truncated = 0
    counts: dict[str, int] = {}
    for k in keys:
        if k in todo_set:
            counts[k] = counts.get(k, 0) + 1
    done_rows = base
    if progress:
        progress(done_rows, total)
    step = max(1, checkpoint_every)
    start, size = 0, min(step, _FIRST_CHUNK)
    while start < len(todo):
        chunk = todo[start : start + size]
        chunk_texts = cut_long_texts([unique[k] for k in chunk])[0]
        chunk_rows = sum(counts[k] for k in chunk)  # input rows this chunk fills (duplicates included)

        def tick(done: int, _n: int, offset: int = done_rows, rows: int = chunk_rows,
                 size: int = len(chunk)) -> None:
            if progress:
                progress(min(total, offset + int(rows * done / max(1, size))), total)

        t0 = _clock()
        vecs = encode_as(encoder, chunk_texts, kind, progress=tick)
        elapsed = _clock() - t0
        truncated += encoder.count_truncated(chunk_texts)
        for k, v in zip(chunk, vecs):
            found[k] = v
        if cache is not None:
            cache.store(model, chunk, vecs)
        done_rows += chunk_rows
        start += len(chunk)
        if progress:
            progress(done_rows, total)
        # the next chunk takes about flush_seconds at the speed just measured (at most checkpoint_every texts)
        rate = len(chunk) / elapsed if elapsed > 0 else float("inf")
        size = int(max(1, min(step, rate * max(flush_seconds, 0.0) if rate != float("inf") else step)))
    return len(todo), truncated
