"""What the ``coldrec`` commands share: arguments turned into a column map, an encoder, a cache and a catalog;
a progress bar on stderr; tables printed as text, CSV or JSON."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

__all__ = ["columns", "encoder", "cache", "progress_bar", "embed_catalog", "load_catalog", "recommender",
           "print_table", "user_texts"]


def columns(args: argparse.Namespace):
    """The ``--id/--text/--template/...`` options as a ``ColumnMap`` whose unnamed roles are still guessed from
    the column names (a flag adds to the guesses), or None to auto-detect everything."""
    from coldrec.catalog import ColumnMap

    given = [args.id_col, args.text_cols, args.template, args.title_col, args.category_col, args.tags_col,
             args.price_col, args.image_col]
    if not any(given):
        return None
    return ColumnMap(id=args.id_col, text=list(args.text_cols or []), template=args.template, title=args.title_col,
                     category=args.category_col, tags=args.tags_col, price=args.price_col, image_url=args.image_col,
                     guess_rest=True)


def encoder(args: argparse.Namespace):
    """The encoder named by ``--model/--device/--batch-size/--precision``."""
    from coldrec.encoders import load_encoder

    return load_encoder(args.model, device=args.device, batch_size=args.batch_size, precision=args.precision)


def cache(args: argparse.Namespace):
    """The embedding cache (``--cache-dir``), or None with ``--no-cache``."""
    from coldrec.encoders import EmbeddingCache

    return None if args.no_cache else EmbeddingCache(args.cache_dir)


def progress_bar(desc: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """``(tick(done, total), close())`` of a tqdm bar on stderr (only on a terminal or with COLDREC_PROGRESS)."""
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


def embed_catalog(args, catalog):
    """``(encoder, cache, EmbedResult)`` of the catalog's texts, with a progress bar and warnings on stderr."""
    from coldrec.encoders import embed_texts

    enc = encoder(args)
    store = cache(args)
    tick, close = progress_bar("embedding")
    try:
        res = embed_texts(enc, catalog.texts, store, tick)
    finally:
        close()
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return enc, store, res


def load_catalog(args):
    """The ``--catalog`` file as a Catalog; its warnings and skipped-row count go to stderr."""
    from coldrec.catalog import load_catalog as read_catalog

    catalog = read_catalog(args.catalog, columns(args))
    for w in catalog.report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if catalog.report.skipped:
        print(f"note: {len(catalog.report.skipped)} row(s) skipped; run `coldrec validate {args.catalog}` for the list.",
              file=sys.stderr)
    return catalog


def recommender(args):
    """The Recommender of ``--domain`` (its demo ranker unless ``--ranker``) or of ``--catalog`` (``--ranker`` or
    cosine order); ``--ranker none`` keeps the cosine order either way."""
    from coldrec.errors import ColdrecError

    ranker_arg = None if args.ranker in (None, "none") else args.ranker
    if args.domain:
        from coldrec.demo import demo_recommender

        return demo_recommender(args.domain, encoder(args), cache=cache(args) or False,
                                ranker="auto" if args.ranker is None else ranker_arg)
    if args.catalog:
        from coldrec.recommend import Recommender
        from coldrec.ranking import MLPRanker

        catalog = load_catalog(args)
        enc, _, res = embed_catalog(args, catalog)
        return Recommender(catalog, res.vectors, enc, ranker=MLPRanker.load(ranker_arg) if ranker_arg else None)
    raise ColdrecError("Give a catalog: --domain NAME (one of the demos) or --catalog FILE.")


def print_table(df, fmt: str) -> None:
    """A recommendation table on stdout as text, formula-safe CSV or JSON (CSV and JSON take any frame)."""
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


def user_texts(path: str, text_col: str) -> dict[str, str]:
    """``{user_id: description}`` from a user table (any format :func:`read_table` reads)."""
    from coldrec.catalog import read_table
    from coldrec.errors import ColdrecError

    users = read_table(path)[0]
    for col in ("user_id", text_col):
        if col not in users.columns:
            raise ColdrecError(f"{path} has no column {col!r}; columns: {', '.join(map(str, users.columns))}.")
    return dict(zip(users["user_id"].astype(str), users[text_col].fillna("").astype(str)))
