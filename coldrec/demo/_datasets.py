"""The five bundled demo domains (seed §3.4): e-commerce, news, video, music and social.

Each lives in ``data/<domain>/`` (written for this project by ``scripts/make_demo_data.py``): a catalog, users
with written descriptions, an interaction log, personas for the app, and optionally a small trained ranker.
The real research datasets are loaded by :mod:`coldrec.evaluation._realdata`, never from here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from coldrec.errors import ColdrecError

__all__ = ["DOMAINS", "DOMAIN_LABELS", "DemoDomain", "load_demo", "demo_dir", "demo_recommender"]

DOMAINS = ("ecommerce", "news", "video", "music", "social")
DOMAIN_LABELS = {
    "ecommerce": "E-commerce products",
    "news": "News articles",
    "video": "Films and series",
    "music": "Music tracks",
    "social": "People and groups to follow",
}


def demo_dir() -> Path:
    """The folder of the demo data: ``$COLDREC_DEMO_DATA`` or the repository's ``data/``."""
    env = os.environ.get("COLDREC_DEMO_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data"


@dataclass
class DemoDomain:
    """One demo domain, loaded."""

    name: str
    label: str
    folder: Path
    catalog: object
    users: pd.DataFrame
    interactions: object
    personas: list[dict] = field(default_factory=list)

    @property
    def popularity(self) -> np.ndarray:
        """Positive interactions per catalog row."""
        from coldrec.ranking import popularity_counts

        return popularity_counts(self.interactions, self.catalog.id_to_row, len(self.catalog))

    @property
    def user_texts(self) -> dict[str, str]:
        """User id -> written description."""
        return dict(zip(self.users["user_id"].astype(str), self.users["description"].astype(str)))

    @property
    def ranker_path(self) -> Path:
        """Where the shipped demo ranker checkpoint lives (may not exist)."""
        return self.folder / "ranker"


def _check(domain: str) -> str:
    if domain not in DOMAINS:
        raise ColdrecError(f"Unknown demo domain {domain!r}; choose one of {', '.join(DOMAINS)}.")
    return domain


@lru_cache(maxsize=8)
def load_demo(domain: str) -> DemoDomain:
    """Load a demo domain's catalog, users, interaction log and personas.

    Example:
        >>> demo = load_demo("music")
        >>> len(demo.catalog) >= 300
        True
    """
    from coldrec.catalog import ColumnMap, load_catalog
    from coldrec.ranking import load_interactions

    folder = demo_dir() / _check(domain)
    if not (folder / "items.csv").is_file():
        raise ColdrecError(
            f"Demo data for {domain!r} is missing in {folder}; regenerate it with `python scripts/make_demo_data.py`."
        )
    columns = ColumnMap(id="item_id", text=["title", "description"], template="{title}. {description}",
                        title="title", category="category", tags="tags", price="price")
    catalog = load_catalog(folder / "items.csv", columns, name=f"demo:{domain}")
    users = pd.read_csv(folder / "users.csv", dtype={"user_id": str})
    log = load_interactions(folder / "interactions.csv", known_items=catalog.ids)
    personas_file = folder / "personas.json"
    personas = json.loads(personas_file.read_text(encoding="utf-8")) if personas_file.is_file() else []
    return DemoDomain(domain, DOMAIN_LABELS[domain], folder, catalog, users, log, personas)


def demo_recommender(domain: str, encoder=None, *, cache=None, ranker: str | None = "auto", progress=None):
    """A ready :class:`coldrec.recommend._pipeline.Recommender` for a demo domain.

    Args:
        domain: one of :data:`DOMAINS`.
        encoder: defaults to the bundled MiniLM (:func:`coldrec.encoders.load_encoder`).
        cache: an :class:`coldrec.encoders._cache.EmbeddingCache` (default folder when ``None``; pass ``False`` for none).
        ranker: ``"auto"`` loads the shipped demo ranker when it fits the encoder, ``None`` ranks by cosine,
            or a checkpoint folder path.
        progress: ``progress(done, total)`` while embedding.

    The catalog's vectors come from ``data/<domain>/embeddings/<encoder.name>.npz`` when that file matches the
    catalog (:mod:`coldrec.demo._shipped`), so the default domain opens without running the model on it.
    """
    from coldrec.encoders import EmbeddingCache
    from coldrec.encoders import load_encoder
    from coldrec.recommend import Recommender
    from coldrec.ranking import MLPRanker
    from coldrec.demo._shipped import load_shipped

    demo = load_demo(domain)
    encoder = encoder or load_encoder()
    if cache is None:
        cache = EmbeddingCache()
    model = None
    if ranker == "auto":
        if (demo.ranker_path / "config.json").is_file():
            candidate = MLPRanker.load(demo.ranker_path)
            if candidate.dim == encoder.dim and candidate.trained_on.get("encoder") in (None, encoder.name):
                model = candidate
    elif ranker:
        model = MLPRanker.load(ranker)
    shipped = load_shipped(demo.folder, encoder.name, demo.catalog)  # no encoding when the files match
    if shipped is not None:
        return Recommender(demo.catalog, shipped, encoder, ranker=model, popularity=demo.popularity)
    return Recommender.from_catalog(demo.catalog, encoder, cache=cache or None, ranker=model,
                                    popularity=demo.popularity, progress=progress)
