"""Workspace actions the pages run: recommend with the form's controls, what-if variants and the fairness probe,
people on the map, the quick evaluation. Each is one or two coldrec calls plus the session's state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from coldrec.errors import ColdrecError
from coldrec.recommend import RecommendConfig

from ui.resources import encoder, log_user_vectors
from ui.state import Workspace, new_items, typed_users

VARIANTS = "ABCD"
PROBE_ATTRIBUTES = ["gender", "age", "locale"]


# ---------------------------------------------------------------------------------------------- new user
def recommend(ws: Workspace, user: Any, prefix: str = "nu", k: int | None = None) -> pd.DataFrame:
    """Run ``Recommender.recommend`` with the controls of the ``<prefix>_*`` widgets.

    The page reruns on every click, mostly with the same inputs: the last list is kept and reused until the user,
    a control, the catalog or the ranker changes (encoding the description is the slow part)."""
    ss = st.session_state
    mmr = float(ss.get(f"{prefix}_mmr", 0.0) or 0.0)
    rec, weights = ws.recommender, None
    if getattr(user, "history", None) and f"{prefix}_desc_weight" in ss:
        from coldrec.retrieval import ProfileConfig

        w = float(ss[f"{prefix}_desc_weight"])
        weights = ProfileConfig(description_weight=w, history_weight=1.0 - w)
    controls = dict(
        k=int(k or ss.get(f"{prefix}_k", 10)),
        n=int(ss.get(f"{prefix}_n", RecommendConfig.n)),
        categories=list(ss.get(f"{prefix}_cats", []) or []) or None,
        mmr_lambda=(1.0 - mmr) if mmr > 0 else None,
        pop_weight=float(ss.get(f"{prefix}_pop", 0.0) or 0.0),
        profile_config=weights,
    )
    inputs, last = (ws.key, repr(user), repr(controls)), ss.get(f"_{prefix}_last_recs")
    if last is not None and last[0] == inputs and last[1] is rec.ranker:  # `is`: a retrained ranker is new
        return last[2]
    recs = rec.recommend(user, **controls)
    ss[f"_{prefix}_last_recs"] = (inputs, rec.ranker, recs)
    return recs


# ---------------------------------------------------------------------------------------------- new item
def new_item(ws: Workspace, text: str, k: int, popularity: float = 0.0) -> Any:
    """:func:`coldrec.recommend._audience.new_item_report` over everyone the workspace knows: the log's users (by their own
    description), the personas and the users typed on New user / What-if (full profiles)."""
    from coldrec.recommend import new_item_report

    ids, who, vecs = [], [], []
    users = ws.users
    if users is not None and not users.empty and "description" in users:
        texts = users["description"].fillna("").astype(str).tolist()
        ids += users["user_id"].astype(str).tolist()
        who += texts
        vecs.append(log_user_vectors(ws))
    people = profiled_people(ws)
    ids += [p["name"] for p in people]
    who += [p["user"].description or ("typed user" if p["typed"] else "persona") for p in people]
    vecs += [np.stack([p["vector"] for p in people])] if people else []
    dim = ws.vectors.shape[1]
    matrix = np.concatenate(vecs) if vecs else np.zeros((0, dim), np.float32)
    return new_item_report(ws.recommender, text, dict(zip(ids, who)), user_vectors=matrix, k=k,
                           popularity=popularity)


def user_groups(ws: Workspace, attribute: str) -> dict[str, str]:
    """``{user_id: label}`` of a log-user attribute (ages binned into decades) for the reach-by-group chart."""
    from coldrec.recommend._views import attribute_labels

    users = ws.users
    if users is None or attribute not in users:
        return {}
    return dict(zip(users["user_id"].astype(str), attribute_labels(users[attribute])))


# ----------------------------------------------------------------------------------------------- what-if
def fill_variants(personas: dict[str, dict[str, Any]]) -> None:
    """``on_change``: every variant starts as the persona's description (edit one phrase in B)."""
    p = personas.get(st.session_state.get("wi_persona", ""))
    if p:
        for i in range(len(VARIANTS)):
            st.session_state[f"wi_text_{i}"] = p.get("description", "")


