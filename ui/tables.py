"""Tables on screen: column configs, the recommendation table, the what-if lists, form helpers for tables.

The frames themselves come from coldrec (:mod:`coldrec.recommend._views`, :mod:`coldrec.analysis._whatif`, :mod:`coldrec.evaluation._results`);
this module only decides how Streamlit shows them. Cell text is shown as text, never as HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from coldrec.recommend._views import arrow, results_view
from ui.charts import OTHER_COLOR
from ui.escape import md

# -------------------------------------------------------------------------------------------- recommendations
# Pixel widths that fit the main area at 1280 px (sidebar open) and stretch at 1440 px: no sideways scrolling.
# Rows are tall enough for three lines (Streamlit wraps text cells when row_height > 64 px), so the reason and
# long titles wrap instead of being cut.
RESULT_COLUMNS = {
    "final_rank": st.column_config.NumberColumn("Rank", width=52, help="Final position after ranking"),
    "title": st.column_config.TextColumn("Item", width=200),
    "category": st.column_config.TextColumn("Category", width=104),
    "recall_rank": st.column_config.NumberColumn("Recall #", width=66, help="Position by cosine recall"),
    "recall_score": st.column_config.NumberColumn("Cosine", width=62, format="%.2f",
                                                  help="Cosine similarity of item and user profile"),
    "ranker_score": st.column_config.NumberColumn("Ranker", width=62, format="%.2f",
                                                  help="The ranker's score (with the text + log hybrid: the blended "
                                                       "score, z-scored text plus z-scored votes)"),
    "log_share": st.column_config.ProgressColumn("From log", width=70, min_value=0.0, max_value=1.0, format="percent",
                                                 help="Share of the hybrid's score that came from similar users' "
                                                      "choices; the rest came from the text"),
    "rank_change": st.column_config.TextColumn("Δ rank", width=62,
                                               help="▲ moved up vs recall order (the Why column says by what)"),
    "reason": st.column_config.TextColumn("Why", width=206,
                                          help="What moved the item (ranker, popularity, diversity), then how well "
                                               "it matches your words: strong / some / weak, or no close match"),
    "item_id": st.column_config.TextColumn("Item id", width="small"),
}
RESULT_ROW_HEIGHT = 76  # three wrapped lines
# What the ranker did (Δ, recall #, scores) sits next to the title, so it is visible without scrolling.
RESULT_ORDER = ["final_rank", "title", "rank_change", "recall_rank", "ranker_score", "log_share", "recall_score",
                "category", "reason"]


def _category_colored(view: pd.DataFrame, colors: dict[str, str]) -> Any:
    """``view`` with its category text in the category's map colour."""
    return view.style.map(lambda c: f"color: {colors.get(str(c), OTHER_COLOR)}; font-weight: 600",
                          subset=["category"])


