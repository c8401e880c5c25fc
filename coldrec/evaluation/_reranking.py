"""How the protocols use the library's ranker: candidate sets, scalar-feature stacks, re-ranked score matrices.

No model lives here. Every protocol trains :class:`coldrec.ranking.MLPRanker` (the class the app, the CLI and the
demo checkpoints use) through :meth:`MLPRanker.fit_batches` with a :class:`coldrec.ranking.RankerConfig` built by
:func:`ranker_config` from the protocol's :class:`EvalConfig`, and scores with :meth:`MLPRanker.score_batch`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np

from coldrec.evaluation._common import EvalConfig, Log, _Evaluator, _normalize, history_scores
from coldrec.metrics import topk_rows
from coldrec.ranking import MLPRanker, RankerConfig, rerank, sample_negatives

__all__ = ["ranker_config", "train_protocol_ranker", "set_features"]


def ranker_config(cfg: EvalConfig, features: str, scalars: Sequence[str] = (), **overrides) -> RankerConfig:
    """The :class:`RankerConfig` a protocol trains with: the listwise hyperparameters of ``cfg`` (+ overrides)."""
    base = dict(features=features, objective=cfg.objective, scalars=tuple(scalars),
                hidden=(cfg.hidden, cfg.hidden // 2), dropout=cfg.dropout, lr=cfg.lr,
                weight_decay=cfg.weight_decay, epochs=cfg.epochs, batch_size=cfg.batch_size,
                negatives=cfg.negatives, max_examples=cfg.max_examples, recall_n=cfg.recall_n,
                skip_init=cfg.skip_init, standardize=cfg.standardize, patience=2, seed=cfg.seed)
    base.update(overrides)
    return RankerConfig(**base)


def train_protocol_ranker(features: str, d: int, scalars: Sequence[str], n_examples: int,
                          make_batch: Callable[[np.ndarray, np.random.Generator], tuple],
                          validate: Callable[[MLPRanker], float], cfg: EvalConfig, log: Log, tag: str,
                          **overrides) -> tuple[MLPRanker, list]:
    """Fit an :class:`MLPRanker` on a protocol's candidate sets; returns it and its per-epoch history."""
    ranker = MLPRanker(ranker_config(cfg, features, scalars, **overrides))
    ranker.fit_batches(make_batch, n_examples, validate, dim=d, log=log, tag=tag)
    ranker.trained_on.update({"protocol_tag": tag, "examples": int(n_examples)})
    return ranker, ranker.history


def config_record(ranker: MLPRanker) -> dict:
    """``asdict(ranker.config)`` for the result JSON (which public class and config produced a row)."""
    return {"class": "coldrec.ranking.MLPRanker", **dataclasses.asdict(ranker.config)}


# ================================================================================================ set features
def set_features(E: np.ndarray, profiles: Sequence[np.ndarray], cand_items: np.ndarray, taus: Sequence[float | None],
                 batch: int = 256) -> dict[str, np.ndarray]:
    """Per (user, candidate) similarity features of an unordered profile (a set of item rows of ``E``).

    Returns arrays ``(n_users, n_cand)``: ``kernel:<tau>`` for each tau (None = mean cosine), ``max`` (max-sim),
    ``cos`` (cosine with the normalised mean profile). Users with an empty profile get zeros.
    """
    C = E[cand_items]
    n_u, n_c = len(profiles), len(cand_items)
    out = {f"kernel:{t}": np.zeros((n_u, n_c), np.float32) for t in taus}
    out["max"] = np.zeros((n_u, n_c), np.float32)
    out["cos"] = np.zeros((n_u, n_c), np.float32)
    for s in range(0, n_u, batch):
        idx = [i for i in range(s, min(s + batch, n_u)) if len(profiles[i])]
        if not idx:
            continue
        hists = [profiles[i] for i in idx]
        lengths = [len(h) for h in hists]
        sims = E[np.concatenate(hists)] @ C.T
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        for t in taus:
            out[f"kernel:{t}"][idx] = history_scores(sims, lengths, None, t)
        out["max"][idx] = np.maximum.reduceat(sims, starts, axis=0)
        prof = _normalize(np.stack([E[h].mean(0) for h in hists]))
        out["cos"][idx] = prof @ C.T
    return out


