"""The own-data ``hybrid`` method: the encoder's scores fused with TF-IDF's, the fusion and its weight chosen on
validation users (never on the test users).

Two fusions, both per user row over the candidates:

- ``score``: ``w * z(encoder) + (1 - w) * z(tfidf)`` with ``z`` the row's standardised scores (mean 0, sd 1), so
  the two scales are comparable whatever the encoder;
- ``rank``: weighted reciprocal rank fusion, ``w / (60 + rank_encoder) + (1 - w) / (60 + rank_tfidf)``.

``w = 1`` is the encoder alone (the zero-shot row), ``w = 0`` the lexical side alone. The cold-items hybrid's
lexical side is :func:`hybrid_lexical`, TF-IDF over words *and* word pairs (the TF-IDF row stays words only): on
CiteULike-a the pairs ("gene expression", "social network") are what the encoder's single vector blurs, and they
lift both TF-IDF alone and the fusion (results/README.md, issue 19). :func:`choose_fusion` scores every
(fusion, weight) of the grid on validation rows; ties go to the weight nearest the better of the two single
methods, so the hybrid only moves off a single method when validation says mixing helps.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.evaluation._common import _Evaluator
from coldrec.retrieval import standardize_rows

__all__ = ["FUSIONS", "WEIGHTS", "RRF_K", "LEXICAL", "fuse", "choose_fusion", "hybrid_lexical", "hybrid_note"]

FUSIONS: tuple[str, ...] = ("score", "rank")
WEIGHTS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(21))
"""Encoder weights tried on validation, 0 to 1 by 0.05 (a stronger encoder's best mix sits at 0.9-0.95)."""
LEXICAL = "tfidf of words and word pairs (sublinear tf, English stop words, terms in >= 2 texts)"
"""What :func:`hybrid_lexical` builds, as the report names it."""
RRF_K = 60
"""The constant of reciprocal rank fusion (Cormack et al. 2009)."""
CHOOSE_BY = ("recall@10", "ndcg@10")
"""Validation metrics compared in order (NDCG@10 breaks ties of Recall@10, common on small candidate sets)."""


def _ranks(x: np.ndarray) -> np.ndarray:
    """0 = best, per row; ties broken by column order (stable)."""
    order = np.argsort(-np.asarray(x, dtype=np.float64), axis=1, kind="stable")
    r = np.empty_like(order)
    np.put_along_axis(r, order, np.arange(x.shape[1])[None, :].repeat(x.shape[0], 0), axis=1)
    return r


def hybrid_lexical(texts: Sequence[str]):
    """The hybrid's lexical item matrix: L2-normalised sublinear TF-IDF of words and word pairs (1-2 grams).

    Terms must occur in at least two texts (a term in one text cannot link two items; it would only dilute the
    norm). A catalog too small for that falls back to every term. Chinese texts get the CJK tokenizer of
    :func:`coldrec.evaluation._common.tfidf_vectorizer` (words only).

    Example:
        >>> X = hybrid_lexical(["gene expression data", "gene expression networks", "social networks"])
        >>> X.shape[0]
        3
    """
    from coldrec.evaluation._common import tfidf_vectorizer

    texts = ["" if t is None else str(t) for t in texts]
    opts = dict(stop_words="english", token_pattern=r"(?u)\b\w\w+\b", ngram_range=(1, 2))
    try:
        X = tfidf_vectorizer(texts, min_df=2, **opts).fit_transform(texts)
    except ValueError:  # empty vocabulary: no term in two texts (a tiny catalog)
        X = tfidf_vectorizer(texts, min_df=1, **opts).fit_transform(texts)
    return X.astype(np.float32)


def _check(weight: float, fusion: str) -> None:
    if fusion not in FUSIONS:
        raise ColdrecError(f"unknown fusion {fusion!r}; valid choices: {', '.join(FUSIONS)}")
    if not 0.0 <= weight <= 1.0:
        raise ColdrecError(f"the hybrid weight must be in [0, 1] (1 = encoder only), got {weight!r}")


def _parts(encoder: np.ndarray, tfidf: np.ndarray, fusion: str) -> tuple[np.ndarray, np.ndarray]:
    if fusion == "score":
        return standardize_rows(encoder), standardize_rows(tfidf)
    return 1.0 / (RRF_K + _ranks(encoder)), 1.0 / (RRF_K + _ranks(tfidf))


def fuse(encoder: np.ndarray, tfidf: np.ndarray, weight: float, fusion: str = "score") -> np.ndarray:
    """Fused ``(n_rows, n_cand)`` scores of two score matrices over the same candidates (see the module doc).

    Raises:
        ColdrecError: an unknown fusion or a weight outside [0, 1].
    """
    _check(weight, fusion)
    a, b = _parts(encoder, tfidf, fusion)
    return weight * a + (1.0 - weight) * b


def choose_fusion(blocks: Iterable[tuple[np.ndarray, np.ndarray, Sequence[set], Sequence | None]],
                  cand_items: np.ndarray, ks: Sequence[int] = (10,), fusions: Sequence[str] = FUSIONS,
                  weights: Sequence[float] = WEIGHTS, by: Sequence[str] = CHOOSE_BY) -> dict:
    """The (fusion, weight) with the best ``by`` metric on validation rows.

    Args:
        blocks: ``(encoder_scores, tfidf_scores, targets, exclude)`` per block of validation rows (``exclude``
            per row, or None).
        cand_items: the candidate ids the columns stand for (as in ``targets``).
        by: the metrics compared, in order (Recall@10, the number the own-data reports lead with, then NDCG@10).

    Returns:
        ``{"fusion", "weight", "by", "validation": {"<fusion>:<weight>": [values of by]}}``.
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    ks = sorted(set(ks) | {int(b.split("@")[1]) for b in by})
    grid = [(f, w) for f in fusions for w in weights]
    evs = {g: _Evaluator(ks, cand_items, np.random.default_rng(0)) for g in grid}
    for f, w in grid:
        _check(w, f)
    for enc, lex, tg, ex in blocks:
        for f in fusions:  # each part once per block (ranks are a sort per row), then every weight
            a, b = _parts(enc, lex, f)
            for w in weights:
                evs[(f, w)].add(w * a + (1.0 - w) * b, tg, ex)
    val = {g: tuple(float(ev.result()[b]) for b in by) for g, ev in evs.items()}
    best = max(val.values())
    single = {w: max(v for (f, ww), v in val.items() if ww == w) for w in (0.0, 1.0) if w in weights}
    anchor = 1.0 if single.get(1.0, -1) >= single.get(0.0, -1) else 0.0
    tied = [g for g in grid if val[g] == best]
    fusion, weight = min(tied, key=lambda g: (abs(g[1] - anchor), fusions.index(g[0])))
    return {"fusion": fusion, "weight": float(weight), "by": list(by),
            "validation": {f"{f}:{w}": [round(x, 6) for x in v] for (f, w), v in val.items()}}


def hybrid_note(choice: dict, n_val: int, what: str) -> str:
    """One line for the report: what was chosen, on which rows, and what it means."""
    v = choice["validation"][f"{choice['fusion']}:{choice['weight']}"]
    got = ", ".join(f"{b} {x:.4f}" for b, x in zip(choice["by"], v))
    lex = f" with {choice['lexical']}" if choice.get("lexical") else ""
    return (f"hybrid{lex}: {choice['fusion']} fusion, encoder weight {choice['weight']:.2f} (1 = zero-shot only, 0 = "
            f"lexical only), chosen on {n_val} validation {what} ({got}); the test rows never chose it.")
