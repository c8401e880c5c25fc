"""The ``coldrec`` command: embed, recommend, train-ranker, validate, evaluate.

Errors go to stderr with a non-zero exit code and never a traceback (set ``COLDREC_DEBUG=1`` to see one).
"""

# STABLE: others may make small, API-keeping edits (see docs/TEAM.md).
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["main", "build_parser"]


def _mapping_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("column mapping (auto-detected when omitted)")
    g.add_argument("--id", dest="id_col", help="id column")
    g.add_argument("--text", dest="text_cols", action="append", help="text column (repeat for several)")
    g.add_argument("--template", help='how text columns are joined, e.g. "{title}. {description}"')
    g.add_argument("--title", dest="title_col", help="title column")
    g.add_argument("--category", dest="category_col", help="category column")
    g.add_argument("--tags", dest="tags_col", help="tags column")
    g.add_argument("--price", dest="price_col", help="price column")
    g.add_argument("--image", dest="image_col", help="image URL column")


def _model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--model", help="local sentence-transformers folder (default: bundled all-MiniLM-L6-v2; 'hash' = no model)")
    g.add_argument("--device", help="cuda, mps or cpu (default: auto)")
    g.add_argument("--batch-size", type=int, default=None,
                   help="texts per forward pass (default: 256 on CUDA, 64 elsewhere)")
    g.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "int8"])
    g.add_argument("--cache-dir", help="embedding cache folder (default: $COLDREC_CACHE or the user cache dir)")
    g.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")


def _columns(args: argparse.Namespace):
    from coldrec.catalog import ColumnMap

    given = [args.id_col, args.text_cols, args.template, args.title_col, args.category_col, args.tags_col,
             args.price_col, args.image_col]
    if not any(given):
        return None
    return ColumnMap(id=args.id_col, text=list(args.text_cols or []), template=args.template, title=args.title_col,
                     category=args.category_col, tags=args.tags_col, price=args.price_col, image_url=args.image_col)


def _encoder(args: argparse.Namespace):
    from coldrec.encoder import load_encoder

    return load_encoder(args.model, device=args.device, batch_size=args.batch_size, precision=args.precision)


def _cache(args: argparse.Namespace):
    from coldrec.cache import EmbeddingCache

    return None if args.no_cache else EmbeddingCache(args.cache_dir)


