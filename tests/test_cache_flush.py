"""The embedding cache is written about every 2 s of encoding (not every 2,048 texts), so a refresh or a kill
loses a few seconds of work at most. Time is a fake clock that the fake encoder advances: no wall-clock test."""

from __future__ import annotations

import pytest

import coldrec.encoders._embed as cache_module
from coldrec.encoders import EmbeddingCache, HashEncoder, embed_texts

SECONDS_PER_TEXT = 0.1  # a slow CPU model: 10 texts/s


class SlowEncoder(HashEncoder):
    """Advances the fake clock by SECONDS_PER_TEXT per text; dies (like a killed job) after ``die_after`` texts."""

    def __init__(self, clock, die_after=None):
        super().__init__()
        self.clock, self.die_after, self.done, self.chunks = clock, die_after, 0, []

    def encode(self, texts, *, progress=None):
        if self.die_after is not None and self.done + len(texts) > self.die_after:
            self.clock[0] += SECONDS_PER_TEXT * (self.die_after - self.done)
            raise KeyboardInterrupt
        self.chunks.append(len(texts))
        self.done += len(texts)
        self.clock[0] += SECONDS_PER_TEXT * len(texts)
        return super().encode(texts, progress=progress)


@pytest.fixture
def clock(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(cache_module, "_clock", lambda: now[0])
    return now


def test_a_killed_job_loses_at_most_a_few_seconds_of_encoding(tmp_path, clock):
    texts = [f"text number {i}" for i in range(1000)]
    enc = SlowEncoder(clock, die_after=500)  # killed after 50 s of encoding; 2,048-text shards would keep nothing
    with pytest.raises(KeyboardInterrupt):
        embed_texts(enc, texts, EmbeddingCache(tmp_path))
    kept = embed_texts(HashEncoder(), texts, EmbeddingCache(tmp_path)).cached
    lost_seconds = (500 - kept) * SECONDS_PER_TEXT
    assert kept > 0 and lost_seconds <= 2.5, (kept, enc.chunks)


def test_chunks_follow_the_measured_speed_and_stay_under_checkpoint_every(tmp_path, clock):
    enc = SlowEncoder(clock)
    res = embed_texts(enc, [f"t {i}" for i in range(300)], EmbeddingCache(tmp_path), flush_seconds=2.0,
                      checkpoint_every=25)
    assert res.encoded == 300 and sum(enc.chunks) == 300
    assert max(enc.chunks) <= 25 and enc.chunks[1:-1] == [20] * (len(enc.chunks) - 2)  # 2 s at 10 texts/s
