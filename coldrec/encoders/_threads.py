"""One BLAS thread for small products: on a busy 2-core machine a 2-thread OpenBLAS waits for the busy core."""

from __future__ import annotations

__all__ = ["single_thread_blas"]

_CTL = None


def single_thread_blas():
    """Context manager limiting BLAS to one thread (a matrix-vector product is memory-bound;
    a few texts through the numpy BERT are too small to split).

    On a busy 2-core machine a 2-thread OpenBLAS gemv waits for the second core: ~12 ms for any size up to
    100k × 384, against 0.5 ms at 10k single-threaded (bench/RESULTS.md, measure 4). Falls back to a no-op
    when threadpoolctl is missing.
    """
    global _CTL
    try:
        if _CTL is None:
            from threadpoolctl import ThreadpoolController

            _CTL = ThreadpoolController()
        return _CTL.limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing
        import contextlib

        return contextlib.nullcontext()
