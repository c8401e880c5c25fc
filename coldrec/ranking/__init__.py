"""Ranking (seed §3.2.4): the ranker family, its features, interaction logs, the trainer and checkpoints.
"""

from __future__ import annotations

from coldrec.ranking._ranker import RankerConfig, MLPRanker, auc
from coldrec.ranking._features import FEATURE_SETS, feature_dim, build_features, log_popularity, training_pairs, mlp_layers
from coldrec.ranking._interactions import InteractionLog, TrainingData, load_interactions, build_training_data, popularity_counts
from coldrec.ranking._training import TrainResult, train_ranker, holdout_metrics
from coldrec.ranking._checkpoints import RANKER_DIR, save_named, saved_names, load_named, load_from_bytes, checkpoint_files

__all__ = [
    "RankerConfig",
    "MLPRanker",
    "auc",
    "FEATURE_SETS",
    "feature_dim",
    "build_features",
    "log_popularity",
    "training_pairs",
    "mlp_layers",
    "InteractionLog",
    "TrainingData",
    "load_interactions",
    "build_training_data",
    "popularity_counts",
    "TrainResult",
    "train_ranker",
    "holdout_metrics",
    "RANKER_DIR",
    "save_named",
    "saved_names",
    "load_named",
    "load_from_bytes",
    "checkpoint_files",
]
