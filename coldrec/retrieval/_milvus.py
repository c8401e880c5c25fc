"""Recall from a Milvus vector store: Milvus Lite (embedded, one local file) or any Milvus server by URI.

The same contract as :func:`coldrec.retrieval.top_n`: ``search`` returns ``(rows, scores)`` best first, where a
row is the item's position in the order it was added and a score is the cosine (rows are unit vectors, metric
``IP``), blended with popularity as ``(1 - w) * cosine + w * popularity_prior`` when asked. Category filters and
seen-item exclusion become Milvus filter expressions; the popularity blend is exact: the pool grows until no item
outside it can beat the n-th blended score.

``pymilvus`` (and ``milvus-lite`` for local files) are imported inside functions; without them every entry point
raises :class:`MissingExtraError` naming ``pip install -r requirements-scale.txt``.

URIs (:func:`parse_index_uri`):
    ``path/to/store.db`` or ``path/to/store.db#collection``   Milvus Lite, a local file (collection ``items``)
    ``milvus://host:port/collection``                         a Milvus server or cluster (token: ``$MILVUS_TOKEN``)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.retrieval._milvus_uri import IndexURI, filter_expression, literal, parse_index_uri

__all__ = ["MissingExtraError", "IndexURI", "parse_index_uri", "StoreConfig", "MilvusStore", "require_extra",
           "filter_expression", "SCALE_INSTALL"]

SCALE_INSTALL = "pip install -r requirements-scale.txt  (ray[data], pymilvus, milvus-lite)"
_MAX_POOL = 16_384  # Milvus's largest topk
_BATCH = 5_000


class MissingExtraError(ColdrecError):
    """An optional scale dependency (ray, pymilvus, milvus-lite) is not installed; the message says what to run."""


def require_extra(module: str, feature: str):
    """Import ``module`` or raise :class:`MissingExtraError` saying which feature needs it and how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{feature} needs the Python package {module!r}, which is not installed ({exc}). "
            f"Install the scale extras: {SCALE_INSTALL}."
        ) from None


@dataclass
class StoreConfig:
    """How a Milvus collection is built and searched.

    Attributes:
        index_type: vector index; ``None`` = ``"FLAT"`` (exact) on Milvus Lite and ``"AUTOINDEX"`` on a server.
            Also ``"HNSW"`` or ``"IVF_FLAT"``.
        index_params: build parameters of the index (e.g. ``{"M": 32, "efConstruction": 80}`` for HNSW).
        search_params: per-query parameters (e.g. ``{"ef": 160}`` for HNSW, ``{"nprobe": 24}`` for IVF).
        max_text: longest item id / title / category kept (Milvus VARCHAR limit of the collection).
        token: server token; ``None`` reads ``$MILVUS_TOKEN`` (never put credentials in the URI).
    """

    index_type: str | None = None
    index_params: dict | None = None
    search_params: dict | None = None
    max_text: int = 1024
    token: str | None = None


