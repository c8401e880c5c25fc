"""Contrastive fine-tuning of a plain BERT sentence encoder (issue 13 point 2): only the top N layers learn.

Pairs are (query text → item text): a user's description or a history item's text, then an item the user liked.
Each batch scores every query against every item of the batch (in-batch negatives, InfoNCE at a temperature,
symmetric by default); repeated items / queries inside a batch are masked out of the negatives. Only the top
``layers`` transformer layers of the native torch BERT (:func:`coldrec.encoders._bert._bert_module`) are trained:
the embeddings and lower layers are frozen, so their outputs are computed once per distinct text and every epoch
runs just the top layers (what makes a 2-core CPU run short). Validation is recall@10 of held-out pairs over the
candidate pool, before training (epoch 0) and after each epoch; the best epoch is kept (early stopping with
``patience``). Seeded (torch + numpy, no dropout), so two runs on the same machine give identical weights.

The result is saved by :mod:`coldrec.encoders._finetune_io` as a copy of the base folder with a new
``model.safetensors`` and ``coldrec_finetune.json``; ``load_encoder(model=folder)`` loads it offline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from coldrec.encoders._finetune_steps import VALIDATE_K, _recall, _Texts, _train_step
from coldrec.errors import ColdrecError

__all__ = ["FineTuneConfig", "FineTuneResult", "fine_tune_pairs", "VALIDATE_K"]

Pair = tuple[str, str]


@dataclass
class FineTuneConfig:
    """Hyperparameters of :func:`coldrec.ranking.fine_tune` (saved in the folder's ``coldrec_finetune.json``)."""

    layers: int = 2
    """Top transformer layers that learn (1 … the model's layer count); everything else stays frozen."""
    lr: float = 5e-5
    """AdamW learning rate of the trained layers."""
    epochs: int = 3
    """Upper bound on passes over the training pairs (the best epoch on validation is kept)."""
    batch_size: int = 32
    """Pairs per step; the other items of a batch are each query's negatives."""
    temperature: float = 0.05
    """Softmax temperature of the InfoNCE loss on cosine scores."""
    symmetric: bool = True
    """Also train item → query (the transposed loss), averaged with query → item."""
    max_pairs: int = 2000
    """Training pairs at most (a seeded sample when the log gives more). The CPU cost is linear in it: ~3 min an
    epoch for 2,000 pairs with 2 layers on one busy core (README, "Fine-tuning the encoder")."""
    max_val_pairs: int = 1000
    """Validation pairs at most (a seeded sample)."""
    validation_fraction: float = 0.1
    """Share of users (or of given pairs) held out for validation recall@10; none of them is trained on."""
    patience: int = 1
    """Epochs without a better validation recall before stopping."""
    seed: int = 0
    """Seed of the split, the pair sample, the batch order and torch."""
    max_seq_length: int = 64
    """Tokens per text while training and validating (the saved model keeps the base window)."""
    device: str | None = None
    """``"cuda"``, ``"mps"``, ``"cpu"`` or ``None`` (CUDA when available, else the CPU)."""

    def __post_init__(self) -> None:
        checks = [("layers", self.layers >= 1, "at least 1 (2: the top two layers)"),
                  ("lr", 0 < self.lr < 1, "between 0 and 1 (e.g. 5e-5)"),
                  ("epochs", self.epochs >= 1, "at least 1"),
                  ("batch_size", self.batch_size >= 2, "at least 2 (the batch's other items are the negatives)"),
                  ("temperature", self.temperature > 0, "above 0 (e.g. 0.05)"),
                  ("max_pairs", self.max_pairs >= 1, "at least 1"),
                  ("max_val_pairs", self.max_val_pairs >= 1, "at least 1"),
                  ("validation_fraction", 0 < self.validation_fraction < 1, "between 0 and 1 (e.g. 0.1)"),
                  ("patience", self.patience >= 1, "at least 1"),
                  ("max_seq_length", 8 <= self.max_seq_length <= 512, "between 8 and 512 tokens")]
        for name, ok, valid in checks:
            if not ok:
                raise ColdrecError(f"FineTuneConfig.{name}={getattr(self, name)!r} is out of range: give {valid}.")


@dataclass
class FineTuneResult:
    """What :func:`coldrec.ranking.fine_tune` did and where the model is."""

    folder: Path
    """The saved sentence-transformers folder (``load_encoder(model=str(folder))``)."""
    history: list[dict]
    """One row per evaluated epoch (0 = the base model): ``epoch``, ``loss`` (NaN at 0), ``val_recall``, ``seconds``."""
    best_epoch: int
    """The epoch whose weights were saved (0: training never beat the base model)."""
    val_recall_before: float
    """Validation recall@10 of the base model."""
    val_recall_after: float
    """Validation recall@10 of the saved model."""
    stopped: str
    """Why training ended: ``"epochs"``, ``"patience"`` or ``"asked"`` (``should_stop`` said so)."""
    seconds: float
    train_pairs: int
    val_pairs: int
    encoder: Any = field(default=None, repr=False)
    """The fine-tuned encoder in memory (a ``BertEncoder``; the same vectors as the saved folder)."""


def _index(train: Sequence[Pair], valid: Sequence[Pair], pool: Sequence[str]):
    """Distinct texts and the pairs / pool as rows into them."""
    texts: dict[str, int] = {}
    for t in [*pool, *(x for pair in [*train, *valid] for x in pair)]:
        texts.setdefault(str(t), len(texts))

    def rows(pairs):
        return np.array([[texts[str(a)], texts[str(b)]] for a, b in pairs], dtype=np.int64).reshape(-1, 2)

    pool_rows = np.array(sorted({texts[str(t)] for t in pool}), dtype=np.int64)
    return list(texts), rows(train), rows(valid), pool_rows


def _check_inputs(train, valid, pool) -> None:
    if len(train) < 2:
        raise ColdrecError(f"Fine-tuning needs at least 2 training pairs, got {len(train)}: give a log with more "
                           "users or positives (or more pairs).")
    if not len(valid):
        raise ColdrecError("Fine-tuning needs validation pairs for early stopping, got none: raise "
                           "validation_fraction (--val-fraction) or give a larger log.")
    missing = {b for _, b in valid} - set(map(str, pool))
    if missing:
        raise ColdrecError(f"{len(missing)} validation item text(s) are not in the candidate pool, e.g. "
                           f"{next(iter(missing))[:60]!r}: the pool must hold every validation target.")


def _load_base(folder: str | Path | None, cfg: FineTuneConfig):
    from coldrec.encoders._base import DEFAULT_MODEL, EncoderConfig, default_model_path
    from coldrec.encoders._bert import BertEncoder, native_folder

    base = Path(folder).expanduser() if folder else default_model_path()
    if not base.is_dir():
        raise ColdrecError(f"Model folder {str(base)!r} does not exist: give a local sentence-transformers folder "
                           "with --model PATH, or leave --model empty to fine-tune the bundled all-MiniLM-L6-v2.")
    if not native_folder(base):
        raise ColdrecError(f"Model folder {str(base)!r} cannot be fine-tuned: only plain BERT sentence-transformers "
                           "folders (model_type 'bert', tokenizer.json, model.safetensors) such as the bundled "
                           "all-MiniLM-L6-v2 can. Leave --model empty to fine-tune the bundled model.")
    enc = BertEncoder(EncoderConfig(model=str(base), device=cfg.device, precision="fp32"))
    n_layers = int(enc._cfg["num_hidden_layers"])
    if cfg.layers > n_layers:
        label = base.name if folder else DEFAULT_MODEL
        raise ColdrecError(f"FineTuneConfig.layers={cfg.layers} but {label!r} has {n_layers} layers: give 1 to "
                           f"{n_layers}.")
    return base, enc, n_layers


def fine_tune_pairs(
    base: str | Path | None,
    train: Sequence[Pair],
    valid: Sequence[Pair],
    pool: Sequence[str],
    out: str | Path,
    config: FineTuneConfig | None = None,
    *,
    progress: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: dict | None = None,
    overwrite: bool = False,
) -> FineTuneResult:
    """Fine-tune ``base`` (``None``: bundled MiniLM) on ``train`` pairs; keep the best epoch on ``valid``; save.

    Args:
        base: a plain BERT sentence-transformers folder, or None for the bundled all-MiniLM-L6-v2.
        train, valid: ``(query text, item text)`` pairs; ``valid`` picks the epoch (recall@10 over ``pool``).
        pool: candidate item texts of the validation ranking (must hold every validation item).
        out: folder to write (refused when it exists and is not empty, unless ``overwrite``).
        config: hyperparameters (:class:`FineTuneConfig`).
        progress: called with a dict: ``phase`` ``"encode"`` (``done``, ``total``), ``"train"`` (``epoch``,
            ``step``, ``steps``, ``loss``, ``eta_s``) or ``"epoch"`` (``epoch``, ``loss``, ``val_recall``, ``eta_s``).
        should_stop: polled every step; True ends training (the best epoch so far is saved).
        data: what the pairs came from, written to ``coldrec_finetune.json``.

    Example:
        >>> res = fine_tune_pairs(None, pairs, held_out, items, "ft-model")   # doctest: +SKIP
        >>> res.val_recall_after >= res.val_recall_before                      # doctest: +SKIP
        True
    """
    import torch

    from coldrec.encoders._finetune_io import check_out, save_finetuned

    cfg = config or FineTuneConfig()
    _check_inputs(train, valid, pool)
    out = check_out(out, overwrite)
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    base_folder, enc, n_layers = _load_base(base, cfg)
    frozen = n_layers - cfg.layers
    for name, p in enc.model.named_parameters():
        p.requires_grad_(name.startswith("encoder.layer.") and int(name.split(".")[2]) >= frozen)
    texts, tr, va, pool_rows = _index(train, valid, pool)
    tx = _Texts(enc, texts, frozen, cfg.max_seq_length, progress)
    state = _train(tx, tr, va, pool_rows, cfg, progress, should_stop, t0)
    for p in enc.model.parameters():
        p.requires_grad_(False)
    enc.model.eval()
    meta = {"config": {k: v for k, v in vars(cfg).items()}, "data": dict(data or {}), "metrics": state.metrics(),
            "pairs": {"train": len(tr), "validation": len(va), "pool": len(pool_rows)}}
    folder = save_finetuned(base_folder, out, enc, frozen, meta, _fingerprint(train, valid, pool))
    return FineTuneResult(folder, state.history, state.best_epoch, state.history[0]["val_recall"], state.best,
                          state.stopped, time.perf_counter() - t0, len(tr), len(va), enc)


def _fingerprint(train, valid, pool) -> str:
    import hashlib
    import json

    blob = json.dumps([list(map(list, train)), list(map(list, valid)), sorted(map(str, pool))], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class _State:
    history: list[dict]
    best: float
    best_epoch: int = 0
    stopped: str = "epochs"

    def metrics(self) -> dict:
        return {"val_recall@10_before": self.history[0]["val_recall"], "val_recall@10_after": self.best,
                "best_epoch": self.best_epoch, "stopped": self.stopped, "history": self.history}


def _train(tx: _Texts, tr, va, pool, cfg: FineTuneConfig, progress, should_stop, t0) -> _State:
    """Epochs of InfoNCE steps; validation after each; the best top-layer weights are left in the model."""
    import torch

    params = [p for p in tx.model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    rng = np.random.default_rng(cfg.seed)
    r0 = _recall(tx, va, pool)
    st = _State([{"epoch": 0, "loss": float("nan"), "val_recall": r0, "seconds": time.perf_counter() - t0}], r0)
    best_w = [p.detach().clone() for p in params]
    steps, bad, t_train = max(1, -(-len(tr) // cfg.batch_size)), 0, time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        losses = []
        perm = rng.permutation(len(tr))
        for step in range(steps):
            batch = tr[perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]]
            if len(batch) >= 2:
                losses.append(_train_step(tx, batch, cfg, opt))
            done = (epoch - 1) * steps + step + 1
            eta = (time.perf_counter() - t_train) / done * (cfg.epochs * steps - done)
            if progress:
                progress({"phase": "train", "epoch": epoch, "step": step + 1, "steps": steps,
                          "loss": float(np.mean(losses)) if losses else float("nan"), "eta_s": eta})
            if should_stop and should_stop():
                st.stopped = "asked"
                break
        tx.model.eval()
        r = _recall(tx, va, pool)
        row = {"epoch": epoch, "loss": float(np.mean(losses)) if losses else float("nan"), "val_recall": r,
               "seconds": time.perf_counter() - t0}
        st.history.append(row)
        if r > st.best + 1e-9:
            st.best, st.best_epoch, bad = r, epoch, 0
            best_w = [p.detach().clone() for p in params]
        else:
            bad += 1
        if progress:
            progress({"phase": "epoch", **row, "best_epoch": st.best_epoch,
                      "eta_s": (time.perf_counter() - t_train) / epoch * (cfg.epochs - epoch)})
        if st.stopped == "asked":
            break
        if bad >= cfg.patience and epoch < cfg.epochs:
            st.stopped = "patience"
            break
    with torch.no_grad():
        for p, w in zip(params, best_w):
            p.copy_(w)
    return st
