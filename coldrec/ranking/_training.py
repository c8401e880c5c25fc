"""Train a ranker on an interaction log and judge it on held-out (cold) users against simple baselines.

One call used by the CLI (``coldrec train-ranker``), the app's Ranker page and ``scripts/train_demo_rankers.py``.
Users are split before training: the ranker never sees the held-out users, which is what a cold user is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from coldrec.errors import ColdrecError
from coldrec.ranking._interactions import InteractionLog, TrainingData, build_training_data
from coldrec.metrics import MetricAccumulator
from coldrec.ranking._ranker import MLPRanker, RankerConfig, auc

__all__ = ["TrainResult", "train_ranker", "holdout_metrics", "split_users"]


@dataclass
class TrainResult:
    """A fitted ranker and how it compares on held-out users."""

    ranker: MLPRanker
    metrics: pd.DataFrame
    """One row per method (popularity, cosine, the ranker): recall@10, ndcg@10, auc on held-out users."""
    data: TrainingData
    test_users: list[str]
    seconds: float
    warnings: list[str] = field(default_factory=list)


def split_users(n_users: int, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The seeded user split of :func:`train_ranker`: ``(test, train)`` positions into the training data's users.

    The Ranker page, the Evaluation page's quick check and ``scripts/train_demo_rankers.py`` all hold out these
    users, so a ranker is only ever measured on users it never saw (same seed, same fraction, same log).

    Raises:
        ColdrecError: ``test_fraction`` is not strictly between 0 and 1.
    """
    if not 0 < test_fraction < 1:
        raise ColdrecError(f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction!r}; "
                           "0.2 holds out a fifth of the users.")
    perm = np.random.default_rng(seed).permutation(n_users)
    n_test = max(1, int(round(n_users * test_fraction)))
    return perm[:n_test], perm[n_test:]


def holdout_metrics(
    item_vectors: np.ndarray,
    user_vectors: np.ndarray,
    positives: list[np.ndarray],
    negatives: list[np.ndarray],
    popularity: np.ndarray,
    ranker: MLPRanker | None,
    n: int | None = None,
    k: int = 10,
    liked: list[np.ndarray] | None = None,
) -> pd.DataFrame:
    """Recall@k / NDCG@k over the whole catalog and AUC (positives vs shown-and-skipped) for each method.

    Each user's list is what :meth:`coldrec.recommend.Recommender.recommend` returns: the cosine recall of ``n``
    items (default ``ranker.config.recall_n``, else 100; the user's ``liked`` profile items left out) re-ordered
    by the ranker, which reads its own saved popularity when it has one (else ``popularity``).
    """
    from coldrec.retrieval import top_n

    n = int(n or (ranker.config.recall_n if ranker is not None else 100))
    n = max(n, k)
    methods: dict[str, MetricAccumulator] = {}
    aucs: dict[str, list[float]] = {}
    names = ["popularity", "cosine (zero-shot)"] + ([ranker.config.method_name] if ranker is not None else [])
    rank_pop = popularity if ranker is None or ranker.item_popularity is None else ranker.item_popularity
    for name in names:
        methods[name] = MetricAccumulator([k])
        aucs[name] = []
    for u in range(len(user_vectors)):
        pos, neg = positives[u], negatives[u]
        if not len(pos):
            continue
        seen = liked[u] if liked is not None else np.zeros(0, np.int64)
        cos = item_vectors @ user_vectors[u]
        pop_u = np.asarray(popularity, np.float64).copy()
        pop_u[seen] = -np.inf
        cand, _ = top_n(item_vectors, user_vectors[u], n, exclude=seen.tolist())
        tops = {"popularity": np.argsort(-pop_u, kind="stable")[:k], "cosine (zero-shot)": cand[:k]}
        scored = {"popularity": popularity, "cosine (zero-shot)": cos}
        if ranker is not None:
            s = ranker.score(item_vectors[cand], user_vectors[u], rank_pop[cand])
            tops[ranker.config.method_name] = cand[np.argsort(-s, kind="stable")][:k]
            if len(neg):
                rows = np.concatenate([pos, neg])
                full = ranker.score(item_vectors[rows], user_vectors[u], rank_pop[rows])
                aucs[ranker.config.method_name].append(auc(full[: len(pos)], full[len(pos):]))
        for name, top in tops.items():
            methods[name].add(top[None, :], [set(pos.tolist())])
            if len(neg) and name in scored:
                aucs[name].append(auc(scored[name][pos], scored[name][neg]))
    rows = []
    for name in names:
        res = methods[name].result()
        vals = [a for a in aucs[name] if np.isfinite(a)]
        rows.append({"method": name, f"recall@{k}": res[f"recall@{k}"], f"ndcg@{k}": res[f"ndcg@{k}"],
                     "auc": float(np.mean(vals)) if vals else float("nan"), "users": methods[name].users})
    return pd.DataFrame(rows)


