"""Measure 1 — encoding throughput: fast paths against plain ``SentenceTransformer.encode`` fp32 batch 32.

Baseline and candidates encode the same synthetic 40–60-word catalog texts in the same process. The texts are
split into rounds; in each round every method encodes the same chunk (order rotated), so load from other users of
the machine hits all methods alike. Ratio = median over rounds of baseline_time / method_time.

Fidelity of each candidate: mean/min cosine to the fp32 baseline vectors, and Recall@10 on the Scientific
leave-one-out protocol (zero-shot: user = mean of history item vectors, full ranking, history excluded; item texts
read by path from ``$COLDREC_DATA`` or ../shared/datasets/amazon-scientific, never copied), relative to fp32.

GPU branch: with CUDA, fp32 batch 32 vs fp16 length-sorted batch 256 (target >= 3x); otherwise "skipped: no CUDA".

Run: ``python bench/bench_encode.py [--quick]``
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Result, load_avg, median, model_path, save_raw, set_threads, synthetic_texts, script_main  # noqa: E402

import numpy as np  # noqa: E402


def _scientific_paths() -> Path | None:
    root = Path(os.environ.get("COLDREC_DATA", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    folder = root / "amazon-scientific"
    return folder if (folder / "Scientific.text").exists() else None


def load_scientific_texts(folder: Path) -> tuple[list[str], list[np.ndarray], np.ndarray]:
    """Item texts (in item-index order), test histories and targets, read by path (nothing is copied)."""
    idx = {}
    for line in (folder / "Scientific.item2index").read_text(encoding="utf-8").splitlines():
        if line.strip():
            asin, i = line.split("\t")
            idx[asin] = int(i)
    texts = [""] * len(idx)
    for line in (folder / "Scientific.text").read_text(encoding="utf-8").splitlines()[1:]:
        if "\t" in line:
            asin, text = line.split("\t", 1)
            if asin in idx:
                texts[idx[asin]] = text.strip()
    hists, targets = [], []
    for line in (folder / "Scientific.test.inter").read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 3:
            hists.append(np.array([int(x) for x in parts[1].split()], dtype=np.int64))
            targets.append(int(parts[2]))
    return texts, hists, np.array(targets, dtype=np.int64)


def zero_shot_recall(E: np.ndarray, hists: list[np.ndarray], targets: np.ndarray, k: int = 10) -> float:
    """Recall@k of the target item when the user is the mean of the history item vectors (history excluded)."""
    U = np.stack([E[h].mean(0) for h in hists]).astype(np.float32)
    U /= np.linalg.norm(U, axis=1, keepdims=True) + 1e-12
    hits = 0
    for s in range(0, len(U), 1024):
        S = U[s:s + 1024] @ E.T
        for j, h in enumerate(hists[s:s + 1024]):
            S[j, h] = -np.inf
        top = np.argpartition(-S, k, axis=1)[:, :k]
        hits += int((top == targets[s:s + 1024, None]).any(1).sum())
    return hits / len(U)


def neighbour_agreement(A: np.ndarray, B: np.ndarray, k: int = 10, queries: int = 500) -> float:
    """Mean overlap@k between the item-to-item top-k neighbours computed with A and with B."""
    q = np.arange(min(queries, len(A)))
    ta = np.argsort(-(A[q] @ A.T), axis=1)[:, 1:k + 1]
    tb = np.argsort(-(B[q] @ B.T), axis=1)[:, 1:k + 1]
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ta, tb)]))


def _gpu_branch(texts: list[str]) -> Result:
    try:
        import torch
    except Exception:
        return Result("encode.gpu_fp16_speedup", None, "x", ">=3.0x", None, "skipped: torch missing")
    if not torch.cuda.is_available():
        return Result("encode.gpu_fp16_speedup", None, "x", ">=3.0x", None, "skipped: no CUDA")
    from sentence_transformers import SentenceTransformer

    path = model_path()
    fp32 = SentenceTransformer(path, device="cuda")
    fp16 = SentenceTransformer(path, device="cuda").half()
    fp32.encode(texts[:256], batch_size=32)
    fp16.encode(texts[:256], batch_size=256)
    t32, t16 = [], []
    for _ in range(3):
        torch.cuda.synchronize()
        t = time.perf_counter()
        ref = fp32.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        torch.cuda.synchronize()
        t32.append(time.perf_counter() - t)
        t = time.perf_counter()
        v = fp16.encode(texts, batch_size=256, normalize_embeddings=True, convert_to_numpy=True)
        torch.cuda.synchronize()
        t16.append(time.perf_counter() - t)
    cos = float((np.asarray(v, np.float32) * ref).sum(1).mean())
    ratio = median(t32) / median(t16)
    return Result("encode.gpu_fp16_speedup", ratio, "x", ">=3.0x", ratio >= 3.0 and cos >= 0.99,
                  f"{torch.cuda.get_device_name(0)}: fp32 b32 {len(texts) / median(t32):.0f}/s, fp16 b256 "
                  f"{len(texts) / median(t16):.0f}/s, mean cos {cos:.4f}")


UNDER_LOAD_TARGET = 2.5  # int8 / fp32 with one core kept busy by another process (issue 16)


def _interleaved(methods: dict[str, object], texts: list[str], rounds: int) -> dict[str, list[float]]:
    """Seconds per round for each method on the same chunks, order rotated every round."""
    names, times = list(methods), {k: [] for k in methods}
    for r, idx in enumerate(np.array_split(np.arange(len(texts)), rounds)):
        chunk = [texts[i] for i in idx]
        for k in names[r % len(names):] + names[: r % len(names)]:
            t = time.perf_counter()
            methods[k](chunk)
            times[k].append(time.perf_counter() - t)
    return times


def under_load(baseline, int8, texts: list[str], rounds: int) -> Result:
    """The int8 / fp32 ratio again while another process spins on one core (a browser, a build, a neighbour):
    thread pools sized for every core then wait on the busy one. Below the target, the encoder's automatic
    choice must not pick int8 on such a machine (coldrec/encoders decides; this line is the evidence)."""
    import subprocess

    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.0)
        times = _interleaved({"fp32": baseline, "int8": int8}, texts, rounds)
    finally:
        burner.terminate()
        burner.wait()
    ratios = [b / i for b, i in zip(times["fp32"], times["int8"])]
    ratio = median(ratios)
    return Result("encode.int8_speedup_one_core_busy", ratio, "x", f">={UNDER_LOAD_TARGET}x",
                  ratio >= UNDER_LOAD_TARGET,
                  f"another process spinning on one core; fp32 {len(texts) / sum(times['fp32']):.0f} vs int8 "
                  f"{len(texts) / sum(times['int8']):.0f} texts/s, rounds {[round(x, 2) for x in ratios]}, "
                  f"load {load_avg()}" + ("" if ratio >= UNDER_LOAD_TARGET else
                                          " — below target: the automatic precision must keep fp32 here"))


def run(quick: bool = False) -> list[Result]:
    n = 300 if quick else 10_000
    rounds = 2 if quick else 5
    threads = set_threads()
    texts = synthetic_texts(n, seed=11)
    from sentence_transformers import SentenceTransformer

    from coldrec.encoders import OnnxConfig, OnnxEncoder, onnx_available

    st = SentenceTransformer(model_path(), device="cpu")
    methods: dict[str, object] = {
        "st_fp32_b32 (baseline)": lambda xs: st.encode(xs, batch_size=32, normalize_embeddings=True),
    }
    if not quick:
        methods["st_fp32_b128"] = lambda xs: st.encode(xs, batch_size=128, normalize_embeddings=True)
    if onnx_available():
        encs = {
            "onnx_fp32_fused": OnnxEncoder(config=OnnxConfig(precision="fp32", batch_size=64)),
            "onnx_int8": OnnxEncoder(config=OnnxConfig(precision="int8", batch_size=64)),
        }
        if not quick:
            encs["onnx_int8_all_layers"] = OnnxEncoder(config=OnnxConfig(precision="int8", batch_size=64,
                                                                          keep_fp32=""))
        for k, e in encs.items():
            methods[k] = e.encode
    for fn in methods.values():  # warm-up (allocations, lazy init)
        fn(texts[:64])
    chunks = np.array_split(np.arange(n), rounds)
    times: dict[str, list[float]] = {k: [] for k in methods}
    vecs: dict[str, list[np.ndarray]] = {k: [] for k in methods}
    names = list(methods)
    for r, idx in enumerate(chunks):
        chunk = [texts[i] for i in idx]
        order = names[r % len(names):] + names[: r % len(names)]
        for k in order:
            t = time.perf_counter()
            v = methods[k](chunk)
            times[k].append(time.perf_counter() - t)
            vecs[k].append(np.asarray(v, dtype=np.float32))
    base = names[0]
    ref = np.concatenate(vecs[base])
    rows: list[dict] = []
    sci = _scientific_paths()
    sci_data = load_scientific_texts(sci) if sci is not None else None
    sci_ref = None
    if sci_data is not None and not quick:
        sci_ref = st.encode(sci_data[0], batch_size=32, normalize_embeddings=True)
        r_ref = zero_shot_recall(sci_ref, sci_data[1], sci_data[2])
    for k in names:
        v = np.concatenate(vecs[k])
        cos = (v * ref).sum(1)
        ratios = [tb / tk for tb, tk in zip(times[base], times[k])]
        row = {"method": k, "texts_per_s": n / sum(times[k]), "ratio_median": median(ratios),
               "ratios": [round(x, 3) for x in ratios], "cos_mean": float(cos.mean()), "cos_min": float(cos.min())}
        rows.append(row)
    best = None
    if "onnx_int8" in methods:
        best = next(r for r in rows if r["method"] == "onnx_int8")
        if sci_data is not None:
            texts_s, hists, targets = sci_data
            if sci_ref is None:  # quick: a 300-item slice, neighbour agreement only
                texts_s = texts_s[:300]
                sci_ref = st.encode(texts_s, batch_size=32, normalize_embeddings=True)
            fast = encs["onnx_int8"].encode(texts_s)
            best["sci_top10_overlap"] = neighbour_agreement(sci_ref, fast)
            if not quick:
                r_fast = zero_shot_recall(fast, hists, targets)
                best["sci_recall10_fp32"] = r_ref
                best["sci_recall10_int8"] = r_fast
                best["sci_recall10_rel_loss"] = (r_ref - r_fast) / max(r_ref, 1e-12)
    results = []
    for r in rows:
        print(f"  {r['method']:<26} {r['texts_per_s']:7.1f} texts/s  ratio {r['ratio_median']:.2f}x "
              f"(rounds {r['ratios']})  cos mean {r['cos_mean']:.4f} min {r['cos_min']:.4f}", flush=True)
    base_tps = rows[0]["texts_per_s"]
    results.append(Result("encode.baseline_fp32_b32", base_tps, "texts/s", "info", None,
                          f"{n} synthetic texts, {threads} torch threads"))
    if best is None:
        results.append(Result("encode.int8_speedup", None, "x", ">=2.0x", None, "skipped: onnxruntime missing"))
    else:
        fid_ok = best["cos_mean"] >= 0.99
        loss = best.get("sci_recall10_rel_loss")
        rec_ok = True if loss is None else abs(loss) <= 0.01  # two-sided: a gain this large is a bug too
        note = (f"onnx int8 (fused, per-channel, FFN-out fp32, length-sorted b64) {best['texts_per_s']:.0f} vs "
                f"{base_tps:.0f} texts/s; rounds {best['ratios']}")
        results.append(Result("encode.int8_speedup", best["ratio_median"], "x", ">=2.0x",
                              best["ratio_median"] >= 2.0 and fid_ok and rec_ok, note))
        results.append(Result("encode.int8_cos_mean", best["cos_mean"], "", ">=0.99", fid_ok,
                              f"min {best['cos_min']:.4f}"))
        if "sci_top10_overlap" in best:
            results.append(Result("encode.int8_sci_top10_overlap", best["sci_top10_overlap"], "", "info", None,
                                  "item-item top-10 neighbours vs fp32 on Scientific item texts"))
        if loss is not None:
            results.append(Result("encode.int8_sci_recall10_rel_loss", loss * 100, "%", "|Δ|<=1%", rec_ok,
                                  f"zero-shot R@10 fp32 {best['sci_recall10_fp32']:.4f} vs int8 "
                                  f"{best['sci_recall10_int8']:.4f}"))
        elif sci_data is None:
            results.append(Result("encode.int8_sci_recall10_rel_loss", None, "%", "|Δ|<=1%", None,
                                  "skipped: ../shared/datasets/amazon-scientific absent"))
    other = [r for r in rows if r["method"] not in (base, "onnx_int8")]
    for r in other:
        results.append(Result(f"encode.{r['method']}", r["ratio_median"], "x", "info", None,
                              f"{r['texts_per_s']:.0f} texts/s, cos mean {r['cos_mean']:.4f}"))
    if "onnx_int8" in methods:
        results.append(under_load(methods[base], methods["onnx_int8"], texts[: max(300, n // 4)], rounds))
    results.append(_gpu_branch(texts))
    save_raw("encode", results, {"rows": rows, "n": n, "rounds": rounds, "load_end": load_avg()})
    return results


if __name__ == "__main__":
    script_main(__doc__, lambda a: run(a.quick))
