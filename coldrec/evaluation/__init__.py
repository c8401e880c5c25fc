"""Evaluation: metrics, loaders of the real data sets, the protocols and their results files.
"""

from __future__ import annotations

from coldrec.evaluation._realdata import DATASETS, default_data_dir, resolve_data_dir, dataset_dir, ScientificData, CiteULikeData, MovieLensData, load_scientific, load_citeulike, load_movielens100k, demographic_text
from coldrec.evaluation._evaluate import run_seeds, PROTOCOLS, METHODS, PUBLISHED, SHOTS, EvalConfig, run_protocol, write_results, format_table, format_markdown
from coldrec.evaluation._results import RESULTS_DIR, load_results, methods_frame, published_frame, machine_label
from coldrec.evaluation._holdout import HOLDOUT_BASELINES, holdout_comparison, describe_holdout
from coldrec.evaluation._log_choice import HYBRID_METHOD, LOG_GRID, choose_log_evidence
from coldrec.evaluation._warmup_results import METHOD_LABELS, DEFAULT_METHODS, load_warmup_results, warmup_frame, live_warmup

__all__ = [
    "DATASETS",
    "default_data_dir",
    "resolve_data_dir",
    "dataset_dir",
    "ScientificData",
    "CiteULikeData",
    "MovieLensData",
    "load_scientific",
    "load_citeulike",
    "load_movielens100k",
    "demographic_text",
    "run_seeds",
    "PROTOCOLS",
    "METHODS",
    "PUBLISHED",
    "SHOTS",
    "EvalConfig",
    "run_protocol",
    "write_results",
    "format_table",
    "format_markdown",
    "RESULTS_DIR",
    "load_results",
    "methods_frame",
    "published_frame",
    "machine_label",
    "HOLDOUT_BASELINES",
    "holdout_comparison",
    "HYBRID_METHOD",
    "LOG_GRID",
    "choose_log_evidence",
    "describe_holdout",
    "METHOD_LABELS",
    "DEFAULT_METHODS",
    "load_warmup_results",
    "warmup_frame",
    "live_warmup",
]
