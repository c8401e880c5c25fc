"""Rebuild (or only re-measure) the small demo ranker shipped with each demo domain (``data/<domain>/ranker/``).

    python scripts/train_demo_rankers.py                       # the English domains, bundled MiniLM (fp32)
    python scripts/train_demo_rankers.py --domain news          # one domain (its rows in data/RANKERS.md only)
    python scripts/train_demo_rankers.py --measure-only         # no training: re-measure the shipped checkpoints
    python scripts/train_demo_rankers.py --domain music-zh --encoder multilingual

For each domain both feature sets of :class:`coldrec.ranking.MLPRanker` are trained with
:func:`coldrec.ranking.train_ranker` on the domain's log (user descriptions as profiles, a seeded 20% of users held
out). Every row of ``data/RANKERS.md`` comes from :func:`coldrec.evaluation.holdout_comparison`, the function the
Ranker page (after training) and the Evaluation page's quick check call: the same held-out users, the lists
:class:`coldrec.recommend.Recommender` serves with its defaults, recall@10 / NDCG@10. The better ranker ships only
when its NDCG@10 beats popularity, TF-IDF and cosine (issue 17: a default earns its place); otherwise none ships and
the app ranks by cosine. ``--measure-only`` re-measures what ships (after a change to the pipeline's defaults) and
exits 1 when a shipped ranker no longer beats every baseline. Checkpoints are safetensors + JSON, under 2 MB each.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RANKERS_MD = ROOT / "data" / "RANKERS.md"
DECIDING = "ndcg@10"
NONE_ROW = "*none shipped: no trained ranker beats popularity, TF-IDF and cosine; the app ranks by cosine*"


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + (" (tree dirty)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _row(domain: str, record: dict, mark: str = "") -> str:
    return (f"| {domain} | {record['method']}{mark} | {record['recall@10']:.4f} | {record['ndcg@10']:.4f} | "
            f"{_num(record['auc'])} | {int(record['users'])} |")


def _num(x) -> str:
    return "–" if x != x else f"{x:.4f}"  # NaN: the hybrid has no single score to rank clicks against skips


def _old_rows() -> dict[str, list[str]]:
    """The table rows of the current data/RANKERS.md, per domain (kept for domains this run does not touch)."""
    rows: dict[str, list[str]] = {}
    text = RANKERS_MD.read_text(encoding="utf-8") if RANKERS_MD.is_file() else ""
    for line in text.splitlines():
        m = re.match(r"\|\s*([a-z][a-z-]*)\s*\|", line)
        if m and m.group(1) not in ("domain",):
            rows.setdefault(m.group(1), []).append(line)
    return rows


def _old_protocol() -> str:
    """The protocol sentence of the current data/RANKERS.md (kept when this run measures no ranker)."""
    text = RANKERS_MD.read_text(encoding="utf-8") if RANKERS_MD.is_file() else ""
    m = re.search(r"quick check call: (.*)", text)
    return m.group(1).strip() if m and m.group(1) else ""


def _verdict(frame, shipped: str | None) -> str | None:
    """The baseline that the shipped ranker does not beat on NDCG@10, or None when it beats all of them."""
    from coldrec.evaluation import HOLDOUT_BASELINES

    m = frame.set_index("method")[DECIDING]
    best = max(HOLDOUT_BASELINES, key=lambda b: float(m[b]))
    return None if shipped and float(m[shipped]) > float(m[best]) else best


def _config(features: str, seed: int):
    """The demo rankers' config: defaults, except that they learn on the candidate set the app serves them
    (``RecommendConfig.n``, the cosine top-N every page re-ranks), not on a wider one."""
    from coldrec.ranking import RankerConfig
    from coldrec.recommend import RecommendConfig

    return RankerConfig(features=features, seed=seed, recall_n=RecommendConfig.n)


def _train_domain(domain, demo, enc, cache, E, seed: int) -> tuple[list[str], object]:
    from coldrec.encoders import embed_texts
    from coldrec.evaluation import holdout_comparison
    from coldrec.ranking import train_ranker

    encode = lambda t: embed_texts(enc, t, cache, kind="query").vectors  # noqa: E731  (user text: an E5 query)
    frames, rankers = {}, {}
    for features in ("concat", "rich"):
        res = train_ranker(demo.catalog, E, demo.interactions, encode=encode, user_texts=demo.user_texts,
                           config=_config(features, seed), encoder_name=enc.name)
        rankers[features] = res.ranker
        frames[features] = holdout_comparison(demo.catalog, E, enc, demo.interactions, ranker=res.ranker,
                                              user_texts=demo.user_texts, encode=encode)
        print(domain, features, f"{len(res.ranker.history)} epochs, {res.seconds:.0f}s", flush=True)
        print(frames[features].to_string(index=False), flush=True)
    best = max(frames, key=lambda f: float(frames[f].iloc[-1][DECIDING]))
    shutil.rmtree(demo.ranker_path, ignore_errors=True)
    loses_to = _verdict(frames[best], f"mlp-{best}")
    if loses_to is None:
        rankers[best].save(demo.ranker_path)
    else:
        print(f"{domain}: no ranker beats {loses_to} on held-out users; none shipped", flush=True)
        best = None
    lines = [_row(domain, r) for r in frames["concat"].iloc[:-1].to_dict("records")]
    for f in ("concat", "rich"):
        lines.append(_row(domain, frames[f].iloc[-1].to_dict(), " (shipped)" if f == best else ""))
    return lines + ([f"| {domain} | {NONE_ROW} | | | | |"] if best is None else []), frames["concat"]


def _measure_domain(domain, demo, enc, cache, E, old: list[str]) -> tuple[list[str], bool, object]:
    from coldrec.encoders import embed_texts
    from coldrec.evaluation import holdout_comparison
    from coldrec.ranking import MLPRanker

    ranker = MLPRanker.load(demo.ranker_path) if (demo.ranker_path / "config.json").is_file() else None
    frame = holdout_comparison(demo.catalog, E, enc, demo.interactions, ranker=ranker, user_texts=demo.user_texts,
                               encode=lambda t: embed_texts(enc, t, cache, kind="query").vectors)
    print(domain, "(measure only)", flush=True)
    print(frame.to_string(index=False), flush=True)
    shipped = ranker.config.method_name if ranker is not None else None
    loses_to = _verdict(frame, shipped)
    lines = [_row(domain, r, " (shipped)" if r["method"] == shipped else "") for r in frame.to_dict("records")]
    # rankers trained but not shipped are not on disk: keep their rows from the last training run, marked
    kept = [r for r in old if re.match(rf"\|\s*{re.escape(domain)}\s*\|\s*mlp-", r) and "(shipped" not in r]
    lines += [re.sub(r"\| (mlp-\w+)( \(last training run\))? \|", r"| \1 (last training run) |", r) for r in kept]
    if shipped is None:
        lines.append(f"| {domain} | {NONE_ROW} | | | | |")
    elif loses_to is not None:
        lines.append(f"| {domain} | **{shipped} no longer beats {loses_to}: retrain (drop --measure-only)** | | | | |")
        print(f"{domain}: the shipped {shipped} does not beat {loses_to}", flush=True)
    return lines, shipped is None or loses_to is None, frame


HYBRID_ROW = ("*hybrid ships (data/<domain>/hybrid.json): the text + log hybrid beats every baseline and any "
              "shipped ranker; the app ranks by it*")


def _hybrid_domain(domain, demo, enc, cache, E, old: list[str], seed: int) -> list[str]:
    """The text + log hybrid's row (k and weight chosen on validation users carved out of the training users),
    measured on the same held-out users as the shipped ranker; where it beats every baseline *and* the shipped
    ranker (if any), ``data/<domain>/hybrid.json`` is written and the hybrid is the domain's default, else removed."""
    from coldrec.encoders import embed_texts
    from coldrec.evaluation import HYBRID_METHOD, holdout_comparison
    from coldrec.ranking import MLPRanker
    from coldrec.recommend import HYBRID_FILE, LogEvidence, LogEvidenceConfig

    ranker = MLPRanker.load(demo.ranker_path) if (demo.ranker_path / "config.json").is_file() else None
    frame = holdout_comparison(demo.catalog, E, enc, demo.interactions, ranker=ranker, user_texts=demo.user_texts,
                               seed=seed, encode=lambda t: embed_texts(enc, t, cache, kind="query").vectors,
                               log_evidence=True)
    print(domain, "(hybrid)", flush=True)
    print(frame.to_string(index=False), flush=True)
    m = frame.set_index("method")[DECIDING]
    beats_ranker = ranker is None or float(m[HYBRID_METHOD]) > float(m[ranker.config.method_name])
    ships = _verdict(frame, HYBRID_METHOD) is None and beats_ranker
    path = demo.folder / HYBRID_FILE
    path.unlink(missing_ok=True)
    h = frame.attrs["hybrid"]
    if ships:
        LogEvidence(LogEvidenceConfig(k=h["k"], weight=h["weight"])).save_settings(
            path, encoder=enc.name, commit=_commit(), chosen_on="validation users carved out of the training users "
            "(5 inner folds, NDCG@10)", validation_ndcg=h["validation_ndcg"],
            held_out_ndcg={k: float(v) for k, v in m.items()})
    record = frame.set_index("method").loc[HYBRID_METHOD].to_dict()
    line = _row(domain, {**record, "method": f"{HYBRID_METHOD}, k={h['k']} w={h['weight']:g}"},
                " (shipped, default)" if ships else "")
    plain = [r.replace(" (shipped, not the default: the hybrid beats it) |", " (shipped) |") for r in old
             if HYBRID_METHOD not in r and "*" not in r]
    if ships:  # the checkpoint stays on disk (loadable on the Ranker page) but is no longer the default
        plain = [r.replace(" (shipped) |", " (shipped, not the default: the hybrid beats it) |") for r in plain]
    notes = [r for r in old if "*" in r and "hybrid ships" not in r and not (ships and "none shipped" in r)]
    return plain + [line] + notes + ([f"| {domain} | {HYBRID_ROW} | | | | |"] if ships else [])


