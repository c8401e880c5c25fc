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
item*user + |item-user| + cosine scores + log popularity). Both MLPs re-rank the top ``recall_n`` items of the
zero-shot recall and keep the recall order below; they are trained with a sampled softmax over one positive and
negatives drawn half from the recall candidates (hard) and half uniformly.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .errors import ColdrecError
from .metrics import MetricAccumulator, topk_rows

__all__ = [
    "PROTOCOLS",
    "METHODS",
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
    "split_cold",
    "user_folds",
]

PROTOCOLS: tuple[str, ...] = ("scientific", "citeulike-cold", "ml100k-cold-users", "cold-items", "cold-users")
METHODS: tuple[str, ...] = ("random", "popularity", "tfidf", "itemknn", "zero-shot", "mlp-concat", "mlp-rich")

Log = Callable[[str], None]


@dataclass
class EvalConfig:
    """Options shared by every protocol."""

    seed: int = 0
    recall_n: int = 100
    """Candidates per user that the MLP re-ranks (the rest keep the zero-shot order)."""
    max_users: int | None = None
    """Evaluate (and train on) at most this many users: for CI slices."""
    methods: tuple[str, ...] = METHODS
    epochs: int = 6
    hidden: int = 128
    negatives: int = 32
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-5
    dropout: float = 0.1
    threads: int = 2
    batch_users: int = 512
    max_examples: int = 12000
    """Training examples sampled per epoch (a fresh sample each epoch) to bound the cost on 2 CPU cores."""
    skip_init: float = 20.0
    """Initial weight of the residual path from the first scalar feature (the recall score) in mlp-rich."""
    standardize: bool = False
    """Standardise the scalar features (mean/std of a first training sample) before the MLP (ml100k, cold-users)."""


# ================================================================================================ helpers
def _log_default(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _cache_root() -> Path:
    env = os.environ.get("COLDREC_CACHE")
    if env:
        return Path(env) / "eval"
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("coldrec")) / "eval"
    except Exception:  # pragma: no cover
        return Path.home() / ".cache" / "coldrec" / "eval"


def get_encoder(encoder: Any = None) -> Any:
    """``None`` → the bundled MiniLM (``coldrec.encoder.load_encoder``); ``"hash"`` → HashEncoder; else as is."""
    if encoder is None or isinstance(encoder, str):
        from .encoder import load_encoder

        return load_encoder(encoder)
    return encoder


def embed_cached(encoder: Any, texts: Sequence[str], label: str = "texts") -> np.ndarray:
    """Encode ``texts`` once; later calls with the same encoder and texts load an ``.npy`` from the cache.

    The per-text cache of ``coldrec.cache`` is used for the encoding when it is available; the file here is a
    whole-corpus shortcut so a protocol re-run does not even hash 17k texts one by one.
    """
    texts = ["" if t is None else str(t) for t in texts]
    name = getattr(encoder, "name", type(encoder).__name__)
    if str(name).startswith("hash"):
        return np.asarray(encoder.encode(texts), dtype=np.float32)
    h = hashlib.sha256((str(name) + "\x00" + "\x00".join(texts)).encode("utf-8")).hexdigest()[:20]
    path = _cache_root() / f"{label}-{h}.npy"
    if path.is_file():
        arr = np.load(path)
        if arr.shape[0] == len(texts):
            return arr
    try:
        from .cache import EmbeddingCache, embed_texts

        vec = embed_texts(encoder, texts, EmbeddingCache()).vectors
    except ImportError:
        vec = encoder.encode(texts)
    vec = np.asarray(vec, dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, vec)
    os.replace(tmp, path)
    return vec


def _normalize(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpu = "none"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except Exception:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "gpu": gpu, "python": platform.python_version()}


def _commit() -> str:
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                   capture_output=True, text=True, timeout=10).stdout.strip()
            return out.stdout.strip() + ("+dirty" if dirty else "")
    except Exception:
        pass
    return "uncommitted"


def _set_threads(n: int) -> None:
    try:
        import torch

        torch.set_num_threads(max(1, n))
    except Exception:
        pass


# ================================================================================================ scoring
def history_scores(sims: np.ndarray, lengths: Sequence[int], weights: np.ndarray | None, tau: float | None
                   ) -> np.ndarray:
    """Aggregate per-history-item similarities into one score per (user, candidate).

    Args:
        sims: ``(sum(lengths), n_cand)`` cosine between each history item (users concatenated, oldest first) and
            each candidate.
        lengths: history length per user (each >= 1).
        weights: per history row, non-negative (e.g. recency ``gamma ** age``); ``None`` = uniform.
        tau: ``None`` → weighted mean of the cosines (= cosine with the weighted mean profile, up to its norm);
            a temperature → ``tau * log(sum_j w_j exp(cos_j / tau))``, a soft max-sim over interests
            (multi-interest: an item close to any one history item scores high).

    Returns:
        ``(len(lengths), n_cand)`` float32.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    w = np.ones(len(sims), dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
    wsum = np.add.reduceat(w, starts)
    if tau is None:
        out = np.add.reduceat(sims * w[:, None], starts, axis=0) / wsum[:, None]
        return out.astype(np.float32)
    z = sims / tau
    mx = np.maximum.reduceat(z, starts, axis=0)
    rep = np.repeat(mx, lengths, axis=0)
    s = np.add.reduceat(np.exp(z - rep) * w[:, None], starts, axis=0) / wsum[:, None]
    return (tau * (np.log(np.maximum(s, 1e-30)) + mx)).astype(np.float32)


def recency_weights(lengths: Sequence[int], gamma: float) -> np.ndarray:
    """``gamma ** age`` per history row (age 0 = most recent), users concatenated."""
    return np.concatenate([gamma ** np.arange(n - 1, -1, -1, dtype=np.float32) for n in lengths]) \
        if len(lengths) else np.zeros(0, np.float32)


def _weighted_profiles(E: np.ndarray, hists: Sequence[np.ndarray], gamma: float) -> np.ndarray:
    out = np.zeros((len(hists), E.shape[1]), dtype=np.float32)
    for i, h in enumerate(hists):
        if len(h):
            w = gamma ** np.arange(len(h) - 1, -1, -1, dtype=np.float32)
            out[i] = (w[:, None] * E[h]).sum(0)
    return _normalize(out)


class _Evaluator:
    """Accumulates metrics over user batches from score matrices over a candidate item set."""

    def __init__(self, ks: Sequence[int], cand_items: np.ndarray, rng: np.random.Generator) -> None:
        self.acc = MetricAccumulator(ks)
        self.kmax = max(ks)
        self.cand = np.asarray(cand_items)
        self.rng = rng

    def add(self, scores: np.ndarray, targets: Sequence[set], exclude: Sequence[Sequence[int]] | None = None,
            jitter: bool = False) -> None:
        scores = np.array(scores, dtype=np.float64, copy=True)
        if jitter:  # random tie-breaking for count-based scores (popularity, itemknn)
            scores += self.rng.random(scores.shape) * 1e-9
        if exclude is not None:
            for r, ex in enumerate(exclude):
                if len(ex):
                    scores[r, ex] = -np.inf
        top = topk_rows(scores, self.kmax)
        self.acc.add(self.cand[top], targets)

    def result(self) -> dict[str, float]:
        return self.acc.result()


def _tfidf(texts: Sequence[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(sublinear_tf=True, min_df=1, stop_words="english", token_pattern=r"(?u)\b\w\w+\b")
    return vec.fit_transform(list(texts)).astype(np.float32)


def _rows_mean_sparse(X, hists: Sequence[np.ndarray]):
    """Mean of sparse rows per user → dense L2-normalised (n_users, vocab) as sparse matrix."""
    import scipy.sparse as sp

    rows, cols = [], []
    for u, h in enumerate(hists):
        rows.extend([u] * len(h))
        cols.extend(h.tolist())
    A = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(hists), X.shape[0]))
    U = A @ X
    from sklearn.preprocessing import normalize

    return normalize(U)


# ================================================================================================ ranker
class _RankNet:
    """MLP ranker with a factorised first layer (same function as Linear over the concatenated features).

    features="concat": h = A·item + B·user  (= W·concat(item, user)); "rich": + C·(item*user) + D·|item-user|
    + S·scalars (cosines, log popularity, ...). Then ReLU → Linear(h, h/2) → ReLU → Linear(h/2, 1).
    """

    def __init__(self, d: int, n_scalar: int, features: str, hidden: int, dropout: float, seed: int,
                 skip_init: float = 20.0) -> None:
        import torch
        from torch import nn

        torch.manual_seed(seed)
        self.features = features
        self.n_scalar = n_scalar
        self.A = nn.Linear(d, hidden)
        self.B = nn.Linear(d, hidden, bias=False)
        mods = [self.A, self.B]
        if features == "rich":
            self.C = nn.Linear(d, hidden, bias=False)
            self.D = nn.Linear(d, hidden, bias=False)
            self.S = nn.Linear(max(n_scalar, 1), hidden, bias=False)
            mods += [self.C, self.D, self.S]
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden // 2), nn.ReLU(),
                                  nn.Linear(hidden // 2, 1))
        mods.append(self.head)
        if features == "rich" and n_scalar:
            # residual path: logit = skip * recall_score + MLP(...), skip starts at 20 (≈ a softmax temperature
            # of 0.05 on cosines), so training starts from the zero-shot order and learns corrections.
            self.skip = nn.Parameter(torch.tensor(float(skip_init)))
            mods.append(nn.ParameterList([self.skip]))
            nn.init.zeros_(self.head[-1].weight)
            nn.init.zeros_(self.head[-1].bias)
        self.module = nn.ModuleList(mods)

    def parameters(self):
        return self.module.parameters()

    def train(self, mode: bool = True) -> None:
        self.module.train(mode)

    scale = None  # (mean, std) tensors for the scalar features, or None

    def forward(self, I, U, S):  # I (B,M,d), U (B,d), S (B,M,s)
        h = self.A(I) + self.B(U)[:, None, :]
        if self.features == "rich":
            Ue = U[:, None, :]
            h = h + self.C(I * Ue) + self.D((I - Ue).abs())
            if self.n_scalar:
                h = h + self.S(S if self.scale is None else (S - self.scale[0]) / self.scale[1])
                return self.head(h).squeeze(-1) + self.skip * S[..., 0]
        return self.head(h).squeeze(-1)

    def state(self):
        return {k: v.detach().clone() for k, v in self.module.state_dict().items()}

    def load(self, state) -> None:
        self.module.load_state_dict(state)


def _train_ranker(features: str, d: int, n_scalar: int, n_examples: int,
                  make_batch: Callable[[np.ndarray, np.random.Generator], tuple],
                  validate: Callable[[_RankNet], float], cfg: EvalConfig, log: Log, tag: str) -> tuple[_RankNet, list]:
    """Sampled-softmax training (column 0 of each batch is the positive); keeps the best epoch on validation."""
    import torch

    rng = np.random.default_rng(cfg.seed + (0 if features == "concat" else 1))
    net = _RankNet(d, n_scalar, features, cfg.hidden, cfg.dropout, cfg.seed, cfg.skip_init)
    if cfg.standardize and features == "rich" and n_scalar:
        _, _, S0 = make_batch(rng.permutation(n_examples)[:1024], np.random.default_rng(cfg.seed + 9))
        S0 = S0.reshape(-1, S0.shape[-1])
        net.scale = (torch.from_numpy(S0.mean(0)), torch.from_numpy(np.maximum(S0.std(0), 1e-3)))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    best, best_state, history, bad = -1.0, net.state(), [], 0
    if features == "rich":  # epoch 0 = the zero-shot order (the residual head starts at zero)
        net.train(False)
        with torch.no_grad():
            best = validate(net)
        history.append({"epoch": 0, "val": round(best, 5)})
        log(f"  {tag} epoch 0 (zero-shot order): val {best:.4f}")
    for epoch in range(cfg.epochs):
        t0 = time.time()
        net.train(True)
        order = rng.permutation(n_examples)[: cfg.max_examples]
        total, nb = 0.0, 0
        for s in range(0, len(order), cfg.batch_size):
            I, U, S = make_batch(order[s:s + cfg.batch_size], rng)
            logits = net.forward(torch.from_numpy(I), torch.from_numpy(U), torch.from_numpy(S))
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
            nb += 1
        net.train(False)
        with torch.no_grad():
            val = validate(net)
        history.append({"epoch": epoch + 1, "loss": round(total / max(nb, 1), 4), "val": round(val, 5),
                        "seconds": round(time.time() - t0, 1)})
        log(f"  {tag} epoch {epoch + 1}: loss {total / max(nb, 1):.4f} val {val:.4f} ({time.time() - t0:.0f}s)")
        if val > best:
            best, best_state, bad = val, net.state(), 0
        else:
            bad += 1
            if bad >= 2:
                break
    net.load(best_state)
    net.train(False)
    return net, history


def _net_scores(net: _RankNet, I: np.ndarray, U: np.ndarray, S: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return net.forward(torch.from_numpy(I), torch.from_numpy(U), torch.from_numpy(S)).numpy()


def _rerank(zs: np.ndarray, cand_top: np.ndarray, model_scores: np.ndarray) -> np.ndarray:
    """Scores where the recalled ``cand_top`` columns are ordered by the model and sit above all others."""
    out = np.array(zs, dtype=np.float64, copy=True)
    ms = model_scores.astype(np.float64)
    ms = (ms - ms.min(axis=1, keepdims=True)) / np.maximum(np.ptp(ms, axis=1, keepdims=True), 1e-9)
    np.put_along_axis(out, cand_top, 1e6 + ms, axis=1)
    return out


def _sample_negatives(pool_top: np.ndarray, positives: Sequence[set], n_items: int, n_neg: int,
                      rng: np.random.Generator, allowed: np.ndarray | None = None) -> np.ndarray:
    """Half hard negatives from each row's recall candidates, half uniform; positives are resampled away."""
    B = len(positives)
    n_hard = n_neg // 2
    out = np.empty((B, n_neg), dtype=np.int64)
    for b in range(B):
        pos = positives[b]
        hard = [x for x in pool_top[b][rng.permutation(pool_top.shape[1])[: n_hard * 2]] if x not in pos][:n_hard]
        need = n_neg - len(hard)
        uni = []
        while len(uni) < need:
            draw = rng.integers(0, n_items, size=need * 2) if allowed is None else rng.choice(allowed, need * 2)
            uni.extend(x for x in draw.tolist() if x not in pos)
        out[b] = np.array(hard + uni[:need])
    return out


