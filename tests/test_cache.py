from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import numpy as np
import pytest

from coldrec.encoders import EmbeddingCache, embed_texts
from coldrec.encoders import HashEncoder


class CountingEncoder(HashEncoder):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = 0
        self.texts_seen = 0

    def encode(self, texts, *, progress=None):
        self.calls += 1
        self.texts_seen += len(texts)
        return super().encode(texts, progress=progress)


def texts(n, prefix="item"):
    return [f"{prefix} number {i} with words {i % 7}" for i in range(n)]


def test_second_embed_is_served_from_cache_with_identical_vectors(tmp_path):
    enc, cache = CountingEncoder(), EmbeddingCache(tmp_path)
    first = embed_texts(enc, texts(50), cache)
    again = embed_texts(enc, texts(50), EmbeddingCache(tmp_path))  # a fresh process reads the disk
    assert (first.encoded, first.cached) == (50, 0)
    assert (again.encoded, again.cached) == (0, 50)
    np.testing.assert_array_equal(first.vectors, again.vectors)


def test_changed_texts_only_are_reencoded(tmp_path):
    enc, cache = CountingEncoder(), EmbeddingCache(tmp_path)
    t = texts(100)
    embed_texts(enc, t, cache)
    t[3], t[50] = "something new", "another new one"
    before = enc.texts_seen
    res = embed_texts(enc, t, cache)
    assert res.encoded == 2 and res.cached == 98
    assert enc.texts_seen - before == 2


def test_duplicates_are_encoded_once():
    enc = CountingEncoder()
    res = embed_texts(enc, ["a b", "a b", "c d"])
    assert res.encoded == 2 and enc.texts_seen == 2
    np.testing.assert_array_equal(res.vectors[0], res.vectors[1])


def test_models_do_not_share_entries(tmp_path):
    cache = EmbeddingCache(tmp_path)
    embed_texts(HashEncoder(dim=16, seed=1), ["x y"], cache)
    res = embed_texts(HashEncoder(dim=16, seed=2), ["x y"], cache)
    assert res.encoded == 1


def test_damaged_shard_is_detected_and_rebuilt(tmp_path):
    enc = HashEncoder()
    embed_texts(enc, texts(10), EmbeddingCache(tmp_path))
    shard = next((tmp_path / EmbeddingCache(tmp_path).folder(enc.name).name).glob("shard-*.npz"))
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    cache = EmbeddingCache(tmp_path)
    res = embed_texts(enc, texts(10), cache)
    assert res.encoded == 10  # not trusted
    assert any("Damaged" in w for w in res.warnings)
    np.testing.assert_allclose(res.vectors, enc.encode(texts(10)))


def test_half_written_temp_file_is_never_read(tmp_path):
    enc = HashEncoder()
    folder = EmbeddingCache(tmp_path).folder(enc.name)
    folder.mkdir(parents=True)
    (folder / ".tmp-shard-0123456789abcdef0123456789abcdef.npz").write_bytes(b"PK\x03\x04 half")
    res = embed_texts(enc, texts(5), EmbeddingCache(tmp_path))
    assert res.encoded == 5 and not res.warnings


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_unwritable_cache_works_without_cache(tmp_path):
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        res = embed_texts(HashEncoder(), texts(5), EmbeddingCache(tmp_path / "sub"))
    finally:
        tmp_path.chmod(stat.S_IRWXU)
    assert res.vectors.shape == (5, 64)
    assert any("cannot" in w for w in res.warnings)


def test_cache_path_that_is_a_file_works_without_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = embed_texts(HashEncoder(), texts(5), EmbeddingCache(blocker))
    assert res.vectors.shape == (5, 64) and res.encoded == 5
    assert any("cannot" in w for w in res.warnings)


class DyingEncoder(HashEncoder):
    """Fails on the third chunk, like a killed job."""

    def __init__(self):
        super().__init__()
        self.chunks = 0

    def encode(self, texts, *, progress=None):
        self.chunks += 1
        if self.chunks == 3:
            raise KeyboardInterrupt
        return super().encode(texts, progress=progress)


def test_killed_job_resumes_from_checkpoints(tmp_path):
    t = texts(100)
    with pytest.raises(KeyboardInterrupt):
        embed_texts(DyingEncoder(), t, EmbeddingCache(tmp_path), checkpoint_every=20)
    res = embed_texts(CountingEncoder(), t, EmbeddingCache(tmp_path), checkpoint_every=20)
    assert res.cached == 40 and res.encoded == 60


def test_compaction_keeps_every_vector(tmp_path):
    enc, cache = HashEncoder(), EmbeddingCache(tmp_path)
    for i in range(60):
        embed_texts(enc, [f"text {i}"], cache)
    names = list(cache.folder(enc.name).glob("shard-*.npz"))
    assert len(names) < 60
    res = embed_texts(enc, [f"text {i}" for i in range(60)], EmbeddingCache(tmp_path))
    assert res.cached == 60


