"""Scale: the catalog beyond one process — batch embedding on Ray Data into Parquet shards, and loading shards
into a Milvus store (:class:`coldrec.retrieval.MilvusStore`).

A stage of its own because it sits above both ``catalog`` (column mapping and the validation report, applied per
block) and ``encoders`` (one encoder per Ray actor), and ``retrieval`` (the store), which no lower stage may
import together. ``ray`` and ``pymilvus`` are imported inside functions; without them a call raises
:class:`coldrec.retrieval.MissingExtraError` saying ``pip install -r requirements-scale.txt``.

Example:
    >>> from coldrec.scale import RayEmbedConfig, ray_embed            # doctest: +SKIP
    >>> res = ray_embed("items/", "items.shards", config=RayEmbedConfig(model="hash", actors=2))  # doctest: +SKIP
"""

from __future__ import annotations

from coldrec.scale._shards import (MANIFEST, ShardWriter, read_manifest, read_shards, done_ids, shard_files,
                                   load_shards_into)
from coldrec.scale._inputs import input_files
from coldrec.scale._ray_embed import RayEmbedConfig, RayEmbedResult, ray_embed

__all__ = [
    "MANIFEST",
    "ShardWriter",
    "read_manifest",
    "read_shards",
    "done_ids",
    "shard_files",
    "load_shards_into",
    "RayEmbedConfig",
    "RayEmbedResult",
    "ray_embed",
    "input_files",
]
