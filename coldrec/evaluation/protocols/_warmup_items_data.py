"""``warmup-items`` protocol: the item-side warm-up study on citeulike-a or an analyst's catalog + log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.evaluation._common import Log, _log_default, _tfidf, embed_cached, get_encoder
from coldrec.evaluation.protocols._warmup_data import read_own_log
from coldrec.evaluation.protocols._warmup_items import ItemWarmupConfig, ItemWarmupData, item_warmup_study

WARMUP_ITEM_DATASETS: tuple[str, ...] = ("citeulike",)


def item_text_sides(texts: Sequence[str], E: np.ndarray) -> dict[str, Any]:
    """Item vectors per text side: the language model (``E``), the hashing encoder and TF-IDF (sparse)."""
    from coldrec.encoders import HashEncoder

    E = np.asarray(E, np.float32)
    E = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    return {"lm": E, "hash": np.asarray(HashEncoder().encode(list(texts)), np.float32), "tfidf": _tfidf(texts)}


def citeulike_item_data(data: str | Path | None, encoder: Any) -> ItemWarmupData:
    """CiteULike-a: every (user, paper) pair of users.dat (no time: known users are a seeded draw), titles only."""
    from coldrec.evaluation._realdata import load_citeulike

    ds = load_citeulike(data)
    E = embed_cached(get_encoder(encoder), ds.titles, "citeulike-titles")
    pairs = np.concatenate([np.stack([np.full(len(it), u), it], 1) for u, it in enumerate(ds.users)]).astype(np.int64)
    return ItemWarmupData("citeulike", ds.n_users, ds.n_items, pairs, item_text_sides(ds.titles, E), ordered=False)


def protocol_warmup_items(data: str | Path | None = None, *, dataset: str | None = None, encoder: Any = None,
                          seed: int = 0, max_users: int | None = None, folds: int | None = None,
                          log: Log = _log_default, catalog: Any = None, interactions: Any = None, **own: Any
                          ) -> dict[str, Any]:
    """``coldrec evaluate --protocol warmup-items --dataset citeulike`` (or ``--catalog/--interactions``)."""
    t0 = time.time()
    if catalog is not None or interactions is not None:
        o = read_own_log(catalog, interactions, encoder, **own)
        wd = ItemWarmupData(o["name"], o["n_users"], o["n_items"], o["pairs"], item_text_sides(o["texts"], o["E"]),
                            ordered=True)
        desc = (f"{o['name']} (your files): {len(o['pairs'])} positives ({o['positive']}) of {o['rows']} rows; an "
                "item's known users = its first s by time, targets = its later users")
        cfg = ItemWarmupConfig(seed=seed, folds=folds or 3, max_users=max_users, min_val_items=5)
    else:
        dataset = dataset or "citeulike"
        if dataset not in WARMUP_ITEM_DATASETS:
            raise ColdrecError(f"unknown item warm-up dataset {dataset!r}; valid choices: "
                               f"{', '.join(WARMUP_ITEM_DATASETS)} (or pass --catalog and --interactions)")
        wd = citeulike_item_data(data, encoder)
        desc = ("CiteULike-a (citeulike-a/, users.dat: 5,551 users, 16,980 papers, 204,986 pairs; titles only). No "
                "timestamps: an item's known users are a seeded draw, nested across points; targets = its other users")
        cfg = ItemWarmupConfig(seed=seed, folds=folds or 3, max_users=max_users)
    t_data = round(time.time() - t0, 1)
    res = item_warmup_study(wd, cfg, log=log)
    res["dataset"] = desc
    res["result_name"] = f"warmup-items-{wd.name}"
    res["methods"] = {f"{m} [{s} known]": {k: v[i] for k, v in res["curves"][m].items()}
                      for i, s in enumerate(res["points"]) for m in res["curves"]
                      if res["curves"][m]["ndcg@10"][i] is not None}
    res["timings"] = {"data + text sides": t_data, "study": round(time.time() - t0 - t_data, 1)}
    res["notes"] = _notes(cfg)
    return res


def _notes(cfg: ItemWarmupConfig) -> list[str]:
    return [
        f"{cfg.folds} seeded folds over items; each item is a test item once. A test item's pairs never enter the CF "
        "fit, the users' text profiles or the validation; at s known, the item shows s of its users and the others "
        "are its targets (items with ≤ s users are left out of that point: the item counts say how many remain).",
        "Candidates at a point = the fold's test items with more than s users (as in the strict cold-item protocol, "
        "users rank only the new items); each user with a target ranks them, their own known test items excluded. "
        "The candidate set shrinks as s grows (fewer, more popular items), so compare methods within a point.",
        "popularity: every candidate has exactly s known users, so it is a random order (the floor).",
        "ease = EASE on the transposed matrix (user-user, fitted on the training items): an item's column of known "
        "users is scored through it; userknn = cosine user-user KNN summed over the item's known users. Both are "
        "the popularity-free CF that an item with s interactions allows.",
        "text-X = cosine of the user's mean item-text profile (their training items) with the item's text; lm = the "
        "language model, hash = the hashing encoder, tfidf = TF-IDF of the same titles.",
        "hybrid-X = w·z(text-X) + (1 − w)·z(CF), with (w, CF) chosen per point on validation items "
        f"({cfg.val_fraction:.0%} of each fold's training items, held out of the CF fit and the profiles the same "
        "way); EASE λ chosen on the first fold's validation items and kept. LM gain = hybrid-lm − hybrid-X.",
        "Users evaluated: " + ("all" if not cfg.max_users else f"a seeded sample of {cfg.max_users} (all users "
                                                               "still enter the CF fit)") + ".",
    ]
