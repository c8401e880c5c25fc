"""Evaluation: our offline results (results/*.json) next to published numbers, and a quick run on the demo."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from coldrec.evaluation import describe_holdout, load_results, machine_label, methods_frame, published_frame

ui.start_page("Evaluation", "Offline protocols written by `coldrec evaluate --out results/`: cold users, cold "
              "items and real datasets, with baselines (random, popularity, TF-IDF, item-kNN) and published rows "
              "from papers.")

results = load_results()
if not results:
    st.info("No results yet. Run `coldrec evaluate --protocol scientific --data ../shared/datasets` (or any "
            "protocol) to write `results/<protocol>.json`, or use the quick run below.")
else:
    protocol = st.selectbox("Protocol", list(results), key="ev_protocol")
    res = results[protocol]
    ours = methods_frame(res)
    pub = published_frame(res)
    table = pd.concat([ours.assign(published=False), pub.assign(published=True)], ignore_index=True)
    metrics = [c for c in table.columns if c not in ("method", "published")]
    st.caption(f"Dataset {ui.md(res.get('dataset', '?'))} · model {ui.md(res.get('model', '?'))} · seed {res.get('seed', '?')} · "
               f"{ui.md(machine_label(res.get('machine')))} · {float(res.get('seconds') or 0):.0f} s · "
               f"commit {ui.short_commit(res.get('commit'))}")
    st.dataframe(table, hide_index=True, key="ev_table", placeholder="–",  # published rows lack some metrics
                 column_order=["method", "published", *metrics], column_config=ui.metric_columns(table, metrics))
    ui.keep_choices("ev_metrics", metrics, metrics[:4], scope=protocol)  # a new protocol: its own metrics
    shown = st.multiselect("Metrics in the chart", metrics, key="ev_metrics")
    if shown:
        st.plotly_chart(ui.bars_figure(table, shown), key="ev_chart")


@st.fragment
def quick_run() -> None:
    st.subheader("Quick check on the session's demo domain")
    st.caption("The ranker every page uses now against popularity, TF-IDF and cosine (and the demo's text + log "
               "hybrid where it ships one), measured exactly as the Ranker page measures it after training (the "
               "same held-out users, candidates and metric).")
    if st.button("Run quick evaluation", key="ev_run"):
        with ui.guard("Pick a demo domain on Home (the quick run needs an interaction log).", stop=False):
            with st.spinner("Evaluating…"):
                ws = ui.workspace()
                st.session_state["ev_quick"] = (f"{ws.label} · {ws.ranker_label}", ui.quick_evaluation(ws))
    if quick := st.session_state.get("ev_quick"):
        label, frame = quick
        left, right = st.columns(2)
        left.dataframe(frame, hide_index=True, key="ev_quick_table", column_config=ui.METRIC_COLUMNS)
        right.plotly_chart(ui.bars_figure(frame, ["recall@10", "ndcg@10"]), key="ev_qc")
        st.caption(f"{label}. {describe_holdout(frame)}")


quick_run()
