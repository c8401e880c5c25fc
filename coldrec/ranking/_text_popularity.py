"""Text-conditioned popularity: which items a user likes, given only the vector of their text.

A multinomial model over all items (``logits = log(count + 0.5) + text_vector @ W``), used as a scalar feature of
``rich`` rankers for users known only by a text (the MovieLens cold-users protocol) and reported as a baseline.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["fit_text_popularity"]


def fit_text_popularity(X: np.ndarray, Y: np.ndarray, wd: float, steps: int = 150, lr: float = 0.02
                        ) -> Callable[[np.ndarray], np.ndarray]:
    """Which items a user likes, given only their text vector: a multinomial model over all items.

    ``logits = log(count + 0.5) + X @ W`` with the item counts of ``Y`` fixed (so ``W = 0`` is the popularity
    order) and ``W`` (text dim x items) learned by full-batch Adam on the multinomial log-likelihood of the users'
    positives with L2 weight ``wd``. Returns ``predict(X_new) -> (n, items)`` log-probabilities.
    """
    import torch

    Xt = torch.from_numpy(np.asarray(X, np.float32))
    Yt = torch.from_numpy(np.asarray(Y, np.float32))
    Yt = Yt / max(float(Yt.sum(1).mean()), 1e-6)
    b = torch.log(torch.from_numpy(np.asarray(Y, np.float32).sum(0)) + 0.5)
    W = torch.zeros(Xt.shape[1], Yt.shape[1], requires_grad=True)
    opt = torch.optim.Adam([W], lr=lr)
    for _ in range(steps):
        loss = -(Yt * torch.log_softmax(b + Xt @ W, 1)).sum(1).mean() + wd * (W ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    Wd = W.detach()

    def predict(Xn: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.log_softmax(b + torch.from_numpy(np.asarray(Xn, np.float32)) @ Wd, 1).numpy()

    return predict
