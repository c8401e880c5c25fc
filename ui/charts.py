"""Plotly figures and colours: the item/user map, the what-if rank chart, probe and metric bars.

Hover, legend, tick and label text comes from catalogs and users, so every string goes through
:func:`ui.escape.plot_text` before it goes into a figure (plotly renders ``<a href>`` and friends).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ui.escape import plot_text

PALETTE = [  # D3 category10, then darker companions: distinct for the 9-10 categories of a demo domain
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd",
]
OTHER_COLOR = "#BBBBBB"
USER_COLOR = "#111111"
NEW_ITEM_COLOR = "#f2b701"  # gold diamond: an item described on New item, with dotted lines to its nearest items


def category_colors(categories: Sequence[str]) -> dict[str, str]:
    """Category → colour, stable for a catalog (sorted categories take the palette in order)."""
    cats = sorted({str(c) for c in categories if str(c)})
    colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cats)}
    colors[""] = OTHER_COLOR
    return colors


def ws_colors(ws: Any) -> dict[str, str]:
    return category_colors(list(ws.catalog.categories))


# ---------------------------------------------------------------------------------------------------- maps
def map_colors(labels: Sequence[str]) -> dict[str, str]:
    """Legend label → colour for a grouped legend (:func:`coldrec.analysis.legend_groups`): "other" is grey."""
    colors = category_colors([x for x in labels if x != "other"])
    colors["other"] = OTHER_COLOR
    return colors


def _hover(text: Any) -> str:
    """Escaped hover text; the line breaks of :func:`coldrec.analysis.hover_texts` become ``<br>``."""
    return plot_text(text).replace("\n", "<br>")


def map_figure(coords: np.ndarray, labels: Sequence[str], hover: Sequence[str], colors: dict[str, str],
               people: Sequence[dict[str, Any]] = (), legend_title: str = "Category", *,
               highlight: np.ndarray | None = None, clusters: Sequence[Any] = ()) -> Any:
    """Plotly scatter (2-D or 3-D): one trace per label (customdata = row), people as stars with lines to top-k,
    search matches (``highlight`` rows) ringed on top, and cluster labels (2-D) at their clusters."""
    import plotly.graph_objects as go

    three = coords.shape[1] == 3
    labels = np.asarray([str(x) for x in labels])
    hover = np.asarray([_hover(h) for h in hover], dtype=object)
    fig = go.Figure()
    big = len(coords) > 5000
    dim = highlight is not None and len(highlight) > 0
    order = sorted(set(labels.tolist()), key=lambda x: (x == "other", x == "", x))  # "other" last
    for lab in order:
        rows = np.flatnonzero(labels == lab)
        kw = dict(mode="markers", name=plot_text(lab or "(none)"), customdata=rows, text=hover[rows].tolist(),
                  hovertemplate="%{text}<extra>" + plot_text(lab or "(none)") + "</extra>",
                  marker=dict(color=colors.get(lab, OTHER_COLOR), size=4 if three else 7,
                              opacity=0.25 if dim else 0.8))
        xyz = dict(x=coords[rows, 0], y=coords[rows, 1])
        if three:
            fig.add_trace(go.Scatter3d(**xyz, z=coords[rows, 2], **kw))
        else:
            fig.add_trace((go.Scattergl if big else go.Scatter)(**xyz, **kw))
    if dim:
        _add_matches(fig, coords, np.asarray(highlight), labels, colors, hover, three)
    for p in people:
        _add_person(fig, p, coords, three)
    if not three:
        for c in clusters:
            # no hovertext: it makes a label catch the mouse, and a lasso started on a label would not start
            fig.add_annotation(x=c.x, y=c.y, text=f"{plot_text(c.text)} <span style='color:#6b7080'>"
                               f"{c.size:,}</span>", showarrow=False, captureevents=False,
                               font=dict(size=12, color="#1f2330"), bgcolor="rgba(255,255,255,0.75)", borderpad=2)
    fig.update_layout(height=620, margin=dict(l=0, r=0, t=30, b=0), legend_title_text=plot_text(legend_title),
                      dragmode="lasso" if not three else "orbit", uirevision="keep",
                      hoverlabel=dict(align="left"))
    if not three:
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False, scaleanchor="x")
    return fig


def _add_matches(fig: Any, coords: np.ndarray, rows: np.ndarray, labels: np.ndarray, colors: dict[str, str],
                 hover: np.ndarray, three: bool) -> None:
    """Search matches drawn on top: full colour, larger, ringed in black (customdata = row, so selectable)."""
    import plotly.graph_objects as go

    kw = dict(mode="markers", name=f"matches ({len(rows):,})", customdata=rows, text=hover[rows].tolist(),
              hovertemplate="%{text}<extra>match</extra>",
              marker=dict(color=[colors.get(x, OTHER_COLOR) for x in labels[rows]], size=6 if three else 11,
                          opacity=1.0, line=dict(color=USER_COLOR, width=1.5)))
    if three:
        fig.add_trace(go.Scatter3d(x=coords[rows, 0], y=coords[rows, 1], z=coords[rows, 2], **kw))
    else:
        fig.add_trace((go.Scattergl if len(rows) > 5000 else go.Scatter)(x=coords[rows, 0], y=coords[rows, 1], **kw))


def _add_person(fig: Any, p: dict[str, Any], coords: np.ndarray, three: bool) -> None:
    import plotly.graph_objects as go

    at, rows = np.asarray(p["xy"]), p.get("rows", [])
    name = plot_text(p["name"])
    seg = [np.vstack([at, coords[r]]).T for r in rows]
    line: dict[str, list] = {"x": [], "y": [], "z": []}
    for s in seg:
        for axis, vals in zip("xyz", s):
            line[axis] += [*vals.tolist(), None]
    typed, item = bool(p.get("typed")), bool(p.get("item"))
    style = dict(color=USER_COLOR if typed else "#888888", width=1.2 if typed else 0.8,
                 **({"dash": "dot"} if item and not three else {}))
    marker = dict(symbol="diamond" if three or item else "star",
                  size=(10 if typed else 7) if three else (16 if item else 20 if typed else 13),
                  color=NEW_ITEM_COLOR if item else USER_COLOR if typed else "#ffffff",
                  line=dict(color=USER_COLOR, width=1.5))
    label = name.removeprefix("persona: ")
    group = dict(legendgroup="users" if typed else "personas", name=name if typed else "personas (white stars)",
                 showlegend=typed or not any(getattr(t, "legendgroup", None) == "personas" for t in fig.data))
    text = dict(text=[label], textfont=dict(size=13 if typed else 10, color=USER_COLOR if typed else "#555555"))
    if three:
        fig.add_trace(go.Scatter3d(x=line["x"], y=line["y"], z=line["z"], mode="lines", line=style,
                                   hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter3d(x=[at[0]], y=[at[1]], z=[at[2]], mode="markers+text", marker=marker, **text,
                                   **group, hovertemplate=name + "<extra></extra>"))
    else:
        fig.add_trace(go.Scatter(x=line["x"], y=line["y"], mode="lines", line=style, hoverinfo="skip",
                                 showlegend=False))
        if not typed:
            fig.add_trace(go.Scatter(x=[at[0]], y=[at[1]], mode="markers+text", textposition="top center",
                                     marker=marker, **text, **group, hovertemplate=name + "<extra></extra>"))
            return
        fig.add_trace(go.Scatter(x=[at[0]], y=[at[1]], mode="markers", marker=marker, **group,
                                 hovertemplate=name + "<extra></extra>"))
        # A boxed callout drawn above every trace, so a nearby persona's label never hides the typed user's.
        # New items' callouts hang below their diamond, typed users' sit above their star: a user and an item
        # that read alike (so sit together) both stay readable.
        if item:
            title = str(p["name"]).removeprefix("new item: ")
            label = "new: " + plot_text(title if len(title) <= 30 else title[:29] + "…")
        fig.add_annotation(x=at[0], y=at[1], text=f"<b>{label}</b>", showarrow=True, arrowcolor=USER_COLOR,
                           ax=40 if item else -56, ay=44 if item else -40, font=dict(size=13, color=USER_COLOR),
                           bgcolor="rgba(255,255,255,0.9)", bordercolor=NEW_ITEM_COLOR if item else USER_COLOR,
                           borderpad=3)


def selected_rows(event: Any) -> list[int]:
    """Rows (customdata) of the points picked with box / lasso / click on a :func:`map_figure` chart."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):  # not a selection state (e.g. a chart drawn with on_select="ignore")
        return []
    rows: list[int] = []
    for pt in points or []:
        cd = pt.get("customdata") if hasattr(pt, "get") else None
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if isinstance(cd, (int, float)) and not isinstance(cd, bool):
            rows.append(int(cd))
    return sorted(set(rows))


