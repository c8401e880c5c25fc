"""A model-free encoder: deterministic bag-of-words hashing (tests, quick looks, machines without a model).

Each word hashes to a fixed random direction; a text is the normalised sum of its words' directions. Chinese,
Japanese and Korean have no spaces between words, so a run of CJK characters becomes its overlapping character
bigrams ("爵士乐" → "爵士", "士乐"; a lone character stays itself): a bigram is the unit that best matches how
Chinese words are built (most words are two characters), needs no dictionary and keeps "爵士" in "爵士乐" and
"听爵士" alike. Texts that share words get similar vectors, which is enough for tests with known answers and for
trying the UI instantly (``COLDREC_ENCODER=hash``, ``--model hash``). Public as :class:`coldrec.encoders.HashEncoder`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable, Sequence

import numpy as np

__all__ = ["HashEncoder"]

Progress = Callable[[int, int], None]

_TOKEN = re.compile(r"\w+", re.UNICODE)
# CJK ideographs (+ extension A, compatibility), kana and hangul: scripts written without spaces between words
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
# function characters dropped like English stop words (a run is split at them, so no bigram spans one)
_CJK_STOP = re.compile("[的了吗呢吧啊我你他她它们很]")
_STOP = frozenset(
    "a an the and or of to in on for with by at from as is are was were be been it its this that these those "
    "i me my we our you your he she they them his her their am do does did not no so but if into over about "
    "who what which when where how than then too very can will just like love also".split()
)


def cjk_bigrams(run: str, *, stop: bool = True) -> list[str]:
    """Overlapping character bigrams of a run of CJK characters; a lone character is its own token.

    With ``stop``, the run is first cut at function characters (的, 了, 我, 他 …), which are dropped.
    """
    out: list[str] = []
    for piece in (_CJK_STOP.split(run) if stop else [run]):
        out += [piece] if len(piece) == 1 else [piece[i:i + 2] for i in range(len(piece) - 1)]
    return out


def tokenize(text: str, *, stop: bool = True) -> list[str]:
    """Lower-cased word tokens: whitespace/punctuation words for alphabetic text, character bigrams for CJK runs.

    Example:
        >>> tokenize("我爱听爵士乐 and jazz")
        ['爱听', '听爵', '爵士', '士乐', 'jazz']
        >>> tokenize("安静的钢琴")
        ['安静', '钢琴']
    """
    out: list[str] = []
    for w in _TOKEN.findall((text or "").lower()):
        if not _CJK_RUN.search(w):
            if not (stop and w in _STOP):
                out.append(w)
            continue
        pos = 0
        for m in _CJK_RUN.finditer(w):  # "mp3播放器" → "mp3", "播放", "放器"
            if m.start() > pos:
                out.append(w[pos:m.start()])
            out += cjk_bigrams(m.group(), stop=stop)
            pos = m.end()
        if pos < len(w):
            out.append(w[pos:])
    return out


class HashEncoder:
    """Deterministic bag-of-words encoder: each word hashes to a fixed random direction.

    Shares words → similar vectors, which is enough for tests with known answers and for a model-free demo.

    Example:
        >>> enc = HashEncoder(dim=32)
        >>> v = enc.encode(["red shoes", "red shoes"])
        >>> bool(np.allclose(v[0], v[1]))
        True
    """

    def __init__(self, dim: int = 64, max_seq_length: int = 128, seed: int = 0) -> None:
        self.dim = dim
        self.max_seq_length = max_seq_length
        self.seed = seed
        self.device = "cpu"
        self.device_label = "cpu (hashing, no model)"
        self.name = f"hash-{dim}-{seed}-cjk"  # "-cjk": CJK runs are bigrams (older cached vectors were per run)
        self.warnings: list[str] = []
        self._memo: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"HashEncoder(dim={self.dim})"

    def _word(self, w: str) -> np.ndarray:
        v = self._memo.get(w)
        if v is None:
            digest = hashlib.blake2b(f"{self.seed}:{w}".encode(), digest_size=8).digest()
            v = np.random.default_rng(int.from_bytes(digest, "little")).standard_normal(self.dim).astype(np.float32)
            self._memo[w] = v
        return v

    def _tokens(self, text: str) -> list[str]:
        return tokenize(text)

    def count_truncated(self, texts: Sequence[str]) -> int:
        """Count texts with more tokens (words; CJK bigrams) than ``max_seq_length``."""
        return int(sum(len(tokenize(t or "", stop=False)) > self.max_seq_length for t in texts))

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None, kind: str = "passage") -> np.ndarray:
        """Encode by summing word directions (first ``max_seq_length`` words) and normalising (``kind`` is ignored)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            toks = self._tokens(t if isinstance(t, str) else "")[: self.max_seq_length]
            if toks:
                v = np.sum([self._word(w) for w in toks], axis=0)
                n = float(np.linalg.norm(v))
                if n > 0:
                    out[i] = v / n
            if progress and (i % 256 == 255 or i == len(texts) - 1):
                progress(i + 1, len(texts))
        if progress and not len(texts):
            progress(0, 0)
        return out
