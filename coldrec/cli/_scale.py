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
    """The ``recommend`` table recalled from the store at ``--index``: :class:`coldrec.recommend.StoreRecommender`
    (cosine order, or ``--ranker`` over the recalled top n)."""
    from coldrec.errors import ColdrecError
    from coldrec.recommend import StoreRecommender
    from coldrec.retrieval import MilvusStore, UserInput

    if args.catalog or args.domain:
        raise ColdrecError("--index recalls from the store; do not also give --catalog or --domain.")
    if args.pop_weight:
        raise ColdrecError("--pop-weight needs interaction counts, which a store-backed catalog does not hold yet.")
    enc = common.encoder(args)
    user = UserInput(description=args.describe or "", liked=args.like or [], disliked=args.dislike or [],
                     history=args.history or [])
    ranker = None
    if args.ranker not in (None, "none"):
        from coldrec.ranking import MLPRanker

        ranker = MLPRanker.load(args.ranker)
    with MilvusStore(args.index) as store:
        rec = StoreRecommender(store, enc, ranker=ranker)
        return rec.recommend(user, k=args.k, n=max(args.n or 50, args.k), categories=args.only_category or None,
                             exclude_categories=args.exclude_category or None, mmr_lambda=args.mmr)
