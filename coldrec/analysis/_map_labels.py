"""What a map shows besides the dots: legend groups for long-tail category columns, cluster labels, hover text
and search matches. Plain data in, plain data out (the app draws them; nothing here imports plotly or streamlit).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["LegendGroups", "legend_groups", "ClusterLabel", "cluster_labels", "tfidf_terms", "hover_texts", "search_rows",
           "OTHER_LABEL", "LEGEND_TOP"]

OTHER_LABEL = "other"
LEGEND_TOP = 12
_MULTI = re.compile(r"\s*[,;|/]\s*")


@dataclass
class LegendGroups:
    """One legend label per item, and the sentence that says how a long category column was grouped."""

    labels: list[str]
    notice: str = ""


def legend_groups(categories: Sequence[str], top: int = LEGEND_TOP) -> LegendGroups:
    """Group a category column for a legend: the ``top`` most common values, the rest as ``"other"``.

    A multi-valued cell (``"Dramas, International Movies"``) counts as its first value when that shortens the
    legend. Empty cells stay ``""`` (drawn as "(none)").

    Example:
        >>> legend_groups(["a", "a", "b", "c"], top=1).labels
        ['a', 'a', 'other', 'other']
    """
    if top < 1:
        raise ColdrecError(f"top={top!r} must be an integer >= 1 (the number of legend entries kept)")
    cats = [str(c).strip() for c in categories]
    notes = []
    distinct = {c for c in cats if c}
    if len(distinct) > top and any(_MULTI.search(c) for c in distinct):
        firsts = [_MULTI.split(c, maxsplit=1)[0] if c else "" for c in cats]
        if len({c for c in firsts if c}) < len(distinct):
            notes.append(f"Multi-value categories are shown by their first value ({len(distinct):,} distinct "
                         f"cells → {len({c for c in firsts if c}):,} first values).")
            cats = firsts
    counts = Counter(c for c in cats if c)
    if len(counts) <= top:
        return LegendGroups(cats, " ".join(notes))
    keep = {c for c, _ in counts.most_common(top)}
    labels = [c if (c in keep or not c) else OTHER_LABEL for c in cats]
    rest = len(counts) - top
    share = sum(1 for c in labels if c == OTHER_LABEL) / max(1, len(labels))
    notes.append(f"Legend: the {top} most common categories; {rest:,} others ({share:.0%} of items) as "
                 f"“{OTHER_LABEL}”.")
    return LegendGroups(labels, " ".join(notes))


@dataclass
class ClusterLabel:
    """A label for one region of the map: where to draw it, its top terms and how many items it covers."""

    x: float
    y: float
    terms: list[str]
    size: int

    @property
    def text(self) -> str:
        return " · ".join(self.terms)


def _n_clusters(n: int) -> int:
    return int(np.clip(round(np.sqrt(n / 12)), 2, 14)) if n >= 20 else 0  # 330 items → 5, 2.4k+ → 14


def tfidf_terms(texts: Sequence[str]) -> tuple[object, np.ndarray] | None:
    """``(sparse TF-IDF matrix, vocabulary)`` of ``texts`` (English stop words out, words of 3+ letters), or None
    when no usable word is left. Computed once per catalog; :func:`cluster_labels` reuses it for every map."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        vec = TfidfVectorizer(stop_words="english", max_features=20_000, min_df=2, max_df=0.5,
                              token_pattern=r"(?u)\b[^\W\d_]{3,}\b", sublinear_tf=True)
        matrix = vec.fit_transform([str(t) for t in texts])
    except ValueError:  # no words left (empty or numeric texts)
        return None
    return matrix, np.asarray(vec.get_feature_names_out())


def cluster_labels(coords: np.ndarray, texts: Sequence[str], n_clusters: int | None = None, terms: int = 3,
                   seed: int = 0, tfidf: tuple[object, np.ndarray] | None = None) -> list[ClusterLabel]:
    """KMeans on the 2-D map, then each cluster's top TF-IDF terms (mean weight inside the cluster).

    ``tfidf`` takes a precomputed :func:`tfidf_terms` of ``texts``. Returns an empty list for maps under 20
    points or when the texts hold no usable words.
    """
    from sklearn.cluster import MiniBatchKMeans

    xy = np.asarray(coords, dtype=np.float64)[:, :2]
    k = _n_clusters(len(xy)) if n_clusters is None else int(n_clusters)
    if k < 2 or len(xy) < 20 or len(texts) != len(xy):
        return []
    tfidf = tfidf if tfidf is not None else tfidf_terms(texts)
    if tfidf is None:
        return []
    km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048).fit(xy)
    matrix, vocab = tfidf
    out = []
    for c in range(k):
        rows = np.flatnonzero(km.labels_ == c)
        if len(rows) == 0:
            continue
        weights = np.asarray(matrix[rows].mean(axis=0)).ravel()
        best = [vocab[i] for i in np.argsort(-weights)[:terms] if weights[i] > 0]
        if best:  # on the dot nearest the cluster's median: never in the empty space between two islands
            pts = xy[rows]
            cx, cy = pts[int(np.argmin(((pts - np.median(pts, axis=0)) ** 2).sum(axis=1)))]
            out.append(ClusterLabel(float(cx), float(cy), best, int(len(rows))))
    return out


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def hover_texts(titles: Sequence[str], texts: Sequence[str], chars: int = 200, width: int = 60) -> list[str]:
    """``title`` then the first ``chars`` characters of the text (without a repeated title), wrapped at
    ``width`` characters; lines joined with ``\\n`` (the app escapes and turns them into ``<br>``)."""
    out = []
    for title, text in zip(titles, texts):
        title, body = str(title), " ".join(str(text).split())
        if body.startswith(title):
            body = body[len(title):].lstrip(" .:-—")
        if len(body) > chars:
            body = body[:chars].rsplit(" ", 1)[0] + "…"
        out.append("\n".join([title, *_wrap(body, width)]))
    return out


def search_rows(query: str, titles: Sequence[str], texts: Sequence[str] = ()) -> np.ndarray:
    """Rows whose title (or text) contains every word of ``query``, case-insensitive; empty for no query."""
    words = str(query).casefold().split()
    if not words:
        return np.zeros(0, dtype=np.int64)
    hay = [f"{t} {x}".casefold() for t, x in zip(titles, texts)] if len(texts) else [str(t).casefold()
                                                                                       for t in titles]
    return np.asarray([i for i, h in enumerate(hay) if all(w in h for w in words)], dtype=np.int64)
