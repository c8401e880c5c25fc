"""The torch pieces of encoder fine-tuning: frozen lower-layer outputs per text, the trainable top layers, the
InfoNCE step with in-batch negatives and the validation recall (used by :mod:`coldrec.encoders._finetune`)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from coldrec.encoders._transformers import torch_pool

__all__ = ["VALIDATE_K", "_Texts", "_recall", "_train_step"]

VALIDATE_K = 10


class _Texts:
    """Distinct texts, their frozen lower-layer outputs (computed once) and the trainable top layers."""

    def __init__(self, enc, texts: list[str], frozen: int, window: int, progress) -> None:
        import torch

        self.enc, self.model, self.frozen = enc, enc.model, frozen
        self.device = next(self.model.parameters()).device
        self.states: list = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        tok = enc.tokenizer
        tok.enable_truncation(max_length=min(window, enc.max_seq_length), strategy="longest_first")
        try:
            with torch.no_grad():
                for start in range(0, len(order), 64):
                    rows = order[start:start + 64]
                    b = {k: v.to(self.device) for k, v in enc._tokenize([texts[i] or " " for i in rows]).items()}
                    x = self._lower(b["input_ids"], b["attention_mask"], b["token_type_ids"])
                    lens = b["attention_mask"].sum(1).tolist()
                    for j, i in enumerate(rows):
                        self.states[i] = x[j, : int(lens[j])].clone()
                    if progress:
                        progress({"phase": "encode", "done": min(start + 64, len(order)), "total": len(order)})
        finally:
            tok.enable_truncation(max_length=enc.max_seq_length, strategy="longest_first")

    def _lower(self, ids, mask, types):
        import torch

        e = self.model.embeddings
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = e.word_embeddings(ids) + e.position_embeddings(pos)[None]
        x = e.LayerNorm(x + e.token_type_embeddings(types))
        m = mask.bool()[:, None, None, :]
        for layer in self.model.encoder.layer[: self.frozen]:
            x = layer(x, m)
        return x

    def vectors(self, rows: Sequence[int]):
        """Unit vectors of texts ``rows`` through the top layers (differentiable when grad is on)."""
        import torch

        states = [self.states[i] for i in rows]
        n = max(s.shape[0] for s in states)
        x = torch.zeros(len(states), n, states[0].shape[1], device=self.device)
        mask = torch.zeros(len(states), n, dtype=torch.bool, device=self.device)
        for j, s in enumerate(states):
            x[j, : s.shape[0]], mask[j, : s.shape[0]] = s, True
        for layer in self.model.encoder.layer[self.frozen:]:
            x = layer(x, mask[:, None, None, :])
        return torch_pool(x, mask, self.enc.spec.pooling)

    def all_vectors(self, rows: Sequence[int]) -> np.ndarray:
        import torch

        with torch.no_grad():
            out = [self.vectors(rows[s:s + 128]).cpu().numpy() for s in range(0, len(rows), 128)]
        return np.concatenate(out) if out else np.zeros((0, self.enc.dim), np.float32)


def _recall(tx: _Texts, valid: np.ndarray, pool: np.ndarray) -> float:
    """Recall@10 of held-out ``(query row, item row)`` pairs over the pool (the query's own text excluded)."""
    queries, inverse = np.unique(valid[:, 0], return_inverse=True)
    scores = tx.all_vectors(queries.tolist()) @ tx.all_vectors(pool.tolist()).T
    scores[queries[:, None] == pool[None, :]] = -np.inf
    k = min(VALIDATE_K, len(pool))
    top = pool[np.argpartition(-scores, k - 1, axis=1)[:, :k]]
    return float(np.mean([valid[i, 1] in top[q] for i, q in enumerate(inverse)]))


def _loss(tx: _Texts, batch: np.ndarray, cfg: Any):
    import torch
    import torch.nn.functional as F

    q, p = tx.vectors(batch[:, 0].tolist()), tx.vectors(batch[:, 1].tolist())
    logits = q @ p.T / cfg.temperature
    target = torch.arange(len(batch), device=logits.device)
    eye = np.eye(len(batch), dtype=bool)

    def masked(lg, ids):  # the same text twice in a batch is no negative of itself
        dup = torch.from_numpy((ids[:, None] == ids[None, :]) & ~eye).to(lg.device)
        return lg.masked_fill(dup, float("-inf"))

    loss = F.cross_entropy(masked(logits, batch[:, 1]), target)
    if cfg.symmetric:
        loss = (loss + F.cross_entropy(masked(logits.T, batch[:, 0]), target)) / 2
    return loss


def _train_step(tx: _Texts, batch: np.ndarray, cfg: Any, opt) -> float:
    """One optimiser step on ``batch`` (rows of (query, item) text indices; ``cfg`` a ``FineTuneConfig``); the
    batch's loss."""
    tx.model.train()
    loss = _loss(tx, batch, cfg)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())
