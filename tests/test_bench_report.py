"""bench/run.py --report: RESULTS.md is written whole from bench/raw, bench/machines/*.md, NOTES.md and the scale
records, so no hand-kept section is lost when it is rebuilt."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_report_keeps_every_machine_section_the_notes_and_the_scale_section(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import run

    out = run.write_results_md(tmp_path / "RESULTS.md")
    text = out.read_text()
    machines = sorted((ROOT / "bench" / "machines").glob("*.md"))
    assert machines, "bench/machines/ holds one section per machine measured"
    for f in machines:
        heading = next(line for line in f.read_text().splitlines() if line.startswith("## "))
        assert heading in text, f"{f.name}'s section is missing from the report"
    notes = (ROOT / "bench" / "NOTES.md").read_text().splitlines()
    assert next(line for line in notes if line.startswith("## ")) in text
    if list((ROOT / "bench" / "raw").glob("scale-*.json")):
        assert text.count("<!-- bench_scale.py: start -->") == 1 == text.count("<!-- bench_scale.py: end -->")
    assert "| measure | result | value | target | status |" in text
