"""``cold-users`` on an analyst's own files, scored in blocks of users (memory bounded by the block, not by
users × items): each method is a function of a block of user rows (:func:`coldrec.evaluation._blocks.
evaluate_in_blocks`), item-item cosine is computed by rows (:class:`ItemCosine`), and the ranker scores all items
in chunks."""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.evaluation._blocks import ItemCosine, block_rows, evaluate_in_blocks, iter_blocks
from coldrec.evaluation._common import _Evaluator, _rows_mean_sparse, embed_cached, split_cold, tfidf_vectorizer
from coldrec.evaluation._hybrid import choose_fusion, fuse, hybrid_note
from coldrec.evaluation._reranking import config_record, train_protocol_ranker
from coldrec.evaluation._users import ML_SCALARS, _ml_feats, _ml_profiles
from coldrec.ranking import sample_negatives

__all__ = ["cold_users", "score_all_items"]

PAIRS_PER_CALL = 2 ** 16
"""(user, item) pairs per ranker call when it scores every item (bounds the ``(B, M, d)`` candidate array)."""
MAX_VAL_USERS = 1000
"""Validation users the hybrid's fusion is chosen on (a seeded sample of the training users)."""


def score_all_items(net, E, D, Sim, logpop_n, users: np.ndarray, liked: Sequence[np.ndarray]) -> np.ndarray:
    """Ranker logits ``(len(users), n_items)`` of every item, one user and a chunk of items per call."""
    n_items = len(E)
    chunk = max(1, min(n_items, PAIRS_PER_CALL))
    out = np.empty((len(users), n_items), np.float32)
    for r in range(len(users)):
        for s in range(0, n_items, chunk):
            cols = np.arange(s, min(s + chunk, n_items))[None, :]
            out[r, cols[0]] = net.score_batch(*_ml_feats(E, D, Sim, logpop_n, users[r:r + 1], liked[r:r + 1], cols))[0]
    return out


def _describe(user_pos, users, shots, rng):
    liked = [rng.choice(user_pos[u], shots, replace=False) if shots else np.zeros(0, np.int64) for u in users]
    return liked, [set(user_pos[u].tolist()) - set(l.tolist()) for u, l in zip(users, liked)]


