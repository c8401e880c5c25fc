"""Regression tests for issue 15 (hardening): each test fails on the code before the fix it checks."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from coldrec.catalog import FORMULA_PREFIXES, load_catalog, safe_csv_bytes

HOSTILE_CELLS = ["pan\r=cmd|' /C calc'!A0", "lamp\n+1+2", 'quote " and, comma', "x\r\n@SUM(A1)", "=HYPERLINK(1)",
                 "-2+3", "\t=tab", "\uff1dfullwidth", "plain"]


def _hostile_frame() -> pd.DataFrame:
    n = len(HOSTILE_CELLS)
    return pd.DataFrame({
        "item_id": [f"id{i}" for i in range(n)],
        "title": HOSTILE_CELLS,
        "category": pd.Categorical(["=cat()", "@cat", *["ok"] * (n - 2)]),
        "tags": pd.Series(["+t", *["a;b"] * (n - 1)], dtype="string"),
        "price": [float(i) for i in range(n)],
    })


def _no_formula(cells) -> None:
    bad = [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_PREFIXES)]
    assert not bad, f"cells starting with a formula character: {bad!r}"


# ------------------------------------------------------------------------------------------------ item 1
def test_csv_export_quotes_cr_and_neutralises_every_text_column():
    """A bare CR no longer splits a row; categorical and string columns are neutralised too (issue 15 #1)."""
    df = _hostile_frame()
    data = safe_csv_bytes(df)
    # Python's csv module
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(df) + 1, rows
    assert [r[0] for r in rows[1:]] == df["item_id"].tolist()
    for r in rows:
        _no_formula(r)
    # pandas
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["item_id"].tolist() == df["item_id"].tolist()
    for c in back.columns:
        _no_formula(back[c].tolist())
    # coldrec's own loader
    cat = load_catalog(data, {"id": "item_id", "text": ["title"], "category": "category"}, filename="export.csv")
    assert cat.ids == df["item_id"].tolist() and cat.report.kept == len(df)
    for c in ("title", "category", "tags"):
        _no_formula(cat.items[c].tolist())
    _no_formula(cat.items["text"].tolist())
    # the text is the original, behind the neutralising quote where one was needed
    assert [t.removeprefix("'") for t in cat.items["text"]] == HOSTILE_CELLS


def test_cli_csv_output_is_formula_safe(tmp_path, capsys):
    """``coldrec recommend --format csv`` writes the same safe CSV (issue 15 #1)."""
    from coldrec.cli import main

    df = _hostile_frame()[["item_id", "title", "category"]]
    df["description"] = "a lamp and a pan"
    path = tmp_path / "items.csv"
    df.to_csv(path, index=False, quoting=csv.QUOTE_ALL)
    assert main(["recommend", "--catalog", str(path), "--id", "item_id", "--text", "title", "--text", "description",
                 "--title", "title", "--category", "category", "--describe", "a pan", "-k", "9", "--model", "hash",
                 "--format", "csv"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == len(df) + 1
    assert sorted(r[0] for r in rows[1:]) == sorted(df["item_id"])
    for r in rows:
        _no_formula(r)


# ------------------------------------------------------------------------------------------------ item 9
ANSI_TITLES = ["\x1b]0;pwned\x07Lamp", "\x1b[2J\x1b[HClear", "\x9b31mC1 red", "Bidi \u202eevil", "Bell\x07"]


def test_cli_table_strips_terminal_control_characters(tmp_path, capsys):
    """Escape sequences in titles never reach the terminal from ``recommend`` or ``validate`` (issue 15 #9)."""
    from coldrec.cli import main

    path = tmp_path / "items.csv"
    pd.DataFrame({"item_id": [f"i{i}" for i in range(len(ANSI_TITLES))], "title": ANSI_TITLES,
                  "description": ["a lamp"] * len(ANSI_TITLES)}).to_csv(path, index=False)
    assert main(["recommend", "--catalog", str(path), "--describe", "a lamp", "-k", "5", "--model", "hash"]) == 0
    out = capsys.readouterr()
    for stream in (out.out, out.err):
        assert "\x1b" not in stream and "\x9b" not in stream and "\x07" not in stream and "\u202e" not in stream
    assert "Lamp" in out.out and "\\x1b" in out.out  # shown, inert
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"item_id,title\n\x1b[2J,\x1b]0;x\x07\n")
    main(["validate", str(bad)])
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err and "\x07" not in out.out + out.err


def test_terminal_safe_keeps_ordinary_text():
    from coldrec.cli._common import terminal_safe

    assert terminal_safe("Café 素食 🍲\nline two") == "Café 素食 🍲\nline two"
    assert terminal_safe("a\nb", keep_newlines=False) == "a b"
    assert terminal_safe("\x1b[31m") == "\\x1b[31m"
