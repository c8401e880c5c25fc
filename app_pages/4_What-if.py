"""What-if: two to four descriptions side by side, how much their top-k lists overlap, and a fairness probe."""

from __future__ import annotations

import streamlit as st

import ui

ws = ui.page("What-if", "Start from a persona, change one phrase, and see which items enter or leave the top-k.")
personas = {p["name"]: p for p in ws.personas}

a, b, c = st.columns([2, 1, 1])
if personas:
    a.selectbox("Start from a persona", ["—", *personas], key="wi_persona", on_change=ui.fill_variants,
                args=(personas,))
count = b.segmented_control("Variants", [2, 3, 4], default=2, key="wi_count", required=True)
k = c.slider("Top-k", 3, 30, 10, key="wi_k")

with st.form("wi_form"):
    cols = st.columns(count)
    for i, col in enumerate(cols):
        col.text_area(f"Variant {ui.VARIANTS[i]}", key=f"wi_text_{i}", height=130)
    st.form_submit_button("Compare", type="primary")

texts = [str(st.session_state.get(f"wi_text_{i}", "") or "").strip() for i in range(count)]
if sum(bool(t) for t in texts) < 2:
    st.info("Write at least two descriptions (or pick a persona: variant B starts as a copy to edit) and press "
            "**Compare**.")
else:
    with ui.guard("Rephrase the empty or unusable description."):
        lists = ui.variant_lists(ws, texts, k)
    colors, (first, edited) = ui.ws_colors(ws), list(lists)[:2]  # e.g. A and B; A and C when B is empty
    for col, (name, df) in zip(st.columns(len(lists)), lists.items()):
        with col:
            st.markdown(f"**Variant {name}**")
            ui.compact_table(df, colors, base=None if name == first else lists[first], base_name=first,
                             key=f"wi_list_{name}")
    st.subheader("How far apart are the lists?")
    st.dataframe(ui.compare_frame(lists, k), hide_index=True, key="wi_compare", column_config=ui.COMPARE_COLUMNS)
    st.plotly_chart(ui.rank_diff_figure(lists, k, colors), key="wi_chart")
    ui.remember_user(ws, f"what-if {edited}", ui.user_of(texts[ui.VARIANTS.index(edited)]), lists[edited])


@st.fragment
def fairness_probe() -> None:
    st.subheader("Fairness probe")
    st.caption("Changes only the gender, age or locale words of every persona's description and measures how far "
               "its top-k moves (list shift: 0 = same list, 1 = nothing in common). Any edit moves a list a little, "
               "so each swap is compared with the **noise floor**: the largest shift a neutral change of the same "
               "description causes (adding “I also like a good cup of tea.”, or rewording “I'm” as “I am”).")
    f1, f2 = st.columns([1, 3], vertical_alignment="bottom")
    attribute = f1.selectbox("Swap", ui.PROBE_ATTRIBUTES, key="wi_probe_attr")
    if f2.button("Run the probe", key="wi_probe_run"):
        with ui.guard("Pick a demo domain with personas on Home.", stop=False):
            with st.spinner(f"Recommending for {len(personas)} personas and their {attribute} variants…"):
                st.session_state["wi_probe"] = (attribute, ui.probe(ws, attribute, k))
    result = st.session_state.get("wi_probe")
    if result and result[0] == attribute:
        summary = result[1].attrs.get("summary", {})
        if summary:
            st.markdown(f"**{ui.md(summary.get('headline', ''))}**")
            st.caption(ui.md(summary.get("note", "")))
        st.plotly_chart(ui.probe_figure(result[1]), key="wi_probe_chart")
        st.dataframe(result[1], hide_index=True, key="wi_probe_table", column_config=ui.PROBE_COLUMNS,
                     column_order=ui.PROBE_ORDER)


if personas:
    fairness_probe()
