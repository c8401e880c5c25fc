"""Profile map: the item space (coloured by category) with users on it, and the user-profile space of the log."""

from __future__ import annotations

from typing import Any

import streamlit as st

import ui
from coldrec.recommend._views import attribute_labels

ws = ui.page("Profile map", "Each dot is an item placed by its text embedding; nearby dots read alike. Stars are "
             "users: typed ones (black) and personas (white), with lines to their top-k; gold diamonds are new "
             "items from the New item page, with dotted lines to their nearest items. Lasso or box-select dots "
             "to list them.")
a, b, c = st.columns(3)
dims = a.segmented_control("View", [2, 3], default=2, format_func=lambda d: f"{d}D", key="pm_dims", required=True)
method = b.segmented_control("Method", ["umap", "pca"], default="umap", key="pm_method", required=True,
                             format_func=str.upper)
k = c.slider("Lines to top-k", 0, 20, 5, key="pm_k")
items_tab, users_tab = st.tabs(["Item space", "User-profile space"])
cat = ws.catalog


def item_space(proj: Any) -> None:
    """The item map and its selection table: a lasso or a search reruns only this panel, on the map the page
    drew (``proj`` is pinned, so a UMAP fit finishing mid-lasso cannot swap the map and drop the selection)."""
    extras = ui.map_extras(ws.key, f"{proj.cache_key}:{dims}", proj.coords, cat.titles, cat.texts, cat.categories)
    for note in (proj.notice, extras["legend_notice"]):
        if note:
            st.caption(note)
    query = st.text_input("Find on the map (words in the title or text)", key="pm_search",
                          placeholder="e.g. headphones", help="Matching items are ringed in black; others fade.")
    fig, found = ui.item_map_figure(ws, proj, extras, query.strip(), k)
    if query.strip():
        st.caption(f"{found:,} items match “{ui.md(query.strip())}”." if found else "No item matches.")
    event = st.plotly_chart(fig, key="pm_items", on_select="rerun" if dims == 2 else "ignore",
                            selection_mode=("box", "lasso", "points"))
    if dims == 3:
        st.caption("Box and lasso selection work in the 2D view.")
    rows = ui.selected_rows(event)
    if rows:
        st.markdown(f"**{len(rows)} selected items**")
        st.dataframe(cat.items.iloc[rows][["item_id", "title", "category", "tags"]], hide_index=True,
                     column_config=ui.ITEM_COLUMNS, key="pm_selected")
    elif dims == 2:
        st.caption("Tip: drag a lasso around a cluster to see what it holds.")


def until_umap_is_ready() -> None:
    """Polls (alone, so the map and a lasso in progress are not redrawn) and reruns the page once UMAP is done."""
    _, waited = ui.projection_or_preview(ws.key, ws.vectors, dims, method)
    if waited is None:
        # a selection on the preview is the user's work: offer the new map instead of swapping it under them
        if not ui.selected_rows(st.session_state.get("pm_items")) or st.button(
                "The UMAP map is ready: show it (clears the selection)", key="pm_show_umap", icon=":material/map:"):
            st.rerun()
        return
    st.info(f"Preview: a PCA map, shown at once. The UMAP map is fitting in the background ({waited:.0f} s so "
            "far) and replaces this one by itself.", icon=":material/hourglass_top:")


with items_tab:
    with ui.guard("Switch the method to PCA, or pick a smaller catalog."):
        shown, waiting = ui.projection_or_preview(ws.key, ws.vectors, dims, method)
    if waiting is not None:
        st.fragment(until_umap_is_ready, run_every=2.0)()
    st.fragment(item_space)(shown)

with users_tab:
    ui.user_space_map(ws, dims, method)
