"""A model-free encoder: deterministic bag-of-words hashing (tests, quick looks, machines without a model).

Each word hashes to a fixed random direction; a text is the normalised sum of its words' directions. Texts that
share words get similar vectors, which is enough for tests with known answers and for trying the UI instantly
(``COLDREC_ENCODER=hash``, ``--model hash``). Public as :class:`coldrec.encoders.HashEncoder`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable, Sequence

import numpy as np

__all__ = ["HashEncoder"]

Progress = Callable[[int, int], None]

_TOKEN = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    "a an the and or of to in on for with by at from as is are was were be been it its this that these those "
    "i me my we our you your he she they them his her their am do does did not no so but if into over about "
    "who what which when where how than then too very can will just like love also".split()
)


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
        self.name = f"hash-{dim}-{seed}"
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
        return [w for w in _TOKEN.findall(text.lower()) if w not in _STOP]

    def count_truncated(self, texts: Sequence[str]) -> int:
        """Count texts with more words than ``max_seq_length``."""
        return int(sum(len(_TOKEN.findall(t or "")) > self.max_seq_length for t in texts))

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
