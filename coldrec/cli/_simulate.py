"""``coldrec simulate``: replay log users through the feedback loop, hits per round for each strategy."""

from __future__ import annotations

import argparse
import json

from coldrec.cli import _common as common


def cmd_simulate(args: argparse.Namespace) -> int:
    from coldrec.demo import load_demo
    from coldrec.recommend import positives_by_user, simulate_sessions

    demo = load_demo(args.domain)
    args.catalog = None
    rec = common.recommender(args)
    res = simulate_sessions(rec, demo.users, positives_by_user(demo.interactions.frame), rounds=args.rounds,
                            k=args.k, max_users=args.users, seed=args.seed)
    res.update(domain=args.domain, ranked_by=rec.ranked_by)
    if args.format == "json":
        print(json.dumps(res, indent=2))
        return 0
    print(f"# {len(res['users'])} log users of {args.domain}, {args.k} items per round, seed {args.seed}, "
          f"ranked by {rec.ranked_by}; mean hits per round (cumulative at the end)")
    width = max(len(s) for s in res["mean_hits"])
    print("strategy".ljust(width) + "".join(f"  round {r + 1:>2}" for r in range(args.rounds)) + "     total")
    for s, hits in res["mean_hits"].items():
        print(s.ljust(width) + "".join(f"  {h:8.3f}" for h in hits) + f"  {res['mean_cumulative_hits'][s][-1]:8.3f}")
    return 0


def add_simulate_parser(sub) -> None:
    """Register ``coldrec simulate`` on the sub-command parsers."""
    p = sub.add_parser("simulate", help="simulated feedback sessions of log users: hits per round per strategy")
    p.add_argument("--domain", required=True, help="demo domain: ecommerce, news, video, music, social")
    p.add_argument("--users", type=int, default=50, help="log users replayed (seeded draw, default 50)")
    p.add_argument("--rounds", type=int, default=5, help="rounds per session (default 5)")
    p.add_argument("-k", type=int, default=5, help="items shown per round (default 5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ranker", help="ranker checkpoint folder, or 'none' for cosine order (default: the demo's)")
    p.add_argument("--format", default="table", choices=["table", "json"])
    g = p.add_argument_group("model")
    g.add_argument("--model", help="local sentence-transformers folder (default: bundled MiniLM; 'hash' = no model)")
    g.add_argument("--device", help="cuda, mps or cpu (default: auto)")
    g.add_argument("--batch-size", type=int, default=None, help="texts per forward pass")
    g.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "int8"])
    g.add_argument("--cache-dir", help="embedding cache folder")
    g.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")
    p.set_defaults(func=cmd_simulate)
