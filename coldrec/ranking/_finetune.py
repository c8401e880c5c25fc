"""``fine_tune``: the encoder's contrastive fine-tuning on an interaction log (issue 13 point 2).

The log becomes (query → liked item) text pairs per user, in time order: the user's description (when the users
file has one) → each liked item, and each liked item → the next one. Users (not pairs) are split into training and
validation, so no validation user's text or choice is ever trained on. The training itself (top N layers of the
native BERT, in-batch negatives, early stopping on validation recall@10 over the whole catalog) is
:func:`coldrec.encoders.fine_tune_pairs`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from coldrec.encoders import FineTuneConfig, FineTuneResult, fine_tune_pairs
from coldrec.errors import ColdrecError
from coldrec.ranking._interactions import InteractionLog, load_interactions
from coldrec.ranking._training import split_users

__all__ = ["fine_tune", "log_pairs"]

Pair = tuple[str, str]


def _user_pairs(texts: list[str], description: str) -> list[Pair]:
    pairs = [(description, t) for t in texts] if description else []
    pairs += [(a, b) for a, b in zip(texts, texts[1:])]
    return [(a, b) for a, b in pairs if a.strip() and b.strip() and a != b]


def _sample(pairs: list[Pair], n: int, rng: np.random.Generator) -> list[Pair]:
    if len(pairs) <= n:
        return pairs
    return [pairs[i] for i in np.sort(rng.choice(len(pairs), n, replace=False))]


def log_pairs(catalog: Any, log: InteractionLog, user_texts: dict[str, str] | None = None,
              config: FineTuneConfig | None = None) -> tuple[list[Pair], list[Pair], dict]:
    """``(training pairs, validation pairs, summary)`` of a log; validation pairs come from held-out users only.

    Example:
        >>> train, valid, info = log_pairs(catalog, log, {"u1": "likes tea"})   # doctest: +SKIP
    """
    cfg = config or FineTuneConfig()
    text_of = dict(zip(catalog.ids, catalog.texts))
    pos = log.positives
    pos = pos[pos["item_id"].isin(text_of)]
    users = sorted(pos["user_id"].astype(str).unique())
    if len(users) < 2:
        raise ColdrecError(f"Fine-tuning needs positives of at least 2 users in the log (it has {len(users)}): "
                           "some users train, others validate. Check --positive and the item ids.")
    val_rows, _ = split_users(len(users), cfg.validation_fraction, cfg.seed)
    held = {users[i] for i in val_rows}
    texts = {str(u): g.tolist() for u, g in pos.groupby("user_id", sort=True)["item_id"]}
    described = {str(k): str(v or "").strip() for k, v in (user_texts or {}).items()}
    train, valid = [], []
    for u in users:
        (valid if u in held else train).extend(_user_pairs([text_of[i] for i in texts[u]], described.get(u, "")))
    rng = np.random.default_rng(cfg.seed)
    n_train, n_valid = len(train), len(valid)
    train, valid = _sample(train, cfg.max_pairs, rng), _sample(valid, cfg.max_val_pairs, rng)
    info = {"users": len(users), "validation_users": len(held), "described_users": sum(map(bool, described.values())),
            "pairs_available": {"train": n_train, "validation": n_valid}, "items": len(text_of),
            "log_rows": int(len(log.frame)), "positive": log.positive}
    return train, valid, info


def _split_pairs(pairs: Sequence[Pair], cfg: FineTuneConfig) -> tuple[list[Pair], list[Pair]]:
    pairs = [(str(a), str(b)) for a, b in pairs]
    if len(pairs) < 3:
        raise ColdrecError(f"Fine-tuning needs at least 3 (query, item) pairs, got {len(pairs)}.")
    perm = np.random.default_rng(cfg.seed).permutation(len(pairs))
    n_val = min(cfg.max_val_pairs, max(1, int(round(len(pairs) * cfg.validation_fraction))))
    valid = [pairs[i] for i in sorted(perm[:n_val])]
    return _sample([pairs[i] for i in sorted(perm[n_val:])], cfg.max_pairs, np.random.default_rng(cfg.seed)), valid


def fine_tune(
    encoder_folder: str | Path | None = None,
    pairs: Sequence[Pair] | None = None,
    *,
    catalog: Any = None,
    interactions: InteractionLog | str | Any = None,
    user_texts: dict[str, str] | None = None,
    out: str | Path,
    config: FineTuneConfig | None = None,
    progress: Callable[[dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    overwrite: bool = False,
) -> FineTuneResult:
    """Fine-tune a sentence encoder on (query → item) pairs or on a catalog's interaction log; save it to ``out``.

    Args:
        encoder_folder: a plain BERT sentence-transformers folder; None for the bundled all-MiniLM-L6-v2.
        pairs: ``(query text, item text)`` pairs (a seeded ``validation_fraction`` of them validates), or None
            to build them from ``catalog`` + ``interactions`` (+ ``user_texts``) with :func:`log_pairs`.
        catalog: a :class:`coldrec.catalog.Catalog` (its texts are the items; all of them are the validation pool).
        interactions: an :class:`InteractionLog`, or a log file / DataFrame for :func:`load_interactions`.
        user_texts: user id → description (pairs description → liked item); without it, history pairs only.
        out: folder to write; ``load_encoder(model=str(out))`` then loads it offline.
        config: :class:`coldrec.encoders.FineTuneConfig`.
        progress, should_stop: see :func:`coldrec.encoders.fine_tune_pairs`.
        overwrite: replace ``out`` when it exists and is not empty.

    Returns:
        A :class:`coldrec.encoders.FineTuneResult`: history per epoch, chosen epoch, validation recall@10 before
        and after, the folder and the in-memory encoder.

    Example:
        >>> from coldrec.demo import load_demo
        >>> demo = load_demo("ecommerce")                                          # doctest: +SKIP
        >>> res = fine_tune(catalog=demo.catalog, interactions=demo.interactions,
        ...                 user_texts=demo.user_texts, out="ft-ecommerce")        # doctest: +SKIP
        >>> res.val_recall_after > res.val_recall_before                           # doctest: +SKIP
        True
    """
    cfg = config or FineTuneConfig()
    if pairs is not None:
        train, valid = _split_pairs(pairs, cfg)
        pool = sorted({b for _, b in [*train, *valid]})
        data = {"source": "pairs", "pairs": len(pairs)}
    elif catalog is not None and interactions is not None:
        log = interactions if isinstance(interactions, InteractionLog) else load_interactions(
            interactions, known_items=catalog.ids)
        train, valid, data = log_pairs(catalog, log, user_texts, cfg)
        pool = list(catalog.texts)
        data = {"source": "log", **data}
    else:
        raise ColdrecError("fine_tune needs pairs=[(query, item), …] or catalog= and interactions= (an "
                           "interaction log); got neither.")
    return fine_tune_pairs(encoder_folder, train, valid, pool, out, cfg, progress=progress,
                           should_stop=should_stop, data=data, overwrite=overwrite)
