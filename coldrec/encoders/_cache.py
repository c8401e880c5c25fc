"""On-disk embedding cache keyed by model identity and a hash of each text.

Re-embedding a catalog encodes only new or changed texts. The cache is a folder per model holding *shards*:
``.npz`` files (no pickles) with the text hashes, the vectors and a SHA-256 digest of both. Shards are written to a
temporary name and renamed, so a killed process never leaves a half-written shard under a final name; a shard
whose digest does not match is deleted and recomputed, never trusted. Encoding writes a shard about every
``flush_seconds`` (2 s) of encoding, and at least every ``checkpoint_every`` texts, so a killed or refreshed embed
job resumes where it stopped, losing a few seconds of work at most. A file lock per model lets two
processes embedding the same catalog share the work instead of doing it twice. When the folder is unwritable
or full, coldrec works without the cache and says so in ``warnings``.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from coldrec.encoders._base import cache_name, encode_as

__all__ = ["EmbeddingCache", "EmbedResult", "embed_texts", "text_key", "default_cache_dir"]

Progress = Callable[[int, int], None]
_SHARD = re.compile(r"^shard-[0-9a-f]{32}\.npz$")
_MAX_SHARDS = 48
_FIRST_CHUNK = 32  # texts in the first chunk, which measures the encoder's speed
_clock = time.perf_counter  # how chunk times are measured (tests pass a fake clock)


def default_cache_dir() -> Path:
    """``$COLDREC_CACHE`` if set, else the user's cache folder (``~/.cache/coldrec`` on Linux)."""
    env = os.environ.get("COLDREC_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("coldrec"))


def text_key(text: str) -> str:
    """SHA-256 hex of a text (the cache key within a model's folder)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _digest(keys: np.ndarray, vectors: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(keys).tobytes())
    h.update(np.ascontiguousarray(vectors).tobytes())
    return h.hexdigest()


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


class EmbeddingCache:
    """A folder of embedding shards per model.

    Example:
        >>> import tempfile
        >>> from coldrec.encoders import HashEncoder
        >>> cache = EmbeddingCache(tempfile.mkdtemp())
        >>> first = embed_texts(HashEncoder(), ["a", "b"], cache)
        >>> again = embed_texts(HashEncoder(), ["a", "b"], cache)
        >>> (first.encoded, again.cached)
        (2, 2)
    """

    def __init__(self, root: str | Path | None = None, *, enabled: bool = True) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        self.enabled = enabled
        self.warnings: list[str] = []
        # model folder -> {shard file name: (keys, vectors)}; only new shard files are read on each lookup
        self._loaded: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.root)!r}, enabled={self.enabled})"

    def folder(self, model: str) -> Path:
        """The folder holding one model's shards (model names are sanitised into a folder name)."""
        safe = re.sub(r"[^A-Za-z0-9_.@-]+", "_", model)[:120] or "model"
        return self.root / safe

    def _warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)

    def _refresh(self, model: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        loaded = self._loaded.setdefault(model, {})
        folder = self.folder(model)
        try:
            names = {n for n in os.listdir(folder) if _SHARD.match(n)}
        except OSError:
            names = set()
        for gone in set(loaded) - names:
            loaded.pop(gone)
        for name in sorted(names - set(loaded)):
            shard = self._read_shard(folder / name)
            if shard is not None:
                loaded[name] = shard
        return loaded

    def _read_shard(self, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
        try:
            with np.load(path, allow_pickle=False) as z:
                keys, vecs, digest = z["keys"], z["vectors"], str(z["digest"])
            if keys.ndim != 1 or vecs.ndim != 2 or len(keys) != len(vecs) or vecs.dtype != np.float32:
                raise ValueError("bad shapes")
            if _digest(keys, vecs) != digest:
                raise ValueError("digest mismatch")
            return keys, vecs
        except FileNotFoundError:  # compacted away by another process meanwhile
            return None
        except Exception:
            self._warn(f"Damaged cache file {path.name} was ignored and will be rebuilt.")
            try:
                path.unlink()
            except OSError:
                pass
            return None

    def lookup(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors for those of ``keys`` present (key -> vector)."""
        if not self.enabled or not keys:
            return {}
        wanted = set(keys)
        found: dict[str, np.ndarray] = {}
        for shard_keys, vecs in self._refresh(model).values():
            for i, k in enumerate(shard_keys.astype(str)):
                if k in wanted:
                    found[k] = vecs[i]
        return found

    def store(self, model: str, keys: Sequence[str], vectors: np.ndarray) -> bool:
        """Write one shard atomically; returns False (and warns) when the cache cannot be written."""
        if not self.enabled or not len(keys):
            return False
        karr = np.asarray(list(keys), dtype="S64")
        name = self._write_shard(model, karr, np.ascontiguousarray(vectors, dtype=np.float32))
        if name is None:
            return False
        if len(self._loaded[model]) > _MAX_SHARDS:
            self.compact(model)
        return True

    def _write_shard(self, model: str, karr: np.ndarray, vecs: np.ndarray) -> str | None:
        folder = self.folder(model)
        name = f"shard-{uuid.uuid4().hex}.npz"
        tmp = folder / f".tmp-{name}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                np.savez(fh, keys=karr, vectors=vecs, digest=np.array(_digest(karr, vecs)))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / name)
        except OSError as exc:
            self.enabled = False
            self._warn(
                f"The embedding cache at {self.root} cannot be written ({exc.strerror or exc}); "
                "working without the cache for the rest of this run."
            )
            try:
                tmp.unlink()
            except OSError:
                pass
            return None
        self._loaded.setdefault(model, {})[name] = (karr, vecs)
        return name

    def compact(self, model: str) -> None:
        """Merge a model's shards into one (keeps lookups fast after many small writes)."""
        shards = self._refresh(model)
        if len(shards) < 2:
            return
        old = list(shards)
        keys = np.concatenate([shards[n][0] for n in old])
        vecs = np.concatenate([shards[n][1] for n in old])
        _, first = np.unique(keys, return_index=True)
        if self._write_shard(model, keys[first], vecs[first]) is None:
            return
        for name in old:
            try:
                (self.folder(model) / name).unlink()
            except OSError:
                pass
            shards.pop(name, None)

    def lock(self, model: str):
        """An inter-process lock for one model's folder (a no-op when the cache is disabled or unwritable)."""
        if not self.enabled:
            return nullcontext()
        try:
            from filelock import FileLock

            folder = self.folder(model)
            folder.mkdir(parents=True, exist_ok=True)
            return FileLock(str(folder / ".encode.lock"), timeout=3600)
        except OSError as exc:
            self.enabled = False
            self._warn(f"The embedding cache at {self.root} cannot be used ({exc}); working without it.")
            return nullcontext()

    def status(self) -> dict[str, object]:
        """Folder, number of models, vectors and bytes on disk (for the app's Home page)."""
        models, vectors, size = 0, 0, 0
        if self.root.is_dir():
            for sub in self.root.iterdir():
                if not sub.is_dir():
                    continue
                shards = [p for p in sub.iterdir() if _SHARD.match(p.name)]
                if shards:
                    models += 1
                for p in shards:
                    size += p.stat().st_size
                    vectors += max(0, (p.stat().st_size - 512) // 1600)  # rough: 384-d floats + key
        probe = self.root if self.root.exists() else self.root.parent
        writable = self.enabled and os.access(probe, os.W_OK)
        return {"folder": str(self.root), "enabled": writable, "models": models, "bytes": size,
                "approx_vectors": vectors}


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
    keys = [text_key(t) for t in texts]
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
        chunk_texts = [unique[k] for k in chunk]
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
