"""User profiles (seed §3.2.2): ``user_representation = BERT(user_description)``, blended with feedback.

A new user is described by any mix of: a free-text description, items they liked (the mean of those item
vectors), items they disliked (pushed away), and past texts such as search queries or read titles (most recent
weighs most). Each part is normalised, weighted, summed and normalised again, so weights mean the same whatever
the number of items behind a part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from coldrec.encoders import encode_as
from coldrec.errors import ColdrecError

__all__ = ["ProfileConfig", "UserInput", "UserProfile", "build_profile", "build_profiles", "split_sentences"]

_MAX_SENTENCES = 32


@dataclass
class ProfileConfig:
    """Weights of the parts of a user profile."""

    description_weight: float = 1.0
    """Weight of the free-text description."""
    liked_weight: float = 1.0
    """Weight of the mean vector of liked items."""
    disliked_weight: float = 0.5
    """How strongly the mean vector of disliked items is subtracted (0 ignores dislikes)."""
    history_weight: float = 0.7
    """Weight of past texts (queries, read titles)."""
    history_decay: float = 0.8
    """Recency decay of past texts: the newest weighs 1, the one before ``decay``, then ``decay**2``…"""

    def __post_init__(self) -> None:
        for name in ("description_weight", "liked_weight", "disliked_weight", "history_weight"):
            if getattr(self, name) < 0:
                raise ColdrecError(f"ProfileConfig.{name} must be >= 0, got {getattr(self, name)!r}.")
        if not 0 < self.history_decay <= 1:
            raise ColdrecError(f"ProfileConfig.history_decay must be in (0, 1], got {self.history_decay!r}.")


@dataclass
class UserInput:
    """What we know of a new user. Every field is optional."""

    description: str = ""
    """Free text: "I just moved to a small flat and cook a lot, vegetarian, budget-minded"."""
    liked: Sequence[str] = ()
    """Ids of catalog items the user liked."""
    disliked: Sequence[str] = ()
    """Ids of catalog items the user disliked."""
    history: Sequence[str] = ()
    """Past texts, oldest first: search queries, titles read or watched."""


@dataclass
class UserProfile:
    """A user's vector and the pieces it came from (the pipeline uses the pieces to explain results)."""

    vector: np.ndarray
    sentences: list[str] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None
    liked_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    disliked_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    truncated: int = 0
    empty: bool = False
    warnings: list[str] = field(default_factory=list)


# A sentence ends at .!? followed by a space, or at full-width 。！？；．… (with its closing quotes/brackets) with or
# without a space: Chinese and Japanese put no space between sentences.
_FULL_END = "。！？；．…｡"
_CLOSE = "”’」』）》〉】)\"'"
_SENT = re.compile(rf"(?<=[.!?])\s+|[\n\r]+|(?<=[{_FULL_END}])(?![{_FULL_END}{_CLOSE}])\s*"
                   rf"|(?<=[{_FULL_END}][{_CLOSE}])\s*")
_CLAUSE = re.compile(r"\s*[,;，；、]\s*|\s+(?:and|but)\s+")
_STRIP = " .!?。！？；．…｡"


def split_sentences(text: str) -> list[str]:
    """Split a description into sentences; a one-sentence text is split into clauses instead.

    Example:
        >>> split_sentences("I cook a lot, vegetarian, budget-minded")
        ['I cook a lot', 'vegetarian', 'budget-minded']
        >>> split_sentences("我住小公寓。天天做饭！吃素；预算有限")
        ['我住小公寓。', '天天做饭！', '吃素；', '预算有限']
        >>> split_sentences("深夜学习时，喜欢听安静的爵士乐")
        ['深夜学习时', '喜欢听安静的爵士乐']
    """
    text = (text or "").strip()
    if not text:
        return []
    parts = [p.strip() for p in _SENT.split(text) if p and p.strip()]
    if len(parts) <= 1:
        parts = [p.strip(_STRIP) for p in _CLAUSE.split(text) if p and p.strip(_STRIP)]
    parts = [p for p in parts if re.search(r"\w", p)]
    return parts[:_MAX_SENTENCES] or [text[:2000]]


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _rows(ids: Sequence[str], id_to_row: Mapping[str, int], what: str, warnings: list[str]) -> np.ndarray:
    rows, unknown = [], []
    for i in ids:
        r = id_to_row.get(str(i))
        (unknown.append(str(i)) if r is None else rows.append(r))
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        warnings.append(f"{len(unknown)} {what} item id(s) are not in the catalog and were ignored: {shown}.")
    return np.asarray(rows, dtype=np.int64)


def build_profile(
    user: UserInput | str,
    encoder,
    item_vectors: np.ndarray,
    id_to_row: Mapping[str, int],
    config: ProfileConfig | None = None,
) -> UserProfile:
    """Build a unit user vector from a description, liked/disliked items and past texts.

    Args:
        user: a :class:`UserInput`, or a plain description string.
        encoder: the encoder that embedded ``item_vectors`` (same space).
        item_vectors: ``(n, d)`` catalog matrix.
        id_to_row: item id -> row of ``item_vectors``.
        config: weights; defaults to :class:`ProfileConfig`.

    Returns:
        A :class:`UserProfile`; ``empty`` is True (and the vector zero) when nothing usable was given.

    Example:
        >>> from coldrec.encoders import HashEncoder
        >>> enc = HashEncoder(dim=16)
        >>> E = enc.encode(["red shoes", "green tea"])
        >>> p = build_profile(UserInput(liked=["b"]), enc, E, {"a": 0, "b": 1})
        >>> round(float(p.vector @ E[1]), 3)
        1.0
    """
    return build_profiles([user], encoder, item_vectors, id_to_row, config)[0]


