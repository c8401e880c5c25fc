"""The ``coldrec`` command: embed, index, recommend, new-item, train-ranker, validate, evaluate, simulate, fine-tune.

Errors go to stderr with a non-zero exit code and never a traceback (set ``COLDREC_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from coldrec.cli import _common as common

__all__ = ["main", "build_parser"]


_mapping_args, _log_args, _log_options = common.mapping_args, common.log_args, common.log_options


def _model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--model", help="local sentence-transformers folder (default: bundled all-MiniLM-L6-v2; 'hash' = no model; "
                   "'multilingual' = multilingual-e5-small for Chinese and other languages, CPU)")
    g.add_argument("--device", help="cuda, mps or cpu (default: auto)")
    g.add_argument("--batch-size", type=int, default=None,
                   help="texts per forward pass (default: 256 on CUDA, 64 elsewhere)")
    g.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16", "int8"],
                   help="auto: fp16 on CUDA, else the path this machine's calibration picked (bf16, int8 or fp32)")
    g.add_argument("--cache-dir", help="embedding cache folder (default: $COLDREC_CACHE or the user cache dir)")
    g.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")


def cmd_embed(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        from coldrec.cli._scale import cmd_embed_ray

        return cmd_embed_ray(args)
    import pyarrow as pa
    import pyarrow.parquet as pq

    catalog = common.load_catalog(args)
    enc, _, res = common.embed_catalog(args, catalog)
    out = Path(args.out or Path(args.catalog).with_suffix(".embeddings.parquet").name)
    table = pa.table({"item_id": catalog.ids,
                      "embedding": pa.FixedSizeListArray.from_arrays(pa.array(res.vectors.reshape(-1)), res.vectors.shape[1])})
    table = table.replace_schema_metadata({"coldrec.model": enc.name, "coldrec.dim": str(res.vectors.shape[1])})
    pq.write_table(table, out)
    print(f"{len(catalog)} items → {out} ({res.vectors.shape[1]}-d, model {enc.name}); encoded {res.encoded}, "
          f"from cache {res.cached}, truncated {res.truncated}, {res.seconds:.1f}s")
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from coldrec.errors import ColdrecError
    from coldrec.retrieval import UserInput

    if not (args.describe or args.like or args.history):
        raise ColdrecError("Describe the user: give --describe TEXT, --like ITEM_ID or --history TEXT.")
    if args.index:
        from coldrec.cli._scale import recommend_from_index

        df = recommend_from_index(args)
        print(f"# ranked by {df.attrs['ranked_by']}; recall {df.attrs['recall']} over {df.attrs['total']} items "
              f"in {args.index}", file=sys.stderr)
        common.print_table(df, args.format)
        return 0
    rec = common.recommender(args)
    common.language_note([args.describe or "", *(args.history or [])], rec.encoder, "The description")
    user = UserInput(description=args.describe or "", liked=args.like or [], disliked=args.dislike or [],
                     history=args.history or [])
    df = rec.recommend(user, k=args.k, n=args.n, categories=args.only_category or None,
                       exclude_categories=args.exclude_category or None, mmr_lambda=args.mmr,
                       pop_weight=args.pop_weight)
    for w in df.attrs.get("warnings", []):
        common.say(f"note: {w}", err=True)
    recall = df.attrs["recall"]
    if recall in ("ivf", "hnsw"):  # an ANN name alone says nothing about how far from exact the list is
        from coldrec.retrieval import index_for

        recall = f"{recall} ({index_for(rec.item_vectors).recall_note})"
    print(f"# ranked by {df.attrs['ranked_by']}; recall {recall} over {len(rec.catalog)} items", file=sys.stderr)
    common.print_table(df, args.format)
    return 0


def cmd_new_item(args: argparse.Namespace) -> int:
    import pandas as pd

    from coldrec.recommend import new_item_report
    from coldrec.errors import ColdrecError

    rec = common.recommender(args)
    if args.users:
        users = common.user_texts(args.users, args.user_text_col)
    elif args.domain:
        from coldrec.demo import load_demo

        users = load_demo(args.domain).user_texts
    else:
        users = {}
    if args.popularity == "median":
        from coldrec.recommend import median_popularity

        assumed = median_popularity(rec)
    else:
        try:
            assumed = float(args.popularity)
        except ValueError:
            raise ColdrecError(f"--popularity takes a count or 'median', got {args.popularity!r}.") from None
    rep = new_item_report(rec, args.describe, users, k=args.k, n=args.n, similar=args.similar, popularity=assumed)
    s = rep.summary
    if not s["users"]:
        print("note: no users to reach (give --users FILE with user_id and a description column); "
              "listing the nearest catalog items only.", file=sys.stderr)
    print(f"# reaches {s['reached']} of {s['users']} users in their top {s['k']} ({s['reach']:.0%}); ranked by "
          f"{s['ranked_by']}, recall {s['n']}", file=sys.stderr)
    if args.format == "json":
        print(pd.Series({"summary": s, "similar": rep.similar.to_dict("records"),
                         "audience": rep.audience.astype(object).where(rep.audience.notna(), None)
                         .to_dict("records")}).to_json(force_ascii=False, indent=1))
    elif args.format == "csv":
        common.print_table(rep.audience, "csv")
    else:
        with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.max_columns", 20):
            similar = common.terminal_frame(rep.similar)
            print("Nearest catalog items:\n" + similar.to_string(index=False, float_format="{:.3f}".format))
            shown = common.terminal_frame(rep.audience.head(args.show))
            who = shown.pop("who").map(lambda t: t if len(t) <= 60 else t[:59] + "…")
            shown = shown.assign(who=who)
            print(f"\nWho it reaches (first {len(shown)} of {len(rep.audience)}):\n"
                  + shown.to_string(index=False, float_format="{:.3f}".format))
    return 0


def cmd_train_ranker(args: argparse.Namespace) -> int:
    from coldrec.encoders import embed_texts
    from coldrec.errors import ColdrecError
    from coldrec.ranking import load_interactions
    from coldrec.ranking import RankerConfig
    from coldrec.ranking import train_ranker

    if args.domain:
        from coldrec.demo import load_demo

        demo = load_demo(args.domain)
        catalog, log, texts = demo.catalog, demo.interactions, demo.user_texts
    elif args.catalog and args.interactions:
        catalog = common.load_catalog(args)
        log = load_interactions(args.interactions, known_items=catalog.ids, **_log_options(args))
        texts = common.user_texts(args.users, args.user_text_col) if args.users else None
    else:
        raise ColdrecError("Give --domain NAME, or --catalog FILE and --interactions FILE.")
    for w in log.warnings:
        common.say(f"warning: {w}", err=True)
    enc, cache, res = common.embed_catalog(args, catalog)
    cfg = RankerConfig(features=args.features, objective=args.objective, epochs=args.epochs, seed=args.seed)

    def report(row: dict) -> None:
        loss = f"loss {row['loss']:.4f}" if "loss" in row else "untrained recall order"
        extra = f" val ndcg@10 {row['val']:.4f}" if "val" in row else ""
        print(f"epoch {int(row['epoch']):3d} {loss}{extra}", file=sys.stderr)

    result = train_ranker(catalog, res.vectors, log, encode=lambda t: embed_texts(enc, t, cache, kind="query").vectors,
                          user_texts=texts, config=cfg, progress=report, encoder_name=enc.name)
    folder = result.ranker.save(args.out)
    print(result.metrics.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"saved {cfg.method_name} ranker to {folder} ({result.seconds:.0f}s; {len(result.test_users)} held-out users)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from coldrec.catalog import load_catalog
    from coldrec.errors import CatalogError

    try:
        catalog = load_catalog(args.file, common.columns(args))
    except CatalogError as exc:
        common.say(str(exc), err=True)
        return 2
    common.say(catalog.report.summary())
    return 0 if catalog.report.kept else 2


def cmd_evaluate(args: argparse.Namespace) -> int:
    from coldrec.errors import ColdrecError
    from coldrec.evaluation import format_table, run_protocol, run_seeds

    opts = {k: v for k, v in {"recall_n": args.recall_n, "max_users": args.max_users,
                               "methods": args.methods, "epochs": args.epochs}.items() if v is not None}
    if args.protocol in ("cold-items", "cold-users"):
        opts.update(catalog=args.catalog, interactions=args.interactions, columns=common.columns(args))
        opts.update({k: v for k, v in {"users": args.users, "user_text_col": args.user_text_col,
                                       "shots": args.shots, "cold_fraction": args.cold_fraction,
                                       "block_users": args.block_users}.items()
                     if v is not None})
        opts.update(_log_options(args))
        if args.name:
            opts["dataset_name"] = args.name
    elif args.protocol in ("warmup", "warmup-items"):
        opts.update({k: v for k, v in {"dataset": args.dataset, "folds": args.folds}.items() if v is not None})
        opts.pop("methods", None), opts.pop("epochs", None), opts.pop("recall_n", None)
        if args.catalog or args.interactions:
            opts.update(catalog=args.catalog, interactions=args.interactions, columns=common.columns(args))
            opts.update(_log_options(args))
            if args.users and args.protocol == "warmup":
                opts.update(users=args.users, user_text_col=args.user_text_col)
        if args.users and not (args.protocol == "warmup" and (args.catalog or args.interactions)):
            raise ColdrecError("--users (user descriptions) goes with --protocol warmup on your own "
                               "--catalog/--interactions (or cold-users); the item-side warm-up and the published "
                               "datasets do not read it")
    elif any([args.catalog, args.interactions, args.users, args.user_col, args.item_col, args.positive]):
        raise ColdrecError(f"--catalog/--interactions/--users and the log column flags are for your own data "
                           f"(--protocol cold-items, cold-users, warmup or warmup-items), not {args.protocol!r}.")
    if args.cache_dir:
        os.environ["COLDREC_CACHE"] = args.cache_dir
    custom_model = any([args.device, args.batch_size, args.precision != "auto"])
    encoder = common.encoder(args) if custom_model else args.model
    if args.seeds:
        try:
            seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            raise ColdrecError(f"--seeds takes comma-separated integers such as 0,1,2; got {args.seeds!r}.") from None
        result = run_seeds(args.protocol, seeds, data=args.data, out=args.out, force=args.force, encoder=encoder,
                           **opts)
    else:
        result = run_protocol(args.protocol, data=args.data, out=args.out, force=args.force, encoder=encoder,
                              seed=args.seed, **opts)
    print(format_table(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="coldrec", description="Cold-start recommendation with a sentence encoder.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("embed", help="catalog file → embeddings (Parquet)")
    p.add_argument("catalog", help="CSV, TSV, JSON, JSONL, Parquet or Excel file")
    p.add_argument("--out", help="output .parquet (default: <catalog>.embeddings.parquet); with --engine ray the "
                                 "shard folder (default: <catalog>.shards)")
    _mapping_args(p), _model_args(p)
    from coldrec.cli._scale import add_index_parser, ray_args

    ray_args(p)
    p.set_defaults(func=cmd_embed)

    add_index_parser(sub)

    p = sub.add_parser("recommend", help="describe a new user → ranked items with reasons")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--domain", help="demo domain: ecommerce, news, video, music, social")
    src.add_argument("--catalog", help="catalog file")
    src.add_argument("--index", help="recall from a Milvus store: store.db or milvus://host:port/collection")
    p.add_argument("--describe", help="the user's description")
    p.add_argument("--like", action="append", help="id of an item the user liked (repeat)")
    p.add_argument("--dislike", action="append", help="id of an item the user disliked (repeat)")
    p.add_argument("--history", action="append", help="a past query or read title, oldest first (repeat)")
    p.add_argument("-k", type=int, default=10, help="items shown (default 10)")
    p.add_argument("-n", type=int, default=None, help="recall size before ranking (default 50)")
    p.add_argument("--only-category", action="append", help="keep only this category (repeat)")
    p.add_argument("--exclude-category", action="append", help="leave out this category (repeat)")
    p.add_argument("--mmr", type=float, help="MMR diversity lambda in [0, 1], after the ranker (off by default)")
    p.add_argument("--pop-weight", type=float, default=0.0, help="popularity blend after the ranker, 0..1")
    p.add_argument("--ranker", help="ranker checkpoint folder, or 'none' for cosine order (default: the demo's)")
    p.add_argument("--format", default="table", choices=["table", "csv", "json"])
    _mapping_args(p), _model_args(p)
    p.set_defaults(func=cmd_recommend)

    p = sub.add_parser("new-item", help="describe a new item → its nearest items and the users it would reach")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--domain", help="demo domain (its log users are the audience)")
    src.add_argument("--catalog", help="catalog file the item would join")
    p.add_argument("--describe", required=True, help="the new item's title and description")
    p.add_argument("--users", help="user table with user_id and a description column (the audience)")
    p.add_argument("--user-text-col", default="description", help="description column of --users")
    p.add_argument("-k", type=int, default=10, help="list length a user sees (default 10)")
    p.add_argument("-n", type=int, default=None, help="recall size before ranking (default 50)")
    p.add_argument("--similar", type=int, default=10, help="nearest catalog items listed (default 10)")
    p.add_argument("--show", type=int, default=20, help="audience rows printed in table format (default 20)")
    p.add_argument("--popularity", default="0",
                   help="interactions assumed for the item: a count or 'median' (default 0: brand new)")
    p.add_argument("--ranker", help="ranker checkpoint folder, or 'none' for cosine order (default: the demo's)")
    p.add_argument("--format", default="table", choices=["table", "csv", "json"],
                   help="csv writes the whole audience; json also the nearest items and the summary")
    _mapping_args(p), _model_args(p)
    p.set_defaults(func=cmd_new_item)

    p = sub.add_parser("train-ranker", help="catalog + interactions → ranker checkpoint")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--domain", help="train on a demo domain's log")
    src.add_argument("--catalog", help="catalog file")
    p.add_argument("--interactions", help="interaction log: user, item, optional rating and timestamp")
    p.add_argument("--users", help="optional user table with user_id and a description column")
    p.add_argument("--user-text-col", default="description", help="description column of --users")
    p.add_argument("--features", default="concat", choices=["concat", "rich"])
    p.add_argument("--objective", default="listwise", choices=["listwise", "pointwise"],
                   help="listwise sampled softmax (default) or pointwise binary cross-entropy")
    p.add_argument("--epochs", type=int, default=20, help="maximum epochs (the best on held-out users is kept)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="checkpoint folder to write")
    _mapping_args(p), _log_args(p), _model_args(p)
    p.set_defaults(func=cmd_train_ranker)

    p = sub.add_parser("validate", help="check a catalog file and print the validation report")
    p.add_argument("file")
    _mapping_args(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("evaluate", help="run an evaluation protocol on real data")
    p.add_argument("--protocol", required=True,
                   help="scientific, citeulike-cold, ml100k-cold-users, cold-items, cold-users, warmup or "
                        "warmup-items")
    p.add_argument("--dataset", help="warmup: ml100k or scientific (default ml100k); warmup-items: citeulike")
    p.add_argument("--folds", type=int, help="warmup: folds over users (default 5 for ml100k, 3 for scientific); "
                                             "warmup-items: folds over items (default 3)")
    p.add_argument("--data", help="datasets folder (default: $COLDREC_DATA or ../shared/datasets)")
    p.add_argument("--out", help="folder for the results: <protocol>.json|md, or <protocol>-<dataset>.json|md for "
                                 "your own data (e.g. results/)")
    p.add_argument("--force", action="store_true", help="overwrite result files that exist")
    p.add_argument("--name", help="cold-items/cold-users: dataset name for the report and file (default: the "
                                  "catalog file's stem)")
    p.add_argument("--catalog", help="cold-items/cold-users/warmup/warmup-items: catalog file")
    p.add_argument("--interactions", help="cold-items/cold-users/warmup/warmup-items: interaction log")
    p.add_argument("--seed", type=int)
    p.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2: mean ± standard deviation per metric")
    p.add_argument("--recall-n", type=int, help="candidates the MLP re-ranks")
    p.add_argument("--max-users", type=int, help="evaluate on at most this many users (quick runs)")
    p.add_argument("--methods", help="comma-separated subset of methods: random, popularity, tfidf, itemknn, "
                                     "zero-shot, hybrid (own data: encoder + TF-IDF, weight chosen on validation), "
                                     "mlp-concat, mlp-rich")
    p.add_argument("--epochs", type=int, help="maximum ranker epochs (best epoch kept on validation)")
    p.add_argument("--users", help="cold-users/warmup (own files): user table with a user id and a description "
                                   "column (warmup: the 0-known point gets a text-only row)")
    p.add_argument("--user-text-col", help="cold-users/warmup: description column of --users (default: auto)")
    p.add_argument("--shots", type=int, help="cold-users: liked items given per cold user (default 0 with --users, else 3)")
    p.add_argument("--cold-fraction", type=float, help="cold-items/cold-users: share held out (default 0.2)")
    p.add_argument("--block-users", type=int, help="cold-users: users scored at a time (default: what fits 64 MB "
                                                   "of scores); lower it to use less memory, results are the same")
    _mapping_args(p), _log_args(p), _model_args(p)
    p.set_defaults(func=cmd_evaluate)

    from coldrec.cli._simulate import add_simulate_parser
    from coldrec.cli._finetune import add_finetune_parser

    add_simulate_parser(sub)
    add_finetune_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``coldrec`` command."""
    args = build_parser().parse_args(argv)
    from coldrec.errors import ColdrecError

    try:
        return int(args.func(args) or 0)
    except (ColdrecError, OSError) as exc:
        if os.environ.get("COLDREC_DEBUG"):
            raise
        name = "error" if isinstance(exc, ColdrecError) else type(exc).__name__
        common.say(f"coldrec {args.command}: {name}: {exc}", err=True)
        return 2 if args.command == "validate" else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
