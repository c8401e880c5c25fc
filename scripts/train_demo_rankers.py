"""Rebuild the small demo ranker shipped with each demo domain (``data/<domain>/ranker/``).

    python scripts/train_demo_rankers.py                 # all five domains, bundled MiniLM
    python scripts/train_demo_rankers.py --domain news
    python scripts/train_demo_rankers.py --encoder multilingual   # the five Chinese domains, multilingual-e5-small

For each domain both feature sets of :class:`coldrec.ranking.MLPRanker` (the listwise ranker the evaluation
protocols measure) are trained with :func:`coldrec.ranking.train_ranker` on the domain's interaction log (user
descriptions as profiles, a seeded 20% of users held out); the one with the better held-out NDCG@10 is saved, and
the comparison table is written to ``data/RANKERS.md``. The held-out numbers are those of the lists
:class:`coldrec.recommend.Recommender` serves with the saved checkpoint (its training popularity is saved with
it). Checkpoints are safetensors + JSON, under 2 MB each.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZH_HEADER = "## Chinese domains (multilingual encoder)"
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    import torch

    from coldrec.encoders import EmbeddingCache, embed_texts
    from coldrec.demo import CHINESE_DOMAINS, DOMAINS, ENGLISH_DOMAINS, load_demo
    from coldrec.encoders import load_encoder
    from coldrec.ranking import RankerConfig
    from coldrec.ranking import train_ranker

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", action="append", choices=DOMAINS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--encoder", choices=("minilm", "multilingual"), default="minilm",
                    help="minilm (English domains, the default) or multilingual (the Chinese *-zh domains)")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    # fp32, so the shipped checkpoints do not depend on the machine that trained them (bf16 ones fit too)
    zh = args.encoder == "multilingual"
    enc = load_encoder("multilingual", device="cpu") if zh else load_encoder(device="cpu", precision="fp32")
    cache = EmbeddingCache()
    from dataclasses import asdict

    lines = ["# Demo rankers", "", f"Encoder `{enc.name}`; seed {args.seed}; 20% of each domain's users held out "
             "(cold: never seen in training). Rebuild: `python scripts/train_demo_rankers.py`.", "",
             "Each ranker is `coldrec.ranking.MLPRanker` trained by `coldrec.ranking.train_ranker` with "
             f"`RankerConfig(features=...)` and otherwise default values: `{asdict(RankerConfig(features='rich'))}`. "
             "Lists are the cosine top-`recall_n` re-ranked, exactly as the app and `coldrec recommend` serve them; "
             "popularity counts only the training users' positives.", "",
             "| domain | method | recall@10 | ndcg@10 | auc | held-out users |", "|---|---|---|---|---|---|"]
    # the Chinese domains get no MiniLM ranker (MiniLM is English-only); pass --domain music-zh to train one
    if zh:  # a section of data/RANKERS.md of its own (the MiniLM run keeps it)
        lines = [ZH_HEADER, "", f"Encoder `{enc.name}` (user descriptions encoded as E5 queries, items as passages, "
                 "as served); otherwise as above. Rebuild: `python scripts/train_demo_rankers.py --encoder "
                 "multilingual`.", "", *lines[-2:]]
    for domain in args.domain or (CHINESE_DOMAINS if zh else ENGLISH_DOMAINS):
        demo = load_demo(domain)
        E = embed_texts(enc, demo.catalog.texts, cache).vectors
        results = {}
        for features in ("concat", "rich"):
            res = train_ranker(demo.catalog, E, demo.interactions, encode=lambda t: embed_texts(enc, t, cache, kind="query").vectors,
                               user_texts=demo.user_texts, config=RankerConfig(features=features, seed=args.seed),
                               encoder_name=enc.name)
            results[features] = res
            print(domain, features, f"{len(res.ranker.history)} epochs, {res.seconds:.0f}s", flush=True)
        best = max(results, key=lambda f: float(results[f].metrics.iloc[-1]["ndcg@10"]))
        m = results[best].metrics.set_index("method")["ndcg@10"]
        baselines = float(m.drop(f"mlp-{best}").max())
        out = demo.ranker_path
        shutil.rmtree(out, ignore_errors=True)
        if float(m[f"mlp-{best}"]) > baselines:  # a default must earn its place (issue 17)
            results[best].ranker.save(out)
        else:
            best = None
            print(f"{domain}: no ranker beats popularity and cosine on held-out users; none shipped", flush=True)
        table = results["concat"].metrics.iloc[:2].to_dict("records") + [
            results[f].metrics.iloc[-1].to_dict() for f in ("concat", "rich")]
        for row in table:
            mark = " (shipped)" if best and row["method"] == f"mlp-{best}" else ""
            lines.append(f"| {domain} | {row['method']}{mark} | {row['recall@10']:.4f} | {row['ndcg@10']:.4f} | "
                         f"{row['auc']:.4f} | {int(row['users'])} |")
        if best is None:
            lines.append(f"| {domain} | *none shipped: no trained ranker beats the baselines; the app ranks by cosine* "
                         "| | | | |")
        print(results[best or "concat"].metrics.to_string(index=False), flush=True)
    if not args.domain:
        path = ROOT / "data" / "RANKERS.md"
        old = path.read_text() if path.is_file() else ""
        english, _, chinese = old.partition(ZH_HEADER)
        if zh:
            text = english.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
        else:
            text = "\n".join(lines) + "\n" + ("\n" + ZH_HEADER + chinese if chinese else "")
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
