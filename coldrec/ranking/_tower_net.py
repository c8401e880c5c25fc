"""The torch network behind :class:`coldrec.ranking.UserTower` (torch is imported only inside functions).

UniSRec's text-only recipe on frozen sentence vectors: every item vector (and a user's description vector) goes
through one light adaptor — a mixture of ``experts`` whitening projections ``(x - b_k) W_k`` mixed by a softmax
gate (``experts=1``: a single linear projection) — then a causal transformer over the sequence with learned
positional embeddings. The output at the last position is the user vector; items are scored by the cosine of
the user vector with the adapted item vectors, divided by a temperature.
"""

from __future__ import annotations

__all__ = ["make_tower_net"]


def make_tower_net(dim: int, hidden: int, layers: int, heads: int, experts: int, max_len: int, dropout: float,
                   seed: int):
    """The user tower's ``nn.Module`` (seeded: the same arguments give the same initial weights).

    Args:
        dim: width of the frozen text vectors.
        hidden: width of the adaptor output and of the transformer.
        layers: transformer layers.
        heads: attention heads.
        experts: adaptor experts (1 = a linear projection).
        max_len: longest sequence (positional embeddings).
        dropout: dropout on the adaptor input, the embeddings and inside the transformer.
        seed: ``torch.manual_seed`` before the layers are built.
    """
    import torch
    from torch import nn

    class Adaptor(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bias = nn.Parameter(torch.zeros(experts, dim))
            self.proj = nn.Parameter(torch.randn(experts, dim, hidden) * 0.02)
            self.gate = nn.Linear(dim, experts, bias=False)
            self.drop = nn.Dropout(dropout)

        def forward(self, x):  # (..., dim) -> (..., hidden)
            x = self.drop(x)
            out = torch.einsum("...ke,keh->...kh", x[..., None, :] - self.bias, self.proj)
            if experts == 1:
                return out[..., 0, :]
            g = torch.softmax(self.gate(x), dim=-1)
            return (g[..., None] * out).sum(-2)

    class TowerNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(seed)
            self.adaptor = Adaptor()
            self.pos = nn.Embedding(max_len, hidden)
            nn.init.normal_(self.pos.weight, std=0.02)  # as the adaptor's outputs: positions must not drown them
            self.norm = nn.LayerNorm(hidden)
            self.drop = nn.Dropout(dropout)
            layer = nn.TransformerEncoderLayer(hidden, heads, dim_feedforward=2 * hidden, dropout=dropout,
                                               activation="gelu", batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

        def items(self, E):  # (n, dim) -> (n, hidden), unit rows
            return nn.functional.normalize(self.adaptor(E), dim=-1)

        def sequence(self, X):  # X (B, L, dim) left-aligned, padding after -> (B, L, hidden) unit rows
            L = X.shape[1]
            h = self.adaptor(X) + self.pos.weight[:L][None]
            h = self.drop(self.norm(h))
            causal = torch.triu(torch.full((L, L), float("-inf")), diagonal=1)
            h = self.encoder(h, mask=causal)
            return nn.functional.normalize(h, dim=-1)

    return TowerNet()
