"""The bundled demo domains in ``data/`` (written for coldrec by ``scripts/make_demo_data.py``): five in English
and the same five in Chinese (``<domain>-zh``).
"""

from __future__ import annotations

from coldrec.demo._datasets import (
    CHINESE_DOMAINS,
    DOMAINS,
    DOMAIN_LABELS,
    ENGLISH_DOMAINS,
    DemoDomain,
    demo_dir,
    demo_recommender,
    demo_user_vectors,
    domain_language,
    load_demo,
)

__all__ = [
    "DOMAINS",
    "ENGLISH_DOMAINS",
    "CHINESE_DOMAINS",
    "DOMAIN_LABELS",
    "DemoDomain",
    "load_demo",
    "demo_dir",
    "demo_recommender",
    "demo_user_vectors",
    "domain_language",
]
