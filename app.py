"""coldrec — the Streamlit app's entry point: Home page and the page router (``streamlit run app.py``).

``streamlit run`` finds the ``st.App`` below and serves this same file as the script of every session; the App's
lifespan starts loading the encoder and the default demo in the background when the server starts, before any
browser connects (ui/resources.py), so the first page says what is still loading instead of waiting blank."""

from __future__ import annotations

import streamlit as st

import ui


def home() -> None:
    """Home: what the app does, the session's catalog, and the model/device/cache status."""
    st.title(":material/ac_unit: coldrec — recommend from words, no history needed")
    st.markdown(
        "A new user or item has no history, but it has **words**. coldrec encodes item texts and a user's own "
        f"description with a pretrained sentence encoder (here: {ui.md(ui.encoder_label())}), **recalls** the "
        "nearest items by cosine, and **ranks** them with a small MLP trained on the interaction log — no clicks "
        "needed to start."
    )
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("Catalog for this session")
        options, current = ui.domain_options(), ui.source()
        if ui.index_uri() is None:  # with COLDREC_INDEX the catalog is the store's (ui/store.py)
            st.radio("Demo domain or uploaded catalog", list(options), format_func=options.get, horizontal=True,
                     index=list(options).index(current) if current in options else 0, key="home_source",
                     on_change=lambda: ui.set_source(st.session_state["home_source"]))
        with ui.guard("Pick another domain, or upload a catalog on the Catalog page." if ui.index_uri() is None else
                      "Fix the store COLDREC_INDEX names (or unset it to use the demo catalogs) and restart the app."):
            ws = ui.workspace()
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Items", f"{ws.items_total:,}")
        c2.metric("Categories", len({c for c in ws.catalog.categories if c}))
        c3.metric("Personas", len(ws.personas))
        c4.metric("Users in the log", f"{len(ws.users):,}" if ws.users is not None else "—")
        st.caption(f"Ranking with: **{ui.md(ws.ranker_label)}** (change it on the Ranker page)." if ws.store is None
                   else f"Store-backed catalog: {ui.sample_note(ws)} Categories are counted on that sample. "
                   f"Ranking with: **{ui.md(ws.ranker_label)}**.")
        ui.language_hint(list(ws.catalog.texts[:200]), "This catalog")
        for path, label, icon in ui.NEXT_STEPS:
            st.page_link(path, label=label, icon=icon)
    with right:
        st.subheader("Model and cache")
        kind = ui.encoder_kind()
        if kind in ("minilm", "multilingual"):  # COLDREC_ENCODER=hash or a model folder is the server's choice
            # The widget shows the active encoder, also after the one-click switch on another widget changed it
            # (a widget keeps its own last value otherwise, and picking "MiniLM" again would not switch back).
            st.session_state["home_encoder"] = kind
            st.radio("Encoder for this session", ["minilm", "multilingual"], horizontal=True, key="home_encoder",
                     format_func=ui.ENCODER_LABELS.get,
                     on_change=lambda: ui.choose_encoder(st.session_state["home_encoder"], ui.HOW_PICKER),
                     help="Switching re-embeds the catalog with the other model (vectors are cached per model and "
                          "never mixed); a ranker trained with one encoder is not used with the other.")
        for what, value in ui.system_status().itertuples(index=False):
            st.markdown(f"**{what}:** {ui.md(value)}")
        st.caption(f"Encode path: {ui.md(ui.precision_note())}")
        st.caption("Embeddings are cached on disk by text and model: a catalog embedded before opens instantly.")


if __name__ == "__main__":  # a browser session's script run (and AppTest)
    nav = st.navigation([st.Page(home, title="Home", icon=ui.HOME_ICON, default=True), *ui.pages()])
    ui.setup(nav.title, nav.icon)
    nav.run()
else:  # `streamlit run app.py` imports this file once as an ASGI app (st.App): its lifespan runs at server start
    app = st.App(__file__, lifespan=ui.server_lifespan)
