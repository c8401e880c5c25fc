"""``scientific`` with a trained first stage: :class:`coldrec.ranking.UserTower` as the recall.

Training data (:func:`tower_training_data`): each user's sequence up to, not including, the validation target
(RecBole's training part: every prefix predicts its next item); the epoch is chosen on the validation targets of
a seeded sample of users. The test targets, and the validation target as an input, never enter training or any
choice. The blend weight of the zero-shot score (``user-tower``: ``tower + β·zero-shot``, β = 0 is the tower
alone) is chosen on the same validation targets.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

from coldrec.evaluation._common import EvalConfig, Log

BLEND_GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
RECALL_NS = (50, 100, 200)


def tower_config(cfg: EvalConfig):
    """The protocol's :class:`UserTowerConfig` (its fields are recorded in the result JSON)."""
    from coldrec.ranking import UserTowerConfig

    return UserTowerConfig(epochs=cfg.tower_epochs, seed=cfg.seed, threads=cfg.threads, lr=2e-3, patience=3,
                           batch_size=512)


def tower_training_data(ds, users: np.ndarray, seed: int, n_valid: int = 4000
                        ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """``(sequences, valid_histories, valid_targets, valid_users)`` for :meth:`UserTower.fit`.

    Sequences are the validation histories of ``users`` (everything before the validation target); the test
    split (``ds.test_history`` / ``ds.test_target``) is not read.
    """
    seqs = [np.asarray(ds.valid_history[u], dtype=np.int64) for u in users]
    vrng = np.random.default_rng(seed + 11)
    vusers = users if len(users) <= n_valid else vrng.choice(users, n_valid, replace=False)
    return seqs, [ds.valid_history[u] for u in vusers], np.asarray(ds.valid_target)[vusers], vusers


def fit_tower(ds, E: np.ndarray, users: np.ndarray, cfg: EvalConfig, log: Log):
    """The fitted :class:`UserTower` and ``valid_users`` (its epoch chosen on their validation targets)."""
    from coldrec.ranking import UserTower

    seqs, vh, vt, vusers = tower_training_data(ds, users, cfg.seed)
    tower = UserTower(tower_config(cfg)).fit(E, seqs, valid=(vh, vt), log=lambda s: log("  " + s))
    return tower, vusers


def tower_rows(ds, E: np.ndarray, users: np.ndarray, cfg: EvalConfig, log: Log, eval_scores: Callable,
               zero_shot_fn: Callable) -> tuple[dict[str, Any], Callable]:
    """Fit the tower, choose β on validation, and score the test users; returns ``(record, recall_fn)``.

    ``record`` holds ``methods`` (``user-tower``: the blend with the chosen β; ``user-tower-alone``: β = 0),
    ``unmasked`` (the same rows with history items left in the ranking), ``recall_at_n`` (the first stage's
    recall at the re-ranker's candidate counts, the ceiling of any re-ranking), the config and the epochs.
    ``recall_fn(hists)`` gives the chosen first-stage scores for any histories (the re-ranker's recall).
    """
    t0 = time.time()
    tower, vusers = fit_tower(ds, E, users, cfg, log)
    fit_s = time.time() - t0

    def blend(beta: float) -> Callable[[Sequence[np.ndarray]], np.ndarray]:
        def fn(hists):
            s = tower.score(E, hists)
            return s if beta == 0 else s + beta * zero_shot_fn(hists)
        return fn

    hist = {"valid": ds.valid_history, "test": ds.test_history}
    val = {b: eval_scores("valid", lambda u, f=blend(b): f([ds.valid_history[x] for x in u]), vusers)
           for b in BLEND_GRID}
    beta = max(BLEND_GRID, key=lambda b: (val[b]["recall@50"] + val[b]["recall@10"], -b))
    log(f"  user-tower blend on validation (R@10 + R@50): "
        f"{ {b: round(v['recall@10'] + v['recall@50'], 4) for b, v in val.items()} } -> beta={beta}")
    methods, unmasked = {}, {}
    for name, b in (("user-tower", beta), ("user-tower-alone", 0.0)):
        f = blend(b)
        methods[name] = eval_scores("test", lambda u, f=f: f([hist["test"][x] for x in u]), users)
        unmasked[name] = eval_scores("test", lambda u, f=f: f([hist["test"][x] for x in u]), users, mask=False)
        log(f"  {name}: {methods[name]}; history items left in: {unmasked[name]}")
    recall_at_n = _recall_at_n(ds, E, users, blend(beta))
    log(f"  user-tower first-stage recall@N (test, history masked): {recall_at_n}")
    record = {"methods": methods, "unmasked": unmasked, "recall_at_n": recall_at_n, "beta": beta,
              "beta_validation": {str(b): v for b, v in val.items()}, "valid_users": int(len(vusers)),
              "config": {"class": "coldrec.ranking.UserTower", **{k: v for k, v in vars(tower.config).items()}},
              "epochs": tower.history, "best_epoch": tower.best_epoch, "trained_on": tower.trained_on,
              "fit_seconds": round(fit_s, 1), "seconds": round(time.time() - t0, 1)}
    return record, blend(beta)


def _recall_at_n(ds, E, users, fn, batch: int = 512) -> dict[str, float]:
    hits = {N: 0 for N in RECALL_NS}
    for s in range(0, len(users), batch):
        b = users[s:s + batch]
        S = fn([ds.test_history[u] for u in b])
        for r, u in enumerate(b):
            S[r, ds.test_history[u]] = -np.inf
        rank = (S > S[np.arange(len(b)), ds.test_target[b]][:, None]).sum(1)
        for N in RECALL_NS:
            hits[N] += int((rank < N).sum())
    return {f"recall@{N}": round(hits[N] / max(len(users), 1), 6) for N in RECALL_NS}
