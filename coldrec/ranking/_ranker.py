"""Ranking (seed §3.2.4): ``score = MLP(concat(item_representation, user_representation))`` in [0, 1].

The feature sets (``"concat"``, the seed's, and ``"rich"``, which adds product, difference, cosine and log
popularity) and the training pairs are built in :mod:`coldrec.ranking._features`; this module holds the model.

Training uses binary cross-entropy on positives against explicit negatives (items shown and skipped) plus
sampled ones, with early stopping on a held-out slice of *users* (so validation measures cold users) and a fixed
seed. Checkpoints are safetensors plus a JSON config; pickles are never loaded.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from coldrec.errors import CheckpointError, ColdrecError
from coldrec.ranking._features import (FEATURE_SETS, build_features, feature_dim, log_popularity, mlp_layers,
                              training_pairs)

__all__ = ["RankerConfig", "MLPRanker", "build_features", "FEATURE_SETS", "auc"]

_FORMAT = "coldrec-ranker/1"


@dataclass
class RankerConfig:
    """Hyperparameters of :class:`MLPRanker`."""

    features: str = "concat"
    """``"concat"`` (the seed's concat(item, user)) or ``"rich"`` (adds product, difference, cosine, popularity)."""
    hidden: tuple[int, ...] = (256, 64)
    """Sizes of the hidden layers."""
    dropout: float = 0.1
    """Dropout after each hidden layer."""
    lr: float = 2e-3
    """AdamW learning rate."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    epochs: int = 40
    """Upper bound on passes over the training pairs."""
    batch_size: int = 256
    """Pairs per optimisation step."""
    negatives: int = 4
    """Sampled negatives per positive, drawn uniformly (or by popularity, see ``negative_sampling``)."""
    negative_sampling: str = "uniform"
    """``"uniform"`` over all items, or ``"popularity"`` (proportional to count^0.75, harder negatives)."""
    patience: int = 5
    """Epochs without a better validation AUC before stopping."""
    val_fraction: float = 0.15
    """Share of users held out for early stopping."""
    seed: int = 0
    """Seed of the initialisation, splits and sampling."""
    device: str = "cpu"
    """Training device; scoring small candidate sets is fastest on the CPU."""

    def __post_init__(self) -> None:
        if self.features not in FEATURE_SETS:
            raise ColdrecError(f"Unknown feature set {self.features!r}; choose one of {', '.join(FEATURE_SETS)}.")
        if self.negative_sampling not in ("uniform", "popularity"):
            raise ColdrecError(
                f"Unknown negative_sampling {self.negative_sampling!r}; choose 'uniform' or 'popularity'."
            )
        if not 0 <= self.val_fraction < 1:
            raise ColdrecError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}.")
        self.hidden = tuple(int(h) for h in self.hidden)

    @property
    def method_name(self) -> str:
        """Name used in result tables: ``mlp-concat`` or ``mlp-rich``."""
        return f"mlp-{self.features}"


def auc(scores_pos: np.ndarray, scores_neg: np.ndarray) -> float:
    """Area under the ROC curve from positive and negative scores (ties count half).

    Example:
        >>> auc(np.array([0.9, 0.8]), np.array([0.1, 0.85]))
        0.75
    """
    if not len(scores_pos) or not len(scores_neg):
        return float("nan")
    allv = np.concatenate([scores_pos, scores_neg])
    # 1-based ranks, ties sharing the average rank of their run
    _, inv, counts = np.unique(allv, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = ((ends - counts + 1 + ends) / 2)[inv]
    r_pos = ranks[: len(scores_pos)].sum()
    n_p, n_n = len(scores_pos), len(scores_neg)
    return float((r_pos - n_p * (n_p + 1) / 2) / (n_p * n_n))


def _make_net(in_dim: int, config: RankerConfig):
    import torch.nn as nn

    return nn.Sequential(*mlp_layers(in_dim, config.hidden, config.dropout))


class MLPRanker:
    """``MLP(concat(item, user))`` scorer with a sigmoid output, trained from an interaction log.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> items = rng.standard_normal((50, 8)).astype(np.float32)
        >>> users = rng.standard_normal((40, 8)).astype(np.float32)
        >>> pos = [[u % 50] for u in range(40)]
        >>> r = MLPRanker(RankerConfig(epochs=2, hidden=(16,))).fit(items, users, pos)
        >>> r.score(items[:3], users[0]).shape
        (3,)
    """

    def __init__(self, config: RankerConfig | None = None) -> None:
        self.config = config or RankerConfig()
        self.history: list[dict[str, float]] = []
        self.dim: int | None = None
        self.pop_scale: float = 1.0
        self.trained_on: dict[str, object] = {}
        self._net = None

    def __repr__(self) -> str:
        state = f"dim={self.dim}" if self._net is not None else "untrained"
        return f"MLPRanker({self.config.method_name}, {state})"

    @property
    def is_fitted(self) -> bool:
        """True once :meth:`fit` or :meth:`load` has run."""
        return self._net is not None

    def _pop(self, popularity: np.ndarray | None, n: int) -> np.ndarray:
        return log_popularity(popularity, n, self.pop_scale)

    def fit(
        self,
        item_vectors: np.ndarray,
        user_vectors: np.ndarray,
        positives: Sequence[Sequence[int]],
        popularity: np.ndarray | None = None,
        negatives: Sequence[Sequence[int]] | None = None,
        progress: Callable[[dict[str, float]], None] | None = None,
    ) -> "MLPRanker":
        """Train on (user, positive item) pairs against explicit and sampled negatives.

        Args:
            item_vectors: ``(m, d)`` catalog matrix.
            user_vectors: ``(u, d)`` one profile vector per training user.
            positives: for each user, the rows of items they liked.
            popularity: ``(m,)`` interaction counts (used by the ``rich`` features and popularity sampling).
            negatives: for each user, rows of items shown and not liked (optional).
            progress: called after each epoch with ``{epoch, loss, val_loss, val_auc, seconds}``.

        Returns:
            ``self``.

        Raises:
            ColdrecError: shapes disagree or no user has a positive.
        """
        import torch

        cfg = self.config
        item_vectors = np.asarray(item_vectors, dtype=np.float32)
        user_vectors = np.asarray(user_vectors, dtype=np.float32)
        if item_vectors.ndim != 2 or user_vectors.ndim != 2 or item_vectors.shape[1] != user_vectors.shape[1]:
            raise ColdrecError(
                f"item_vectors {item_vectors.shape} and user_vectors {user_vectors.shape} must be 2-d with the "
                "same width."
            )
        if len(positives) != len(user_vectors):
            raise ColdrecError(f"positives has {len(positives)} users but user_vectors has {len(user_vectors)}.")
        m, d = item_vectors.shape
        users_with_pos = [u for u, p in enumerate(positives) if len(p)]
        if not users_with_pos:
            raise ColdrecError("No training user has a positive item: nothing to learn from.")
        self.dim = d
        pop_counts = np.zeros(m, dtype=np.float32) if popularity is None else np.asarray(popularity, np.float32)
        self.pop_scale = float(np.log1p(max(float(pop_counts.max(initial=0)), 1.0)))
        pop = self._pop(pop_counts, m)
        rng = np.random.default_rng(cfg.seed)
        torch.manual_seed(cfg.seed)
        perm = rng.permutation(users_with_pos)
        n_val = int(round(len(perm) * cfg.val_fraction)) if len(perm) >= 5 else 0
        val_users, train_users = perm[:n_val], perm[n_val:]
        sample_p = None
        if cfg.negative_sampling == "popularity":
            w = np.power(pop_counts + 1.0, 0.75)
            sample_p = w / w.sum()

        def pairs(users: np.ndarray, r: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return training_pairs(users, positives, m, r, cfg.negatives, sample_p, negatives)

        def feats(us: np.ndarray, its: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(build_features(item_vectors[its], user_vectors[us], cfg.features, pop[its]))

        net = _make_net(feature_dim(cfg.features, d), cfg).to(cfg.device)
        opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        if len(val_users):
            vu, vi, vy = pairs(val_users, np.random.default_rng(cfg.seed + 1))
            vx = feats(vu, vi).to(cfg.device)
        best_auc, best_state, bad = -math.inf, None, 0
        self.history = []
        for epoch in range(1, cfg.epochs + 1):
            t0 = time.perf_counter()
            net.train()
            tu, ti, ty = pairs(train_users, rng)
            order = rng.permutation(len(ty))
            total = 0.0
            for s in range(0, len(order), cfg.batch_size):
                b = order[s : s + cfg.batch_size]
                x = feats(tu[b], ti[b]).to(cfg.device)
                y = torch.from_numpy(ty[b]).to(cfg.device)
                opt.zero_grad()
                loss = loss_fn(net(x).squeeze(-1), y)
                loss.backward()
                opt.step()
                total += loss.item() * len(b)
            row: dict[str, float] = {"epoch": epoch, "loss": total / max(1, len(order))}
            if len(val_users):
                net.eval()
                with torch.no_grad():
                    logits = net(vx).squeeze(-1)
                    row["val_loss"] = float(loss_fn(logits, torch.from_numpy(vy).to(cfg.device)))
                    s = logits.cpu().numpy()
                row["val_auc"] = auc(s[vy == 1], s[vy == 0])
            row["seconds"] = time.perf_counter() - t0
            self.history.append(row)
            if progress:
                progress(dict(row))
            score = row.get("val_auc", -row["loss"])
            if score > best_auc + 1e-4:
                best_auc, bad = score, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                bad += 1
                if bad >= cfg.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        self._net = net.cpu()
        self.trained_on = {"users": len(users_with_pos), "items": m, "val_users": int(len(val_users)),
                           "best_val_auc": float(best_auc) if len(val_users) else None}
        return self

    def score(
        self, item_vectors: np.ndarray, user_vector: np.ndarray, popularity: np.ndarray | None = None
    ) -> np.ndarray:
        """Scores in [0, 1] of items for one user.

        Args:
            item_vectors: ``(n, d)`` candidate item vectors.
            user_vector: ``(d,)`` user vector.
            popularity: ``(n,)`` interaction counts of the candidates (``rich`` features only).
        """
        if self._net is None:
            raise ColdrecError("This ranker is not trained: call fit() or MLPRanker.load(folder) first.")
        item_vectors = np.asarray(item_vectors, dtype=np.float32)
        user_vector = np.asarray(user_vector, dtype=np.float32).reshape(1, -1)
        if item_vectors.shape[1:] != (self.dim,) or user_vector.shape[1] != self.dim:
            raise ColdrecError(
                f"This ranker was trained on {self.dim}-d vectors, got items {item_vectors.shape} and user "
                f"{user_vector.shape[1]}-d: use the same encoder as in training."
            )
        users = np.broadcast_to(user_vector, item_vectors.shape)
        return self.score_pairs(item_vectors, users, popularity)

    def score_pairs(
        self, item_vectors: np.ndarray, user_vectors: np.ndarray, popularity: np.ndarray | None = None
    ) -> np.ndarray:
        """Scores in [0, 1] of pairs (``item_vectors[i]``, ``user_vectors[i]``) — batched evaluation."""
        import torch

        if self._net is None:
            raise ColdrecError("This ranker is not trained: call fit() or MLPRanker.load(folder) first.")
        x = build_features(
            np.asarray(item_vectors, np.float32), np.asarray(user_vectors, np.float32), self.config.features,
            self._pop(popularity, len(item_vectors)),
        )
        out = np.empty(len(x), dtype=np.float32)
        # an interactive call scores a few hundred candidates: one thread avoids waiting for a busy second core
        few = len(x) <= 4096 and torch.get_num_threads() > 1
        before = torch.get_num_threads()
        if few:
            torch.set_num_threads(1)
        try:
            with torch.inference_mode():
                for s in range(0, len(x), 65536):
                    out[s : s + 65536] = torch.sigmoid(self._net(torch.from_numpy(x[s : s + 65536]))).squeeze(-1).numpy()
        finally:
            if few:
                torch.set_num_threads(before)
        return out

    def save(self, folder: str | Path) -> Path:
        """Write ``model.safetensors`` and ``config.json`` into ``folder`` (created if needed)."""
        from safetensors.torch import save_file

        if self._net is None:
            raise ColdrecError("Cannot save an untrained ranker: call fit() first.")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self._net.state_dict().items()}, str(folder / "model.safetensors"))
        meta = {"format": _FORMAT, "config": asdict(self.config), "dim": self.dim, "pop_scale": self.pop_scale,
                "history": self.history, "trained_on": self.trained_on}
        (folder / "config.json").write_text(json.dumps(meta, indent=2))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "MLPRanker":
        """Load a checkpoint written by :meth:`save`; anything else is refused with :class:`CheckpointError`."""
        import torch
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        folder = Path(folder)
        weights, cfg_path = folder / "model.safetensors", folder / "config.json"
        for p in (weights, cfg_path):
            if not p.is_file():
                raise CheckpointError(
                    f"Ranker checkpoint {folder.name!r} is missing {p.name}: a checkpoint is a folder with "
                    "model.safetensors and config.json written by MLPRanker.save()."
                )
        try:
            meta = json.loads(cfg_path.read_text(encoding="utf-8"))
            if meta.get("format") != _FORMAT:
                raise ValueError(f"format is {meta.get('format')!r}, expected {_FORMAT!r}")
            known = {f.name for f in fields(RankerConfig)}
            config = RankerConfig(**{k: v for k, v in meta["config"].items() if k in known})
            dim = int(meta["dim"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"Ranker config.json in {folder.name!r} is not a coldrec ranker config: {exc}.") from exc
        try:
            state = load_file(str(weights))
        except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
            raise CheckpointError(
                f"{weights.name} in {folder.name!r} is not a valid safetensors file ({exc}); coldrec loads only "
                "safetensors checkpoints, never pickles."
            ) from exc
        ranker = cls(config)
        net = _make_net(feature_dim(config.features, dim), config)
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise CheckpointError(
                f"Weights in {folder.name!r} do not match their config ({config.features}, hidden={config.hidden}, "
                f"dim={dim}): {str(exc).splitlines()[0]}"
            ) from exc
        if not all(torch.isfinite(t).all() for t in state.values()):
            raise CheckpointError(f"Weights in {folder.name!r} contain NaN or infinite values.")
        net.eval()
        ranker._net, ranker.dim = net, dim
        ranker.pop_scale = float(meta.get("pop_scale", 1.0)) or 1.0
        ranker.history = list(meta.get("history", []))
        ranker.trained_on = dict(meta.get("trained_on", {}))
        return ranker