def user_of(text: str) -> Any:
    from coldrec.retrieval import UserInput

    return UserInput(description=text)


def memo_by_inputs(name: str, ws: Workspace, inputs: Any, compute: Any) -> Any:
    """``compute()`` once per ``(workspace, inputs, ranker object)``: a rerun for an unrelated widget (a chart
    hover, another expander, the probe's attribute picker) reuses the last result instead of recomputing."""
    ss, ranker = st.session_state, ws.recommender.ranker
    key, last = (ws.key, repr(inputs)), ss.get(f"_memo_{name}")
    if last is not None and last[0] == key and last[1] is ranker:  # `is`: a retrained ranker is a new object
        return last[2]
    value = compute()
    ss[f"_memo_{name}"] = (key, ranker, value)
    return value


def variant_lists(ws: Workspace, texts: Sequence[str], k: int) -> dict[str, pd.DataFrame]:
    """Top-k frame per non-empty variant, keyed by its letter (kept until a text, k or the ranker changes)."""
    return memo_by_inputs("variants", ws, (tuple(texts), k), lambda: {
        VARIANTS[i]: ws.recommender.recommend(user_of(t), k=k) for i, t in enumerate(texts) if t})


def compare_frame(lists: dict[str, pd.DataFrame], k: int) -> pd.DataFrame:
    """Each variant against the first one (:func:`coldrec.analysis._whatif.compare_variants`)."""
    from coldrec.analysis import compare_variants

    return compare_variants(lists, k)


def probe(ws: Workspace, attribute: str, k: int) -> pd.DataFrame:
    """:func:`coldrec.analysis._fairness.persona_probe` over every persona of the workspace."""
    from coldrec.analysis import persona_probe

    return memo_by_inputs(f"probe_{attribute}", ws, (attribute, k, repr(ws.personas)),
                          lambda: persona_probe(ws.recommender, ws.personas, attribute, k))


# ---------------------------------------------------------------------------------------------------- map
def profiled_people(ws: Workspace) -> list[dict[str, Any]]:
    """Typed users (from New user / What-if) then the bundled personas, each with its profile vector:
    ``name, user`` (UserInput), ``vector``, ``typed``, ``top`` (a typed user's last top-k ids, else None).
    People with no usable profile are left out."""
    from coldrec.retrieval import UserInput, build_profile

    enc = encoder()
    entries = [(name, d["user"], d["top"]) for name, d in typed_users(ws).items()]
    entries += [(f"persona: {p['name']}", UserInput(p.get("description", ""), p.get("liked", ()),
                                                    p.get("disliked", ())), None) for p in ws.personas]
    memo = st.session_state.setdefault("coldrec_profile_vectors", {})
    people = []
    for name, user, top in entries:
        mk = (ws.key, enc.name, repr(user))
        if mk not in memo:  # encoding a description is the slow part of a map rerun: once per user text
            prof = (ws.store.profile(user) if ws.store is not None  # liked items fetched from the store by id
                    else build_profile(user, enc, ws.vectors, ws.catalog.id_to_row))
            memo[mk] = None if getattr(prof, "empty", False) else prof.vector
        if memo[mk] is not None:
            people.append({"name": name, "user": user, "vector": memo[mk], "typed": top is not None, "top": top})
    return people


def people_on_map(ws: Workspace, k: int = 10) -> list[dict[str, Any]]:
    """Typed users and personas (:func:`profiled_people`) and the items described on New item: name, vector,
    rows of their top-k items (or nearest items) for the lines on the map."""
    id_to_row = ws.catalog.id_to_row
    people: list[dict[str, Any]] = []
    for p in profiled_people(ws):
        top = p["top"] if p["typed"] else _persona_top(ws, p["name"], p["user"], k)
        rows = [id_to_row[i] for i in top[:k] if i in id_to_row]
        people.append({"name": p["name"], "vector": p["vector"], "rows": rows, "typed": p["typed"]})
    for title, d in new_items(ws).items():  # items described on New item, with lines to their nearest items
        rows = [id_to_row[i] for i in d["near"][:k] if i in id_to_row]
        people.append({"name": f"new item: {title}", "vector": d["vector"], "rows": rows, "typed": True,
                       "item": True})
    return people


