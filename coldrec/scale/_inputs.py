"""Catalog inputs of a Ray job: which files (a file, sharded files, a folder), the column map fixed once on the
head of the first file, and the Ray Data reader (CSV/TSV as strings, like the in-process reader)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from coldrec.errors import ColdrecError

__all__ = ["input_files", "fixed_columns", "read_dataset", "FORMATS"]

FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
           ".ndjson": "jsonl"}


def input_files(source: str | os.PathLike | Sequence[str | os.PathLike]) -> tuple[list[str], str]:
    """``(files, format)`` of a file, a list of sharded files or a folder; all of one format (csv, tsv, parquet,
    jsonl)."""
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() in FORMATS and f.is_file())
        elif p.is_file():
            files.append(p)
        else:
            raise ColdrecError(f"Catalog {str(p)!r} does not exist.")
    if not files:
        raise ColdrecError(f"No catalog files in {source}: expected {', '.join(sorted(FORMATS))} files.")
    kinds = {FORMATS.get(f.suffix.lower()) for f in files}
    if None in kinds:
        bad = next(f for f in files if f.suffix.lower() not in FORMATS)
        raise ColdrecError(f"--engine ray reads {', '.join(sorted(FORMATS))} files, not {bad.name!r} "
                           "(convert it, or embed it in-process without --engine ray).")
    if len(kinds) > 1:
        raise ColdrecError(f"Catalog files mix formats {sorted(kinds)}; give files of one format.")
    return [str(f.resolve()) for f in files], kinds.pop()


def fixed_columns(first: str, fmt: str, columns):
    """The column map every block uses, resolved on the head of the first file."""
    from coldrec.catalog import ColumnMap, guess_columns, load_catalog

    head = _head(first, fmt)
    cmap = columns if columns is not None else guess_columns(head)
    if isinstance(cmap, dict):
        cmap = ColumnMap(**cmap)
    if not cmap.id:
        raise ColdrecError(f"{first}: --engine ray needs an id column (none found among {list(head.columns)}); "
                           "name it with --id COLUMN.")
    load_catalog(head, cmap)  # fails early, naming a mapped column that does not exist
    return cmap, list(head.columns)


def _head(path: str, fmt: str, n: int = 200):
    import pandas as pd
    import pyarrow.parquet as pq

    if fmt == "parquet":
        pf = pq.ParquetFile(path)
        return next(pf.iter_batches(batch_size=n)).to_pandas() if pf.metadata.num_rows else pf.schema_arrow.empty_table().to_pandas()
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, nrows=n)
    return pd.read_csv(path, sep="\t" if fmt == "tsv" else ",", dtype=str, keep_default_na=False, nrows=n)


def read_dataset(ray, files: list[str], fmt: str, names: list[str]):
    if fmt == "parquet":
        return ray.data.read_parquet(files)
    if fmt == "jsonl":
        return ray.data.read_json(files, lines=True)
    import pyarrow as pa
    import pyarrow.csv as pcsv

    return ray.data.read_csv(files, parse_options=pcsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ","),
                             convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                                                 strings_can_be_null=False))
