"""Analysis: what-if comparisons of lists, word swaps and fairness probes, and maps (UMAP / PCA projections).
"""

from __future__ import annotations

from coldrec.analysis._whatif import WhatIfError, compare_lists, compare_variants, rank_biased_overlap
from coldrec.analysis._wordswap import AXES, ADDED_CLAUSE_SUFFIX, swap_words, has_axis_words
from coldrec.analysis._fairness import (fairness_probe, probe_summary, persona_probe, neutral_variants, plain_label,
                                       PROBE_VIEW_COLUMNS, NEUTRAL_CLAUSES)
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
]
