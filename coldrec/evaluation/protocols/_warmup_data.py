"""``warmup`` protocol: the warm-up study on ml100k / scientific / a demo domain, and its Markdown report."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from coldrec.encoders import encode_as
from coldrec.errors import ColdrecError
from coldrec.evaluation._common import Log, _log_default, embed_cached, get_encoder
from coldrec.evaluation.protocols._warmup import TextSide, WarmupConfig, WarmupData
from coldrec.evaluation.protocols._warmup_study import warmup_study

WARMUP_DATASETS: tuple[str, ...] = ("ml100k", "scientific")


def text_sides(item_texts: Sequence[str], user_texts: Sequence[str] | None, E: np.ndarray,
               D: np.ndarray | None) -> dict[str, TextSide]:
    """The three text sides: the language model (``E``, ``D`` given), the hashing encoder and TF-IDF."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from coldrec.encoders import HashEncoder

    sides = {"lm": TextSide(E @ E.T, None if D is None else D @ E.T)}
    h = HashEncoder()
    He = np.asarray(h.encode(list(item_texts)), np.float32)
    Hd = None if user_texts is None else np.asarray(h.encode(list(user_texts)), np.float32)
    sides["hash"] = TextSide(He @ He.T, None if Hd is None else Hd @ He.T)
    vec = TfidfVectorizer(sublinear_tf=True).fit(list(item_texts) + list(user_texts or []))
    Xi = vec.transform(list(item_texts))
    U0 = None if user_texts is None else (vec.transform(list(user_texts)) @ Xi.T).toarray().astype(np.float32)
    sides["tfidf"] = TextSide((Xi @ Xi.T).toarray().astype(np.float32), U0)
    return sides


def ml100k_warmup_data(data: str | Path | None, encoder: Any, *, max_users: int | None = None, seed: int = 0
                       ) -> WarmupData:
    """MovieLens-100K: positives (rating ≥ 4) oldest first, demographic text as the user's own text."""
    from coldrec.evaluation._realdata import load_movielens100k

    ds = load_movielens100k(data)
    enc = get_encoder(encoder)
    item_texts, user_texts = ds.item_texts, ds.user_texts()
    E = embed_cached(enc, item_texts, "ml100k-items")
    D = embed_cached(enc, user_texts, "ml100k-users", kind="query")
    R = ds.ratings[ds.ratings[:, 2] >= 4]
    R = R[np.lexsort((R[:, 1], R[:, 3]))]  # by timestamp, ties by item
    seqs = [R[R[:, 0] == u, 1].astype(np.int64) for u in range(ds.n_users)]
    if max_users:  # the same users as ml100k-cold-users with the same max_users and seed
        keep = set(np.random.default_rng(seed).choice(np.arange(ds.n_users), min(max_users, ds.n_users),
                                                      replace=False).tolist())
        seqs = [s if u in keep else s[:0] for u, s in enumerate(seqs)]
    return WarmupData("ml100k", ds.n_items, seqs, "rest", text_sides(item_texts, user_texts, E, D), E, D)


def scientific_warmup_data(data: str | Path | None, encoder: Any, *, max_users: int | None = None, seed: int = 0
                           ) -> WarmupData:
    """Amazon Scientific: each user's sequence (history + held-out last item); users have no text of their own."""
    from coldrec.evaluation._realdata import load_scientific

    ds = load_scientific(data)
    enc = get_encoder(encoder)
    E = embed_cached(enc, ds.texts, "scientific")
    seqs = [np.concatenate([h, [t]]).astype(np.int64) for h, t in zip(ds.test_history, ds.test_target)]
    if max_users:
        keep = set(np.random.default_rng(seed).choice(len(seqs), min(max_users, len(seqs)), replace=False).tolist())
        seqs = [s if u in keep else s[:0] for u, s in enumerate(seqs)]
    return WarmupData("scientific", ds.n_items, seqs, "last", text_sides(ds.texts, None, E, None), E)


