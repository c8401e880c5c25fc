"""Measure 1 on a GPU — coldrec's fp16 encoder against plain fp32 ``SentenceTransformer.encode``, in one run.

The one short script to run where CUDA is present (issue 5: "on a GPU: fp16 with large length-sorted batches,
target >= 3x fp32 GPU"). Same 10,000 synthetic 40–60-word catalog texts as ``bench_encode.py``; each round runs
every method on the same texts (order rotated); ratio = median fp32 time / median method time.

Methods:
  * ``st_fp32_b32``   — baseline: ``SentenceTransformer(..., device="cuda").encode(batch_size=32)``, fp32
  * ``st_fp16_b256``  — the same model ``.half()``, batch 256, no length sorting
  * ``coldrec_fp16``  — what coldrec ships: ``load_encoder(device="cuda")`` (auto → fp16, length-sorted, batch 256)
  * ``coldrec_fp16_b512`` — the same with batch 512 (is a larger default worth it?)
Fidelity of each: mean and min cosine to the fp32 vectors, and item-to-item top-10 neighbour agreement.

Usage:
  here (CPU), once:  ``python bench/gpu_check.py --prepare .gpu_carry/model``
      writes an fp16 copy of the bundled MiniLM (45 MB; the fp32 file is over the device tool's 64 MiB carry
      limit). Both baseline and candidates load these same weights (fp32 baseline = fp16 weights upcast),
      so speed is unaffected and fidelity compares fp32 against fp16 *compute*.
  on the GPU:        ``PYTHONPATH=. python3 bench/gpu_check.py --model .gpu_carry/model --out $OUT``
      (device tool: ``carry=[".gpu_carry"]``, ``timeout_s`` ~300; prints one line per method and writes
      ``gpu_check.json``). Without CUDA it says so and exits 2.
  check the script itself here: ``python bench/gpu_check.py --dry-run-cpu --n 96 --rounds 1`` (same code on the
      CPU, fp32 for coldrec; its numbers mean nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def prepare(dest: Path) -> None:
    """Copy the bundled model folder to ``dest`` with its weights stored in fp16."""
    import torch
    from safetensors.torch import load_file, save_file

    from coldrec.encoders import default_model_path

    src = default_model_path()
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("model.safetensors", "*.onnx", "onnx", "README.md"))
    weights = load_file(str(src / "model.safetensors"))
    save_file({k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in weights.items()},
              str(dest / "model.safetensors"), metadata={"format": "pt"})
    size = sum(f.stat().st_size for f in dest.rglob("*") if f.is_file())
    print(f"wrote {dest} ({size / 1e6:.1f} MB, fp16 weights of {src.name}); torch {torch.__version__}")


def measure(model: str, n: int, rounds: int, device: str = "cuda") -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    from bench_encode import neighbour_agreement
    from coldrec.encoders import load_encoder
    from common import synthetic_texts

    texts = synthetic_texts(n, seed=11)
    st32 = SentenceTransformer(model, device=device).float()
    st16 = SentenceTransformer(model, device=device).half()
    ours = load_encoder(model, device=device)  # auto: fp16 on CUDA (fp32 in a --device cpu dry run)
    ours512 = load_encoder(model, device=device, batch_size=512)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    methods = {
        "st_fp32_b32": lambda xs: st32.encode(xs, batch_size=32, normalize_embeddings=True, convert_to_numpy=True),
        "st_fp16_b256": lambda xs: st16.encode(xs, batch_size=256, normalize_embeddings=True, convert_to_numpy=True),
        "coldrec_fp16": ours.encode,
        "coldrec_fp16_b512": ours512.encode,
    }
    for fn in methods.values():  # warm-up: CUDA context, kernels, tokenizer caches
        fn(texts[:512])
    times: dict[str, list[float]] = {m: [] for m in methods}
    vectors: dict[str, np.ndarray] = {}
    names = list(methods)
    for r in range(rounds):
        for m in names[r % len(names):] + names[: r % len(names)]:
            sync()
            t = time.perf_counter()
            v = methods[m](texts)
            sync()
            times[m].append(time.perf_counter() - t)
            vectors[m] = np.asarray(v, dtype=np.float32)
    ref = vectors["st_fp32_b32"]
    base = float(np.median(times["st_fp32_b32"]))
    rows = {}
    for m in names:
        cos = (vectors[m] * ref).sum(1)
        med = float(np.median(times[m]))
        rows[m] = {"texts_per_s": n / med, "median_s": med, "times_s": times[m], "speedup": base / med,
                   "mean_cos": float(cos.mean()), "min_cos": float(cos.min()),
                   "neighbour_top10_agreement": neighbour_agreement(ref, vectors[m])}
    shipped = rows["coldrec_fp16"]
    return {
        "gpu": torch.cuda.get_device_name(0) if device == "cuda" else "none (dry run on the CPU)",
        "torch": torch.__version__, "n": n, "rounds": rounds,
        "encoder_label": ours.device_label, "batch_size": ours.config.batch_size, "methods": rows,
        "target": ">=3.0x fp32 GPU at mean cos >= 0.99",
        "pass": bool(shipped["speedup"] >= 3.0 and shipped["mean_cos"] >= 0.99),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prepare", type=Path, help="write an fp16 copy of the bundled model here and stop")
    ap.add_argument("--model", help="model folder (default: the bundled MiniLM)")
    ap.add_argument("--n", type=int, default=10_000, help="texts (default 10,000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, help="folder for gpu_check.json")
    ap.add_argument("--dry-run-cpu", action="store_true",
                    help="run the same code on the CPU (small --n) to check the script, not to measure")
    a = ap.parse_args()
    if a.prepare:
        prepare(a.prepare)
        return 0
    import torch

    if not torch.cuda.is_available() and not a.dry_run_cpu:
        print("gpu_check: no CUDA device here; nothing measured (run it on a GPU machine, or --dry-run-cpu)")
        return 2
    from common import machine_info

    from coldrec.encoders import default_model_path

    res = measure(a.model or str(default_model_path()), a.n, a.rounds, "cpu" if a.dry_run_cpu else "cuda")
    res["machine"] = machine_info()
    for m, r in res["methods"].items():
        print(f"{m:18s} {r['texts_per_s']:8.0f} texts/s  {r['speedup']:5.2f}x  mean cos {r['mean_cos']:.4f} "
              f"min {r['min_cos']:.4f}  top-10 agreement {r['neighbour_top10_agreement']:.3f}")
    print(f"encode.gpu_fp16_speedup {res['methods']['coldrec_fp16']['speedup']:.2f}x >=3.0x "
          f"{'pass' if res['pass'] else 'miss'} ({res['gpu']}, batch {res['batch_size']})")
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "gpu_check.json").write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
