"""The scale commands: ``embed --engine ray``, ``index SHARDS --into URI`` and ``recommend --index URI``.

Without the scale extras each says what to install (``pip install -r requirements-scale.txt``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coldrec.cli import _common as common

__all__ = ["ray_args", "cmd_embed_ray", "add_index_parser", "cmd_index", "recommend_from_index"]


def ray_args(p: argparse.ArgumentParser) -> None:
    """``--engine`` and the Ray options of ``coldrec embed``."""
    g = p.add_argument_group("scale (pip install -r requirements-scale.txt)")
    g.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="local: one process (default); ray: Ray Data actor pool → Parquet shards + manifest in --out")
    g.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray on this machine)")
    g.add_argument("--actors", type=int, default=1, help="encoder actors, each loads the model once (default 1)")
    g.add_argument("--gpus-per-actor", type=float, default=0.0, help="GPUs per actor (default 0: CPU)")
    g.add_argument("--cpus-per-actor", type=float, default=1.0, help="CPUs each actor reserves (default 1)")
    g.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray (default 2)")
    g.add_argument("--rows-per-shard", type=int, default=50_000, help="rows per Parquet shard (default 50000)")


def cmd_embed_ray(args: argparse.Namespace) -> int:
    from coldrec.scale import RayEmbedConfig, ray_embed

    out = args.out or Path(args.catalog.rstrip("/")).with_suffix(".shards").name
    cfg = RayEmbedConfig(model=args.model, precision=args.precision, device=args.device, batch_size=args.batch_size,
                         address=args.ray_address, num_cpus=args.num_cpus, actors=args.actors,
                         gpus_per_actor=args.gpus_per_actor, cpus_per_actor=args.cpus_per_actor,
                         rows_per_shard=args.rows_per_shard,
                         cache_dir=args.cache_dir, use_cache=not args.no_cache)
    res = ray_embed(args.catalog, out, common.columns(args), cfg)
    for w in res.report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if res.report.skipped:
        print(res.report.summary(), file=sys.stderr)
    print(f"{res.rows} items → {res.folder}/ (model {res.model}); encoded {res.encoded} now, "
          f"{res.rows - res.encoded} were already in shards; {res.seconds:.1f}s")
    return 0


def add_index_parser(sub) -> None:
    p = sub.add_parser("index", help="embedding shard folder → Milvus store (Lite file or milvus:// URI)")
    p.add_argument("shards", help="folder written by `coldrec embed CATALOG --engine ray --out FOLDER`")
    p.add_argument("--into", required=True, help="store.db (Milvus Lite file) or milvus://host:port/collection")
    p.add_argument("--index-type", help="FLAT, HNSW, IVF_FLAT or AUTOINDEX (default: FLAT on Lite, AUTOINDEX on a server)")
    p.add_argument("--replace", action="store_true", help="drop what the collection holds first")
    p.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    import time

    from coldrec.retrieval import MilvusStore, StoreConfig
    from coldrec.scale import load_shards_into

    t0 = time.perf_counter()
    with MilvusStore(args.into, StoreConfig(index_type=args.index_type)) as store:
        added = load_shards_into(args.shards, store, replace=args.replace)
        total = store.count()
        recall = store.recall
    print(f"{added} items → {args.into} ({recall}, {total} rows); {time.perf_counter() - t0:.1f}s")
    return 0


def recommend_from_index(args: argparse.Namespace):
    """The ``recommend`` table recalled from the store at ``--index`` (cosine order, or ``--ranker`` over top n)."""
    import numpy as np
    import pandas as pd

    from coldrec.errors import ColdrecError
    from coldrec.retrieval import MilvusStore, UserInput, build_profile

    if args.catalog or args.domain:
        raise ColdrecError("--index recalls from the store; do not also give --catalog or --domain.")
    if args.pop_weight:
        raise ColdrecError("--pop-weight needs interaction counts, which a store-backed catalog does not hold yet.")
    if args.mmr is not None:
        raise ColdrecError("--mmr is not available with --index yet (recall from the store is relevance-only).")
    enc = common.encoder(args)
    user = UserInput(description=args.describe or "", liked=args.like or [], disliked=args.dislike or [],
                     history=args.history or [])
    with MilvusStore(args.index) as store:
        if not store.count():
            raise ColdrecError(f"{args.index} holds no items; load shards with `coldrec index SHARDS --into URI`.")
        known = store.vectors_of(list(user.liked) + list(user.disliked))
        ids = list(known)
        E = np.stack([known[i] for i in ids]) if ids else np.zeros((0, store.dim), np.float32)
        if E.shape[1] != enc.dim:
            raise ColdrecError(f"{args.index} holds {store.dim}-d vectors but model {enc.name} makes {enc.dim}-d ones.")
        profile = build_profile(user, enc, E, {i: r for r, i in enumerate(ids)})
        n = max(args.n or 50, args.k)
        rows, scores = store.search(profile.vector, n, include_categories=args.only_category,
                                    exclude_categories=args.exclude_category,
                                    exclude_ids=list(user.liked) + list(user.disliked))
        df = store.lookup(rows)
        ranker_score = np.full(len(df), np.nan)
        if args.ranker not in (None, "none") and len(df):
            from coldrec.ranking import MLPRanker

            vecs = store.vectors_of(list(df["item_id"]))
            ranker_score = MLPRanker.load(args.ranker).score(np.stack([vecs[i] for i in df["item_id"]]), profile.vector)
        recall, total = store.recall, store.count()
    df = df.assign(recall_rank=np.arange(1, len(df) + 1), recall_score=scores, ranker_score=ranker_score)
    order = np.argsort(-ranker_score, kind="stable") if np.isfinite(ranker_score).any() else np.arange(len(df))
    df = df.iloc[order[: args.k]].reset_index(drop=True)
    df["final_rank"] = np.arange(1, len(df) + 1)
    df["rank_change"] = df["recall_rank"] - df["final_rank"]
    df["reason"] = "close to the profile in the store" if not np.isfinite(ranker_score).any() else "ranker over store recall"
    df = df.drop(columns=["row"])
    df.attrs.update(recall=recall, recalled=len(rows), total=total,
                    ranked_by="mlp" if np.isfinite(ranker_score).any() else "cosine: store recall")
    return pd.DataFrame(df) if not isinstance(df, pd.DataFrame) else df