def results_table(df: pd.DataFrame, colors: dict[str, str] | None = None, *, key: str | None = None,
                  height: int | str = "auto") -> None:
    """Render a ``Recommender.recommend`` frame as a readable table (category text in its map colour)."""
    view = results_view(df)
    data: Any = _category_colored(view, colors) if colors and "category" in view else view
    order = [c for c in RESULT_ORDER if c in view]
    if "ranker_score" in view and view["ranker_score"].isna().all():  # cosine only: no ranker column
        moved = "rank_change" in df and (pd.to_numeric(df["rank_change"], errors="coerce").fillna(0) != 0).any()
        hide = ("ranker_score",) if moved else ("ranker_score", "rank_change", "recall_rank")  # keep what moved
        order = [c for c in order if c not in hide]
    if height == "auto":  # every row shown (up to 25) with the taller rows
        height = RESULT_ROW_HEIGHT * min(len(view), 25) + 38
    config = RESULT_COLUMNS
    if "log_share" in view:  # the text + log hybrid: its score is the blend, not a ranker's
        config = {**RESULT_COLUMNS, "ranker_score": st.column_config.NumberColumn(
            "Blend", width=62, format="%.2f", help="The hybrid's score: z-scored text cosine plus z-scored votes "
                                                    "of similar users (From log says how much is the votes)")}
    st.dataframe(data, hide_index=True, column_config=config, column_order=order, key=key, height=height,
                 placeholder="—", row_height=RESULT_ROW_HEIGHT)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV for download with spreadsheet formulas neutralised (``=cmd()`` cells become text)."""
    from coldrec.catalog import safe_csv_bytes

    return safe_csv_bytes(df)


def result_notes(recs: pd.DataFrame, ranker_label: str = "") -> None:
    """Caption with how the list was made, plus the pipeline's warnings.

    ``ranker_label`` is the workspace's account of its ranker: when it says why a demo ships none (no trained
    ranker beat the baselines), that reason is shown instead of an invitation to train one.
    """
    attrs = recs.attrs
    st.caption(f"Ranked by **{md(attrs.get('ranked_by', '?'))}** · recall: {md(attrs.get('recall', 'exact'))}")
    if attrs.get("truncated"):
        st.info(f"{attrs['truncated']} text(s) were longer than the model window and were cut; "
                "only the beginning counts. Shorten them to make every word count.")
    cosine_only = str(attrs.get("ranked_by", "")).startswith("cosine")
    for w in attrs.get("warnings", []) or []:
        if attrs.get("truncated") and "model window" in str(w):
            continue  # the same long-text notice as the one above: say it once
        if cosine_only and "No ranker" in str(w):  # already said in the caption; point to the fix instead
            st.caption(f"Items keep their cosine order: {md(ranker_label.removeprefix('cosine only: '))}. "
                       "Train one on the **Ranker** page." if ranker_label.startswith("cosine only: no trained")
                       else "No ranker yet: items keep their cosine order. Train one on the **Ranker** page.")
        else:
            st.warning(md(w))


# ------------------------------------------------------------------------------------------------ catalog
UPLOAD_TYPES = ["csv", "tsv", "tab", "txt", "json", "jsonl", "ndjson", "parquet", "pq", "xlsx", "xlsm", "xls"]
NONE = "—"
ITEM_COLUMNS = {
    "item_id": st.column_config.TextColumn("Item id", width="small"),
    "title": st.column_config.TextColumn("Title", width="medium"),
    "description": st.column_config.TextColumn("Description", width="large"),
    "text": st.column_config.TextColumn("Text (embedded)", width="large"),
    "price": st.column_config.NumberColumn("Price", format="%.2f"),
    "category": st.column_config.TextColumn("Category"),
    "tags": st.column_config.TextColumn("Tags"),
    "released": st.column_config.TextColumn("Released"),
}


def index_of(options: Sequence[str], value: str | None) -> int:
    """Position of ``value`` in ``options`` (0, the "none" entry, when absent)."""
    return list(options).index(value) if value in options else 0


def col(choice: str) -> str | None:
    """Selectbox choice → column name (None for the "none" entry)."""
    return None if choice == NONE else choice


# ------------------------------------------------------------------------------------------------ what-if
COMPARE_COLUMNS = {
    "variant": st.column_config.TextColumn("variant", width=64),
    "overlap@k": st.column_config.NumberColumn("overlap@k", format="%.2f", width=76),
    "rbo": st.column_config.NumberColumn("RBO", format="%.2f", width=56,
                                         help="Rank-biased overlap: 1 = same items in the same order"),
    "jaccard": st.column_config.NumberColumn("Jaccard", format="%.2f", width=64),
    "entered": st.column_config.ListColumn("Entered the top-k", width=270),
    "left": st.column_config.ListColumn("Left the top-k", width=270),
}


def compact_table(df: pd.DataFrame, colors: dict[str, str], base: pd.DataFrame | None = None,
                  key: str | None = None, base_name: str = "A") -> None:
    """Rank, title, category; items missing from ``base`` (variant ``base_name``) are marked ``new``."""
    view = df[["final_rank", "title", "category"]].copy()
    vs = f"vs {base_name}"
    if base is not None:
        ranks = dict(zip(base["item_id"], base["final_rank"]))
        # right after the rank: side by side the lists are narrow, and this column is why they are shown
        view.insert(1, vs, [("new" if i not in ranks else arrow(ranks[i] - r) if ranks[i] != r else "=")
                            for i, r in zip(df["item_id"], df["final_rank"])])
    st.dataframe(_category_colored(view, colors), hide_index=True, key=key, column_config={  # fits two side by side
        "final_rank": st.column_config.NumberColumn("#", width=40),
        "title": st.column_config.TextColumn("Item", width=156),
        "category": st.column_config.TextColumn("Category", width=90),
        vs: st.column_config.TextColumn(vs, width=56,
                                        help=f"new = not in {base_name}'s top-k; ▲/▼ = moved")})


SIMILAR_COLUMNS = {  # a third of the page: every column visible at 1280 px
    "item_id": None,
    "title": st.column_config.TextColumn("Catalog item", width=148),
    "category": st.column_config.TextColumn("Category", width=88),
    "cosine": st.column_config.NumberColumn("Cosine", format="%.2f", width=52),
}

AUDIENCE_COLUMNS = {  # pixel widths: the table sits in half the page and shows every column at 1280 px
    "user_id": st.column_config.TextColumn("User", width=78),
    "who": st.column_config.TextColumn("Who (their own words)", width=72),
    "final_rank": st.column_config.NumberColumn("Rank", width=46,
                                                help="Where the new item lands in this user's list (after the ranker)"),
    "recall_rank": st.column_config.NumberColumn("Recall #", width=56,
                                                 help="Its place by cosine among the catalog + the new item"),
    "cosine": st.column_config.NumberColumn("Cosine", format="%.2f", width=52),
    "ranker_score": st.column_config.NumberColumn("Ranker", format="%.2f", width=52),
    "reaches": st.column_config.CheckboxColumn("Top-k", width=46),
}


def audience_columns(audience: pd.DataFrame) -> tuple[list[str], dict[str, Any]]:
    """Column order and config of the New item audience table; without a ranker (cosine or the text + log hybrid)
    the empty Ranker column gives its width to the users' own words."""
    order = ["user_id", "final_rank", "reaches", "who", "cosine", "recall_rank", "ranker_score"]
    if "ranker_score" in audience and pd.to_numeric(audience["ranker_score"], errors="coerce").notna().any():
        return order, AUDIENCE_COLUMNS
    who, ranker = AUDIENCE_COLUMNS["who"], AUDIENCE_COLUMNS["ranker_score"]
    return order[:-1], {**AUDIENCE_COLUMNS, "who": {**who, "width": who["width"] + ranker["width"]}}


