"""Pick the encode path per machine: a short calibration at first use, recorded in the cache folder.

What is fastest depends on the CPU (issue 18): on a Xeon with AMX, bfloat16 runs MiniLM ~2.9× fp32 at cosine
0.9999 while the int8 ONNX path gains only ~1.2×; on an AMD EPYC with VNNI but no bf16, int8 gains ~2.8×. So
``precision="auto"`` on the CPU asks :func:`choose_precision`:

* candidates from the CPU flags: ``bf16`` with ``amx_bf16`` or ``avx512_bf16``; ``int8`` (ONNX Runtime) with
  ``avx512_vnni`` / ``avx_vnni`` and no bf16; none otherwise (fp32);
* each candidate is timed against fp32 on ~200 synthetic texts (interleaved rounds) and kept only if its mean
  cosine to fp32 is ≥ 0.99 and it is faster (≥ 1.1×, beyond timing noise); the fastest kept one wins;
* the choice, its ratio, cosine and reason go to ``<cache>/calibration.json`` under a key of CPU model, flags,
  library versions and model identity, so it is redone when any of them changes, and reused otherwise.

CUDA always gets fp16; ``--precision`` / ``COLDREC_PRECISION`` override the choice. :func:`describe_precision`
says which path runs and why (the Home page shows it).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["PrecisionChoice", "cpu_info", "candidates", "choose_precision", "describe_precision",
           "calibration_path", "MIN_COSINE", "MIN_SPEEDUP"]

MIN_COSINE = 0.99
MIN_SPEEDUP = 1.1
_FLAGS = ("amx_bf16", "amx_tile", "avx512_bf16", "avx512_vnni", "avx_vnni", "avx512f", "avx2")
_MEMO: dict[str, "PrecisionChoice"] = {}


@dataclass
class PrecisionChoice:
    """The encode path picked for this machine, and why."""

    precision: str
    reason: str
    speedup: float | None = None
    cosine: float | None = None
    key: str = ""
    measured: dict | None = None


def cpu_info() -> tuple[str, frozenset[str]]:
    """The CPU model name and the instruction-set flags coldrec cares about (Linux /proc/cpuinfo; else none)."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return name, frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            name = value.strip()
        elif key.strip() == "flags":
            flags = set(value.split())
            break
    return name, frozenset(f for f in _FLAGS if f in flags)


def candidates(flags: frozenset[str] | set[str], onnx: bool = True) -> list[str]:
    """Fast CPU paths worth measuring: bf16 on AMX / AVX512-BF16, int8 on VNNI-only CPUs, none otherwise."""
    if {"amx_bf16", "avx512_bf16"} & set(flags):
        return ["bf16"]
    if onnx and {"avx512_vnni", "avx_vnni"} & set(flags):
        return ["int8"]
    return []


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("coldrec", "torch", "transformers", "onnxruntime"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "-"
    return out


def machine_key(model_id: str) -> tuple[str, dict]:
    """Key of a calibration: CPU model, flags, library versions and the model; plus the facts behind it."""
    name, flags = cpu_info()
    facts = {"cpu": name, "flags": sorted(flags), "versions": _versions(), "model": model_id,
             "torch_threads": _torch_threads()}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16], facts


def _torch_threads() -> int:
    """torch's intra-op thread count, without importing torch (~2.8 s) when this setting was seen before.

    The count follows from ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``, the CPUs this process may use and the torch
    version; the value torch reported for those inputs is recorded in ``<cache>/torch-threads.json``, so a warm
    CLI run keys its calibration exactly as a run that imported torch does.
    """
    import sys

    inputs = json.dumps([os.environ.get("OMP_NUM_THREADS"), os.environ.get("MKL_NUM_THREADS"), os.cpu_count(),
                         sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
                         _versions()["torch"]])
    key = hashlib.sha256(inputs.encode()).hexdigest()[:16]
    path = calibration_path().with_name("torch-threads.json")
    seen = _read_all(path).get(key)
    if "torch" not in sys.modules and isinstance(seen, int) and seen > 0:
        return seen
    import torch

    n = int(torch.get_num_threads())
    if seen != n:
        _write(path, key, n)
    return n


def calibration_path() -> Path:
    """``<cache>/calibration.json`` (``$COLDREC_CACHE`` or the user cache folder)."""
    from coldrec.encoders._cache import default_cache_dir

    return default_cache_dir() / "calibration.json"


def _read_all(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, key: str, entry: dict) -> None:
    data = _read_all(path)
    data[key] = entry
    try:  # a read-only cache keeps the choice for this process only
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def calibration_texts(n: int = 200, seed: int = 0) -> list[str]:
    """``n`` synthetic product-like texts of 4–40 words (fixed seed): what a catalog and a query look like."""
    words = ("wireless quiet headphones garden hose kitchen knife vegetarian cookbook budget small flat running "
             "shoes waterproof jacket travel mug ceramic lamp reading novel history documentary jazz piano album "
             "study playlist family comedy series local news election climate football match recipe spicy "
             "noodles cotton shirt warm wool scarf children toy puzzle board game battery charger laptop stand "
             "desk chair ergonomic yoga mat camping tent hiking boots coffee grinder tea set gift for").split()
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, 41, size=n)
    return [" ".join(rng.choice(words, size=int(k))).capitalize() + "." for k in lengths]


