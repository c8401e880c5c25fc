"""The five bundled demo domains in ``data/`` (written for coldrec by ``scripts/make_demo_data.py``).
"""

from __future__ import annotations

from coldrec.demo._datasets import DOMAINS, DOMAIN_LABELS, DemoDomain, load_demo, demo_dir, demo_recommender

__all__ = [
    "DOMAINS",
    "DOMAIN_LABELS",
    "DemoDomain",
    "load_demo",
    "demo_dir",
    "demo_recommender",
]
