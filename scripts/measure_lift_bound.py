"""Held-out recall@10 / ndcg@10 of the shipped demo rankers through ``Recommender.recommend``, with the ranker's
lift unbounded (``max_lift=None``, the order before issue 17) and with the default bound (``RecommendConfig``).

    python scripts/measure_lift_bound.py

Held-out users are those of ``scripts/train_demo_rankers.py`` (``coldrec.ranking.train_ranker``: the users of
``build_training_data`` permuted with the ranker's seed, the first 20% held out); each is served from their own
description with the shipped checkpoint, the recall size its training used (``recall_n``) and k = 10.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOMAINS = ("ecommerce", "news", "music", "social")


def measure(domain: str, encoder) -> dict[str, tuple[float, float, int]]:
    """``{"unbounded": (recall@10, ndcg@10, users), "default": ...}`` for one demo domain."""
    from coldrec.demo import demo_recommender, load_demo
    from coldrec.metrics import ndcg_at_k, recall_at_k
    from coldrec.ranking import build_training_data
    from coldrec.retrieval import UserInput

    demo, rec = load_demo(domain), demo_recommender(domain, encoder=encoder, cache=False)
    if rec.ranker is None:
        raise SystemExit(f"{domain}: no shipped ranker fits this encoder")
    cfg = rec.ranker.config
    data = build_training_data(demo.interactions, demo.catalog.id_to_row, rec.item_vectors,
                               encode=encoder.encode, user_texts=demo.user_texts)
    perm = np.random.default_rng(cfg.seed).permutation(len(data.user_ids))
    test = perm[:max(1, int(round(len(data.user_ids) * 0.2)))]
    users = [UserInput(description=demo.user_texts[data.user_ids[u]]) for u in test]
    ids = np.asarray(demo.catalog.ids)
    out = {}
    for label, lift in (("unbounded", None), ("default", "config")):
        lists = rec.recommend_many(users, k=10, n=cfg.recall_n, max_lift=lift)
        rs, ns = [], []
        for u, df in zip(test, lists):
            relevant = set(ids[data.positives[u]].tolist())
            rs.append(recall_at_k(df["item_id"].tolist(), relevant, 10))
            ns.append(ndcg_at_k(df["item_id"].tolist(), relevant, 10))
        out[label] = (float(np.mean(rs)), float(np.mean(ns)), len(test))
    return out


def main() -> int:
    from coldrec.encoders import load_encoder
    from coldrec.recommend import RecommendConfig

    enc = load_encoder(device="cpu", precision="fp32")
    d = RecommendConfig()
    print(f"max_lift={d.max_lift}, lift_floor={d.lift_floor}")
    print("| domain | ranker | recall@10 unbounded → bounded | ndcg@10 unbounded → bounded | held-out users |")
    print("|---|---|---|---|---|")
    for domain in DOMAINS:
        m = measure(domain, enc)
        (r0, n0, users), (r1, n1, _) = m["unbounded"], m["default"]
        print(f"| {domain} | | {r0:.4f} → {r1:.4f} | {n0:.4f} → {n1:.4f} | {users} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
