"""Choose the text-match levels of the recommendation reasons from the shipped demo data.

    python scripts/match_levels.py

For every English demo domain, the shipped MiniLM vectors of the log users' own descriptions
(``data/<domain>/embeddings/*.users.npz``) are compared with every catalog item. A reason may say an item
"matches" a text only when their cosine is among the closest pairs a real user description has to the catalog:
``weak`` from the 90th percentile of all (user, item) cosines, ``some`` from the 97th, ``strong`` from the 99th
(pooled over the domains, each domain weighted equally). The constants in
:data:`coldrec.recommend.MATCH_LEVELS` are these values rounded to 0.01; ``tests/test_reasons.py`` recomputes
them and fails when they drift. The script also prints how often a user's own positive items clear each level,
which is the check that the levels mean something (positives clear them far more often than random items).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOMAINS = ("ecommerce", "news", "video", "music", "social")
MODEL = "all-MiniLM-L6-v2@f57844544ec2"
PERCENTILES = {"weak": 90.0, "some": 97.0, "strong": 99.0}


def domain_cosines(domain: str) -> tuple[np.ndarray, np.ndarray]:
    """All (log user description, item) cosines of a demo domain, and those of each user's positive items."""
    from coldrec.demo import load_demo
    from coldrec.demo._shipped import load_shipped

    demo = load_demo(domain)
    items = load_shipped(demo.folder, MODEL, demo.catalog)
    texts = demo.users["description"].fillna("").astype(str).tolist()
    users = load_shipped(demo.folder, MODEL, texts=texts, part="users")
    if items is None or users is None:
        raise SystemExit(f"{domain}: the shipped {MODEL} vectors are missing or stale; rebuild them first.")
    sims = users @ items.T
    row_of_user = {u: i for i, u in enumerate(demo.users["user_id"].astype(str))}
    pos = demo.interactions.positives
    ur = pos["user_id"].astype(str).map(row_of_user)
    ir = pos["item_id"].astype(str).map(demo.catalog.id_to_row)
    ok = ur.notna() & ir.notna()
    return sims.ravel(), sims[ur[ok].astype(int).to_numpy(), ir[ok].astype(int).to_numpy()]


def match_levels(domains=DOMAINS) -> dict[str, float]:
    """The cosine at each level's percentile, averaged over ``domains`` (each weighted equally)."""
    per = [domain_cosines(d)[0] for d in domains]
    return {name: float(np.mean([np.percentile(s, q) for s in per])) for name, q in PERCENTILES.items()}


def main() -> int:
    levels = match_levels()
    print("levels:", {k: round(v, 3) for k, v in levels.items()})
    for d in DOMAINS:
        every, positives = domain_cosines(d)
        share = {k: f"{(positives >= v).mean():.0%} of positives vs {(every >= v).mean():.0%} of all"
                 for k, v in levels.items()}
        print(d, share)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
