"""The torch network behind :class:`coldrec.ranking.MLPRanker` (torch is imported only inside functions).

The first layer is factorised: ``A·item + B·user`` is the same function as ``Linear(concat(item, user))`` but is
computed once per item and once per user instead of once per (user, candidate) pair. ``rich`` adds
``C·(item * user) + D·|item - user| + S·scalars`` and a residual path ``skip * scalars[..., 0]`` from the first
scalar feature (the recall score the ranker corrects): the head's last layer starts at zero, so an untrained
``rich`` ranker keeps the recall order and training learns corrections.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["make_net", "mlp_layers"]


def mlp_layers(in_dim: int, hidden: Sequence[int], dropout: float) -> list:
    """``[Linear, ReLU, Dropout]`` per hidden size, then ``Linear(·, 1)`` (a logit)."""
    import torch.nn as nn

    layers: list = []
    prev = in_dim
    for h in hidden:
        layers += [nn.Linear(prev, h), nn.ReLU(), nn.Dropout(dropout)]
        prev = h
    layers.append(nn.Linear(prev, 1))
    return layers


def make_net(dim: int, n_scalar: int, features: str, hidden: Sequence[int], dropout: float, seed: int,
             skip_init: float):
    """The ranker's ``nn.Module`` (seeded: the same arguments give the same initial weights).

    Args:
        dim: width of the item and user vectors.
        n_scalar: number of scalar features (``rich`` only; the first one feeds the residual path).
        features: ``"concat"`` or ``"rich"``.
        hidden: width of the factorised first layer, then the head's hidden sizes.
        dropout: dropout after the first layer (the head's inner layers use none).
        seed: ``torch.manual_seed`` before the layers are built.
        skip_init: initial weight of the residual path.
    """
    import torch
    from torch import nn

    class RankNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(seed)
            h = int(hidden[0])
            self.features, self.n_scalar = features, n_scalar
            self.A = nn.Linear(dim, h)
            self.B = nn.Linear(dim, h, bias=False)
            if features == "rich":
                self.C = nn.Linear(dim, h, bias=False)
                self.D = nn.Linear(dim, h, bias=False)
                self.S = nn.Linear(max(n_scalar, 1), h, bias=False)
            self.head = nn.Sequential(nn.ReLU(), nn.Dropout(dropout), *mlp_layers(h, tuple(hidden[1:]), 0.0))
            self.residual = features == "rich" and n_scalar > 0
            if self.residual:
                self.skip = nn.Parameter(torch.tensor(float(skip_init)))
                nn.init.zeros_(self.head[-1].weight)
                nn.init.zeros_(self.head[-1].bias)
            self.scale = None  # (mean, std) tensors of the scalar features, or None

        def forward(self, I, U, S):  # I (B, M, d), U (B, d), S (B, M, s) -> logits (B, M)
            h = self.A(I) + self.B(U)[:, None, :]
            if self.features == "rich":
                Ue = U[:, None, :]
                h = h + self.C(I * Ue) + self.D((I - Ue).abs())
                if self.n_scalar:
                    h = h + self.S(S if self.scale is None else (S - self.scale[0]) / self.scale[1])
                    return self.head(h).squeeze(-1) + self.skip * S[..., 0]
            return self.head(h).squeeze(-1)

    return RankNet()
