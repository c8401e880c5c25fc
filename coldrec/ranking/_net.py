"""The torch network behind :class:`coldrec.ranking.MLPRanker` (torch is imported only inside functions).

The first layer is factorised: ``A·item + B·user`` is the same function as ``Linear(concat(item, user))`` but is
computed once per item and once per user instead of once per (user, candidate) pair. ``rich`` adds
``C·(item * user) + D·|item - user| + S·scalars`` and a residual path ``skip * scalars[..., 0]`` from the first
scalar feature (the recall score the ranker corrects): the head's last layer starts at zero, so an untrained
``rich`` ranker keeps the recall order and training learns corrections.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["make_net", "mlp_layers", "net_shapes", "NumpyRankNet"]


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


def net_shapes(dim: int, n_scalar: int, features: str, hidden: Sequence[int]) -> dict[str, tuple[int, ...]]:
    """``{name: shape}`` of :func:`make_net`'s ``state_dict`` without importing torch (what a checkpoint holds)."""
    h = int(hidden[0])
    shapes: dict[str, tuple[int, ...]] = {"A.weight": (h, dim), "A.bias": (h,), "B.weight": (h, dim)}
    if features == "rich":
        shapes.update({"C.weight": (h, dim), "D.weight": (h, dim), "S.weight": (h, max(n_scalar, 1))})
    prev, idx = h, 2  # head = ReLU, Dropout, then [Linear, ReLU, Dropout] per inner size, then Linear(·, 1)
    for width in (*map(int, hidden[1:]), 1):
        shapes[f"head.{idx}.weight"], shapes[f"head.{idx}.bias"] = (width, prev), (width,)
        prev, idx = width, idx + 3
    if features == "rich" and n_scalar > 0:
        shapes["skip"] = ()
    return shapes


class NumpyRankNet:
    """:func:`make_net`'s forward (eval mode: no dropout) in float32 numpy, from its ``state_dict`` arrays.

    A loaded checkpoint scores with this (no torch import: ~2.8 s of a CLI run); the logits equal the torch
    network's to 1e-5 (``tests/test_numpy_path.py``). Training and :meth:`MLPRanker.save` build the torch net.
    """

    def __init__(self, state: dict, features: str, n_scalar: int, scale=None) -> None:
        import numpy as np

        self.state = {k: np.asarray(v, np.float32) for k, v in state.items()}
        self.features, self.n_scalar = features, n_scalar
        self.residual = features == "rich" and n_scalar > 0
        self.scale = None if scale is None else (np.asarray(scale[0], np.float32), np.asarray(scale[1], np.float32))
        self.T = {k: np.ascontiguousarray(v.T) for k, v in self.state.items() if k.endswith(".weight")}
        self.head = sorted({int(k.split(".")[1]) for k in self.state if k.startswith("head.")})

    @property
    def skip(self) -> float:
        return float(self.state["skip"]) if self.residual else 1.0

    def __call__(self, I, U, S):  # I (B, M, d), U (B, d), S (B, M, s) -> logits (B, M)
        import numpy as np

        T, st = self.T, self.state
        h = I @ T["A.weight"] + st["A.bias"] + (U @ T["B.weight"])[:, None, :]
        if self.features == "rich":
            Ue = U[:, None, :]
            h = h + (I * Ue) @ T["C.weight"] + np.abs(I - Ue) @ T["D.weight"]
            if self.n_scalar:
                Sn = S if self.scale is None else (S - self.scale[0]) / self.scale[1]
                h = h + Sn @ T["S.weight"]
        x = np.maximum(h, 0)  # the head: ReLU (dropout is off at inference), Linear, ReLU, ..., Linear(·, 1)
        for j, idx in enumerate(self.head):
            x = x @ T[f"head.{idx}.weight"] + st[f"head.{idx}.bias"]
            if j < len(self.head) - 1:
                x = np.maximum(x, 0)
        out = x[..., 0]
        if self.residual:
            return out + np.float32(self.skip) * S[..., 0]
        return out
