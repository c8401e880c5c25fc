"""An embedding shard folder: ``part-NNNNN.parquet`` files (item_id, title, category, vector) and ``manifest.json``.

A shard is written to a temporary name and renamed into place, so a killed job leaves only whole shards (and at
most a ``.tmp`` file, ignored and overwritten): the shards on disk are the truth, and a resumed job skips the ids
they hold. The manifest records the model, the dimension, the column mapping, the sources, each shard's row count,
whether the job completed, and the merged validation report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from coldrec.errors import ColdrecError

__all__ = ["MANIFEST", "ShardWriter", "read_manifest", "read_shards", "done_ids", "shard_files", "load_shards_into"]

MANIFEST = "manifest.json"
FORMAT = "coldrec-shards/1"


def shard_files(folder: str | os.PathLike) -> list[Path]:
    """The complete shards of ``folder`` in order (temporary files are not shards)."""
    return sorted(Path(folder).glob("part-*.parquet"))


def read_manifest(folder: str | os.PathLike) -> dict:
    """The folder's manifest, or raise ColdrecError saying what the folder lacks."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ColdrecError(f"{folder} is not an embedding shard folder: {MANIFEST} is missing "
                           "(write one with `coldrec embed CATALOG --engine ray --out FOLDER`).")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ColdrecError(f"{path}: format {data.get('format')!r} is not {FORMAT!r}.")
    return data


def read_shards(folder: str | os.PathLike) -> Iterator[dict]:
    """Yield each shard as ``{"ids", "titles", "categories", "vectors" (n × d float32)}``."""
    import pyarrow.parquet as pq

    for path in shard_files(folder):
        t = pq.read_table(path)
        vec = t.column("vector").combine_chunks()
        dim = vec.type.list_size
        yield {"ids": t.column("item_id").to_pylist(), "titles": t.column("title").to_pylist(),
               "categories": t.column("category").to_pylist(),
               "vectors": np.asarray(vec.flatten().to_numpy(zero_copy_only=False), np.float32).reshape(-1, dim)}


def done_ids(folder: str | os.PathLike) -> set[str]:
    """Item ids already written to the folder's shards (what a resumed job skips)."""
    import pyarrow.parquet as pq

    out: set[str] = set()
    for path in shard_files(folder):
        out.update(pq.read_table(path, columns=["item_id"]).column("item_id").to_pylist())
    return out


class ShardWriter:
    """Buffers embedded rows and writes whole shards of ``rows_per_shard`` rows, numbering after existing ones."""

    def __init__(self, folder: str | os.PathLike, rows_per_shard: int, meta: dict,
                 stop_after: int | None = None) -> None:
        if rows_per_shard < 1:
            raise ColdrecError(f"rows_per_shard must be >= 1, got {rows_per_shard}.")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows_per_shard = rows_per_shard
        self.meta = dict(meta)
        existing = shard_files(self.folder)
        self.next = int(existing[-1].stem.split("-")[1]) + 1 if existing else 0
        self.written = 0  # shards written by this writer
        self.stop_after = stop_after  # raise KeyboardInterrupt after this many shards (a deterministic kill)
        self._parts: list[dict] = []
        self._n = 0

    def add(self, ids: Sequence[str], titles: Sequence[str], categories: Sequence[str], vectors: np.ndarray) -> None:
        if len(ids):
            self._parts.append({"ids": list(ids), "titles": list(titles), "categories": list(categories),
                                "vectors": np.asarray(vectors, np.float32)})
            self._n += len(ids)
        while self._n >= self.rows_per_shard:
            self._write(self.rows_per_shard)

    def flush(self) -> None:
        if self._n:
            self._write(self._n)

    def _take(self, k: int) -> dict:
        keys = ("ids", "titles", "categories")
        out = {key: [] for key in keys}
        vecs = []
        while k:
            part = self._parts[0]
            m = min(k, len(part["ids"]))
            for key in keys:
                out[key] += part[key][:m]
                part[key] = part[key][m:]
            vecs.append(part["vectors"][:m])
            part["vectors"] = part["vectors"][m:]
            if not part["ids"]:
                self._parts.pop(0)
            k -= m
        out["vectors"] = np.concatenate(vecs)
        return out

    def _write(self, k: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = self._take(k)
        self._n -= k
        v = rows["vectors"]
        table = pa.table({"item_id": pa.array(rows["ids"], pa.string()), "title": pa.array(rows["titles"], pa.string()),
                          "category": pa.array(rows["categories"], pa.string()),
                          "vector": pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1)), v.shape[1])})
        table = table.replace_schema_metadata({"coldrec.model": str(self.meta.get("model", "")),
                                               "coldrec.dim": str(v.shape[1])})
        final = self.folder / f"part-{self.next:05d}.parquet"
        tmp = final.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, final)  # atomic: a shard is either whole or absent
        self.next += 1
        self.written += 1
        self.meta["dim"] = int(v.shape[1])
        self.write_manifest(complete=False)
        if self.stop_after is not None and self.written >= self.stop_after:
            raise KeyboardInterrupt(f"stopped after {self.written} shard(s) (stop_after_shards)")

    def write_manifest(self, *, complete: bool, report: dict | None = None) -> Path:
        import pyarrow.parquet as pq

        shards = [{"file": p.name, "rows": pq.ParquetFile(p).metadata.num_rows} for p in shard_files(self.folder)]
        data = {"format": FORMAT, **self.meta, "shards": shards, "rows": sum(s["rows"] for s in shards),
                "complete": complete}
        if report is not None:
            data["report"] = report
        path = self.folder / MANIFEST
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        return path


def load_shards_into(folder: str | os.PathLike, store, *, replace: bool = False,
                     progress=None) -> int:
    """Add every shard of ``folder`` to a :class:`coldrec.retrieval.MilvusStore`; returns the rows added.

    Refuses an incomplete job (resume it first) and a store that already holds rows unless ``replace`` (which
    drops the collection first), so a second load never duplicates items.
    """
    man = read_manifest(folder)
    if not man.get("complete"):
        raise ColdrecError(f"{folder}: the embedding job did not complete ({man.get('rows', 0)} rows so far); "
                           "run the same `coldrec embed ... --engine ray` again to resume it.")
    if store.count():
        if not replace:
            raise ColdrecError(f"{store.uri} already holds {store.count()} rows; pass --replace to rebuild it.")
        store.drop()
    added = 0
    for shard in read_shards(folder):
        store.add(shard["ids"], shard["vectors"], categories=shard["categories"], titles=shard["titles"])
        added += len(shard["ids"])
        if progress:
            progress(added, int(man["rows"]))
    return added
