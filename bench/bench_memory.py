"""Measure 6 — peak RSS of a process holding a 100k-item catalog, its embeddings, a map and a recommender.

Approximates what the app holds: the catalog DataFrame (``coldrec.catalog._catalog.load_catalog``), 100k × 384 float32
embeddings (clustered stand-ins: the app would read them from the embedding cache), the 2-D map
(``coldrec.analysis._projection``, subsampled fit + placement), the warm fp32 encoder and a ``Recommender`` answering one
query. Runs in a child process so the parent's memory does not count; reports the peak RSS (VmHWM) per stage.

Run: ``python bench/bench_memory.py [--quick]``
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Result, save_raw, script_main  # noqa: E402

CHILD = r"""
import json, resource, sys, time, tempfile
sys.path.insert(0, {bench!r})
from common import synthetic_texts, clustered_unit_vectors, set_threads
set_threads()
n = {n}
def peak():
    # VmHWM (peak resident set of this process image); ru_maxrss would include the parent's RSS across exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
stages = {{"python": peak()}}
import pandas as pd, numpy as np
from coldrec.catalog import load_catalog
texts = synthetic_texts(n, seed=41)
df = pd.DataFrame({{"item_id": [f"i{{i}}" for i in range(n)], "title": [t[:50] for t in texts],
                   "description": texts, "category": [f"c{{i % 20}}" for i in range(n)]}})
cat = load_catalog(df, name="mem")
del df
stages["catalog"] = peak()
E = clustered_unit_vectors(n, 384, clusters=300, seed=42, chunk=5_000)  # small temporaries
stages["embeddings"] = peak()
from coldrec.encoders import load_encoder
enc = load_encoder(device="cpu", precision="fp32")
enc.encode(["warm up"])
stages["encoder"] = peak()
notice = ""
try:
    from coldrec.analysis import Projection, ProjectionConfig
    cfg = ProjectionConfig(method={method!r}, cache_dir=tempfile.mkdtemp())
    proj = Projection(cfg).fit(E)
    notice = proj.notice
    stages["projection"] = peak()
except ImportError:
    pass
from coldrec.recommend import Recommender
rec = Recommender(cat, E, enc)
out = rec.recommend("a quiet mechanical keyboard for late night programming", k=20)
stages["recommend"] = peak()
print("JSON" + json.dumps({{"stages": stages, "notice": notice, "recall": out.attrs.get("recall")}}))
"""


def run(quick: bool = False) -> list[Result]:
    n = 20_000 if quick else 100_000
    method = "pca" if quick else "umap"
    code = CHILD.format(bench=str(ROOT / "bench"), n=n, method=method)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=1800)
    line = next((x for x in p.stdout.splitlines() if x.startswith("JSON")), None)
    if line is None:
        return [Result("memory.peak_rss_mb", None, "MB", "report", None,
                       f"failed: {p.stderr.strip().splitlines()[-1:]}")]
    rec = json.loads(line[4:])
    st = rec["stages"]
    stages = ", ".join(f"{k} {v:.0f}" for k, v in st.items())
    res = [Result("memory.peak_rss_mb", max(st.values()), "MB", "report", None,
                  f"{n} items, map={method}; peak RSS after each stage (MB): {stages}")]
    save_raw("memory", res, rec)
    return res


if __name__ == "__main__":
    script_main(__doc__, lambda a: run(a.quick))