def train_ranker(
    catalog,
    item_vectors: np.ndarray,
    log: InteractionLog,
    *,
    encode: Callable[[list[str]], np.ndarray] | None = None,
    user_texts: dict[str, str] | None = None,
    config: RankerConfig | None = None,
    test_fraction: float = 0.2,
    progress: Callable[[dict[str, float]], None] | None = None,
    encoder_name: str | None = None,
) -> TrainResult:
    """Split users, fit an :class:`MLPRanker`, and compare it with popularity and cosine on held-out users.

    The ranker's popularity feature reads the training users' counts; they are saved with the checkpoint (keyed
    by item id) and :class:`coldrec.recommend.Recommender` serves with exactly these counts.

    Args:
        catalog: the :class:`coldrec.catalog.Catalog` of ``item_vectors``.
        item_vectors: catalog matrix.
        log: from :func:`coldrec.ranking.load_interactions`.
        encode: texts -> vectors (same encoder as the items), needed with ``user_texts``.
        user_texts: user id -> description; without it, profiles come from each user's earlier positives.
        config: ranker hyperparameters.
        test_fraction: share of users held out for the comparison table.
        progress: per-epoch callback (see :meth:`MLPRanker.fit`).
        encoder_name: recorded in the checkpoint so a ranker is only reused with its encoder.

    Example:
        >>> from coldrec.demo import load_demo                                     # doctest: +SKIP
        >>> demo = load_demo("news"); enc = coldrec.load_encoder()                 # doctest: +SKIP
        >>> E = coldrec.embed_texts(enc, demo.catalog.texts).vectors               # doctest: +SKIP
        >>> res = train_ranker(demo.catalog, E, demo.interactions, encode=enc.encode,
        ...                    user_texts=demo.user_texts)                         # doctest: +SKIP
        >>> res.metrics                                                            # doctest: +SKIP
    """
    from dataclasses import asdict

    from coldrec.retrieval import ProfileConfig

    t0 = time.perf_counter()
    cfg = config or RankerConfig()
    if not 0 < test_fraction < 1:
        raise ColdrecError(f"test_fraction must be between 0 and 1, got {test_fraction!r}.")
    data = build_training_data(log, catalog.id_to_row, item_vectors, encode=encode, user_texts=user_texts)
    n_users = len(data.user_ids)
    if n_users < 5:
        raise ColdrecError(f"Only {n_users} usable user(s) in the log: at least 5 are needed to train and test.")
    test, train = split_users(n_users, test_fraction, cfg.seed)
    # popularity from training users only: held-out users' clicks must not leak into features
    pop = np.zeros(len(item_vectors), dtype=np.float32)
    for u in train:
        np.add.at(pop, data.positives[u], 1.0)
        np.add.at(pop, data.liked[u], 1.0)
    ranker = MLPRanker(cfg).fit(
        item_vectors, data.user_vectors[train], [data.positives[u] for u in train], popularity=pop,
        negatives=[data.negatives[u] for u in train], liked=[data.liked[u] for u in train],
        item_ids=list(catalog.ids), progress=progress,
    )
    ranker.trained_on.update({"encoder": encoder_name, "catalog": getattr(catalog, "name", None),
                              "profile_source": data.profile_source, "profile_config": asdict(ProfileConfig()),
                              "popularity": "positive interactions of the training users (held-out users left out)",
                              "holdout": {"seed": cfg.seed, "test_fraction": test_fraction}})
    metrics = holdout_metrics(item_vectors, data.user_vectors[test], [data.positives[u] for u in test],
                              [data.negatives[u] for u in test], pop, ranker, liked=[data.liked[u] for u in test])
    return TrainResult(ranker, metrics, data, [data.user_ids[u] for u in test], time.perf_counter() - t0,
                       list(data.warnings))
