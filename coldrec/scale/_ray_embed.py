"""Batch embedding on Ray Data: catalog files → texts (same column mapping and validation) → an actor pool of
coldrec encoders → Parquet shards + manifest (:mod:`coldrec.scale._shards`).

The column map is fixed once on the first file (guessed like :func:`coldrec.catalog.load_catalog` does, or given),
so every block maps the same way. Each block is validated by ``load_catalog`` inside the actor; the driver reads
the blocks back in order (``preserve_order``), numbers the rows across all files, drops ids already seen in
earlier blocks (``duplicate id``) and merges one report: every row kept or skipped with its reason. Rows already
in the folder's shards are not encoded again (resume).
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from coldrec.errors import ColdrecError
from coldrec.scale._inputs import fixed_columns, input_files, read_dataset

__all__ = ["RayEmbedConfig", "RayEmbedResult", "ray_embed"]

_SENTINEL = "\x00coldrec-sentinel"


@dataclass
class RayEmbedConfig:
    """How a Ray embedding job runs.

    Attributes:
        model: encoder for :func:`coldrec.encoders.load_encoder` (None = bundled MiniLM, "hash", a folder).
        precision: "auto", "fp32", "fp16" or "int8" (as ``load_encoder``).
        device: encoder device inside each actor (None = auto: CUDA fp16 when the actor has a GPU).
        batch_size: texts per forward pass inside an actor (None = the encoder's default).
        address: Ray cluster address (``ray://host:10001`` or ``auto``); None starts a local Ray.
        num_cpus: CPUs of the local Ray (ignored with ``address``).
        actors: encoder actors in the pool (each loads the encoder once).
        gpus_per_actor: GPUs per actor (0 = CPU actors).
        cpus_per_actor: CPUs each actor reserves (may be fractional); a local Ray must keep one CPU free for reading.
        block_rows: rows per batch handed to an actor.
        rows_per_shard: rows per Parquet shard (the unit of resume).
        cache_dir: embedding cache folder the actors use (None = the default; must be reachable by the workers).
        use_cache: read and write the embedding cache.
        stop_after_shards: stop (raise KeyboardInterrupt) after writing this many shards: a deterministic "kill"
            for tests of resume.
    """

    model: str | None = None
    precision: str = "auto"
    device: str | None = None
    batch_size: int | None = None
    address: str | None = None
    num_cpus: int | None = 2
    actors: int = 1
    gpus_per_actor: float = 0.0
    cpus_per_actor: float = 1.0
    block_rows: int = 2048
    rows_per_shard: int = 50_000
    cache_dir: str | None = None
    use_cache: bool = True
    stop_after_shards: int | None = None


@dataclass
class RayEmbedResult:
    """What a job did.

    Attributes:
        folder: the shard folder.
        rows: rows in the folder's shards after the job.
        encoded: rows encoded by this run (the rest were already in shards).
        report: the merged :class:`coldrec.catalog.ValidationReport`.
        model: the encoder name.
        seconds: wall time.
    """

    folder: Path
    rows: int
    encoded: int
    report: object
    model: str
    seconds: float
    warnings: list[str] = field(default_factory=list)


class _EmbedBlock:
    """A Ray Data actor: loads the coldrec encoder once, then validates, maps and encodes blocks."""

    def __init__(self, columns: dict, config: dict, done) -> None:
        from coldrec.catalog import ColumnMap
        from coldrec.encoders import EmbeddingCache, load_encoder

        if not isinstance(done, (set, frozenset)):  # an ObjectRef of the resumed ids
            import ray

            done = ray.get(done)
        self.columns = ColumnMap(**columns)
        self.done = done
        self.encoder = load_encoder(config["model"], device=config["device"], batch_size=config["batch_size"],
                                    precision=config["precision"])
        self.cache = EmbeddingCache(config["cache_dir"]) if config["use_cache"] else None

    def _validate(self, df):
        """``(catalog, issues)`` of a block; a block with no usable row gets its per-row reasons through a sentinel."""
        from coldrec.catalog import load_catalog
        from coldrec.errors import CatalogError

        try:
            cat = load_catalog(df, self.columns)
            return cat, cat.report
        except CatalogError:
            pad = {c: ("x" if c in self.columns.used_columns() else None) for c in df.columns}
            pad[self.columns.id] = _SENTINEL
            cat = load_catalog(__import__("pandas").concat([df, __import__("pandas").DataFrame([pad])],
                                                           ignore_index=True), self.columns)
            cat.items = cat.items[cat.items["item_id"] != _SENTINEL]
            return cat, cat.report

    def __call__(self, df):
        import pandas as pd

        from coldrec.encoders import embed_texts

        df = df.reset_index(drop=True)
        n = len(df)
        cat, report = self._validate(df)
        out = pd.DataFrame({"_row": np.arange(1, n + 1), "_state": "skip", "item_id": "", "title": "",
                            "category": "", "_column": "", "_reason": "", "_value": ""})
        for issue in report.skipped:
            if issue.row <= n:
                out.loc[issue.row - 1, ["_column", "_reason", "_value"]] = [issue.column, issue.reason, issue.value]
        kept = np.flatnonzero(out["_reason"].to_numpy() == "")[: len(cat.items)]
        items = cat.items
        out.loc[kept, "item_id"] = items["item_id"].to_numpy()
        out.loc[kept, "title"] = items["title"].to_numpy()
        out.loc[kept, "category"] = items["category"].to_numpy()
        is_done = np.array([i in self.done for i in items["item_id"]], dtype=bool)
        out.loc[kept, "_state"] = np.where(is_done, "done", "new")
        vectors = np.zeros((n, self.encoder.dim), np.float32)
        new = kept[~is_done]
        if new.size:
            vectors[new] = embed_texts(self.encoder, list(items["text"].to_numpy()[~is_done]), self.cache).vectors
        out["vector"] = list(vectors)
        out["_warnings"] = "\n".join(report.warnings)
        out["_model"] = self.encoder.name
        return out


_LOCAL_ROW = re.compile(r"row (\d+)")


class _Merger:
    """Driver side: numbers rows across blocks, drops ids seen in earlier blocks, builds one report."""

    def __init__(self, report, id_col: str) -> None:
        self.report = report
        self.id_col = id_col
        self.first: dict[str, int] = {}
        self.offset = 0
        self.encoded = 0
        self.model = ""

    def add(self, batch, writer) -> None:
        from coldrec.catalog import RowIssue

        rep, off = self.report, self.offset
        rep.rows_read += len(batch)
        for w in set(batch["_warnings"].iloc[0].split("\n")) if len(batch) else ():
            if w and w not in rep.warnings:
                rep.warnings.append(w)
        keep = []
        for i, (state, iid, r) in enumerate(zip(batch["_state"], batch["item_id"], batch["_row"])):
            row = off + int(r)
            if state == "skip":
                reason = _LOCAL_ROW.sub(lambda m: f"row {off + int(m.group(1))}", batch["_reason"].iat[i])
                rep.skipped.append(RowIssue(row, batch["_column"].iat[i], reason, batch["_value"].iat[i]))
            elif iid in self.first:
                rep.skipped.append(RowIssue(row, self.id_col, f"duplicate id (first seen in row {self.first[iid]})",
                                            iid))
            else:
                self.first[iid] = row
                rep.kept += 1
                if state == "new":
                    keep.append(i)
        self.offset += len(batch)
        if len(batch):
            self.model = batch["_model"].iat[0]
        if keep:
            b = batch.iloc[keep]
            writer.add(list(b["item_id"]), list(b["title"]), list(b["category"]), np.stack(b["vector"].to_numpy()))
            self.encoded += len(keep)


def _start_ray(ray, cfg: RayEmbedConfig) -> bool:
    """Connect to ``cfg.address`` or start a local Ray; True when this call started it (and must shut it down)."""
    if ray.is_initialized():
        return False
    import coldrec

    root = str(Path(coldrec.__file__).resolve().parents[1])  # workers import this coldrec, not another install
    env = {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p),
                        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}}
    try:
        if cfg.address:
            ray.init(address=cfg.address, runtime_env=env, log_to_driver=False)
        else:
            ray.init(num_cpus=cfg.num_cpus, include_dashboard=False, runtime_env=env, log_to_driver=False)
    except Exception as exc:  # unreachable address, port clash ...
        where = cfg.address or f"a local Ray (num_cpus={cfg.num_cpus})"
        raise ColdrecError(f"Cannot start Ray on {where}: {type(exc).__name__}: {exc}") from None
    return True


def ray_embed(source, out: str | os.PathLike, columns=None, config: RayEmbedConfig | None = None,
              progress: Callable[[int, int], None] | None = None) -> RayEmbedResult:
    """Embed a catalog (a file, sharded files or a folder) with Ray Data into a shard folder; resumes.

    Args:
        source: CSV/TSV/Parquet/JSONL file, a list of such files, or a folder of them.
        out: the shard folder (created; shards already there are kept and their ids skipped).
        columns: a :class:`coldrec.catalog.ColumnMap` (or dict); None guesses it on the first file.
        config: :class:`RayEmbedConfig`.
        progress: ``progress(rows_seen, rows_seen)`` after each block.

    Raises:
        MissingExtraError: ray is not installed (the message says what to install).
        ColdrecError / CatalogError: bad input, no id column, no usable row in the whole catalog.
    """
    import time

    from coldrec.catalog import ValidationReport
    from coldrec.errors import CatalogError
    from coldrec.retrieval import require_extra
    from coldrec.scale._shards import ShardWriter, done_ids, read_manifest

    cfg = config or RayEmbedConfig()
    if cfg.actors < 1 or cfg.gpus_per_actor < 0:
        raise ColdrecError(f"actors must be >= 1 and gpus_per_actor >= 0, got {cfg.actors} and {cfg.gpus_per_actor}.")
    if not cfg.address and cfg.num_cpus and cfg.actors * cfg.cpus_per_actor > cfg.num_cpus - 1:
        raise ColdrecError(
            f"{cfg.actors} actor(s) × {cfg.cpus_per_actor} CPU leave no CPU of the local Ray (num_cpus={cfg.num_cpus}) "
            "for reading the catalog, and the job would wait forever: use fewer --actors, --cpus-per-actor 0.5, "
            "or a larger --num-cpus.")
    t0 = time.perf_counter()
    ray = require_extra("ray", "Embedding with --engine ray")
    require_extra("ray.data", "Embedding with --engine ray")
    files, fmt = input_files(source)
    cmap, names = fixed_columns(files[0], fmt, columns)
    folder = Path(out)
    if (folder / "manifest.json").is_file():
        old = read_manifest(folder)
        if old.get("model") and cfg.model is not None and old.get("model_arg") not in (None, cfg.model):
            raise ColdrecError(f"{folder} holds vectors of model {old['model']!r}; embed into another folder.")
    done = done_ids(folder)
    meta = {"model_arg": cfg.model, "columns": asdict(cmap), "sources": files, "format_in": fmt}
    writer = ShardWriter(folder, cfg.rows_per_shard, meta, stop_after=cfg.stop_after_shards)
    report = ValidationReport(", ".join(Path(f).name for f in files), fmt, "utf-8" if fmt in ("csv", "tsv") else "")
    merger = _Merger(report, cmap.id)
    started = _start_ray(ray, cfg)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # the driver numbers rows in input order
        ctx.enable_progress_bars = False
        ds = read_dataset(ray, files, fmt, names)
        actor_cfg = {k: getattr(cfg, k) for k in ("model", "device", "batch_size", "precision", "cache_dir",
                                                   "use_cache")}
        ds = ds.map_batches(_EmbedBlock, fn_constructor_kwargs={"columns": asdict(cmap), "config": actor_cfg,
                                                                "done": done if len(done) < 100_000 else ray.put(done)},
                            batch_format="pandas", batch_size=cfg.block_rows,
                            compute=ray.data.ActorPoolStrategy(size=cfg.actors),
                            num_gpus=cfg.gpus_per_actor or None, num_cpus=cfg.cpus_per_actor)
        for batch in ds.iter_batches(batch_format="pandas", batch_size=None):
            merger.add(batch, writer)
            writer.meta["model"] = merger.model
            if progress:
                progress(merger.offset, merger.offset)
        writer.flush()
    finally:
        if started:
            ray.shutdown()
    if report.kept == 0:
        raise CatalogError(f"{report.source}: no usable row.\n{report.summary()}")
    writer.meta["model"] = merger.model or writer.meta.get("model", "")
    writer.write_manifest(complete=True, report=report.to_dict())
    man = read_manifest(folder)
    return RayEmbedResult(folder, int(man["rows"]), merger.encoded, report, writer.meta["model"],
                          time.perf_counter() - t0)
