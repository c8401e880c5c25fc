"""Process-wide background loads: each slow job (the encoder, a demo domain, a map fit, the UMAP compile) runs
once per server process in a daemon thread; callers wait on its result or ask what is still running.

Like ``st.cache_resource`` but started from a thread (the ``st.App`` lifespan in app.py starts the first ones at
server start), so a page can draw at once and say what is still loading (``ui.resources.wait_until_loaded``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

# Process-wide results of the slow start-up work (like ``st.cache_resource``, but started from a thread as soon
# as this module is imported, so the first page can draw at once and say what is still loading).
_LOADS: dict[tuple, tuple[str, float, Future]] = {}   # key -> (label, start time, future)
_LOADS_LOCK = threading.Lock()


def _submit(key: tuple, label: str, fn: Callable[..., Any], *args: Any) -> Future:
    """The future of ``fn(*args)`` run once per process in a daemon thread (a failed run is retried)."""
    with _LOADS_LOCK:
        held = _LOADS.get(key)
        if held is not None and not (held[2].done() and held[2].exception() is not None):
            return held[2]
        fut: Future = Future()
        _LOADS[key] = (label, time.perf_counter(), fut)

    def work() -> None:
        start = time.perf_counter()
        try:
            fut.set_result(fn(*args))
            print(f"coldrec: {label.lower()} took {time.perf_counter() - start:.1f} s (done at {time.time():.2f})",
                  file=sys.stderr, flush=True)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the result
            fut.set_exception(exc)

    threading.Thread(target=work, name=f"coldrec-load-{key[0]}", daemon=True).start()
    return fut


def background(key: tuple, label: str, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, computed once per process in the background; blocks until it is ready."""
    return _submit(key, label, fn, *args).result()


STARTUP_KINDS = ("encoder", "demo")  # what pages wait for; maps and the UMAP compile run on unwatched


def pending_loads(kinds: Sequence[str] = STARTUP_KINDS) -> list[tuple[str, float]]:
    """``(label, seconds so far)`` of the background loads of ``kinds`` still running."""
    now = time.perf_counter()
    with _LOADS_LOCK:
        return [(label, now - t0) for key, (label, t0, fut) in _LOADS.items() if key[0] in kinds and not fut.done()]
