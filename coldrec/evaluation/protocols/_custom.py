"""``cold-items`` / ``cold-users`` on an analyst's own catalog and interaction files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.evaluation._common import (METHODS, EvalConfig, Log, _item_cosine, _log_default, _normalize, _rows_mean_sparse, _tfidf,
                          embed_cached, get_encoder)
from coldrec.evaluation._common import tfidf_vectorizer
from coldrec.evaluation._reranking import (_eval_matrix, _rerank_set, _train_set_ranker, config_record,
                                          set_features, train_protocol_ranker)
from coldrec.evaluation._users import ML_SCALARS, _ml_feats, _ml_profiles
from coldrec.ranking import sample_negatives

# ================================================================================================ custom files
def split_cold(ids: Sequence, fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of distinct ``ids`` into (warm, cold); ``cold`` has ``round(fraction * n)`` ids (>= 1)."""
    if not 0.0 < fraction < 1.0:
        raise ColdrecError(f"cold fraction must be in (0, 1), got {fraction!r}")
    ids = np.unique(np.asarray(list(ids)))
    if len(ids) < 2:
        raise ColdrecError(f"need at least 2 distinct ids to hold some out as cold, got {len(ids)}")
    n_cold = min(len(ids) - 1, max(1, int(round(fraction * len(ids)))))
    perm = np.random.default_rng(seed).permutation(len(ids))
    return np.sort(ids[perm[n_cold:]]), np.sort(ids[perm[:n_cold]])


def _read_user_texts(users: Any, user_col: str | None, text_col: str | None) -> dict[str, str]:
    import pandas as pd

    if isinstance(users, pd.DataFrame):
        df, label = users, "the users table"
    else:
        from coldrec.catalog import read_table
        from coldrec.catalog._readers import _source_label

        df, label = read_table(users)[0], f"users file {_source_label(users, None)}"
    lower = {str(c).lower(): c for c in df.columns}
    uc = user_col or next((lower[c] for c in ("user_id", "user", "uid", "userid") if c in lower), None)
    tc = text_col or next((lower[c] for c in ("description", "text", "profile", "bio", "about") if c in lower), None)
    for what, col in (("user id", uc), ("user text", tc)):
        if col is None or col not in df.columns:
            raise ColdrecError(f"{label} has no {what} column{f' {col!r}' if col else ''}; its columns are: "
                               f"{', '.join(map(str, df.columns))}")
    return {str(u): ("" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t))
            for u, t in zip(df[uc], df[tc])}