def _eval_matrix(scores: np.ndarray, cand_items: np.ndarray, targets: Sequence[set], ks: Sequence[int],
                 rng: np.random.Generator, exclude: Sequence[Sequence[int]] | None = None, jitter: bool = False,
                 batch: int = 1024) -> dict[str, float]:
    ev = _Evaluator(ks, cand_items, rng)
    for s in range(0, len(targets), batch):
        ev.add(scores[s:s + batch], targets[s:s + batch], None if exclude is None else exclude[s:s + batch], jitter)
    return ev.result()


def _feature_stack(feats: dict[str, np.ndarray], names: Sequence[str], rows: np.ndarray, cols: np.ndarray,
                   extra: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Gather ``(B, M, len(names))`` scalar features at (rows[b], cols[b, m]); ``extra`` are per-column arrays."""
    out = np.empty(cols.shape + (len(names),), np.float32)
    for j, nm in enumerate(names):
        if extra and nm in extra:
            out[..., j] = extra[nm][cols]
        else:
            out[..., j] = feats[nm][rows[:, None], cols]
    return out


def _train_set_ranker(feat: str, E: np.ndarray, user_vecs: np.ndarray, feats: dict[str, np.ndarray],
                      names: Sequence[str], pairs: np.ndarray, pos_sets: Sequence[set], cand_items: np.ndarray,
                      col_extra: dict[str, np.ndarray] | None, validate: Callable, cfg: EvalConfig, log: Log,
                      tag: str, **overrides) -> tuple[MLPRanker, list]:
    """Train on (user row, positive column) pairs; negatives from the same candidate columns (half hard: the
    user's top-``recall_n`` by the first feature, half uniform)."""
    N = min(cfg.recall_n, len(cand_items))
    zs = feats[names[0]]
    pools = topk_rows(zs, N)  # per user row
    n_c = len(cand_items)

    def make_batch(bidx, rng):
        rows = pairs[bidx, 0]
        pos = pairs[bidx, 1]
        neg = sample_negatives(pools[rows], [pos_sets[r] for r in rows], n_c, cfg.negatives, rng)
        cols = np.concatenate([pos[:, None], neg], axis=1)
        return E[cand_items[cols]], user_vecs[rows], _feature_stack(feats, names, rows, cols, col_extra)

    return train_protocol_ranker(feat, E.shape[1], names, len(pairs), make_batch, validate, cfg, log, tag,
                                 **overrides)


def _rerank_set(net: MLPRanker, E: np.ndarray, user_vecs: np.ndarray, feats: dict[str, np.ndarray],
                names: Sequence[str], cand_items: np.ndarray, N: int, col_extra=None,
                exclude: Sequence[Sequence[int]] | None = None, batch: int = 256) -> np.ndarray:
    """Scores (n_users, n_cand): top-N by the first feature re-ranked by ``net``, the rest in recall order."""
    zs = np.array(feats[names[0]], dtype=np.float64, copy=True)
    if exclude is not None:
        for r, ex in enumerate(exclude):
            if len(ex):
                zs[r, ex] = -np.inf
    N = min(N, zs.shape[1])
    out = np.empty_like(zs)
    for s in range(0, len(zs), batch):
        rows = np.arange(s, min(s + batch, len(zs)))
        top = topk_rows(zs[rows], N)
        ms = net.score_batch(E[cand_items[top]], user_vecs[rows], _feature_stack(feats, names, rows, top, col_extra))
        out[rows] = rerank(zs[rows], top, ms)
    return out

