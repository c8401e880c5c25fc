"""The Impact page's figure and headline: warm-up curves with the crossover marked and the LM's gain shaded."""

from __future__ import annotations

from typing import Any, Sequence

from coldrec.evaluation import METHOD_LABELS, warmup_frame

COLORS = {"popularity": "#9e9e9e", "ease": "#1f77b4", "itemknn": "#6baed6", "userknn": "#6baed6", "text-lm": "#ff7f0e",
          "text-hash": "#fdae6b", "text-tfidf": "#e6ab02", "hybrid-lm": "#2ca02c", "hybrid-hash": "#98df8a",
          "hybrid-tfidf": "#8c564b"}


def who(result: dict[str, Any]) -> str:
    """``item`` for an item-side warm-up result, else ``user``."""
    return "item" if "n_items" in result else "user"


def warmup_figure(result: dict[str, Any], metric: str, methods: Sequence[str]) -> Any:
    """Lines of ``metric`` per known-interaction count; the crossover as a dashed line; the language model's gain
    over the TF-IDF hybrid shaded green (where both hybrids are drawn)."""
    import plotly.graph_objects as go

    df = warmup_frame(result, metric)
    fig = go.Figure()
    x_of = {s: i for i, s in enumerate(result["points"])}  # evenly spaced: 0, 1, 2, 3, 5, 10, 20
    shade = "hybrid-lm" in methods and "hybrid-tfidf" in methods
    order = [m for m in methods if m != "hybrid-lm"] + (["hybrid-lm"] if "hybrid-lm" in methods else [])
    if shade:  # the TF-IDF hybrid right before the LM hybrid, so that fill="tonexty" shades the gap between them
        order = [m for m in order if m not in ("hybrid-tfidf", "hybrid-lm")] + ["hybrid-tfidf", "hybrid-lm"]
    for m in order:
        d = df[df["method"] == m]
        if d.empty:
            continue
        fill = dict(fill="tonexty", fillcolor="rgba(44,160,44,0.18)") if shade and m == "hybrid-lm" else {}
        fig.add_trace(go.Scatter(x=[x_of[s] for s in d["known"]], y=d["value"], mode="lines+markers",
                                 name=METHOD_LABELS.get(m, m), line=dict(color=COLORS.get(m), width=3 if
                                 m == "hybrid-lm" else 2), customdata=d["users"],
                                 hovertemplate="%{y:.4f} (%{customdata} " + f"{who(result)}s)", **fill))
    cross = (result.get("crossover") or {}).get("ease")
    if cross is not None and cross in x_of:
        fig.add_vline(x=x_of[cross], line_dash="dash", line_color="#555",
                      annotation_text=f"CF catches up with text at {cross} known", annotation_position="top")
    fig.update_layout(height=460, margin=dict(l=0, r=0, t=40, b=0), legend=dict(orientation="h", y=-0.25),
                      xaxis=dict(title=f"interactions already known for the {who(result)}", tickmode="array",
                                 tickvals=list(x_of.values()), ticktext=[str(s) for s in x_of]),
                      yaxis=dict(title=metric.replace("ndcg", "NDCG").replace("recall", "Recall")))
    return fig


def headline(result: dict[str, Any], metric: str) -> str:
    """One sentence: where CF catches up, and the LM's largest gain over the TF-IDF hybrid."""
    cross = (result.get("crossover") or {}).get("ease")
    when = (f"collaborative filtering alone catches up with text alone at **{cross}** known interactions"
            if cross is not None else "collaborative filtering alone never catches up with text alone here")
    gain = (result.get("lm_gain") or {}).get("vs tfidf", {}).get(metric)
    if not gain or all(g is None for g in gain):
        return when[0].upper() + when[1:] + "."
    best = max((g, s) for g, s in zip(gain, result["points"]) if g is not None)
    return (f"{when[0].upper() + when[1:]}; the language model's largest gain over the same hybrid with TF-IDF is "
            f"**{best[0]:+.4f}** {metric} at {best[1]} known.")


def session_figure(sim: dict[str, Any]) -> Any:
    """Mean hits per round of each simulated-session strategy."""
    import plotly.graph_objects as go

    names = {"text+feedback": "Description + feedback", "feedback-only": "Feedback only (starts from popularity)",
             "popularity": "Popularity (no feedback)"}
    colors = {"text+feedback": COLORS["hybrid-lm"], "feedback-only": COLORS["ease"], "popularity": COLORS["popularity"]}
    fig = go.Figure()
    for s, hits in sim["mean_hits"].items():
        fig.add_trace(go.Scatter(x=list(range(1, len(hits) + 1)), y=hits, mode="lines+markers", name=names.get(s, s),
                                 line=dict(color=colors.get(s))))
    fig.update_layout(height=360, margin=dict(l=0, r=0, t=10, b=0), legend=dict(orientation="h", y=-0.3),
                      xaxis=dict(title="round", dtick=1), yaxis=dict(title=f"hits among {sim['k']} shown (mean)"))
    return fig
