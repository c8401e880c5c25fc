"""Page chrome: the page list, page config + sidebar line, the common page header, and widget values that
survive page switches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from ui.feedback import guard
from ui.escape import md
from ui.resources import cache_warnings, encoder_label
from ui.state import Workspace, source_label, workspace
from ui.store import FULL_MATRIX_PAGES, index_uri, store_banner

APP_TITLE = "coldrec"
# Page icons are emoji: Streamlit turns a page's icon into the browser tab's favicon, and for a ``:material/…``
# icon it makes every browser fetch an SVG from fonts.gstatic.com; an emoji favicon is drawn locally (a data: URL).
# The tab icon itself is the PNG shipped in ui/assets (set_page_config). ``:material/…`` icons inside the page
# (links, alerts) are drawn with the font Streamlit bundles and fetch nothing.
HOME_ICON = "❄️"
FAVICON = str(Path(__file__).resolve().parent / "assets" / "favicon.png")
PAGES = [  # file, title, icon
    ("app_pages/1_Catalog.py", "Catalog", "📦"),
    ("app_pages/2_New_user.py", "New user", "👤"),
    ("app_pages/3_New_item.py", "New item", "🏷️"),
    ("app_pages/4_What-if.py", "What-if", "🔀"),
    ("app_pages/5_Profile_map.py", "Profile map", "🗺️"),
    ("app_pages/6_Ranker.py", "Ranker", "🧠"),
    ("app_pages/7_Evaluation.py", "Evaluation", "📊"),
    ("app_pages/8_Impact.py", "Impact", "📈"),
]
NEXT_STEPS = [
    ("app_pages/2_New_user.py", "Describe a new user and get recommendations", ":material/person_add:"),
    ("app_pages/3_New_item.py", "Describe a new item and see who it would reach", ":material/new_label:"),
    ("app_pages/4_What-if.py", "Edit a description and compare the lists", ":material/compare_arrows:"),
    ("app_pages/5_Profile_map.py", "See items and users on a map", ":material/scatter_plot:"),
    ("app_pages/1_Catalog.py", "Upload your own catalog", ":material/inventory_2:"),
]
DEFAULT_TODO = "Pick another domain on Home."

# Widget values that must survive page switches (Streamlit drops the state of widgets a run does not draw).
PERSISTENT_KEYS = [
    "nu_persona", "nu_desc", "nu_liked", "nu_disliked", "nu_n", "nu_k", "nu_desc_weight", "nu_pop", "nu_mmr",
    "nu_cats", "nu_history", "nu_search", "ni_title", "ni_desc", "ni_alt", "ni_k", "ni_warm", "ni_attr", "wi_persona", "wi_count", "wi_k",
    "wi_text_0", "wi_text_1", "wi_text_2", "wi_text_3",
    "wi_probe_attr", "pm_dims", "pm_method", "pm_k", "pm_attr", "pm_search", "cat_domain", "ev_protocol", "ev_metrics",
    "rk_features", "rk_hidden", "rk_epochs", "rk_lr", "rk_neg",
    "im_dataset", "im_metric", "im_k", "im_methods",
]


def pages() -> list[Any]:
    """The ``st.Page`` objects of ``app_pages/`` for ``st.navigation`` (Home is defined in app.py)."""
    return [st.Page(path, title=title, icon=icon) for path, title, icon in PAGES]


def setup(title: str, icon: str | None = None) -> None:
    """Page config (wide layout, the local favicon) and the sidebar status line; app.py calls it once per run.

    ``icon`` (the page's ``:material/…`` icon) is accepted for the router's call but never used as the favicon."""
    del icon  # a :material/ favicon is fetched from fonts.gstatic.com by the browser
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=FAVICON, layout="wide")
    with st.sidebar:
        st.caption(f"Catalog: **{source_label()}** · encoder: {md(encoder_label())}")


def keep_widget_state() -> None:
    """Keep the persistent widget values in shadow keys and restore them after a page switch dropped them.

    Every page calls this first (AppTest runs a page file on its own, so app.py is not the place)."""
    ss = st.session_state
    for key in PERSISTENT_KEYS:
        shadow = f"_keep_{key}"
        if key in ss:
            ss[shadow] = ss[key]
        elif shadow in ss:
            ss[key] = ss[shadow]


def keep_choices(key: str, options: list[Any], default: list[Any], scope: Any) -> None:
    """Before a multiselect whose options depend on ``scope`` (e.g. the protocol): when the scope changed, keep
    the chosen values that are still options, or fall back to ``default`` — never an empty picker the user did
    not empty. Within one scope the user's choice stands."""
    ss = st.session_state
    if key in ss and ss.get(f"_scope_{key}") == scope:
        return
    kept = [v for v in (ss.get(key) or []) if v in options]
    ss[key] = ss[f"_keep_{key}"] = kept or [v for v in default if v in options]
    ss[f"_scope_{key}"] = scope


def start_page(title: str, caption: str = "") -> None:
    """What every page does first: restore widget values, then its title and caption."""
    from coldrec.encoders import default_cache_dir

    keep_widget_state()
    st.title(title)
    if caption:
        st.caption(caption)
    for w in cache_warnings(str(default_cache_dir())):  # e.g. a read-only cache: pages work, but recompute
        st.warning(md(w), icon=":material/warning:")
    if index_uri() is not None and title in FULL_MATRIX_PAGES:  # a store-backed catalog: say why, then stop
        with guard(DEFAULT_TODO):
            store_banner(title, workspace())


def page(title: str, caption: str = "", todo: str = DEFAULT_TODO) -> Workspace:
    """:func:`start_page`, then the session's workspace (an ``st.error`` saying ``todo`` stops the page)."""
    start_page(title, caption)
    with guard(todo):
        ws = workspace()
    store_banner(title, ws)  # a store-backed catalog (COLDREC_INDEX): the store's size, or why a page is off
    return ws
