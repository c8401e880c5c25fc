"""``coldrec fine-tune``: contrastive fine-tuning of the sentence encoder on an interaction log (issue 13 point 2).

Progress goes to stderr (the frozen layers' one pass, then each epoch's loss, validation recall@10 and the time
left); the summary and the saved folder go to stdout. Ctrl-C stops after the current step and saves the best epoch.
"""

from __future__ import annotations

import argparse
import sys
import time

from coldrec.cli import _common as common


class _Reporter:
    """Progress dicts of :func:`coldrec.ranking.fine_tune` as stderr lines (a step line at most every 10 s)."""

    def __init__(self, epochs: int) -> None:
        self.epochs, self.last = epochs, time.monotonic()

    def __call__(self, row: dict) -> None:
        now = time.monotonic()
        if row["phase"] == "encode":
            if row["done"] == row["total"]:
                print(f"frozen layers: {row['total']} distinct texts encoded once", file=sys.stderr)
        elif row["phase"] == "train" and now - self.last >= 10:
            self.last = now
            print(f"epoch {row['epoch']}/{self.epochs} step {row['step']}/{row['steps']} loss {row['loss']:.4f}, "
                  f"{_left(row['eta_s'])}", file=sys.stderr)
        elif row["phase"] == "epoch":
            self.last = now
            print(f"epoch {row['epoch']}/{self.epochs} loss {row['loss']:.4f} val recall@10 {row['val_recall']:.4f} "
                  f"(best: epoch {row['best_epoch']}) {row['seconds']:.0f}s, {_left(row['eta_s'])}", file=sys.stderr)


class _StopOnCtrlC:
    """A first Ctrl-C ends training after the current step (the best epoch so far is saved); a second aborts."""

    asked = False

    def __enter__(self):
        import signal

        def handler(signum, frame):
            if self.asked:
                raise KeyboardInterrupt
            self.asked = True
            print("stopping after this step; the best epoch so far is saved (Ctrl-C again to abort)", file=sys.stderr)

        try:
            self._old = signal.signal(signal.SIGINT, handler)
        except ValueError:  # not the main thread: no handler, Ctrl-C aborts as usual
            self._old = None
        return lambda: self.asked

    def __exit__(self, *exc) -> None:
        import signal

        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def _left(seconds: float) -> str:
    return f"~{seconds / 60:.1f} min left" if seconds >= 90 else f"~{seconds:.0f}s left"


def _data(args: argparse.Namespace):
    """``(catalog, interaction log, user texts)`` of ``--domain`` or ``--catalog``/``--interactions``/``--users``."""
    from coldrec.errors import ColdrecError
    from coldrec.ranking import load_interactions

    if args.domain:
        from coldrec.demo import load_demo

        demo = load_demo(args.domain)
        return demo.catalog, demo.interactions, demo.user_texts
    if not (args.catalog and args.interactions):
        raise ColdrecError("Give --catalog FILE and --interactions FILE (and optionally --users FILE with "
                           "descriptions), or --domain NAME for a demo's log.")
    catalog = common.load_catalog(args)
    log = load_interactions(args.interactions, known_items=catalog.ids, **common.log_options(args))
    texts = common.user_texts(args.users, args.user_text_col) if args.users else None
    return catalog, log, texts


def cmd_fine_tune(args: argparse.Namespace) -> int:
    from coldrec.encoders import FineTuneConfig
    from coldrec.ranking import fine_tune

    given = {"layers": args.layers, "lr": args.lr, "epochs": args.epochs, "batch_size": args.batch_size,
             "temperature": args.temperature, "max_pairs": args.max_pairs, "validation_fraction": args.val_fraction,
             "patience": args.patience, "seed": args.seed, "max_seq_length": args.max_seq_length,
             "device": args.device}
    cfg = FineTuneConfig(symmetric=not args.one_way, **{k: v for k, v in given.items() if v is not None})
    from coldrec.encoders._finetune_io import check_out

    check_out(args.out, args.force)  # before the log is read or the model loaded
    catalog, log, texts = _data(args)
    for w in log.warnings:
        common.say(f"warning: {w}", err=True)
    with _StopOnCtrlC() as stop:
        res = fine_tune(args.model, catalog=catalog, interactions=log, user_texts=texts, out=args.out, config=cfg,
                        progress=_Reporter(cfg.epochs), should_stop=stop, overwrite=args.force)
    print(f"fine-tuned the top {cfg.layers} layer(s) on {res.train_pairs} pairs ({res.val_pairs} validation pairs "
          f"of held-out users): val recall@10 {res.val_recall_before:.4f} → {res.val_recall_after:.4f} "
          f"(epoch {res.best_epoch}, stopped: {res.stopped}) in {res.seconds:.0f}s")
    common.say(f"saved to {res.folder} (model {res.encoder.name}); use it with --model {res.folder} or "
               f"COLDREC_ENCODER={res.folder}")
    return 0


def add_finetune_parser(sub) -> None:
    """Register ``coldrec fine-tune`` on the sub-command parsers."""
    # defaults are FineTuneConfig's (None here), so `coldrec --help` imports no encoder code
    p = sub.add_parser("fine-tune", help="catalog + interactions → a fine-tuned sentence encoder folder")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--domain", help="fine-tune on a demo domain's log (ecommerce, news, video, music, social)")
    src.add_argument("--catalog", help="catalog file")
    p.add_argument("--interactions", help="interaction log: user, item, optional rating and timestamp")
    p.add_argument("--users", help="optional user table with user_id and a description column")
    p.add_argument("--user-text-col", default="description", help="description column of --users")
    p.add_argument("--out", required=True, help="folder to write (a sentence-transformers model folder)")
    p.add_argument("--force", action="store_true", help="replace --out when it exists and is not empty")
    p.add_argument("--model", help="base model: a plain BERT sentence-transformers folder (default: bundled "
                                   "all-MiniLM-L6-v2)")
    p.add_argument("--device", help="cuda, mps or cpu (default: CUDA when available)")
    g = p.add_argument_group("training")
    g.add_argument("--layers", type=int, help="top transformer layers trained (default 2)")
    g.add_argument("--epochs", type=int, help="maximum epochs (default 3; the best on validation is kept)")
    g.add_argument("--lr", type=float, help="AdamW learning rate (default 5e-5)")
    g.add_argument("--batch-size", type=int, help="pairs per step (default 32)")
    g.add_argument("--temperature", type=float, help="InfoNCE temperature (default 0.05)")
    g.add_argument("--one-way", action="store_true", help="query → item loss only (default: symmetric)")
    g.add_argument("--max-pairs", type=int, help="training pairs at most (default 2000)")
    g.add_argument("--val-fraction", type=float, help="share of users held out for validation (default 0.1)")
    g.add_argument("--patience", type=int, help="epochs without a better validation recall before stopping (default 1)")
    g.add_argument("--max-seq-length", type=int, help="tokens per text while training (default 64)")
    g.add_argument("--seed", type=int, help="seed of the split, sample and batch order (default 0)")
    common.mapping_args(p), common.log_args(p)
    p.set_defaults(func=cmd_fine_tune)