class MilvusStore:
    """Item vectors in a Milvus collection, searched under the ``top_n`` contract.

    Fields: ``row`` (INT64 primary key: position in add order), ``item_id``, ``title``, ``category`` (VARCHAR) and
    ``vector`` (FLOAT_VECTOR, metric IP). Use as a context manager or call :meth:`close` (Milvus Lite runs a local
    server process while a store is open).

    Example:
        >>> store = MilvusStore("/tmp/items.db")                          # doctest: +SKIP
        >>> store.add(["a", "b"], vectors, categories=["x", "y"])         # doctest: +SKIP
        >>> rows, scores = store.search(query, 10, exclude_categories=["y"])  # doctest: +SKIP
    """

    def __init__(self, uri: str | IndexURI, config: StoreConfig | None = None) -> None:
        self.uri = uri if isinstance(uri, IndexURI) else parse_index_uri(uri)
        self.config = config or StoreConfig()
        pymilvus = require_extra("pymilvus", f"The Milvus store {self.uri}")
        if self.uri.kind == "lite":
            require_extra("milvus_lite", f"The local Milvus Lite store {self.uri.target}")
            os.makedirs(os.path.dirname(self.uri.target) or ".", exist_ok=True)
        token = self.config.token if self.config.token is not None else os.environ.get("MILVUS_TOKEN", "")
        try:
            self._client = pymilvus.MilvusClient(self.uri.target, token=token) if token else \
                pymilvus.MilvusClient(self.uri.target)
        except Exception as exc:  # connection refused, locked file ...
            hint = (" Milvus Lite lets one process open a file at a time: close the other process (the app, another "
                    "command) or serve it with a Milvus server." if self.uri.kind == "lite" else "")
            raise ColdrecError(f"Cannot open the Milvus store {self.uri}: {type(exc).__name__}: "
                               f"{str(exc).splitlines()[0][:300]}.{hint}") from None
        self.index_type = self.config.index_type or ("FLAT" if self.uri.kind == "lite" else "AUTOINDEX")
        prefix = "milvus-lite" if self.uri.kind == "lite" else "milvus"
        #: which recall ran, like ``df.attrs["recall"]``: "milvus-lite:FLAT", "milvus:AUTOINDEX", "+blend" added
        self.recall = f"{prefix}:{self.index_type}"
        self._dim: int | None = None
        self._loaded = False

    def _load(self) -> None:
        """Load the collection for search once per store (a store opened by another process starts released)."""
        if not self._loaded:
            self._client.load_collection(self.uri.collection)
            self._loaded = True

    def __enter__(self) -> "MilvusStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection (and stop Milvus Lite's local process)."""
        client, self._client = getattr(self, "_client", None), None
        if client is not None:
            client.close()
            if self.uri.kind == "lite":  # stop the in-process Lite server and free the file's lock
                from milvus_lite.server_manager import server_manager_instance

                server_manager_instance.release_server(self.uri.target)

    @property
    def exists(self) -> bool:
        return bool(self._client.has_collection(self.uri.collection))

    @property
    def dim(self) -> int | None:
        if self._dim is None and self.exists:
            desc = self._client.describe_collection(self.uri.collection)
            for f in desc.get("fields", []):
                if f.get("name") == "vector":
                    self._dim = int(f.get("params", {}).get("dim"))
        return self._dim

    def count(self) -> int:
        """Rows in the collection (0 when it does not exist yet)."""
        if not self.exists:
            return 0
        self._client.flush(self.uri.collection) if self.uri.kind == "server" else None
        return int(self._client.get_collection_stats(self.uri.collection).get("row_count", 0))

    def drop(self) -> None:
        """Delete the collection (all rows)."""
        if self.exists:
            self._client.drop_collection(self.uri.collection)
        self._dim = None

    def _create(self, dim: int) -> None:
        from pymilvus import DataType

        c = self._client
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        for name in ("item_id", "title", "category"):
            schema.add_field(name, DataType.VARCHAR, max_length=self.config.max_text)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = c.prepare_index_params()
        params.add_index(field_name="vector", index_type=self.index_type, metric_type="IP",
                         params=self.config.index_params or {})
        c.create_collection(self.uri.collection, schema=schema, index_params=params)
        self._dim = dim

    def add(self, ids: Sequence[str], vectors: np.ndarray, categories: Sequence[str] | None = None,
            titles: Sequence[str] | None = None) -> int:
        """Append items (rows continue from :meth:`count`); returns the first new row. Vectors should be unit rows."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(ids):
            raise ColdrecError(f"add() needs one vector per id: {len(ids)} ids, vectors of shape {vectors.shape}.")
        for name, col in (("categories", categories), ("titles", titles)):
            if col is not None and len(col) != len(ids):
                raise ColdrecError(f"add(): {len(ids)} ids but {len(col)} {name}.")
        if not self.exists:
            self._create(vectors.shape[1])
        elif self.dim != vectors.shape[1]:
            raise ColdrecError(f"{self.uri} holds {self.dim}-d vectors, got {vectors.shape[1]}-d: use the same model.")
        start = self.count()
        cut = self.config.max_text
        for lo in range(0, len(ids), _BATCH):
            hi = min(lo + _BATCH, len(ids))
            rows = [{"row": start + i, "item_id": str(ids[i])[:cut],
                     "title": str(titles[i])[:cut] if titles is not None else "",
                     "category": str(categories[i])[:cut] if categories is not None else "",
                     "vector": vectors[i]} for i in range(lo, hi)]
            self._client.insert(self.uri.collection, rows)
        return start

    def _search(self, q: np.ndarray, limit: int, expr: str) -> tuple[np.ndarray, np.ndarray]:
        self._load()
        params = {"metric_type": "IP", "params": dict(self.config.search_params or {})}
        hits = self._client.search(self.uri.collection, data=[q.tolist()], limit=int(limit), filter=expr,
                                   output_fields=["row"], search_params=params)[0]
        rows = np.array([h.get("row", h.get("id", h.get("entity", {}).get("row"))) for h in hits], dtype=np.int64)
        scores = np.array([h["distance"] for h in hits], dtype=np.float32)
        order = np.lexsort((rows, -scores))  # ties broken by row, like top_n
        return rows[order], scores[order]

    def search(self, query: np.ndarray, n: int, *, include_categories: Sequence[str] | None = None,
               exclude_categories: Sequence[str] | None = None, exclude_ids: Iterable[str] = (),
               exclude_rows: Iterable[int] = (), popularity: np.ndarray | None = None,
               pop_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best rows and their scores, best first (see :func:`coldrec.retrieval.top_n`).

        Args:
            query: ``(d,)`` unit user vector.
            n: how many (fewer when fewer rows pass the filters).
            include_categories / exclude_categories: keep only / leave out these categories.
            exclude_ids: item ids never returned (seen or liked items).
            exclude_rows: rows never returned (the ``exclude=`` of ``top_n``).
            popularity: interaction counts by row ``(count(),)``, used with ``pop_weight``.
            pop_weight: score = ``(1 - w) * cosine + w * popularity_prior``; exact (the pool grows until no row
                outside it can win).
        """
        from coldrec.retrieval._recall import popularity_prior

        if n < 0:
            raise ColdrecError(f"n must be >= 0, got {n}.")
        if not 0 <= pop_weight <= 1:
            raise ColdrecError(f"pop_weight must be between 0 and 1, got {pop_weight!r}.")
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if self.dim is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if q.shape[0] != self.dim:
            raise ColdrecError(f"The user vector has {q.shape[0]} dimensions but {self.uri} holds {self.dim}-d "
                               "items: embed users and items with the same model.")
        expr = filter_expression(include_categories, exclude_categories, exclude_ids, exclude_rows)
        if n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if not pop_weight or popularity is None:
            self.last_recall = self.recall
            return self._search(q, min(n, _MAX_POOL), expr)
        prior = popularity_prior(popularity)
        top_prior = float(prior.max()) if prior.size else 0.0
        pool = max(4 * n, 64)
        while True:
            pool = min(pool, _MAX_POOL)
            rows, cos = self._search(q, pool, expr)
            blend = ((1 - pop_weight) * cos + pop_weight * prior[rows]).astype(np.float32)
            order = np.lexsort((rows, -blend))[:n]
            exhausted = rows.size < pool
            bound = (1 - pop_weight) * (float(cos.min()) if cos.size else -1.0) + pop_weight * top_prior
            exact = exhausted or (order.size == n and blend[order[-1]] >= bound)
            if exact or pool == _MAX_POOL:
                self.last_recall = f"{self.recall}+blend" + ("" if exact else f" (pool {pool}, approximate)")
                return rows[order], blend[order]
            pool *= 4

    def search_many(self, queries: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`search` (no filters) for each row of ``queries``, ``min(n, 16384)`` results each, in batched
        requests: a new item's audience asks the store once per block of users, not once per user."""
        Q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if self.dim is None or not len(Q) or n <= 0:
            return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in range(len(Q))]
        if Q.shape[1] != self.dim:
            raise ColdrecError(f"The user vectors have {Q.shape[1]} dimensions but {self.uri} holds {self.dim}-d "
                               "items: embed users and items with the same model.")
        self._load()
        params = {"metric_type": "IP", "params": dict(self.config.search_params or {})}
        out = []
        for lo in range(0, len(Q), 256):
            res = self._client.search(self.uri.collection, data=Q[lo:lo + 256].tolist(), limit=min(int(n), _MAX_POOL),
                                      output_fields=["row"], search_params=params)
            for hits in res:
                rows = np.array([h.get("row", h.get("id", h.get("entity", {}).get("row"))) for h in hits], np.int64)
                scores = np.array([h["distance"] for h in hits], dtype=np.float32)
                order = np.lexsort((rows, -scores))
                out.append((rows[order], scores[order]))
        return out

    def lookup(self, rows: Sequence[int], vectors: bool = False):
        """``DataFrame(row, item_id, title, category)`` of these rows, in the given order (plus ``vector`` when
        ``vectors``): the item rows of a recalled list, fetched for those rows only."""
        import pandas as pd

        rows = [int(r) for r in rows]
        cols = ["item_id", "title", "category"] + (["vector"] if vectors else [])
        if not rows:
            return pd.DataFrame(columns=["row", *cols])
        self._load()
        got = []
        for lo in range(0, len(rows), _BATCH):
            got += self._client.query(self.uri.collection, filter=f"row in {rows[lo:lo + _BATCH]}",
                                      output_fields=["row", *cols])
        df = pd.DataFrame(got).set_index("row")
        return df.loc[rows, cols].reset_index()

    def items_of(self, item_ids: Sequence[str]):
        """``DataFrame(row, item_id, title, category, vector)`` of the ids found in the store (liked items), in the
        order asked (first occurrence), ids not in the store left out."""
        import pandas as pd

        ids = [str(i) for i in item_ids]
        cols = ["row", "item_id", "title", "category", "vector"]
        if not ids or not self.exists:
            return pd.DataFrame(columns=cols)
        self._load()
        got = self._client.query(self.uri.collection, filter=f"item_id in [{', '.join(map(literal, ids))}]",
                                 output_fields=cols)
        df = pd.DataFrame(got, columns=cols).drop_duplicates("item_id").set_index("item_id", drop=False)
        return df.loc[[i for i in dict.fromkeys(ids) if i in df.index]].reset_index(drop=True)  # in the asked order

    def vectors_of(self, item_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """``{item_id: vector}`` for the ids found in the store (liked/disliked items of a profile)."""
        ids = [str(i) for i in item_ids]
        if not ids or not self.exists:
            return {}
        self._load()
        got = self._client.query(self.uri.collection, filter=f"item_id in [{', '.join(map(literal, ids))}]",
                                 output_fields=["item_id", "vector"])
        return {g["item_id"]: np.asarray(g["vector"], dtype=np.float32) for g in got}
