"""Log evidence for a cold user: what the log users whose own descriptions are nearest to the profile interacted
with, blended with the text score (the hybrid the impact study measures, inside :meth:`Recommender.recommend`).

A new user has no clicks, but the log has users who described themselves in words. The ``k`` log users nearest to
the new user's profile (cosine between the profile and their description vectors, one space with the items) vote
for the items they interacted with; the share of votes, z-scored over the catalog, is blended with the z-scored
text cosine: ``(1 − weight) · z(cosine) + weight · z(votes / k)``. ``weight`` and ``k`` are chosen on validation
users (:func:`coldrec.evaluation.choose_log_evidence`), never on the users a comparison reports.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.retrieval import standardize_rows

__all__ = ["LogEvidenceConfig", "LogEvidence", "HYBRID_FILE"]

HYBRID_FILE = "hybrid.json"
"""A demo domain's chosen log-evidence settings (``data/<domain>/hybrid.json``), written by
``scripts/train_demo_rankers.py`` only when the hybrid beats every baseline on held-out users."""


@dataclass(frozen=True)
class LogEvidenceConfig:
    """Settings of :class:`LogEvidence`."""

    k: int = 30
    """Log users consulted: the ``k`` whose description vectors are nearest to the profile."""
    weight: float = 0.5
    """Share of the log votes in the blended score (0 = text only, 1 = votes only, text breaking ties)."""

    def __post_init__(self) -> None:
        if not (isinstance(self.k, int) and self.k >= 1):
            raise ColdrecError(f"LogEvidenceConfig.k must be a whole number ≥ 1, got {self.k!r}.")
        if not 0.0 <= float(self.weight) <= 1.0:
            raise ColdrecError(f"LogEvidenceConfig.weight must be between 0 and 1, got {self.weight!r}.")


def _owners(items_of: list, n_items: int):
    """``(n_items, n_users)`` 0/1 sparse matrix: which log users chose each item (for shared-likes counts)."""
    import scipy.sparse as sp

    cols = np.concatenate([np.full(len(r), u, dtype=np.int64) for u, r in enumerate(items_of)]) if items_of else \
        np.zeros(0, np.int64)
    rows = np.concatenate(items_of) if items_of else np.zeros(0, np.int64)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_items, len(items_of)))


@dataclass
class LogEvidence:
    """Votes of the nearest log users, blended with the text cosine.

    Example:
        >>> users = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], dtype=np.float32)
        >>> ev = LogEvidence(LogEvidenceConfig(k=2)).fit(users, [[0], [0, 1], [2]], n_items=3)
        >>> ev.votes(np.array([1.0, 0.0], dtype=np.float32)).tolist()
        [2.0, 1.0, 0.0]
    """

    config: LogEvidenceConfig = field(default_factory=LogEvidenceConfig)
    user_vectors: np.ndarray | None = None
    items_of: list[np.ndarray] | None = None
    n_items: int = 0

    def fit(self, user_vectors: np.ndarray, items_of: list, n_items: int) -> "LogEvidence":
        """``user_vectors``: one description vector per log user (unit rows, the items' space); ``items_of``: the
        catalog rows each of them interacted with (positives)."""
        U = np.ascontiguousarray(user_vectors, dtype=np.float32)
        if U.ndim != 2 or len(U) != len(items_of):
            raise ColdrecError(f"LogEvidence.fit needs one vector per log user: {U.shape[0] if U.ndim else 0} "
                               f"vectors for {len(items_of)} users.")
        rows = [np.unique(np.asarray(r, dtype=np.int64)) for r in items_of]
        bad = next((int(r.max()) for r in rows if len(r) and (r.max() >= n_items or r.min() < 0)), None)
        if bad is not None:
            raise ColdrecError(f"LogEvidence.fit: item row {bad} is outside the catalog's {n_items} items.")
        keep = np.array([len(r) > 0 for r in rows], dtype=bool)  # a user with no positive has no vote to give
        self.user_vectors, self.n_items = U[keep], int(n_items)
        self.items_of = [r for r, k in zip(rows, keep) if k]
        self._owners = _owners(self.items_of, self.n_items)
        return self

    @property
    def k(self) -> int:
        """Users actually consulted (the config's ``k``, or every log user when there are fewer)."""
        return min(self.config.k, 0 if self.user_vectors is None else len(self.user_vectors))

    def votes(self, profile_vector: np.ndarray, liked_rows=()) -> np.ndarray:
        """How many of the ``k`` most similar log users interacted with each catalog item.

        Similar = most of the user's ``liked_rows`` in common first (collaborative: people who chose the same
        items), then the nearest description vector to the profile (the only evidence a user without likes has).
        """
        if self.user_vectors is None:
            raise ColdrecError("LogEvidence.votes called before fit: fit it on the log users first.")
        out = np.zeros(self.n_items, dtype=np.float32)
        k = self.k
        if not k:
            return out
        sims = self.user_vectors @ np.asarray(profile_vector, dtype=np.float32)
        liked = np.asarray(liked_rows, dtype=np.int64)
        if len(liked):  # shared likes dominate (cosine is within [-1, 1]); ties broken by the description
            sims = sims + 2.0 * np.asarray(self._owners[liked].sum(axis=0)).ravel()
        near = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        for u in near:
            out[self.items_of[u]] += 1.0
        return out

    def blend(self, cosine: np.ndarray, votes: np.ndarray) -> np.ndarray:
        """``(1 − weight) · z(cosine) + weight · z(votes)`` over all items (z over the catalog)."""
        text, log = self.parts(cosine, votes)
        return text + log

    def parts(self, cosine: np.ndarray, votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The text and the log terms of :meth:`blend`, per item (what the result table's ``log_share`` reads)."""
        w = float(self.config.weight)
        text = (1.0 - w) * standardize_rows(cosine)
        log = w * standardize_rows(votes) if w and np.ptp(votes) > 0 else np.zeros_like(text)
        return text, log

    # ------------------------------------------------------------------------------------------------ files
    def save_settings(self, path: str | Path, **how: Any) -> Path:
        """Write the config (and how it was chosen, e.g. validation scores) as JSON; the votes come from the log
        the loader is given, so no user data is stored here."""
        path = Path(path)
        path.write_text(json.dumps({"format": "coldrec-log-evidence/1", "config": asdict(self.config), **how},
                                   indent=1, default=str) + "\n", encoding="utf-8")
        return path

    @staticmethod
    def read_settings(path: str | Path) -> tuple[LogEvidenceConfig, dict]:
        """The config in a file :meth:`save_settings` wrote, and the rest of the file (how it was chosen)."""
        path = Path(path)
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != "coldrec-log-evidence/1":
                raise ValueError("not a coldrec-log-evidence/1 file")
            names = {f.name for f in fields(LogEvidenceConfig)}
            cfg = LogEvidenceConfig(**{k: v for k, v in dict(meta["config"]).items() if k in names})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ColdrecError(f"{path.name} is not a log-evidence settings file ({exc}); write it with "
                               "scripts/train_demo_rankers.py or delete it.") from None
        return cfg, meta
