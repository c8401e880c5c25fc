"""What the ``coldrec`` commands share: arguments turned into a column map, an encoder, a cache and a catalog;
a progress bar on stderr; tables printed as text, CSV or JSON."""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any, Callable

__all__ = ["mapping_args", "log_args", "log_options", "columns", "encoder", "cache", "progress_bar", "embed_catalog", "load_catalog", "recommender",
           "print_table", "user_texts", "language_note", "terminal_safe", "terminal_frame", "say"]

# C0 controls (ESC included), DEL and C1 controls (CSI, OSC …), plus the Unicode bidi overrides and isolates that
# can reorder what a terminal shows. Newlines are kept only where a message spans lines on purpose.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: Any, *, keep_newlines: bool = True) -> str:
    """``text`` with the control characters a terminal would act on shown as ``\\xNN`` / ``\\uNNNN``.

    ANSI/OSC escape sequences in item titles could retitle the window, clear the screen or hide text; here they
    become visible, inert text. Tabs become spaces; newlines stay unless ``keep_newlines`` is False.
    """
    s = str(text).replace("\t", " ")
    if not keep_newlines:
        s = s.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    elif "\r" in s:
        s = s.replace("\r", "\\r")

    def show(m: re.Match) -> str:
        c = ord(m.group(0))
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"

    return _TERMINAL_CONTROL.sub(show, s)


def terminal_frame(df):
    """Copy of ``df`` whose text cells and column names are :func:`terminal_safe` (one line each)."""
    out = df.copy()
    for j in range(out.shape[1]):
        s = out.iloc[:, j]
        if s.dtype == object or str(s.dtype) in ("string", "category", "str"):
            out.isetitem(j, s.astype(object).map(lambda v: terminal_safe(v, keep_newlines=False)
                                                 if isinstance(v, str) else v))
    out.columns = [terminal_safe(c, keep_newlines=False) for c in out.columns]
    return out


def say(text: Any, *, err: bool = False) -> None:
    """Print ``text`` (made :func:`terminal_safe`) to stdout, or to stderr with ``err=True``."""
    print(terminal_safe(text), file=sys.stderr if err else sys.stdout)


def mapping_args(p: argparse.ArgumentParser) -> None:
    """The catalog column-mapping flags (``--id``, ``--text``, ``--template`` …)."""
    g = p.add_argument_group("column mapping (auto-detected when omitted)")
    g.add_argument("--id", dest="id_col", help="id column")
    g.add_argument("--text", dest="text_cols", action="append", help="text column (repeat for several)")
    g.add_argument("--template", help='how text columns are joined, e.g. "{title}. {description}"')
    g.add_argument("--title", dest="title_col", help="title column")
    g.add_argument("--category", dest="category_col", help="category column")
    g.add_argument("--tags", dest="tags_col", help="tags column")
    g.add_argument("--price", dest="price_col", help="price column")
    g.add_argument("--image", dest="image_col", help="image URL column")


def log_args(p: argparse.ArgumentParser) -> None:
    """The interaction-log column flags (``--user-col``, ``--item-col``, ``--positive`` …)."""
    g = p.add_argument_group("interaction log columns (auto-detected when omitted; a flag adds to the guesses)")
    g.add_argument("--user-col", help="user id column of --interactions (e.g. userId, reviewerID)")
    g.add_argument("--item-col", help="item id column of --interactions (e.g. movieId, asin)")
    g.add_argument("--rating-col", help="rating / label / count column (optional)")
    g.add_argument("--time-col", help="timestamp column (optional; orders each user's history)")
    g.add_argument("--positive", help="which rows are positives: 'any', a number (rating >= it), or a rule such as "
                                      "'>= 4', '> 0', '== 1' (default: read from the rating scale)")


def log_options(args: argparse.Namespace) -> dict:
    """The log column flags that were given, as ``load_interactions`` keyword arguments."""
    return {k: v for k, v in {"user_col": args.user_col, "item_col": args.item_col, "rating_col": args.rating_col,
                              "time_col": args.time_col, "positive_threshold": args.positive}.items() if v}


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
        say(f"warning: {w}", err=True)
    language_note(catalog.texts[:200], enc, "The catalog")
    return enc, store, res


def language_note(texts, enc, where: str) -> None:
    """A note on stderr when the text's language is not one the encoder covers (suggesting the multilingual one)."""
    from coldrec.encoders import language_notice

    notice = language_notice(texts, enc, where=where)
    if notice:
        print(f"note: {notice}", file=sys.stderr)


def load_catalog(args):
    """The ``--catalog`` file as a Catalog; its warnings and skipped-row count go to stderr."""
    from coldrec.catalog import load_catalog as read_catalog

    catalog = read_catalog(args.catalog, columns(args))
    for w in catalog.report.warnings:
        # what the loader chose (guessed columns, the embedded text) is a note; anything else is a warning
        kind = "note" if w.startswith(("columns guessed", "embedded text:")) else "warning"
        say(f"{kind}: {w}", err=True)
    if catalog.report.skipped:
        say(f"note: {len(catalog.report.skipped)} row(s) skipped; run `coldrec validate {args.catalog}` for the list.",
            err=True)
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

        ranker = MLPRanker.load(ranker_arg) if ranker_arg else None  # a broken checkpoint fails before any work
        catalog = load_catalog(args)
        enc, _, res = embed_catalog(args, catalog)
        return Recommender(catalog, res.vectors, enc, ranker=ranker)
    raise ColdrecError("Give a catalog: --domain NAME (one of the demos) or --catalog FILE.")


def print_table(df, fmt: str) -> None:
    """A recommendation table on stdout as text, formula-safe CSV or JSON (CSV and JSON take any frame)."""
    import pandas as pd

    if fmt == "csv":
        from coldrec.catalog import safe_csv_text

        sys.stdout.write(safe_csv_text(df))
    elif fmt == "json":
        print(df.to_json(orient="records", force_ascii=False, indent=1))
    else:
        view = df.copy()
        view["recall_score"] = view["recall_score"].map("{:.3f}".format)
        view["ranker_score"] = view["ranker_score"].map(lambda v: "-" if pd.isna(v) else f"{v:.3f}")
        view["rank_change"] = view["rank_change"].map(lambda v: f"▲{v}" if v > 0 else (f"▼{-v}" if v < 0 else "="))
        view = terminal_frame(view)  # control characters in titles never reach the terminal
        view["title"] = view["title"].map(lambda t: t if len(t) <= 48 else t[:47] + "…")
        with pd.option_context("display.width", 200, "display.max_colwidth", 70, "display.max_columns", 20):
            print(view.drop(columns=["item_id"]).to_string(index=False))


def user_texts(path: str, text_col: str | None) -> dict[str, str]:
    """``{user_id: description}`` from a user table (:func:`coldrec.catalog._user_texts.read_user_texts`, the
    reader every command shares); ``--user-text-col description`` is the default, so it is guessed when absent."""
    from coldrec.catalog._user_texts import read_user_texts

    return read_user_texts(path, text_col=None if text_col == "description" else text_col)
