"""Metrics: ranking quality per user and over score matrices, and list-comparison measures.

Its own folder because three stages read it: the ranker's trainer (early stopping, held-out metrics), the
evaluation protocols and the what-if tools. Keeping it below all three is what keeps the house free of cycles.

Example:
    >>> from coldrec.metrics import recall_at_k, ndcg_at_k
    >>> recall_at_k(["a", "b", "c"], {"b"}, k=2), round(ndcg_at_k(["a", "b"], {"b"}, k=2), 4)
    (1.0, 0.6309)
"""

from __future__ import annotations

from coldrec.metrics._ranking import (MetricAccumulator, MetricError, hit_rate_at_k, jaccard, ndcg_at_k, overlap_at_k,
                                      precision_at_k, ranking_metrics, recall_at_k, topk_rows)

__all__ = ["MetricError", "recall_at_k", "ndcg_at_k", "hit_rate_at_k", "precision_at_k", "topk_rows", "ranking_metrics",
           "MetricAccumulator", "jaccard", "overlap_at_k"]
