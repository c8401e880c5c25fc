"""The warm-up study driver: folds over users, every choice on validation users, curves + crossover + LM gain."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from coldrec.evaluation._common import _Evaluator
from coldrec.evaluation.protocols._warmup import (TEXT_AGGS, Progress, ValidationSet, WarmupConfig, WarmupData, _z,
                                                  blend, split_users, text_scores, user_folds, weight_pairs)
from coldrec.evaluation.protocols._warmup_ranker import choose_ranker, ranker_scores
from coldrec.retrieval import EASE, EASEConfig, ItemKNN, interaction_matrix


def _prepare(data: WarmupData, cfg: WarmupConfig, fit_users: np.ndarray, val_users: np.ndarray) -> dict[str, Any]:
    X = interaction_matrix([data.seqs[u] for u in fit_users], data.n_items)
    splits = {s: split_users(data.seqs, val_users, s, data.mode) for s in cfg.points}
    vsets = {s: ValidationSet(data.n_items, splits[s][2], splits[s][1]) for s in cfg.points if len(splits[s][0])}
    return {"X": X, "splits": splits, "vsets": vsets, "pop": np.asarray(X.sum(0)).ravel()}


def _pooled(parts: list[dict], points: list[int], value) -> float:
    """NDCG@10 over all validation users of ``parts`` at ``points``: ``value(part, s)`` per part, user-weighted."""
    num = den = 0.0
    for p in parts:
        for s in points:
            if s in p["vsets"]:
                n = len(p["splits"][s][0])
                num += value(p, s) * n
                den += n
    return num / den if den else 0.0


def _choose_on_validation(data: WarmupData, cfg: WarmupConfig, user_splits: list[tuple[np.ndarray, np.ndarray]],
                          l2_grid: tuple[float, ...] | None = None) -> dict[str, Any]:
    """λ of EASE (from ``l2_grid``, default ``cfg.l2_grid``), the text aggregation per text side and the hybrid's
    weights and CF per (side, point), all on validation users: ``user_splits`` holds (CF-fit users, validation
    users) pairs, one for a single hold-out, several for inner cross-validation (every choice pools them)."""
    parts = [_prepare(data, cfg, fit, val) for fit, val in user_splits]
    warm = [s for s in cfg.points if s > 0]
    best_l2, best_val = None, -1.0
    for l2 in l2_grid or cfg.l2_grid:
        models = [EASE(EASEConfig(l2=l2)).fit(p["X"]) for p in parts]
        for p, m in zip(parts, models):
            p["try"] = m
        v = _pooled(parts, warm, lambda p, s: p["vsets"][s].ndcg(p["try"].score(p["splits"][s][1])))
        if v > best_val:
            best_l2, best_val = l2, v
            for p in parts:
                p["ease"] = p["try"]
    aggs: dict[str, dict[str, Any]] = {}
    for label, side in data.text.items():
        options = [(a, d) for a in TEXT_AGGS for d in ((0.0, 0.5) if side.U0 is not None else (0.0,))]
        agg, desc = max(options, key=lambda o: _pooled(parts, warm, lambda p, s: p["vsets"][s].ndcg(
            text_scores(side, *p["splits"][s][:2], o[0], o[1]))))
        aggs[label] = {"agg": agg, "desc_weight": desc}
    weights, n_val = _choose_weights(data, cfg, parts, aggs)
    # the ranker: trained on the first split's CF-fit users, its feature set chosen on that split's validation users
    ranker = choose_ranker(data, cfg, user_splits[0][0], user_splits[0][1], parts[0]["X"], cfg.seed)
    return {"l2": best_l2, "text": aggs, "weights": weights, "n_val_users": n_val, "ranker": ranker}


def _choose_weights(data: WarmupData, cfg: WarmupConfig, parts: list[dict], aggs: dict) -> tuple[dict, dict]:
    """Per text side and point: (text weight, popularity weight, CF) of the hybrid, pooled over ``parts``."""
    weights: dict[str, dict[int, tuple]] = {label: {} for label in data.text}
    n_val: dict[int, int] = {}
    pairs = weight_pairs(cfg.weights, cfg.pop_weights)
    for p in parts:
        p["knn"] = ItemKNN().fit(p["X"])
        p["zp"] = _z(np.log1p(p["pop"])[None, :])
    for s in cfg.points:
        n_val[s] = sum(len(p["splits"][s][0]) for p in parts)
        live = [p for p in parts if s in p["vsets"]]
        for p in live:
            known = p["splits"][s][1]
            p["zcf"] = {"ease": _z(p["ease"].score(known)), "itemknn": _z(p["knn"].score(known))}
        for label, side in data.text.items():
            if n_val[s] < cfg.min_val_users:
                weights[label][s] = weights[label][max(weights[label])] if weights[label] else (0.5, 0.0, "ease")
                continue
            for p in live:
                txt = text_scores(side, *p["splits"][s][:2], aggs[label]["agg"], aggs[label]["desc_weight"])
                p["zt"] = None if txt is None else _z(txt)
            has_text = all(p["zt"] is not None for p in live)
            options = [(w, wp, cf) for cf in ("ease", "itemknn") for w, wp in pairs if has_text or w == 0]
            weights[label][s] = max(options, key=lambda o: _pooled(live, [s], lambda p, _s: p["vsets"][s].ndcg(
                (1 - o[0] - o[1]) * p["zcf"][o[2]] + o[1] * p["zp"] + (o[0] * p["zt"] if o[0] else 0.0))))
    return weights, n_val


def _score_fold(data: WarmupData, cfg: WarmupConfig, train_users, test_users, choice, add) -> dict[int, int]:
    X = interaction_matrix([data.seqs[u] for u in train_users], data.n_items)
    ease = EASE(EASEConfig(l2=choice["l2"])).fit(X)
    knn = ItemKNN().fit(X)
    pop = np.asarray(X.sum(0)).ravel().astype(np.float64)
    counts = {}
    for s in cfg.points:
        us, known, targets = split_users(data.seqs, test_users, s, data.mode)
        counts[s] = len(us)
        if not len(us):
            continue
        add(s, "popularity", np.tile(pop, (len(us), 1)), targets, known, True)
        cfs = {"ease": ease.score(known), "itemknn": knn.score(known)}
        add(s, "ease", cfs["ease"], targets, known, False)
        add(s, "itemknn", cfs["itemknn"], targets, known, False)
        for label, side in data.text.items():
            ch = choice["text"][label]
            txt = text_scores(side, us, known, ch["agg"], ch["desc_weight"])
            if txt is not None:
                add(s, f"text-{label}", txt, targets, known, False)
            w, wp, cf = choice["weights"][label][s]
            add(s, f"hybrid-{label}", blend(txt, cfs[cf], w, pop, wp), targets, known, False)
        if choice.get("ranker"):
            rk = ranker_scores(choice["ranker"]["model"], data, us, known, choice["ranker"]["popularity"])
            if rk is not None:
                add(s, "ranker", rk, targets, known, False)
    return counts


def validation_splits(train_users: np.ndarray, cfg: WarmupConfig, fold: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(CF-fit users, validation users) pairs inside one fold's training users: one seeded hold-out of
    ``val_fraction`` when ``val_folds`` is 1, else ``val_folds`` inner folds (every training user validates once)."""
    inner = np.random.default_rng(cfg.seed + 100 + fold).permutation(train_users)
    if cfg.val_folds <= 1:
        n_val = max(1, int(round(len(inner) * cfg.val_fraction)))
        return [(inner[n_val:], inner[:n_val])]
    chunks = np.array_split(inner, cfg.val_folds)
    return [(np.concatenate([c for j, c in enumerate(chunks) if j != i]), chunk) for i, chunk in enumerate(chunks)]


