"""Parse an upload in a worker process with a memory cap and a time limit, so no file can take the caller down.

The app parses every upload this way: a file that makes a parser allocate without bound (a pathological workbook,
a cell that explodes in a library) hits ``RLIMIT_AS`` in the worker, which fails alone; the server and every other
session carry on, and the analyst reads one clear message. Settings: ``COLDREC_PARSE_MEMORY_MB`` (default 3072) and
``COLDREC_PARSE_TIMEOUT_S`` (default 300).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import types
from pathlib import Path
from typing import Any

from coldrec.errors import CatalogError

__all__ = ["run_isolated", "parse_memory_bytes"]

_DEFAULT_MB, _DEFAULT_TIMEOUT = 3072, 300.0
_ALLOWED = ("read_table", "load_catalog")


def parse_memory_bytes() -> int:
    """The worker's address-space cap in bytes (``COLDREC_PARSE_MEMORY_MB``)."""
    raw = os.environ.get("COLDREC_PARSE_MEMORY_MB", "").strip()
    try:
        mb = float(raw) if raw else _DEFAULT_MB
    except ValueError:
        raise CatalogError(f"COLDREC_PARSE_MEMORY_MB={raw!r} is not a number of MB (default {_DEFAULT_MB}).") from None
    if mb < 256:
        raise CatalogError(f"COLDREC_PARSE_MEMORY_MB={raw!r}: give at least 256 (MB).")
    return int(mb * 2**20)


def _timeout() -> float:
    raw = os.environ.get("COLDREC_PARSE_TIMEOUT_S", "").strip()
    try:
        return float(raw) if raw else _DEFAULT_TIMEOUT
    except ValueError:
        raise CatalogError(f"COLDREC_PARSE_TIMEOUT_S={raw!r} is not a number of seconds.") from None


def _child(conn: Any, func: str, args: tuple, kwargs: dict, memory: int) -> None:  # pragma: no cover - subprocess
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass
    try:
        from coldrec.catalog._catalog import load_catalog
        from coldrec.catalog._readers import read_table

        conn.send(("ok", {"read_table": read_table, "load_catalog": load_catalog}[func](*args, **kwargs)))
    except MemoryError:
        conn.send(("memory", None))
    except Exception as exc:  # noqa: BLE001 - sent back and re-raised in the caller
        conn.send(("error", exc if isinstance(exc, CatalogError) else CatalogError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def _context() -> Any:
    # The worker imports coldrec by name: make it find this very copy first, even when the caller has changed its
    # working folder since a relative sys.path entry (such as "") was resolved, or another copy is installed.
    root = str(Path(__file__).resolve().parents[2])
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        # third-party parsers only: Python 3.11's fork server ignores the caller's sys.path, so a preloaded coldrec
        # could be another installed copy; each worker imports coldrec itself after taking the caller's sys.path
        ctx.set_forkserver_preload(["numpy", "pandas", "pyarrow.parquet", "openpyxl", "charset_normalizer"])
    return ctx


_START_LOCK = threading.Lock()


def _start_without_main(proc: Any) -> None:
    """Start ``proc`` with an empty ``__main__``: the worker must not re-run the caller's main script.

    Streamlit runs each page as ``__main__`` (so does AppTest); multiprocessing would re-execute that script in the
    worker to "restore" it. The worker needs nothing from it."""
    with _START_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            proc.start()
        finally:
            if main is not None:
                sys.modules["__main__"] = main


def run_isolated(func: str, *args: Any, label: str = "the upload", **kwargs: Any) -> Any:
    """``coldrec.catalog.<func>(*args, **kwargs)`` in a capped worker process (``read_table`` or ``load_catalog``).

    Raises:
        CatalogError: what the parser raised, or that the worker ran out of memory, crashed or ran out of time
            (the message names the setting to raise).
    """
    if func not in _ALLOWED:
        raise CatalogError(f"run_isolated runs one of {_ALLOWED}, not {func!r}.")
    memory, timeout = parse_memory_bytes(), _timeout()
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, func, args, kwargs, memory), daemon=True)
    try:
        _start_without_main(proc)
    except OSError as exc:
        raise CatalogError(f"{label}: the file reader process could not be started ({exc}).") from None
    finally:
        child.close()
    mb = memory // 2**20
    try:
        if not parent.poll(timeout):
            raise CatalogError(f"{label}: reading it took longer than {timeout:.0f} s and was stopped; split the "
                               "file, or raise COLDREC_PARSE_TIMEOUT_S.")
        try:
            kind, value = parent.recv()
        except EOFError:
            proc.join(timeout=5)
            raise CatalogError(f"{label}: the file reader stopped without an answer (exit code {proc.exitcode}), "
                               f"most likely over its memory limit of {mb:,} MB; split the file, or raise "
                               "COLDREC_PARSE_MEMORY_MB.") from None
    finally:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        parent.close()
    if kind == "memory":
        raise CatalogError(f"{label}: reading it needs more than {mb:,} MB of memory and was stopped; split the file, "
                           "or raise COLDREC_PARSE_MEMORY_MB.")
    if kind == "error":
        raise value
    return value