def demo_warmup_data(demo: Any, item_vectors: np.ndarray, encoder: Any) -> WarmupData:
    """A demo domain (or any catalog + log): positives oldest first, the users' written descriptions as text."""
    cat = demo.catalog
    pos = demo.interactions.positives.sort_values(["timestamp", "item_id"], kind="stable")
    id_to_row = cat.id_to_row
    uids = [str(u) for u in demo.users["user_id"]]
    by_user = {u: [] for u in uids}
    for u, i in zip(pos["user_id"].astype(str), pos["item_id"].astype(str)):
        if u in by_user and i in id_to_row:
            by_user[u].append(id_to_row[i])
    seqs = [np.array(list(dict.fromkeys(by_user[u])), dtype=np.int64) for u in uids]
    texts = list(demo.users["description"].astype(str))
    E = np.asarray(item_vectors, np.float32)
    D = np.asarray(encode_as(encoder, texts, "query"), np.float32)  # user side, as served
    return WarmupData(demo.name, len(cat), seqs, "rest", text_sides(list(cat.texts), texts, E, D), E, D)


def read_own_log(catalog: Any, interactions: Any, encoder: Any, *, columns: Any = None, user_col: str | None = None,
                 item_col: str | None = None, rating_col: str | None = None, time_col: str | None = None,
                 positive_threshold: Any = None) -> dict[str, Any]:
    """An analyst's catalog + log through the own-data readers: item texts, their vectors and the positive
    ``(user, item)`` row pairs in time order (log order where there is no time column)."""
    from coldrec.catalog import load_catalog
    from coldrec.ranking import load_interactions

    for opt, val in (("--catalog", catalog), ("--interactions", interactions)):
        if val is None:
            raise ColdrecError(f"the warm-up on your own data needs {opt} FILE; or pass --dataset "
                               f"({', '.join(WARMUP_DATASETS)}) for the published data")
        if isinstance(val, (str, Path)) and not Path(val).is_file():
            raise ColdrecError(f"{opt} file not found: {val}")
    cat = load_catalog(catalog, columns)
    ids = [str(x) for x in cat.items["item_id"].tolist()]
    texts = cat.items["text"].astype(str).tolist()
    row = {x: r for r, x in enumerate(ids)}
    ilog = load_interactions(interactions, known_items=ids, user_col=user_col, item_col=item_col,
                             rating_col=rating_col, time_col=time_col, positive_threshold=positive_threshold)
    pos = ilog.positives
    if "timestamp" in pos.columns and pos["timestamp"].notna().any():
        pos = pos.sort_values("timestamp", kind="stable")
    pos = pos[pos["item_id"].astype(str).isin(row)]
    if len(pos) < 10:
        raise ColdrecError(f"the interaction log has only {len(pos)} positive row(s) on catalog items; the warm-up "
                           "needs at least 10 (check --rating-col / --positive and that item ids match the catalog)")
    uids, uidx = np.unique(pos["user_id"].astype(str).to_numpy(), return_inverse=True)
    pairs = np.stack([uidx, [row[x] for x in pos["item_id"].astype(str)]], 1).astype(np.int64)
    _, first = np.unique(pairs, axis=0, return_index=True)
    E = embed_cached(get_encoder(encoder), texts, f"custom-{cat.name}")
    name = re.sub(r"[^0-9A-Za-z._-]+", "-", str(cat.name)).strip("-.") or "data"
    return {"name": name, "texts": texts, "E": E, "pairs": pairs[np.sort(first)], "n_users": len(uids),
            "n_items": len(ids), "positive": ilog.positive, "rows": ilog.rows_read, "user_ids": [str(u) for u in uids]}


def own_user_texts(own: dict[str, Any], users: Any, encoder: Any, *, user_col: str | None = None,
                   text_col: str | None = None) -> tuple[list[str], np.ndarray]:
    """The log users' descriptions from a users file (read as ``cold-users`` reads it: the same reader and column
    guesses) in :func:`read_own_log`'s user order, and their query vectors; a user missing from the file gets "".

    Raises:
        ColdrecError: the file names none of the log's users.
    """
    from coldrec.evaluation.protocols._custom import _read_user_texts

    if isinstance(users, (str, Path)) and not Path(users).is_file():
        raise ColdrecError(f"--users file not found: {users}")
    table = _read_user_texts(users, user_col, text_col)
    texts = [table.get(u, "") for u in own["user_ids"]]
    if not any(t.strip() for t in texts):
        raise ColdrecError(f"the users file describes none of the log's {len(texts)} users (first log ids: "
                           f"{', '.join(own['user_ids'][:3])}; first file ids: {', '.join(list(table)[:3])}): "
                           "its user ids must match the log's user column")
    return texts, np.asarray(embed_cached(get_encoder(encoder), texts, f"custom-users-{own['name']}", kind="query"),
                             np.float32)


