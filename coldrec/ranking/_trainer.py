"""The one training loop of :class:`coldrec.ranking.MLPRanker`, and the candidate helpers it shares.

Each batch is ``(I, U, S)``: ``I (B, M, d)`` candidate item vectors whose column 0 is the positive, ``U (B, d)``
the users and ``S (B, M, s)`` the scalar features. ``listwise`` is a sampled softmax over the M candidates
(cross-entropy towards column 0); ``pointwise`` is binary cross-entropy with label 1 on column 0 and 0 elsewhere.
Every epoch ends with ``validate(ranker)`` (a ranking metric on held-out users, higher is better); the best
epoch's weights are restored and training stops after ``patience`` epochs without improvement.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np

__all__ = ["train_loop", "sample_negatives", "rerank", "EpochLog"]

EpochLog = Callable[[dict], None]


def sample_negatives(pools: np.ndarray | Sequence[np.ndarray], positives: Sequence[set], n_items: int, n_neg: int,
                     rng: np.random.Generator, allowed: np.ndarray | None = None) -> np.ndarray:
    """``(B, n_neg)`` negatives: half hard ones from each row's pool (e.g. its recall candidates), half uniform.

    Positives are never drawn (a hard draw that hits one is dropped and replaced by a uniform one).

    Example:
        >>> neg = sample_negatives(np.array([[1, 2, 3]]), [{2}], 10, 4, np.random.default_rng(0))
        >>> neg.shape, 2 in neg
        ((1, 4), False)
    """
    B = len(positives)
    n_hard = n_neg // 2
    out = np.empty((B, n_neg), dtype=np.int64)
    for b in range(B):
        pos = positives[b]
        pool = np.asarray(pools[b])
        hard = [x for x in pool[rng.permutation(len(pool))[: n_hard * 2]] if x not in pos][:n_hard]
        need = n_neg - len(hard)
        uni: list[int] = []
        while len(uni) < need:
            draw = rng.integers(0, n_items, size=need * 2) if allowed is None else rng.choice(allowed, need * 2)
            uni.extend(x for x in draw.tolist() if x not in pos)
        out[b] = np.array(hard + uni[:need])
    return out


def rerank(recall_scores: np.ndarray, cand_top: np.ndarray, model_scores: np.ndarray) -> np.ndarray:
    """Scores where the recalled ``cand_top`` columns are ordered by the model and sit above all others.

    Example:
        >>> rerank(np.array([[0.9, 0.8, 0.1]]), np.array([[0, 1]]), np.array([[0.0, 1.0]])).argsort()[0][::-1].tolist()
        [1, 0, 2]
    """
    out = np.array(recall_scores, dtype=np.float64, copy=True)
    ms = model_scores.astype(np.float64)
    ms = (ms - ms.min(axis=1, keepdims=True)) / np.maximum(np.ptp(ms, axis=1, keepdims=True), 1e-9)
    np.put_along_axis(out, cand_top, 1e6 + ms, axis=1)
    return out


def _loss(logits, objective: str):
    import torch

    if objective == "pointwise":
        y = torch.zeros_like(logits)
        y[:, 0] = 1.0
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
    return torch.nn.functional.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))


def train_loop(ranker, make_batch: Callable[[np.ndarray, np.random.Generator], tuple], n_examples: int,
               validate: Callable[[object], float], rng: np.random.Generator, log: Callable[[str], None] | None,
               tag: str, progress: EpochLog | None = None) -> list[dict]:
    """Train ``ranker._net`` in place; returns the per-epoch history (epoch 0 = untrained ``rich`` order)."""
    import torch

    cfg, net = ranker.config, ranker._net
    say = log or (lambda _msg: None)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def state():
        return {k: v.detach().clone() for k, v in net.state_dict().items()}

    best, best_state, history, bad = -1.0, state(), [], 0
    if cfg.features == "rich":  # epoch 0 = the recall order (the residual head starts at zero)
        net.train(False)
        with torch.no_grad():
            best = validate(ranker)
        history.append({"epoch": 0, "val": round(best, 5)})
        say(f"  {tag} epoch 0 (zero-shot order): val {best:.4f}")
        if progress:
            progress(dict(history[-1]))
    for epoch in range(cfg.epochs):
        t0 = time.time()
        net.train(True)
        order = rng.permutation(n_examples)[: cfg.max_examples]
        total, nb = 0.0, 0
        for s in range(0, len(order), cfg.batch_size):
            I, U, S = make_batch(order[s:s + cfg.batch_size], rng)
            logits = net(torch.from_numpy(I), torch.from_numpy(U), torch.from_numpy(S))
            loss = _loss(logits, cfg.objective)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
            nb += 1
        net.train(False)
        with torch.no_grad():
            val = validate(ranker)
        history.append({"epoch": epoch + 1, "loss": round(total / max(nb, 1), 4), "val": round(val, 5),
                        "seconds": round(time.time() - t0, 1)})
        say(f"  {tag} epoch {epoch + 1}: loss {total / max(nb, 1):.4f} val {val:.4f} ({time.time() - t0:.0f}s)")
        if progress:
            progress(dict(history[-1]))
        if val > best:
            best, best_state, bad = val, state(), 0
        else:
            bad += 1
            if bad >= cfg.patience:
                break
    net.load_state_dict(best_state)
    net.train(False)
    return history
