"""The OpenBLAS core type coldrec sets before importing FAISS (issue 18 point 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coldrec.retrieval._faiss import cpu_flags, openblas_coretype, set_openblas_coretype

XEON = {"sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "amx_tile"}


@pytest.mark.parametrize("flags, expected", [
    (XEON, "SkylakeX"),
    ({"sse3", "avx", "avx2", "fma"}, "Haswell"),  # AVX2 only (e.g. Zen 2, older Xeons)
    ({"sse3", "avx"}, "Sandybridge"),
    ({"sse3", "avx", "avx2", "fma", "avx512f"}, "Haswell"),  # AVX-512 without BW/VL: no SkylakeX kernels
    ({"sse3", "sse4_2"}, None),  # nothing to gain: OpenBLAS's own detection stays
    (set(), None),  # no /proc/cpuinfo (macOS, Windows)
])
def test_core_type_follows_the_cpu_flags(flags, expected):
    assert openblas_coretype(flags) == expected


def test_cpu_flags_reads_the_flags_line(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse3 avx2 fma\n\nflags\t: other\n")
    assert cpu_flags(info) == {"fpu", "sse3", "avx2", "fma"}
    assert cpu_flags(tmp_path / "absent") == frozenset()


def test_a_users_own_core_type_is_kept(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Zen")
    assert set_openblas_coretype(XEON) == "Zen"
    import os

    assert os.environ["OPENBLAS_CORETYPE"] == "Zen"


def test_unset_core_type_is_chosen_from_flags(monkeypatch):
    # setenv first, so teardown restores the variable's absence: a bare delenv of an unset variable records no
    # undo, and the "SkylakeX" set below leaked into every later subprocess (SIGILL on a CPU without AVX-512)
    monkeypatch.setenv("OPENBLAS_CORETYPE", "unset-by-this-test")
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    assert set_openblas_coretype(XEON) == "SkylakeX"
    import os

    assert os.environ["OPENBLAS_CORETYPE"] == "SkylakeX"


def _child(code: str, env_core: str | None) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if env_core:
        env["OPENBLAS_CORETYPE"] = env_core
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


_PROBE = ("import os; from coldrec.retrieval._faiss import load_faiss, openblas_coretype, cpu_flags; "
          "load_faiss(); print(os.environ.get('OPENBLAS_CORETYPE', '-'), openblas_coretype(cpu_flags()) or '-')")


def test_building_an_index_sets_the_core_type_before_faiss_loads():
    pytest.importorskip("faiss")
    seen, expected = _child(_PROBE, None).split()
    assert seen == expected
    assert _child(_PROBE, "Haswell").split()[0] == "Haswell"  # the user's setting wins in the real import path