def cold_users(d, *, user_text: dict[str, str], shots: int | None, cold_fraction: float,
               block_users: int | None = None) -> tuple[int, int]:
    """Fill ``d.methods`` / ``d.notes`` / ``d.ranker_info`` for cold-users; returns (users, items ranked).

    ``d`` is the loaded own data (:class:`coldrec.evaluation.protocols._custom.OwnData`).
    """
    cfg, want, E, uids, user_pos, n_items = d.cfg, d.want, d.E, d.uids, d.user_pos, d.n_items
    has_text = bool(user_text) and any(user_text.get(str(u), "").strip() for u in uids)
    if shots is None:
        shots = 0 if has_text else 3
    if not has_text and shots == 0:
        raise ColdrecError("cold-users with --shots 0 needs a text per user: pass --users FILE (a table with a user "
                           "id and a description column; name the column with --user-text-col COLUMN), or give "
                           "each cold user a few liked items with --shots N (e.g. --shots 3)")
    if not has_text:
        d.notes.append(f"no user text given: each cold user is described by {shots} liked item(s) only.")
    D = embed_cached(d.enc, [user_text.get(str(u), "") for u in uids], f"custom-users-{d.name}") if has_text \
        else np.zeros((len(uids), E.shape[1]), np.float32)
    warm_u, cold_u = split_cold(np.arange(len(uids)), cold_fraction, cfg.seed)
    test_users = np.array([u for u in cold_u if len(user_pos[u]) > shots], dtype=np.int64)
    if cfg.max_users and len(test_users) > cfg.max_users:
        test_users = np.sort(d.rng.choice(test_users, cfg.max_users, replace=False))
    if not len(test_users):
        raise ColdrecError(f"no held-out user has more than {shots} positive(s); lower --shots or add interactions")
    trR = np.array([(u, i) for u in warm_u for i in user_pos[u]], dtype=np.int64).reshape(-1, 2)
    pop = np.bincount(trR[:, 1], minlength=n_items).astype(np.float64)
    logpop_n = (np.log1p(pop) / max(np.log1p(pop).max(), 1e-6)).astype(np.float32)
    import scipy.sparse as sp

    Rm = sp.csr_matrix((np.ones(len(trR), np.float32), (trR[:, 0], trR[:, 1])), shape=(len(uids), n_items))
    Rm.data[:] = 1.0
    Sim = ItemCosine(Rm)
    liked, targets = _describe(user_pos, test_users, shots, np.random.default_rng(cfg.seed + 1000))
    inner = np.random.default_rng(cfg.seed + 100).permutation(warm_u)
    n_val = max(1, len(inner) // 10)
    val_users, fit_users = inner[:n_val], inner[n_val:]
    vu = np.array([u for u in val_users if len(user_pos[u]) > shots], dtype=np.int64)
    vl, vt = _describe(user_pos, vu, shots, np.random.default_rng(cfg.seed + 5))

    if {"tfidf", "hybrid"} & want:
        utexts = [user_text.get(str(uids[u]), "") for u in test_users]
        lex_rows = _lexical(d, utexts, has_text, shots)

    P = _ml_profiles(E, D, test_users, liked)  # (users, d): one profile per test user
    scorers: dict[str, Any] = {}
    memo_get = lambda memo, key, f: memo[key] if key in memo else memo.setdefault(key, f())  # noqa: E731
    if "random" in want:
        scorers["random"] = lambda rows, memo: d.rng.random((len(rows), n_items))
    if "popularity" in want:
        scorers["popularity"] = lambda rows, memo: np.tile(pop, (len(rows), 1))
    if "tfidf" in want or "hybrid" in want:
        lex = lambda rows, memo: memo_get(memo, "lex", lambda: lex_rows([utexts[r] for r in rows],  # noqa: E731
                                                                         [liked[r] for r in rows]))
        if "tfidf" in want:
            scorers["tfidf"] = lex
    if "itemknn" in want:
        if shots:
            scorers["itemknn"] = lambda rows, memo: np.stack([Sim[liked[r]].sum(0) for r in rows])
        else:
            d.notes.append("itemknn needs liked items (shots > 0); not run.")
    zs = lambda rows, memo: memo_get(memo, "zs", lambda: P[rows] @ E.T)  # noqa: E731
    if "zero-shot" in want:
        scorers["zero-shot"] = zs
    if "hybrid" in want:
        choice = _choose_hybrid(d, D, vu, vl, vt, lex_rows, user_text, block_users)
        if choice:
            scorers["hybrid"] = lambda rows, memo: fuse(zs(rows, memo), lex(rows, memo), choice["weight"],
                                                        choice["fusion"])
    if "mlp-concat" in want or "mlp-rich" in want:
        scorers.update(_train_rankers(d, D, Sim, logpop_n, fit_users, vu, vl, vt, has_text, shots, test_users,
                                      liked))
    d.methods.update(evaluate_in_blocks(scorers, len(test_users), np.arange(n_items), targets, d.ks, cfg.seed,
                                        exclude=liked, jitter=("popularity", "tfidf", "itemknn"),
                                        block_users=block_users))
    return len(test_users), n_items


def _lexical(d, utexts: list[str], has_text: bool, shots: int):
    """``lex_rows(texts, liked)``: TF-IDF scores of every item for users given by a text and/or liked items (the
    vocabulary and IDF from the item texts and ``utexts``, the test users' texts: no labels involved)."""
    texts, n_items = d.texts, d.n_items
    vec = tfidf_vectorizer(texts + utexts).fit(texts + utexts)
    Xi = vec.transform(texts)
    XiT = Xi.T.tocsc()

    def lex_rows(text_rows, liked_rows):
        sc = (vec.transform(text_rows) @ XiT).toarray() if has_text else np.zeros((len(liked_rows), n_items))
        if shots:
            sc = sc + (_rows_mean_sparse(Xi, liked_rows) @ XiT).toarray()
        return np.asarray(sc, dtype=np.float64)

    return lex_rows


def _choose_hybrid(d, D, vu, vl, vt, lex_rows, user_text, block_users) -> dict:
    """The hybrid's fusion and weight chosen on (a sample of) the validation users, scored in blocks."""
    if not len(vu):
        d.notes.append("hybrid is not shown: no validation user has more than the given shots.")
        return {}
    E, n_items = d.E, d.n_items
    vP = _ml_profiles(E, D, vu, vl)
    vtexts = [user_text.get(str(d.uids[u]), "") for u in vu]
    vsel = np.sort(np.random.default_rng(d.cfg.seed + 7).permutation(len(vu))[:MAX_VAL_USERS])
    blocks = ((vP[vsel[b]] @ E.T, lex_rows([vtexts[j] for j in vsel[b]], [vl[j] for j in vsel[b]]),
               [vt[j] for j in vsel[b]], [vl[j] for j in vsel[b]])
              for b in iter_blocks(len(vsel), block_rows(n_items, block_users)))
    d.hybrid = choose_fusion(blocks, np.arange(n_items))
    d.notes.append(hybrid_note(d.hybrid, len(vsel), "users (training users described like the test users)"))
    return d.hybrid


def _train_rankers(d, D, Sim, logpop_n, fit_users, vu, vl, vt, has_text, shots, test_users, liked) -> dict:
    """Train mlp-concat / mlp-rich on the fit users; returns their block scorers."""
    cfg, E, user_pos, n_items = d.cfg, d.E, d.user_pos, d.n_items
    rcfg = dataclasses.replace(cfg, hidden=min(cfg.hidden, 64), negatives=min(cfg.negatives, 16),
                               max_examples=min(cfg.max_examples, 6000), skip_init=min(cfg.skip_init, 5.0))
    pairs = np.array([(u, i) for u in fit_users for i in user_pos[u]], dtype=np.int64).reshape(-1, 2)
    shot_choices = (0, 1, 3, 5) if has_text else (1, 3, 5)

    def make_batch(bidx, r):
        bidx = r.integers(0, len(pairs), size=len(bidx))
        us, ps = pairs[bidx, 0], pairs[bidx, 1]
        lk = []
        for u, p_ in zip(us, ps):
            s_ = shot_choices[r.integers(len(shot_choices))]
            pool = user_pos[u][user_pos[u] != p_]
            lk.append(r.choice(pool, min(s_, len(pool)), replace=False) if s_ and len(pool) else np.zeros(0, np.int64))
        neg = sample_negatives(np.zeros((len(us), 0), np.int64), [set(user_pos[u].tolist()) for u in us],
                               n_items, rcfg.negatives, r)
        return _ml_feats(E, D, Sim, logpop_n, us, lk, np.concatenate([ps[:, None], neg], axis=1))

    def validate(net):
        if not len(vu):
            return 0.0
        size = block_rows(n_items)
        ev = _Evaluator((10,), np.arange(n_items), np.random.default_rng(0))
        for b in iter_blocks(len(vu), size):
            ev.add(score_all_items(net, E, D, Sim, logpop_n, vu[b], [vl[j] for j in b]), [vt[j] for j in b],
                   [vl[j] for j in b])
        return ev.result()["ndcg@10"]

    scorers = {}
    if not len(pairs):
        return scorers
    for feat in ("concat", "rich"):
        nm = f"mlp-{feat}"
        if nm in d.want:
            net, hist = train_protocol_ranker(feat, E.shape[1], ML_SCALARS, min(len(pairs), rcfg.max_examples),
                                              make_batch, validate, rcfg, d.log, nm)
            scorers[nm] = (lambda net_: lambda rows, memo: score_all_items(
                net_, E, D, Sim, logpop_n, test_users[rows], [liked[r] for r in rows]))(net)
            d.ranker_info[nm] = {"config": config_record(net), "epochs": hist}
    return scorers