def _bar(desc: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    from tqdm import tqdm

    state: dict[str, object] = {}

    def tick(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=desc, unit="text", file=sys.stderr, leave=False,
                                      disable=not sys.stderr.isatty() and not os.environ.get("COLDREC_PROGRESS"))
        bar.update(done - bar.n)

    def close() -> None:
        if state.get("bar") is not None:
            state["bar"].close()

    return tick, close


def _embed_catalog(args, catalog):
    from coldrec.cache import embed_texts

    enc = _encoder(args)
    cache = _cache(args)
    tick, close = _bar("embedding")
    try:
        res = embed_texts(enc, catalog.texts, cache, tick)
    finally:
        close()
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return enc, cache, res


def _load_catalog(args):
    from coldrec.catalog import load_catalog

    catalog = load_catalog(args.catalog, _columns(args))
    for w in catalog.report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if catalog.report.skipped:
        print(f"note: {len(catalog.report.skipped)} row(s) skipped; run `coldrec validate {args.catalog}` for the list.",
              file=sys.stderr)
    return catalog


def cmd_embed(args: argparse.Namespace) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    catalog = _load_catalog(args)
    enc, _, res = _embed_catalog(args, catalog)
    out = Path(args.out or Path(args.catalog).with_suffix(".embeddings.parquet").name)
    table = pa.table({"item_id": catalog.ids,
                      "embedding": pa.FixedSizeListArray.from_arrays(pa.array(res.vectors.reshape(-1)), res.vectors.shape[1])})
    table = table.replace_schema_metadata({"coldrec.model": enc.name, "coldrec.dim": str(res.vectors.shape[1])})
    pq.write_table(table, out)
    print(f"{len(catalog)} items → {out} ({res.vectors.shape[1]}-d, model {enc.name}); encoded {res.encoded}, "
          f"from cache {res.cached}, truncated {res.truncated}, {res.seconds:.1f}s")
    return 0


def _print_table(df, fmt: str) -> None:
    import pandas as pd

    if fmt == "csv":
        from coldrec.catalog import neutralise_formulas

        neutralise_formulas(df).to_csv(sys.stdout, index=False)
    elif fmt == "json":
        print(df.to_json(orient="records", force_ascii=False, indent=1))
    else:
        view = df.copy()
        view["recall_score"] = view["recall_score"].map("{:.3f}".format)
        view["ranker_score"] = view["ranker_score"].map(lambda v: "-" if pd.isna(v) else f"{v:.3f}")
        view["rank_change"] = view["rank_change"].map(lambda v: f"▲{v}" if v > 0 else (f"▼{-v}" if v < 0 else "="))
        view["title"] = view["title"].map(lambda t: t if len(t) <= 48 else t[:47] + "…")
        with pd.option_context("display.width", 200, "display.max_colwidth", 70, "display.max_columns", 20):
            print(view.drop(columns=["item_id"]).to_string(index=False))


def cmd_recommend(args: argparse.Namespace) -> int:
    from coldrec.errors import ColdrecError
    from coldrec.profiles import UserInput

    if not (args.describe or args.like or args.history):
        raise ColdrecError("Describe the user: give --describe TEXT, --like ITEM_ID or --history TEXT.")
    ranker_arg = None if args.ranker in (None, "none") else args.ranker
    if args.domain:
        from coldrec.datasets import demo_recommender

        rec = demo_recommender(args.domain, _encoder(args), cache=_cache(args) or False,
                               ranker="auto" if args.ranker is None else ranker_arg)
    elif args.catalog:
        from coldrec.pipeline import Recommender
        from coldrec.ranker import MLPRanker

        catalog = _load_catalog(args)
        enc, _, res = _embed_catalog(args, catalog)
        rec = Recommender(catalog, res.vectors, enc, ranker=MLPRanker.load(ranker_arg) if ranker_arg else None)
    else:
        raise ColdrecError("Give a catalog: --domain NAME (one of the demos) or --catalog FILE.")
    user = UserInput(description=args.describe or "", liked=args.like or [], disliked=args.dislike or [],
                     history=args.history or [])
    df = rec.recommend(user, k=args.k, n=args.n, categories=args.only_category or None,
                       exclude_categories=args.exclude_category or None, mmr_lambda=args.mmr,
                       pop_weight=args.pop_weight)
    for w in df.attrs.get("warnings", []):
        print(f"note: {w}", file=sys.stderr)
    print(f"# ranked by {df.attrs['ranked_by']}; recall {df.attrs['recall']} over {len(rec.catalog)} items",
          file=sys.stderr)
    _print_table(df, args.format)
    return 0


def cmd_train_ranker(args: argparse.Namespace) -> int:
    from coldrec.cache import embed_texts
    from coldrec.errors import ColdrecError
    from coldrec.interactions import load_interactions
    from coldrec.ranker import RankerConfig
    from coldrec.training import train_ranker

    if args.domain:
        from coldrec.datasets import load_demo

        demo = load_demo(args.domain)
        catalog, log, texts = demo.catalog, demo.interactions, demo.user_texts
    elif args.catalog and args.interactions:
        catalog = _load_catalog(args)
        log = load_interactions(args.interactions, known_items=catalog.ids)
        texts = None
        if args.users:
            from coldrec.catalog import read_table

            users = read_table(args.users)[0]
            for col in ("user_id", args.user_text_col):
                if col not in users.columns:
                    raise ColdrecError(f"{args.users} has no column {col!r}; columns: {', '.join(map(str, users.columns))}.")
            texts = dict(zip(users["user_id"].astype(str), users[args.user_text_col].fillna("").astype(str)))
    else:
        raise ColdrecError("Give --domain NAME, or --catalog FILE and --interactions FILE.")
    for w in log.warnings:
        print(f"warning: {w}", file=sys.stderr)
    enc, cache, res = _embed_catalog(args, catalog)
    cfg = RankerConfig(features=args.features, epochs=args.epochs, seed=args.seed)

    def report(row: dict) -> None:
        extra = f" val_auc {row['val_auc']:.3f}" if "val_auc" in row else ""
        print(f"epoch {int(row['epoch']):3d} loss {row['loss']:.4f}{extra}", file=sys.stderr)

    result = train_ranker(catalog, res.vectors, log, encode=lambda t: embed_texts(enc, t, cache).vectors,
                          user_texts=texts, config=cfg, progress=report, encoder_name=enc.name)
    folder = result.ranker.save(args.out)
    print(result.metrics.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"saved {cfg.method_name} ranker to {folder} ({result.seconds:.0f}s; {len(result.test_users)} held-out users)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from coldrec.catalog import load_catalog
    from coldrec.errors import CatalogError

    try:
        catalog = load_catalog(args.file, _columns(args))
    except CatalogError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(catalog.report.summary())
    return 0 if catalog.report.kept else 2


def cmd_evaluate(args: argparse.Namespace) -> int:
    from coldrec.evaluate import format_table, run_protocol

    opts = {k: v for k, v in {"seed": args.seed, "recall_n": args.recall_n, "max_users": args.max_users,
                               "methods": args.methods, "epochs": args.epochs}.items() if v is not None}
    if args.protocol in ("cold-items", "cold-users"):
        opts.update(catalog=args.catalog, interactions=args.interactions, columns=_columns(args))
        opts.update({k: v for k, v in {"users": args.users, "user_text_col": args.user_text_col,
                                       "shots": args.shots, "cold_fraction": args.cold_fraction}.items()
                     if v is not None})
    result = run_protocol(args.protocol, data=args.data, out=args.out, encoder=args.model, **opts)
    print(format_table(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="coldrec", description="Cold-start recommendation with a sentence encoder.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("embed", help="catalog file → embeddings (Parquet)")
    p.add_argument("catalog", help="CSV, TSV, JSON, JSONL, Parquet or Excel file")
    p.add_argument("--out", help="output .parquet (default: <catalog>.embeddings.parquet)")
    _mapping_args(p), _model_args(p)
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("recommend", help="describe a new user → ranked items with reasons")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--domain", help="demo domain: ecommerce, news, video, music, social")
    src.add_argument("--catalog", help="catalog file")
    p.add_argument("--describe", help="the user's description")
    p.add_argument("--like", action="append", help="id of an item the user liked (repeat)")
    p.add_argument("--dislike", action="append", help="id of an item the user disliked (repeat)")
    p.add_argument("--history", action="append", help="a past query or read title, oldest first (repeat)")
    p.add_argument("-k", type=int, default=10, help="items shown (default 10)")
    p.add_argument("-n", type=int, default=None, help="recall size before ranking (default 50)")
    p.add_argument("--only-category", action="append", help="keep only this category (repeat)")
    p.add_argument("--exclude-category", action="append", help="leave out this category (repeat)")
    p.add_argument("--mmr", type=float, help="MMR diversity lambda in [0, 1] (off by default)")
    p.add_argument("--pop-weight", type=float, default=0.0, help="popularity blend in recall, 0..1")
    p.add_argument("--ranker", help="ranker checkpoint folder, or 'none' for cosine order (default: the demo's)")
    p.add_argument("--format", default="table", choices=["table", "csv", "json"])
    _mapping_args(p), _model_args(p)
    p.set_defaults(func=cmd_recommend)

    p = sub.add_parser("train-ranker", help="catalog + interactions → ranker checkpoint")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--domain", help="train on a demo domain's log")
    src.add_argument("--catalog", help="catalog file")
    p.add_argument("--interactions", help="interaction log: user, item, optional rating and timestamp")
    p.add_argument("--users", help="optional user table with user_id and a description column")
    p.add_argument("--user-text-col", default="description", help="description column of --users")
    p.add_argument("--features", default="concat", choices=["concat", "rich"])
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="checkpoint folder to write")
    _mapping_args(p), _model_args(p)
    p.set_defaults(func=cmd_train_ranker)

    p = sub.add_parser("validate", help="check a catalog file and print the validation report")
    p.add_argument("file")
    _mapping_args(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("evaluate", help="run an evaluation protocol on real data")
    p.add_argument("--protocol", required=True,
                   help="scientific, citeulike-cold, ml100k-cold-users, cold-items or cold-users")
    p.add_argument("--data", help="datasets folder (default: $COLDREC_DATA or ../shared/datasets)")
    p.add_argument("--out", help="folder for <protocol>.json and .md (e.g. results/)")
    p.add_argument("--catalog", help="cold-items/cold-users: catalog file")
    p.add_argument("--interactions", help="cold-items/cold-users: interaction log")
    p.add_argument("--seed", type=int)
    p.add_argument("--recall-n", type=int, help="candidates the MLP re-ranks")
    p.add_argument("--max-users", type=int, help="evaluate on at most this many users (quick runs)")
    p.add_argument("--methods", help="comma-separated subset of methods")
    p.add_argument("--model", help="model folder, or 'hash' (default: bundled MiniLM)")
    p.add_argument("--epochs", type=int, help="maximum ranker epochs (best epoch kept on validation)")
    p.add_argument("--users", help="cold-users: user table with a user id and a description column")
    p.add_argument("--user-text-col", help="cold-users: description column of --users (default: auto)")
    p.add_argument("--shots", type=int, help="cold-users: liked items given per cold user (default 0 with --users, else 3)")
    p.add_argument("--cold-fraction", type=float, help="cold-items/cold-users: share held out (default 0.2)")
    _mapping_args(p)
    p.set_defaults(func=cmd_evaluate)
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
        print(f"coldrec {args.command}: {name}: {exc}", file=sys.stderr)
        return 2 if args.command == "validate" else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
