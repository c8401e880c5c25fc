"""Profile map: the item space (coloured by category) with users on it, and the user-profile space of the log."""

from __future__ import annotations

import numpy as np
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

@st.fragment
def item_space() -> None:
    """The item map and its selection table: a lasso reruns only this panel."""
    with ui.guard("Switch the method to PCA, or pick a smaller catalog."):
        proj = ui.projection(ws.key, ws.vectors, dims, method)  # the key names the content: no hashing per rerun
        people = ui.people_on_map(ws, k=max(k, 1))
    if proj.notice:
        st.caption(proj.notice)
    if people:  # one transform for everyone: a UMAP transform call costs ~70 ms however few points it places
        for p, xy in zip(people, proj.transform(np.stack([p["vector"] for p in people]))):
            p["xy"], p["rows"] = xy, p["rows"][:k]
    fig = ui.map_figure(proj.coords, ws.catalog.categories, ws.catalog.titles, ui.ws_colors(ws), people)
    event = st.plotly_chart(fig, key="pm_items", on_select="rerun" if dims == 2 else "ignore",
                            selection_mode=("box", "lasso", "points"))
    if dims == 3:
        st.caption("Box and lasso selection work in the 2D view.")
    rows = ui.selected_rows(event)
    if rows:
        st.markdown(f"**{len(rows)} selected items**")
        st.dataframe(ws.catalog.items.iloc[rows][["item_id", "title", "category", "tags"]], hide_index=True,
                     column_config=ui.ITEM_COLUMNS, key="pm_selected")
    elif dims == 2:
        st.caption("Tip: drag a lasso around a cluster to see what it holds.")


with items_tab:
    item_space()

with users_tab:
    users = ws.users
    if users is None or users.empty or "description" not in users:
        st.info("This catalog has no user log with descriptions. Pick a demo domain on Home to see one.")
    else:
        attrs = [c for c in ["segment", "age", "gender", "locale"] if c in users]
        attr = st.selectbox("Colour users by", attrs, key="pm_attr")
        with ui.guard("Switch the method to PCA."):
            texts = users["description"].fillna("").astype(str).tolist()
            uvec = ui.embed_texts_cached(texts)
            uproj = ui.projection(f"{ws.key}:users", uvec, dims, method)
        labels = attribute_labels(users[attr])
        hover = [f"{u}: {t[:120]}" for u, t in zip(users["user_id"], texts)]
        fig = ui.map_figure(uproj.coords, labels, hover, ui.category_colors(labels), legend_title=attr)
        st.plotly_chart(fig, key="pm_users")
        st.caption(f"{len(users):,} users of the interaction log, placed by their written description.")