def test_progress_counts_cached_rows_as_done(tmp_path):
    cache = EmbeddingCache(tmp_path)
    embed_texts(HashEncoder(), texts(30), cache)
    seen = []
    embed_texts(HashEncoder(), texts(40), cache, progress=lambda d, t: seen.append((d, t)))
    assert seen[0][0] >= 30 and seen[-1] == (40, 40)


_WORKER = """
import sys
from coldrec.encoders import EmbeddingCache, embed_texts
from coldrec.encoders import HashEncoder
texts = [f"item number {i} with words {i % 7}" for i in range(int(sys.argv[2]))]
res = embed_texts(HashEncoder(), texts, EmbeddingCache(sys.argv[1]), checkpoint_every=50)
print(res.encoded, float(res.vectors.sum()))
"""


def test_concurrent_processes_share_work_without_corruption(tmp_path):
    # Separate interpreters (not multiprocessing) so nothing is shared but the cache folder.
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(tmp_path), "300"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        encoded, total = stdout.split()
        out.append((int(encoded), float(total)))
    assert sum(e for e, _ in out) == 300  # the lock makes the others wait, then read
    assert len({round(s, 3) for _, s in out}) == 1
    res = embed_texts(HashEncoder(), texts(300), EmbeddingCache(tmp_path))
    assert res.cached == 300 and not res.warnings


def test_checkpoint_every_below_one_still_embeds_everything(tmp_path):
    res = embed_texts(HashEncoder(), texts(7), EmbeddingCache(tmp_path), checkpoint_every=0)
    assert res.vectors.shape[0] == 7 and res.encoded == 7


_HOLDER = r"""
import sys, time
from coldrec.encoders import EmbeddingCache
with EmbeddingCache(sys.argv[1]).lock("m"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_waiting_for_a_held_lock_says_who_holds_it_and_where(tmp_path, caplog):
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path), "1.5"], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        cache = EmbeddingCache(tmp_path)
        with caplog.at_level("WARNING", logger="coldrec.cache"):
            with cache.lock("m"):
                pass
    finally:
        holder.wait(timeout=60)
    waits = [r.getMessage() for r in caplog.records if "waiting for the embedding cache lock" in r.getMessage()]
    assert len(waits) == 1
    assert f"held by PID {holder.pid} at {cache.folder('m') / '.encode.lock'}" in waits[0]


def test_a_free_lock_is_taken_silently(tmp_path, caplog):
    cache = EmbeddingCache(tmp_path)
    with caplog.at_level("WARNING", logger="coldrec.cache"):
        for _ in range(2):  # the second time the owner note of the first is gone
            with cache.lock("m"):
                assert (cache.folder("m") / ".encode.lock.owner").read_text() == str(os.getpid())
    assert not caplog.records
    assert not (cache.folder("m") / ".encode.lock.owner").exists()


def _hold_lock(tmp_path, seconds):
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path), str(seconds)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_lock_held_past_the_timeout_raises_a_coldrec_error_naming_the_file_the_pid_and_the_fix(tmp_path):
    from coldrec.encoders import CacheLockError
    from coldrec.errors import ColdrecError

    holder = _hold_lock(tmp_path, 30)
    try:
        cache = EmbeddingCache(tmp_path, lock_timeout=0.3)
        lock_file = cache.folder("m") / ".encode.lock"
        with pytest.raises(CacheLockError, match=rf"{re.escape(str(lock_file))} is still held by PID {holder.pid} "
                                                 r"after 0\.3 s\. Fix: wait for PID \d+ to finish") as err:
            with cache.lock("m"):
                pass
        assert isinstance(err.value, ColdrecError) and "no longer running" not in str(err.value)
    finally:
        holder.kill()
        holder.wait(timeout=60)


def test_a_lock_whose_owner_pid_is_gone_is_called_stale_while_waiting_and_in_the_error(tmp_path, caplog):
    from coldrec.encoders import CacheLockError

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=60)  # reaped: its PID names no process now
    holder = _hold_lock(tmp_path, 30)
    try:
        cache = EmbeddingCache(tmp_path, lock_timeout=0.3)
        (cache.folder("m") / ".encode.lock.owner").write_text(str(gone.pid))
        with caplog.at_level("WARNING", logger="coldrec.cache"):
            with pytest.raises(CacheLockError, match=rf"PID {gone.pid} is gone, so if no other process uses this "
                                                     r"cache, delete .*\.encode\.lock and .*\.encode\.lock\.owner"):
                with cache.lock("m"):
                    pass
    finally:
        holder.kill()
        holder.wait(timeout=60)
    waits = [r.getMessage() for r in caplog.records if "waiting for the embedding cache lock" in r.getMessage()]
    assert len(waits) == 1 and f"PID {gone.pid} is no longer running on this machine" in waits[0]
