"""The session's state: which catalog it works on, the :class:`Workspace` every page uses, the users typed so far
and the values of the user-input widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from ui import persist
from ui.escape import md
from ui.resources import demo_bundle, embed_catalog, encoder, wait_until_loaded

DOMAIN_LABELS = {"ecommerce": "E-commerce", "news": "News", "video": "Video", "music": "Music", "social": "Social",
                 "ecommerce-zh": "电商 (中文)", "news-zh": "新闻 (中文)", "video-zh": "影视 (中文)",
                 "music-zh": "音乐 (中文)", "social-zh": "社交 (中文)"}
DEFAULT_DOMAIN = "ecommerce"

SRC_KEY = "coldrec_source"        # ("demo", domain) or ("upload", content_hash)
UPLOADS_KEY = "coldrec_uploads"   # content_hash -> Catalog uploaded in this session
RANKERS_KEY = "coldrec_rankers"   # workspace key -> (label, MLPRanker | None)
TYPED_KEY = "coldrec_typed_users"  # workspace key -> {name: {"user": UserInput, "top": [item ids]}}
NEW_ITEMS_KEY = "coldrec_new_items"  # workspace key -> {title: {"vector": np.ndarray, "near": [item ids]}}
NEW_ITEMS_KEPT = 3
CATALOG_WIDGETS = ["nu_persona", "nu_liked", "nu_disliked", "nu_cats", "nu_search", "wi_persona", "wi_probe"]


# ------------------------------------------------------------------------------------------ session source
def source() -> tuple[str, str]:
    """The session's catalog source: ``("demo", domain)`` or ``("upload", content_hash)``."""
    _restore_once()
    return st.session_state.setdefault(SRC_KEY, ("demo", DEFAULT_DOMAIN))


def _restore_once() -> None:
    """A new Streamlit session (a refresh, a server restart) picks up what its URL's session kept on disk."""
    ss = st.session_state
    if ss.get("_coldrec_restored"):
        persist.token()  # keep the token in the URL (a page switch may drop query parameters)
        return
    ss["_coldrec_restored"] = True
    kept = persist.restore()
    ss.setdefault(UPLOADS_KEY, {}).update(kept["uploads"])
    src = kept["source"]
    if src and SRC_KEY not in ss and (src[0] == "demo" and src[1] in domains() or src[1] in ss[UPLOADS_KEY]):
        ss[SRC_KEY] = src
    if kept["pending"] is not None:
        ss[persist.RESTORED_KEY] = kept["pending"]


def _forget_catalog_widgets() -> None:
    """Picked items, categories and personas belong to one catalog: drop them when the catalog changes."""
    for key in CATALOG_WIDGETS:
        st.session_state.pop(key, None)
        st.session_state.pop(f"_keep_{key}", None)


def set_source(src: tuple[str, str]) -> None:
    """Make ``src`` the session's catalog (forgetting the old catalog's picks when it changes)."""
    if st.session_state.get(SRC_KEY) != tuple(src):
        _forget_catalog_widgets()
        persist.keep_source(tuple(src))
    st.session_state[SRC_KEY] = tuple(src)


def set_demo(domain: str) -> None:
    set_source(("demo", domain))


def set_upload(catalog: Any) -> str:
    """Keep an uploaded catalog in the session and make it the current one; returns its key."""
    h = catalog.content_hash()
    st.session_state.setdefault(UPLOADS_KEY, {})[h] = catalog
    set_source(("upload", h))
    persist.keep_used(h)
    return h


def domains() -> list[str]:
    try:
        from coldrec.demo import DOMAINS

        return list(DOMAINS)
    except ImportError:  # pragma: no cover - library not installed yet
        return list(DOMAIN_LABELS)


def domain_label(domain: str) -> str:
    return DOMAIN_LABELS.get(domain, domain)


def domain_options() -> dict[tuple[str, str], str]:
    """Selectable sources: every demo domain, then the catalogs uploaded in this session."""
    opts: dict[tuple[str, str], str] = {("demo", d): domain_label(d) for d in domains()}
    for h in st.session_state.get(UPLOADS_KEY, {}):
        opts[("upload", h)] = f"📄 {upload_name(h)}"
    return opts


