"""The item-side warm-up study: how well an item with 0, 1, 2, 5, 10 known interactions is ranked for the users
who later interact with it.

Items (those with at least one interaction) are split into seeded folds. For a fold's test items, every pair is
hidden from the CF fit; at point ``s`` each test item with more than ``s`` users shows ``s`` of them (the first ``s``
by time when the log is ordered, else a seeded draw; the same draw is nested across points) and the rest are its
targets. Every user with a target ranks the test items at that point (their own known test items excluded) from
their history on the other items. Methods: popularity (every candidate has ``s`` known users, so this is a
random order: the floor), EASE and KNN on the user side (the item's column of known users scored through a
user-user model fitted on the training items: ``EASE`` on ``Xᵀ``, cosine user-KNN), text only (cosine of the user's
mean item-text profile with the item's text; ``lm``, ``hash``, ``tfidf``) and the hybrid
``w·z(text) + (1 − w)·z(CF)`` with (w, CF) chosen per point on validation items (training items held out of the
CF fit the same way). The language model's gain = hybrid-lm − hybrid-tfidf (or hash).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.evaluation._common import _Evaluator, _rows_mean_sparse
from coldrec.evaluation.protocols._warmup import WEIGHTS, ValidationSet, _z, user_folds
from coldrec.evaluation.protocols._warmup_study import summarise
from coldrec.retrieval import EASE, EASEConfig, ItemKNN

ITEM_POINTS: tuple[int, ...] = (0, 1, 2, 5, 10)
CF_METHODS: tuple[str, ...] = ("ease", "userknn")


@dataclass
class ItemWarmupConfig:
    """Options of :func:`item_warmup_study`."""

    points: tuple[int, ...] = ITEM_POINTS
    """Known-interaction counts per item evaluated (items with no more users than that are left out of the point)."""
    ks: tuple[int, ...] = (10, 20)
    """Cut-offs of Recall@K and NDCG@K."""
    folds: int = 3
    """Seeded folds over items: each item is a test item exactly once."""
    seed: int = 0
    """Seeds the folds, the validation items, the known-user draw and the tie-breaking."""
    val_fraction: float = 0.15
    """Share of each fold's training items held out of the CF fit to choose λ and the hybrid's (w, CF)."""
    l2_grid: tuple[float, ...] = (10.0, 30.0, 100.0)
    """EASE λ values tried on the first fold's validation items (the choice is kept for the other folds)."""
    weights: tuple[float, ...] = WEIGHTS
    """Hybrid text weights tried per point (0 = CF only, 1 = text only)."""
    min_val_items: int = 20
    """Fewer validation items at a point than this: the previous point's (w, CF) is reused (0.5, EASE at first)."""
    max_users: int | None = None
    """Evaluate at most this many seeded users (all users still enter the CF fit); None = all."""


@dataclass
class ItemWarmupData:
    """What the item-side study needs from a dataset."""

    name: str
    n_users: int
    n_items: int
    pairs: np.ndarray
    """``(n, 2)`` distinct (user, item) positives; in time order when ``ordered``."""
    text: dict[str, Any] = field(default_factory=dict)
    """Item text vectors by label (``lm``, ``hash``, ``tfidf``): dense rows or a sparse matrix, one row per item."""
    ordered: bool = False
    """True: an item's known users are its first ones in ``pairs``; False: a seeded draw."""


