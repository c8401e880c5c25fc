"""A trained first stage: a small user tower over the frozen text vectors of the user's history.

The UniSRec text-only recipe (Hou et al., KDD'22) on coldrec's frozen sentence vectors: item vectors through a
light adaptor (a mixture of whitening projections; the items being scored pass through the same adaptor), a
1–2 layer causal transformer over the last ``max_len`` history items with positional embeddings, trained to
predict each next item with a full softmax over every catalog item (the catalog's own items are the negatives),
seeded, epochs chosen by early stopping on validation recall. A user with a description and no history: the
description vector (same encoder, same space) is the first element of the sequence.

No item id is learned anywhere: a new item is scored from its text vector alone, so the tower stays a cold-start
model on the item side. Network: :mod:`coldrec.ranking._tower_net`; checkpoint files:
:mod:`coldrec.ranking._tower_io` (safetensors + ``config.json`` with the weights' SHA-256, never pickles).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["UserTowerConfig", "UserTower"]


@dataclass
class UserTowerConfig:
    """Hyperparameters of :class:`UserTower` (the scientific protocol's values are in its result JSON)."""

    hidden: int = 128
    """Width of the adaptor output and of the transformer."""
    layers: int = 2
    """Transformer layers (1 or 2 in the UniSRec recipe)."""
    heads: int = 2
    """Attention heads; must divide ``hidden``."""
    experts: int = 4
    """Experts of the adaptor's mixture of whitening projections (1 = one linear projection)."""
    max_len: int = 50
    """Longest sequence the tower reads: the last ``max_len`` items (the description counts as one)."""
    dropout: float = 0.2
    """Dropout on the adaptor input, the embeddings and inside the transformer."""
    temperature: float = 0.07
    """Softmax temperature of the training loss on cosine scores."""
    lr: float = 1e-3
    """Adam learning rate."""
    weight_decay: float = 0.0
    """Adam weight decay (L2)."""
    epochs: int = 30
    """Upper bound on epochs (the best one on validation is kept)."""
    patience: int = 3
    """Epochs without a better validation recall before stopping."""
    batch_size: int = 128
    """Sequences per optimisation step (sequences of similar length are batched together)."""
    validate_k: int = 50
    """Early stopping metric: validation recall at this cut-off (history items excluded)."""
    threads: int = 2
    """``torch.set_num_threads`` while fitting and scoring."""
    seed: int = 0
    """Seed of the initialisation, the batch order and dropout."""

    def __post_init__(self) -> None:
        ints = {"hidden": (1, 4096), "layers": (1, 8), "heads": (1, 64), "experts": (1, 64), "max_len": (2, 1024),
                "epochs": (1, 10_000), "patience": (1, 10_000), "batch_size": (1, 1_000_000),
                "validate_k": (1, 1_000_000), "threads": (1, 1024), "seed": (0, 2**31 - 1)}
        for name, (lo, hi) in ints.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                raise ColdrecError(f"UserTowerConfig.{name} must be an integer in [{lo}, {hi}], got {v!r}.")
        if self.hidden % self.heads:
            raise ColdrecError(f"UserTowerConfig.heads={self.heads!r} must divide hidden={self.hidden!r}; choose "
                               f"heads from {[h for h in range(1, 9) if self.hidden % h == 0]}.")
        floats = {"dropout": (0.0, 0.95), "temperature": (1e-4, 100.0), "lr": (1e-7, 1.0),
                  "weight_decay": (0.0, 1.0)}
        for name, (lo, hi) in floats.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= float(v) <= hi:
                raise ColdrecError(f"UserTowerConfig.{name} must be a number in [{lo}, {hi}], got {v!r}.")


class UserTower:
    """A trained first stage (recall) over frozen text vectors; scores every catalog item for each user.

    Example:
        >>> tower = UserTower(UserTowerConfig(epochs=5)).fit(E, train_sequences,
        ...                                                  valid=(valid_histories, valid_targets))
        >>> scores = tower.score(E, [np.array([3, 17, 42])])          # (1, n_items) cosines
        >>> scores = tower.score(E, [[]], descriptions=[desc_vector])  # a description and no history
        >>> tower.save("tower/"); UserTower.load("tower/").score(E, [[3, 17]])
    """

    config_class = UserTowerConfig

    def __init__(self, config: UserTowerConfig | None = None) -> None:
        if config is not None and not isinstance(config, UserTowerConfig):
            raise ColdrecError(f"UserTower takes a UserTowerConfig, got {type(config).__name__}; build one with "
                               "UserTowerConfig(hidden=..., layers=...).")
        self.config = config or UserTowerConfig()
        self.dim: int | None = None
        self.history: list[dict[str, float]] = []
        self.best_epoch: int | None = None
        self.trained_on: dict[str, Any] = {}
        self._net = None

    # ------------------------------------------------------------------------------------------------ fitting
    def fit(self, item_vectors: np.ndarray, sequences: Sequence[Sequence[int]], *,
            valid: tuple[Sequence[Sequence[int]], Sequence[int]] | None = None,
            descriptions: Sequence[np.ndarray | None] | None = None,
            log: Callable[[str], None] | None = None) -> "UserTower":
        """Train on next-item prediction over ``sequences`` (rows of ``item_vectors``); returns ``self``.

        Every position of a sequence predicts the item after it with a softmax over all items. With ``valid``
        (histories, target rows) the epoch with the best validation recall@``validate_k`` is kept (history items
        excluded from the ranking) and training stops after ``patience`` epochs without improvement; without it,
        every epoch is run and the last is kept.

        Args:
            item_vectors: ``(n_items, dim)`` frozen text vectors (unit rows).
            sequences: per user, item rows in time order (length ≥ 2, or ≥ 1 with a description).
            valid: validation histories and their next item, never taken from the test split.
            descriptions: per sequence a ``(dim,)`` description vector or ``None`` (the first element).
            log: called with one line per epoch.

        Raises:
            ColdrecError: an item row outside ``[0, n_items)``, a vector of another width, no usable sequence.
        """
        import torch

        cfg = self.config
        E = self._check_items(item_vectors, fitting=True)
        X, T, lengths = self._training_arrays(E, sequences, descriptions)
        prev_threads = torch.get_num_threads()
        torch.set_num_threads(cfg.threads)
        try:
            from coldrec.ranking._tower_net import make_tower_net

            self._net = make_tower_net(E.shape[1], cfg.hidden, cfg.layers, cfg.heads, cfg.experts, cfg.max_len,
                                       cfg.dropout, cfg.seed)
            self._train(torch.from_numpy(E), X, T, lengths, valid, log or (lambda s: None))
        finally:
            torch.set_num_threads(prev_threads)
        self.trained_on = {"items": int(E.shape[0]), "sequences": int(len(lengths)),
                           "predictions": int(sum(int(n) - 1 for n in lengths))}
        return self

    def _train(self, Et, X, T, lengths, valid, log) -> None:
        import torch

        cfg, net = self.config, self._net
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        rng = np.random.default_rng(cfg.seed)
        order = np.argsort(lengths, kind="stable")
        batches = [order[s:s + cfg.batch_size] for s in range(0, len(order), cfg.batch_size)]
        best, best_state, waited = -1.0, None, 0
        self.history = []
        for epoch in range(1, cfg.epochs + 1):
            t0 = time.time()
            net.train()
            total, count = 0.0, 0
            for bi in rng.permutation(len(batches)):
                b = batches[bi]
                L = int(lengths[b].max())
                xb, tb = torch.from_numpy(X[b, :L]), torch.from_numpy(T[b, :L])
                keep = tb >= 0
                H = net.sequence(xb)[keep]
                logits = H @ net.items(Et).T / cfg.temperature
                loss = torch.nn.functional.cross_entropy(logits, tb[keep])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * int(keep.sum())
                count += int(keep.sum())
            row = {"epoch": epoch, "loss": round(total / max(count, 1), 5), "seconds": round(time.time() - t0, 1)}
            if valid is not None:
                row[f"valid_recall@{cfg.validate_k}"] = round(self._valid_recall(Et.numpy(), valid), 5)
            self.history.append(row)
            log(f"user tower epoch {epoch}: {row}")
            if valid is None:
                continue
            score = row[f"valid_recall@{cfg.validate_k}"]
            if score > best:
                best, best_state, waited, self.best_epoch = score, copy.deepcopy(net.state_dict()), 0, epoch
            else:
                waited += 1
                if waited >= cfg.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        else:
            self.best_epoch = len(self.history)
        net.eval()

    def _valid_recall(self, E: np.ndarray, valid) -> float:
        hists, targets = valid
        targets = np.asarray(targets, dtype=np.int64)
        hits = 0
        for s in range(0, len(targets), 512):
            S = self.score(E, hists[s:s + 512])
            for r, h in enumerate(hists[s:s + 512]):
                S[r, np.asarray(h, dtype=np.int64)] = -np.inf
            tgt = S[np.arange(len(S)), targets[s:s + 512]]
            hits += int(((S > tgt[:, None]).sum(1) < self.config.validate_k).sum())
        return hits / max(len(targets), 1)

    # ------------------------------------------------------------------------------------------------ scoring
    def score(self, item_vectors: np.ndarray, histories: Sequence[Sequence[int]], *,
              descriptions: Sequence[np.ndarray | None] | None = None, batch: int = 512) -> np.ndarray:
        """Cosine of each user's tower vector with every adapted item vector: ``(len(histories), n_items)``.

        Args:
            item_vectors: ``(n_items, dim)`` text vectors of the items to score (the catalog the history rows
                index; new items may be appended: they are scored from their text alone).
            histories: per user, item rows in time order (the last ``max_len`` are read); may be empty when the
                user has a description.
            descriptions: per user a ``(dim,)`` description vector or ``None``; it is the sequence's first element.
            batch: users per forward pass.

        Raises:
            ColdrecError: the tower is not fitted, a row is out of range, a user has neither history nor
                description, or a vector has another width.
        """
        import torch

        if self._net is None:
            raise ColdrecError("This UserTower is not fitted: call .fit(item_vectors, sequences) or "
                               "UserTower.load(folder) first.")
        E = self._check_items(item_vectors)
        prev_threads = torch.get_num_threads()
        torch.set_num_threads(self.config.threads)
        self._net.eval()
        try:
            with torch.no_grad():
                items = self._net.items(torch.from_numpy(E))
                out = np.empty((len(histories), E.shape[0]), dtype=np.float32)
                for s in range(0, len(histories), batch):
                    X, last = self._inputs(E, histories[s:s + batch],
                                           None if descriptions is None else descriptions[s:s + batch], s)
                    H = self._net.sequence(torch.from_numpy(X))
                    U = H[torch.arange(len(last)), torch.from_numpy(last)]
                    out[s:s + len(last)] = (U @ items.T).numpy()
        finally:
            torch.set_num_threads(prev_threads)
        return out

    # ------------------------------------------------------------------------------------------------ inputs
    def _check_items(self, item_vectors: np.ndarray, fitting: bool = False) -> np.ndarray:
        E = np.ascontiguousarray(np.asarray(item_vectors, dtype=np.float32))
        if E.ndim != 2 or E.shape[0] < 1:
            raise ColdrecError(f"item_vectors must be a 2-D (n_items, dim) array, got shape {E.shape}.")
        if not np.isfinite(E).all():
            raise ColdrecError("item_vectors contain NaN or infinite values; embed the item texts again.")
        if fitting:
            self.dim = int(E.shape[1])
        elif E.shape[1] != self.dim:
            raise ColdrecError(f"item_vectors have width {E.shape[1]}, this tower was trained on width {self.dim}: "
                               "use the encoder it was trained with, or fit a new tower.")
        return E

    @staticmethod
    def _rows(E: np.ndarray, hist, where: str) -> np.ndarray:
        rows = np.asarray(list(hist) if not isinstance(hist, np.ndarray) else hist, dtype=np.int64).reshape(-1)
        if rows.size and (rows.min() < 0 or rows.max() >= E.shape[0]):
            bad = int(rows[(rows < 0) | (rows >= E.shape[0])][0])
            raise ColdrecError(f"{where}: item row {bad} is out of range; rows index item_vectors, so they must be "
                               f"in [0, {E.shape[0] - 1}].")
        return rows

    @staticmethod
    def _desc(E: np.ndarray, desc, where: str) -> np.ndarray | None:
        if desc is None:
            return None
        d = np.asarray(desc, dtype=np.float32).reshape(-1)
        if d.shape[0] != E.shape[1] or not np.isfinite(d).all():
            raise ColdrecError(f"{where}: the description vector has width {d.shape[0]} (or non-finite values); it "
                               f"must be a finite ({E.shape[1]},) vector from the items' encoder.")
        return d[None]

    def _sequence(self, E: np.ndarray, hist, desc, where: str) -> np.ndarray:
        rows, d = self._rows(E, hist, where), self._desc(E, desc, where)
        if d is None and not rows.size:
            raise ColdrecError(f"{where} has no history and no description: give at least one item row or a "
                               "description vector.")
        keep = self.config.max_len - (d is not None)
        items = E[rows[-keep:]] if rows.size else np.zeros((0, E.shape[1]), np.float32)
        return items if d is None else np.concatenate([d, items])

    def _inputs(self, E, histories, descriptions, offset: int) -> tuple[np.ndarray, np.ndarray]:
        if descriptions is not None and len(descriptions) != len(histories):
            raise ColdrecError(f"descriptions has {len(descriptions)} entries for {len(histories)} histories; give "
                               "one vector (or None) per user.")
        seqs = [self._sequence(E, h, None if descriptions is None else descriptions[i], f"user {offset + i}")
                for i, h in enumerate(histories)]
        L = max(len(x) for x in seqs)
        X = np.zeros((len(seqs), L, E.shape[1]), dtype=np.float32)
        for i, x in enumerate(seqs):
            X[i, :len(x)] = x
        return X, np.array([len(x) - 1 for x in seqs], dtype=np.int64)

    def _training_arrays(self, E, sequences, descriptions):
        if descriptions is not None and len(descriptions) != len(sequences):
            raise ColdrecError(f"descriptions has {len(descriptions)} entries for {len(sequences)} sequences; give "
                               "one vector (or None) per sequence.")
        L = self.config.max_len
        X = np.zeros((len(sequences), L, E.shape[1]), dtype=np.float32)
        T = np.full((len(sequences), L), -1, dtype=np.int64)
        lengths = np.zeros(len(sequences), dtype=np.int64)
        for i, h in enumerate(sequences):
            where = f"sequence {i}"
            rows = self._rows(E, h, where)
            d = self._desc(E, None if descriptions is None else descriptions[i], where)
            if d is None:  # each item predicts the next one
                items = rows[-(L + 1):]
                x, targets = E[items[:-1]], items[1:]
            else:  # the description predicts the first item
                items = rows[-L:]
                x, targets = np.concatenate([d, E[items[:-1]]]), items
            X[i, :len(targets)], T[i, :len(targets)], lengths[i] = x, targets, len(targets)
        keep = lengths > 0
        if not keep.any():
            raise ColdrecError(f"None of the {len(sequences)} sequences has a next item to learn from: each needs at "
                               "least 2 items (or 1 item and a description).")
        return X[keep], T[keep], lengths[keep]

    # ------------------------------------------------------------------------------------------------ files
    def save(self, folder: str | Path) -> Path:
        """Write ``model.safetensors`` + ``config.json`` (with the weights' SHA-256) into ``folder``."""
        from coldrec.ranking._tower_io import save_tower

        if self._net is None:
            raise ColdrecError("This UserTower is not fitted: there is nothing to save; call .fit(...) first.")
        return save_tower(self, folder)

    @classmethod
    def load(cls, folder: str | Path) -> "UserTower":
        """Load a folder written by :meth:`save`; anything else is refused with :class:`CheckpointError`."""
        from coldrec.ranking._tower_io import load_tower

        return load_tower(cls, folder)
