"""The bundled demo domains (seed §3.4): e-commerce, news, video, music and social, in English and in Chinese.

The Chinese domains (``<domain>-zh``) have the same shape as the English ones (the seed's own examples are
Chinese platforms) and ship no demo ranker, so they rank by cosine unless a ranker is trained in the app.
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

from coldrec.errors import CheckpointError, ColdrecError

__all__ = ["DOMAINS", "ENGLISH_DOMAINS", "CHINESE_DOMAINS", "DOMAIN_LABELS", "DemoDomain", "load_demo", "demo_dir",
           "demo_recommender", "domain_language"]

ENGLISH_DOMAINS = ("ecommerce", "news", "video", "music", "social")
CHINESE_DOMAINS = tuple(f"{d}-zh" for d in ENGLISH_DOMAINS)
DOMAINS = ENGLISH_DOMAINS + CHINESE_DOMAINS
DOMAIN_LABELS = {
    "ecommerce": "E-commerce products",
    "news": "News articles",
    "video": "Films and series",
    "music": "Music tracks",
    "social": "People and groups to follow",
    "ecommerce-zh": "电商商品 (中文)",
    "news-zh": "新闻资讯 (中文)",
    "video-zh": "影视剧集 (中文)",
    "music-zh": "音乐单曲 (中文)",
    "social-zh": "值得关注的人和社群 (中文)",
}
# how an item's text is built from its title and description; Chinese ends the title with a full-width stop
TEMPLATES = {"en": "{title}. {description}", "zh": "{title}。{description}"}


def domain_language(domain: str) -> str:
    """``"zh"`` for the Chinese demo domains, ``"en"`` otherwise."""
    return "zh" if domain.endswith("-zh") else "en"


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
    template = TEMPLATES[domain_language(domain)]
    columns = ColumnMap(id="item_id", text=["title", "description"], template=template,
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
        ranker: ``"auto"`` serves the shipped text + log hybrid (``hybrid.json``: it beat the baselines and any
            shipped ranker), else the shipped demo ranker when it fits the encoder and catalog (else cosine order), ``None`` ranks by cosine, or a checkpoint folder path. The ranker's popularity feature reads the
            training counts saved with it; ``demo.popularity`` (all log users) only feeds the recall blend.
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
    evidence = demo_log_evidence(demo, encoder, cache) if ranker == "auto" else None
    if ranker == "auto":  # a shipped hybrid beat the shipped ranker (if any): then it is the default
        if evidence is None and (demo.ranker_path / "config.json").is_file():
            try:  # a checkpoint of another encoder (or an older format) does not fit: rank by cosine
                candidate = MLPRanker.load(demo.ranker_path)
                candidate.check_fits(list(demo.catalog.ids), getattr(encoder, "name", None), encoder.dim)
                model = candidate
            except CheckpointError:
                model = None
    elif ranker:
        model = MLPRanker.load(ranker)
    shipped = load_shipped(demo.folder, encoder.name, demo.catalog)  # no encoding when the files match
    if shipped is not None:
        return Recommender(demo.catalog, shipped, encoder, ranker=model, popularity=demo.popularity,
                           log_evidence=evidence)
    return Recommender.from_catalog(demo.catalog, encoder, cache=cache or None, ranker=model,
                                    popularity=demo.popularity, progress=progress, log_evidence=evidence)


def demo_log_evidence(demo: "DemoDomain", encoder, cache=None):
    """The domain's text + log hybrid (:class:`coldrec.recommend.LogEvidence`) when ``data/<domain>/hybrid.json``
    ships (written by ``scripts/train_demo_rankers.py`` only where it beats every baseline and the shipped ranker),
    its voters being all the log users; else None. The users' description vectors are the shipped ones."""
    from coldrec.recommend import LogEvidence, positives_by_user

    config = demo_hybrid_config(demo, encoder)
    if config is None:
        return None
    row = demo.catalog.id_to_row
    chosen = positives_by_user(demo.interactions.positives)
    items = [[row[i] for i in sorted(chosen.get(u, ())) if i in row] for u in demo.users["user_id"].astype(str)]
    return LogEvidence(config).fit(demo_user_vectors(demo, encoder, cache), items, len(demo.catalog))


def demo_user_vectors(demo: "DemoDomain", encoder, cache=None) -> np.ndarray:
    """The log users' description vectors (encoded as queries, as profiles are at serving): the shipped
    ``data/<domain>/embeddings/<model>.users.npz`` when it matches their texts, else embedded through ``cache``."""
    from coldrec.demo._shipped import load_shipped
    from coldrec.encoders import cache_name, embed_texts

    texts = demo.users["description"].fillna("").astype(str).tolist()
    shipped = load_shipped(demo.folder, cache_name(encoder, "query"), texts=texts, part="users")
    return shipped if shipped is not None else embed_texts(encoder, texts, cache or None, kind="query").vectors


def demo_hybrid_config(demo: "DemoDomain", encoder):
    """The :class:`coldrec.recommend.LogEvidenceConfig` in ``data/<domain>/hybrid.json`` when it ships and was
    chosen with this encoder's model (the same model at another precision fits; another model's weight does not
    carry over), else None."""
    from coldrec.encoders import base_model
    from coldrec.recommend import HYBRID_FILE, LogEvidence

    path = demo.folder / HYBRID_FILE
    if not path.is_file():
        return None
    config, meta = LogEvidence.read_settings(path)
    chosen = meta.get("encoder")
    if chosen is not None and base_model(chosen) != base_model(getattr(encoder, "name", "")):
        return None
    return config