def measure(make: Callable[[str], object], candidate: str, texts: list[str], rounds: int = 2) -> dict:
    """Time ``candidate`` against fp32 on ``texts`` (rounds interleaved, order alternated) and compare vectors."""
    base, fast = make("fp32"), make(candidate)
    base.encode(texts[:8]), fast.encode(texts[:8])  # first-call costs (kernel selection, allocations)
    ratios, t_base, t_fast = [], [], []
    for r in range(rounds):
        pair = [(base, t_base), (fast, t_fast)]
        for enc, times in pair if r % 2 == 0 else pair[::-1]:
            t0 = time.perf_counter()
            vec = enc.encode(texts)
            times.append(time.perf_counter() - t0)
            if enc is base:
                v_base = vec
            else:
                v_fast = vec
        ratios.append(t_base[-1] / max(t_fast[-1], 1e-9))
    cos = (v_base * v_fast).sum(axis=1)
    return {"speedup": float(np.median(ratios)), "cos_mean": float(cos.mean()), "cos_min": float(cos.min()),
            "fp32_texts_per_s": len(texts) / min(t_base), f"{candidate}_texts_per_s": len(texts) / min(t_fast)}


def calibrate(make: Callable[[str], object], flags, onnx: bool = True, texts: list[str] | None = None) -> PrecisionChoice:
    """Measure every candidate for ``flags`` and return the fastest one that keeps fidelity (else fp32)."""
    cands = candidates(flags, onnx)
    if not cands:
        return PrecisionChoice("fp32", "fp32: this CPU has neither AMX / AVX512-BF16 nor VNNI, so no faster "
                                       "path is worth measuring")
    texts = texts or calibration_texts()
    best, measured = None, {}
    for c in cands:
        try:
            m = measure(make, c, texts)
        except Exception as exc:  # a candidate that cannot run here (no onnxruntime, no bf16 kernels) is skipped
            measured[c] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
            continue
        measured[c] = m
        if m["cos_mean"] >= MIN_COSINE and m["speedup"] >= MIN_SPEEDUP and (
                best is None or m["speedup"] > measured[best]["speedup"]):
            best = c
    if best is None:
        why = "; ".join(f"{c}: " + (v.get("error") or f"{v['speedup']:.2f}× at cosine {v['cos_mean']:.4f}")
                        for c, v in measured.items())
        return PrecisionChoice("fp32", f"fp32: no faster path kept the bar (cosine ≥ {MIN_COSINE}, ≥ "
                                       f"{MIN_SPEEDUP}× fp32) — {why}", measured=measured)
    m = measured[best]
    what = {"bf16": "bfloat16 (AMX / AVX512-BF16)", "int8": "int8 ONNX Runtime (VNNI)"}[best]
    return PrecisionChoice(best, f"{best}: {what} measured {m['speedup']:.2f}× fp32 at mean cosine "
                                 f"{m['cos_mean']:.4f} on this CPU", m["speedup"], m["cos_mean"], measured=measured)


def choose_precision(make: Callable[[str], object], model_id: str, device: str = "cpu") -> PrecisionChoice:
    """The precision ``"auto"`` means here: fp16 on CUDA, fp32 on MPS, else the recorded or a new calibration.

    Args:
        make: ``make(precision)`` builds an encoder of the model at that precision on the CPU.
        model_id: the model's identity (part of the key: another model is calibrated on its own).
        device: the resolved device.
    """
    if str(device).startswith("cuda"):
        return _remember(PrecisionChoice("fp16", "fp16: a CUDA GPU is present"))
    if str(device).startswith("mps"):
        return _remember(PrecisionChoice("fp32", "fp32: Apple MPS (no calibration there)"))
    key, facts = machine_key(model_id)
    if key in _MEMO:
        return _remember(_MEMO[key])
    path = calibration_path()
    entry = _read_all(path).get(key)
    if isinstance(entry, dict) and entry.get("precision") in ("fp32", "bf16", "int8"):
        choice = PrecisionChoice(entry["precision"], entry.get("reason", ""), entry.get("speedup"),
                                 entry.get("cosine"), key, entry.get("measured"))
    else:
        from coldrec.encoders._onnx_runtime import onnx_available

        t0 = time.perf_counter()
        choice = calibrate(make, frozenset(facts["flags"]), onnx=onnx_available())
        choice.key = key
        _write(path, key, {**asdict(choice), **facts, "seconds": round(time.perf_counter() - t0, 2),
                           "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    _MEMO[key] = choice
    return _remember(choice)


_LAST: list[PrecisionChoice] = []


def _remember(choice: PrecisionChoice) -> PrecisionChoice:
    _LAST[:] = [choice]
    return choice


def describe_precision(encoder=None) -> str:
    """Which encode path runs and why, as one sentence (the Home page caption).

    Args:
        encoder: an encoder from ``load_encoder``; ``None`` describes the last automatic choice of this process.
    """
    if encoder is not None and getattr(encoder, "precision_reason", None):
        return str(encoder.precision_reason)
    if encoder is not None:
        label = getattr(encoder, "device_label", None) or getattr(encoder, "device", "cpu")
        return f"{getattr(encoder, 'precision', 'fp32')}: chosen explicitly ({label})" if hasattr(
            encoder, "precision") else f"{type(encoder).__name__}: no model precision to choose"
    if _LAST:
        return _LAST[0].reason
    return "not chosen yet: the encoder picks its path (and says why) when it is first loaded"