# ================================================================================================ Scientific
def protocol_scientific(data: str | Path | None = None, *, encoder: Any = None, cfg: EvalConfig | None = None,
                        log: Log = _log_default) -> dict[str, Any]:
    """UniSRec's Scientific leave-one-out protocol, full ranking over all items (history items excluded)."""
    from .realdata import load_scientific

    cfg = cfg or EvalConfig()
    ks = (10, 50)
    t_start = time.time()
    ds = load_scientific(data)
    n = ds.n_items
    rng = np.random.default_rng(cfg.seed)
    users = np.arange(ds.n_users)
    if cfg.max_users:
        users = rng.choice(users, size=min(cfg.max_users, len(users)), replace=False)
    enc = get_encoder(encoder)
    t0 = time.time()
    E = embed_cached(enc, ds.texts, "scientific")
    embed_s = time.time() - t0
    log(f"scientific: {n} items embedded/loaded in {embed_s:.1f}s, {len(users)} users")
    S = (E @ E.T).astype(np.float32)  # item-item cosine, 4,385^2 floats
    # popularity from the training part of every sequence (everything before the validation target)
    pop = np.bincount(np.concatenate(ds.valid_history), minlength=n).astype(np.float64)
    logpop = np.log1p(pop).astype(np.float32)
    logpop_n = (logpop / max(logpop.max(), 1e-6)).astype(np.float32)

    def agg(hists: Sequence[np.ndarray], gamma: float, tau: float | None, cols: np.ndarray | None = None
            ) -> np.ndarray:
        lengths = [len(h) for h in hists]
        rows = np.concatenate(hists)
        sims = S[rows] if cols is None else S[rows][:, cols]
        return history_scores(sims, lengths, recency_weights(lengths, gamma), tau)

    def eval_scores(split: str, score_fn: Callable[[np.ndarray], np.ndarray], uids: np.ndarray,
                    jitter: bool = False) -> dict[str, float]:
        hist = ds.valid_history if split == "valid" else ds.test_history
        tgt = ds.valid_target if split == "valid" else ds.test_target
        ev = _Evaluator(ks, np.arange(n), np.random.default_rng(cfg.seed))
        for s in range(0, len(uids), cfg.batch_users):
            b = uids[s:s + cfg.batch_users]
            ev.add(score_fn(b), [{int(tgt[u])} for u in b], [hist[u] for u in b], jitter=jitter)
        return ev.result()

    methods: dict[str, dict[str, float]] = {}
    variants: dict[str, dict[str, float]] = {}
    timings: dict[str, float] = {"embedding": round(embed_s, 1)}
    want = set(cfg.methods)

    def timed(name: str, fn: Callable[[], dict]) -> None:
        t = time.time()
        methods[name] = fn()
        timings[name] = round(time.time() - t, 1)
        log(f"  {name}: {methods[name]}")

    if "random" in want:
        timed("random", lambda: eval_scores("test", lambda b: rng.random((len(b), n)), users))
    if "popularity" in want:
        timed("popularity", lambda: eval_scores("test", lambda b: np.tile(pop, (len(b), 1)), users, jitter=True))
    if "tfidf" in want:
        def _tf():
            X = _tfidf(ds.texts)
            def fn(b):
                Uv = _rows_mean_sparse(X, [ds.test_history[u] for u in b])
                return (Uv @ X.T).toarray()
            return eval_scores("test", fn, users)
        timed("tfidf", _tf)
    if "itemknn" in want:
        def _knn():
            import scipy.sparse as sp
            from sklearn.preprocessing import normalize

            seqs = ds.valid_history  # training interactions only
            rows = np.concatenate([[u] * len(h) for u, h in enumerate(seqs)])
            R = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, np.concatenate(seqs))), shape=(ds.n_users, n))
            R.data[:] = 1.0
            Rn = normalize(R, axis=0)
            Sim = (Rn.T @ Rn).toarray().astype(np.float32)
            np.fill_diagonal(Sim, 0.0)
            def fn(b):
                hists = [ds.test_history[u] for u in b]
                lengths = [len(h) for h in hists]
                return history_scores(Sim[np.concatenate(hists)], lengths, recency_weights(lengths, 0.7), None)
            return eval_scores("test", fn, users, jitter=True)
        timed("itemknn", _knn)

    # --- zero-shot: choose the user aggregation on the validation targets
    t = time.time()
    grid = [(1.0, None), (0.0, None)] + [(g, tau) for g in (0.5, 0.7, 0.85) for tau in (None, 0.1, 0.05)]
    vusers = users if len(users) <= 3000 else np.random.default_rng(cfg.seed + 7).choice(users, 3000, replace=False)
    val_scores = {}
    for g, tau in grid:
        r = eval_scores("valid", lambda b: agg([ds.valid_history[u] for u in b], g, tau), vusers)
        val_scores[(g, tau)] = r
        log(f"  zero-shot valid gamma={g} tau={tau}: R@10 {r['recall@10']:.4f} N@10 {r['ndcg@10']:.4f}")
    best_g, best_tau = max(val_scores, key=lambda k: val_scores[k]["ndcg@10"] + val_scores[k]["recall@10"])
    for label, (g, tau) in {"mean": (1.0, None), "last-item": (0.0, None),
                            f"recency-{best_g}-tau-{best_tau}": (best_g, best_tau)}.items():
        variants[label] = eval_scores("test", lambda b: agg([ds.test_history[u] for u in b], g, tau), users)
    zs_label = f"recency-{best_g}-tau-{best_tau}"
    if "zero-shot" in want:
        methods["zero-shot"] = variants[zs_label]
        timings["zero-shot"] = round(time.time() - t, 1)
        log(f"  zero-shot ({zs_label}): {methods['zero-shot']}")
    zero_shot_fn = lambda hists: agg(hists, best_g, best_tau)  # noqa: E731

    # --- trained rankers
    ranker_info: dict[str, Any] = {}
    cf = _sequence_cf(ds.valid_history, n) if "mlp-rich" in want else None
    recall_cost: dict[str, Any] = {}
    for feat in ("concat", "rich"):
        name = f"mlp-{feat}"
        if name not in want:
            continue
        t = time.time()
        fcf = cf if feat == "rich" else None
        net, hist_log, sel_users = _scientific_ranker(ds, E, S, logpop_n, zero_shot_fn, best_g, best_tau, feat, users,
                                                      cfg, log, eval_scores, fcf)

        def fn(b, net=net, N=cfg.recall_n, fcf=fcf, split="test"):
            hists = [(ds.test_history if split == "test" else ds.valid_history)[u] for u in b]
            zs = zero_shot_fn(hists)
            for r, h in enumerate(hists):
                zs[r, h] = -np.inf
            top = topk_rows(zs, N)
            I, U, Sc = _sci_features(E, S, logpop_n, hists, top, best_g, best_tau, fcf)
            return _rerank(zs, top, _net_scores(net, I, U, Sc))

        # recall N: chosen on the same held-out validation targets as the epochs (cfg.recall_n when fixed by a
        # CI slice); the test rows for every N are reported under recall_n_cost
        n_grid = sorted({50, 100, 200, cfg.recall_n}) if not cfg.max_users else [cfg.recall_n]
        n_val = {N: eval_scores("valid", lambda b, N=N: fn(b, N=N, split="valid"), sel_users)["ndcg@10"]
                 for N in n_grid} if len(n_grid) > 1 else {cfg.recall_n: None}
        best_n = max(n_val, key=lambda N: n_val[N]) if len(n_grid) > 1 else cfg.recall_n
        log(f"  {name} recall N on validation (ndcg@10): {n_val} -> N={best_n}")
        t_score = time.time()
        methods[name] = eval_scores("test", lambda b: fn(b, N=best_n), users)
        timings[name] = round(time.time() - t, 1)
        ranker_info[name] = {"epochs": hist_log, "score_seconds": round(time.time() - t_score, 1),
                             "recall_n": best_n, "recall_n_validation_ndcg@10": n_val}
        log(f"  {name}: {methods[name]}")
        if feat == "rich" and len(n_grid) > 1:
            for N in n_grid:
                if N == best_n:
                    recall_cost[str(N)] = {**methods[name], "score_seconds": ranker_info[name]["score_seconds"]}
                    continue
                ts = time.time()
                r = eval_scores("test", lambda b, N=N: fn(b, N=N), users)
                recall_cost[str(N)] = {**r, "score_seconds": round(time.time() - ts, 1)}
                log(f"  mlp-rich recall N={N}: {r} ({time.time() - ts:.0f}s)")

    return {
        "protocol": "scientific",
        "dataset": "Amazon 2018 Industrial & Scientific, UniSRec processing (amazon-scientific/)",
        "n_users": int(len(users)),
        "n_items": int(n),
        "ks": list(ks),
        "methods": methods,
        "variants": variants,
        "zero_shot_aggregation": {"gamma": best_g, "tau": best_tau,
                                  "selected_on": "validation targets (ndcg@10 + recall@10)",
                                  "grid": {f"gamma={g},tau={tau}": v for (g, tau), v in val_scores.items()}},
        "recall_n": {k: v.get("recall_n") for k, v in ranker_info.items()} or cfg.recall_n,
        "recall_n_cost": recall_cost,
        "ranker": ranker_info,
        "timings": timings,
        "notes": [
            "mlp-rich is trained on the validation targets (history before it → the validation item; 85% of users, "
            "epochs chosen on the other 15%) so that its collaborative scalars (item-CF, last-item transitions, "
            "counted on the training part of each sequence) never include the example's own interaction; "
            "mlp-concat is trained on RecBole's training prefixes.",
            "Full ranking over all items; the user's history items are excluded from the ranking "
            "(0.6% of test targets repeat a history item, so this costs at most 0.006 recall).",
            "popularity/itemknn count only training interactions (each sequence up to its validation target).",
        ],
        "seconds_total": round(time.time() - t_start, 1),
    }