def own_warmup_data(own: dict[str, Any], user_texts: Sequence[str] | None = None, D: np.ndarray | None = None
                    ) -> WarmupData:
    """The user-side study's data from :func:`read_own_log`: positives oldest first; with ``user_texts`` and
    their vectors ``D`` (:func:`own_user_texts`) the users' own text is the 0-known profile."""
    seqs = [[] for _ in range(own["n_users"])]
    for u, i in own["pairs"]:
        seqs[u].append(i)
    seqs = [np.array(x, dtype=np.int64) for x in seqs]
    E = np.asarray(own["E"], np.float32)
    return WarmupData(own["name"], own["n_items"], seqs, "rest", text_sides(own["texts"], user_texts, E, D), E, D)


def protocol_warmup(data: str | Path | None = None, *, dataset: str | None = None, encoder: Any = None,
                    seed: int = 0, max_users: int | None = None, folds: int | None = None, log: Log = _log_default,
                    catalog: Any = None, interactions: Any = None, **own: Any) -> dict[str, Any]:
    """``coldrec evaluate --protocol warmup --dataset ml100k|scientific`` (or ``--catalog/--interactions``)."""
    if catalog is not None or interactions is not None:
        return _own_warmup(catalog, interactions, encoder, seed, folds, log, own)
    dataset = dataset or "ml100k"
    if dataset not in WARMUP_DATASETS:
        raise ColdrecError(f"unknown warm-up dataset {dataset!r}; valid choices: {', '.join(WARMUP_DATASETS)}")
    folds = folds or {"ml100k": 5, "scientific": 3}[dataset]  # scientific: 8,442 users, 2,800 test users per fold
    t0 = time.time()
    load = ml100k_warmup_data if dataset == "ml100k" else scientific_warmup_data
    wd = load(data, encoder, max_users=max_users, seed=seed)
    t_embed = round(time.time() - t0, 1)
    grid = {"ml100k": (1000.0, 3000.0, 10000.0, 30000.0, 100000.0), "scientific": (10.0, 50.0, 200.0, 1000.0)}
    # 3 inner folds let every training user validate: ml100k's 943 users leave ~110 hold-out users per fold, and
    # scientific has only ~1% of users with 20 known items (one hold-out left fewer than min_val_users there)
    val_folds = {"ml100k": 3, "scientific": 3}
    res = warmup_study(wd, WarmupConfig(seed=seed, folds=folds, l2_grid=grid[dataset], val_folds=val_folds[dataset]),
                       log=log)
    names = {"ml100k": "MovieLens 100K (movielens-100k/), positives = ratings ≥ 4, known = the first s by time, "
                       "targets = all later positives",
             "scientific": "Amazon Scientific (amazon-scientific/), known = the s most recent items before the "
                           "held-out last one, target = that item"}
    res["dataset"] = names[dataset]
    res["result_name"] = f"warmup-{dataset}"
    res["methods"] = {f"{m} [{s} known]": {k: v[i] for k, v in res["curves"][m].items()}
                      for i, s in enumerate(res["points"]) for m in res["curves"]
                      if res["curves"][m]["ndcg@10"][i] is not None}
    res["timings"] = {"data + text sides": t_embed, "study": round(time.time() - t0 - t_embed, 1)}
    res["notes"] = _notes(dataset, folds)
    return res


def _own_warmup(catalog, interactions, encoder, seed, folds, log, own_opts) -> dict[str, Any]:
    t0 = time.time()
    users, text_col = own_opts.pop("users", None), own_opts.pop("user_text_col", None)
    own = read_own_log(catalog, interactions, encoder, **own_opts)
    texts, D = own_user_texts(own, users, encoder, user_col=own_opts.get("user_col"), text_col=text_col) \
        if users is not None else (None, None)
    wd = own_warmup_data(own, texts, D)
    folds = folds or 5
    res = warmup_study(wd, WarmupConfig(seed=seed, folds=folds, val_folds=1), log=log)
    res["dataset"] = (f"{own['name']} (your files): {len(own['pairs'])} positives ({own['positive']}) of "
                      f"{own['rows']} rows; known = each user's first s positives by time, targets = the later ones")
    res["result_name"] = f"warmup-{own['name']}"
    res["methods"] = {f"{m} [{s} known]": {k: v[i] for k, v in res["curves"][m].items()}
                      for i, s in enumerate(res["points"]) for m in res["curves"]
                      if res["curves"][m]["ndcg@10"][i] is not None}
    res["timings"] = {"total": round(time.time() - t0, 1)}
    if texts is None:
        res["notes"] = _notes("own", folds) + ["Users have no text of their own here (no --users file), so at 0 known "
                                               "items there is no text-only row and every hybrid is popularity."]
    else:
        n_text = sum(bool(t.strip()) for t in texts)
        res["notes"] = _notes("own", folds) + [f"User descriptions from the users file ({n_text} of {len(texts)} log "
                                               "users described; the others have an empty text): the 0-known row "
                                               "is text only, and the text aggregation may add the description to "
                                               "known items (chosen on validation)."]
    return res


