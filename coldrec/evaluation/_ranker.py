"""The evaluation rankers: the MLP over candidate sets, its sampled-softmax trainer and re-ranking helpers.

Relation to :mod:`coldrec.ranking._ranker`: the layers after the first are the same stack (:func:`coldrec.ranking._ranker.mlp_layers`),
but the first layer is factorised (item and user parts computed once per candidate set instead of materialising
``concat(item, user)`` for every (user, candidate) pair) and ``mlp-rich`` adds a residual path from the recall
score. The trainer is deliberately not :meth:`MLPRanker.fit`: that one is pointwise (binary cross-entropy, early
stopping on AUC), while the protocols need a listwise sampled softmax with hard negatives from recall and epochs
chosen on the protocol's ranking metric (NDCG/recall of a re-ranked list), which AUC over random pairs does not
track. Swapping in the pointwise trainer would change every result row and was not attempted.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np

from coldrec.evaluation._common import EvalConfig, Log, _Evaluator, _normalize, history_scores
from coldrec.metrics import topk_rows

# ================================================================================================ ranker
class _RankNet:
    """MLP ranker with a factorised first layer (same function as Linear over the concatenated features).

    features="concat": h = A·item + B·user  (= W·concat(item, user)); "rich": + C·(item*user) + D·|item-user|
    + S·scalars (cosines, log popularity, ...). Then ReLU → Dropout → ``mlp_layers(h, (h/2,))`` of
    :mod:`coldrec.ranking._ranker` (Linear(h, h/2) → ReLU → Linear(h/2, 1); its inner dropout is 0 here, so the function
    and the seeded initialisation are those of the protocols' first version).
    """

    def __init__(self, d: int, n_scalar: int, features: str, hidden: int, dropout: float, seed: int,
                 skip_init: float = 20.0) -> None:
        import torch
        from torch import nn

        from coldrec.ranking import mlp_layers

        torch.manual_seed(seed)
        self.features = features
        self.n_scalar = n_scalar
        self.A = nn.Linear(d, hidden)
        self.B = nn.Linear(d, hidden, bias=False)
        mods = [self.A, self.B]
        if features == "rich":
            self.C = nn.Linear(d, hidden, bias=False)
            self.D = nn.Linear(d, hidden, bias=False)
            self.S = nn.Linear(max(n_scalar, 1), hidden, bias=False)
            mods += [self.C, self.D, self.S]
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(dropout), *mlp_layers(hidden, (hidden // 2,), 0.0))
        mods.append(self.head)
        if features == "rich" and n_scalar:
            # residual path: logit = skip * recall_score + MLP(...), skip starts at 20 (≈ a softmax temperature
            # of 0.05 on cosines), so training starts from the zero-shot order and learns corrections.
            self.skip = nn.Parameter(torch.tensor(float(skip_init)))
            mods.append(nn.ParameterList([self.skip]))
            nn.init.zeros_(self.head[-1].weight)
            nn.init.zeros_(self.head[-1].bias)
        self.module = nn.ModuleList(mods)

    def parameters(self):
        return self.module.parameters()

    def train(self, mode: bool = True) -> None:
        self.module.train(mode)

    scale = None  # (mean, std) tensors for the scalar features, or None

    def forward(self, I, U, S):  # I (B,M,d), U (B,d), S (B,M,s)
        h = self.A(I) + self.B(U)[:, None, :]
        if self.features == "rich":
            Ue = U[:, None, :]
            h = h + self.C(I * Ue) + self.D((I - Ue).abs())
            if self.n_scalar:
                h = h + self.S(S if self.scale is None else (S - self.scale[0]) / self.scale[1])
                return self.head(h).squeeze(-1) + self.skip * S[..., 0]
        return self.head(h).squeeze(-1)

    def state(self):
        return {k: v.detach().clone() for k, v in self.module.state_dict().items()}

    def load(self, state) -> None:
        self.module.load_state_dict(state)


def _train_ranker(features: str, d: int, n_scalar: int, n_examples: int,
                  make_batch: Callable[[np.ndarray, np.random.Generator], tuple],
                  validate: Callable[[_RankNet], float], cfg: EvalConfig, log: Log, tag: str) -> tuple[_RankNet, list]:
    """Sampled-softmax training (column 0 of each batch is the positive); keeps the best epoch on validation."""
    import torch

    rng = np.random.default_rng(cfg.seed + (0 if features == "concat" else 1))
    net = _RankNet(d, n_scalar, features, cfg.hidden, cfg.dropout, cfg.seed, cfg.skip_init)
    if cfg.standardize and features == "rich" and n_scalar:
        _, _, S0 = make_batch(rng.permutation(n_examples)[:1024], np.random.default_rng(cfg.seed + 9))
        S0 = S0.reshape(-1, S0.shape[-1])
        net.scale = (torch.from_numpy(S0.mean(0)), torch.from_numpy(np.maximum(S0.std(0), 1e-3)))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    best, best_state, history, bad = -1.0, net.state(), [], 0
    if features == "rich":  # epoch 0 = the zero-shot order (the residual head starts at zero)
        net.train(False)
        with torch.no_grad():
            best = validate(net)
        history.append({"epoch": 0, "val": round(best, 5)})
        log(f"  {tag} epoch 0 (zero-shot order): val {best:.4f}")
    for epoch in range(cfg.epochs):
        t0 = time.time()
        net.train(True)
        order = rng.permutation(n_examples)[: cfg.max_examples]
        total, nb = 0.0, 0
        for s in range(0, len(order), cfg.batch_size):
            I, U, S = make_batch(order[s:s + cfg.batch_size], rng)
            logits = net.forward(torch.from_numpy(I), torch.from_numpy(U), torch.from_numpy(S))
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
            nb += 1
        net.train(False)
        with torch.no_grad():
            val = validate(net)
        history.append({"epoch": epoch + 1, "loss": round(total / max(nb, 1), 4), "val": round(val, 5),
                        "seconds": round(time.time() - t0, 1)})
        log(f"  {tag} epoch {epoch + 1}: loss {total / max(nb, 1):.4f} val {val:.4f} ({time.time() - t0:.0f}s)")
        if val > best:
            best, best_state, bad = val, net.state(), 0
        else:
            bad += 1
            if bad >= 2:
                break
    net.load(best_state)
    net.train(False)
    return net, history


def _net_scores(net: _RankNet, I: np.ndarray, U: np.ndarray, S: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return net.forward(torch.from_numpy(I), torch.from_numpy(U), torch.from_numpy(S)).numpy()


def _rerank(zs: np.ndarray, cand_top: np.ndarray, model_scores: np.ndarray) -> np.ndarray:
    """Scores where the recalled ``cand_top`` columns are ordered by the model and sit above all others."""
    out = np.array(zs, dtype=np.float64, copy=True)
    ms = model_scores.astype(np.float64)
    ms = (ms - ms.min(axis=1, keepdims=True)) / np.maximum(np.ptp(ms, axis=1, keepdims=True), 1e-9)
    np.put_along_axis(out, cand_top, 1e6 + ms, axis=1)
    return out


def _sample_negatives(pool_top: np.ndarray, positives: Sequence[set], n_items: int, n_neg: int,
                      rng: np.random.Generator, allowed: np.ndarray | None = None) -> np.ndarray:
    """Half hard negatives from each row's recall candidates, half uniform; positives are resampled away."""
    B = len(positives)
    n_hard = n_neg // 2
    out = np.empty((B, n_neg), dtype=np.int64)
    for b in range(B):
        pos = positives[b]
        hard = [x for x in pool_top[b][rng.permutation(pool_top.shape[1])[: n_hard * 2]] if x not in pos][:n_hard]
        need = n_neg - len(hard)
        uni = []
        while len(uni) < need:
            draw = rng.integers(0, n_items, size=need * 2) if allowed is None else rng.choice(allowed, need * 2)
            uni.extend(x for x in draw.tolist() if x not in pos)
        out[b] = np.array(hard + uni[:need])
    return out



# ================================================================================================ set features
def set_features(E: np.ndarray, profiles: Sequence[np.ndarray], cand_items: np.ndarray, taus: Sequence[float | None],
                 batch: int = 256) -> dict[str, np.ndarray]:
    """Per (user, candidate) similarity features of an unordered profile (a set of item rows of ``E``).

    Returns arrays ``(n_users, n_cand)``: ``kernel:<tau>`` for each tau (None = mean cosine), ``max`` (max-sim),
    ``cos`` (cosine with the normalised mean profile). Users with an empty profile get zeros.
    """
    C = E[cand_items]
    n_u, n_c = len(profiles), len(cand_items)
    out = {f"kernel:{t}": np.zeros((n_u, n_c), np.float32) for t in taus}
    out["max"] = np.zeros((n_u, n_c), np.float32)
    out["cos"] = np.zeros((n_u, n_c), np.float32)
    for s in range(0, n_u, batch):
        idx = [i for i in range(s, min(s + batch, n_u)) if len(profiles[i])]
        if not idx:
            continue
        hists = [profiles[i] for i in idx]
        lengths = [len(h) for h in hists]
        sims = E[np.concatenate(hists)] @ C.T
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        for t in taus:
            out[f"kernel:{t}"][idx] = history_scores(sims, lengths, None, t)
        out["max"][idx] = np.maximum.reduceat(sims, starts, axis=0)
        prof = _normalize(np.stack([E[h].mean(0) for h in hists]))
        out["cos"][idx] = prof @ C.T
    return out


def _eval_matrix(scores: np.ndarray, cand_items: np.ndarray, targets: Sequence[set], ks: Sequence[int],
                 rng: np.random.Generator, exclude: Sequence[Sequence[int]] | None = None, jitter: bool = False,
                 batch: int = 1024) -> dict[str, float]:
    ev = _Evaluator(ks, cand_items, rng)
    for s in range(0, len(targets), batch):
        ev.add(scores[s:s + batch], targets[s:s + batch], None if exclude is None else exclude[s:s + batch], jitter)
    return ev.result()


def _feature_stack(feats: dict[str, np.ndarray], names: Sequence[str], rows: np.ndarray, cols: np.ndarray,
                   extra: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Gather ``(B, M, len(names))`` scalar features at (rows[b], cols[b, m]); ``extra`` are per-column arrays."""
    out = np.empty(cols.shape + (len(names),), np.float32)
    for j, nm in enumerate(names):
        if extra and nm in extra:
            out[..., j] = extra[nm][cols]
        else:
            out[..., j] = feats[nm][rows[:, None], cols]
    return out


def _train_set_ranker(feat: str, E: np.ndarray, user_vecs: np.ndarray, feats: dict[str, np.ndarray],
                      names: Sequence[str], pairs: np.ndarray, pos_sets: Sequence[set], cand_items: np.ndarray,
                      col_extra: dict[str, np.ndarray] | None, validate: Callable, cfg: EvalConfig, log: Log,
                      tag: str) -> tuple[_RankNet, list]:
    """Train on (user row, positive column) pairs; negatives from the same candidate columns (half hard: the
    user's top-``recall_n`` by the first feature, half uniform)."""
    N = min(cfg.recall_n, len(cand_items))
    zs = feats[names[0]]
    pools = topk_rows(zs, N)  # per user row
    n_c = len(cand_items)

    def make_batch(bidx, rng):
        rows = pairs[bidx, 0]
        pos = pairs[bidx, 1]
        neg = _sample_negatives(pools[rows], [pos_sets[r] for r in rows], n_c, cfg.negatives, rng)
        cols = np.concatenate([pos[:, None], neg], axis=1)
        return E[cand_items[cols]], user_vecs[rows], _feature_stack(feats, names, rows, cols, col_extra)

    return _train_ranker(feat, E.shape[1], len(names), len(pairs), make_batch, validate, cfg, log, tag)


def _rerank_set(net: _RankNet, E: np.ndarray, user_vecs: np.ndarray, feats: dict[str, np.ndarray],
                names: Sequence[str], cand_items: np.ndarray, N: int, col_extra=None,
                exclude: Sequence[Sequence[int]] | None = None, batch: int = 256) -> np.ndarray:
    """Scores (n_users, n_cand): top-N by the first feature re-ranked by ``net``, the rest in recall order."""
    zs = np.array(feats[names[0]], dtype=np.float64, copy=True)
    if exclude is not None:
        for r, ex in enumerate(exclude):
            if len(ex):
                zs[r, ex] = -np.inf
    N = min(N, zs.shape[1])
    out = np.empty_like(zs)
    for s in range(0, len(zs), batch):
        rows = np.arange(s, min(s + batch, len(zs)))
        top = topk_rows(zs[rows], N)
        ms = _net_scores(net, E[cand_items[top]], user_vecs[rows], _feature_stack(feats, names, rows, top, col_extra))
        out[rows] = _rerank(zs[rows], top, ms)
    return out

