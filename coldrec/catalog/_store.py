"""What one app session keeps on disk so a page refresh or a server restart loses nothing: the uploaded file, its
column mapping, the chosen catalog and the rankers saved in that session.

Each session has its own folder ``<data dir>/sessions/<token>/`` named by a random token (the app keeps it in the
page URL); nothing in one session's folder is listed to another. A folder unused for :data:`SESSION_TTL_DAYS`
days is deleted by :meth:`SessionStore.sweep`. The data dir is the per-user data folder of platformdirs
(``~/.local/share/coldrec`` on Linux) or ``$COLDREC_USER_DATA``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from coldrec.errors import ColdrecError

__all__ = ["SessionStore", "default_data_dir", "SESSION_TTL_DAYS", "column_map_to_dict", "column_map_from_dict"]

SESSION_TTL_DAYS = 7
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_FILE = re.compile(r"[0-9a-f]{64}")


def default_data_dir() -> Path:
    """``$COLDREC_USER_DATA`` if set, else the user's data folder (``~/.local/share/coldrec`` on Linux) — never
    the install folder."""
    env = os.environ.get("COLDREC_USER_DATA")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("coldrec"))


def column_map_to_dict(cmap: Any) -> dict[str, Any] | None:
    """A :class:`coldrec.catalog.ColumnMap` as plain JSON data (``None`` stays ``None``)."""
    return None if cmap is None else dataclasses.asdict(cmap)


def column_map_from_dict(data: dict[str, Any] | None) -> Any:
    from coldrec.catalog._columns import ColumnMap

    if data is None:
        return None
    names = {f.name for f in dataclasses.fields(ColumnMap)}
    return ColumnMap(**{k: v for k, v in data.items() if k in names})


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class SessionStore:
    """Per-session folders under ``root`` (default ``<data dir>/sessions``) that expire after ``ttl_days``.

    Example:
        >>> import tempfile
        >>> store = SessionStore(tempfile.mkdtemp())
        >>> token = store.new_token()
        >>> key = store.save_file(token, b"id,title\\na,Lamp\\n")
        >>> store.write_state(token, {"file": key})
        >>> store.read_file(token, store.read_state(token)["file"])
        b'id,title\\na,Lamp\\n'
    """

    def __init__(self, root: str | Path | None = None, ttl_days: float = SESSION_TTL_DAYS) -> None:
        self.root = Path(root).expanduser() if root is not None else default_data_dir() / "sessions"
        self.ttl_seconds = float(ttl_days) * 86400.0

    @staticmethod
    def new_token() -> str:
        """A random session token (128 bits, URL-safe)."""
        return secrets.token_urlsafe(16)

    @staticmethod
    def valid_token(token: Any) -> bool:
        return isinstance(token, str) and bool(_TOKEN.fullmatch(token))

    def folder(self, token: str) -> Path:
        """The session's folder (not created).

        Raises:
            ColdrecError: ``token`` is not 16–64 letters, digits, ``-`` or ``_`` (never a path).
        """
        if not self.valid_token(token):
            raise ColdrecError(f"{str(token)[:80]!r} is not a session token (16–64 letters, digits, - or _).")
        return self.root / token

    def save_file(self, token: str, data: bytes) -> str:
        """Keep ``data`` (e.g. an uploaded catalog) in the session; returns its key (SHA-256 hex)."""
        key = hashlib.sha256(data).hexdigest()
        path = self.folder(token) / "files" / key
        if not path.is_file():
            _write_atomic(path, data)
        return key

    def read_file(self, token: str, key: str) -> bytes | None:
        if not (isinstance(key, str) and _FILE.fullmatch(key)):
            return None
        path = self.folder(token) / "files" / key
        return path.read_bytes() if path.is_file() else None

    def read_state(self, token: str) -> dict[str, Any]:
        """The session's JSON state (``{}`` when none, expired or unreadable); reading it counts as a use."""
        path = self.folder(token) / "state.json"
        if not path.is_file() or self.expired(token):
            return {}
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        self.touch(token)
        return state if isinstance(state, dict) else {}

    def write_state(self, token: str, state: dict[str, Any]) -> None:
        _write_atomic(self.folder(token) / "state.json", json.dumps(state, ensure_ascii=False).encode("utf-8"))

    def touch(self, token: str) -> None:
        try:
            os.utime(self.folder(token) / "state.json")
        except OSError:
            pass

    def last_used(self, token: str) -> float | None:
        try:
            return (self.folder(token) / "state.json").stat().st_mtime
        except OSError:
            return None

    def expired(self, token: str, now: float | None = None) -> bool:
        used = self.last_used(token)
        return used is not None and (now if now is not None else time.time()) - used > self.ttl_seconds

    def rankers(self, token: str) -> Path:
        """Where this session's saved rankers live (listed to this session only)."""
        return self.folder(token) / "rankers"

    def sweep(self, now: float | None = None) -> list[str]:
        """Delete the folders of sessions unused for longer than the expiry; returns their tokens."""
        gone = []
        if not self.root.is_dir():
            return gone
        for sub in self.root.iterdir():
            if not (sub.is_dir() and self.valid_token(sub.name)):
                continue
            used = self.last_used(sub.name)
            used = used if used is not None else sub.stat().st_mtime
            if (now if now is not None else time.time()) - used > self.ttl_seconds:
                shutil.rmtree(sub, ignore_errors=True)
                gone.append(sub.name)
        return gone
