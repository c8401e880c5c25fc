"""New user's feedback loop: mark a shown item liked or not-for-me, the list re-ranks at once, rounds listed."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from coldrec.recommend import FeedbackSession

STATE = "_{prefix}_feedback"


def _options(prefix: str) -> dict[str, Any]:
    ss = st.session_state
    mmr = float(ss.get(f"{prefix}_mmr", 0.0) or 0.0)
    return dict(k=int(ss.get(f"{prefix}_k", 10)), n=int(ss.get(f"{prefix}_n", 50)),
                categories=list(ss.get(f"{prefix}_cats", []) or []) or None,
                mmr_lambda=(1.0 - mmr) if mmr > 0 else None, pop_weight=float(ss.get(f"{prefix}_pop", 0.0) or 0.0))


def _mark(prefix: str, rec: Any, item_id: str, verdict: str) -> None:
    base, session, _ = st.session_state[STATE.format(prefix=prefix)]
    session.mark(item_id, verdict)
    table = session.next_list(rec, **_options(prefix))
    st.session_state[STATE.format(prefix=prefix)] = (base, session, table)


def feedback_session(ws: Any, user: Any, prefix: str = "nu") -> tuple[FeedbackSession, pd.DataFrame]:
    """The session for this typed user (a new one when the user, the catalog or a control changed)."""
    key = STATE.format(prefix=prefix)
    base = (ws.key, repr(user), repr(_options(prefix)), id(ws.recommender.ranker))
    held = st.session_state.get(key)
    if held is None or held[0] != base:
        session = FeedbackSession(user)
        held = (base, session, session.next_list(ws.recommender, **_options(prefix)))
        st.session_state[key] = held
    return held[1], held[2]


def feedback_panel(ws: Any, user: Any, prefix: str = "nu") -> None:
    """The list with a 👍 / 👎 per row (a click marks it and re-ranks), then the round-by-round history."""
    session, table = feedback_session(ws, user, prefix)
    st.caption(f"Round {len(session.rounds)} · liked {len(session.liked)} · not for me {len(session.disliked)} · "
               f"{len(session.shown)} items shown so far (kept out of the new lists, as in a feed)")
    for row in table.itertuples(index=False):
        a, b, c = st.columns([8, 1, 1])
        a.markdown(f"**{row.final_rank}. {row.title}** · {row.category} — {row.reason}")
        b.button("👍", key=f"{prefix}_fb_like_{row.item_id}", help="Liked", on_click=_mark,
                 args=(prefix, ws.recommender, str(row.item_id), "liked"))
        c.button("👎", key=f"{prefix}_fb_no_{row.item_id}", help="Not for me", on_click=_mark,
                 args=(prefix, ws.recommender, str(row.item_id), "not-for-me"))
    if len(session.rounds) > 1:
        titles = dict(zip(ws.catalog.ids, ws.catalog.titles))
        hist = pd.DataFrame([{"round": r.number, "liked": ", ".join(titles.get(i, i) for i in r.liked),
                              "not for me": ", ".join(titles.get(i, i) for i in r.disliked),
                              "entered": len(r.entered), "left": len(r.left)} for r in session.rounds])
        st.markdown("**Rounds**")
        st.dataframe(hist, hide_index=True, key=f"{prefix}_fb_rounds")
