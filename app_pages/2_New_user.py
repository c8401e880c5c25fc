"""New user: a description (plus optional liked/disliked items) → recalled and ranked items with reasons."""

from __future__ import annotations

import streamlit as st

import ui
from coldrec.recommend import RecommendConfig
from coldrec.recommend._views import controls_summary, item_label, item_options
from ui.feedback_loop import feedback_panel

ws = ui.page("New user", "Describe someone who has never used the catalog. Cosine recall finds candidates; "
             "the active ranking (text + similar log users, or a trained ranker) orders them.",
             todo="Pick another domain on Home, or upload a catalog on the Catalog page.")
cat, personas = ws.catalog, {p["name"]: p for p in ws.personas}

if personas:
    st.selectbox("Start from a persona", ["—", *personas], key="nu_persona", on_change=ui.load_persona,
                 args=(personas, "nu"), help="Fills the description and liked/disliked items; edit freely.")

if len(cat) > ui.PICKER_LIMIT:  # large catalog: search titles first, then pick in the form
    st.text_input("Find items to like or dislike (title search)", key="nu_search")

with st.form("nu_form"):
    st.text_area("Who is this user? (their own words)", key="nu_desc", height=100,
                 placeholder="I just moved to a small flat and cook a lot, vegetarian, budget-minded")
    picks = item_options(cat, ui.picked("nu"), st.session_state.get("nu_search", ""))
    label = item_label(cat)
    c1, c2 = st.columns(2)
    # select_all=False: Enter picks the first match, never "Select N matches"; wrap: chosen items on rows
    c1.multiselect("Liked items (type to search)", picks, key="nu_liked", format_func=label, select_all=False,
                   wrap=True)
    c2.multiselect("Disliked items", picks, key="nu_disliked", format_func=label, select_all=False, wrap=True)
    with st.expander("Recall and ranking controls"):
        a, b, c = st.columns(3)
        a.slider("Recall size N", 10, max(10, min(500, len(cat.ids))), min(RecommendConfig.n, len(cat.ids)), key="nu_n")
        a.slider("Shown k", 3, 50, 10, key="nu_k")
        b.slider("Description vs history weight", 0.0, 1.0, 0.6, 0.05, key="nu_desc_weight",
                 help="1 = only the description, 0 = only the history lines below")
        b.slider("Popularity blend", 0.0, 1.0, 0.0, 0.05, key="nu_pop", disabled=ws.store is not None,
                 help="Acts on the final list, after the ranker: 0 = the ranker's order, 1 = most popular first"
                      + (" (off: a store holds no interaction counts)" if ws.store is not None else ""))
        c.slider("Diversity (MMR)", 0.0, 1.0, 0.0, 0.05, key="nu_mmr",
                 help="Acts on the final list, after the ranker: 0 = off; 1 = each item unlike those above it")
        effect = c.empty()  # filled below: categories shown and items the two controls changed
        c.multiselect("Only these categories", sorted({x for x in cat.categories if x}), key="nu_cats")
        st.text_area("History (optional, one query or title per line, most recent last)", key="nu_history",
                     height=68)
    st.form_submit_button("Recommend", type="primary")

user = ui.user_from_state("nu")
if user is None:
    st.info("Type a description (or pick a persona / liked items) and press **Recommend**.")
    st.stop()
ui.language_hint([user.description, *user.history], "This description")
with ui.guard("Shorten or rephrase the description, or relax the category filter."):
    recs = ui.recommend(ws, user, prefix="nu")
ui.remember_user(ws, "typed user", user, recs)
effect.caption(controls_summary(recs))

st.subheader(f"Top {len(recs)} for this user")
ui.result_notes(recs, ws.ranker_label)
if ws.store is None and st.toggle("Feedback mode: mark items liked or not for me", key="nu_fb_on"):
    feedback_panel(ws, user)
    st.stop()
ui.results_table(recs, ui.ws_colors(ws), key="nu_table")
st.download_button("Download as CSV", ui.csv_bytes(recs), file_name=f"coldrec_{ws.key.replace(':', '_')}.csv",
                   mime="text/csv", icon=":material/download:")
