"""Features of users known by a text (and optionally a few liked items): profiles, neighbour popularity, a
text-conditioned popularity model, and the scalar features of the MovieLens / cold-users rankers."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from coldrec.evaluation._common import _normalize
from coldrec.metrics import MetricAccumulator, topk_rows
from coldrec.ranking import fit_text_popularity

# the scalars of :func:`_ml_feats`, in column order (the first is the residual base the ranker corrects)
ML_SCALARS = ("base", "cos-profile", "cos-text", "max-sim-liked", "item-cf-liked", "has-liked",
              "neighbour-popularity", "log-popularity")
ML_SCALARS_TEXT = ("text-popularity",)


def _neighbour_popularity(D: np.ndarray, Rm, train_users: np.ndarray, k: int = 50) -> np.ndarray:
    """Per user, scaled log counts of positives among the ``k`` training users with the most similar text.

    A user is never their own neighbour, so training users' features do not contain their own positives.
    """
    sims = D @ D[train_users].T
    pos_in_train = {int(u): j for j, u in enumerate(train_users)}
    for u, j in pos_in_train.items():
        sims[u, j] = -np.inf
    k = min(k, max(1, len(train_users) - 1))
    nb = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    w = np.maximum(np.take_along_axis(sims, nb, axis=1), 0.0)
    Rt = Rm[train_users].toarray()
    out = np.stack([w[u] @ Rt[nb[u]] for u in range(len(D))])
    out = np.log1p(out)
    return (out / max(float(out.max()), 1e-6)).astype(np.float32)


def _ml_feats(E: np.ndarray, D: np.ndarray, Sim: np.ndarray, logpop_n: np.ndarray, users: np.ndarray,
              liked: Sequence[np.ndarray], cands: np.ndarray, desc_weight: float = 0.5,
              dpop: np.ndarray | None = None, base: tuple[float, ...] = (0.0, 0.0, 1.0, 0.0),
              demo: np.ndarray | None = None):
    """(I, U, scalars) for MovieLens users = demographic vector ``D[u]`` + optional liked items.

    Scalars: the residual base (log popularity + alpha * neighbour popularity + beta * item-CF / kstd, with beta
    looked up by the number of liked items in ``base[4]`` when given; first, so mlp-rich starts from that order),
    cosine(item, profile), cosine(item, demographic text), max-sim to liked, item-CF score from liked (mean co-occurrence cosine),
    has-liked flag, popularity among the training users with the most similar text (``dpop``), log popularity;
    with ``demo`` (rows scaled to [0, 1], see :func:`text_popularity_matrix`) a ninth scalar, the text-conditioned
    popularity, which the base mixes in with weight ``w``: ``(1 - w) * logpop + w * demo + ...``.
    """
    B = len(users)
    U = _ml_profiles(E, D, users, liked, desc_weight)
    I = E[cands]
    f = np.zeros(cands.shape + (8 if demo is None else 9,), np.float32)
    if demo is not None:
        f[..., 8] = demo[users[:, None], cands]
    f[..., 7] = logpop_n[cands]
    if dpop is not None:
        f[..., 6] = dpop[users[:, None], cands]
    f[..., 1] = np.einsum("bmd,bd->bm", I, U)
    f[..., 2] = np.einsum("bmd,bd->bm", I, D[users])
    for r in range(B):
        if len(liked[r]):
            f[r, :, 3] = (E[liked[r]] @ I[r].T).max(0)
            f[r, :, 4] = Sim[liked[r]][:, cands[r]].mean(0)
            f[r, :, 5] = 1.0
    alpha, beta, kstd = base[:3]  # residual base: popularity + alpha * neighbour popularity + beta * item-CF
    w = base[3] if len(base) > 3 and demo is not None else 0.0
    # beta per number of liked items when given (one liked item makes the item-CF term noisier than three)
    by_shot = base[4] if len(base) > 4 else {}
    b = np.array([by_shot.get(len(x), beta) for x in liked], np.float32).reshape(B, 1)
    f[..., 0] = (1.0 - w) * f[..., 7] + (w * f[..., 8] if w else 0.0) + alpha * f[..., 6] + b * f[..., 4] / kstd
    return I, U, f


def _ml_profiles(E, D, users, liked, desc_weight=0.5):
    U = np.empty((len(users), E.shape[1]), np.float32)
    for r, u in enumerate(users):
        if len(liked[r]):
            U[r] = _normalize(E[liked[r]].mean(0)) + desc_weight * D[u]
        else:
            U[r] = D[u]
    return _normalize(U)


def _rows01(x: np.ndarray) -> np.ndarray:
    lo, hi = x.min(1, keepdims=True), x.max(1, keepdims=True)
    return ((x - lo) / np.maximum(hi - lo, 1e-9)).astype(np.float32)


def text_popularity_matrix(X: np.ndarray, user_pos: Sequence[np.ndarray], n_items: int, fit_users: np.ndarray,
                           val_users: np.ndarray, test_users: np.ndarray, wds: Sequence[float] = (1e-4, 1e-3),
                           seed: int = 0) -> tuple[np.ndarray, dict]:
    """Leakage-free text-conditioned popularity (:func:`fit_text_popularity`) for every user of one fold.

    ``wd`` is chosen by NDCG@10 of ``val_users`` under a model fitted on ``fit_users``; ``fit_users`` get
    cross-fitted rows (two halves, each predicted by a model that never saw it), ``val_users`` rows from the
    ``fit_users`` model, ``test_users`` rows from a model fitted on ``fit_users`` + ``val_users``. So no row ever
    contains its own user's positives. Returns ``(n_users_total, n_items)`` rows scaled to [0, 1] and a log.
    """
    def Y(users: np.ndarray) -> np.ndarray:
        out = np.zeros((len(users), n_items), np.float32)
        for r, u in enumerate(users):
            out[r, user_pos[u]] = 1.0
        return out

    def ndcg(scores: np.ndarray, users: np.ndarray) -> float:
        keep = [r for r, u in enumerate(users) if len(user_pos[u])]
        acc = MetricAccumulator((10,))
        acc.add(topk_rows(scores[keep], 10), [set(user_pos[users[r]].tolist()) for r in keep])
        return acc.result()["ndcg@10"]

    out = np.zeros((X.shape[0], n_items), np.float32)
    Yf = Y(fit_users)
    val = {}
    preds = {}
    for wd in wds:
        preds[wd] = fit_text_popularity(X[fit_users], Yf, wd)(X[val_users])
        val[wd] = ndcg(preds[wd], val_users)
    wd = max(val, key=lambda k: val[k])
    out[val_users] = _rows01(preds[wd])
    halves = np.array_split(np.random.default_rng(seed).permutation(fit_users), 2)
    for h, other in ((halves[0], halves[1]), (halves[1], halves[0])):
        out[h] = _rows01(fit_text_popularity(X[other], Y(other), wd)(X[h]))
    both = np.concatenate([fit_users, val_users])
    out[test_users] = _rows01(fit_text_popularity(X[both], Y(both), wd)(X[test_users]))
    return out, {"wd": wd, "val_ndcg@10": {str(k): round(v, 5) for k, v in val.items()}}


def segment_popularity_matrix(fields: dict, user_pos: Sequence[np.ndarray], n_items: int, train_users: np.ndarray,
                              seed: int = 0) -> tuple[np.ndarray, dict]:
    """Leakage-free segment popularity (:class:`~coldrec.ranking.SegmentPopularity`) rows for every user of a fold.

    The strengths are chosen on inner folds of ``train_users``; the model is fitted on ``train_users``, whose own
    rows leave their own liked items out (leave-one-user-out); every other user (the test users) is scored by the
    model as is. Returns ``(n_users_total, n_items)`` rows of log-probabilities scaled to [0, 1], and a log.
    """
    from coldrec.ranking import SegmentPopularity, choose_segment_strengths

    model = SegmentPopularity(fields, user_pos, n_items)
    strengths, log = choose_segment_strengths(model, train_users, seed=seed)
    n_users = len(user_pos)
    out = np.zeros((n_users, n_items), np.float32)
    for s in range(0, n_users, 256):
        rows = np.arange(s, min(s + 256, n_users))
        out[rows] = _rows01(np.log(model.predict(rows, strengths)))
    return out, log


def blend_weight(a: np.ndarray, b: np.ndarray, user_pos: Sequence[np.ndarray], users: np.ndarray,
                 weights: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0)) -> tuple[float, dict]:
    """The ``w`` of ``(1 - w)·z(a) + w·z(b)`` (per-row z-scores) with the best NDCG@10 on ``users``' rows.

    ``a`` and ``b`` are leakage-free score rows of every user (no row contains its own user's positives), so the
    training users' rows choose ``w`` and the test users' rows are scored with it. Ties keep the smaller ``w``.
    """
    from coldrec.retrieval import standardize_rows

    keep = np.array([u for u in users if len(user_pos[u])], dtype=np.int64)
    za, zb = standardize_rows(a[keep], np.float32), standardize_rows(b[keep], np.float32)
    targets = [set(user_pos[u].tolist()) for u in keep]
    val = {}
    for w in weights:
        acc = MetricAccumulator((10,))
        acc.add(topk_rows((1 - w) * za + w * zb, 10), targets)
        val[float(w)] = round(acc.result()["ndcg@10"], 4)
    best = max(val, key=lambda k: (val[k], -k))
    return best, {"w": best, "ndcg@10 by w (training users)": val}


def blend_rows(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """``(1 - w)·z(a) + w·z(b)`` row by row (what :func:`blend_weight` chose ``w`` for)."""
    from coldrec.retrieval import standardize_rows

    return (1 - w) * standardize_rows(a, np.float32) + w * standardize_rows(b, np.float32)