# ------------------------------------------------------------------------------------------------ what-if
def rank_diff_figure(lists: dict[str, pd.DataFrame], k: int, colors: dict[str, str]) -> Any:
    """Slope chart: each item's rank in every variant (bottom row = outside the top-k)."""
    import plotly.graph_objects as go

    names = list(lists)
    items: dict[str, tuple[str, str]] = {}
    for df in lists.values():
        for i, t, c in zip(df["item_id"], df["title"], df["category"]):
            items.setdefault(i, (str(t), str(c)))
    ranks = {n: dict(zip(df["item_id"], df["final_rank"])) for n, df in lists.items()}
    fig = go.Figure()
    shown_cats: set[str] = set()
    last = len(names) - 1
    for i, (title, cat) in items.items():
        ys = [ranks[n].get(i, k + 1) for n in names]
        end = last if ys[last] <= k else max(j for j, y in enumerate(ys) if y <= k)
        short = title if len(title) <= 34 else title[:33] + "…"
        fig.add_trace(go.Scatter(
            x=[f"Variant {n}" for n in names], y=ys, mode="lines+markers+text", name=plot_text(cat or "(none)"),
            text=[plot_text(short) if j == end else "" for j in range(len(names))],
            textposition="middle right" if end == last else "top center", textfont=dict(size=11),
            legendgroup=cat, showlegend=cat not in shown_cats, line=dict(color=colors.get(cat, OTHER_COLOR), width=2),
            marker=dict(size=7), hovertemplate=plot_text(title) + "<br>rank %{y}<extra></extra>"))
        shown_cats.add(cat)
    fig.update_yaxes(autorange="reversed", title="rank", tickvals=[*range(1, k + 1), k + 1],
                     ticktext=[*map(str, range(1, k + 1)), "out"])
    fig.update_xaxes(range=[-0.3, last + 0.9])  # room for the titles on the right
    fig.update_layout(height=max(360, 28 * (k + 2)), margin=dict(l=0, r=0, t=40, b=0), legend_title_text="Category",
                      legend=dict(orientation="h", y=-0.12), title="Rank of each item per variant "
                      "(“out” = not in the top-k; titles at each item's last position)")
    return fig


