"""Offline evaluation of cold-start recommendation on real data, next to published protocols.

Protocols (:data:`PROTOCOLS`), each a function returning the result dict that :func:`write_results` saves:

* ``scientific`` — Amazon Scientific as processed by UniSRec: leave-one-out, full ranking of all 4,385 items,
  Recall/NDCG@10/50 (:func:`protocol_scientific`).
* ``citeulike-cold`` — CiteULike-a with Heater's strict cold-item split: each test user ranks only the 2,378 test
  items; Recall/NDCG@20/50/100; item text = title only (:func:`protocol_citeulike_cold`).
* ``ml100k-cold-users`` — MovieLens-100K new users described only by demographics, five seeded folds over users,
  positives = ratings >= 4, Recall/NDCG@10, plus few-shot variants with 1/3/5 liked items
  (:func:`protocol_ml100k_cold_users`).
* ``cold-items`` / ``cold-users`` — the same machinery on an analyst's own catalog + interactions files, a seeded
  20% of items (users) held out; Recall/NDCG@10/20/50 (:func:`protocol_custom`).

Methods: ``random``, ``popularity`` (training counts), ``tfidf`` (content cosine), ``itemknn`` (item-based CF,
only where the ranked items are warm), ``zero-shot`` (encoder cosine recall, no training; the user aggregation is
chosen on the validation split), ``mlp-concat`` (MLP over concat(item, user)) and ``mlp-rich`` (concat +
item*user + |item-user| + cosine scores + log popularity): both are :class:`coldrec.ranking.MLPRanker` (the
ranker the app and CLI serve) with the :class:`coldrec.ranking.RankerConfig` recorded under ``ranker`` in each
result. They re-rank the top ``recall_n`` items of the zero-shot recall and keep the recall order below; they are
trained with a sampled softmax over one positive and negatives drawn half from the recall candidates (hard) and
half uniformly.

Layout: this module holds the entry point (:func:`run_protocol`), the published rows (:data:`PUBLISHED`) and the
result writers; the protocols live in ``protocols/`` (``_scientific``, ``_citeulike``, ``_ml100k``, ``_custom``),
their shared pieces in ``_common`` (config, encoder cache, machine info, aggregation, metrics over score
matrices), ``_reranking`` (candidate sets and feature stacks for the library's :class:`coldrec.ranking.MLPRanker`,
which every protocol trains and scores; evaluation holds no model of its own) and ``_users`` (features of
text-described users).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.evaluation.protocols._citeulike import bridge_features, protocol_citeulike_cold
from coldrec.evaluation._common import (METHODS, PROTOCOLS as _BASE_PROTOCOLS, EvalConfig, Log, _log_default, _set_threads, commit_id, embed_cached,
                          get_encoder, history_scores, machine_info, recency_weights)
from coldrec.evaluation.protocols._custom import protocol_custom, split_cold
from coldrec.evaluation.protocols._ml100k import SHOTS, protocol_ml100k_cold_users, user_folds
from coldrec.evaluation._reranking import set_features
from coldrec.evaluation.protocols._scientific import protocol_scientific
from coldrec.evaluation.protocols._warmup_data import format_warmup_markdown, protocol_warmup
from coldrec.evaluation.protocols._warmup_items_data import protocol_warmup_items

PROTOCOLS: tuple[str, ...] = _BASE_PROTOCOLS + ("warmup", "warmup-items")

__all__ = [
    "run_seeds",
    "PROTOCOLS",
    "METHODS",
    "PUBLISHED",
    "SHOTS",
    "EvalConfig",
    "run_protocol",
    "write_results",
    "format_table",
    "format_markdown",
    "protocol_scientific",
    "protocol_citeulike_cold",
    "protocol_ml100k_cold_users",
    "protocol_custom",
    "history_scores",
    "recency_weights",
    "set_features",
    "bridge_features",
    "split_cold",
    "user_folds",
    "embed_cached",
    "get_encoder",
    "machine_info",
]

_machine = machine_info  # old private names, kept for callers of the single-module version
_commit = commit_id

PUBLISHED: dict[str, dict[str, dict[str, float]]] = {
    # published rows on exactly these protocols (sources in results/README.md)
    "scientific": {
        "SASRec (UniSRec KDD'22 Tab.2)": {"recall@10": .1080, "ndcg@10": .0553, "recall@50": .2042, "ndcg@50": .0760},
        "ZESRec (UniSRec KDD'22 Tab.2)": {"recall@10": .0851, "ndcg@10": .0475, "recall@50": .1746, "ndcg@50": .0670},
        "UniSRec text-only (KDD'22 Tab.2)": {"recall@10": .1188, "ndcg@10": .0641, "recall@50": .2394,
                                             "ndcg@50": .0903},
        "UniSRec text+ID (KDD'22 Tab.2)": {"recall@10": .1235, "ndcg@10": .0634, "recall@50": .2473, "ndcg@50": .0904},
        "VQ-Rec (WWW'23 Tab.2)": {"recall@10": .1211, "ndcg@10": .0643, "recall@50": .2369, "ndcg@50": .0897},
        "VQ-Rec zero-shot (WWW'23 Tab.3)": {"recall@10": .0640, "ndcg@10": .0361, "recall@50": .0909,
                                            "ndcg@50": .0421},
    },
    "citeulike-cold": {
        "content KNN (Heater SIGIR'20 Tab.2)": {"recall@20": .2192, "recall@50": .3853, "recall@100": .5208},
        "DropoutNet (Heater SIGIR'20 Tab.2)": {"recall@20": .3275, "recall@50": .5092, "recall@100": .6518},
        "Heater (SIGIR'20 Tab.2)": {"recall@20": .3727, "recall@50": .5533, "recall@100": .6852},
    },
}

_PUBLISHED = PUBLISHED  # old private name, kept for callers written before it was public

_TARGETS: dict[str, dict[str, dict[str, float]]] = {
    "scientific": {"zero-shot": {"recall@10": .1080}, "mlp-rich": {"recall@10": .13, "ndcg@10": .07}},
    "citeulike-cold": {"mlp-rich": {"recall@20": .3727, "recall@50": .5533, "recall@100": .6852}},
}


def run_protocol(name: str, data: str | Path | None = None, *, out: str | Path | None = None, encoder: Any = None,
                 log: Log | None = None, force: bool = False, dataset_name: str | None = None,
                 **options: Any) -> dict[str, Any]:
    """Run one protocol and return its result dict (written to ``out`` as JSON + Markdown when given).

    Args:
        name: one of :data:`PROTOCOLS`.
        data: datasets root (default ``$COLDREC_DATA`` or ``../shared/datasets``); for ``cold-items`` /
            ``cold-users`` unused (pass ``catalog=`` and ``interactions=``).
        out: folder for ``<protocol>.json|md`` (published protocols) or ``<protocol>-<dataset>.json|md`` (your
            own data: the dataset is ``dataset_name`` or the catalog file's stem).
        force: overwrite result files that exist (otherwise they are refused with a message).
        dataset_name: the name your own data is reported and written under.
        encoder: an encoder object, ``"hash"``, a model folder, or None for the bundled MiniLM.
        options: :class:`EvalConfig` fields (seed, recall_n, max_users, methods, epochs, ...) and, for the
            custom protocols, catalog/interactions/column options (see :func:`protocol_custom`).
    """
    if name not in PROTOCOLS:
        raise ColdrecError(f"unknown protocol {name!r}; valid choices: {', '.join(PROTOCOLS)}")
    log = log or _log_default
    fields = {f for f in EvalConfig.__dataclass_fields__}
    cfg_opts = {k: v for k, v in options.items() if k in fields and v is not None}
    other = {k: v for k, v in options.items() if k not in fields}
    if "methods" in cfg_opts:
        m = cfg_opts["methods"]
        m = tuple(x.strip() for x in (m.split(",") if isinstance(m, str) else m) if x.strip())
        bad = [x for x in m if x not in METHODS]
        if bad:
            raise ColdrecError(f"unknown method(s) {', '.join(bad)}; valid choices: {', '.join(METHODS)}")
        cfg_opts["methods"] = m
    cfg = EvalConfig(**cfg_opts)
    if name not in ("cold-items", "cold-users", "warmup", "warmup-items") and other:
        raise ColdrecError(f"unknown option(s) for protocol {name!r}: {', '.join(sorted(other))}")
    _set_threads(cfg.threads)
    if out and name not in ("warmup", "warmup-items"):  # refuse before a run of minutes, not after it
        _check_free({"protocol": name, "file_stem": _file_stem(name, dataset_name, other.get("catalog"))}, out, force)
    t0 = time.time()
    if name == "scientific":
        res = protocol_scientific(data, encoder=encoder, cfg=cfg, log=log)
    elif name == "citeulike-cold":
        res = protocol_citeulike_cold(data, encoder=encoder, cfg=cfg, log=log)
    elif name == "ml100k-cold-users":
        res = protocol_ml100k_cold_users(data, encoder=encoder, cfg=cfg, log=log)
    elif name == "warmup":  # its own options: dataset, folds (seed and max_users from EvalConfig)
        res = protocol_warmup(data, encoder=encoder, seed=cfg.seed, max_users=cfg.max_users, log=log, **other)
    elif name == "warmup-items":
        res = protocol_warmup_items(data, encoder=encoder, seed=cfg.seed, max_users=cfg.max_users, log=log, **other)
    else:
        res = protocol_custom(name, encoder=encoder, cfg=cfg, log=log, **other)
    enc = encoder if encoder is not None and not isinstance(encoder, str) else None
    model = getattr(enc, "name", None) or (encoder if isinstance(encoder, str) else "all-MiniLM-L6-v2 (bundled)")
    result = {
        "protocol": name,
        "dataset": res.pop("dataset"),
        "model": str(model),
        "commit": commit_id(),
        "seed": cfg.seed,
        "machine": machine_info(),
        "seconds": round(time.time() - t0, 1),
        "methods": res.pop("methods"),
    }
    result.update(res)
    result["config"] = asdict(cfg)
    if name in PUBLISHED:
        result["published"] = PUBLISHED[name]
    if name in _TARGETS:
        result["targets"] = _TARGETS[name]
    result["file_stem"] = result.get("result_name") or _file_stem(name, dataset_name, other.get("catalog"))
    if out:
        _check_free(result, out, force)
        write_results(result, out, force=True)
    return result


def _file_stem(name: str, dataset_name: str | None, catalog: Any) -> str:
    """``<protocol>`` for the published protocols; ``<protocol>-<dataset>`` for your own data."""
    if name not in ("cold-items", "cold-users"):
        return name
    label = dataset_name or (Path(str(catalog)).stem if isinstance(catalog, (str, Path)) else "data")
    slug = re.sub(r"[^0-9A-Za-z._-]+", "-", str(label)).strip("-.") or "data"
    return f"{name}-{slug}"


def _check_free(result: dict[str, Any], out: str | Path, force: bool) -> None:
    stem = result.get("file_stem") or result["protocol"]
    taken = [p for p in (Path(out) / f"{stem}.json", Path(out) / f"{stem}.md") if p.exists()]
    if taken and not force:
        raise ColdrecError(f"{taken[0]} exists: pass --force to overwrite it, --out another folder, or --name another "
                           "dataset name.")


def run_seeds(name: str, seeds: Sequence[int], data: str | Path | None = None, *, out: str | Path | None = None,
              force: bool = False, **options: Any) -> dict[str, Any]:
    """Run a protocol once per seed; ``methods`` holds the mean of each metric and ``spread`` its standard
    deviation over the seeds (``per_seed`` keeps every run's numbers).

    Example:
        >>> res = run_seeds("cold-users", [0, 1], catalog="items.csv", interactions="log.csv")  # doctest: +SKIP
        >>> res["methods"]["popularity"]["ndcg@10"], res["spread"]["popularity"]["ndcg@10"]    # doctest: +SKIP
    """
    seeds = [int(s) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ColdrecError(f"--seeds needs distinct integers, e.g. 0,1,2; got {seeds}.")
    runs = [run_protocol(name, data, seed=s, **options) for s in seeds]
    result = dict(runs[0])
    result["seeds"], result["seed"] = seeds, seeds
    result["per_seed"] = {str(s): r["methods"] for s, r in zip(seeds, runs)}
    result["seconds"] = round(sum(r.get("seconds", 0) for r in runs), 1)
    mean: dict[str, dict[str, float]] = {}
    spread: dict[str, dict[str, float]] = {}
    for method in runs[0]["methods"]:
        for metric in runs[0]["methods"][method]:
            vals = [r["methods"].get(method, {}).get(metric) for r in runs]
            if any(v is None for v in vals):
                continue
            mean.setdefault(method, {})[metric] = round(float(np.mean(vals)), 6)
            spread.setdefault(method, {})[metric] = round(float(np.std(vals)), 6)
    result["methods"], result["spread"] = mean, spread
    if any("hybrid" in r for r in runs):  # the fusion each seed's validation chose
        result["hybrid"] = {"per_seed": {str(s): {k: r["hybrid"][k] for k in ("fusion", "weight")}
                                         for s, r in zip(seeds, runs) if "hybrid" in r}}
    result.setdefault("notes", [])
    result["notes"] = list(result["notes"]) + [f"mean ± standard deviation over seeds {', '.join(map(str, seeds))}"]
    if out:
        _check_free(result, out, force)
        write_results(result, out, force=True)
    return result


def _fmt(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, (int, float)) and v is not None else "–"


def _metric_names(result: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for row in result.get("methods", {}).values():
        for k in row:
            if k not in names:
                names.append(k)
    def key(m: str) -> tuple[int, int]:
        base, _, k = m.partition("@")
        return (int(k) if k.isdigit() else 0, 0 if base == "recall" else 1)
    return sorted(names, key=key)


def method_label(result: dict[str, Any], method: str) -> str:
    """A row's name in tables: the hybrid's carries the fusion and encoder weight chosen on validation (per seed)."""
    h = result.get("hybrid")
    if method != "hybrid" or not h:
        return method
    if "per_seed" not in h:
        return f"hybrid ({h['fusion']}, w={h['weight']:.2f})"
    return "hybrid (" + " / ".join(f"{c['fusion']} w={c['weight']:.2f}" for c in h["per_seed"].values()) + ")"


def format_table(result: dict[str, Any]) -> str:
    """Plain-text table of ``result['methods']`` (methods × metrics) for the terminal."""
    metrics = _metric_names(result)
    rows = [["method"] + metrics]
    spread = result.get("spread", {})
    for mname, vals in result.get("methods", {}).items():
        sd = spread.get(mname, {})
        rows.append([method_label(result, mname)] + [_fmt(vals.get(m)) + (f" ± {sd[m]:.4f}" if m in sd else "")
                                                     for m in metrics])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    head = f"{result.get('protocol')} — {result.get('dataset')} ({result.get('seconds', '?')}s)"
    return head + "\n" + "\n".join(lines)


def format_markdown(result: dict[str, Any]) -> str:
    """Markdown report of one result: our rows, published rows, variants and notes."""
    metrics = _metric_names(result)
    out = [f"# {result['protocol']}", "", f"- dataset: {result.get('dataset')}", f"- model: {result.get('model')}",
           f"- commit: {result.get('commit')}, seed {result.get('seed')}, {result.get('seconds')} s on "
           f"{result.get('machine', {}).get('cpu')} ({result.get('machine', {}).get('cores')} cores, GPU "
           f"{result.get('machine', {}).get('gpu')})", ""]
    out.append("| method | " + " | ".join(metrics) + " |")
    out.append("|---|" + "---|" * len(metrics))
    spread = result.get("spread", {})
    for mname, vals in result.get("methods", {}).items():
        sd = spread.get(mname, {})
        out.append(f"| {method_label(result, mname)} | " + " | ".join(_fmt(vals.get(m)) + (f" ± {sd[m]:.4f}" if m in sd else "")
                                               for m in metrics) + " |")
    for pname, vals in result.get("published", {}).items():
        out.append(f"| *{pname}* | " + " | ".join(_fmt(vals.get(m)) for m in metrics) + " |")
    for section in ("variants", "unmasked", "few_shot"):
        block = result.get(section)
        if block:
            out += ["", f"## {section.replace('_', '-')}", ""]
            for vname, vals in block.items():
                if isinstance(vals, dict) and all(isinstance(x, dict) for x in vals.values()):
                    for mname, mv in vals.items():
                        out.append(f"- {vname} / {mname}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in mv.items()))
                else:
                    out.append(f"- {vname}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in vals.items()))
    if result.get("notes"):
        out += ["", "## notes", ""] + [f"- {n}" for n in result["notes"]]
    return "\n".join(out) + "\n"


def write_results(result: dict[str, Any], out: str | Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write ``out/<stem>.json`` and ``out/<stem>.md`` (stem: ``result['file_stem']`` or the protocol name);
    returns both paths.

    Raises:
        ColdrecError: a file exists and ``force`` is False.
    """
    folder = Path(out)
    _check_free(result, folder, force)
    folder.mkdir(parents=True, exist_ok=True)
    stem = result.get("file_stem") or result.get("result_name") or result["protocol"]
    js = folder / f"{stem}.json"
    md = folder / f"{stem}.md"
    js.write_text(json.dumps(result, indent=2, default=_json_default) + "\n", encoding="utf-8")
    md.write_text(format_warmup_markdown(result) if "curves" in result else format_markdown(result),
                  encoding="utf-8")
    return js, md


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)

