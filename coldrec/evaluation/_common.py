"""Shared pieces of the offline evaluation: config, encoder + embedding cache, machine/commit info,
user aggregation (:func:`history_scores`), metric accumulation over score matrices and TF-IDF helpers."""

from __future__ import annotations

import hashlib
import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.metrics import MetricAccumulator, topk_rows

PROTOCOLS: tuple[str, ...] = ("scientific", "citeulike-cold", "ml100k-cold-users", "cold-items", "cold-users")
METHODS: tuple[str, ...] = ("random", "popularity", "tfidf", "itemknn", "zero-shot", "hybrid", "mlp-concat", "mlp-rich",
                             "user-tower", "user-tower+mlp")

Log = Callable[[str], None]


@dataclass
class EvalConfig:
    """Options shared by every protocol; the ranker hyperparameters become a :class:`coldrec.ranking.RankerConfig`
    (``coldrec.evaluation._reranking.ranker_config``) recorded under ``ranker`` in each result JSON."""

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
    tower_epochs: int = 30
    """Upper bound on the epochs of the trained first stage (``user-tower``, scientific); the best on validation
    recall is kept."""
    objective: str = "listwise"
    """Objective of the rankers (:attr:`coldrec.ranking.RankerConfig.objective`): listwise or pointwise."""



# ================================================================================================ helpers
def _log_default(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _cache_root() -> Path:
    from coldrec.encoders import default_cache_dir

    return default_cache_dir() / "eval"


def get_encoder(encoder: Any = None) -> Any:
    """``None`` → the bundled MiniLM (``coldrec.encoders.load_encoder``); ``"hash"`` → HashEncoder; else as is."""
    if encoder is None or isinstance(encoder, str):
        from coldrec.encoders import load_encoder

        return load_encoder(encoder)
    return encoder


def embed_cached(encoder: Any, texts: Sequence[str], label: str = "texts", kind: str = "passage") -> np.ndarray:
    """Encode ``texts`` once; later calls with the same encoder, kind and texts load an ``.npy`` from the cache.

    ``kind`` is ``"passage"`` for item texts and ``"query"`` for user-side texts (descriptions), as
    :func:`coldrec.retrieval.build_profile` encodes them at serving; only asymmetric encoders (E5) tell them apart.

    The per-text cache of ``coldrec.encoders._cache`` does the encoding; the file here is a
    whole-corpus shortcut so a protocol re-run does not even hash 17k texts one by one.
    """
    texts = ["" if t is None else str(t) for t in texts]
    name = getattr(encoder, "name", type(encoder).__name__)
    if str(name).startswith("hash"):
        return np.asarray(encoder.encode(texts), dtype=np.float32)
    from coldrec.encoders import cache_name

    key = cache_name(encoder, kind) if hasattr(encoder, "name") else str(name)  # MiniLM: the name alone, as before
    h = hashlib.sha256((key + "\x00" + "\x00".join(texts)).encode("utf-8")).hexdigest()[:20]
    path = _cache_root() / f"{label}-{h}.npy"
    if path.is_file():
        arr = np.load(path)
        if arr.shape[0] == len(texts):
            return arr
    from coldrec.encoders import EmbeddingCache, embed_texts

    vec = np.asarray(embed_texts(encoder, texts, EmbeddingCache(), kind=kind).vectors, dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, vec)
    os.replace(tmp, path)
    return vec


def _normalize(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)


def machine_info() -> dict[str, Any]:
    """``{"cpu", "cores", "gpu", "python"}`` of this machine (shared by result files and ``bench/``)."""
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


def commit_id(short: bool = False, dirty_suffix: str = "+dirty", untracked: bool = False) -> str:
    """The checkout's HEAD commit, with ``dirty_suffix`` when tracked files (or also untracked ones) changed;
    ``"uncommitted"`` outside a git checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        cmd = ["git", "rev-parse"] + (["--short"] if short else []) + ["HEAD"]
        out = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            status = ["git", "status", "--porcelain"] + ([] if untracked else ["--untracked-files=no"])
            dirty = subprocess.run(status, cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
            return out.stdout.strip() + (dirty_suffix if dirty else "")
    except Exception:
        pass
    return "uncommitted"


def _set_threads(n: int) -> None:
    try:
        import torch

        torch.set_num_threads(max(1, n))
    except Exception:
        pass


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


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def tfidf_vectorizer(texts: Sequence[str], **english):
    """An unfitted ``TfidfVectorizer`` (sublinear tf) that suits the language of ``texts``.

    scikit-learn's default tokens are ``\\w\\w+`` runs between spaces and punctuation, so a Chinese sentence
    would be one token. When any text contains CJK characters the vectorizer tokenises with
    :func:`coldrec.encoders.tokenize` instead: alphabetic words as before, CJK runs as overlapping character
    bigrams (no dictionary, deterministic, the usual unit of Chinese retrieval; jieba would add a dependency and a
    dictionary whose cuts of invented names are arbitrary). ``english`` (e.g. ``stop_words``) applies otherwise,
    so English results are unchanged.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if any(_CJK.search(t or "") for t in texts):
        from coldrec.encoders import tokenize

        return TfidfVectorizer(sublinear_tf=True, tokenizer=tokenize, lowercase=False, token_pattern=None)
    return TfidfVectorizer(sublinear_tf=True, **english)


def _tfidf(texts: Sequence[str]):
    texts = list(texts)
    vec = tfidf_vectorizer(texts, min_df=1, stop_words="english", token_pattern=r"(?u)\b\w\w+\b")
    return vec.fit_transform(texts).astype(np.float32)


def _item_cosine(R) -> np.ndarray:
    """Dense item-item cosine of the columns of a sparse user x item matrix ``R``, diagonal zeroed (float32)."""
    from sklearn.preprocessing import normalize

    Rn = normalize(R, axis=0)
    sim = (Rn.T @ Rn).toarray().astype(np.float32)
    np.fill_diagonal(sim, 0.0)
    return sim


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

