"""``scientific``: Amazon Scientific as processed by UniSRec, leave-one-out, full ranking of all items."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from coldrec.evaluation._common import (EvalConfig, Log, _Evaluator, _item_cosine, _log_default, _rows_mean_sparse, _tfidf,
                          _weighted_profiles, embed_cached, get_encoder, history_scores, recency_weights)
from coldrec.evaluation._reranking import config_record, train_protocol_ranker
from coldrec.metrics import topk_rows
from coldrec.ranking import rerank, sample_negatives

# the rich scalars of :func:`_sci_features`, in column order (the first is the recall score the ranker corrects)
SCALARS = ("zero-shot", "cos-recency-profile", "max-sim", "cos-last-item", "mean-cos", "log-popularity")
SCALARS_CF = SCALARS + ("item-cf", "last-item-transition")
# RankerConfig overrides of the user-tower+mlp re-ranker (recorded in user_tower.ranker.config). The tower's cosine
# is wider-spread than the zero-shot kernel score: with the default residual weight 20 on raw scalars the first epoch
# collapsed (validation N@10 .0844 -> .0300, MiniLM) and patience 2 kept the untrained tower order; a residual weight
# of 5 on standardised scalars trains from the first epoch (validation N@10 .1054 at epoch 3 in the committed run).
TOWER_MLP_OVERRIDES: dict[str, Any] = {"skip_init": 5.0, "standardize": True}

# ================================================================================================ Scientific
def protocol_scientific(data: str | Path | None = None, *, encoder: Any = None, cfg: EvalConfig | None = None,
                        log: Log = _log_default) -> dict[str, Any]:
    """UniSRec's Scientific leave-one-out protocol, full ranking over all items (history items excluded)."""
    from coldrec.evaluation._realdata import load_scientific

    cfg = cfg or EvalConfig()
    ks = (10, 50)
    t_start = time.time()
    ds = load_scientific(data)
    n = ds.n_items
    rng = np.random.default_rng(cfg.seed)
    users = np.arange(ds.n_users)
    if cfg.max_users:
        users = rng.choice(users, size=min(cfg.max_users, len(users)), replace=False)
    enc = get_encoder(encoder)
    t0 = time.time()
    E = embed_cached(enc, ds.texts, "scientific")
    embed_s = time.time() - t0
    log(f"scientific: {n} items embedded/loaded in {embed_s:.1f}s, {len(users)} users")
    S = (E @ E.T).astype(np.float32)  # item-item cosine, 4,385^2 floats
    # popularity from the training part of every sequence (everything before the validation target)
    pop = np.bincount(np.concatenate(ds.valid_history), minlength=n).astype(np.float64)
    logpop = np.log1p(pop).astype(np.float32)
    logpop_n = (logpop / max(logpop.max(), 1e-6)).astype(np.float32)

    def agg(hists: Sequence[np.ndarray], gamma: float, tau: float | None, cols: np.ndarray | None = None
            ) -> np.ndarray:
        lengths = [len(h) for h in hists]
        rows = np.concatenate(hists)
        sims = S[rows] if cols is None else S[rows][:, cols]
        return history_scores(sims, lengths, recency_weights(lengths, gamma), tau)

    def eval_scores(split: str, score_fn: Callable[[np.ndarray], np.ndarray], uids: np.ndarray,
                    jitter: bool = False, mask: bool = True) -> dict[str, float]:
        hist = ds.valid_history if split == "valid" else ds.test_history
        tgt = ds.valid_target if split == "valid" else ds.test_target
        ev = _Evaluator(ks, np.arange(n), np.random.default_rng(cfg.seed))
        for s in range(0, len(uids), cfg.batch_users):
            b = uids[s:s + cfg.batch_users]
            ev.add(score_fn(b), [{int(tgt[u])} for u in b], [hist[u] for u in b] if mask else None, jitter=jitter)
        return ev.result()

    methods: dict[str, dict[str, float]] = {}
    variants: dict[str, dict[str, float]] = {}
    timings: dict[str, float] = {"embedding": round(embed_s, 1)}
    want = set(cfg.methods)

    def timed(name: str, fn: Callable[[], dict]) -> None:
        t = time.time()
        methods[name] = fn()
        timings[name] = round(time.time() - t, 1)
        log(f"  {name}: {methods[name]}")

    if "random" in want:
        timed("random", lambda: eval_scores("test", lambda b: rng.random((len(b), n)), users))
    if "popularity" in want:
        timed("popularity", lambda: eval_scores("test", lambda b: np.tile(pop, (len(b), 1)), users, jitter=True))
    if "tfidf" in want:
        def _tf():
            X = _tfidf(ds.texts)
            def fn(b):
                Uv = _rows_mean_sparse(X, [ds.test_history[u] for u in b])
                return (Uv @ X.T).toarray()
            return eval_scores("test", fn, users)
        timed("tfidf", _tf)
    if "itemknn" in want:
        def _knn():
            Sim = _sequence_item_cosine(ds.valid_history, n)  # training interactions only
            def fn(b):
                hists = [ds.test_history[u] for u in b]
                lengths = [len(h) for h in hists]
                return history_scores(Sim[np.concatenate(hists)], lengths, recency_weights(lengths, 0.7), None)
            return eval_scores("test", fn, users, jitter=True)
        timed("itemknn", _knn)

    # --- zero-shot: choose the user aggregation on the validation targets
    t = time.time()
    grid = [(1.0, None), (0.0, None)] + [(g, tau) for g in (0.5, 0.7, 0.85) for tau in (None, 0.1, 0.05)]
    vusers = users if len(users) <= 3000 else np.random.default_rng(cfg.seed + 7).choice(users, 3000, replace=False)
    val_scores = {}
    for g, tau in grid:
        r = eval_scores("valid", lambda b: agg([ds.valid_history[u] for u in b], g, tau), vusers)
        val_scores[(g, tau)] = r
        log(f"  zero-shot valid gamma={g} tau={tau}: R@10 {r['recall@10']:.4f} N@10 {r['ndcg@10']:.4f}")
    best_g, best_tau = max(val_scores, key=lambda k: val_scores[k]["ndcg@10"] + val_scores[k]["recall@10"])
    for label, (g, tau) in {"mean": (1.0, None), "last-item": (0.0, None),
                            f"recency-{best_g}-tau-{best_tau}": (best_g, best_tau)}.items():
        variants[label] = eval_scores("test", lambda b: agg([ds.test_history[u] for u in b], g, tau), users)
    zs_label = f"recency-{best_g}-tau-{best_tau}"
    if "zero-shot" in want:
        methods["zero-shot"] = variants[zs_label]
        timings["zero-shot"] = round(time.time() - t, 1)
        log(f"  zero-shot ({zs_label}): {methods['zero-shot']}")
    zero_shot_fn = lambda hists: agg(hists, best_g, best_tau)  # noqa: E731
    # RecBole's evaluator leaves the history items in the ranking; ours removes them. Both are reported.
    unmasked: dict[str, dict[str, float]] = {}
    if "zero-shot" in want:
        unmasked["zero-shot"] = eval_scores("test", lambda b: zero_shot_fn([ds.test_history[u] for u in b]), users,
                                            mask=False)
        log(f"  zero-shot, history items left in the ranking: {unmasked['zero-shot']}")

    # --- trained rankers
    ranker_info: dict[str, Any] = {}
    cf = _sequence_cf(ds.valid_history, n) if want & {"mlp-rich", "user-tower+mlp"} else None
    recall_cost: dict[str, Any] = {}
    for feat in ("concat", "rich"):
        name = f"mlp-{feat}"
        if name not in want:
            continue
        t = time.time()
        fcf = cf if feat == "rich" else None
        net, hist_log, sel_users = _scientific_ranker(ds, E, S, logpop_n, zero_shot_fn, best_g, best_tau, feat, users,
                                                      cfg, log, eval_scores, fcf)

        def fn(b, net=net, N=cfg.recall_n, fcf=fcf, split="test", mask=True):
            hists = [(ds.test_history if split == "test" else ds.valid_history)[u] for u in b]
            return _rerank_histories(net, hists, zero_shot_fn, N, E, S, logpop_n, best_g, best_tau, fcf, mask)

        # recall N: chosen on the same held-out validation targets as the epochs (cfg.recall_n when fixed by a
        # CI slice); the test rows for every N are reported under recall_n_cost
        n_grid = sorted({50, 100, 200, cfg.recall_n}) if not cfg.max_users else [cfg.recall_n]
        n_val = {N: eval_scores("valid", lambda b, N=N: fn(b, N=N, split="valid"), sel_users)["ndcg@10"]
                 for N in n_grid} if len(n_grid) > 1 else {cfg.recall_n: None}
        best_n = max(n_val, key=lambda N: n_val[N]) if len(n_grid) > 1 else cfg.recall_n
        log(f"  {name} recall N on validation (ndcg@10): {n_val} -> N={best_n}")
        t_score = time.time()
        methods[name] = eval_scores("test", lambda b: fn(b, N=best_n), users)
        timings[name] = round(time.time() - t, 1)
        ranker_info[name] = {"config": config_record(net), "epochs": hist_log, "score_seconds": round(time.time() - t_score, 1),
                             "recall_n": best_n, "recall_n_validation_ndcg@10": n_val}
        log(f"  {name}: {methods[name]}")
        unmasked[name] = eval_scores("test", lambda b: fn(b, N=best_n, mask=False), users, mask=False)
        log(f"  {name}, history items left in recall and ranking: {unmasked[name]}")
        if feat == "rich" and len(n_grid) > 1:
            for N in n_grid:
                if N == best_n:
                    recall_cost[str(N)] = {**methods[name], "score_seconds": ranker_info[name]["score_seconds"]}
                    continue
                ts = time.time()
                r = eval_scores("test", lambda b, N=N: fn(b, N=N), users)
                recall_cost[str(N)] = {**r, "score_seconds": round(time.time() - ts, 1)}
                log(f"  mlp-rich recall N={N}: {r} ({time.time() - ts:.0f}s)")

    tower_info = _tower_methods(ds, E, S, logpop_n, zero_shot_fn, best_g, best_tau, users, cfg, log, eval_scores,
                                cf, want, methods, variants, unmasked, timings)

    return {
        "protocol": "scientific",
        "dataset": "Amazon 2018 Industrial & Scientific, UniSRec processing (amazon-scientific/)",
        "n_users": int(len(users)),
        "n_items": int(n),
        "ks": list(ks),
        "methods": methods,
        "variants": variants,
        "unmasked": unmasked,
        "zero_shot_aggregation": {"gamma": best_g, "tau": best_tau,
                                  "selected_on": "validation targets (ndcg@10 + recall@10)",
                                  "grid": {f"gamma={g},tau={tau}": v for (g, tau), v in val_scores.items()}},
        "recall_n": {k: v.get("recall_n") for k, v in ranker_info.items()} or cfg.recall_n,
        "recall_n_cost": recall_cost,
        "ranker": ranker_info,
        "user_tower": tower_info,
        "timings": timings,
        "notes": [
            "mlp-rich is trained on the validation targets (history before it → the validation item; 85% of users, "
            "epochs chosen on the other 15%) so that its collaborative scalars (item-CF, last-item transitions, "
            "counted on the training part of each sequence) never include the example's own interaction; "
            "mlp-concat is trained on RecBole's training prefixes.",
            "Full ranking over all items; the user's history items are excluded from the ranking "
            "(0.6% of test targets repeat a history item, so this costs at most 0.006 recall). RecBole's evaluator "
            "(the published rows) leaves them in: 'unmasked' holds zero-shot and the rankers scored that way "
            "(history items left in the recall, the re-ranking and the metrics).",
            "popularity/itemknn count only training interactions (each sequence up to its validation target).",
            "user-tower (coldrec.ranking.UserTower, a trained first stage) is trained on each user's sequence up "
            "to its validation target (every prefix predicts its next item, full softmax over all items); its "
            "epoch and the weight beta of the zero-shot score it is blended with (beta=0: the tower alone, under "
            "variants) are chosen on validation targets; user-tower+mlp is mlp-rich re-ranking the tower's "
            "top-N, with the tower score as its first scalar. user_tower.recall_at_n is the first stage's "
            "recall at N, the ceiling of any re-ranking of its top-N.",
        ],
        "seconds_total": round(time.time() - t_start, 1),
    }


