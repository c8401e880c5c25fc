"""Ranking (seed §3.2.4): the ranker family, its features, trainer, interaction logs and checkpoints.
"""

from __future__ import annotations

from coldrec.ranking._ranker import RankerConfig, MLPRanker, auc
from coldrec.ranking._features import FEATURE_SETS, OBJECTIVES, APP_SCALARS, log_popularity
from coldrec.ranking._trainer import sample_negatives, rerank
from coldrec.ranking._fit import recall_candidates
from coldrec.ranking._checkpoint_io import FORMAT as CHECKPOINT_FORMAT, read_config
from coldrec.ranking._interactions import InteractionLog, TrainingData, load_interactions, build_training_data, popularity_counts
from coldrec.ranking._training import TrainResult, train_ranker, holdout_metrics, split_users
from coldrec.ranking._text_popularity import fit_text_popularity
from coldrec.ranking._segment_popularity import (SegmentPopularityConfig, SegmentPopularity, choose_segment_strengths,
                                                 age_buckets)
from coldrec.ranking._user_tower import UserTowerConfig, UserTower
from coldrec.ranking._finetune import fine_tune, log_pairs
from coldrec.ranking._checkpoints import RANKER_DIR, save_named, saved_names, load_named, load_from_bytes, checkpoint_files

__all__ = [
    "RankerConfig",
    "UserTowerConfig",
    "UserTower",
    "MLPRanker",
    "auc",
    "FEATURE_SETS",
    "OBJECTIVES",
    "APP_SCALARS",
    "log_popularity",
    "sample_negatives",
    "rerank",
    "recall_candidates",
    "CHECKPOINT_FORMAT",
    "read_config",
    "fit_text_popularity",
    "SegmentPopularityConfig",
    "SegmentPopularity",
    "choose_segment_strengths",
    "age_buckets",
    "InteractionLog",
    "TrainingData",
    "load_interactions",
    "build_training_data",
    "popularity_counts",
    "TrainResult",
    "train_ranker",
    "holdout_metrics",
    "split_users",
    "RANKER_DIR",
    "save_named",
    "saved_names",
    "load_named",
    "load_from_bytes",
    "checkpoint_files",
    "fine_tune",
    "log_pairs",
]
