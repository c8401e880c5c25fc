"""Ranker: train the MLP on an interaction log with a live loss curve; save, load and choose the ranker."""

from __future__ import annotations

import streamlit as st

import ui
from coldrec.evaluation import describe_holdout
from coldrec.ranking import FEATURE_SETS, OBJECTIVES, RankerConfig
from coldrec.recommend._views import kept_epoch, loss_frame

ws = ui.page("Ranker", "The ranker scores MLP(concat(item, user)) in [0, 1] and re-orders the cosine recall. It "
             "learns from who clicked what; with no ranker, items keep their cosine order.")
st.info(f"Pages now rank with: **{ui.md(ws.ranker_label)}**")
train_tab, manage_tab, ft_tab = st.tabs(["Train", "Choose, save, load", "Fine-tune the encoder"])

with train_tab:
    with st.form("rk_form"):
        a, b, c = st.columns(3)
        features = a.radio("Features", FEATURE_SETS, key="rk_features", horizontal=True,
                           captions=["concat(item, user): the seed", "+ product, |diff|, cosine, popularity"])
        hidden = a.select_slider("Hidden layers", list(ui.HIDDEN_CHOICES), value="128 → 64", key="rk_hidden")
        epochs = b.slider("Max epochs (early stopping)", 2, 60, 20, key="rk_epochs")
        lr = b.select_slider("Learning rate", [3e-4, 1e-3, 2e-3, 5e-3, 1e-2], value=2e-3, key="rk_lr")
        objective = b.radio("Objective", OBJECTIVES, key="rk_objective", horizontal=True,
                            captions=["softmax over 1 positive + negatives", "binary cross-entropy"])
        negatives = c.slider("Negatives per positive (half from recall)", 2, 64, 32, key="rk_neg")
        log_file = c.file_uploader("Interaction log (optional; default: this domain's log)", type=ui.UPLOAD_TYPES,
                                   key="rk_log")
        go = st.form_submit_button("Train", type="primary")
    if go:
        config = RankerConfig(features=features, objective=objective, hidden=ui.HIDDEN_CHOICES[hidden],
                              epochs=epochs, lr=lr, negatives=negatives)
        with ui.guard("Check the log's columns (user_id, item_id, optional rating, timestamp) and try again."):
            chart, bar = st.empty(), st.progress(0.0, text="Preparing user profiles…")
            res = ui.train(ws, config, log_file, chart, bar)
        st.session_state.setdefault(ui.TRAINED_KEY, {})[ws.key] = res
        ui.choose_ranker(ws, "trained")
        st.rerun()
    res = st.session_state.get(ui.TRAINED_KEY, {}).get(ws.key)
    if res:
        st.subheader(f"Last training run ({res.seconds:.1f} s)")
        left, right = st.columns([2, 3])
        left.line_chart(loss_frame(res.ranker.history), x_label="epoch", y_label="training loss", height=260)
        right.dataframe(res.metrics, hide_index=True, key="rk_metrics", column_config=ui.METRIC_COLUMNS)
        right.caption(describe_holdout(res.metrics) + " The Evaluation page's quick check measures the same way. "
                      + kept_epoch(res.ranker.history))
        for w in res.warnings:
            st.warning(ui.md(w))

with manage_tab:
    options = ui.ranker_options(ws)
    pick = st.radio("Ranker used by every page", list(options), format_func=options.get, key="rk_choice",
                    index=ui.current_ranker_index(ws, options))
    if st.button("Use this ranker", type="primary", key="rk_use"):
        ui.choose_ranker(ws, pick)
        st.rerun()
    s, l = st.columns(2)
    with s.form("rk_save"):
        name = st.text_input("Save the current ranker as", value=ws.key.replace(":", "-"), key="rk_name")
        if st.form_submit_button("Save"):
            with ui.guard("Use letters, digits, - and _ in the name.", stop=False):
                ui.save_ranker(ws, name)  # the folder is a server-side path: the user only needs the name
                st.success(f"Saved as “{ui.md(name)}” (model.safetensors + config.json): load it under “…or one saved "
                           "here”.")
    with l.form("rk_load"):
        files = st.file_uploader("Load a checkpoint: model.safetensors and config.json", type=["safetensors", "json"],
                                 accept_multiple_files=True, key="rk_files")
        if st.form_submit_button("Load and use") and files:
            with ui.guard("Upload both files written by `coldrec train-ranker` or the Save button.", stop=False):
                ui.load_ranker(ws, files)
                st.rerun()
    if saved := ui.saved_rankers():
        name = l.selectbox("…or one saved here", saved, key="rk_saved")
        if l.button("Load saved and use", key="rk_load_saved"):
            with ui.guard("Train and save a ranker for this catalog's encoder first.", stop=False):
                ui.load_saved_ranker(ws, name)
                st.rerun()
with ft_tab:
    ui.finetune_tab(ws)
