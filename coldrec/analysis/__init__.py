"""Analysis: what-if comparisons of lists, word swaps and fairness probes, and maps (UMAP / PCA projections) and
what a map shows besides its dots (legend groups, cluster labels, hover text, search).
"""

from __future__ import annotations

from coldrec.analysis._whatif import WhatIfError, compare_lists, compare_variants, rank_biased_overlap
from coldrec.analysis._wordswap import AXES, ADDED_CLAUSE_SUFFIX, swap_words, has_axis_words
from coldrec.analysis._fairness import (fairness_probe, probe_summary, persona_probe, neutral_variants, plain_label,
                                       PROBE_VIEW_COLUMNS, NEUTRAL_CLAUSES)
from coldrec.analysis._map_labels import (
    LEGEND_TOP,
    OTHER_LABEL,
    ClusterLabel,
    LegendGroups,
    cluster_labels,
    hover_texts,
    legend_groups,
    search_rows,
    tfidf_terms,
)
from coldrec.analysis._projection import ProjectionConfig, Projection, ProjectionError, project_items, warmup, REST_PLACEMENTS

__all__ = [
    "WhatIfError",
    "compare_lists",
    "compare_variants",
    "rank_biased_overlap",
    "AXES",
    "ADDED_CLAUSE_SUFFIX",
    "swap_words",
    "has_axis_words",
    "fairness_probe",
    "probe_summary",
    "persona_probe",
    "PROBE_VIEW_COLUMNS",
    "neutral_variants",
    "plain_label",
    "NEUTRAL_CLAUSES",
    "ProjectionConfig",
    "Projection",
    "ProjectionError",
    "project_items",
    "warmup",
    "REST_PLACEMENTS",
    "LEGEND_TOP",
    "OTHER_LABEL",
    "ClusterLabel",
    "LegendGroups",
    "cluster_labels",
    "hover_texts",
    "legend_groups",
    "search_rows",
    "tfidf_terms",
]
