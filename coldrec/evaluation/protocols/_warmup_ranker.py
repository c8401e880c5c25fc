"""The trained coldrec ranker as a warm-up method: the app's :class:`coldrec.ranking.MLPRanker`, trained on a fold's
CF-fit users only and chosen (feature set) on the validation users, scoring every point.

A user's profile at ``s`` known items is the app's (:class:`coldrec.retrieval.ProfileConfig` defaults): the unit
mean of the known items' vectors plus the unit description vector where users have text, normalised. Training
examples: one per fit user, at a seeded point among those the user has enough items for; the positives are that
split's targets and the known items are the ``liked`` rows left out of recall, as at serving. Scoring re-ranks the
top ``recall_n`` cosine candidates (known items excluded) with the ranker, above the rest of the catalog (the
app's :func:`coldrec.ranking.rerank`).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from coldrec.evaluation.protocols._warmup import split_user, split_users


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def profile_vectors(E: np.ndarray, D: np.ndarray | None, users: np.ndarray, known: Sequence[np.ndarray]
                    ) -> np.ndarray:
    """Unit profile vectors ``(len(users), d)``: unit(mean of ``E[known]``) + unit(``D[user]``), normalised (a user
    with neither gets a zero vector)."""
    out = np.zeros((len(users), E.shape[1]), np.float32)
    for r, k in enumerate(known):
        if len(k):
            out[r] = _unit(E[np.asarray(k, np.int64)].mean(0))
    if D is not None and len(users):
        out += _unit(np.asarray(D[np.asarray(users, np.int64)], np.float32))
    return _unit(out).astype(np.float32)


def training_examples(data: Any, users: np.ndarray, points: Sequence[int], seed: int
                      ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """One (profile vector, targets, known) per user of ``users`` at a seeded point they have enough items for
    (0 known only where users have text)."""
    rng = np.random.default_rng(seed)
    pts = [s for s in points if s > 0 or data.user_vectors is not None]
    us, known, pos = [], [], []
    for u in users:
        options = [sp for sp in (split_user(data.seqs[u], s, data.mode) for s in pts) if sp is not None]
        if options:
            k, t = options[int(rng.integers(len(options)))]
            us.append(int(u))
            known.append(k)
            pos.append(np.array(sorted(t), np.int64))
    U = profile_vectors(data.item_vectors, data.user_vectors, np.array(us, np.int64), known)
    return U, pos, known


def fit_ranker(data: Any, fit_users: np.ndarray, popularity: np.ndarray, features: str, points: Sequence[int],
               seed: int, epochs: int):
    """The app's ranker (``features``: ``concat`` or ``rich``) trained on ``fit_users`` only."""
    from coldrec.ranking import MLPRanker, RankerConfig

    U, pos, known = training_examples(data, fit_users, points, seed)
    cfg = RankerConfig(features=features, epochs=epochs, seed=seed)
    return MLPRanker(cfg).fit(data.item_vectors, U, pos, popularity=popularity, liked=known)


def ranker_scores(ranker, data: Any, users: np.ndarray, known: Sequence[np.ndarray], popularity: np.ndarray,
                  batch: int = 512) -> np.ndarray | None:
    """``(len(users), n_items)`` scores: the ranker's order on each user's top ``recall_n`` cosine candidates
    (known items left out), above the rest in cosine order; None when nobody has a profile (0 known, no text)."""
    from coldrec.ranking import rerank, recall_candidates

    if data.user_vectors is None and not any(len(k) for k in known):
        return None
    E = data.item_vectors
    U = profile_vectors(E, data.user_vectors, users, known)
    n = ranker.config.recall_n
    out = np.empty((len(users), E.shape[0]), np.float64)
    for b in range(0, len(users), batch):
        sl = slice(b, b + batch)
        zs, top = recall_candidates(E, U[sl], n, known[sl])
        I = E[top]
        S = ranker.scalar_features(I, U[sl][:, None, :], popularity[top]) if ranker.config.scalars else \
            np.zeros(top.shape + (0,), np.float32)
        out[sl] = rerank(zs, top, ranker.score_batch(I, U[sl], S))
    for r, k in enumerate(known):  # a catalog smaller than recall_n recalls the known items too: keep them out
        out[r, np.asarray(k, np.int64)] = -np.inf
    return out


def choose_ranker(data: Any, cfg: Any, fit_users: np.ndarray, val_users: np.ndarray, X, seed: int
                  ) -> dict[str, Any] | None:
    """Train one ranker per ``cfg.ranker_features`` on ``fit_users`` and keep the one with the best NDCG@10 of the
    validation users pooled over the points; None when ``data`` has no vectors or the study runs without it."""
    from coldrec.evaluation.protocols._warmup import ValidationSet

    if data.item_vectors is None or not cfg.ranker_features:
        return None
    pop = np.asarray(X.sum(0)).ravel().astype(np.float32)
    best = None
    for feat in cfg.ranker_features:
        rk = fit_ranker(data, fit_users, pop, feat, cfg.points, seed, cfg.ranker_epochs)
        num = den = 0.0
        for s in cfg.points:
            us, known, targets = split_users(data.seqs, val_users, s, data.mode)
            sc = ranker_scores(rk, data, us, known, pop) if len(us) else None
            if sc is not None:
                num += ValidationSet(data.n_items, targets, known).ndcg(sc) * len(us)
                den += len(us)
        val = num / den if den else 0.0
        if best is None or val > best["val_ndcg@10"]:
            best = {"model": rk, "features": feat, "val_ndcg@10": round(val, 6), "popularity": pop}
    return best
