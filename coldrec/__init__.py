"""coldrec: cold-start recommendation with a pretrained sentence encoder.

Item profile = encode(item text); user profile = encode(description) blended with liked/disliked items;
recall the top-N items by cosine; rank them with ``MLP(concat(item, user))``.

Public names are imported lazily, so ``import coldrec`` is instant and torch / sentence-transformers load only
when an encoder or a ranker is first used.

Example:
    >>> import coldrec
    >>> rec = coldrec.demo_recommender("ecommerce")          # doctest: +SKIP
    >>> rec.recommend("quiet wireless headphones", k=5)      # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

__version__ = "0.1.0"

if "torch" not in sys.modules:
    # OpenMP threads that spin while they wait burn the core another process needs: on a busy 2-core Xeon,
    # encoding 910 texts on 2 torch threads took 13.4 s of CPU spinning vs 4.0 s passive (1 thread: 3.6 s;
    # issue 18). Read by libgomp when torch loads, so it is set before any coldrec code imports torch; a value
    # the user set wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_EXPORTS = {
    "errors": ["ColdrecError", "CatalogError", "ModelNotFoundError", "CheckpointError"],
    "encoders": ["Encoder", "EncoderConfig", "SentenceEncoder", "HashEncoder", "load_encoder", "default_model_path",
                 "pick_device", "EmbeddingCache", "EmbedResult", "embed_texts", "FineTuneConfig", "FineTuneResult"],
    "catalog": ["ColumnMap", "RowIssue", "ValidationReport", "Catalog", "read_table", "load_catalog",
                "guess_columns", "safe_csv_bytes", "neutralise_formulas"],
    "retrieval": ["ProfileConfig", "UserInput", "UserProfile", "build_profile", "top_n", "mmr_rerank",
                  "cosine_scores", "recall_method", "ANNIndex", "EXACT_THRESHOLD"],
    "ranking": ["RankerConfig", "MLPRanker", "UserTowerConfig", "UserTower", "InteractionLog", "TrainingData", "load_interactions",
                "build_training_data", "TrainResult", "train_ranker", "fine_tune"],
    "recommend": ["Recommender", "RecommendConfig", "NewItemReport", "new_item_report", "item_audience",
                  "similar_items", "reach_by_group", "compare_audiences", "StoreRecommender", "LogEvidence",
                  "LogEvidenceConfig"],
    "demo": ["DOMAINS", "DemoDomain", "load_demo", "demo_recommender"],
    "analysis": ["compare_lists", "rank_biased_overlap", "swap_words", "fairness_probe", "Projection",
                 "ProjectionConfig", "project_items"],
    "metrics": ["recall_at_k", "ndcg_at_k"],
    "evaluation": ["EvalConfig", "PROTOCOLS", "PUBLISHED", "run_protocol"],
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE) + ["__version__"]


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'coldrec' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"coldrec.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
