"""The text + log hybrid for held-out comparisons: its log users are the training users only, and its ``k`` and
weight are chosen on validation users carved out of them (:func:`choose_log_evidence`), never on the users a
comparison reports. :func:`coldrec.evaluation.holdout_comparison` adds its row; ``scripts/train_demo_rankers.py``
ships the choice as ``data/<domain>/hybrid.json`` when it beats every baseline."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["HYBRID_METHOD", "LOG_GRID", "choose_log_evidence", "hybrid_recommender"]

HYBRID_METHOD = "hybrid (text + log)"
"""The hybrid's row name in :func:`coldrec.evaluation.holdout_comparison`."""

LOG_GRID: tuple[tuple[int, float], ...] = tuple((k, w) for k in (10, 30, 60) for w in (0.3, 0.5, 0.7, 0.9))
"""(similar users, log weight) pairs tried on validation users."""


def _evidence(user_vectors: np.ndarray, items_of: Sequence[np.ndarray], users: Sequence[int], n_items: int,
              config: Any) -> Any:
    from coldrec.recommend import LogEvidence

    users = list(users)
    return LogEvidence(config).fit(user_vectors[users], [items_of[u] for u in users], n_items)


def _ndcg(rec: Any, inputs: list, profiles: list, targets: list[set], k: int) -> float:
    from coldrec.metrics import MetricAccumulator

    acc = MetricAccumulator([k])
    for user, prof, t in zip(inputs, profiles, targets):
        rows = [rec.catalog.id_to_row[i] for i in rec.recommend(user, k, profile=prof)["item_id"]]
        acc.add(np.asarray([rows]), [t])
    return float(acc.result()[f"ndcg@{k}"]) if acc.users else 0.0


def choose_log_evidence(catalog: Any, item_vectors: np.ndarray, encoder: Any, user_vectors: np.ndarray,
                        items_of: Sequence[np.ndarray], train: Sequence[int], descriptions: Sequence[str],
                        popularity: np.ndarray, *, seed: int = 0, k: int = 10, folds: int = 5,
                        grid: Sequence[tuple[int, float]] = LOG_GRID) -> tuple[Any, dict[str, float]]:
    """``(LogEvidenceConfig, {"k=30 w=0.7": validation NDCG@k, …})``: ``folds`` inner folds over ``train``, each
    validating once (described by ``descriptions``, indexed like ``user_vectors``) while the other training users
    vote; NDCG@k pooled over all of them, so every training user validates and no held-out user is read.

    Raises:
        ColdrecError: fewer than 5 training users, or none of them has a positive.
    """
    from coldrec.recommend import LogEvidenceConfig, Recommender
    from coldrec.retrieval import UserInput

    train = np.asarray([u for u in train if len(items_of[int(u)])], dtype=np.int64)
    if len(train) < 5:
        raise ColdrecError(f"Only {len(train)} training user(s) with a positive: the hybrid's weight needs at "
                           "least 5 to validate on.")
    chunks = np.array_split(np.random.default_rng(seed + 1).permutation(train), min(folds, len(train)))
    inputs = {int(u): UserInput(description=str(descriptions[u])) for u in train}
    profiles: dict[int, Any] = {}
    totals = {o: 0.0 for o in grid}
    for chunk in chunks:
        voters = np.setdiff1d(train, chunk)
        for kk, w in grid:
            ev = _evidence(user_vectors, items_of, voters, len(item_vectors), LogEvidenceConfig(k=kk, weight=w))
            rec = Recommender(catalog, item_vectors, encoder, popularity=popularity, log_evidence=ev)
            if not profiles.keys() >= set(chunk.tolist()):
                profiles.update(zip(chunk.tolist(), rec.profiles([inputs[int(u)] for u in chunk])))
            totals[(kk, w)] += len(chunk) * _ndcg(rec, [inputs[int(u)] for u in chunk],
                                                  [profiles[int(u)] for u in chunk],
                                                  [set(np.asarray(items_of[u]).tolist()) for u in chunk], k)
    scores = {f"k={kk} w={w:g}": totals[(kk, w)] / len(train) for kk, w in grid}
    best = max(grid, key=lambda o: totals[o])
    return LogEvidenceConfig(k=best[0], weight=best[1]), scores


def hybrid_recommender(catalog: Any, item_vectors: np.ndarray, encoder: Any, user_ids: Sequence[str],
                       user_texts: dict[str, str], positives: Sequence[np.ndarray], train: Sequence[int],
                       popularity: np.ndarray, *, choice: Any = True, seed: int = 0, k: int = 10,
                       encode: Callable[[list[str]], np.ndarray] | None = None, config: Any = None
                       ) -> tuple[Any, Any, dict[str, float]]:
    """The hybrid :class:`coldrec.recommend.Recommender` whose log users are ``train`` (rows of ``user_ids``):
    ``choice`` True chooses ``k`` and the weight on validation users (:func:`choose_log_evidence`), a
    :class:`coldrec.recommend.LogEvidenceConfig` uses it as given. Returns ``(recommender, config, validation
    scores)``."""
    from coldrec.encoders import encode_as
    from coldrec.recommend import Recommender

    descriptions = [str(user_texts.get(u, "") or "") for u in user_ids]
    vectors = np.asarray(encode(descriptions) if encode is not None else encode_as(encoder, descriptions, "query"),
                         dtype=np.float32)
    scores: dict[str, float] = {}
    if choice is True:
        choice, scores = choose_log_evidence(catalog, item_vectors, encoder, vectors, positives, train,
                                             descriptions, popularity, seed=seed, k=k)
    ev = _evidence(vectors, positives, train, len(item_vectors), choice)
    return Recommender(catalog, item_vectors, encoder, popularity=popularity, config=config, log_evidence=ev), \
        choice, scores
