"""New item: an item with no interactions, described in words → the items it reads like and who it reaches."""

from __future__ import annotations

import streamlit as st

import ui
from coldrec.recommend import compare_audiences, median_popularity, reach_by_group, uses_popularity

ws = ui.page("New item", "A new item has no clicks yet, only words. See which catalog items it reads like and which "
             "users would get it in their top-k: it competes with the whole catalog, with no popularity.",
             todo="Pick another domain on Home, or upload a catalog on the Catalog page.")

with st.form("ni_form"):
    st.text_input("Title", key="ni_title", placeholder="Foldable noise-cancelling headphones for kids")
    st.text_area("Description", key="ni_desc", height=90,
                 placeholder="Volume-limited wireless headphones that fold into a school bag; 30-hour battery.")
    a, b = st.columns(2)
    a.slider("Top-k a user sees", 3, 50, 10, key="ni_k")
    if uses_popularity(ws.recommender):  # a ranker with popularity features holds a zero count against new items
        b.toggle(f"Assume it is as popular as a median item ({median_popularity(ws.recommender):.0f} interactions)",
                 key="ni_warm", help="Off: a brand-new item (0 interactions), as it would be on launch day.")
    st.text_area("Alternative description (optional): who would this wording reach instead?", key="ni_alt",
                 height=68, placeholder="The same item, worded for another audience")
    st.form_submit_button("Find its audience", type="primary")

title = str(st.session_state.get("ni_title", "") or "").strip()
desc = str(st.session_state.get("ni_desc", "") or "").strip()
if not (title or desc):
    st.info("Give the new item a title and a sentence or two, then press **Find its audience**.")
    st.stop()
k = int(st.session_state.get("ni_k", 10))
with ui.guard("Describe the item with a few real words."):
    with st.spinner("Placing the item in every user's list…"):
        assumed = median_popularity(ws.recommender) if st.session_state.get("ni_warm") else 0.0
        report = ui.new_item(ws, ". ".join(t for t in (title, desc) if t), k, assumed)
        alt = str(st.session_state.get("ni_alt", "") or "").strip()
        other = ui.new_item(ws, ". ".join(t for t in (title, alt) if t), k, assumed) if alt else None
ui.remember_new_item(ws, title or desc[:40], report.vector, list(report.similar["item_id"]))
s = report.summary
if not s["users"]:
    st.warning("No users to reach yet: this catalog has no user log. Describe a user on **New user** first, or "
               "pick a demo domain on Home.")

ui.new_item_summary(s, k)
left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Nearest catalog items")
    st.dataframe(report.similar, hide_index=True, key="ni_similar", column_config=ui.SIMILAR_COLUMNS)
with right:
    st.subheader("Who it reaches")
    st.caption("Log users are profiled from their own description, personas and typed users from their full "
               "profile. Rank = the item's place in that user's list if it were added to the catalog today.")
    order, config = ui.audience_columns(report.audience)
    st.dataframe(report.audience, hide_index=True, key="ni_audience", height=380, placeholder="—",
                 column_order=order, column_config=config)

attrs = [a for a in ["segment", "age", "gender", "locale"] if ws.users is not None and a in ws.users]
if attrs and s["users"]:
    attr = st.segmented_control("Reach by", attrs, default=attrs[0], key="ni_attr", required=True)
    groups = reach_by_group(report.audience, ui.user_groups(ws, attr))
    st.plotly_chart(ui.reach_figure(groups, attr), key="ni_reach")
if other is not None:
    ui.audience_change(compare_audiences(report.audience, other.audience), k)
st.download_button("Download the audience as CSV", ui.csv_bytes(report.audience), icon=":material/download:",
                   file_name=f"coldrec_new_item_{ws.key.replace(':', '_')}.csv", mime="text/csv")
