"""The one comparison of a ranker with its baselines on held-out log users, shared by every place that shows one.

The Ranker page (after training), the Evaluation page's quick check and ``scripts/train_demo_rankers.py`` (which
writes ``data/RANKERS.md`` and decides which demo ranker ships) all call :func:`holdout_comparison`, so they
report the same numbers for the same ranker and domain: the users :func:`coldrec.ranking.split_users` holds out,
the whole catalog as candidates, recall@k / NDCG@k of the top ``k``. The cosine and ranker rows are the lists
:meth:`coldrec.recommend.Recommender.recommend` returns (the app's list, with its defaults), so a change to the
pipeline's defaults shows up here.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from coldrec.errors import ColdrecError

__all__ = ["holdout_comparison", "HOLDOUT_BASELINES", "describe_holdout"]

HOLDOUT_BASELINES = ("popularity", "tfidf", "cosine (zero-shot)")
"""Baseline rows of :func:`holdout_comparison`, in table order (the ranker's row, when there is one, follows)."""


def describe_holdout(frame: pd.DataFrame) -> str:
    """One line saying what a :func:`holdout_comparison` table measures (both pages show it under the table)."""
    a = frame.attrs
    ranker = f"cosine top-{a.get('n', '?')} re-ranked by the ranker" if a.get("ranker") else "cosine order"
    return (f"{a.get('users', '?')} held-out log users (seed {a.get('seed', '?')}, "
            f"{float(a.get('test_fraction', 0.2)):.0%} of the log, never seen in training), profiles from their "
            f"{a.get('profile_source', '?')}; recall@{a.get('k', 10)} / NDCG@{a.get('k', 10)} of the list the app "
            f"serves ({ranker}) against all their clicks, over the whole catalog; popularity counts only the "
            "training users.")


def _tfidf_scores(item_texts: Sequence[str], user_texts: Sequence[str] | None,
                  liked: Sequence[np.ndarray]) -> np.ndarray:
    """TF-IDF cosine of each held-out user (description, else mean of liked items) with every item."""
    from coldrec.evaluation._common import _rows_mean_sparse, tfidf_vectorizer

    items = [str(t or "") for t in item_texts]
    users = [str(t or "") for t in user_texts] if user_texts is not None else []
    vec = tfidf_vectorizer(items + users, stop_words="english").fit(items + users)
    Xi = vec.transform(items)
    Xu = vec.transform(users) if user_texts is not None else _rows_mean_sparse(Xi, [np.asarray(l) for l in liked])
    return np.asarray((Xu @ Xi.T).todense(), dtype=np.float64)


def _rows(frame: pd.DataFrame, id_to_row: dict[str, int]) -> np.ndarray:
    return np.asarray([id_to_row[i] for i in frame["item_id"]], dtype=np.int64)


def holdout_comparison(
    catalog: Any,
    item_vectors: np.ndarray,
    encoder: Any,
    log: Any,
    *,
    ranker: Any = None,
    user_texts: dict[str, str] | None = None,
    encode: Callable[[list[str]], np.ndarray] | None = None,
    seed: int | None = None,
    test_fraction: float | None = None,
    k: int = 10,
    config: Any = None,
    log_evidence: Any = None,
) -> pd.DataFrame:
    """Popularity, TF-IDF, cosine and the ranker on the same held-out users, candidates and metric.

    Args:
        catalog: the :class:`coldrec.catalog.Catalog` of ``item_vectors``.
        item_vectors: catalog matrix (unit rows).
        encoder: the items' encoder; held-out users' profiles are built by the recommender with it.
        log: a :class:`coldrec.ranking.InteractionLog` (the one the ranker was trained on).
        ranker: a fitted :class:`coldrec.ranking.MLPRanker`, or None (cosine is what the app serves).
        user_texts: user id -> description (profiles from descriptions); None: profiles from each user's earlier
            positives, as :func:`coldrec.ranking.build_training_data` does.
        encode: texts -> vectors for :func:`coldrec.ranking.build_training_data` (default ``encoder.encode``).
        seed: split seed; default the ranker's training split (``trained_on["holdout"]``, else its config seed),
            else 0.
        test_fraction: share of users held out; default the ranker's, else 0.2.
        k: list length of the metrics.
        config: a :class:`coldrec.recommend.RecommendConfig` for the served lists (default: the app's defaults).
        log_evidence: add the ``hybrid (text + log)`` row — the text blended with the votes of the most similar
            *training* users (:mod:`coldrec.evaluation._log_choice`): ``True`` chooses its ``k`` and weight on
            validation users carved out of the training users, a :class:`coldrec.recommend.LogEvidenceConfig`
            uses that choice. Needs ``user_texts``. The choice and its validation scores go to ``attrs["hybrid"]``.

    Returns:
        One row per method (:data:`HOLDOUT_BASELINES`, then ``ranker.config.method_name``) with ``recall@k``,
        ``ndcg@k``, ``auc`` (clicked vs shown-and-skipped items) and ``users``; ``attrs`` hold the protocol
        (``users``, ``seed``, ``test_fraction``, ``k``, ``n``, ``profile_source``, ``ranker``, ``test_users``)
        for :func:`describe_holdout`.

    Raises:
        ColdrecError: ``k`` is below 1, or the log has fewer than 5 usable users.

    Example:
        >>> frame = holdout_comparison(demo.catalog, E, enc, demo.interactions, ranker=rec.ranker,
        ...                            user_texts=demo.user_texts)          # doctest: +SKIP
        >>> describe_holdout(frame)                                          # doctest: +SKIP
    """
    from coldrec.metrics import MetricAccumulator
    from coldrec.ranking import auc, build_training_data, split_users
    from coldrec.recommend import Recommender
    from coldrec.retrieval import UserInput

    if k < 1:
        raise ColdrecError(f"k must be at least 1, got {k!r}; 10 is the pages' list length.")
    held = dict(getattr(ranker, "trained_on", {}) or {}).get("holdout") or {}
    seed = int(held.get("seed", getattr(getattr(ranker, "config", None), "seed", 0)) if seed is None else seed)
    test_fraction = float(held.get("test_fraction", 0.2) if test_fraction is None else test_fraction)
    data = build_training_data(log, catalog.id_to_row, item_vectors, encode=encode or encoder.encode,
                               user_texts=user_texts)
    if len(data.user_ids) < 5:
        raise ColdrecError(f"Only {len(data.user_ids)} usable user(s) in the log: at least 5 are needed to hold "
                           "some out; add interactions or user descriptions.")
    test, train = split_users(len(data.user_ids), test_fraction, seed)
    pop = np.zeros(len(item_vectors), dtype=np.float32)
    for u in train:
        np.add.at(pop, data.positives[u], 1.0)
        np.add.at(pop, data.liked[u], 1.0)
    served = {"cosine (zero-shot)": Recommender(catalog, item_vectors, encoder, popularity=pop, config=config)}
    if ranker is not None:
        served[ranker.config.method_name] = Recommender(catalog, item_vectors, encoder, ranker=ranker,
                                                        popularity=pop, config=config)
    hybrid_info = None
    if log_evidence is not None and log_evidence is not False:
        from coldrec.evaluation._log_choice import HYBRID_METHOD, hybrid_recommender

        if not user_texts:
            raise ColdrecError("The hybrid row needs the log users' descriptions (user_texts): its votes come from "
                               "the training users nearest to each held-out user's description.")
        voted = [np.union1d(data.positives[u], data.liked[u]) for u in range(len(data.user_ids))]
        served[HYBRID_METHOD], choice, val_scores = hybrid_recommender(
            catalog, item_vectors, encoder, data.user_ids, user_texts, voted, train, pop, choice=log_evidence,
            seed=seed, k=k, encode=encode, config=config)
        hybrid_info = {"k": choice.k, "weight": choice.weight, "validation_ndcg": val_scores}
    ids = list(catalog.ids)
    users = [UserInput(description=str(user_texts[data.user_ids[u]])) if user_texts else
             UserInput(liked=[ids[r] for r in data.liked[u]]) for u in test]
    any_rec = served["cosine (zero-shot)"]
    profiles = any_rec.profiles(users)
    tfidf = _tfidf_scores(catalog.texts, [u.description for u in users] if user_texts else None,
                          [data.liked[u] for u in test])
    names = [*HOLDOUT_BASELINES, *([ranker.config.method_name] if ranker is not None else []),
             *[m for m in served if m not in HOLDOUT_BASELINES and (ranker is None or m != ranker.config.method_name)]]
    acc = {m: MetricAccumulator([k]) for m in names}
    aucs: dict[str, list[float]] = {m: [] for m in names}
    for j, u in enumerate(test):
        pos, neg, seen = data.positives[u], data.negatives[u], data.liked[u]
        if not len(pos):
            continue
        tops, scores = {}, {"popularity": pop.astype(np.float64), "tfidf": tfidf[j]}
        for name in ("popularity", "tfidf"):
            s = scores[name].copy()
            s[seen] = -np.inf
            tops[name] = np.argsort(-s, kind="stable")[:k]
        for name, rec in served.items():
            tops[name] = _rows(rec.recommend(users[j], k, profile=profiles[j]), catalog.id_to_row)
        scores["cosine (zero-shot)"] = item_vectors @ profiles[j].vector
        for name in names:
            acc[name].add(tops[name][None, :], [set(pos.tolist())])
        for name in HOLDOUT_BASELINES if len(neg) else ():
            aucs[name].append(auc(scores[name][pos], scores[name][neg]))
        if ranker is not None and len(neg):
            rec = served[ranker.config.method_name]
            both = np.concatenate([pos, neg])
            s = ranker.score(item_vectors[both], profiles[j].vector, rec.ranker_popularity[both])
            aucs[ranker.config.method_name].append(auc(s[: len(pos)], s[len(pos):]))
    rows = []
    for name in names:
        res, vals = acc[name].result(), [a for a in aucs[name] if np.isfinite(a)]
        rows.append({"method": name, f"recall@{k}": res[f"recall@{k}"], f"ndcg@{k}": res[f"ndcg@{k}"],
                     "auc": float(np.mean(vals)) if vals else float("nan"), "users": acc[name].users})
    frame = pd.DataFrame(rows)
    frame.attrs.update({"users": int(acc[names[0]].users), "seed": seed, "test_fraction": test_fraction, "k": k,
                        "n": int(any_rec.config.n), "profile_source": data.profile_source,
                        "ranker": ranker.config.method_name if ranker is not None else None,
                        "test_users": [data.user_ids[u] for u in test], "hybrid": hybrid_info})
    return frame