def _tower_methods(ds, E, S, logpop_n, zero_shot_fn, gamma, tau, users, cfg, log, eval_scores, cf, want, methods,
                   variants, unmasked, timings) -> dict[str, Any]:
    """The ``user-tower`` and ``user-tower+mlp`` rows (:mod:`._scientific_tower`), added to the tables in place."""
    if not want & {"user-tower", "user-tower+mlp"}:
        return {}
    from coldrec.evaluation.protocols._scientific_tower import tower_rows

    t = time.time()
    info, recall_fn = tower_rows(ds, E, users, cfg, log, eval_scores, zero_shot_fn)
    if "user-tower" in want:
        methods["user-tower"] = info["methods"]["user-tower"]
        unmasked["user-tower"] = info["unmasked"]["user-tower"]
        timings["user-tower"] = round(time.time() - t, 1)
    variants["user-tower alone (beta=0)"] = info["methods"]["user-tower-alone"]
    if "user-tower+mlp" in want:
        t = time.time()
        net, hist_log, sel_users = _scientific_ranker(ds, E, S, logpop_n, recall_fn, gamma, tau, "rich", users, cfg,
                                                      log, eval_scores, cf, recall_first=True, name="user-tower+mlp",
                                                      overrides=TOWER_MLP_OVERRIDES)

        def fn(b, N, mask=True, split="test"):
            hists = [(ds.test_history if split == "test" else ds.valid_history)[u] for u in b]
            return _rerank_histories(net, hists, recall_fn, N, E, S, logpop_n, gamma, tau, cf, mask,
                                     recall_first=True)
        # N (candidates re-ranked) chosen on the held-out validation users of the ranker by ndcg@10 + recall@50
        n_grid = sorted({50, 100, 200, cfg.recall_n}) if not cfg.max_users else [cfg.recall_n]
        n_val = {N: eval_scores("valid", lambda b, N=N: fn(b, N, split="valid"), sel_users) for N in n_grid}
        N = max(n_grid, key=lambda N: n_val[N]["ndcg@10"] + n_val[N]["recall@50"])
        log(f"  user-tower+mlp recall N on validation: {n_val} -> N={N}")
        methods["user-tower+mlp"] = eval_scores("test", lambda b: fn(b, N), users)
        unmasked["user-tower+mlp"] = eval_scores("test", lambda b: fn(b, N, mask=False), users, mask=False)
        timings["user-tower+mlp"] = round(time.time() - t, 1)
        info["ranker"] = {"config": config_record(net), "epochs": hist_log, "recall_n": N,
                          "recall_n_validation": {str(k): v for k, v in n_val.items()},
                          "recall_n_selected_on": "validation users of the ranker (ndcg@10 + recall@50)"}
        log(f"  user-tower+mlp: {methods['user-tower+mlp']}; history items left in: {unmasked['user-tower+mlp']}")
    return info