CHANGE_COLUMNS = {
    "user_id": st.column_config.TextColumn("User", width="medium"),
    "change": st.column_config.TextColumn("", width="small"),
    "rank_a": st.column_config.NumberColumn("Rank (first)", width="small"),
    "rank_b": st.column_config.NumberColumn("Rank (alternative)", width="small"),
    "who": st.column_config.TextColumn("Who (their own words)", width="large"),
}


def new_item_summary(s: dict[str, Any], k: int) -> None:
    """The New item page's headline: reach, median rank, nearest category, and why reach may be low."""
    if s["truncated"]:
        st.info("The text is longer than the model window: only its beginning was read. Put what matters first.")
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Users with it in their top {k}",
              f"{s['reached']:,} of {s['users']:,} ({s['reach']:.0%})" if s["users"] else "— (no users)")
    c2.metric("Median rank it gets", "—" if s["median_final_rank"] is None else f"{s['median_final_rank']:.0f}",
              help=f"Among users who recall it in their top {s['n']}; ranked by {s['ranked_by']}.")
    top_cat = max(s["category_share"], key=s["category_share"].get) if s["category_share"] else "—"
    c3.metric("Reads like", md(top_cat), help="Most common category among its 10 nearest catalog items.")
    if s["ranker_uses_popularity"] and not s["popularity"]:
        st.caption(f"The ranker ({md(s['ranked_by'])}) reads popularity, and a new item has none: it ranks below "
                   "equally close items that already sell. The toggle above shows the same item with a median "
                   "count.")


