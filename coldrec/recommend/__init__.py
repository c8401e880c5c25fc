"""Recommend: the pipeline (profile → recall → rank → table with reasons), item cold start (audience) and plain
data views of its results for display.
"""

from __future__ import annotations

from coldrec.recommend._pipeline import Recommender, RecommendConfig, RESULT_COLUMNS, explain
from coldrec.recommend._explain import MATCH_LEVELS, RANKER_NOTE_MIN, match_level
from coldrec.recommend._audience import AUDIENCE_COLUMNS, NewItemReport, compare_audiences, item_audience, median_popularity, new_item_report, reach_by_group, similar_items, uses_popularity
from coldrec.recommend._log_evidence import HYBRID_FILE, LogEvidence, LogEvidenceConfig
from coldrec.recommend._store import SAMPLE_ROWS, StoreRecommender, store_location
from coldrec.recommend._feedback import STRATEGIES, FeedbackRound, FeedbackSession, feedback_recommend, positives_by_user, simulate_session, simulate_sessions

__all__ = [
    "Recommender",
    "StoreRecommender",
    "LogEvidence",
    "LogEvidenceConfig",
    "HYBRID_FILE",
    "store_location",
    "SAMPLE_ROWS",
    "RecommendConfig",
    "RESULT_COLUMNS",
    "explain",
    "MATCH_LEVELS",
    "RANKER_NOTE_MIN",
    "match_level",
    "AUDIENCE_COLUMNS",
    "NewItemReport",
    "compare_audiences",
    "item_audience",
    "median_popularity",
    "new_item_report",
    "reach_by_group",
    "similar_items",
    "uses_popularity",
    "STRATEGIES",
    "FeedbackRound",
    "FeedbackSession",
    "feedback_recommend",
    "positives_by_user",
    "simulate_session",
    "simulate_sessions",
]