def reach_figure(groups: pd.DataFrame, attribute: str) -> Any:
    """Horizontal bars: the share of each user group whose top-k the new item enters."""
    import plotly.graph_objects as go

    g = groups.iloc[::-1]  # plotly draws the first row at the bottom
    fig = go.Figure(go.Bar(x=g["reach"], y=[plot_text(v) for v in g["group"]], orientation="h",
                           marker_color=PALETTE[0], text=[f"{r:.0%} of {u}" for r, u in zip(g["reach"], g["users"])],
                           textposition="auto", hovertemplate="%{y}: %{x:.0%}<extra></extra>"))
    fig.update_layout(height=max(220, 34 * len(g) + 60), margin=dict(l=0, r=0, t=30, b=0),
                      title=dict(text=f"Reach by {plot_text(attribute)}", font=dict(size=14)))
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    return fig


def probe_figure(df: pd.DataFrame) -> Any:
    """List shift per persona, one bar per swapped variant, with each persona's noise floor as a black tick."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (variant, part) in enumerate(df.groupby("variant", sort=False)):
        fig.add_trace(go.Bar(x=[plot_text(p) for p in part["persona"]], y=part["shift"].tolist(),
                             name=plot_text(variant), marker_color=PALETTE[i % len(PALETTE)],
                             hovertext=[plot_text(c) for c in part["change"]] if "change" in part else None))
    if "floor" in df:
        floors = df.drop_duplicates("persona")
        fig.add_trace(go.Scatter(x=[plot_text(p) for p in floors["persona"]], y=floors["floor"].tolist(),
                                 mode="markers", name="noise floor (neutral change)",
                                 marker=dict(symbol="line-ew-open", size=36, color="black", line=dict(width=3))))
    fig.update_layout(barmode="group", height=340, margin=dict(l=0, r=0, t=10, b=0), legend_title_text="swap",
                      yaxis=dict(title="list shift", range=[0, 1]))
    return fig


# --------------------------------------------------------------------------------------------- evaluation
def bars_figure(df: pd.DataFrame, metrics: Sequence[str]) -> Any:
    """Grouped bars: metric on x, one bar per method (ours solid, published hatched)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, row in df.reset_index(drop=True).iterrows():
        published = bool(row.get("published", False))
        fig.add_trace(go.Bar(name=plot_text(row["method"]), x=[plot_text(m) for m in metrics], y=[row.get(m) for m in metrics],
                             marker=dict(color=PALETTE[i % len(PALETTE)],
                                         pattern=dict(shape="/" if published else ""))))
    fig.update_layout(barmode="group", height=420, margin=dict(l=0, r=0, t=30, b=0), legend_title_text="method")
    return fig