def audience_change(change: pd.DataFrame, k: int) -> None:
    """Reach of the first description against the alternative one, and the users gained or lost."""
    a, b = change.attrs["reached_a"], change.attrs["reached_b"]
    st.subheader("First description vs the alternative")
    st.metric(f"Users with it in their top {k}", f"{a:,} → {b:,}", f"{b - a:+,} users",
              help=f"{change.attrs['kept']:,} users are reached by both.")
    if change.empty:
        st.caption("Both descriptions reach exactly the same users.")
    else:
        st.dataframe(change, hide_index=True, key="ni_change", height=min(400, 36 * (len(change) + 1) + 2),
                     placeholder="not recalled",
                     column_order=["user_id", "change", "rank_a", "rank_b", "who"], column_config=CHANGE_COLUMNS)


PROBE_COLUMNS = {
    "persona": st.column_config.TextColumn("Persona", width="medium"),
    "change": st.column_config.TextColumn("What changed", width="medium"),
    "shift": st.column_config.ProgressColumn("List shift", min_value=0.0, max_value=1.0, format="%.2f",
                                             help="0 = the same top-k in the same order, 1 = nothing in common "
                                                  "(1 − rank-biased overlap)"),
    "floor": st.column_config.NumberColumn("Noise floor", format="%.2f",
                                           help="The largest shift a neutral change of the same description causes"),
    "vs_floor": st.column_config.TextColumn("Against the floor", width="medium"),
    "overlap": st.column_config.ProgressColumn("Items kept", min_value=0.0, max_value=1.0, format="%.2f"),
    "entered": st.column_config.NumberColumn("entered"),
    "left": st.column_config.NumberColumn("left"),
    "text": st.column_config.TextColumn("Changed description", width="large"),
}
PROBE_ORDER = ["persona", "change", "shift", "floor", "vs_floor", "overlap", "entered", "left", "text"]


# --------------------------------------------------------------------------------------- ranker, evaluation
METRIC_COLUMNS = {
    "method": st.column_config.TextColumn("Method", width="small"),
    "recall@10": st.column_config.ProgressColumn("Recall@10", min_value=0.0, max_value=1.0, format="%.3f",
                                                 width="small"),
    "ndcg@10": st.column_config.ProgressColumn("NDCG@10", min_value=0.0, max_value=1.0, format="%.3f",
                                               width="small"),
    "auc": st.column_config.ProgressColumn("AUC", min_value=0.0, max_value=1.0, format="%.3f", width="small",
                                           help="Chance a clicked item scores above a skipped one (0.5 = coin flip)"),
    "users": None,
}


def short_commit(commit: Any) -> str:
    """``d9bb5fe859c3…+dirty`` → ``d9bb5fe859+dirty``: ten hex digits keep the suffix readable."""
    head, plus, rest = str(commit or "?").partition("+")
    return head[:10] + plus + rest


METRIC_TABLE_WIDTH = 900  # px of the main column at 1440 px with the sidebar open: no sideways scrolling


def metric_columns(table: pd.DataFrame, metrics: Sequence[str]) -> dict[str, Any]:
    """Progress bars scaled to each metric's best value, and a checkbox for published rows; the widths share
    :data:`METRIC_TABLE_WIDTH` so six metrics (CiteULike's) fit without scrolling sideways."""
    method_w, published_w = 240, 76
    width = max(96, min(180, (METRIC_TABLE_WIDTH - method_w - published_w) // max(1, len(metrics))))
    cols: dict[str, Any] = {
        m: st.column_config.ProgressColumn(m, min_value=0.0, format="%.4f", width=width,
                                           max_value=max(1e-9, float(pd.to_numeric(table[m]).max() or 0)))
        for m in metrics}
    cols["method"] = st.column_config.TextColumn("Method", width=method_w)
    cols["published"] = st.column_config.CheckboxColumn("Published", width=published_w,
                                                        help="Number reported in a paper")
    return cols