def _recall(zero_shot_fn: Callable, hists: Sequence[np.ndarray], N: int, mask: bool = True
            ) -> tuple[np.ndarray, np.ndarray]:
    """Zero-shot scores (each user's history items masked out unless ``mask`` is False) and the top-``N``."""
    zs = zero_shot_fn(hists)
    if mask:
        for r, h in enumerate(hists):
            zs[r, h] = -np.inf
    return zs, topk_rows(zs, N)


def _rerank_histories(net, hists, zero_shot_fn, N, E, S, logpop_n, gamma, tau, cf=None, mask=True,
                      recall_first=False) -> np.ndarray:
    """Scores over all items: the recalled top-``N`` re-ranked by ``net``, the rest in recall order.

    ``zero_shot_fn`` is the recall (zero-shot, or a trained first stage); with ``recall_first`` its score is the
    first scalar feature (the one the ranker's residual path starts from)."""
    zs, top = _recall(zero_shot_fn, hists, N, mask)
    extra = np.take_along_axis(zs, top, 1) if recall_first else None
    I, U, Sc = _sci_features(E, S, logpop_n, hists, top, gamma, tau, cf, extra)
    return rerank(zs, top, net.score_batch(I, U, Sc))


def _pad_histories(hists: Sequence[np.ndarray], gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Right-aligned padded histories ``(B, L)`` (pad = 0) and recency weights (0 on padding)."""
    L = max(len(h) for h in hists)
    H = np.zeros((len(hists), L), dtype=np.int64)
    W = np.zeros((len(hists), L), dtype=np.float32)
    ages = gamma ** np.arange(L - 1, -1, -1, dtype=np.float32)
    for r, h in enumerate(hists):
        H[r, L - len(h):] = h
        W[r, L - len(h):] = ages[L - len(h):]
    return H, W


def _kernel_scores(sims: np.ndarray, W: np.ndarray, tau: float | None) -> np.ndarray:
    """Batched :func:`history_scores`: sims ``(B, L, M)``, weights ``(B, L)`` (0 = padding)."""
    wsum = np.maximum(W.sum(1), 1e-12)[:, None]
    if tau is None:
        return (np.einsum("blm,bl->bm", sims, W) / wsum).astype(np.float32)
    z = np.where(W[:, :, None] > 0, sims / tau, -np.inf)
    mx = z.max(1)
    e = np.exp(z - mx[:, None, :]) * W[:, :, None]
    return (tau * (np.log(np.maximum(e.sum(1) / wsum, 1e-30)) + mx)).astype(np.float32)


def _sci_features(E, S, logpop_n, hists, cands, gamma, tau, cf=None, extra=None):
    """(I, U, scalars) for candidate items ``cands`` (B, M) of users with histories ``hists``.

    Scalars: zero-shot score (the selected aggregation), cosine with the recency-weighted profile, max-sim to the
    history, cosine with the last item, mean cosine to the history, log popularity (scaled to [0, 1]); with
    ``cf = (item-item CF cosine, scaled log transition counts)``: recency-weighted item-CF score and the
    last-item → candidate transition score. ``extra`` ``(B, M)`` (a trained recall's score) is prepended.
    """
    H, W = _pad_histories(hists, gamma)
    mask = W > 0
    sims = S[H[:, :, None], cands[:, None, :]]  # (B, L, M)
    U = _weighted_profiles(E, hists, gamma)
    I = E[cands]
    feats = np.empty(cands.shape + (6 if cf is None else 8,), dtype=np.float32)
    feats[..., 0] = _kernel_scores(sims, W, tau)
    if cf is not None:  # collaborative scalars from the training sequences (items are warm here)
        Scf, Tr = cf
        cfs = Scf[H[:, :, None], cands[:, None, :]]
        feats[..., 6] = np.einsum("blm,bl->bm", cfs, W) / np.maximum(W.sum(1), 1e-12)[:, None]
        feats[..., 7] = Tr[H[:, -1][:, None], cands]
    feats[..., 1] = np.einsum("bmd,bd->bm", I, U)
    feats[..., 2] = np.where(mask[:, :, None], sims, -2.0).max(1)
    feats[..., 3] = sims[:, -1, :]
    feats[..., 4] = (sims * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    feats[..., 5] = logpop_n[cands]
    if extra is not None:
        feats = np.concatenate([np.asarray(extra, np.float32)[..., None], feats], axis=-1)
    return I, U, feats


def _sequence_item_cosine(seqs: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Item-item CF cosine of the binary user x item matrix of ``seqs`` (one sequence per user), diagonal 0."""
    import scipy.sparse as sp

    rows = np.concatenate([[u] * len(h) for u, h in enumerate(seqs)])
    R = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, np.concatenate(seqs))), shape=(len(seqs), n))
    R.data[:] = 1.0
    return _item_cosine(R)