def protocol_custom(name: str, *, catalog: Any = None, interactions: Any = None, columns: Any = None,
                    users: Any = None, user_text_col: str | None = None, user_col: str | None = None,
                    item_col: str | None = None, rating_col: str | None = None, time_col: str | None = None,
                    positive_threshold: float | None = None, cold_fraction: float = 0.2, shots: int | None = None,
                    encoder: Any = None, cfg: EvalConfig | None = None, log: Log = _log_default) -> dict[str, Any]:
    """``cold-items`` / ``cold-users`` on an analyst's own catalog + interaction log.

    cold-items: a seeded ``cold_fraction`` of the interacted items is held out; their interactions are hidden
    from training; each user with a held-out positive and at least one warm positive ranks only the held-out
    items from a profile of their warm items. cold-users: a seeded ``cold_fraction`` of users is held out; each
    is described by their text (``users`` file) and/or ``shots`` liked items (default 0 with text, else 3); they
    rank all items.

    Raises:
        ColdrecError: missing files, unknown columns, or too little data — with what to pass instead.
    """
    from coldrec.catalog import load_catalog
    from coldrec.ranking import load_interactions

    if name not in ("cold-items", "cold-users"):
        raise ColdrecError(f"protocol_custom runs cold-items or cold-users, not {name!r}")
    for opt, val in (("--catalog", catalog), ("--interactions", interactions)):
        if val is None:
            raise ColdrecError(f"protocol {name!r} needs {opt} FILE (the {opt[2:]} of your own data); the published "
                               "protocols are scientific, citeulike-cold and ml100k-cold-users")
        if isinstance(val, (str, Path)) and not Path(val).is_file():
            raise ColdrecError(f"{opt} file not found: {val}")
    cfg = cfg or EvalConfig()
    ks = (10, 20, 50)
    t_start = time.time()
    cat = load_catalog(catalog, columns)
    ids = [str(x) for x in cat.items["item_id"].tolist()]
    texts = cat.items["text"].astype(str).tolist()
    row = {x: r for r, x in enumerate(ids)}
    ilog = load_interactions(interactions, known_items=ids, user_col=user_col, item_col=item_col,
                             rating_col=rating_col, time_col=time_col, positive_threshold=positive_threshold)
    posf = ilog.positives
    if len(posf) < 10:
        raise ColdrecError(f"the interaction log has only {len(posf)} positive row(s) on catalog items; at least 10 "
                           "are needed to hold some out (check --rating-col / the positive threshold and that item "
                           "ids match the catalog's id column)")
    warnings = cat.report.warnings + list(ilog.warnings)
    pu = posf["user_id"].astype(str).to_numpy()
    pi = np.array([row[x] for x in posf["item_id"].astype(str)], dtype=np.int64)
    uids, uidx = np.unique(pu, return_inverse=True)
    n_items = len(ids)
    user_pos = [[] for _ in range(len(uids))]
    for u, i in zip(uidx, pi):
        user_pos[u].append(i)
    user_pos = [np.array(x, dtype=np.int64) for x in user_pos]  # in log (time) order
    enc = get_encoder(encoder)
    t0 = time.time()
    E = embed_cached(enc, texts, f"custom-{cat.name}")
    timings = {"embedding": round(time.time() - t0, 1)}
    rng = np.random.default_rng(cfg.seed)
    want = set(cfg.methods)
    methods: dict[str, dict[str, float]] = {}
    notes = [f"{name}: seeded {cold_fraction:.0%} of the {'interacted items' if name == 'cold-items' else 'users'} "
             f"held out (seed {cfg.seed}); {len(posf)} positive rows of {ilog.rows_read} read (a rating column, if "
             "any, is thresholded: >= 4 on a 1-5 scale, else >= 1)."]
    ranker_info: dict[str, Any] = {}

    if name == "cold-items":
        warm, cold = split_cold(np.unique(pi), cold_fraction, cfg.seed)
        cold_set = set(cold.tolist())
        prof = [np.array([i for i in p if i not in cold_set], dtype=np.int64) for p in user_pos]
        tgt = [set(int(i) for i in p if i in cold_set) for p in user_pos]
        test_users = np.array([u for u in range(len(uids)) if tgt[u] and len(prof[u])], dtype=np.int64)
        if cfg.max_users and len(test_users) > cfg.max_users:
            test_users = np.sort(rng.choice(test_users, cfg.max_users, replace=False))
        if not len(test_users):
            raise ColdrecError("no user has both a held-out (cold) item and a warm item; cold-items needs users with "
                               "several positives — use more interactions or a larger --cold-fraction")
        ccol = {int(i): c for c, i in enumerate(cold)}
        targets = [set(ccol[i] for i in tgt[u]) for u in test_users]
        taus = (None, 0.1)
        ft = set_features(E, [prof[u] for u in test_users], cold, taus)
        ev = lambda sc, jitter=False: _eval_matrix(sc, np.arange(len(cold)), targets, ks,  # noqa: E731
                                                   np.random.default_rng(cfg.seed), jitter=jitter)
        if "random" in want:
            methods["random"] = ev(rng.random((len(test_users), len(cold))))
        if "popularity" in want:
            pop = np.zeros(n_items)
            for p in prof:
                np.add.at(pop, p, 1)
            methods["popularity"] = ev(np.tile(pop[cold], (len(test_users), 1)), jitter=True)
            notes.append("popularity: held-out items have no training interactions, so it is random order.")
        if "tfidf" in want:
            X = _tfidf(texts)
            methods["tfidf"] = ev((_rows_mean_sparse(X, [prof[u] for u in test_users]) @ X[cold].T).toarray())
        notes.append("itemknn is not applicable: the ranked items are cold.")
        zs_name = "kernel:0.1"
        if "zero-shot" in want:
            methods["zero-shot"] = ev(ft[zs_name])
        names = [zs_name, "kernel:None", "max", "cos"]
        if ("mlp-concat" in want or "mlp-rich" in want) and len(warm) >= 10:
            zr = np.random.default_rng(cfg.seed + 11)
            wperm = zr.permutation(warm)
            n_z = max(1, len(warm) // 5)
            Z, Zv = np.sort(wperm[:n_z]), np.sort(wperm[n_z:2 * n_z])
            hide = set(Z.tolist()) | set(Zv.tolist())
            p2 = [np.array([i for i in p if i not in hide], dtype=np.int64) for p in prof]
            zc = {int(i): c for c, i in enumerate(Z)}
            vc = {int(i): c for c, i in enumerate(Zv)}
            pos_sets = [set(zc[int(i)] for i in p if int(i) in zc) for p in prof]
            pairs = np.array([(r, c) for r, ps in enumerate(pos_sets) if len(p2[r]) for c in ps], dtype=np.int64)
            vus = [r for r in range(len(prof)) if len(p2[r]) and any(int(i) in vc for i in prof[r])]
            if len(pairs) and vus:
                fz = set_features(E, p2, Z, taus)
                fv = set_features(E, [p2[r] for r in vus], Zv, taus)
                vt = [set(vc[int(i)] for i in prof[r] if int(i) in vc) for r in vus]
                mean_vec = lambda ps: _normalize(np.stack([E[p].mean(0) if len(p) else  # noqa: E731
                                                           np.zeros(E.shape[1], np.float32) for p in ps]))
                uz, uv, ut = mean_vec(p2), mean_vec([p2[r] for r in vus]), mean_vec([prof[u] for u in test_users])
                for feat in ("concat", "rich"):
                    nm = f"mlp-{feat}"
                    if nm not in want:
                        continue
                    validate = lambda net: _eval_matrix(  # noqa: E731
                        _rerank_set(net, E, uv, fv, names, Zv, cfg.recall_n), np.arange(len(Zv)), vt, (20,),
                        np.random.default_rng(0))["recall@20"]
                    net, hist = _train_set_ranker(feat, E, uz, fz, names, pairs, pos_sets, Z, None, validate, cfg,
                                                  log, nm)
                    methods[nm] = ev(_rerank_set(net, E, ut, ft, names, cold, cfg.recall_n))
                    ranker_info[nm] = {"config": config_record(net), "epochs": hist}
            else:
                notes.append("too few warm interactions to train the rankers; mlp rows are missing.")
        n_users, n_ranked = len(test_users), len(cold)
    else:
        user_text: dict[str, str] = {}
        if users is not None:
            user_text = _read_user_texts(users, user_col, user_text_col)
        has_text = bool(user_text) and any(user_text.get(str(u), "").strip() for u in uids)
        if shots is None:
            shots = 0 if has_text else 3
        if not has_text and shots == 0:
            raise ColdrecError("cold-users with --shots 0 needs a text per user: pass a users file with a user id and a "
                               "description column (users=..., user_text_col=...), or give each cold user a few "
                               "liked items with shots=N")
        if not has_text:
            notes.append(f"no user text given: each cold user is described by {shots} liked item(s) only.")
        D = embed_cached(enc, [user_text.get(str(u), "") for u in uids], f"custom-users-{cat.name}") if has_text \
            else np.zeros((len(uids), E.shape[1]), np.float32)
        warm_u, cold_u = split_cold(np.arange(len(uids)), cold_fraction, cfg.seed)
        test_users = np.array([u for u in cold_u if len(user_pos[u]) > shots], dtype=np.int64)
        if cfg.max_users and len(test_users) > cfg.max_users:
            test_users = np.sort(rng.choice(test_users, cfg.max_users, replace=False))
        if not len(test_users):
            raise ColdrecError(f"no held-out user has more than {shots} positive(s); lower shots or add interactions")
        trR = np.array([(u, i) for u in warm_u for i in user_pos[u]], dtype=np.int64).reshape(-1, 2)
        pop = np.bincount(trR[:, 1], minlength=n_items).astype(np.float64)
        logpop_n = (np.log1p(pop) / max(np.log1p(pop).max(), 1e-6)).astype(np.float32)
        import scipy.sparse as sp

        Rm = sp.csr_matrix((np.ones(len(trR), np.float32), (trR[:, 0], trR[:, 1])), shape=(len(uids), n_items))
        Rm.data[:] = 1.0
        Sim = _item_cosine(Rm)
        erng = np.random.default_rng(cfg.seed + 1000)
        liked = [erng.choice(user_pos[u], shots, replace=False) if shots else np.zeros(0, np.int64)
                 for u in test_users]
        targets = [set(user_pos[u].tolist()) - set(l.tolist()) for u, l in zip(test_users, liked)]
        B = len(test_users)
        ev = lambda sc, jitter=False: _eval_matrix(sc, np.arange(n_items), targets, ks,  # noqa: E731
                                                   np.random.default_rng(cfg.seed), exclude=liked, jitter=jitter)
        if "random" in want:
            methods["random"] = ev(rng.random((B, n_items)))
        if "popularity" in want:
            methods["popularity"] = ev(np.tile(pop, (B, 1)), jitter=True)
        if "tfidf" in want:
            utexts = [user_text.get(str(uids[u]), "") for u in test_users]
            vec = tfidf_vectorizer(texts + utexts).fit(texts + utexts)
            Xi = vec.transform(texts)
            sc = (vec.transform(utexts) @ Xi.T).toarray() if has_text else 0.0
            if shots:
                sc = sc + (_rows_mean_sparse(Xi, liked) @ Xi.T).toarray()
            methods["tfidf"] = ev(np.asarray(sc) + np.zeros((B, n_items)), jitter=True)
        if "itemknn" in want:
            if shots:
                methods["itemknn"] = ev(np.stack([Sim[l].sum(0) for l in liked]), jitter=True)
            else:
                notes.append("itemknn needs liked items (shots > 0); not run.")
        if "zero-shot" in want:
            methods["zero-shot"] = ev(_ml_profiles(E, D, test_users, liked) @ E.T)
        if "mlp-concat" in want or "mlp-rich" in want:
            import dataclasses

            rcfg = dataclasses.replace(cfg, hidden=min(cfg.hidden, 64), negatives=min(cfg.negatives, 16),
                                       max_examples=min(cfg.max_examples, 6000), skip_init=min(cfg.skip_init, 5.0))
            inner = np.random.default_rng(cfg.seed + 100).permutation(warm_u)
            n_val = max(1, len(inner) // 10)
            val_users, fit_users = inner[:n_val], inner[n_val:]
            pairs = np.array([(u, i) for u in fit_users for i in user_pos[u]], dtype=np.int64).reshape(-1, 2)
            shot_choices = (0, 1, 3, 5) if has_text else (1, 3, 5)

            def make_batch(bidx, r):
                bidx = r.integers(0, len(pairs), size=len(bidx))
                us, ps = pairs[bidx, 0], pairs[bidx, 1]
                lk = []
                for u, p_ in zip(us, ps):
                    s_ = shot_choices[r.integers(len(shot_choices))]
                    pool = user_pos[u][user_pos[u] != p_]
                    lk.append(r.choice(pool, min(s_, len(pool)), replace=False) if s_ and len(pool) else
                              np.zeros(0, np.int64))
                neg = sample_negatives(np.zeros((len(us), 0), np.int64), [set(user_pos[u].tolist()) for u in us],
                                        n_items, rcfg.negatives, r)
                return _ml_feats(E, D, Sim, logpop_n, us, lk, np.concatenate([ps[:, None], neg], axis=1))

            vr = np.random.default_rng(cfg.seed + 5)
            vu = np.array([u for u in val_users if len(user_pos[u]) > shots], dtype=np.int64)
            vl = [vr.choice(user_pos[u], shots, replace=False) if shots else np.zeros(0, np.int64) for u in vu]

            def validate(net):
                if not len(vu):
                    return 0.0
                sc = net.score_batch(*_ml_feats(E, D, Sim, logpop_n, vu, vl, np.tile(np.arange(n_items), (len(vu), 1))))
                return _eval_matrix(sc, np.arange(n_items), [set(user_pos[u].tolist()) - set(l.tolist())
                                                             for u, l in zip(vu, vl)], (10,),
                                    np.random.default_rng(0), exclude=vl)["ndcg@10"]

            if len(pairs):
                for feat in ("concat", "rich"):
                    nm = f"mlp-{feat}"
                    if nm in want:
                        net, hist = train_protocol_ranker(feat, E.shape[1], ML_SCALARS,
                                                          min(len(pairs), rcfg.max_examples),
                                                  make_batch, validate, rcfg, log, nm)
                        cand = np.tile(np.arange(n_items), (B, 1))
                        methods[nm] = ev(net.score_batch(*_ml_feats(E, D, Sim, logpop_n, test_users, liked, cand)))
                        ranker_info[nm] = {"config": config_record(net), "epochs": hist}
        n_users, n_ranked = len(test_users), n_items
    methods = {m: methods[m] for m in METHODS if m in methods}
    return {
        "dataset": f"own files: catalog {catalog if isinstance(catalog, (str, Path)) else '<data frame>'}, "
                   f"interactions {interactions if isinstance(interactions, (str, Path)) else '<data frame>'}",
        "methods": methods,
        "n_users": int(n_users),
        "n_items": int(n_ranked),
        "ks": list(ks),
        "recall_n": cfg.recall_n,
        "ranker": ranker_info,
        "timings": timings,
        "warnings": warnings,
        "notes": notes,
        "seconds_total": round(time.time() - t_start, 1),
    }
