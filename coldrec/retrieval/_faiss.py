"""The one place coldrec imports FAISS, with its bundled OpenBLAS on the CPU's real kernels.

The OpenBLAS inside the ``faiss-cpu`` wheels (0.3.15) does not know recent Intel CPUs and falls back to
its SSE3-only "Prescott" kernels on them (an IVF build 3-5x slower on a Xeon with AVX-512). OpenBLAS reads
``OPENBLAS_CORETYPE`` when the library loads, so :func:`load_faiss` sets it from the CPU flags just before
the first ``import faiss``; a value the user set is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

_ENV = "OPENBLAS_CORETYPE"


def openblas_coretype(flags: set[str] | frozenset[str]) -> str | None:
    """The OpenBLAS core type for a set of ``/proc/cpuinfo`` flags, or None to leave detection alone.

    Example:
        >>> openblas_coretype({"sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl"})
        'SkylakeX'
    """
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= set(flags):
        return "SkylakeX"
    if {"avx2", "fma"} <= set(flags):
        return "Haswell"
    if "avx" in flags:
        return "Sandybridge"
    return None


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> frozenset[str]:
    """The first CPU's flags from ``/proc/cpuinfo`` (empty where the file is absent: macOS, Windows)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def set_openblas_coretype(flags: set[str] | frozenset[str] | None = None) -> str | None:
    """Set ``OPENBLAS_CORETYPE`` for this process unless it is already set; returns the value in force.

    Only takes effect for an OpenBLAS not yet loaded (call it before the first ``import faiss``).
    """
    if os.environ.get(_ENV):
        return os.environ[_ENV]
    chosen = openblas_coretype(cpu_flags() if flags is None else flags)
    if chosen:
        os.environ[_ENV] = chosen
    return chosen


def load_faiss():
    """Import FAISS with its OpenBLAS core type set for this CPU (see the module docstring).

    Example:
        >>> faiss = load_faiss()
        >>> faiss.IndexFlatIP(4).d
        4
    """
    import sys

    if "faiss" not in sys.modules:
        set_openblas_coretype()
    import faiss

    return faiss
