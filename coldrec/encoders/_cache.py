"""On-disk embedding cache keyed by model identity and a salted hash of each text.

Re-embedding a catalog encodes only new or changed texts. The cache is a folder per model holding *shards*:
``.npz`` files (no pickles) with the text keys, the vectors and an HMAC-SHA-256 digest of both. The key of a text
and the digest of a shard are both keyed with a random per-cache secret (``.coldrec-secret`` in the cache root,
created on the first write, mode 0600): someone who can read the shards cannot confirm a guessed text by hashing
it, and a shard written by anyone who does not hold the secret (forged, or copied from another cache) fails the
check and is rebuilt. The digest does not protect against someone who can read the secret (the same account). Shards are written to a
temporary name and renamed, so a killed process never leaves a half-written shard under a final name; a shard
whose digest does not match is deleted and recomputed, never trusted. Encoding writes a shard about every
``flush_seconds`` (2 s) of encoding, and at least every ``checkpoint_every`` texts, so a killed or refreshed embed
job resumes where it stopped, losing a few seconds of work at most. Small shards are merged *by size tier*
(:data:`FANOUT` shards of about the same size into one, like a log-structured merge tree), so each vector is
rewritten about log₄(N) times over a first embed of N texts instead of once per compaction (which was
quadratic); a merged shard is written before the shards it replaces are deleted, so a killed merge leaves
duplicates, never a gap. A file lock per model lets two
processes embedding the same catalog share the work instead of doing it twice. When the folder is unwritable
or full, coldrec works without the cache and says so in ``warnings``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import re
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Sequence

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["EmbeddingCache", "CacheLockError", "text_key", "default_cache_dir", "SECRET_NAME"]

_SHARD = re.compile(r"^shard-[0-9a-f]{32}\.npz$")
FANOUT = 4
"""How many shards of one size tier are merged into one (tier t holds shards of 4^t to 4^(t+1) - 1 rows)."""
SECRET_NAME = ".coldrec-secret"
_SECRET_BYTES = 32
_LOCK_NAME, _OWNER_NAME = ".encode.lock", ".encode.lock.owner"  # the owner file names the holder's PID
LOCK_TIMEOUT = 3600.0
"""Seconds :meth:`EmbeddingCache.lock` waits for another process before raising :class:`CacheLockError`."""
_log = logging.getLogger("coldrec.cache")


class CacheLockError(ColdrecError):
    """Another process held a model's embedding cache lock longer than the cache waits (``lock_timeout``).

    The message names the lock file, the holder's PID (from ``.encode.lock.owner``) and the fix."""