def upload_name(h: str) -> str:
    """The (Markdown-escaped) name of an uploaded catalog."""
    cat = st.session_state.get(UPLOADS_KEY, {}).get(h)
    return md(getattr(cat, "name", None) or f"upload {h[:8]}")


def source_label() -> str:
    """The current catalog's name for the sidebar."""
    from ui.store import index_uri

    if index_uri() is not None:
        return "Milvus store (COLDREC_INDEX)"
    kind, value = source()
    return domain_label(value) if kind == "demo" else upload_name(value)


# ---------------------------------------------------------------------------------------------- workspace
@dataclass
class Workspace:
    """What every page works on: one catalog, its vectors, and the recommender built on them."""

    key: str                       # "demo:ecommerce" or "upload:<hash>"
    label: str
    catalog: Any                   # coldrec.catalog._catalog.Catalog
    vectors: np.ndarray
    recommender: Any               # coldrec.recommend._pipeline.Recommender
    demo: Any = None               # coldrec.demo._datasets.DemoDomain for demo domains
    ranker_label: str = "cosine only"
    store: Any = None              # coldrec.recommend.StoreRecommender when COLDREC_INDEX is set (ui/store.py)

    @property
    def items_total(self) -> int:
        """Items of the catalog: the store's row count on a store-backed catalog (``catalog`` is a sample)."""
        return self.store.total if self.store is not None else len(self.catalog)

    @property
    def personas(self) -> list[dict[str, Any]]:
        return list(getattr(self.demo, "personas", None) or [])

    @property
    def users(self) -> pd.DataFrame | None:
        return getattr(self.demo, "users", None)


def workspace() -> Workspace:
    """The session's workspace (demo domain or uploaded catalog) with the ranker chosen on the Ranker page."""
    wait_until_loaded()  # the encoder and the default demo load in the background: say so while they do
    from ui.store import index_uri, store_workspace

    if (uri := index_uri()) is not None:  # COLDREC_INDEX: a store-backed catalog, never the full matrix
        return store_workspace(uri)
    kind, value = source()
    enc = encoder()
    ranker_choice = st.session_state.get(RANKERS_KEY, {}).get(f"{kind}:{value}")
    if kind == "demo":
        demo, rec = demo_bundle(value)
        catalog, vectors = rec.catalog, rec.item_vectors
        label = domain_label(value)
        default_label = (f"demo checkpoint ({rec.ranked_by})" if getattr(rec, "ranker", None) is not None
                         else f"{rec.ranked_by}: it beats popularity, TF-IDF, cosine and any shipped ranker on "
                              "this domain's held-out users (data/RANKERS.md)"
                         if getattr(rec, "log_evidence", None) is not None
                         else "cosine only: the shipped ranker was trained with another encoder"
                         if (demo.ranker_path / "config.json").is_file()
                         else "cosine only: no trained ranker beat popularity, TF-IDF and cosine on this domain's "
                              "held-out users (data/RANKERS.md)")
    else:
        catalog = st.session_state.get(UPLOADS_KEY, {}).get(value)
        if catalog is None:  # session lost its upload (e.g. server restart): fall back to the demo
            set_demo(DEFAULT_DOMAIN)
            return workspace()
        held = st.session_state.setdefault("coldrec_vectors", {})  # no cache_data copy on every rerun
        if (value, enc.name) not in held:
            held[(value, enc.name)] = embed_catalog(catalog)["vectors"]
        demo, rec, vectors = None, None, held[(value, enc.name)]
        label, default_label = md(getattr(catalog, "name", "uploaded catalog")), "cosine only (no ranker yet)"
    if rec is None or ranker_choice is not None:
        from coldrec.recommend import Recommender

        ranker = ranker_choice[1] if ranker_choice is not None else None
        # the ranker's popularity feature always reads the training counts saved with it (Recommender takes them
        # from the checkpoint); ``popularity`` here only feeds the recall blend: the demo log's counts, or for an
        # upload none, so the blend also uses the ranker's training counts (those of the uploaded log)
        popularity = getattr(rec, "popularity", None) if rec else None
        rec = Recommender(catalog, vectors, enc, ranker=ranker, popularity=popularity)
    return Workspace(key=f"{kind}:{value}", label=label, catalog=catalog, vectors=vectors, recommender=rec,
                     demo=demo, ranker_label=ranker_choice[0] if ranker_choice else default_label)