def item_map_figure(ws: Workspace, proj: Any, extras: dict[str, Any], query: str, k: int) -> tuple[Any, int]:
    """``(figure, number of search matches)`` of the item map, rebuilt only when the map, the people, k or the
    search change — a lasso or box selection reuses it (building 8.8k points and placing people is the slow part)."""
    from coldrec.analysis import search_rows
    from ui.charts import map_colors, map_figure

    people = people_on_map(ws, k=max(k, 1))
    sig = [(p["name"], tuple(p["rows"][:k]), np.asarray(p["vector"]).tobytes()) for p in people]

    def build() -> tuple[Any, int]:
        if people:  # one transform for everyone: a UMAP transform call costs ~70 ms however few it places
            for p, xy in zip(people, proj.transform(np.stack([p["vector"] for p in people]))):
                p["xy"], p["rows"] = xy, p["rows"][:k]
        matches = search_rows(query, ws.catalog.titles, ws.catalog.texts)
        fig = map_figure(proj.coords, extras["legend"], extras["hover"], map_colors(extras["legend"]), people,
                         highlight=matches, clusters=extras["clusters"])
        return fig, len(matches)

    key = (proj.cache_key, proj.method_used, proj.coords.shape[1], k, sig, query)
    return memo_by_inputs("map_figure", ws, key, build)


def user_space_map(ws: Workspace, dims: int, method: str) -> None:
    """The user-profile space of the log (placed by their written descriptions), coloured by an attribute."""
    from coldrec.recommend._views import attribute_labels
    from ui.charts import category_colors, map_figure
    from ui.feedback import guard
    from ui.maps import projection_or_preview

    users = ws.users
    if users is None or users.empty or "description" not in users:
        st.info("This catalog has no user log with descriptions. Pick a demo domain on Home to see one.")
        return
    attr = st.selectbox("Colour users by", [c for c in ["segment", "age", "gender", "locale"] if c in users],
                        key="pm_attr")
    with guard("Switch the method to PCA."):
        texts = users["description"].fillna("").astype(str).tolist()
        uproj, pending = projection_or_preview(f"{ws.key}:users", log_user_vectors(ws), dims, method)
    if pending is not None:
        st.caption(f"Preview (PCA) while the UMAP map of the users fits ({pending:.0f} s so far); it appears on "
                   "the next interaction.")
    labels = attribute_labels(users[attr])
    hover = [f"{u}: {t[:200]}" for u, t in zip(users["user_id"], texts)]
    st.plotly_chart(map_figure(uproj.coords, labels, hover, category_colors(labels), legend_title=attr),
                    key="pm_users")
    st.caption(f"{len(users):,} users of the interaction log, placed by their written description.")


def _persona_top(ws: Workspace, name: str, user: Any, k: int) -> list[str]:
    """A persona's top-k ids, once per workspace, ranker and k (the map reruns on every lasso)."""
    memo = st.session_state.setdefault("coldrec_persona_top", {})
    mk, ranker = (ws.key, ws.ranker_label, name, k), ws.recommender.ranker
    if mk not in memo or memo[mk][0] is not ranker:  # a retrained ranker keeps its label but is a new object
        memo[mk] = (ranker, list(ws.recommender.recommend(user, k=k)["item_id"]))
    return memo[mk][1]


# ------------------------------------------------------------------------------------------ catalog, eval
def embeddings_parquet(ws: Workspace) -> bytes:
    """Item ids + embedding vectors of the workspace as Parquet bytes."""
    from coldrec.recommend._views import embeddings_parquet as to_parquet

    return to_parquet(ws.catalog.ids, ws.vectors)


def quick_evaluation(ws: Workspace) -> Any:
    """The session's ranker against popularity, TF-IDF and cosine on the demo log's held-out users: the same
    :func:`coldrec.evaluation.holdout_comparison` the Ranker page shows after training."""
    from ui.rankers import compare_on_holdout

    if ws.demo is None:
        raise ColdrecError("The quick check needs an interaction log: pick a demo domain on Home.")
    return compare_on_holdout(ws, ws.recommender.ranker, ws.demo.interactions, ws.demo.user_texts)
