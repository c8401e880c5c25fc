"""Rebuild the small demo ranker shipped with each demo domain (``data/<domain>/ranker/``).

    python scripts/train_demo_rankers.py                 # all five domains, bundled MiniLM
    python scripts/train_demo_rankers.py --domain news

For each domain both feature sets are trained on the domain's interaction log (user descriptions as profiles,
a seeded 20% of users held out); the one with the better held-out NDCG@10 is saved, and the comparison table is
written to ``data/RANKERS.md``. Checkpoints are safetensors + JSON, under 2 MB each.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    import torch

    from coldrec.encoders import EmbeddingCache, embed_texts
    from coldrec.demo import DOMAINS, ENGLISH_DOMAINS, load_demo
    from coldrec.encoders import load_encoder
    from coldrec.ranking import RankerConfig
    from coldrec.ranking import train_ranker

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", action="append", choices=DOMAINS)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    enc, cache = load_encoder(device="cpu"), EmbeddingCache()
    lines = ["# Demo rankers", "", f"Encoder `{enc.name}`; seed {args.seed}; 20% of each domain's users held out "
             "(cold: never seen in training). Rebuild: `python scripts/train_demo_rankers.py`.", "",
             "| domain | method | recall@10 | ndcg@10 | auc | held-out users |", "|---|---|---|---|---|---|"]
    # the Chinese domains get no MiniLM ranker (MiniLM is English-only); pass --domain music-zh to train one
    for domain in args.domain or ENGLISH_DOMAINS:
        demo = load_demo(domain)
        E = embed_texts(enc, demo.catalog.texts, cache).vectors
        results = {}
        for features in ("concat", "rich"):
            res = train_ranker(demo.catalog, E, demo.interactions, encode=lambda t: embed_texts(enc, t, cache).vectors,
                               user_texts=demo.user_texts, config=RankerConfig(features=features, seed=args.seed),
                               encoder_name=enc.name)
            results[features] = res
            print(domain, features, f"{len(res.ranker.history)} epochs, {res.seconds:.0f}s", flush=True)
        best = max(results, key=lambda f: float(results[f].metrics.iloc[-1]["ndcg@10"]))
        out = demo.ranker_path
        shutil.rmtree(out, ignore_errors=True)
        results[best].ranker.save(out)
        table = results["concat"].metrics.iloc[:2].to_dict("records") + [
            results[f].metrics.iloc[-1].to_dict() for f in ("concat", "rich")]
        for row in table:
            mark = " (shipped)" if row["method"] == f"mlp-{best}" else ""
            lines.append(f"| {domain} | {row['method']}{mark} | {row['recall@10']:.4f} | {row['ndcg@10']:.4f} | "
                         f"{row['auc']:.4f} | {int(row['users'])} |")
        print(results[best].metrics.to_string(index=False), flush=True)
    if not args.domain:
        (ROOT / "data" / "RANKERS.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
