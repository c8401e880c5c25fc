"""Write the shipped demo embeddings, ``data/<domain>/embeddings/<model>.npz``, with the default encoder.

Run after changing the demo data or the model: ``python scripts/build_demo_embeddings.py [--domain news]``;
the Chinese domains with the multilingual encoder: ``--model multilingual`` (default domains: the five ``*-zh``).
Users' descriptions are encoded as queries (E5's ``query:``, as profiles are at serving) and their file is named
by :func:`coldrec.encoders.cache_name` of that kind (the model name alone for MiniLM).
The app and ``coldrec.demo_recommender`` use these files instead of encoding the demo catalogs at start
(a file whose catalog hash or model does not match is ignored, so a stale file is never wrong, only slower).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    from coldrec.demo import CHINESE_DOMAINS, DOMAINS, ENGLISH_DOMAINS, load_demo
    from coldrec.demo._shipped import write_shipped
    from coldrec.encoders import EmbeddingCache, cache_name, embed_texts, load_encoder

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--domain", action="append", choices=DOMAINS, help="only this domain (repeatable)")
    ap.add_argument("--device", default=None, help="encoder device (default: auto)")
    ap.add_argument("--model", choices=("minilm", "multilingual"), default="minilm",
                    help="minilm (the English domains) or multilingual (the Chinese *-zh domains)")
    a = ap.parse_args(argv)
    model = "multilingual" if a.model == "multilingual" else None
    enc = load_encoder(model, device=a.device) if a.device else load_encoder(model)
    for name in a.domain or (CHINESE_DOMAINS if model else ENGLISH_DOMAINS):
        demo = load_demo(name)
        vectors = embed_texts(enc, demo.catalog.texts, EmbeddingCache()).vectors
        print(write_shipped(demo.folder, enc.name, demo.catalog, vectors), flush=True)
        texts = demo.users["description"].fillna("").astype(str).tolist()
        users = embed_texts(enc, texts, EmbeddingCache(), kind="query").vectors
        print(write_shipped(demo.folder, cache_name(enc, "query"), None, users, texts=texts, part="users"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