def _pad_histories(hists: Sequence[np.ndarray], gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Right-aligned padded histories ``(B, L)`` (pad = 0) and recency weights (0 on padding)."""
    L = max(len(h) for h in hists)
    H = np.zeros((len(hists), L), dtype=np.int64)
    W = np.zeros((len(hists), L), dtype=np.float32)
    ages = gamma ** np.arange(L - 1, -1, -1, dtype=np.float32)
    for r, h in enumerate(hists):
        H[r, L - len(h):] = h
        W[r, L - len(h):] = ages[L - len(h):]
    return H, W


def _kernel_scores(sims: np.ndarray, W: np.ndarray, tau: float | None) -> np.ndarray:
    """Batched :func:`history_scores`: sims ``(B, L, M)``, weights ``(B, L)`` (0 = padding)."""
    wsum = np.maximum(W.sum(1), 1e-12)[:, None]
    if tau is None:
        return (np.einsum("blm,bl->bm", sims, W) / wsum).astype(np.float32)
    z = np.where(W[:, :, None] > 0, sims / tau, -np.inf)
    mx = z.max(1)
    e = np.exp(z - mx[:, None, :]) * W[:, :, None]
    return (tau * (np.log(np.maximum(e.sum(1) / wsum, 1e-30)) + mx)).astype(np.float32)


def _sci_features(E, S, logpop_n, hists, cands, gamma, tau, cf=None):
    """(I, U, scalars) for candidate items ``cands`` (B, M) of users with histories ``hists``.

    Scalars: zero-shot score (the selected aggregation), cosine with the recency-weighted profile, max-sim to the
    history, cosine with the last item, mean cosine to the history, log popularity (scaled to [0, 1]); with
    ``cf = (item-item CF cosine, scaled log transition counts)``: recency-weighted item-CF score and the
    last-item → candidate transition score.
    """
    H, W = _pad_histories(hists, gamma)
    mask = W > 0
    sims = S[H[:, :, None], cands[:, None, :]]  # (B, L, M)
    U = _weighted_profiles(E, hists, gamma)
    I = E[cands]
    feats = np.empty(cands.shape + (6 if cf is None else 8,), dtype=np.float32)
    feats[..., 0] = _kernel_scores(sims, W, tau)
    if cf is not None:  # collaborative scalars from the training sequences (items are warm here)
        Scf, Tr = cf
        cfs = Scf[H[:, :, None], cands[:, None, :]]
        feats[..., 6] = np.einsum("blm,bl->bm", cfs, W) / np.maximum(W.sum(1), 1e-12)[:, None]
        feats[..., 7] = Tr[H[:, -1][:, None], cands]
    feats[..., 1] = np.einsum("bmd,bd->bm", I, U)
    feats[..., 2] = np.where(mask[:, :, None], sims, -2.0).max(1)
    feats[..., 3] = sims[:, -1, :]
    feats[..., 4] = (sims * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    feats[..., 5] = logpop_n[cands]
    return I, U, feats


def _sequence_cf(seqs: Sequence[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Item-item CF cosine (binary user x item) and scaled log1p transition counts (a → next b) from sequences."""
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    rows = np.concatenate([[u] * len(h) for u, h in enumerate(seqs)])
    R = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, np.concatenate(seqs))), shape=(len(seqs), n))
    R.data[:] = 1.0
    Rn = normalize(R, axis=0)
    Scf = (Rn.T @ Rn).toarray().astype(np.float32)
    np.fill_diagonal(Scf, 0.0)
    a = np.concatenate([h[:-1] for h in seqs if len(h) > 1])
    b = np.concatenate([h[1:] for h in seqs if len(h) > 1])
    T = sp.csr_matrix((np.ones(len(a), np.float32), (a, b)), shape=(n, n)).toarray()
    T = np.log1p(T)
    T /= max(float(T.max()), 1e-6)
    return Scf, T.astype(np.float32)


