"""``ml100k-cold-users``: MovieLens-100K new users described by demographic text (+ few-shot liked items)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from coldrec.evaluation._common import (METHODS, EvalConfig, Log, _Evaluator, _item_cosine, _log_default, _rows_mean_sparse,
                          embed_cached, get_encoder)
from coldrec.evaluation._common import tfidf_vectorizer
from coldrec.evaluation._reranking import _eval_matrix, config_record, train_protocol_ranker
from coldrec.evaluation._users import (ML_SCALARS, ML_SCALARS_TEXT, _ml_feats, _ml_profiles,
                                      _neighbour_popularity, blend_rows, blend_weight, segment_popularity_matrix,
                                      text_popularity_matrix)
from coldrec.ranking import age_buckets, sample_negatives

# ================================================================================================ MovieLens
def user_folds(users: np.ndarray, n_folds: int = 5, seed: int = 0) -> list[np.ndarray]:
    """Seeded partition of ``users`` into ``n_folds`` disjoint test folds (the rest of each is training)."""
    return [np.sort(f) for f in np.array_split(np.random.default_rng(seed).permutation(np.asarray(users)), n_folds)]


SHOTS: tuple[int, ...] = (0, 1, 3, 5)
# this protocol's rows: the shared methods plus segment popularity (runs with popularity) and its blend with the
# text-conditioned popularity (runs with the rankers, which fit that model), next to popularity
SEG_TEXT = "segment+text-popularity"
ML_METHODS: tuple[str, ...] = tuple(x for m in METHODS for x in (
    (m, "segment-popularity", SEG_TEXT) if m == "popularity" else (m,)))


def protocol_ml100k_cold_users(data: str | Path | None = None, *, encoder: Any = None,
                               cfg: EvalConfig | None = None, log: Log = _log_default) -> dict[str, Any]:
    """MovieLens-100K new users: 5 seeded folds over users; demographic text only (+ few-shot liked items)."""
    import dataclasses

    import scipy.sparse as sp

    from coldrec.evaluation._realdata import load_movielens100k

    cfg = cfg or EvalConfig()
    # smaller rankers here: 10 trainings (5 folds x 2 feature sets) must fit the CPU budget; mlp-rich starts
    # from the popularity order (its first scalar is log popularity, residual weight skip_init)
    cfg = dataclasses.replace(cfg, hidden=min(cfg.hidden, 64), negatives=min(cfg.negatives, 16),
                              max_examples=min(cfg.max_examples, 6000), skip_init=min(cfg.skip_init, 1.0),
                              standardize=True)
    ks = (10,)
    t_start = time.time()
    ds = load_movielens100k(data)
    n = ds.n_items
    enc = get_encoder(encoder)
    t0 = time.time()
    item_texts, user_texts = ds.item_texts, ds.user_texts()  # both built on each call: once here
    E = embed_cached(enc, item_texts, "ml100k-items")
    D = embed_cached(enc, user_texts, "ml100k-users", kind="query")
    timings: dict[str, float] = {"embedding": round(time.time() - t0, 1)}
    R = ds.ratings
    posR = R[R[:, 2] >= 4]
    user_pos = [[] for _ in range(ds.n_users)]
    for u, i in posR[:, :2]:
        user_pos[u].append(i)
    user_pos = [np.array(x, dtype=np.int64) for x in user_pos]
    rng = np.random.default_rng(cfg.seed)
    all_users = np.arange(ds.n_users)
    if cfg.max_users:
        all_users = np.sort(rng.choice(all_users, min(cfg.max_users, ds.n_users), replace=False))
    folds = user_folds(all_users, 5, cfg.seed)
    want = set(cfg.methods)
    # accumulators per (shot, method); all share ``rng`` for the tie-breaking jitter
    acc: dict[tuple[int, str], _Evaluator] = {}

    def add(shot: int, method: str, scores: np.ndarray, targets, exclude, jitter=False) -> None:
        if (shot, method) not in acc:
            acc[(shot, method)] = _Evaluator(ks, np.arange(n), rng)
        acc[(shot, method)].add(scores, targets, exclude, jitter)

    X_items = X_users = None
    if "tfidf" in want:
        vec = tfidf_vectorizer(item_texts + user_texts).fit(item_texts + user_texts)
        X_items = vec.transform(item_texts)
        X_users = vec.transform(user_texts)
    ranker_info: dict[str, list] = {"mlp-concat": [], "mlp-rich": []}
    fields = {"age": age_buckets(ds.ages), "gender": ds.genders, "occupation": ds.occupations}
    n_test_users = {s: 0 for s in SHOTS}
    for fold, test_users in enumerate(folds):
        tf = time.time()
        test_set = set(test_users.tolist())
        train_users = np.array([u for u in all_users if u not in test_set])
        trR = posR[np.isin(posR[:, 0], train_users)]
        pop = np.bincount(trR[:, 1], minlength=n).astype(np.float64)
        logpop_n = (np.log1p(pop) / max(np.log1p(pop).max(), 1e-6)).astype(np.float32)
        Rm = sp.csr_matrix((np.ones(len(trR), np.float32), (trR[:, 0], trR[:, 1])), shape=(ds.n_users, n))
        Sim = _item_cosine(Rm)
        dpop = _neighbour_popularity(D, Rm, train_users)
        # segment popularity (age bucket > x gender > x occupation), strengths chosen on inner folds of the training
        # users; training users' rows leave their own liked items out
        seg, seg_log = segment_popularity_matrix(fields, user_pos, n, train_users, seed=cfg.seed + 100 + fold)
        ranker_info.setdefault("segment_popularity", []).append(seg_log)
        log(f"  fold {fold + 1} segment popularity: {seg_log}")
        # --- trained rankers (one per fold and feature set; shots drawn at random during training)
        nets = {}
        demo = seg_text = None
        if "mlp-concat" in want or "mlp-rich" in want:
            frng = np.random.default_rng(cfg.seed + 100 + fold)
            inner = frng.permutation(train_users)
            n_val = max(1, len(inner) // 10)
            val_users, fit_users = inner[:n_val], inner[n_val:]
            pairs = np.array([(u, i) for u in fit_users for i in user_pos[u]], dtype=np.int64)

            def draw_liked(u, pos_item, r):
                s = SHOTS[r.integers(len(SHOTS))]
                pool = user_pos[u][user_pos[u] != pos_item]
                return r.choice(pool, size=min(s, len(pool)), replace=False) if s and len(pool) else \
                    np.zeros(0, np.int64)

            def make_batch(bidx, r):
                bidx = r.integers(0, len(pairs), size=len(bidx))  # with replacement: epochs are samples
                us, ps = pairs[bidx, 0], pairs[bidx, 1]
                liked = [draw_liked(u, p, r) for u, p in zip(us, ps)]
                pos_sets = [set(user_pos[u].tolist()) for u in us]
                # uniform negatives only: hard negatives from the popular head would teach "popular = negative"
                neg = sample_negatives(np.zeros((len(us), 0), np.int64), pos_sets, n, cfg.negatives, r)
                cands = np.concatenate([ps[:, None], neg], axis=1)
                return _ml_feats(E, D, Sim, logpop_n, us, liked, cands, dpop=dpop, base=base, demo=demo)

            # the inner-validation users with 0, 1, 3 and 5 liked items (drawn in the order 0, 3, 1, 5 so the draws
            # match the runs that had only 0 and 3): beta per shot count and the epochs are chosen on these
            vr = np.random.default_rng(cfg.seed + 5)
            shot_sets = {}
            for s in (0, 3, 1, 5):
                vu = [u for u in val_users if len(user_pos[u]) > s]
                lk = [vr.choice(user_pos[u], s, replace=False) if s else np.zeros(0, np.int64) for u in vu]
                shot_sets[s] = (np.array(vu, dtype=np.int64), lk)

            # text-conditioned popularity (a multinomial model from the user's text vector), leakage-free rows
            td = time.time()
            demo, demo_log = text_popularity_matrix(D, user_pos, n, fit_users, val_users, test_users,
                                                    seed=cfg.seed + fold)
            timings[f"fold{fold + 1}-text-popularity"] = round(time.time() - td, 1)
            ranker_info.setdefault("text_popularity", []).append(demo_log)
            log(f"  fold {fold + 1} text popularity: {demo_log} ({time.time() - td:.0f}s)")
            # segment and text popularity blended, w chosen on the training users' (leakage-free) rows
            w_seg, seg_text_log = blend_weight(seg, demo, user_pos, train_users)
            seg_text = blend_rows(seg, demo, w_seg)
            ranker_info.setdefault("segment_text_popularity", []).append(seg_text_log)
            log(f"  fold {fold + 1} segment + text popularity: {seg_text_log}")
            # residual base: (w, alpha) on the 0-shot rows of all training users (their demographic features never
            # contain their own positives; their log popularity does, by one count per liked item), beta per shot
            # count on the inner validation users
            kr = np.random.default_rng(cfg.seed + 7)
            ks_users = [u for u in fit_users if len(user_pos[u]) > 3][:200]
            kstd = float(np.std([Sim[kr.choice(user_pos[u], 3, replace=False)].mean(0) for u in ks_users])) or 1.0

            zero_users = np.array([u for u in train_users if len(user_pos[u])], dtype=np.int64)

            def base_zero(w, alpha):
                sc = (1 - w) * logpop_n[None, :] + w * demo[zero_users] + alpha * dpop[zero_users]
                return _eval_matrix(sc, np.arange(n), [set(user_pos[u].tolist()) for u in zero_users], ks,
                                    np.random.default_rng(0), jitter=True)["ndcg@10"]

            def base_val(shot, alpha, beta):
                vu, lk = shot_sets[shot]
                sc = (1 - w_demo) * logpop_n[None, :] + w_demo * demo[vu] + alpha * dpop[vu] + beta * (
                    np.stack([Sim[l].mean(0) for l in lk]) / kstd if len(lk) and len(lk[0]) else 0.0)
                return _eval_matrix(sc, np.arange(n), [set(user_pos[u].tolist()) - set(l_.tolist())
                                                       for u, l_ in zip(vu, lk)], ks, np.random.default_rng(0),
                                    exclude=lk, jitter=True)["ndcg@10"]

            w_demo, alpha = max(((w, a) for w in (0.0, 0.5, 1.0) for a in (0.0, 0.25, 0.5, 1.0)),
                                key=lambda wa: base_zero(*wa))
            betas = {s: max((0.0, 0.25, 0.5, 1.0, 2.0), key=lambda b: base_val(s, alpha, b)) for s in (1, 3, 5)}
            beta = betas[3]  # also for shot counts not seen here (2, 4, > 5)
            base = (alpha, beta, kstd, w_demo, betas)
            ranker_info.setdefault("base", []).append({"w_text_popularity": w_demo, "alpha": alpha, "beta": beta,
                                                       "beta_by_shot": {str(k): v for k, v in betas.items()}})
            log(f"  fold {fold + 1} residual base: w={w_demo} alpha={alpha} beta by shot={betas}")

            # epochs are chosen on every shot count the ranker is trained with (0, 1, 3 and 5 liked items)
            epoch_sets = [shot_sets[s] for s in (0, 1, 3, 5)]

            def validate(net):
                tot = 0.0
                for vu, lk in epoch_sets:
                    cand = np.tile(np.arange(n), (len(vu), 1))
                    sc = net.score_batch(*_ml_feats(E, D, Sim, logpop_n, vu, lk, cand, dpop=dpop, base=base,
                                                     demo=demo))
                    tot += _eval_matrix(sc, np.arange(n), [set(user_pos[u].tolist()) - set(l_.tolist())
                                                           for u, l_ in zip(vu, lk)], ks, np.random.default_rng(0),
                                        exclude=lk)["ndcg@10"]
                return tot / len(epoch_sets)

            n_ex = min(len(pairs), 12000)
            for feat in ("concat", "rich"):
                if f"mlp-{feat}" in want:
                    net, hist = train_protocol_ranker(feat, E.shape[1], ML_SCALARS + ML_SCALARS_TEXT, n_ex, make_batch,
                                                      validate, cfg, log, f"fold {fold + 1} mlp-{feat}")
                    nets[f"mlp-{feat}"] = net
                    ranker_info[f"mlp-{feat}"].append(hist)
                    ranker_info.setdefault("config", {})[f"mlp-{feat}"] = config_record(net)
        # --- evaluation per shot
        erng = np.random.default_rng(cfg.seed + 1000 + fold)
        for s in SHOTS:
            us = np.array([u for u in test_users if len(user_pos[u]) > s], dtype=np.int64)
            if not len(us):
                continue
            liked = [erng.choice(user_pos[u], s, replace=False) if s else np.zeros(0, np.int64) for u in us]
            targets = [set(user_pos[u].tolist()) - set(l.tolist()) for u, l in zip(us, liked)]
            n_test_users[s] += len(us)
            B = len(us)
            if "random" in want:
                add(s, "random", rng.random((B, n)), targets, liked)
            if "popularity" in want:
                add(s, "popularity", np.tile(pop, (B, 1)), targets, liked, jitter=True)
            if "popularity" in want or "segment-popularity" in want:
                # no jitter, so the shared rng stream (and every other row) stays as it was
                add(s, "segment-popularity", seg[us], targets, liked)
                if seg_text is not None:
                    add(s, SEG_TEXT, seg_text[us], targets, liked)
            if "tfidf" in want:
                if s == 0:
                    tsc = (X_users[us] @ X_items.T).toarray()
                else:
                    tsc = (_rows_mean_sparse(X_items, liked) @ X_items.T).toarray()
                add(s, "tfidf", tsc, targets, liked, jitter=True)
            if "itemknn" in want and s > 0:
                add(s, "itemknn", np.stack([Sim[l].sum(0) for l in liked]), targets, liked, jitter=True)
            if "zero-shot" in want:
                add(s, "zero-shot", _ml_profiles(E, D, us, liked) @ E.T, targets, liked)
            if s == 0:
                add(s, "demo-knn", dpop[us], targets, liked, jitter=True)
                if demo is not None:
                    add(s, "text-popularity", demo[us], targets, liked, jitter=True)
            cand = np.tile(np.arange(n), (B, 1))
            for name, net in nets.items():
                add(s, name, net.score_batch(*_ml_feats(E, D, Sim, logpop_n, us, liked, cand, dpop=dpop, base=base,
                                                         demo=demo)), targets, liked)
        log(f"  fold {fold + 1}/5 done in {time.time() - tf:.0f}s")
    few_shot: dict[str, dict[str, dict[str, float]]] = {}
    methods: dict[str, dict[str, float]] = {}
    for (s, m), a in sorted(acc.items()):
        if s == 0:
            methods[m] = a.result()
        else:
            few_shot.setdefault(f"{s}-shot", {})[m] = a.result()
    variants = {"popularity among the 50 training users with the closest demographic text (no MLP)":
                methods.pop("demo-knn")} if "demo-knn" in methods else {}
    if "text-popularity" in methods:
        variants["text-conditioned popularity: multinomial model from the demographic text vector (no MLP)"] = \
            methods.pop("text-popularity")
    order = [m for m in ML_METHODS if m in methods]
    methods = {m: methods[m] for m in order}
    for k in few_shot:
        few_shot[k] = {m: few_shot[k][m] for m in ML_METHODS if m in few_shot[k]}
    for s, block in [(0, methods)] + [(int(k.split("-")[0]), v) for k, v in few_shot.items()]:
        for m, v in block.items():
            log(f"  {s}-shot {m}: {v}")
    return {
        "dataset": "MovieLens 100K (movielens-100k/), 5 seeded folds over users",
        "methods": methods,
        "few_shot": few_shot,
        "variants": variants,
        "n_users": {f"{s}-shot": n_test_users[s] for s in SHOTS},
        "n_items": int(n),
        "ks": list(ks),
        "recall_n": int(n),
        "ranker": {k: v for k, v in ranker_info.items() if v},  # per fold: epoch logs; base = residual start
        "timings": timings,
        "notes": [
            "Test users are described only by demographic text such as 'a 24-year-old male technician'.",
            "Positives are ratings >= 4; users with no positive (or no more than the shot count) are skipped.",
            "Few-shot: 1/3/5 random positives are given as liked items, excluded from the ranking and the targets.",
            "The rankers score all 1,682 items (recall N = all): cosine recall from demographics alone is too weak "
            "to pre-filter.",
            "mlp-rich scalars (standardised): a residual base = (1 - w) x log popularity + w x text-conditioned "
            "popularity + alpha x neighbour popularity + beta x item-CF (w, alpha chosen per fold on the 0-shot rows "
            "of all training users, whose demographic features never contain their own positives (their log "
            "popularity does: the fold's counts include them, one per liked item); beta per shot count (1, 3, 5 "
            "liked items) on 10% inner-validation users; epoch 0 = that order), cosine(item, profile), "
            "cosine(item, demographic text), "
            "max-sim to liked items, item-CF score from liked items, has-liked flag, popularity among the 50 training "
            "users whose demographic text is closest (never the user itself), log popularity, text-conditioned "
            "popularity. One ranker per fold is trained with 0/1/3/5 shots drawn at random; epochs chosen on 10% of "
            "the training users, averaged over 0, 1, 3 and 5 liked items.",
            "Text-conditioned popularity: a multinomial model over all items, logits = log(count + 0.5) + "
            "text_vector @ W (W learned with L2; weight chosen on the inner-validation users). Training users get "
            "cross-fitted rows (two halves, each predicted by a model fitted on the other), test users a model fitted "
            "on all training users of the fold; no row ever sees its own user's positives.",
            "itemknn needs at least one liked item, so it appears only in the few-shot rows.",
            "segment-popularity (coldrec.ranking.SegmentPopularity): popularity per segment age bucket (ML-1M groups) "
            "> age x gender > age x gender x occupation, each level a Dirichlet posterior around its parent "
            "(strength = pseudo-counts, 1e3..3e4 per level, chosen per fold by NDCG@10 on 5 inner folds of the "
            "training users), level 0 global popularity. Row ties are broken by item order (continuous "
            "probabilities; ties only among never-liked items).",
            "segment+text-popularity: (1 - w) x z(segment popularity) + w x z(text-conditioned popularity), per-row "
            "z-scores, w in {0, .25, .5, .75, 1} chosen per fold by NDCG@10 of the training users' rows (both are "
            "leakage-free for them: segment rows leave the user out, text rows are cross-fitted).",
        ],
        "seconds_total": round(time.time() - t_start, 1),
    }