def warmup_study(data: WarmupData, cfg: WarmupConfig | None = None, *, log=None, progress: Progress | None = None
                 ) -> dict[str, Any]:
    """Run the study on ``data``; returns points, user counts, curves, crossover, LM gain and the choices."""
    cfg = cfg or WarmupConfig()
    log = log or (lambda msg: None)
    rng = np.random.default_rng(cfg.seed)
    users = np.array([u for u, s in enumerate(data.seqs) if len(s)], dtype=np.int64)
    folds = user_folds(users, cfg.folds, cfg.seed)
    acc: dict[tuple[int, str], _Evaluator] = {}

    def add(s, method, scores, targets, known, jitter):
        acc.setdefault((s, method), _Evaluator(cfg.ks, np.arange(data.n_items), rng)).add(scores, targets, known,
                                                                                           jitter)
    n_users = {s: 0 for s in cfg.points}
    choices = []
    for f, test_users in enumerate(folds):
        t0 = time.time()
        if progress:
            progress(f / len(folds), f"fold {f + 1} of {len(folds)}: choosing on validation users")
        train_users = np.setdiff1d(users, test_users)
        # λ is chosen on the first fold's validation users and kept (each EASE fit inverts an items x items matrix)
        choice = _choose_on_validation(data, cfg, validation_splits(train_users, cfg, f),
                                       l2_grid=(choices[0]["l2"],) if choices else None)
        choices.append(choice)
        if progress:
            progress((f + 0.6) / len(folds), f"fold {f + 1} of {len(folds)}: scoring test users")
        for s, c in _score_fold(data, cfg, train_users, test_users, choice, add).items():
            n_users[s] += c
        log(f"  warm-up fold {f + 1}/{len(folds)}: λ={choice['l2']} text={choice['text']} "
            f"w={choice['weights']} ({time.time() - t0:.0f}s)")
    if progress:
        progress(1.0, "done")
    return summarise(acc, cfg, n_users, list(data.text), choices)