def _texts(user: UserInput) -> tuple[str, list[str], list[str]]:
    description = (user.description or "").strip()
    history = [h for h in (user.history or ()) if isinstance(h, str) and h.strip()]
    return description, history, split_sentences(description)


def build_profiles(
    users: Sequence[UserInput | str],
    encoder,
    item_vectors: np.ndarray,
    id_to_row: Mapping[str, int],
    config: ProfileConfig | None = None,
    *,
    sentences: bool = True,
) -> list[UserProfile]:
    """:func:`build_profile` for many users with one encoder call for all their texts (descriptions, past
    texts and the description clauses the reasons use): one batch instead of one per user.

    ``sentences=False`` leaves the clauses out (profiles with no ``sentences``: the same vectors, for callers
    that show no reasons, such as the fairness probe).

    Example:
        >>> from coldrec.encoders import HashEncoder
        >>> enc = HashEncoder(dim=16)
        >>> E = enc.encode(["red shoes", "green tea"])
        >>> [round(float(p.vector @ e), 3) for p, e in zip(build_profiles(["red shoes", "green tea"], enc, E, {}), E)]
        [1.0, 1.0]
    """
    cfg = config or ProfileConfig()
    users = [UserInput(description=u) if isinstance(u, str) else u for u in users]
    dim = item_vectors.shape[1] if item_vectors.ndim == 2 else encoder.dim
    parts = [_texts(u) if sentences else _texts(u)[:2] + ([],) for u in users]
    vecs = _encode_once(encoder, [t for d, h, s in parts for t in _encoded_as(d, h, s)], dim)
    out, pos = [], 0
    for user, (description, history, sentences) in zip(users, parts):
        size = (1 if description else 0) + len(history) + len(sentences)
        truncated = encoder.count_truncated(([description] if description else []) + history)
        out.append(_assemble(user, (description, history, sentences), vecs[pos:pos + size], truncated,
                             (item_vectors, id_to_row, cfg, dim), getattr(encoder, "max_seq_length", "?")))
        pos += size
    return out


def _encoded_as(description: str, history: list[str], sentences: list[str]) -> list[str]:
    """The text whose vector stands for each of a user's texts (description, past texts, clauses, in order).

    A description that is one clause ("深夜学习时喜欢听安静的爵士乐。") is its own only clause, minus the end
    mark: the reasons quote that clause, and its vector is the description's (one forward pass, not two)."""
    own = [description] if description else []
    return own + history + (own if len(sentences) == 1 and own else sentences)


def _encode_once(encoder, texts: list[str], dim: int) -> np.ndarray:
    """One encoder call for ``texts`` as queries, each distinct text encoded once (rows in ``texts`` order)."""
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    distinct = list(dict.fromkeys(texts))
    # user-side text: an asymmetric encoder (multilingual E5) encodes it as a query, items as passages
    vecs = encode_as(encoder, distinct, "query")
    if vecs.shape[1:] != (dim,):
        raise ColdrecError(
            f"The encoder gives {vecs.shape[1]}-d vectors but the catalog was embedded with {dim}-d vectors; "
            "re-embed the catalog with the same model."
        )
    if len(distinct) == len(texts):
        return vecs
    row = {t: i for i, t in enumerate(distinct)}
    return vecs[[row[t] for t in texts]]


def _assemble(user: UserInput, texts: tuple[str, list[str], list[str]], vecs: np.ndarray, truncated: int,
              space: tuple, window: int) -> UserProfile:
    """One user's profile from the vectors of its texts (description, past texts, clauses, in that order)."""
    description, history, sentences = texts
    item_vectors, id_to_row, cfg, dim = space
    warnings: list[str] = []
    total = np.zeros(dim, dtype=np.float32)
    if truncated:
        warnings.append(
            f"{truncated} text(s) are longer than the model window ({window} tokens); "
            "only their beginning was used."
        )
    pos = 0
    if description:
        total += cfg.description_weight * _unit(vecs[0])
        pos = 1
    if history:
        h = vecs[pos : pos + len(history)]
        w = cfg.history_decay ** np.arange(len(history) - 1, -1, -1, dtype=np.float32)
        total += cfg.history_weight * _unit((w[:, None] * h).sum(axis=0))
        pos += len(history)
    sentence_vectors = vecs[pos:]
    liked = _rows(user.liked or (), id_to_row, "liked", warnings)
    disliked = _rows(user.disliked or (), id_to_row, "disliked", warnings)
    if len(liked):
        total += cfg.liked_weight * _unit(item_vectors[liked].mean(axis=0))
    if len(disliked) and cfg.disliked_weight:
        total -= cfg.disliked_weight * _unit(item_vectors[disliked].mean(axis=0))
    vector = _unit(total).astype(np.float32)
    empty = not float(np.linalg.norm(vector)) > 0
    if empty:
        warnings.append("Nothing usable describes this user: type a description or pick liked items.")
    return UserProfile(
        vector=vector,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        liked_rows=liked,
        disliked_rows=disliked,
        truncated=truncated,
        empty=empty,
        warnings=warnings,
    )