def pair_keys(pairs: np.ndarray, seed: int) -> np.ndarray:
    """A seeded pseudo-random key per (user, item) pair that depends on that pair alone (splitmix64), so that an
    item's draw of known users never moves when other items' pairs change."""
    with np.errstate(over="ignore"):
        x = (np.asarray(pairs[:, 0], np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             ^ np.asarray(pairs[:, 1], np.uint64) * np.uint64(0xBF58476D1CE4E5B9)) + np.uint64(seed + 1)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def known_order(data: ItemWarmupData, seed: int) -> list[np.ndarray]:
    """Per item, its distinct users in the order they become known (time order, or a seeded shuffle)."""
    pairs = np.asarray(data.pairs, dtype=np.int64)
    key = np.arange(len(pairs)) if data.ordered else pair_keys(pairs, seed)
    order = np.lexsort((key, pairs[:, 1]))
    users, items = pairs[order, 0], pairs[order, 1]
    cuts = np.searchsorted(items, np.arange(data.n_items + 1))
    out = []
    for i in range(data.n_items):
        u = users[cuts[i]:cuts[i + 1]]
        out.append(u[np.sort(np.unique(u, return_index=True)[1])])
    return out


def split_items(item_users: list[np.ndarray], items: np.ndarray, s: int
                ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The items with more than ``s`` users, their ``s`` known users and their target users (never overlapping)."""
    keep = [int(i) for i in items if len(item_users[i]) > s]
    return (np.array(keep, dtype=np.int64), [item_users[i][:s] for i in keep], [item_users[i][s:] for i in keep])


def _user_profiles(data: ItemWarmupData, hidden: np.ndarray) -> list[np.ndarray]:
    """Per user, their items outside ``hidden`` (the history every method may use)."""
    mask = np.ones(data.n_items, bool)
    mask[hidden] = False
    p = data.pairs[mask[data.pairs[:, 1]]]
    p = p[np.argsort(p[:, 0], kind="stable")]
    cuts = np.searchsorted(p[:, 0], np.arange(data.n_users + 1))
    return [p[cuts[u]:cuts[u + 1], 1] for u in range(data.n_users)]


def _text_scores(vectors: Any, hists: list[np.ndarray], users: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Cosine of each user's mean item-text profile with the candidates' texts: ``(len(users), len(cand))``."""
    import scipy.sparse as sp

    if sp.issparse(vectors):
        U = _rows_mean_sparse(vectors, [hists[u] for u in users])
        return np.asarray((U @ vectors[cand].T).todense(), dtype=np.float32)
    V = np.asarray(vectors, np.float32)
    P = np.stack([V[hists[u]].mean(0) if len(hists[u]) else np.zeros(V.shape[1], np.float32) for u in users])
    P /= np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-12)
    return P @ V[cand].T


class _Point:
    """One point of one split: candidates, the users that have a target among them, their targets and exclusions."""

    def __init__(self, cand: np.ndarray, known: list[np.ndarray], targets: list[np.ndarray],
                 users: np.ndarray | None) -> None:
        self.cand, self.known = cand, known
        by_user: dict[int, tuple[set, list]] = {}
        for c, (kn, tg) in enumerate(zip(known, targets)):
            for u in tg.tolist():
                by_user.setdefault(u, (set(), []))[0].add(c)
            for u in kn.tolist():
                by_user.setdefault(u, (set(), []))[1].append(c)
        allowed = None if users is None else set(users.tolist())
        self.users = np.array(sorted(u for u, (t, _) in by_user.items() if t and (allowed is None or u in allowed)),
                              dtype=np.int64)
        self.targets = [by_user[u][0] for u in self.users]
        self.exclude = [np.array(by_user[u][1], dtype=np.int64) for u in self.users]


def _cf_scores(models: dict[str, Any], pt: _Point) -> dict[str, np.ndarray]:
    """Each CF model's scores ``(len(pt.users), len(pt.cand))``: the item's known users scored through it."""
    return {name: m.score(pt.known)[:, pt.users].T for name, m in models.items()}


def _fit_cf(data: ItemWarmupData, hists: list[np.ndarray], l2: float) -> dict[str, Any]:
    import scipy.sparse as sp

    rows = np.concatenate([np.full(len(h), u) for u, h in enumerate(hists)])
    cols = np.concatenate(hists)
    Xt = sp.csr_matrix((np.ones(len(cols), np.float32), (cols, rows)), shape=(data.n_items, data.n_users))
    Xt.data[:] = 1.0
    return {"ease": EASE(EASEConfig(l2=l2)).fit(Xt), "userknn": ItemKNN().fit(Xt)}


def _choose(data: ItemWarmupData, cfg: ItemWarmupConfig, item_users, train_items: np.ndarray, hidden: np.ndarray,
            fold: int, l2_grid: tuple[float, ...], users: np.ndarray | None) -> dict[str, Any]:
    """λ and the hybrid's (w, CF) per text side and point, on validation items held out of the CF fit."""
    rng = np.random.default_rng([cfg.seed, fold, 1])
    val_items = np.sort(rng.choice(train_items, max(1, int(round(cfg.val_fraction * len(train_items)))),
                                   replace=False))
    hists = _user_profiles(data, np.concatenate([hidden, val_items]))
    pts = {s: _Point(*split_items(item_users, val_items, s), users) for s in cfg.points}
    vsets = {s: ValidationSet(len(p.cand), p.targets, p.exclude) for s, p in pts.items() if len(p.users)}
    warm = [s for s in cfg.points if s > 0 and s in vsets]
    best = (-1.0, None, None)
    for l2 in l2_grid:
        models = _fit_cf(data, hists, l2)
        v = np.mean([vsets[s].ndcg(_cf_scores({"ease": models["ease"]}, pts[s])["ease"]) for s in warm] or [0.0])
        if v > best[0]:
            best = (v, l2, models)
    _, l2, models = best
    weights: dict[str, dict[int, tuple]] = {lab: {} for lab in data.text}
    n_val = {s: len(p.cand) for s, p in pts.items()}
    for s in cfg.points:
        if s not in vsets or n_val[s] < cfg.min_val_items:
            for lab in data.text:
                weights[lab][s] = weights[lab][max(weights[lab])] if weights[lab] else (0.5, 0.0, "ease")
            continue
        zcf = {k: _z(v) for k, v in _cf_scores(models, pts[s]).items()}
        for lab, vec in data.text.items():
            zt = _z(_text_scores(vec, hists, pts[s].users, pts[s].cand))
            options = [(w, 0.0, cf) for cf in CF_METHODS for w in cfg.weights]
            weights[lab][s] = max(options, key=lambda o: vsets[s].ndcg((1 - o[0]) * zcf[o[2]] + o[0] * zt))
    return {"l2": l2, "text": {lab: {"agg": "mean profile"} for lab in data.text}, "weights": weights,
            "n_val_users": n_val}


def item_warmup_study(data: ItemWarmupData, cfg: ItemWarmupConfig | None = None,
                      progress: Callable[[float, str], None] | None = None,
                      log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the item-side warm-up study; returns curves, test items per point, crossover, LM gain and the choices."""
    cfg = cfg or ItemWarmupConfig()
    log = log or (lambda msg: None)
    if not data.text:
        raise ColdrecError("the item warm-up study needs at least one text side (e.g. lm, tfidf); got none")
    rng = np.random.default_rng(cfg.seed)
    item_users = known_order(data, cfg.seed)
    items = np.array([i for i in range(data.n_items) if len(item_users[i])], dtype=np.int64)
    if len(items) < 2 * cfg.folds:
        raise ColdrecError(f"only {len(items)} items have interactions; the item warm-up needs at least "
                           f"{2 * cfg.folds} for {cfg.folds} folds (pass fewer folds or more data)")
    users = None
    if cfg.max_users and cfg.max_users < data.n_users:
        users = np.sort(np.random.default_rng([cfg.seed, 7]).choice(data.n_users, cfg.max_users, replace=False))
    acc: dict[tuple[int, str], _Evaluator] = {}
    n_items = {s: 0 for s in cfg.points}
    n_target_users = {s: 0 for s in cfg.points}
    choices: list[dict] = []
    for f, test_items in enumerate(user_folds(items, cfg.folds, cfg.seed)):
        t0 = time.time()
        if progress:
            progress(f / cfg.folds, f"fold {f + 1} of {cfg.folds}: choosing on validation items")
        train_items = np.setdiff1d(items, test_items)
        choice = _choose(data, cfg, item_users, train_items, test_items, f,
                         (choices[0]["l2"],) if choices else cfg.l2_grid, users)
        choices.append(choice)
        hists = _user_profiles(data, test_items)
        models = _fit_cf(data, hists, choice["l2"])
        for s in cfg.points:
            pt = _Point(*split_items(item_users, test_items, s), users)
            n_items[s] += len(pt.cand)
            n_target_users[s] += len(pt.users)
            if not len(pt.users):
                continue

            pad = max(0, max(cfg.ks) - len(pt.cand))  # fewer candidates than K: pad with never-relevant -inf

            def add(method, scores, jitter):
                scores = np.pad(np.asarray(scores, np.float64), ((0, 0), (0, pad)), constant_values=-np.inf)
                ev = acc.setdefault((s, method), _Evaluator(cfg.ks, np.zeros(0, int), rng))
                ev.cand = np.r_[np.arange(len(pt.cand)), -np.ones(pad, int)]  # this fold's candidates
                ev.add(scores, pt.targets, pt.exclude, jitter)
            add("popularity", np.zeros((len(pt.users), len(pt.cand))), True)
            cfs = _cf_scores(models, pt)
            for name, sc in cfs.items():
                add(name, sc, True)
            for lab, vec in data.text.items():
                txt = _text_scores(vec, hists, pt.users, pt.cand)
                add(f"text-{lab}", txt, False)
                w, _, cf = choice["weights"][lab][s]
                add(f"hybrid-{lab}", (1 - w) * _z(cfs[cf]) + w * _z(txt), True)
        log(f"  item warm-up fold {f + 1}/{cfg.folds}: λ={choice['l2']} w={choice['weights']} "
            f"({time.time() - t0:.0f}s)")
    if progress:
        progress(1.0, "done")
    out = summarise(acc, cfg, n_items, list(data.text), choices, cf_names=CF_METHODS)
    out["n_items"] = out.pop("n_users")
    out["n_target_users"] = {str(s): n_target_users[s] for s in out["points"]}
    for c in out["choices"]:
        c["n_val_items"] = c.pop("n_val_users")
    return out