def _notes(dataset: str, folds: int) -> list[str]:
    notes = [f"{folds} seeded folds over users; each user is a test user once; EASE, item-KNN and popularity are "
             "fitted on the fold's training users only (test users' interactions never enter them).",
             "All items are ranked; the user's known items are excluded from the ranking and never are targets.",
             "Every choice is made on validation users, held out of the CF fit inside each fold's training users "
             f"({'3 inner folds: every training user validates once' if dataset == 'ml100k' else 'one 15% hold-out'}): "
             "EASE λ (on the first fold's validation users, then kept), the text aggregation per text side, and the "
             "hybrid's weights and CF per history length.",
             "hybrid-X = w·z(text-X) + wp·z(log popularity) + (1 − w − wp)·z(CF), CF = EASE or item-KNN, with "
             "(w, wp, CF) chosen per history length on the validation users; z = per-user standardised scores; "
             "lm = the language model, hash = the model-free hashing encoder, tfidf = TF-IDF of the same texts.",
             "With 0 known items EASE and item-KNN are the popularity order."]
    if dataset == "scientific":
        notes.append("Scientific users have no text of their own, so at 0 known items there is no text-only row "
                     "and every hybrid is popularity.")
    return notes


def _counts_line(result: dict[str, Any]) -> str:
    pts = result["points"]
    if "n_items" in result:  # the item side
        return ("- test items per point (user rankings, i.e. users with a target among them, summed over folds): " + ", ".join(
            f"{s}: {result['n_items'][str(s)]} ({result['n_target_users'][str(s)]})" for s in pts))
    return "- test users per point: " + ", ".join(f"{s}: {result['n_users'][str(s)]}" for s in pts)


def format_warmup_markdown(result: dict[str, Any]) -> str:
    """Markdown of a warm-up result: one table per metric (methods × points), user counts, crossover, LM gain."""
    pts = result["points"]
    m = result.get("machine", {})
    out = [f"# {result.get('result_name', result['protocol'])}", "", f"- dataset: {result.get('dataset')}",
           f"- model: {result.get('model')}",
           f"- commit: {result.get('commit')}, seed {result.get('seed')}, {result.get('seconds')} s on "
           f"{m.get('cpu')} ({m.get('cores')} cores, GPU {m.get('gpu')})",
           _counts_line(result), ""]
    head = "| method | " + " | ".join(f"{s} known" for s in pts) + " |"
    for metric in result["metrics"]:
        out += [f"## {metric}", "", head, "|---|" + "---|" * len(pts)]
        for name, c in result["curves"].items():
            out.append(f"| {name} | " + " | ".join("–" if v is None else f"{v:.4f}" for v in c[metric]) + " |")
        out.append("")
    if "crossover" in result:
        out += [f"## crossover (NDCG@10: smallest {'number of known interactions' if 'n_items' in result else 'history length'} at which CF alone ≥ text-lm alone)", ""]
        out += [f"- {cf}: {'never on these points' if s is None else s}" for cf, s in result["crossover"].items()]
        out.append("")
    if "lm_gain" in result:
        out += ["## language model's gain (hybrid-lm − hybrid-X), NDCG@10", "", head.replace("method", "vs"),
                "|---|" + "---|" * len(pts)]
        for vs, g in result["lm_gain"].items():
            out.append(f"| {vs} | " + " | ".join("–" if v is None else f"{v:+.4f}" for v in g["ndcg@10"]) + " |")
        t = result["targets"]
        out += ["", f"Hybrid-lm margin over max(text-lm, {', '.join(result['crossover'])}) at NDCG@10: "
                + ", ".join(f"{s}: {v:+.4f}" for s, v in zip(pts, t["margin_over_best_single"]))
                + f" — within {t['tolerance']} everywhere: {t['within_tolerance_everywhere']}; strictly better "
                  f"somewhere: {t['strictly_better_somewhere']}.", ""]
    if result.get("notes"):
        out += ["## notes", ""] + [f"- {n}" for n in result["notes"]]
    return "\n".join(out) + "\n"