def _sequence_cf(seqs: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Item-item CF cosine (binary user x item) and scaled log1p transition counts (a → next b) from sequences."""
    import scipy.sparse as sp

    Scf = _sequence_item_cosine(seqs, n)
    a = np.concatenate([h[:-1] for h in seqs if len(h) > 1])
    b = np.concatenate([h[1:] for h in seqs if len(h) > 1])
    T = sp.csr_matrix((np.ones(len(a), np.float32), (a, b)), shape=(n, n)).toarray()
    T = np.log1p(T)
    T /= max(float(T.max()), 1e-6)
    return Scf, T.astype(np.float32)


def _scientific_ranker(ds, E, S, logpop_n, zero_shot_fn, gamma, tau, feat, users, cfg, log, eval_scores, cf=None,
                       recall_first=False, name=None, overrides=None):
    """mlp-concat: train on RecBole's training prefixes (history → next item), select the epoch on validation
    targets. mlp-rich (with ``cf``): train on 85% of users' validation targets, select on the other 15%."""
    N = cfg.recall_n
    hists = ds.train_history
    targets = ds.train_target
    idx = np.arange(len(targets))
    vrng = np.random.default_rng(cfg.seed + 3)
    if cf is not None:
        perm = vrng.permutation(users)
        n_sel = max(1, len(perm) * 15 // 100)
        sel_users, fit_users = perm[:n_sel], perm[n_sel:]
        hists = [ds.valid_history[u] for u in fit_users]
        targets = ds.valid_target[fit_users]
        idx = np.arange(len(targets))
    if cfg.max_users and cf is None:
        keep = set(int(u) for u in users)
        # training rows are ordered per user in the file; approximate by rows whose first item belongs to a kept
        # user's sequence: simply subsample proportionally for CI slices
        idx = np.random.default_rng(cfg.seed).choice(idx, size=min(len(idx), 20 * len(keep)), replace=False)
    hists = [hists[i] for i in idx]
    targets = targets[idx]
    # hard-negative pools: the zero-shot top-N of each training prefix
    pools = np.zeros((len(hists), N), dtype=np.int64)
    for s in range(0, len(hists), 1024):
        pools[s:s + 1024] = _recall(zero_shot_fn, hists[s:s + 1024], N)[1]
    n = ds.n_items

    def make_batch(bidx, rng):
        hb = [hists[i] for i in bidx]
        pos = [{int(targets[i])} for i in bidx]
        neg = sample_negatives(pools[bidx], pos, n, cfg.negatives, rng)
        cands = np.concatenate([targets[bidx][:, None], neg], axis=1)
        extra = np.take_along_axis(zero_shot_fn(hb), cands, 1) if recall_first else None
        return _sci_features(E, S, logpop_n, hb, cands, gamma, tau, cf, extra)

    vusers = sel_users if cf is not None else vrng.choice(users, size=min(len(users), 1500), replace=False)

    def validate(net):
        def fn(b):
            hb = [ds.valid_history[u] for u in b]
            return _rerank_histories(net, hb, zero_shot_fn, N, E, S, logpop_n, gamma, tau, cf,
                                     recall_first=recall_first)
        r = eval_scores("valid", fn, vusers)
        return r["ndcg@10"]

    scalars = SCALARS if cf is None else SCALARS_CF
    net, hist = train_protocol_ranker(feat, E.shape[1], ("user-tower",) + scalars if recall_first else scalars,
                                      len(hists), make_batch, validate, cfg, log, name or f"mlp-{feat}",
                                      **(overrides or {}))
    return net, hist, vusers