def summarise(acc, cfg: Any, n_users: dict[int, int], labels: list[str], choices: list,
              cf_names: tuple[str, ...] = ("ease", "itemknn")) -> dict[str, Any]:
    """Curves per method and metric (None where a method has no row), crossover, LM gain and target checks
    (``cf_names``: the collaborative rows, e.g. ``ease, userknn`` on the item side)."""
    points = [s for s in cfg.points if n_users[s]]
    methods = ["popularity", *cf_names] + [f"text-{lab}" for lab in labels] + ["ranker"] + [
        f"hybrid-{lab}" for lab in labels]
    metrics = [f"{m}@{k}" for k in sorted(cfg.ks) for m in ("recall", "ndcg")]
    curves: dict[str, dict[str, list]] = {}
    for m in methods:
        rows = [acc[(s, m)].result() if (s, m) in acc else None for s in points]
        if any(r is not None for r in rows):
            curves[m] = {k: [None if r is None else r[k] for r in rows] for k in metrics}
    out: dict[str, Any] = {"points": points, "n_users": {str(s): n_users[s] for s in points}, "metrics": metrics,
                           "curves": curves}
    if "text-lm" in curves:
        out["crossover"] = {cf: crossover(points, curves["text-lm"]["ndcg@10"], curves[cf]["ndcg@10"])
                            for cf in cf_names if cf in curves}
    if "hybrid-lm" in curves:
        out["lm_gain"] = {f"vs {lab}": {k: [_diff(a, b) for a, b in zip(curves["hybrid-lm"][k],
                                                                         curves[f"hybrid-{lab}"][k])]
                                        for k in metrics} for lab in labels if lab != "lm"}
        out["targets"] = hybrid_targets(curves, singles=("text-lm", *cf_names))
    out["choices"] = [{"l2": c["l2"], "text": c["text"], "n_val_users": {str(k): v for k, v in
                                                                       c["n_val_users"].items()},
                       "weights": {lab: {str(k): v for k, v in w.items()} for lab, w in c["weights"].items()},
                       **({"ranker": {k: v for k, v in c["ranker"].items() if k in ("features", "val_ndcg@10")}}
                          if c.get("ranker") else {})}
                      for c in choices]
    return out


def _diff(a, b):
    return None if a is None or b is None else round(a - b, 6)


def crossover(points: list[int], text: list, cf: list) -> int | None:
    """The smallest history length at which CF alone matches or beats text alone (None: never on these points)."""
    for s, t, c in zip(points, text, cf):
        if t is not None and c is not None and c >= t:
            return s
    return None


def hybrid_targets(curves: dict[str, dict[str, list]], tol: float = 0.005,
                   singles: tuple[str, ...] = ("text-lm", "ease", "itemknn")) -> dict[str, Any]:
    """Hybrid (LM) ≥ max(``singles``: text-lm, EASE, item-KNN) − tol at NDCG@10 at every point, and strictly better
    than all of them somewhere."""
    hyb = curves["hybrid-lm"]["ndcg@10"]
    singles = [curves[m]["ndcg@10"] for m in singles if m in curves]
    best = [max(x for x in col if x is not None) for col in zip(*singles)]
    margin = [float(round(h - b, 6)) for h, b in zip(hyb, best)]
    return {"margin_over_best_single": margin, "within_tolerance_everywhere": all(m >= -tol for m in margin),
            "strictly_better_somewhere": any(m > 0 for m in margin), "tolerance": tol}
