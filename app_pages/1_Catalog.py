"""Catalog: pick a demo catalog or upload one, map its columns, validate, embed, download the embeddings."""

from __future__ import annotations

import streamlit as st

import ui
from coldrec.catalog import ColumnMap, guess_columns

ui.start_page("Catalog")
if ui.index_uri() is not None:  # COLDREC_INDEX: the catalog lives in a Milvus store
    with ui.guard("Unset COLDREC_INDEX to use the demo catalogs, or fix the store it names."):
        ui.store_catalog_panel(ui.workspace())
    st.stop()
# an upload kept from before a refresh opens on its own tab
demo_tab, upload_tab = st.tabs(["Demo catalogs", "Upload a file"],
                               default="Upload a file" if ui.restored_pending() else None)

with demo_tab:
    domain = st.selectbox("Demo domain", ui.domains(), format_func=ui.domain_label, key="cat_domain")
    with ui.guard("Pick another demo domain."):
        items = ui.demo_items(domain)
    st.dataframe(items, hide_index=True, height=300, column_config=ui.ITEM_COLUMNS, placeholder="")
    if st.button("Use this catalog", type="primary", key="cat_use_demo"):
        ui.set_demo(domain)
        st.toast(f"{ui.domain_label(domain)} is now the session's catalog.")

with upload_tab:
    up = st.file_uploader("Catalog file: CSV, TSV, JSON, JSONL, Parquet or Excel", type=ui.UPLOAD_TYPES,
                          key="cat_file")
    if up is not None:
        with ui.guard("Save the file as UTF-8 CSV, JSON Lines, Parquet or .xlsx and upload it again."):
            raw, fmt, enc = ui.read_upload(up.file_id, up.name, up.getvalue())
        st.caption(ui.md(f"{len(raw):,} rows read as {fmt}" + (f" ({enc})" if enc else "") + ". First 50 rows:"))
        st.dataframe(raw.head(50), hide_index=True, height=220)
        cols, guess = [ui.NONE, *map(str, raw.columns)], guess_columns(raw)
        with st.form("cat_map"):
            st.markdown("**Which column is what?** (guessed; change if wrong)")
            a, b, c = st.columns(3)
            cid = a.selectbox("Item id", cols, index=ui.index_of(cols, guess.id), key="cat_id")
            title = b.selectbox("Title", cols, index=ui.index_of(cols, guess.title), key="cat_title")
            category = c.selectbox("Category", cols, index=ui.index_of(cols, guess.category), key="cat_category")
            text = a.multiselect("Text columns (embedded)", cols[1:], default=[t for t in guess.text if t in cols],
                                  key="cat_text")
            template = b.text_input("Text template (optional)", placeholder="{title}. {description}",
                                    key="cat_template")
            tags = c.selectbox("Tags", cols, index=ui.index_of(cols, guess.tags), key="cat_tags")
            price = c.selectbox("Price", cols, index=ui.index_of(cols, guess.price), key="cat_price")
            go = st.form_submit_button("Validate", type="primary")
        if go:
            cmap = ColumnMap(id=ui.col(cid), text=text, template=template.strip() or None, title=ui.col(title),
                             category=ui.col(category), tags=ui.col(tags), price=ui.col(price))
            with ui.guard("Fix the column mapping above (or the file) and press Validate again."):
                st.session_state["cat_pending"] = (up.file_id, ui.load_upload(up.getvalue(), cmap, up.name))
                ui.keep_upload(up.name, up.getvalue(), cmap, st.session_state["cat_pending"][1])  # survives a refresh
        file_id, pending = st.session_state.get("cat_pending", (None, None))
        if pending is not None and file_id == up.file_id:
            ui.show_pending(pending)
    elif (kept := ui.restored_pending()) is not None:
        st.info(f"Kept from before the refresh: “{ui.md(kept[0].name)}” ({len(kept[0]):,} items), mapped "
                f"as {ui.mapping_line(kept[1])}. Embed it, or upload a file to start again.")
        ui.show_pending(kept[0])

st.divider()
with ui.guard("Pick another domain on Home."):
    ws = ui.workspace()
st.subheader(f"Session catalog: {ws.label} ({len(ws.catalog):,} items)")
st.download_button("Download its embeddings (Parquet)", lambda: ui.embeddings_parquet(ws),
                   file_name=f"{ws.key.replace(':', '_')}_embeddings.parquet", mime="application/octet-stream",
                   icon=":material/download:")
