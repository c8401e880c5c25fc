"""Retrieval: user profiles (seed §3.2.2) and recall of the top-N items by cosine (§3.2.3), exact or through an
ANN index.
"""

from __future__ import annotations

from coldrec.retrieval._profiles import ProfileConfig, UserInput, UserProfile, build_profile, build_profiles, split_sentences
from coldrec.retrieval._recall import (cosine_scores, top_n, mmr_rerank, popularity_prior, recall_method,
                                       standardize_rows)
from coldrec.retrieval._index import EXACT_THRESHOLD, IndexConfig, ANNIndex, index_for, content_hash, KINDS
from coldrec.retrieval._exact import exact_top_k, single_thread_blas
from coldrec.retrieval._cf import EASE, EASEConfig, ItemKNN, interaction_matrix
from coldrec.retrieval._milvus import (MilvusStore, StoreConfig, IndexURI, parse_index_uri, filter_expression,
                                        MissingExtraError, require_extra, SCALE_INSTALL)

__all__ = [
    "ProfileConfig",
    "UserInput",
    "UserProfile",
    "build_profile",
    "build_profiles",
    "split_sentences",
    "cosine_scores",
    "top_n",
    "mmr_rerank",
    "popularity_prior",
    "recall_method",
    "standardize_rows",
    "EXACT_THRESHOLD",
    "IndexConfig",
    "ANNIndex",
    "index_for",
    "content_hash",
    "KINDS",
    "exact_top_k",
    "single_thread_blas",
    "EASE",
    "EASEConfig",
    "ItemKNN",
    "interaction_matrix",
    "MilvusStore",
    "StoreConfig",
    "IndexURI",
    "parse_index_uri",
    "filter_expression",
    "MissingExtraError",
    "require_extra",
    "SCALE_INSTALL",
]
