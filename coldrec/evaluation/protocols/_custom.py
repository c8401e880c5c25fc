"""``cold-items`` / ``cold-users`` on an analyst's own catalog and interaction files."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.evaluation._common import (METHODS, EvalConfig, Log, _log_default, _normalize, _rows_mean_sparse, _tfidf,
                                      embed_cached, get_encoder, split_cold)
from coldrec.evaluation._hybrid import LEXICAL, choose_fusion, fuse, hybrid_lexical, hybrid_note
from coldrec.evaluation._reranking import _eval_matrix, _rerank_set, _train_set_ranker, config_record, set_features
from coldrec.evaluation.protocols._custom_users import cold_users

__all__ = ["protocol_custom", "split_cold", "OwnData"]

# ================================================================================================ custom files
def _read_user_texts(users: Any, user_col: str | None, text_col: str | None) -> dict[str, str]:
    from coldrec.catalog._user_texts import read_user_texts

    return read_user_texts(users, user_col=user_col, text_col=text_col)


def protocol_custom(name: str, *, catalog: Any = None, interactions: Any = None, columns: Any = None,
                    users: Any = None, user_text_col: str | None = None, user_col: str | None = None,
                    item_col: str | None = None, rating_col: str | None = None, time_col: str | None = None,
                    positive_threshold: float | None = None, cold_fraction: float = 0.2, shots: int | None = None,
                    encoder: Any = None, cfg: EvalConfig | None = None, log: Log = _log_default,
                    block_users: int | None = None) -> dict[str, Any]:
    """``cold-items`` / ``cold-users`` on an analyst's own catalog + interaction log.

    cold-items: a seeded ``cold_fraction`` of the interacted items is held out; their interactions are hidden
    from training; each user with a held-out positive and at least one warm positive ranks only the held-out
    items from a profile of their warm items. cold-users: a seeded ``cold_fraction`` of users is held out; each
    is described by their text (``users`` file) and/or ``shots`` liked items (default 0 with text, else 3); they
    rank all items, scored ``block_users`` users at a time (default: what fits 64 MB of scores; the result does not
    depend on it). The ``hybrid`` method fuses zero-shot and TF-IDF with a fusion and weight chosen on validation
    (:mod:`coldrec.evaluation._hybrid`); the choice is returned under ``hybrid``.

    Raises:
        ColdrecError: missing files, unknown columns, or too little data — with what to pass instead.
    """
    if name not in ("cold-items", "cold-users"):
        raise ColdrecError(f"protocol_custom runs cold-items or cold-users, not {name!r}")
    for opt, val in (("--catalog", catalog), ("--interactions", interactions)):
        if val is None:
            raise ColdrecError(f"protocol {name!r} needs {opt} FILE (the {opt[2:]} of your own data); the published "
                               "protocols are scientific, citeulike-cold and ml100k-cold-users")
        if isinstance(val, (str, Path)) and not Path(val).is_file():
            raise ColdrecError(f"{opt} file not found: {val}")
    cfg = cfg or EvalConfig()
    t_start = time.time()
    d = _load_own(catalog, columns, interactions, dict(user_col=user_col, item_col=item_col, rating_col=rating_col,
                                                      time_col=time_col, positive_threshold=positive_threshold),
                  encoder, cfg, log)
    d.notes.insert(0, f"{name}: seeded {cold_fraction:.0%} of the "
                      f"{'interacted items' if name == 'cold-items' else 'users'} held out (seed {cfg.seed}); "
                      f"{d.n_positive} positive rows of {d.rows_read} read; positives: {d.positive}.")
    if name == "cold-items":
        n_users, n_ranked = _cold_items(d, cold_fraction)
    else:
        user_text = _read_user_texts(users, user_col, user_text_col) if users is not None else {}
        n_users, n_ranked = cold_users(d, user_text=user_text, shots=shots, cold_fraction=cold_fraction,
                                       block_users=block_users)
    out = {
        "dataset": f"own files: catalog {catalog if isinstance(catalog, (str, Path)) else '<data frame>'}, "
                   f"interactions {interactions if isinstance(interactions, (str, Path)) else '<data frame>'}",
        "methods": {m: d.methods[m] for m in METHODS if m in d.methods},
        "n_users": int(n_users),
        "n_items": int(n_ranked),
        "ks": list(d.ks),
        "recall_n": cfg.recall_n,
        "ranker": d.ranker_info,
        "timings": d.timings,
        "warnings": d.warnings,
        "notes": d.notes,
        "seconds_total": round(time.time() - t_start, 1),
    }
    if d.hybrid:
        out["hybrid"] = d.hybrid
    return out


@dataclass
class OwnData:
    """What both own-data protocols share once the files are read: embeddings, positives per user, the report."""

    name: str
    texts: list
    E: np.ndarray
    uids: np.ndarray
    user_pos: list
    n_items: int
    cfg: EvalConfig
    enc: Any
    log: Log
    rng: np.random.Generator
    n_positive: int
    rows_read: int
    positive: str
    warnings: list
    ks: tuple = (10, 20, 50)
    want: set = field(default_factory=set)
    methods: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    ranker_info: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    hybrid: dict = field(default_factory=dict)


def _load_own(catalog, columns, interactions, log_opts: dict, encoder, cfg: EvalConfig, log: Log) -> OwnData:
    from coldrec.catalog import load_catalog
    from coldrec.ranking import load_interactions

    cat = load_catalog(catalog, columns)
    ids = [str(x) for x in cat.items["item_id"].tolist()]
    texts = cat.items["text"].astype(str).tolist()
    row = {x: r for r, x in enumerate(ids)}
    ilog = load_interactions(interactions, known_items=ids, **log_opts)
    posf = ilog.positives
    if len(posf) < 10:
        raise ColdrecError(f"the interaction log has only {len(posf)} positive row(s) on catalog items; at least 10 "
                           "are needed to hold some out (check --rating-col / the positive threshold and that item "
                           "ids match the catalog's id column)")
    pu = posf["user_id"].astype(str).to_numpy()
    pi = np.array([row[x] for x in posf["item_id"].astype(str)], dtype=np.int64)
    uids, uidx = np.unique(pu, return_inverse=True)
    user_pos = [[] for _ in range(len(uids))]
    for u, i in zip(uidx, pi):
        user_pos[u].append(i)
    user_pos = [np.array(x, dtype=np.int64) for x in user_pos]  # in log (time) order
    enc = get_encoder(encoder)
    t0 = time.time()
    E = embed_cached(enc, texts, f"custom-{cat.name}")
    return OwnData(name=cat.name, texts=texts, E=E, uids=uids, user_pos=user_pos, n_items=len(ids), cfg=cfg,
                   enc=enc, log=log, rng=np.random.default_rng(cfg.seed), n_positive=len(posf),
                   rows_read=ilog.rows_read, positive=ilog.positive, warnings=cat.report.warnings + list(ilog.warnings),
                   want=set(cfg.methods), timings={"embedding": round(time.time() - t0, 1)})


def _lex_scores(X, hists: Sequence[np.ndarray], cand: np.ndarray) -> np.ndarray:
    return (_rows_mean_sparse(X, hists) @ X[cand].T).toarray()


def _cold_items(d: OwnData, cold_fraction: float) -> tuple[int, int]:
    """Fill ``d`` for cold-items; returns (users, items ranked)."""
    cfg, want, E, user_pos, rng = d.cfg, d.want, d.E, d.user_pos, d.rng
    warm, cold = split_cold(np.unique(np.concatenate(user_pos)), cold_fraction, cfg.seed)
    cold_set = set(cold.tolist())
    prof = [np.array([i for i in p if i not in cold_set], dtype=np.int64) for p in user_pos]
    tgt = [set(int(i) for i in p if i in cold_set) for p in user_pos]
    test_users = np.array([u for u in range(len(user_pos)) if tgt[u] and len(prof[u])], dtype=np.int64)
    if cfg.max_users and len(test_users) > cfg.max_users:
        test_users = np.sort(rng.choice(test_users, cfg.max_users, replace=False))
    if not len(test_users):
        raise ColdrecError("no user has both a held-out (cold) item and a warm item; cold-items needs users with "
                           "several positives — use more interactions or a larger --cold-fraction")
    ccol = {int(i): c for c, i in enumerate(cold)}
    targets = [set(ccol[i] for i in tgt[u]) for u in test_users]
    taus = (None, 0.1)
    ft = set_features(E, [prof[u] for u in test_users], cold, taus)
    ev = lambda sc, jitter=False: _eval_matrix(sc, np.arange(len(cold)), targets, d.ks,  # noqa: E731
                                               np.random.default_rng(cfg.seed), jitter=jitter)
    methods, notes = d.methods, d.notes
    if "random" in want:
        methods["random"] = ev(rng.random((len(test_users), len(cold))))
    if "popularity" in want:
        pop = np.zeros(d.n_items)
        for p in prof:
            np.add.at(pop, p, 1)
        if pop[cold].any():
            methods["popularity"] = ev(np.tile(pop[cold], (len(test_users), 1)), jitter=True)
        else:  # every cold item has 0 training interactions: "popularity" would be the random row again
            notes.append("popularity is not shown: the held-out items have no training interactions, so it "
                         "would rank them in random order (that is the random row).")
    X = _tfidf(d.texts) if "tfidf" in want else None
    lex = _lex_scores(X, [prof[u] for u in test_users], cold) if X is not None else None
    if "tfidf" in want:
        methods["tfidf"] = ev(lex)
    notes.append("itemknn is not applicable: the ranked items are cold.")
    zs_name = "kernel:0.1"
    if "zero-shot" in want:
        methods["zero-shot"] = ev(ft[zs_name])
    names = [zs_name, "kernel:None", "max", "cos"]
    if not ({"hybrid", "mlp-concat", "mlp-rich"} & want):
        return len(test_users), len(cold)
    if len(warm) < 10:
        notes.append("too few warm items to hold some out for validation; hybrid and mlp rows are missing.")
        return len(test_users), len(cold)
    # validation: a fifth of the warm items (Zv) ranked from profiles without them; another fifth (Z) trains
    zr = np.random.default_rng(cfg.seed + 11)
    wperm = zr.permutation(warm)
    n_z = max(1, len(warm) // 5)
    Z, Zv = np.sort(wperm[:n_z]), np.sort(wperm[n_z:2 * n_z])
    hide = set(Z.tolist()) | set(Zv.tolist())
    p2 = [np.array([i for i in p if i not in hide], dtype=np.int64) for p in prof]
    vc = {int(i): c for c, i in enumerate(Zv)}
    vus = [r for r in range(len(prof)) if len(p2[r]) and any(int(i) in vc for i in prof[r])]
    if not vus:
        notes.append("no user has a validation item and a remaining warm item; hybrid and mlp rows are missing.")
        return len(test_users), len(cold)
    fv = set_features(E, [p2[r] for r in vus], Zv, taus)
    vt = [set(vc[int(i)] for i in prof[r] if int(i) in vc) for r in vus]
    if "hybrid" in want:  # its lexical side: words and word pairs (the tfidf row is words only)
        X2 = hybrid_lexical(d.texts)
        choice = choose_fusion([(fv[zs_name], _lex_scores(X2, [p2[r] for r in vus], Zv), vt, None)],
                               np.arange(len(Zv)))
        choice["lexical"] = LEXICAL
        methods["hybrid"] = ev(fuse(ft[zs_name], _lex_scores(X2, [prof[u] for u in test_users], cold),
                                    choice["weight"], choice["fusion"]))
        d.hybrid = choice
        notes.append(hybrid_note(choice, len(vus), f"users ranking {len(Zv)} held-out warm items"))
    if {"mlp-concat", "mlp-rich"} & want:
        _cold_item_rankers(d, prof, p2, Z, Zv, vus, fv, vt, names, taus, ft, test_users, cold, ev)
    return len(test_users), len(cold)


def _cold_item_rankers(d: OwnData, prof, p2, Z, Zv, vus, fv, vt, names, taus, ft, test_users, cold, ev) -> None:
    cfg, E = d.cfg, d.E
    zc = {int(i): c for c, i in enumerate(Z)}
    pos_sets = [set(zc[int(i)] for i in p if int(i) in zc) for p in prof]
    pairs = np.array([(r, c) for r, ps in enumerate(pos_sets) if len(p2[r]) for c in ps], dtype=np.int64)
    if not len(pairs):
        d.notes.append("too few warm interactions to train the rankers; mlp rows are missing.")
        return
    fz = set_features(E, p2, Z, taus)
    mean_vec = lambda ps: _normalize(np.stack([E[p].mean(0) if len(p) else  # noqa: E731
                                               np.zeros(E.shape[1], np.float32) for p in ps]))
    uz, uv, ut = mean_vec(p2), mean_vec([p2[r] for r in vus]), mean_vec([prof[u] for u in test_users])
    for feat in ("concat", "rich"):
        nm = f"mlp-{feat}"
        if nm not in d.want:
            continue
        validate = lambda net: _eval_matrix(  # noqa: E731
            _rerank_set(net, E, uv, fv, names, Zv, cfg.recall_n), np.arange(len(Zv)), vt, (20,),
            np.random.default_rng(0))["recall@20"]
        net, hist = _train_set_ranker(feat, E, uz, fz, names, pairs, pos_sets, Z, None, validate, cfg, d.log, nm)
        d.methods[nm] = ev(_rerank_set(net, E, ut, ft, names, cold, cfg.recall_n))
        d.ranker_info[nm] = {"config": config_record(net), "epochs": hist}