def _scientific_ranker(ds, E, S, logpop_n, zero_shot_fn, gamma, tau, feat, users, cfg, log, eval_scores, cf=None):
    """mlp-concat: train on RecBole's training prefixes (history → next item), select the epoch on validation
    targets. mlp-rich (with ``cf``): train on 85% of users' validation targets, select on the other 15%."""
    N = cfg.recall_n
    hists = ds.train_history
    targets = ds.train_target
    idx = np.arange(len(targets))
    vrng = np.random.default_rng(cfg.seed + 3)
    if cf is not None:
        perm = vrng.permutation(users)
        n_sel = max(1, len(perm) * 15 // 100)
        sel_users, fit_users = perm[:n_sel], perm[n_sel:]
        hists = [ds.valid_history[u] for u in fit_users]
        targets = ds.valid_target[fit_users]
        idx = np.arange(len(targets))
    if cfg.max_users and cf is None:
        keep = set(int(u) for u in users)
        # training rows are ordered per user in the file; approximate by rows whose first item belongs to a kept
        # user's sequence: simply subsample proportionally for CI slices
        idx = np.random.default_rng(cfg.seed).choice(idx, size=min(len(idx), 20 * len(keep)), replace=False)
    hists = [hists[i] for i in idx]
    targets = targets[idx]
    # hard-negative pools: the zero-shot top-N of each training prefix
    pools = np.zeros((len(hists), N), dtype=np.int64)
    for s in range(0, len(hists), 1024):
        hb = hists[s:s + 1024]
        zs = zero_shot_fn(hb)
        for r, h in enumerate(hb):
            zs[r, h] = -np.inf
        pools[s:s + 1024] = topk_rows(zs, N)
    n = ds.n_items

    def make_batch(bidx, rng):
        hb = [hists[i] for i in bidx]
        pos = [{int(targets[i])} for i in bidx]
        neg = _sample_negatives(pools[bidx], pos, n, cfg.negatives, rng)
        cands = np.concatenate([targets[bidx][:, None], neg], axis=1)
        return _sci_features(E, S, logpop_n, hb, cands, gamma, tau, cf)

    vusers = sel_users if cf is not None else vrng.choice(users, size=min(len(users), 1500), replace=False)

    def validate(net):
        def fn(b):
            hb = [ds.valid_history[u] for u in b]
            zs = zero_shot_fn(hb)
            for r, h in enumerate(hb):
                zs[r, h] = -np.inf
            top = topk_rows(zs, N)
            I, U, Sc = _sci_features(E, S, logpop_n, hb, top, gamma, tau, cf)
            return _rerank(zs, top, _net_scores(net, I, U, Sc))
        r = eval_scores("valid", fn, vusers)
        return r["ndcg@10"]

    net, hist = _train_ranker(feat, E.shape[1], 6 if cf is None else 8, len(hists), make_batch, validate, cfg, log,
                              f"mlp-{feat}")
    return net, hist, vusers


# ================================================================================================ entry points
_PUBLISHED: dict[str, dict[str, dict[str, float]]] = {
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

_TARGETS: dict[str, dict[str, dict[str, float]]] = {
    "scientific": {"zero-shot": {"recall@10": .1080}, "mlp-rich": {"recall@10": .13, "ndcg@10": .07}},
    "citeulike-cold": {"mlp-rich": {"recall@20": .3727, "recall@50": .5533, "recall@100": .6852}},
}


def run_protocol(name: str, data: str | Path | None = None, *, out: str | Path | None = None, encoder: Any = None,
                 log: Log | None = None, **options: Any) -> dict[str, Any]:
    """Run one protocol and return its result dict (written to ``out`` as JSON + Markdown when given).

    Args:
        name: one of :data:`PROTOCOLS`.
        data: datasets root (default ``$COLDREC_DATA`` or ``../shared/datasets``); for ``cold-items`` /
            ``cold-users`` unused (pass ``catalog=`` and ``interactions=``).
        out: folder for ``<protocol>.json`` and ``<protocol>.md``.
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
    if name != "cold-items" and name != "cold-users" and other:
        raise ColdrecError(f"unknown option(s) for protocol {name!r}: {', '.join(sorted(other))}")
    _set_threads(cfg.threads)
    t0 = time.time()
    if name == "scientific":
        res = protocol_scientific(data, encoder=encoder, cfg=cfg, log=log)
    elif name == "citeulike-cold":
        res = protocol_citeulike_cold(data, encoder=encoder, cfg=cfg, log=log)
    elif name == "ml100k-cold-users":
        res = protocol_ml100k_cold_users(data, encoder=encoder, cfg=cfg, log=log)
    else:
        res = protocol_custom(name, encoder=encoder, cfg=cfg, log=log, **other)
    enc = encoder if encoder is not None and not isinstance(encoder, str) else None
    model = getattr(enc, "name", None) or (encoder if isinstance(encoder, str) else "all-MiniLM-L6-v2 (bundled)")
    result = {
        "protocol": name,
        "dataset": res.pop("dataset"),
        "model": str(model),
        "commit": _commit(),
        "seed": cfg.seed,
        "machine": _machine(),
        "seconds": round(time.time() - t0, 1),
        "methods": res.pop("methods"),
    }
    result.update(res)
    result["config"] = asdict(cfg)
    if name in _PUBLISHED:
        result["published"] = _PUBLISHED[name]
    if name in _TARGETS:
        result["targets"] = _TARGETS[name]
    if out:
        write_results(result, out)
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


def format_table(result: dict[str, Any]) -> str:
    """Plain-text table of ``result['methods']`` (methods × metrics) for the terminal."""
    metrics = _metric_names(result)
    rows = [["method"] + metrics]
    for mname, vals in result.get("methods", {}).items():
        rows.append([mname] + [_fmt(vals.get(m)) for m in metrics])
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
    for mname, vals in result.get("methods", {}).items():
        out.append(f"| {mname} | " + " | ".join(_fmt(vals.get(m)) for m in metrics) + " |")
    for pname, vals in result.get("published", {}).items():
        out.append(f"| *{pname}* | " + " | ".join(_fmt(vals.get(m)) for m in metrics) + " |")
    for section in ("variants", "few_shot"):
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


def write_results(result: dict[str, Any], out: str | Path) -> tuple[Path, Path]:
    """Write ``out/<protocol>.json`` and ``out/<protocol>.md``; returns both paths."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    js = folder / f"{result['protocol']}.json"
    md = folder / f"{result['protocol']}.md"
    js.write_text(json.dumps(result, indent=2, default=_json_default) + "\n", encoding="utf-8")
    md.write_text(format_markdown(result), encoding="utf-8")
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


# ================================================================================================ set features
def set_features(E: np.ndarray, profiles: Sequence[np.ndarray], cand_items: np.ndarray, taus: Sequence[float | None],
                 batch: int = 256) -> dict[str, np.ndarray]:
    """Per (user, candidate) similarity features of an unordered profile (a set of item rows of ``E``).

    Returns arrays ``(n_users, n_cand)``: ``kernel:<tau>`` for each tau (None = mean cosine), ``max`` (max-sim),
    ``cos`` (cosine with the normalised mean profile). Users with an empty profile get zeros.
    """
    C = E[cand_items]
    n_u, n_c = len(profiles), len(cand_items)
    out = {f"kernel:{t}": np.zeros((n_u, n_c), np.float32) for t in taus}
    out["max"] = np.zeros((n_u, n_c), np.float32)
    out["cos"] = np.zeros((n_u, n_c), np.float32)
    for s in range(0, n_u, batch):
        idx = [i for i in range(s, min(s + batch, n_u)) if len(profiles[i])]
        if not idx:
            continue
        hists = [profiles[i] for i in idx]
        lengths = [len(h) for h in hists]
        sims = E[np.concatenate(hists)] @ C.T
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        for t in taus:
            out[f"kernel:{t}"][idx] = history_scores(sims, lengths, None, t)
        out["max"][idx] = np.maximum.reduceat(sims, starts, axis=0)
        prof = _normalize(np.stack([E[h].mean(0) for h in hists]))
        out["cos"][idx] = prof @ C.T
    return out


def _eval_matrix(scores: np.ndarray, cand_items: np.ndarray, targets: Sequence[set], ks: Sequence[int],
                 rng: np.random.Generator, exclude: Sequence[Sequence[int]] | None = None, jitter: bool = False,
                 batch: int = 1024) -> dict[str, float]:
    ev = _Evaluator(ks, cand_items, rng)
    for s in range(0, len(targets), batch):
        ev.add(scores[s:s + batch], targets[s:s + batch], None if exclude is None else exclude[s:s + batch], jitter)
    return ev.result()


def _feature_stack(feats: dict[str, np.ndarray], names: Sequence[str], rows: np.ndarray, cols: np.ndarray,
                   extra: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Gather ``(B, M, len(names))`` scalar features at (rows[b], cols[b, m]); ``extra`` are per-column arrays."""
    out = np.empty(cols.shape + (len(names),), np.float32)
    for j, nm in enumerate(names):
        if extra and nm in extra:
            out[..., j] = extra[nm][cols]
        else:
            out[..., j] = feats[nm][rows[:, None], cols]
    return out


def _train_set_ranker(feat: str, E: np.ndarray, user_vecs: np.ndarray, feats: dict[str, np.ndarray],
                      names: Sequence[str], pairs: np.ndarray, pos_sets: Sequence[set], cand_items: np.ndarray,
                      col_extra: dict[str, np.ndarray] | None, validate: Callable, cfg: EvalConfig, log: Log,
                      tag: str) -> tuple[_RankNet, list]:
    """Train on (user row, positive column) pairs; negatives from the same candidate columns (half hard: the
    user's top-``recall_n`` by the first feature, half uniform)."""
    N = min(cfg.recall_n, len(cand_items))
    zs = feats[names[0]]
    pools = topk_rows(zs, N)  # per user row
    n_c = len(cand_items)

    def make_batch(bidx, rng):
        rows = pairs[bidx, 0]
        pos = pairs[bidx, 1]
        neg = _sample_negatives(pools[rows], [pos_sets[r] for r in rows], n_c, cfg.negatives, rng)
        cols = np.concatenate([pos[:, None], neg], axis=1)
        return E[cand_items[cols]], user_vecs[rows], _feature_stack(feats, names, rows, cols, col_extra)

    return _train_ranker(feat, E.shape[1], len(names), len(pairs), make_batch, validate, cfg, log, tag)


def _rerank_set(net: _RankNet, E: np.ndarray, user_vecs: np.ndarray, feats: dict[str, np.ndarray],
                names: Sequence[str], cand_items: np.ndarray, N: int, col_extra=None,
                exclude: Sequence[Sequence[int]] | None = None, batch: int = 256) -> np.ndarray:
    """Scores (n_users, n_cand): top-N by the first feature re-ranked by ``net``, the rest in recall order."""
    zs = np.array(feats[names[0]], dtype=np.float64, copy=True)
    if exclude is not None:
        for r, ex in enumerate(exclude):
            if len(ex):
                zs[r, ex] = -np.inf
    N = min(N, zs.shape[1])
    out = np.empty_like(zs)
    for s in range(0, len(zs), batch):
        rows = np.arange(s, min(s + batch, len(zs)))
        top = topk_rows(zs[rows], N)
        ms = _net_scores(net, E[cand_items[top]], user_vecs[rows], _feature_stack(feats, names, rows, top, col_extra))
        out[rows] = _rerank(zs[rows], top, ms)
    return out


# ================================================================================================ CiteULike
def bridge_features(E: np.ndarray, pairs: np.ndarray, known: np.ndarray, profiles: Sequence[np.ndarray],
                    cand_items: np.ndarray, n_users: int, k: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Collaborative signal for cold items through their text neighbours among known (warm) items.

    Each candidate is linked to its ``k`` nearest known items by text cosine (weights = cosine). Returns
    ``bridge (n_profiles, n_cand)``: mean over the user's profile items j of sum_w cf(j, w) * text(c, w), with
    cf the item-item cosine of the interactions ``pairs`` (only known items), i.e. "people who liked your items
    also liked items that read like this one"; and ``textpop (n_cand,)``: the text-weighted mean log popularity
    of the neighbours. Only the candidates' text is used, never their interactions.
    """
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    n_items = E.shape[0]
    known = np.asarray(known)
    sims = E[cand_items] @ E[known].T
    k = min(k, len(known))
    nb = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    w = np.maximum(np.take_along_axis(sims, nb, axis=1), 0.0)
    A = sp.csr_matrix((w.ravel(), (np.repeat(np.arange(len(cand_items)), k), known[nb].ravel())),
                      shape=(len(cand_items), n_items))
    kn = np.zeros(n_items, bool)
    kn[known] = True
    pr = pairs[kn[pairs[:, 1]]]
    R = sp.csr_matrix((np.ones(len(pr), np.float32), (pr[:, 0], pr[:, 1])), shape=(n_users, n_items))
    R.data[:] = 1.0
    pop = np.asarray(R.sum(0)).ravel()
    textpop = (A @ np.log1p(pop)) / np.maximum(np.asarray(A.sum(1)).ravel(), 1e-9)
    Rn = normalize(R, axis=0)
    Q = np.asarray((Rn.T @ (Rn @ A.T)).todense(), dtype=np.float32)  # (n_items, n_cand)
    rows = np.concatenate([[r] * len(p) for r, p in enumerate(profiles)]) if len(profiles) else np.zeros(0, int)
    cols = np.concatenate(profiles) if len(profiles) else np.zeros(0, int)
    vals = np.concatenate([np.full(len(p), 1.0 / max(len(p), 1), np.float32) for p in profiles])
    P = sp.csr_matrix((vals, (rows, cols)), shape=(len(profiles), n_items))
    return np.asarray(P @ Q, dtype=np.float32), textpop.astype(np.float32)


def protocol_citeulike_cold(data: str | Path | None = None, *, encoder: Any = None, cfg: EvalConfig | None = None,
                            log: Log = _log_default) -> dict[str, Any]:
    """Heater's CiteULike-a strict cold-item protocol: rank only the 2,378 test items; titles only."""
    from .realdata import load_citeulike

    cfg = cfg or EvalConfig()
    ks = (20, 50, 100)
    t_start = time.time()
    ds = load_citeulike(data)
    rng = np.random.default_rng(cfg.seed)
    enc = get_encoder(encoder)
    t0 = time.time()
    E = embed_cached(enc, ds.titles, "citeulike-titles")
    timings = {"embedding": round(time.time() - t0, 1)}
    log(f"citeulike-cold: {ds.n_items} titles embedded/loaded in {timings['embedding']}s")
    train_items = [[] for _ in range(ds.n_users)]
    for u, i in ds.train:
        train_items[u].append(i)
    train_items = [np.array(sorted(x), dtype=np.int64) for x in train_items]

    def split_users(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[set]]:
        items = np.unique(pairs[:, 1])
        col = {int(i): c for c, i in enumerate(items)}
        by_user: dict[int, set] = {}
        for u, i in pairs:
            by_user.setdefault(int(u), set()).add(int(i))
        users = np.array(sorted(by_user), dtype=np.int64)
        if cfg.max_users and len(users) > cfg.max_users:
            users = np.sort(np.random.default_rng(cfg.seed).choice(users, cfg.max_users, replace=False))
        del col
        return items, users, [by_user[int(u)] for u in users]

    test_items, test_users, test_targets = split_users(ds.test)
    vali_items, vali_users, vali_targets = split_users(ds.vali)
    log(f"  {len(test_users)} test users x {len(test_items)} test items; {len(vali_users)} vali users x "
        f"{len(vali_items)} vali items")
    taus = (None, 0.2, 0.1, 0.05)
    t0 = time.time()
    fv = set_features(E, [train_items[u] for u in vali_users], vali_items, taus)
    ft = set_features(E, [train_items[u] for u in test_users], test_items, taus)
    timings["features"] = round(time.time() - t0, 1)
    methods: dict[str, dict[str, float]] = {}
    variants: dict[str, dict[str, float]] = {}
    want = set(cfg.methods)
    ev = lambda sc, split="test", jitter=False: _eval_matrix(  # noqa: E731
        sc, test_items if split == "test" else vali_items, test_targets if split == "test" else vali_targets, ks,
        np.random.default_rng(cfg.seed), jitter=jitter)
    if "random" in want:
        methods["random"] = ev(rng.random((len(test_users), len(test_items))))
    if "popularity" in want:
        pop = np.bincount(ds.train[:, 1], minlength=ds.n_items)[test_items].astype(np.float64)
        methods["popularity"] = ev(np.tile(pop, (len(test_users), 1)), jitter=True)
    if "tfidf" in want:
        t = time.time()
        X = _tfidf(ds.titles)
        Uv = _rows_mean_sparse(X, [train_items[u] for u in test_users])
        methods["tfidf"] = ev((Uv @ X[test_items].T).toarray())
        timings["tfidf"] = round(time.time() - t, 1)
    # zero-shot: pick the aggregation on vali
    val = {f"kernel:{t}": ev(fv[f"kernel:{t}"], "vali") for t in taus}
    val["max"] = ev(fv["max"], "vali")
    for k, v in val.items():
        log(f"  zero-shot vali {k}: {v}")
    best = max(val, key=lambda k: sum(val[k][f"recall@{x}"] for x in ks))
    for k in list(val):
        variants[k.replace("kernel:None", "mean-cosine")] = ev(ft[k])
    if "zero-shot" in want:
        methods["zero-shot"] = variants[best.replace("kernel:None", "mean-cosine")]
        log(f"  zero-shot ({best}): {methods['zero-shot']}")
    names = [best] + [k for k in [f"kernel:{t}" for t in taus] + ["max", "cos"] if k != best]

    # --- trained rankers on pseudo-cold warm items (never the vali/test items)
    warm = ds.split_items("train")
    ranker_info: dict[str, Any] = {}
    if "mlp-concat" in want or "mlp-rich" in want:
        t = time.time()
        zr = np.random.default_rng(cfg.seed + 11)
        Z = np.sort(zr.choice(warm, size=min(2400, len(warm) // 4), replace=False))
        zset = set(Z.tolist())
        users_all = np.arange(ds.n_users)
        if cfg.max_users:
            users_all = np.sort(zr.choice(users_all, min(len(users_all), cfg.max_users), replace=False))
        zcol = {int(i): c for c, i in enumerate(Z)}
        prof = [np.array([i for i in train_items[u] if int(i) not in zset], dtype=np.int64) for u in users_all]
        pos_sets = [set(zcol[int(i)] for i in train_items[u] if int(i) in zset) for u in users_all]
        pairs = np.array([(r, c) for r, ps in enumerate(pos_sets) if len(prof[r]) for c in ps], dtype=np.int64)
        fz = set_features(E, prof, Z, taus)
        if "mlp-rich" in want:
            # collaborative bridge features; in training the pseudo-cold items' interactions are hidden too
            known_z = np.setdiff1d(warm, Z)
            zb, zp = bridge_features(E, ds.train[~np.isin(ds.train[:, 1], Z)], known_z, prof, Z, ds.n_users)
            vb, vp = bridge_features(E, ds.train, warm, [train_items[u] for u in vali_users], vali_items, ds.n_users)
            tb, tp = bridge_features(E, ds.train, warm, [train_items[u] for u in test_users], test_items, ds.n_users)
            sb = float(zb.std()) or 1.0
            sz = float(fz[best].std()) or 1.0
            sp_ = float(zp.max()) or 1.0
            for f_, b_, p_ in ((fz, zb, zp), (fv, vb, vp), (ft, tb, tp)):
                f_["bridge"] = b_ / sb
                f_["textpop"] = np.broadcast_to((p_ / sp_)[None, :], b_.shape)
            # hybrid recall score = zero-shot + a * bridge (both scaled by their training std); a chosen on vali
            hv = {a: ev(fv[best] / sz + a * fv["bridge"], "vali") for a in (0.5, 1.0, 2.0)}
            a_best = max(hv, key=lambda a: sum(hv[a][f"recall@{x}"] for x in ks))
            for f_ in (fz, fv, ft):
                f_["hybrid"] = f_[best] / sz + a_best * f_["bridge"]
            variants["bridge (k=20 text neighbours, no MLP)"] = ev(ft["bridge"])
            variants[f"zero-shot + {a_best} x bridge (no MLP)"] = ev(ft["hybrid"])
            log(f"  hybrid a={a_best}: {variants[f'zero-shot + {a_best} x bridge (no MLP)']}")
            timings["bridge-features"] = round(time.time() - t, 1)
        uz = _normalize(np.stack([E[p].mean(0) if len(p) else np.zeros(E.shape[1], np.float32) for p in prof]))
        uv = _normalize(np.stack([E[train_items[u]].mean(0) for u in vali_users]))
        ut = _normalize(np.stack([E[train_items[u]].mean(0) for u in test_users]))
        timings["ranker-features"] = round(time.time() - t, 1)
        log(f"  pseudo-cold training: {len(Z)} warm items held out, {len(pairs)} pairs ({time.time() - t:.0f}s)")
        for feat in ("concat", "rich"):
            name = f"mlp-{feat}"
            if name not in want:
                continue
            t = time.time()
            fnames = (["hybrid"] + names + ["bridge", "textpop"]) if feat == "rich" else names

            def validate(net, fnames=fnames):
                sc = _rerank_set(net, E, uv, fv, fnames, vali_items, cfg.recall_n)
                return ev(sc, "vali")["recall@20"]

            import dataclasses

            fcfg = dataclasses.replace(cfg, skip_init=min(cfg.skip_init, 1.0), standardize=True) \
                if feat == "rich" else cfg
            net, hist = _train_set_ranker(feat, E, uz, fz, fnames, pairs, pos_sets, Z, None, validate, fcfg, log, name)
            ts = time.time()
            methods[name] = ev(_rerank_set(net, E, ut, ft, fnames, test_items, cfg.recall_n))
            ranker_info[name] = {"epochs": hist, "score_seconds": round(time.time() - ts, 1)}
            timings[name] = round(time.time() - t, 1)
            log(f"  {name}: {methods[name]}")
    return {
        "dataset": "CiteULike-a titles, Heater/DropoutNet cold-item split (citeulike-a/heater-split/)",
        "methods": methods,
        "variants": variants,
        "n_users": int(len(test_users)),
        "n_items": int(len(test_items)),
        "ks": list(ks),
        "zero_shot_aggregation": {"selected": best, "selected_on": "vali (sum of recall@20/50/100)", "grid": val},
        "recall_n": cfg.recall_n,
        "ranker": ranker_info,
        "timings": timings,
        "notes": [
            "Item text is the title only (tags are user-generated and would leak; abstracts are unavailable).",
            "Published rows used title+abstract bag-of-words, i.e. more item text than we have.",
            "popularity: every test item has 0 training interactions, so it is random order (ties broken at random).",
            "itemknn is not applicable: the ranked items have no interactions.",
            "Rankers are trained on warm items: a seeded 2,400 warm items act as pseudo-cold targets, the user's "
            "other training items form the profile; epochs are chosen on vali; vali/test items are never seen.",
            "mlp-rich adds two collaborative scalars that use only the cold item's title: 'bridge' (item-CF from the "
            "user's items to the 20 warm items whose titles are closest to the candidate) and 'textpop' (their mean "
            "log popularity); in training they are computed with the pseudo-cold items' interactions hidden. Its "
            "recall (and residual start) is the hybrid zero-shot + a x bridge, a chosen on vali.",
        ],
        "seconds_total": round(time.time() - t_start, 1),
    }


# ================================================================================================ MovieLens
def user_folds(users: np.ndarray, n_folds: int = 5, seed: int = 0) -> list[np.ndarray]:
    """Seeded partition of ``users`` into ``n_folds`` disjoint test folds (the rest of each is training)."""
    return [np.sort(f) for f in np.array_split(np.random.default_rng(seed).permutation(np.asarray(users)), n_folds)]


SHOTS: tuple[int, ...] = (0, 1, 3, 5)


def _neighbour_popularity(D: np.ndarray, Rm, train_users: np.ndarray, k: int = 50) -> np.ndarray:
    """Per user, scaled log counts of positives among the ``k`` training users with the most similar text.

    A user is never their own neighbour, so training users' features do not contain their own positives.
    """
    sims = D @ D[train_users].T
    pos_in_train = {int(u): j for j, u in enumerate(train_users)}
    for u, j in pos_in_train.items():
        sims[u, j] = -np.inf
    k = min(k, max(1, len(train_users) - 1))
    nb = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    w = np.maximum(np.take_along_axis(sims, nb, axis=1), 0.0)
    Rt = Rm[train_users].toarray()
    out = np.stack([w[u] @ Rt[nb[u]] for u in range(len(D))])
    out = np.log1p(out)
    return (out / max(float(out.max()), 1e-6)).astype(np.float32)


def _ml_feats(E: np.ndarray, D: np.ndarray, Sim: np.ndarray, logpop_n: np.ndarray, users: np.ndarray,
              liked: Sequence[np.ndarray], cands: np.ndarray, desc_weight: float = 0.5,
              dpop: np.ndarray | None = None, base: tuple[float, float, float] = (0.0, 0.0, 1.0)):
    """(I, U, scalars) for MovieLens users = demographic vector ``D[u]`` + optional liked items.

    Scalars: the residual base (log popularity + alpha * neighbour popularity + beta * item-CF / kstd; first, so
    mlp-rich starts from that order), cosine(item, profile),
    cosine(item, demographic text), max-sim to liked, item-CF score from liked (mean co-occurrence cosine),
    has-liked flag, popularity among the training users with the most similar text (``dpop``), log popularity.
    """
    B = len(users)
    U = _ml_profiles(E, D, users, liked, desc_weight)
    I = E[cands]
    f = np.zeros(cands.shape + (8,), np.float32)
    f[..., 7] = logpop_n[cands]
    if dpop is not None:
        f[..., 6] = dpop[users[:, None], cands]
    f[..., 1] = np.einsum("bmd,bd->bm", I, U)
    f[..., 2] = np.einsum("bmd,bd->bm", I, D[users])
    for r in range(B):
        if len(liked[r]):
            f[r, :, 3] = (E[liked[r]] @ I[r].T).max(0)
            f[r, :, 4] = Sim[liked[r]][:, cands[r]].mean(0)
            f[r, :, 5] = 1.0
    alpha, beta, kstd = base  # residual base: log popularity + alpha * neighbour popularity + beta * item-CF
    f[..., 0] = f[..., 7] + alpha * f[..., 6] + beta * f[..., 4] / kstd
    return I, U, f


def _ml_profiles(E, D, users, liked, desc_weight=0.5):
    U = np.empty((len(users), E.shape[1]), np.float32)
    for r, u in enumerate(users):
        if len(liked[r]):
            U[r] = _normalize(E[liked[r]].mean(0)) + desc_weight * D[u]
        else:
            U[r] = D[u]
    return _normalize(U)


def protocol_ml100k_cold_users(data: str | Path | None = None, *, encoder: Any = None,
                               cfg: EvalConfig | None = None, log: Log = _log_default) -> dict[str, Any]:
    """MovieLens-100K new users: 5 seeded folds over users; demographic text only (+ few-shot liked items)."""
    from .realdata import load_movielens100k

    import dataclasses

    cfg = cfg or EvalConfig()
    # smaller rankers here: 10 trainings (5 folds x 2 feature sets) must fit the CPU budget; mlp-rich starts
    # from the popularity order (its first scalar is log popularity, residual weight skip_init)
    cfg = dataclasses.replace(cfg, hidden=min(cfg.hidden, 64), negatives=min(cfg.negatives, 16),
                              max_examples=min(cfg.max_examples, 6000), skip_init=min(cfg.skip_init, 1.0),
                              standardize=True)
    ks = (10,)
    t_start = time.time()
    ds = load_movielens100k(data)
    n = ds.n_items
    enc = get_encoder(encoder)
    t0 = time.time()
    E = embed_cached(enc, ds.item_texts, "ml100k-items")
    D = embed_cached(enc, ds.user_texts(), "ml100k-users")
    timings: dict[str, float] = {"embedding": round(time.time() - t0, 1)}
    R = ds.ratings
    posR = R[R[:, 2] >= 4]
    user_pos = [[] for _ in range(ds.n_users)]
    for u, i in posR[:, :2]:
        user_pos[u].append(i)
    user_pos = [np.array(x, dtype=np.int64) for x in user_pos]
    rng = np.random.default_rng(cfg.seed)
    all_users = np.arange(ds.n_users)
    if cfg.max_users:
        all_users = np.sort(rng.choice(all_users, min(cfg.max_users, ds.n_users), replace=False))
    folds = user_folds(all_users, 5, cfg.seed)
    want = set(cfg.methods)
    # accumulators per (shot, method)
    acc: dict[tuple[int, str], MetricAccumulator] = {}

    def add(shot: int, method: str, scores: np.ndarray, targets, exclude, jitter=False) -> None:
        key = (shot, method)
        if key not in acc:
            acc[key] = MetricAccumulator(ks)
        sc = np.array(scores, dtype=np.float64, copy=True)
        if jitter:
            sc += rng.random(sc.shape) * 1e-9
        for r, ex in enumerate(exclude):
            if len(ex):
                sc[r, ex] = -np.inf
        acc[key].add(topk_rows(sc, max(ks)), targets)

    X_items = X_users = None
    if "tfidf" in want:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(sublinear_tf=True).fit(ds.item_texts + ds.user_texts())
        X_items = vec.transform(ds.item_texts)
        X_users = vec.transform(ds.user_texts())
    ranker_info: dict[str, list] = {"mlp-concat": [], "mlp-rich": []}
    n_test_users = {s: 0 for s in SHOTS}
    for fold, test_users in enumerate(folds):
        tf = time.time()
        test_set = set(test_users.tolist())
        train_users = np.array([u for u in all_users if u not in test_set])
        trR = posR[np.isin(posR[:, 0], train_users)]
        pop = np.bincount(trR[:, 1], minlength=n).astype(np.float64)
        logpop_n = (np.log1p(pop) / max(np.log1p(pop).max(), 1e-6)).astype(np.float32)
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize as sk_normalize

        Rm = sp.csr_matrix((np.ones(len(trR), np.float32), (trR[:, 0], trR[:, 1])), shape=(ds.n_users, n))
        Rn = sk_normalize(Rm, axis=0)
        Sim = (Rn.T @ Rn).toarray().astype(np.float32)
        np.fill_diagonal(Sim, 0.0)
        dpop = _neighbour_popularity(D, Rm, train_users)
        # --- trained rankers (one per fold and feature set; shots drawn at random during training)
        nets = {}
        if "mlp-concat" in want or "mlp-rich" in want:
            frng = np.random.default_rng(cfg.seed + 100 + fold)
            inner = frng.permutation(train_users)
            n_val = max(1, len(inner) // 10)
            val_users, fit_users = inner[:n_val], inner[n_val:]
            pairs = np.array([(u, i) for u in fit_users for i in user_pos[u]], dtype=np.int64)

            def draw_liked(u, pos_item, r):
                s = SHOTS[r.integers(len(SHOTS))]
                pool = user_pos[u][user_pos[u] != pos_item]
                return r.choice(pool, size=min(s, len(pool)), replace=False) if s and len(pool) else \
                    np.zeros(0, np.int64)

            def make_batch(bidx, r):
                bidx = r.integers(0, len(pairs), size=len(bidx))  # with replacement: epochs are samples
                us, ps = pairs[bidx, 0], pairs[bidx, 1]
                liked = [draw_liked(u, p, r) for u, p in zip(us, ps)]
                pos_sets = [set(user_pos[u].tolist()) for u in us]
                # uniform negatives only: hard negatives from the popular head would teach "popular = negative"
                neg = _sample_negatives(np.zeros((len(us), 0), np.int64), pos_sets, n, cfg.negatives, r)
                cands = np.concatenate([ps[:, None], neg], axis=1)
                return _ml_feats(E, D, Sim, logpop_n, us, liked, cands, dpop=dpop, base=base)

            vr = np.random.default_rng(cfg.seed + 5)
            val_sets = []
            for s in (0, 3):
                vu = [u for u in val_users if len(user_pos[u]) > s]
                lk = [vr.choice(user_pos[u], s, replace=False) if s else np.zeros(0, np.int64) for u in vu]
                val_sets.append((np.array(vu, dtype=np.int64), lk))

            # residual base chosen on the inner validation users: alpha on 0-shot, beta on 3-shot
            kr = np.random.default_rng(cfg.seed + 7)
            ks_users = [u for u in fit_users if len(user_pos[u]) > 3][:200]
            kstd = float(np.std([Sim[kr.choice(user_pos[u], 3, replace=False)].mean(0) for u in ks_users])) or 1.0

            def base_val(shot_idx, alpha, beta):
                vu, lk = val_sets[shot_idx]
                sc = logpop_n[None, :] + alpha * dpop[vu] + beta * (
                    np.stack([Sim[l].mean(0) for l in lk]) / kstd if len(lk) and len(lk[0]) else 0.0)
                return _eval_matrix(sc, np.arange(n), [set(user_pos[u].tolist()) - set(l_.tolist())
                                                       for u, l_ in zip(vu, lk)], ks, np.random.default_rng(0),
                                    exclude=lk, jitter=True)["ndcg@10"]

            alpha = max((0.0, 0.25, 0.5, 1.0, 2.0), key=lambda a: base_val(0, a, 0.0))
            beta = max((0.0, 0.25, 0.5, 1.0, 2.0), key=lambda b: base_val(1, alpha, b))
            base = (alpha, beta, kstd)
            ranker_info.setdefault("base", []).append({"alpha": alpha, "beta": beta})
            log(f"  fold {fold + 1} residual base: alpha={alpha} beta={beta}")

            def validate(net):
                tot = 0.0
                for vu, lk in val_sets:
                    a = MetricAccumulator(ks)
                    cand = np.tile(np.arange(n), (len(vu), 1))
                    sc = _net_scores(net, *_ml_feats(E, D, Sim, logpop_n, vu, lk, cand, dpop=dpop,
                                                     base=base)).astype(np.float64)
                    for r_, l_ in enumerate(lk):
                        sc[r_, l_] = -np.inf
                    a.add(topk_rows(sc, 10), [set(user_pos[u].tolist()) - set(l_.tolist()) for u, l_ in zip(vu, lk)])
                    tot += a.result()["ndcg@10"]
                return tot / len(val_sets)

            n_ex = min(len(pairs), 12000)
            for feat in ("concat", "rich"):
                if f"mlp-{feat}" in want:
                    net, hist = _train_ranker(feat, E.shape[1], 8, n_ex, make_batch, validate, cfg, log,
                                              f"fold {fold + 1} mlp-{feat}")
                    nets[f"mlp-{feat}"] = net
                    ranker_info[f"mlp-{feat}"].append(hist)
        # --- evaluation per shot
        erng = np.random.default_rng(cfg.seed + 1000 + fold)
        for s in SHOTS:
            us = np.array([u for u in test_users if len(user_pos[u]) > s], dtype=np.int64)
            if not len(us):
                continue
            liked = [erng.choice(user_pos[u], s, replace=False) if s else np.zeros(0, np.int64) for u in us]
            targets = [set(user_pos[u].tolist()) - set(l.tolist()) for u, l in zip(us, liked)]
            n_test_users[s] += len(us)
            B = len(us)
            if "random" in want:
                add(s, "random", rng.random((B, n)), targets, liked)
            if "popularity" in want:
                add(s, "popularity", np.tile(pop, (B, 1)), targets, liked, jitter=True)
            if "tfidf" in want:
                if s == 0:
                    tsc = (X_users[us] @ X_items.T).toarray()
                else:
                    tsc = (_rows_mean_sparse(X_items, liked) @ X_items.T).toarray()
                add(s, "tfidf", tsc, targets, liked, jitter=True)
            if "itemknn" in want and s > 0:
                add(s, "itemknn", np.stack([Sim[l].sum(0) for l in liked]), targets, liked, jitter=True)
            if "zero-shot" in want:
                add(s, "zero-shot", _ml_profiles(E, D, us, liked) @ E.T, targets, liked)
            if s == 0:
                add(s, "demo-knn", dpop[us], targets, liked, jitter=True)
            cand = np.tile(np.arange(n), (B, 1))
            for name, net in nets.items():
                add(s, name, _net_scores(net, *_ml_feats(E, D, Sim, logpop_n, us, liked, cand, dpop=dpop, base=base)),
                    targets, liked)
        log(f"  fold {fold + 1}/5 done in {time.time() - tf:.0f}s")
    few_shot: dict[str, dict[str, dict[str, float]]] = {}
    methods: dict[str, dict[str, float]] = {}
    for (s, m), a in sorted(acc.items()):
        if s == 0:
            methods[m] = a.result()
        else:
            few_shot.setdefault(f"{s}-shot", {})[m] = a.result()
    variants = {"popularity among the 50 training users with the closest demographic text (no MLP)":
                methods.pop("demo-knn")} if "demo-knn" in methods else {}
    order = [m for m in METHODS if m in methods]
    methods = {m: methods[m] for m in order}
    for k in few_shot:
        few_shot[k] = {m: few_shot[k][m] for m in METHODS if m in few_shot[k]}
    for s, block in [(0, methods)] + [(int(k.split("-")[0]), v) for k, v in few_shot.items()]:
        for m, v in block.items():
            log(f"  {s}-shot {m}: {v}")
    return {
        "dataset": "MovieLens 100K (movielens-100k/), 5 seeded folds over users",
        "methods": methods,
        "few_shot": few_shot,
        "variants": variants,
        "n_users": {f"{s}-shot": n_test_users[s] for s in SHOTS},
        "n_items": int(n),
        "ks": list(ks),
        "recall_n": int(n),
        "ranker": {k: v for k, v in ranker_info.items() if v},  # per fold: epoch logs; base = residual start
        "timings": timings,
        "notes": [
            "Test users are described only by demographic text such as 'a 24-year-old male technician'.",
            "Positives are ratings >= 4; users with no positive (or no more than the shot count) are skipped.",
            "Few-shot: 1/3/5 random positives are given as liked items, excluded from the ranking and the targets.",
            "The rankers score all 1,682 items (recall N = all): cosine recall from demographics alone is too weak "
            "to pre-filter.",
            "mlp-rich scalars (standardised): a residual base = log popularity + alpha x neighbour popularity + beta x "
            "item-CF (alpha, beta chosen per fold on 10% inner-validation training users; epoch 0 = that order), "
            "log popularity, cosine(item, profile), "
            "cosine(item, demographic text), max-sim to liked items, item-CF score from liked items, has-liked flag, "
            "popularity among the 50 training users whose demographic text is closest (never the user itself). One ranker per fold is trained with "
            "0/1/3/5 shots drawn at random; epochs chosen on 10% of the training users.",
            "itemknn needs at least one liked item, so it appears only in the few-shot rows.",
        ],
        "seconds_total": round(time.time() - t_start, 1),
    }


# ================================================================================================ custom files
def split_cold(ids: Sequence, fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of distinct ``ids`` into (warm, cold); ``cold`` has ``round(fraction * n)`` ids (>= 1)."""
    if not 0.0 < fraction < 1.0:
        raise ColdrecError(f"cold fraction must be in (0, 1), got {fraction!r}")
    ids = np.unique(np.asarray(list(ids)))
    if len(ids) < 2:
        raise ColdrecError(f"need at least 2 distinct ids to hold some out as cold, got {len(ids)}")
    n_cold = min(len(ids) - 1, max(1, int(round(fraction * len(ids)))))
    perm = np.random.default_rng(seed).permutation(len(ids))
    return np.sort(ids[perm[n_cold:]]), np.sort(ids[perm[:n_cold]])


def _read_user_texts(users: Any, user_col: str | None, text_col: str | None) -> dict[str, str]:
    import pandas as pd

    if isinstance(users, pd.DataFrame):
        df = users
    else:
        from .catalog import read_table

        df = read_table(users)[0]
    lower = {str(c).lower(): c for c in df.columns}
    uc = user_col or next((lower[c] for c in ("user_id", "user", "uid", "userid") if c in lower), None)
    tc = text_col or next((lower[c] for c in ("description", "text", "profile", "bio", "about") if c in lower), None)
    for what, col in (("user id", uc), ("user text", tc)):
        if col is None or col not in df.columns:
            raise ColdrecError(f"the users file has no {what} column{f' {col!r}' if col else ''}; its columns are: "
                               f"{', '.join(map(str, df.columns))}")
    return {str(u): ("" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t))
            for u, t in zip(df[uc], df[tc])}


def protocol_custom(name: str, *, catalog: Any = None, interactions: Any = None, columns: Any = None,
                    users: Any = None, user_text_col: str | None = None, user_col: str | None = None,
                    item_col: str | None = None, rating_col: str | None = None, time_col: str | None = None,
                    positive_threshold: float | None = None, cold_fraction: float = 0.2, shots: int | None = None,
                    encoder: Any = None, cfg: EvalConfig | None = None, log: Log = _log_default) -> dict[str, Any]:
    """``cold-items`` / ``cold-users`` on an analyst's own catalog + interaction log.

    cold-items: a seeded ``cold_fraction`` of the interacted items is held out; their interactions are hidden
    from training; each user with a held-out positive and at least one warm positive ranks only the held-out
    items from a profile of their warm items. cold-users: a seeded ``cold_fraction`` of users is held out; each
    is described by their text (``users`` file) and/or ``shots`` liked items (default 0 with text, else 3); they
    rank all items.

    Raises:
        ColdrecError: missing files, unknown columns, or too little data — with what to pass instead.
    """
    from .catalog import load_catalog
    from .interactions import load_interactions

    if name not in ("cold-items", "cold-users"):
        raise ColdrecError(f"protocol_custom runs cold-items or cold-users, not {name!r}")
    for opt, val in (("--catalog", catalog), ("--interactions", interactions)):
        if val is None:
            raise ColdrecError(f"protocol {name!r} needs {opt} FILE (the {opt[2:]} of your own data); the published "
                               "protocols are scientific, citeulike-cold and ml100k-cold-users")
        if isinstance(val, (str, Path)) and not Path(val).is_file():
            raise ColdrecError(f"{opt} file not found: {val}")
    cfg = cfg or EvalConfig()
    ks = (10, 20, 50)
    t_start = time.time()
    cat = load_catalog(catalog, columns)
    ids = [str(x) for x in cat.items["item_id"].tolist()]
    texts = cat.items["text"].astype(str).tolist()
    row = {x: r for r, x in enumerate(ids)}
    ilog = load_interactions(interactions, known_items=ids, user_col=user_col, item_col=item_col,
                             rating_col=rating_col, time_col=time_col, positive_threshold=positive_threshold)
    posf = ilog.positives
    if len(posf) < 10:
        raise ColdrecError(f"the interaction log has only {len(posf)} positive row(s) on catalog items; at least 10 "
                           "are needed to hold some out (check --rating-col / the positive threshold and that item "
                           "ids match the catalog's id column)")
    warnings = list(cat.report.warnings if hasattr(cat.report, "warnings") else []) + list(ilog.warnings)
    pu = posf["user_id"].astype(str).to_numpy()
    pi = np.array([row[x] for x in posf["item_id"].astype(str)], dtype=np.int64)
    uids, uidx = np.unique(pu, return_inverse=True)
    n_items = len(ids)
    user_pos = [[] for _ in range(len(uids))]
    for u, i in zip(uidx, pi):
        user_pos[u].append(i)
    user_pos = [np.array(x, dtype=np.int64) for x in user_pos]  # in log (time) order
    enc = get_encoder(encoder)
    t0 = time.time()
    E = embed_cached(enc, texts, f"custom-{cat.name}")
    timings = {"embedding": round(time.time() - t0, 1)}
    rng = np.random.default_rng(cfg.seed)
    want = set(cfg.methods)
    methods: dict[str, dict[str, float]] = {}
    notes = [f"{name}: seeded {cold_fraction:.0%} of the {'interacted items' if name == 'cold-items' else 'users'} "
             f"held out (seed {cfg.seed}); {len(posf)} positive rows of {ilog.rows_read} read (a rating column, if "
             "any, is thresholded: >= 4 on a 1-5 scale, else >= 1)."]
    ranker_info: dict[str, Any] = {}

    if name == "cold-items":
        warm, cold = split_cold(np.unique(pi), cold_fraction, cfg.seed)
        cold_set = set(cold.tolist())
        prof = [np.array([i for i in p if i not in cold_set], dtype=np.int64) for p in user_pos]
        tgt = [set(int(i) for i in p if i in cold_set) for p in user_pos]
        test_users = np.array([u for u in range(len(uids)) if tgt[u] and len(prof[u])], dtype=np.int64)
        if cfg.max_users and len(test_users) > cfg.max_users:
            test_users = np.sort(rng.choice(test_users, cfg.max_users, replace=False))
        if not len(test_users):
            raise ColdrecError("no user has both a held-out (cold) item and a warm item; cold-items needs users with "
                               "several positives — use more interactions or a larger --cold-fraction")
        ccol = {int(i): c for c, i in enumerate(cold)}
        targets = [set(ccol[i] for i in tgt[u]) for u in test_users]
        taus = (None, 0.1)
        ft = set_features(E, [prof[u] for u in test_users], cold, taus)
        ev = lambda sc, jitter=False: _eval_matrix(sc, np.arange(len(cold)), targets, ks,  # noqa: E731
                                                   np.random.default_rng(cfg.seed), jitter=jitter)
        if "random" in want:
            methods["random"] = ev(rng.random((len(test_users), len(cold))))
        if "popularity" in want:
            pop = np.zeros(n_items)
            for p in prof:
                np.add.at(pop, p, 1)
            methods["popularity"] = ev(np.tile(pop[cold], (len(test_users), 1)), jitter=True)
            notes.append("popularity: held-out items have no training interactions, so it is random order.")
        if "tfidf" in want:
            X = _tfidf(texts)
            methods["tfidf"] = ev((_rows_mean_sparse(X, [prof[u] for u in test_users]) @ X[cold].T).toarray())
        notes.append("itemknn is not applicable: the ranked items are cold.")
        zs_name = "kernel:0.1"
        if "zero-shot" in want:
            methods["zero-shot"] = ev(ft[zs_name])
        names = [zs_name, "kernel:None", "max", "cos"]
        if ("mlp-concat" in want or "mlp-rich" in want) and len(warm) >= 10:
            zr = np.random.default_rng(cfg.seed + 11)
            wperm = zr.permutation(warm)
            n_z = max(1, len(warm) // 5)
            Z, Zv = np.sort(wperm[:n_z]), np.sort(wperm[n_z:2 * n_z])
            hide = set(Z.tolist()) | set(Zv.tolist())
            p2 = [np.array([i for i in p if i not in hide], dtype=np.int64) for p in prof]
            zc = {int(i): c for c, i in enumerate(Z)}
            vc = {int(i): c for c, i in enumerate(Zv)}
            pos_sets = [set(zc[int(i)] for i in p if int(i) in zc) for p in prof]
            pairs = np.array([(r, c) for r, ps in enumerate(pos_sets) if len(p2[r]) for c in ps], dtype=np.int64)
            vus = [r for r in range(len(prof)) if len(p2[r]) and any(int(i) in vc for i in prof[r])]
            if len(pairs) and vus:
                fz = set_features(E, p2, Z, taus)
                fv = set_features(E, [p2[r] for r in vus], Zv, taus)
                vt = [set(vc[int(i)] for i in prof[r] if int(i) in vc) for r in vus]
                mean_vec = lambda ps: _normalize(np.stack([E[p].mean(0) if len(p) else  # noqa: E731
                                                           np.zeros(E.shape[1], np.float32) for p in ps]))
                uz, uv, ut = mean_vec(p2), mean_vec([p2[r] for r in vus]), mean_vec([prof[u] for u in test_users])
                for feat in ("concat", "rich"):
                    nm = f"mlp-{feat}"
                    if nm not in want:
                        continue
                    validate = lambda net: _eval_matrix(  # noqa: E731
                        _rerank_set(net, E, uv, fv, names, Zv, cfg.recall_n), np.arange(len(Zv)), vt, (20,),
                        np.random.default_rng(0))["recall@20"]
                    net, hist = _train_set_ranker(feat, E, uz, fz, names, pairs, pos_sets, Z, None, validate, cfg,
                                                  log, nm)
                    methods[nm] = ev(_rerank_set(net, E, ut, ft, names, cold, cfg.recall_n))
                    ranker_info[nm] = {"epochs": hist}
            else:
                notes.append("too few warm interactions to train the rankers; mlp rows are missing.")
        n_users, n_ranked = len(test_users), len(cold)
    else:
        user_text: dict[str, str] = {}
        if users is not None:
            user_text = _read_user_texts(users, user_col, user_text_col)
        has_text = bool(user_text) and any(user_text.get(str(u), "").strip() for u in uids)
        if shots is None:
            shots = 0 if has_text else 3
        if not has_text and shots == 0:
            raise ColdrecError("cold-users with --shots 0 needs a text per user: pass a users file with a user id and a "
                               "description column (users=..., user_text_col=...), or give each cold user a few "
                               "liked items with shots=N")
        if not has_text:
            notes.append(f"no user text given: each cold user is described by {shots} liked item(s) only.")
        D = embed_cached(enc, [user_text.get(str(u), "") for u in uids], f"custom-users-{cat.name}") if has_text \
            else np.zeros((len(uids), E.shape[1]), np.float32)
        warm_u, cold_u = split_cold(np.arange(len(uids)), cold_fraction, cfg.seed)
        test_users = np.array([u for u in cold_u if len(user_pos[u]) > shots], dtype=np.int64)
        if cfg.max_users and len(test_users) > cfg.max_users:
            test_users = np.sort(rng.choice(test_users, cfg.max_users, replace=False))
        if not len(test_users):
            raise ColdrecError(f"no held-out user has more than {shots} positive(s); lower shots or add interactions")
        trR = np.array([(u, i) for u in warm_u for i in user_pos[u]], dtype=np.int64).reshape(-1, 2)
        pop = np.bincount(trR[:, 1], minlength=n_items).astype(np.float64)
        logpop_n = (np.log1p(pop) / max(np.log1p(pop).max(), 1e-6)).astype(np.float32)
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize as sk_normalize

        Rm = sp.csr_matrix((np.ones(len(trR), np.float32), (trR[:, 0], trR[:, 1])), shape=(len(uids), n_items))
        Rm.data[:] = 1.0
        Rn = sk_normalize(Rm, axis=0)
        Sim = (Rn.T @ Rn).toarray().astype(np.float32)
        np.fill_diagonal(Sim, 0.0)
        erng = np.random.default_rng(cfg.seed + 1000)
        liked = [erng.choice(user_pos[u], shots, replace=False) if shots else np.zeros(0, np.int64)
                 for u in test_users]
        targets = [set(user_pos[u].tolist()) - set(l.tolist()) for u, l in zip(test_users, liked)]
        B = len(test_users)
        ev = lambda sc, jitter=False: _eval_matrix(sc, np.arange(n_items), targets, ks,  # noqa: E731
                                                   np.random.default_rng(cfg.seed), exclude=liked, jitter=jitter)
        if "random" in want:
            methods["random"] = ev(rng.random((B, n_items)))
        if "popularity" in want:
            methods["popularity"] = ev(np.tile(pop, (B, 1)), jitter=True)
        if "tfidf" in want:
            from sklearn.feature_extraction.text import TfidfVectorizer

            utexts = [user_text.get(str(uids[u]), "") for u in test_users]
            vec = TfidfVectorizer(sublinear_tf=True).fit(texts + utexts)
            Xi = vec.transform(texts)
            sc = (vec.transform(utexts) @ Xi.T).toarray() if has_text else 0.0
            if shots:
                sc = sc + (_rows_mean_sparse(Xi, liked) @ Xi.T).toarray()
            methods["tfidf"] = ev(np.asarray(sc) + np.zeros((B, n_items)), jitter=True)
        if "itemknn" in want:
            if shots:
                methods["itemknn"] = ev(np.stack([Sim[l].sum(0) for l in liked]), jitter=True)
            else:
                notes.append("itemknn needs liked items (shots > 0); not run.")
        if "zero-shot" in want:
            methods["zero-shot"] = ev(_ml_profiles(E, D, test_users, liked) @ E.T)
        if "mlp-concat" in want or "mlp-rich" in want:
            import dataclasses

            rcfg = dataclasses.replace(cfg, hidden=min(cfg.hidden, 64), negatives=min(cfg.negatives, 16),
                                       max_examples=min(cfg.max_examples, 6000), skip_init=min(cfg.skip_init, 5.0))
            inner = np.random.default_rng(cfg.seed + 100).permutation(warm_u)
            n_val = max(1, len(inner) // 10)
            val_users, fit_users = inner[:n_val], inner[n_val:]
            pairs = np.array([(u, i) for u in fit_users for i in user_pos[u]], dtype=np.int64).reshape(-1, 2)
            shot_choices = (0, 1, 3, 5) if has_text else (1, 3, 5)

            def make_batch(bidx, r):
                bidx = r.integers(0, len(pairs), size=len(bidx))
                us, ps = pairs[bidx, 0], pairs[bidx, 1]
                lk = []
                for u, p_ in zip(us, ps):
                    s_ = shot_choices[r.integers(len(shot_choices))]
                    pool = user_pos[u][user_pos[u] != p_]
                    lk.append(r.choice(pool, min(s_, len(pool)), replace=False) if s_ and len(pool) else
                              np.zeros(0, np.int64))
                neg = _sample_negatives(np.zeros((len(us), 0), np.int64), [set(user_pos[u].tolist()) for u in us],
                                        n_items, rcfg.negatives, r)
                return _ml_feats(E, D, Sim, logpop_n, us, lk, np.concatenate([ps[:, None], neg], axis=1))

            vr = np.random.default_rng(cfg.seed + 5)
            vu = np.array([u for u in val_users if len(user_pos[u]) > shots], dtype=np.int64)
            vl = [vr.choice(user_pos[u], shots, replace=False) if shots else np.zeros(0, np.int64) for u in vu]

            def validate(net):
                if not len(vu):
                    return 0.0
                sc = _net_scores(net, *_ml_feats(E, D, Sim, logpop_n, vu, vl, np.tile(np.arange(n_items), (len(vu), 1))))
                return _eval_matrix(sc, np.arange(n_items), [set(user_pos[u].tolist()) - set(l.tolist())
                                                             for u, l in zip(vu, vl)], (10,),
                                    np.random.default_rng(0), exclude=vl)["ndcg@10"]

            if len(pairs):
                for feat in ("concat", "rich"):
                    nm = f"mlp-{feat}"
                    if nm in want:
                        net, hist = _train_ranker(feat, E.shape[1], 8, min(len(pairs), rcfg.max_examples),
                                                  make_batch, validate, rcfg, log, nm)
                        cand = np.tile(np.arange(n_items), (B, 1))
                        methods[nm] = ev(_net_scores(net, *_ml_feats(E, D, Sim, logpop_n, test_users, liked, cand)))
                        ranker_info[nm] = {"epochs": hist}
        n_users, n_ranked = len(test_users), n_items
    methods = {m: methods[m] for m in METHODS if m in methods}
    return {
        "dataset": f"own files: catalog {catalog if isinstance(catalog, (str, Path)) else '<data frame>'}, "
                   f"interactions {interactions if isinstance(interactions, (str, Path)) else '<data frame>'}",
        "methods": methods,
        "n_users": int(n_users),
        "n_items": int(n_ranked),
        "ks": list(ks),
        "recall_n": cfg.recall_n,
        "ranker": ranker_info,
        "timings": timings,
        "warnings": warnings,
        "notes": notes,
        "seconds_total": round(time.time() - t_start, 1),
    }
