"""Page chrome: the page list, page config + sidebar line, the common page header, and widget values that
survive page switches."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.feedback import guard
from ui.resources import encoder_kind
from ui.state import Workspace, source_label, workspace

APP_TITLE = "coldrec"
HOME_ICON = ":material/ac_unit:"
PAGES = [  # file, title, icon
    ("pages/1_Catalog.py", "Catalog", ":material/inventory_2:"),
    ("pages/2_New_user.py", "New user", ":material/person_add:"),
    ("pages/3_New_item.py", "New item", ":material/new_label:"),
    ("pages/4_What-if.py", "What-if", ":material/compare_arrows:"),
    ("pages/5_Profile_map.py", "Profile map", ":material/scatter_plot:"),
    ("pages/6_Ranker.py", "Ranker", ":material/model_training:"),
    ("pages/7_Evaluation.py", "Evaluation", ":material/leaderboard:"),
]
NEXT_STEPS = [
    ("pages/2_New_user.py", "Describe a new user and get recommendations", ":material/person_add:"),
    ("pages/3_New_item.py", "Describe a new item and see who it would reach", ":material/new_label:"),
    ("pages/4_What-if.py", "Edit a description and compare the lists", ":material/compare_arrows:"),
    ("pages/5_Profile_map.py", "See items and users on a map", ":material/scatter_plot:"),
    ("pages/1_Catalog.py", "Upload your own catalog", ":material/inventory_2:"),
]
DEFAULT_TODO = "Pick another domain on Home."

# Widget values that must survive page switches (Streamlit drops the state of widgets a run does not draw).
PERSISTENT_KEYS = [
    "nu_persona", "nu_desc", "nu_liked", "nu_disliked", "nu_n", "nu_k", "nu_desc_weight", "nu_pop", "nu_mmr",
    "nu_cats", "nu_history", "nu_search", "ni_title", "ni_desc", "ni_alt", "ni_k", "ni_warm", "ni_attr", "wi_persona", "wi_count", "wi_k",
    "wi_text_0", "wi_text_1", "wi_text_2", "wi_text_3",
    "wi_probe_attr", "pm_dims", "pm_method", "pm_k", "pm_attr", "pm_search", "cat_domain", "ev_protocol", "ev_metrics",
    "rk_features", "rk_hidden", "rk_epochs", "rk_lr", "rk_neg",
]


def pages() -> list[Any]:
    """The ``st.Page`` objects of ``pages/`` for ``st.navigation`` (Home is defined in app.py)."""
    return [st.Page(path, title=title, icon=icon) for path, title, icon in PAGES]


def setup(title: str, icon: str | None = None) -> None:
    """Page config (wide layout) and the sidebar status line; app.py calls it once per run."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=icon or HOME_ICON, layout="wide")
    with st.sidebar:
        st.caption(f"Catalog: **{source_label()}** · encoder: `{encoder_kind()}`")


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


def start_page(title: str, caption: str = "") -> None:
    """What every page does first: restore widget values, then its title and caption."""
    keep_widget_state()
    st.title(title)
    if caption:
        st.caption(caption)


def page(title: str, caption: str = "", todo: str = DEFAULT_TODO) -> Workspace:
    """:func:`start_page`, then the session's workspace (an ``st.error`` saying ``todo`` stops the page)."""
    start_page(title, caption)
    with guard(todo):
        ws = workspace()
    return ws
