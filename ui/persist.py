"""What a session keeps on disk so a page refresh or a server restart loses nothing (issue 17, point 5).

A session is named by a random token in the page URL (``?s=…``, :data:`TOKEN_PARAM`); a refresh keeps the URL, so
the new Streamlit session finds the same folder (:class:`coldrec.catalog.SessionStore`, in the per-user data
folder). Kept there: the uploaded file's bytes, its column mapping, which catalog the session uses, and the
rankers saved in the session. A folder unused for ``SESSION_TTL_DAYS`` days is deleted. Nothing here is shown to,
or listed for, another session.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from coldrec.catalog import SessionStore, column_map_from_dict, column_map_to_dict

TOKEN_PARAM = "s"
TOKEN_KEY = "coldrec_token"
RESTORED_KEY = "coldrec_restored_pending"   # a validated upload kept from before the refresh, not embedded yet
_SWEPT = {"done": False}                    # expired sessions are swept once per server process


def store() -> SessionStore:
    return SessionStore()


def token() -> str:
    """The session's token: from the URL when it carries a valid one (a refresh), else a new random one; kept in
    the URL so the next refresh finds it."""
    ss = st.session_state
    tok = ss.get(TOKEN_KEY)
    if tok is None:
        url = st.query_params.get(TOKEN_PARAM)
        tok = url if SessionStore.valid_token(url) else SessionStore.new_token()
        ss[TOKEN_KEY] = tok
    if st.query_params.get(TOKEN_PARAM) != tok:
        st.query_params[TOKEN_PARAM] = tok
    return tok


def _update(**changes: Any) -> None:
    try:
        s, tok = store(), token()
        state = s.read_state(tok)
        state.update(changes)
        s.write_state(tok, state)
    except OSError:  # an unwritable data folder: the app works, only without surviving a refresh
        pass


def keep_upload(filename: str, data: bytes, cmap: Any, catalog: Any) -> None:
    """Keep a validated upload (bytes + column mapping) so a refresh or restart can rebuild it."""
    try:
        key = store().save_file(token(), data)
    except OSError:
        return
    uploads = store().read_state(token()).get("uploads", {})
    uploads[catalog.content_hash()] = {"file": key, "filename": filename, "name": catalog.name,
                                       "mapping": column_map_to_dict(cmap), "used": False}
    _update(uploads=uploads, pending=catalog.content_hash())


def keep_used(h: str) -> None:
    """The upload ``h`` is embedded and is now the session's catalog."""
    state = store().read_state(token())
    if h in state.get("uploads", {}):
        state["uploads"][h]["used"] = True
        _update(uploads=state["uploads"], pending=None, source=["upload", h])
    st.session_state.pop(RESTORED_KEY, None)


def keep_source(src: tuple[str, str]) -> None:
    _update(source=list(src))


def _rebuild(tok: str, meta: dict[str, Any]) -> Any | None:
    from coldrec.catalog import load_catalog
    from coldrec.errors import ColdrecError

    data = store().read_file(tok, meta.get("file", ""))
    if data is None:
        return None
    try:
        return load_catalog(data, column_map_from_dict(meta.get("mapping")), filename=meta.get("filename"),
                            name=meta.get("name"))
    except (ColdrecError, TypeError):
        return None


def restore() -> dict[str, Any]:
    """What the session kept: ``{"uploads": {hash: Catalog}, "source": (kind, value) | None, "pending":
    (Catalog, ColumnMap) | None}`` (empty for a new session)."""
    s = store()
    if not _SWEPT["done"]:
        _SWEPT["done"] = True
        try:
            s.sweep()
        except OSError:
            pass
    tok = token()
    try:
        state = s.read_state(tok)
    except OSError:
        state = {}
    uploads, pending = {}, None
    for h, meta in (state.get("uploads") or {}).items():
        if meta.get("used") or h == state.get("pending"):
            catalog = _rebuild(tok, meta)
            if catalog is not None and catalog.content_hash() == h:
                if meta.get("used"):
                    uploads[h] = catalog
                else:
                    pending = (catalog, column_map_from_dict(meta.get("mapping")))
    src = tuple(state["source"]) if isinstance(state.get("source"), list) and len(state["source"]) == 2 else None
    return {"uploads": uploads, "source": src, "pending": pending}


def restored_pending() -> tuple[Any, Any] | None:
    """``(Catalog, ColumnMap)`` of the validated upload kept from before a refresh, until it is embedded."""
    return st.session_state.get(RESTORED_KEY)


def ranker_folder() -> str:
    """This session's saved rankers (in the per-user data folder; listed to this session only). The session's
    state file is created if missing, so the folder's expiry counts from the session's last use."""
    s, tok = store(), token()
    if s.last_used(tok) is None:
        _update()
    return str(s.rankers(tok))
