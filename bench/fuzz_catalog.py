"""Run the catalog property tests at scale (>= 10,000 generated cases) and print the counts.

Usage:
    python bench/fuzz_catalog.py                 # ~10,600 cases (scale 28 of the CI profile)
    python bench/fuzz_catalog.py --scale 5       # quicker
    python bench/fuzz_catalog.py --seed 123      # reproducible run

It loads tests/test_fuzz_catalog.py with the hypothesis profile ``bench`` (random exploration, no deadline)
and calls each property test. Exit code 0 when every case ended in a Catalog whose report accounts for every
row, or in a CatalogError naming the file; 1 otherwise (the falsifying example is printed). Record the
numbers in SECURITY.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=28.0, help="multiple of the CI example counts (default 28)")
    ap.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    args = ap.parse_args(argv)

    os.environ["COLDREC_FUZZ_PROFILE"] = "bench"
    os.environ["COLDREC_FUZZ_SCALE"] = str(args.scale)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("fuzz_catalog_tests", ROOT / "tests" / "test_fuzz_catalog.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)

    from hypothesis import seed as hseed

    tests = [
        ("structured", mod.test_structured_files_roundtrip),
        ("corrupted", mod.test_corrupted_files_never_crash),
        ("random_bytes", mod.test_random_bytes_never_crash),
        ("mixed_cells", mod.test_non_string_cells_never_crash),
        ("misspelt", mod.test_misspelt_columns_name_the_column),
    ]
    print(f"coldrec catalog fuzz: python {platform.python_version()}, scale {args.scale}, seed {args.seed}")
    failures = 0
    t_all = time.perf_counter()
    for name, fn in tests:
        before = mod.OUTCOMES["cases"]
        t = time.perf_counter()
        if args.seed is not None:
            fn = hseed(args.seed)(fn)
        try:
            fn()
            status = "ok"
        except Exception:  # a property failed: print hypothesis' falsifying example
            failures += 1
            status = "FAILED"
            traceback.print_exc()
        n = mod.OUTCOMES["cases"] - before
        print(f"  {name:<13} {n:>7,} cases  {time.perf_counter() - t:7.1f} s  {status}", flush=True)
    o = mod.OUTCOMES
    total = time.perf_counter() - t_all
    print(
        f"total: {o['cases']:,} generated cases ({o['catalog'] + o['catalog_error']:,} loader calls) in "
        f"{total:.0f} s: {o['catalog']:,} catalogs, {o['catalog_error']:,} CatalogErrors, "
        f"{failures} failing properties; {o['rows_read']:,} rows read, {o['rows_skipped']:,} skipped and "
        f"reported; exact round trip checked on {o['roundtrip_checked']:,} catalogs "
        f"({o['roundtrip_checked_detected_encoding']:,} of them non-UTF files whose encoding was detected)."
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
