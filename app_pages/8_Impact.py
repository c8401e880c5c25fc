"""Impact: how much the language model helps a new user, and after how many interactions CF takes over."""

from __future__ import annotations

import streamlit as st

import ui
from coldrec.evaluation import DEFAULT_METHODS, METHOD_LABELS, live_warmup, load_warmup_results, warmup_frame
from coldrec.recommend import positives_by_user, simulate_sessions
from ui.impact import headline, session_figure, warmup_figure, who

ui.start_page("Impact", "Quality of the list as a user's history (or a new item's) grows from nothing: text "
              "(the language model), collaborative filtering, and a hybrid of both. The green band is what the "
              "language model adds over a plain TF-IDF text model.")


def chart(res: dict, prefix: str) -> None:
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox("Metric", ["NDCG", "Recall"], key=f"{prefix}_metric")
    k = c2.selectbox("K (list length)", sorted({int(m.split("@")[1]) for m in res["metrics"]}), key=f"{prefix}_k")
    metric = f"{kind.lower()}@{k}"
    present = list(res["curves"])
    methods = c3.multiselect("Methods", present, default=[m for m in DEFAULT_METHODS if m in present],
                             format_func=lambda m: METHOD_LABELS.get(m, m), key=f"{prefix}_methods")
    st.markdown(headline(res, metric))
    st.plotly_chart(warmup_figure(res, metric, methods), key=f"{prefix}_chart")
    with st.expander(f"Numbers and {who(res)}s per point"):
        table = warmup_frame(res, metric).pivot(index="label", columns="known", values="value")
        st.dataframe(table, key=f"{prefix}_table")
        counts = res.get("n_users") or res.get("n_items") or {}
        st.caption(f"Test {who(res)}s per point: " + ", ".join(f"{s} known: {n}" for s, n in counts.items()))


results = load_warmup_results()
if not results:
    st.info("No warm-up results yet. Run `coldrec evaluate --protocol warmup --dataset ml100k --out results` "
            "(or `--dataset scientific`), or run the live study below.")
else:
    dataset = st.selectbox("Dataset", list(results), key="im_dataset", format_func=lambda d: d.replace(
        "items-", "") + " — new items" if d.startswith("items-") else d + " — new users")
    res = results[dataset]
    st.caption(f"{res.get('dataset', '?')} · {ui.machine_label(res.get('machine'))} · "
               f"{float(res.get('seconds') or 0):.0f} s · commit {ui.short_commit(res.get('commit'))}")
    chart(res, "im")


@st.fragment
def live() -> None:
    st.subheader("The same study, live, on the session's demo domain")
    st.caption("Three folds over the domain's log users; every weight chosen on validation users (about a minute).")
    if st.button("Run the live study", key="im_run"):
        with ui.guard("Pick a demo domain on Home (the study needs an interaction log).", stop=False):
            ws = ui.workspace()
            bar = st.progress(0.0, text="Starting…")
            st.session_state["im_live"] = live_warmup(ws.demo, ws.vectors, ui.encoder(),
                                                      progress=lambda f, msg: bar.progress(min(f, 1.0), text=msg))
    if st.session_state.get("im_live"):
        chart(st.session_state["im_live"], "im_live")


live()


@st.fragment
def sessions() -> None:
    st.subheader("Simulated feedback sessions")
    st.caption("Log users of the demo domain replayed: each round they like the shown items they really clicked. "
               "Their own clicks are left out of the popularity counts.")
    if st.button("Simulate 30 log users (5 rounds of 5 items)", key="im_sim"):
        with ui.guard("Pick a demo domain on Home (the simulation needs log users).", stop=False):
            ws = ui.workspace()
            bar = st.progress(0.0, text="Simulating…")
            st.session_state["im_sessions"] = simulate_sessions(
                ws.recommender, ws.users, positives_by_user(ws.demo.interactions.frame), rounds=5, k=5,
                max_users=30, progress=lambda d, t: bar.progress(d / t, text=f"user {d} of {t}"))
    if st.session_state.get("im_sessions"):
        st.plotly_chart(session_figure(st.session_state["im_sessions"]), key="im_sessions_chart")


sessions()