def set_ranker(ws: Workspace, label: str, ranker: Any | None) -> None:
    """Make ``ranker`` (None: the default) the one every page uses for this workspace."""
    choices = st.session_state.setdefault(RANKERS_KEY, {})
    if ranker is None and label == "default":
        choices.pop(ws.key, None)
    else:
        choices[ws.key] = (label, ranker)


# ---------------------------------------------------------------------------------------- user input state
def load_persona(personas: dict[str, dict[str, Any]], prefix: str) -> None:
    """``on_change`` callback: copy the picked persona into the ``<prefix>_*`` widgets."""
    p = personas.get(st.session_state.get(f"{prefix}_persona", ""))
    if not p:
        return
    st.session_state[f"{prefix}_desc"] = p.get("description", "")
    st.session_state[f"{prefix}_liked"] = list(p.get("liked", []))
    st.session_state[f"{prefix}_disliked"] = list(p.get("disliked", []))


def user_from_state(prefix: str) -> Any | None:
    """The :class:`coldrec.retrieval._profiles.UserInput` held by the ``<prefix>_*`` widgets, or None when all are empty."""
    from coldrec.retrieval import UserInput

    ss = st.session_state
    desc = str(ss.get(f"{prefix}_desc", "") or "").strip()
    history = [h.strip() for h in str(ss.get(f"{prefix}_history", "") or "").splitlines() if h.strip()]
    liked, disliked = list(ss.get(f"{prefix}_liked", []) or []), list(ss.get(f"{prefix}_disliked", []) or [])
    if not (desc or history or liked or disliked):
        return None
    return UserInput(description=desc, liked=liked, disliked=disliked, history=history)


def picked(prefix: str) -> list[str]:
    """Item ids currently in the ``<prefix>_liked`` and ``<prefix>_disliked`` pickers."""
    ss = st.session_state
    return list(ss.get(f"{prefix}_liked", []) or []) + list(ss.get(f"{prefix}_disliked", []) or [])


TYPED_KEPT = 20


def remember_user(ws: Workspace, name: str, user: Any, recs: pd.DataFrame) -> None:
    """Keep every user typed in this session (per workspace, the last :data:`TYPED_KEPT`) so New item and the
    Profile map place them all: the same user again only refreshes its list; a new one under ``name`` gets the
    next free name ("typed user", "typed user 2", …) instead of replacing the one before."""
    bucket = st.session_state.setdefault(TYPED_KEY, {}).setdefault(ws.key, {})
    same = [n for n, d in bucket.items() if repr(d["user"]) == repr(user) and _base_name(n) == name]
    if same:
        label = same[0]
    else:
        label, i = name, 1
        while label in bucket:
            i += 1
            label = f"{name} {i}"
    bucket[label] = {"user": user, "top": list(recs["item_id"])}
    for old in [n for n in bucket][:-TYPED_KEPT]:
        del bucket[old]


def _base_name(label: str) -> str:
    head, _, tail = label.rpartition(" ")
    return head if head and tail.isdigit() else label


def typed_users(ws: Workspace) -> dict[str, dict[str, Any]]:
    return dict(st.session_state.get(TYPED_KEY, {}).get(ws.key, {}))


def remember_new_item(ws: Workspace, title: str, vector: np.ndarray, near: list[str]) -> None:
    """Keep the last few new items described on New item (per workspace) so the Profile map can place them."""
    bucket = st.session_state.setdefault(NEW_ITEMS_KEY, {}).setdefault(ws.key, {})
    bucket.pop(title, None)  # re-described: it moves to the end (newest)
    bucket[title] = {"vector": np.asarray(vector, np.float32), "near": list(near)}
    for old in list(bucket)[:-NEW_ITEMS_KEPT]:
        del bucket[old]


def new_items(ws: Workspace) -> dict[str, dict[str, Any]]:
    return dict(st.session_state.get(NEW_ITEMS_KEY, {}).get(ws.key, {}))