def default_cache_dir() -> Path:
    """``$COLDREC_CACHE`` if set, else the user's cache folder (``~/.cache/coldrec`` on Linux)."""
    env = os.environ.get("COLDREC_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("coldrec"))


def text_key(text: str, secret: bytes | None = None) -> str:
    """Hex key of a text: HMAC-SHA-256 with the cache's ``secret`` (its salt), plain SHA-256 without one."""
    data = text.encode("utf-8", "surrogatepass")
    if secret is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(secret, data, hashlib.sha256).hexdigest()


def _digest(keys: np.ndarray, vectors: np.ndarray, secret: bytes) -> str:
    h = hmac.new(secret, b"coldrec-shard-v2", hashlib.sha256)
    h.update(np.ascontiguousarray(keys).tobytes())
    h.update(np.ascontiguousarray(vectors).tobytes())
    return h.hexdigest()


class EmbeddingCache:
    """A folder of embedding shards per model.

    Example:
        >>> import tempfile
        >>> from coldrec.encoders import HashEncoder, embed_texts
        >>> cache = EmbeddingCache(tempfile.mkdtemp())
        >>> first = embed_texts(HashEncoder(), ["a", "b"], cache)
        >>> again = embed_texts(HashEncoder(), ["a", "b"], cache)
        >>> (first.encoded, again.cached)
        (2, 2)
    """

    def __init__(self, root: str | Path | None = None, *, enabled: bool = True,
                 lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        self.enabled = enabled
        self.lock_timeout = lock_timeout
        self.warnings: list[str] = []
        # model folder -> {shard file name: (keys, vectors)}; only new shard files are read on each lookup
        self._loaded: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        self._secret: bytes | None = None
        self.rows_rewritten = 0
        """Rows this object has copied from one shard into a merged one (write amplification, for tests/bench)."""

    def secret(self, create: bool = True) -> bytes | None:
        """The per-cache secret (read, or created atomically on first use); None when it cannot be had."""
        if self._secret is not None:
            return self._secret
        path = self.root / SECRET_NAME
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = self._create_secret(path) if create else b""
        except OSError as exc:
            self._disable(f"its secret cannot be read ({exc.strerror or type(exc).__name__})")
            return None
        if len(data or b"") != _SECRET_BYTES:
            if data:
                self._disable("its secret file is damaged (delete it to start a fresh cache)")
            return None
        self._secret = data
        return data

    def _create_secret(self, path: Path) -> bytes:
        tmp = path.with_name(f".tmp-secret-{uuid.uuid4().hex}")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(_SECRET_BYTES))
            try:
                os.link(tmp, path)  # atomic: the first process to link wins, the others read its secret
            except FileExistsError:
                pass
            return path.read_bytes()
        except OSError as exc:
            self._disable(f"it cannot be written ({exc.strerror or type(exc).__name__})")
            return b""
        finally:
            try:
                tmp.unlink()
            except OSError:
                pass

    def _disable(self, why: str) -> None:
        self.enabled = False
        self._warn(f"The embedding cache is off: {why}; working without it for the rest of this run "
                   "(COLDREC_CACHE or --cache-dir moves it).")

    def key(self, text: str) -> str:
        """The cache key of ``text`` (salted with this cache's secret; unsalted when the cache is off)."""
        return text_key(text, self._secret if self.enabled else None)

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
        secret = self.secret(create=False)
        if secret is None:
            return None  # no secret: nothing written by this cache can be verified
        try:
            with np.load(path, allow_pickle=False) as z:
                keys, vecs, digest = z["keys"], z["vectors"], str(z["digest"])
            if keys.ndim != 1 or vecs.ndim != 2 or len(keys) != len(vecs) or vecs.dtype != np.float32:
                raise ValueError("bad shapes")
            if not hmac.compare_digest(_digest(keys, vecs, secret), digest):
                raise ValueError("digest mismatch")
            return keys, vecs
        except FileNotFoundError:  # compacted away by another process meanwhile
            return None
        except PermissionError:
            self._disable("its files cannot be read")
            return None
        except Exception:
            self._warn(f"Damaged or unverified cache file {path.name} was ignored and will be rebuilt.")
            try:
                path.unlink()
            except OSError:
                pass
            return None

    def lookup(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors for those of ``keys`` present (key -> vector)."""
        if not self.enabled or not keys or self.secret(create=False) is None:
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
        self._merge_tiers(model)
        return True

    def _write_shard(self, model: str, karr: np.ndarray, vecs: np.ndarray) -> str | None:
        secret = self.secret()
        if secret is None:
            return None
        folder = self.folder(model)
        name = f"shard-{uuid.uuid4().hex}.npz"
        tmp = folder / f".tmp-{name}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                np.savez(fh, keys=karr, vectors=vecs, digest=np.array(_digest(karr, vecs, secret)))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / name)
        except OSError as exc:
            self._disable(f"it cannot be written ({exc.strerror or type(exc).__name__})")
            try:
                tmp.unlink()
            except OSError:
                pass
            return None
        self._loaded.setdefault(model, {})[name] = (karr, vecs)
        return name

    def compact(self, model: str) -> None:
        """Merge all of a model's shards into one (embedding merges only shards of similar size by itself)."""
        shards = self._refresh(model)
        if len(shards) >= 2:
            self._merge(model, list(shards))

    def _merge_tiers(self, model: str) -> None:
        """Merge :data:`FANOUT` shards of the same size tier until no tier holds that many (after each write)."""
        shards = self._refresh(model)  # under the lock: lists the folder, reads nothing new
        while (group := self._merge_plan({n: len(keys) for n, (keys, _) in shards.items()})) is not None:
            if not self._merge(model, group):
                return

    @staticmethod
    def _merge_plan(sizes: dict[str, int]) -> list[str] | None:
        """The shards to merge next: every shard of the lowest tier holding :data:`FANOUT` or more; else None."""
        tiers: dict[int, list[str]] = {}
        for name, rows in sizes.items():
            tiers.setdefault(_tier(rows), []).append(name)
        for tier in sorted(tiers):
            if len(tiers[tier]) >= FANOUT:
                return sorted(tiers[tier])
        return None

    def _merge(self, model: str, names: list[str]) -> bool:
        """Write ``names``' rows (deduplicated) as one new shard, then delete them; False when it cannot write."""
        shards = self._loaded[model]
        keys = np.concatenate([shards[n][0] for n in names])
        vecs = np.concatenate([shards[n][1] for n in names])
        _, first = np.unique(keys, return_index=True)
        if len(first) < len(keys):
            first.sort()
            keys, vecs = keys[first], vecs[first]
        if self._write_shard(model, keys, vecs) is None:
            return False
        self.rows_rewritten += len(keys)
        for name in names:
            try:
                (self.folder(model) / name).unlink()
            except OSError:
                pass
            shards.pop(name, None)
        return True

    def lock(self, model: str):
        """An inter-process lock for one model's folder (a no-op when the cache is disabled or unwritable).

        The lock is taken here, so an unwritable folder (``PermissionError`` on the lock file, a read-only
        file system) turns the cache off with a warning instead of failing the caller.

        Raises:
            CacheLockError: another process held the lock for more than ``lock_timeout`` seconds."""
        if not self.enabled or self.secret() is None:
            return nullcontext()
        try:
            from filelock import FileLock

            folder = self.folder(model)
            folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(folder / _LOCK_NAME))
            _acquire_saying_who_holds(lock, folder, self.lock_timeout)
            (folder / _OWNER_NAME).write_text(str(os.getpid()))
        except OSError as exc:
            self._disable(f"it cannot be written ({exc.strerror or type(exc).__name__})")
            return nullcontext()
        return _Held(lock, folder / _OWNER_NAME)

    def check(self) -> list[str]:
        """Probe the cache once (its secret, then a test write) and return its warnings; ``[]`` when it works.

        A cache that cannot be used is turned off, with a warning that says so (the app shows it on every page)."""
        if self.enabled and self.secret() is not None:
            probe = self.root / f".tmp-probe-{uuid.uuid4().hex}"
            try:
                fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.close(fd)
                os.unlink(probe)
            except OSError as exc:
                self._disable(f"it cannot be written ({exc.strerror or type(exc).__name__})")
        return list(self.warnings)

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
        writable = self.enabled and not self.check()
        return {"folder": str(self.root), "enabled": writable, "models": models, "bytes": size,
                "approx_vectors": vectors}


def _tier(rows: int) -> int:
    """Size tier of a shard of ``rows`` rows: floor(log4(rows)) (0 for 1-3 rows, 1 for 4-15, ...)."""
    return max(0, int(rows).bit_length() - 1) // 2


def _owner(folder: Path) -> tuple[str, bool | None]:
    """The PID named in the lock's owner note and whether that process runs here (None: unknown)."""
    try:
        holder = (folder / _OWNER_NAME).read_text().strip()
    except OSError:
        return "unknown", None
    if not holder.isdigit():
        return holder or "unknown", None
    try:
        os.kill(int(holder), 0)
    except ProcessLookupError:
        return holder, False
    except OSError:  # PermissionError: it runs, under another user
        return holder, True
    return holder, True


def _stale_note(holder: str, alive: bool | None) -> str:
    if alive is False:
        return (f"; PID {holder} is no longer running on this machine, so the lock looks stale (held from another "
                "container or host sharing the folder, or by a child process that inherited it)")
    return ""


def _acquire_saying_who_holds(lock, folder: Path, timeout: float = LOCK_TIMEOUT) -> None:
    """Take ``lock``; when another process holds it, say so once (who, where, whether it looks stale) before
    waiting up to ``timeout`` seconds, then raise :class:`CacheLockError` naming the lock file and the fix."""
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
        return
    except Timeout:
        pass
    holder, alive = _owner(folder)
    path = folder / _LOCK_NAME
    msg = (f"waiting for the embedding cache lock held by PID {holder} at {path} "
           "(another process is embedding with this model; it continues when that one finishes, "
           f"or use another COLDREC_CACHE){_stale_note(holder, alive)}")
    _log.warning(msg)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        holder, alive = _owner(folder)
        fix = (f"PID {holder} is gone, so if no other process uses this cache, delete {path} and "
               f"{folder / _OWNER_NAME} and run again" if alive is False else
               f"wait for PID {holder} to finish (or stop it), or if it is gone and no other process uses this "
               f"cache, delete {path} and {folder / _OWNER_NAME}")
        raise CacheLockError(
            f"The embedding cache lock {path} is still held by PID {holder} after {timeout:g} s"
            f"{_stale_note(holder, alive)}. Fix: {fix}; or point COLDREC_CACHE (--cache-dir) at another folder."
        ) from None


class _Held:
    """Context manager releasing an already-acquired file lock (and removing the owner note first)."""

    def __init__(self, lock, owner: Path | None = None) -> None:
        self._lock = lock
        self._owner = owner

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        if self._owner is not None:
            try:
                self._owner.unlink()
            except OSError:
                pass
        self._lock.release()