def main(argv: list[str] | None = None) -> int:
    import torch

    from coldrec.demo import DOMAINS, ENGLISH_DOMAINS, load_demo
    from coldrec.encoders import EmbeddingCache, embed_texts, load_encoder
    from coldrec.evaluation import HYBRID_METHOD, describe_holdout

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", action="append", choices=DOMAINS, help="default: the English domains")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--encoder", default=None, help="encoder for load_encoder (default: the bundled MiniLM); "
                                                  "e.g. multilingual for the Chinese domains")
    ap.add_argument("--hybrid-only", action="store_true",
                    help="only the text + log hybrid's row (and data/<domain>/hybrid.json); ranker rows are kept")
    ap.add_argument("--measure-only", action="store_true",
                    help="no training: re-measure the shipped checkpoints and baselines with the current pipeline")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    # fp32, so the shipped checkpoints do not depend on the machine that trained them (bf16 ones fit too)
    enc, cache = load_encoder(args.encoder, device="cpu", precision="fp32"), EmbeddingCache()
    old, rows, ok, protocol = _old_rows(), {}, True, ""
    for domain in args.domain or ENGLISH_DOMAINS:
        demo = load_demo(domain)
        E = embed_texts(enc, demo.catalog.texts, cache).vectors
        if args.hybrid_only:
            rows[domain] = old.get(domain, [])
        elif args.measure_only:
            rows[domain], fine, frame = _measure_domain(domain, demo, enc, cache, E, old.get(domain, []))
            ok = ok and fine
            protocol = protocol or describe_holdout(frame)
        else:
            rows[domain], frame = _train_domain(domain, demo, enc, cache, E, args.seed)
            protocol = protocol or describe_holdout(frame)
        rows[domain] = _hybrid_domain(domain, demo, enc, cache, E, rows[domain], args.seed)
    from dataclasses import asdict

    table = {**old, **rows}
    order = [d for d in DOMAINS if d in table] + [d for d in table if d not in DOMAINS]
    lines = ["# Demo rankers", "",
             "Encoders (fp32): the bundled MiniLM for the English domains, `--encoder multilingual` "
             "(multilingual-e5-small; user text as E5 queries, items as passages) for the `-zh` ones. "
             f"Seed {args.seed}. Last written by `python scripts/train_demo_rankers.py"
             f"{' --measure-only' if args.measure_only else ''}{' --hybrid-only' if args.hybrid_only else ''}"
             f"{' --encoder ' + args.encoder if args.encoder else ''}` (encoder `{enc.name}`) at commit {_commit()}, "
             f"for {', '.join(rows)}"
             f"{' (hybrid rows only: their ranker and baseline rows are kept from earlier runs)' if args.hybrid_only else ''}"
             "; other domains' rows are kept from earlier runs.", "",
             "Every row is `coldrec.evaluation.holdout_comparison`, the function the Ranker page (after training) "
             "and the Evaluation page's quick check call: " + (protocol or _old_protocol()), "",
             f"The `{HYBRID_METHOD}` row blends the text cosine with the votes of the k training users whose "
             "descriptions are nearest to the held-out user's (`coldrec.recommend.LogEvidence`); k and the log "
             "weight are chosen on validation users carved out of the training users (5 inner folds), never on the "
             "held-out users. It ships (`data/<domain>/hybrid.json`) and is the domain's default where it beats "
             "every baseline and the shipped ranker (the checkpoint then stays loadable on the Ranker page).", "",
             "Each ranker is `coldrec.ranking.MLPRanker` trained by `coldrec.ranking.train_ranker` with "
             f"`RankerConfig(features=..., recall_n={_config('rich', args.seed).recall_n})` (the app's recall size) "
             f"and otherwise default values: `{asdict(_config('rich', args.seed))}`. "
             f"A ranker ships (`data/<domain>/ranker/`) only when its {DECIDING.upper()} beats popularity, TF-IDF "
             "and cosine; otherwise none ships and the app ranks by cosine (Home says why). `--measure-only` "
             "re-measures the shipped checkpoints without training.", "",
             "| domain | method | recall@10 | ndcg@10 | auc | held-out users |", "|---|---|---|---|---|---|"]
    for d in order:
        lines += table[d]
    RANKERS_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
