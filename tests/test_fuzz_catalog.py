"""Property tests: bad input never crashes the catalog loader, and every row is accounted for.

Property (for every generated input): ``load_catalog`` returns a Catalog whose report satisfies
``kept + len(skipped) == rows_read`` (and whose kept rows round-trip their text exactly when the file was
written losslessly), or raises ``CatalogError`` naming the file. Any other exception is a failure.

Profiles (env var ``COLDREC_FUZZ_PROFILE``): ``ci`` (default, ~380 examples, well under a minute) and
``bench`` (used by ``bench/fuzz_catalog.py``, thousands of examples). ``OUTCOMES`` counts what happened,
for the bench report.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
from collections import Counter

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from coldrec.catalog import STANDARD_COLUMNS, Catalog, ColumnMap, load_catalog, read_table, safe_csv_bytes
from coldrec.errors import CatalogError

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,  # reproducible in CI; the bench explores with random seeds
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)
settings.register_profile(
    "bench",
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    print_blob=True,
)
PROFILE = os.environ.get("COLDREC_FUZZ_PROFILE", "ci")
settings.load_profile(PROFILE)

#: examples per test in the CI profile (total ~380); the bench scales these.
CI_EXAMPLES = {"structured": 130, "corrupted": 90, "random_bytes": 90, "mixed_cells": 40, "misspelt": 30}
SCALE = float(os.environ.get("COLDREC_FUZZ_SCALE", "1"))


def examples(name: str) -> int:
    return max(1, int(CI_EXAMPLES[name] * SCALE))


OUTCOMES: Counter[str] = Counter()

# -------------------------------------------------------------------------------------------- strategies
PIECES = [
    "中文", "绿茶", "🎉", "👩‍👩‍👧", "مرحبا", "שלום", "é", "naïve", "Ça", "ß", "\n", "\r\n", "\r", '"', "'", ",", ";",
    "\t", "|", "=", "+", "-", "@", "=SUM(A1)", "=cmd|' /C calc'!A0", " ", "  ", "NaN", "null", "None", "<b>x</b>",
    "{", "}", "[", "]", "\\", "\u2028", "\ufeff", "\x00", "\x1f", "0", "007", "1e5", "\U000f0080",
]
piece_text = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
cell = st.one_of(
    st.text(max_size=25),
    piece_text,
    st.sampled_from(["", " ", "\t ", "\n", "x", "Title"]),
)
id_cell = st.one_of(st.sampled_from(["a", "b", "007", "A1", " a ", "", "  ", "1", "中"]), st.text(max_size=6))
row = st.tuples(id_cell, cell, cell)
rows_st = st.lists(row, max_size=8)
TEXT_FORMATS = ["csv", "tsv", "json", "jsonl"]
ALL_FORMATS = TEXT_FORMATS + ["parquet", "xlsx", "dataframe"]
LOSSLESS_ENCODINGS = ["utf-8", "utf-8-sig", "utf-16"]
ENCODINGS = LOSSLESS_ENCODINGS * 2 + ["gb18030", "latin-1", "utf-16-le"]
COLUMNS = ["id", "title", "description"]
SUFFIX = {"csv": ".csv", "tsv": ".tsv", "json": ".json", "jsonl": ".jsonl", "parquet": ".parquet",
          "xlsx": ".xlsx", "dataframe": ""}

_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_clean(v):
    """What a worksheet written by openpyxl holds: no control characters, no _xHHHH_ escapes, and line ends
    normalised to \n (XML end-of-line handling turns a raw \r into \n when the sheet is read)."""
    if not isinstance(v, str):
        return v
    v = _XLSX_ILLEGAL.sub("", v).replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"_x[0-9A-Fa-f]{4}_", "_x_", v)


def serialise(rows: list[tuple], fmt: str, encoding: str, extra: dict | None = None) -> bytes | pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    for k, v in (extra or {}).items():
        df[k] = v
    if fmt == "dataframe":
        return df
    if fmt in ("csv", "tsv"):
        # a lossless writer quotes every field holding \r or \n: Excel-style \r\n for CSV (QUOTE_MINIMAL
        # then quotes \r and \n), QUOTE_ALL for TSV (pandas does not quote a bare \r with a \n terminator)
        if fmt == "csv":
            text = df.to_csv(index=False, lineterminator="\r\n")
        else:
            text = df.to_csv(index=False, sep="\t", lineterminator="\n", quoting=csv.QUOTE_ALL)
        return text.encode(encoding, "replace")
    if fmt == "json":
        return json.dumps(df.to_dict(orient="records"), ensure_ascii=False).encode(encoding, "replace")
    if fmt == "jsonl":
        recs = df.to_dict(orient="records")
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode(encoding, "replace")
    buf = io.BytesIO()
    if fmt == "parquet":
        df.astype(object).to_parquet(buf, index=False)
        return buf.getvalue()
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(list(df.columns))
        for r, rec in enumerate(df.itertuples(index=False), start=2):
            for c, v in enumerate(rec, start=1):
                if v is None or v == "":
                    continue
                cobj = ws.cell(row=r, column=c, value=v)
                cobj.data_type = "s"  # text, even when it starts with "="
        wb.save(buf)
        return buf.getvalue()
    raise AssertionError(fmt)


def _encodable(rows: list[tuple], encoding: str) -> bool:
    try:
        "".join(v or "" for r in rows for v in r).encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def expected(rows: list[tuple]) -> dict[str, tuple[str, str]]:
    """id -> (title, text) of the rows the loader must keep with ColumnMap(id, text=[description], title)."""
    out: dict[str, tuple[str, str]] = {}
    for rid, title, desc in rows:
        rid = (rid or "").strip()
        desc = desc or ""
        if not rid or not desc.strip() or rid in out:
            continue
        out[rid] = (title or "", desc)
    return out


_BAD = re.compile("[\ud800-\udfff]")


def check_catalog(cat: Catalog, label: str) -> None:
    rep = cat.report
    assert rep.kept + len(rep.skipped) == rep.rows_read, rep.summary()
    assert len(cat) == rep.kept > 0
    assert list(cat.items.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    ids = cat.ids
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, str) and i.strip() == i and i for i in ids)
    assert all(isinstance(t, str) and t.strip() for t in cat.texts)
    assert all(isinstance(t, str) for t in cat.titles)
    for col in ("item_id", "title", "text", "category", "tags", "image_url"):
        assert not any(_BAD.search(v) for v in cat.items[col].tolist()), col
    rows = [i.row for i in rep.skipped]
    assert len(set(rows)) == len(rows) and all(isinstance(r, int) and r >= 1 for r in rows)
    assert label in rep.summary()
    assert len(rep.to_frame()) == len(rep.skipped)
    json.dumps(rep.to_dict())
    assert len(cat.content_hash()) == 64
    safe_csv_bytes(cat.items)
    cat.search("a")


def run_loader(source, columns, label: str, filename: str | None = None) -> Catalog | None:
    """Load; a CatalogError must name the file. Any other exception propagates (= test failure)."""
    try:
        cat = load_catalog(source, columns, filename=filename)
    except CatalogError as e:
        assert label in str(e), str(e)
        assert "internal error" not in str(e), str(e)  # the safety net must never be what answered
        OUTCOMES["catalog_error"] += 1
        return None
    check_catalog(cat, label)
    OUTCOMES["catalog"] += 1
    OUTCOMES["rows_read"] += cat.report.rows_read
    OUTCOMES["rows_skipped"] += len(cat.report.skipped)
    return cat


# ---------------------------------------------------------------------------------------------- tests
@settings(max_examples=examples("structured"))
@given(
    rows=rows_st,
    fmt=st.sampled_from(ALL_FORMATS),
    encoding=st.sampled_from(ENCODINGS),
    huge=st.sampled_from([False] * 39 + [True]),
    mapping=st.sampled_from(["explicit", "explicit", "guessed", "template"]),
)
def test_structured_files_roundtrip(rows, fmt, encoding, huge, mapping):
    OUTCOMES["cases"] += 1
    if fmt == "xlsx":
        rows = [tuple(xlsx_clean(v) for v in r) for r in rows]
        huge = False
    if huge and rows:
        rid, title, desc = rows[0]
        rows[0] = (rid, title, ((desc or "") + "长文本 🎉 x") * (1_000_000 // max(1, len((desc or "") + "长文本 🎉 x"))))
    src = serialise(rows, fmt, encoding)
    label = "<DataFrame>" if fmt == "dataframe" else f"fuzz{SUFFIX[fmt]}"
    columns = {
        "explicit": ColumnMap(id="id", text=["description"], title="title"),
        "guessed": None,
        "template": ColumnMap(id="id", text=["title", "description"], template="= {title} | {description} {{x}}"),
    }[mapping]
    filename = None if fmt == "dataframe" else label
    lossless = fmt in ("parquet", "xlsx", "dataframe") or encoding in LOSSLESS_ENCODINGS
    cat = run_loader(src, columns, label, filename)
    if mapping != "explicit":
        return  # invariants only: the guessed map and the template join title and description
    want = expected(rows)
    if not lossless and cat is not None and fmt in TEXT_FORMATS and _encodable(rows, encoding):
        # a non-UTF-8 file read back with the encoding it was written in must round-trip too
        lossless = codecs.lookup(cat.report.encoding).name == codecs.lookup(encoding).name
    if not lossless:
        return
    if cat is None:
        # allowed only when nothing was usable, or the table is mostly control characters (binary-looking)
        joined = "".join(v or "" for r in rows for v in r)
        heavy = len(re.findall("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", joined)) > 0.05 * max(1, len(joined))
        assert not want or heavy, "rows were usable but the loader raised"
        return
    if fmt == "xlsx":  # trailing empty rows do not exist in a worksheet
        n = len(rows)
        while n and all((v or "") == "" for v in rows[n - 1]):
            n -= 1
        assert cat.report.rows_read == n
    else:
        assert cat.report.rows_read == len(rows)
    assert cat.ids == list(want)
    for item_id, title, text in zip(cat.ids, cat.titles, cat.texts):
        w_title, w_text = want[item_id]
        assert text == w_text  # exact round trip: Chinese, emoji, RTL, newlines, quotes, formulas
        if w_title.strip():
            assert title == w_title
    OUTCOMES["roundtrip_checked"] += 1
    if fmt in TEXT_FORMATS and encoding not in LOSSLESS_ENCODINGS:
        OUTCOMES["roundtrip_checked_detected_encoding"] += 1


@settings(max_examples=examples("corrupted"))
@given(
    rows=rows_st.filter(bool),
    fmt=st.sampled_from(["csv", "tsv", "json", "jsonl", "parquet", "xlsx"]),
    encoding=st.sampled_from(ENCODINGS),
    op=st.sampled_from(["truncate", "flip", "insert", "drop", "wrong_suffix"]),
    pos=st.floats(0, 1),
    junk=st.binary(min_size=1, max_size=16),
    suffix=st.sampled_from(list(SUFFIX.values()) + [".txt", ".xls", ".bin"]),
)
def test_corrupted_files_never_crash(rows, fmt, encoding, op, pos, junk, suffix):
    OUTCOMES["cases"] += 1
    if fmt == "xlsx":
        rows = [tuple(xlsx_clean(v) for v in r) for r in rows]
    data = serialise(rows, fmt, encoding)
    i = int(pos * len(data))
    name = f"broken{SUFFIX[fmt]}"
    if op == "truncate":
        data = data[:i]
    elif op == "flip":
        data = data[:i] + junk + data[i + len(junk):]
    elif op == "insert":
        data = data[:i] + junk + data[i:]
    elif op == "drop":
        data = data[:i] + data[i + 1 + len(junk) * 8:]
    else:
        name = f"broken{suffix}"
    columns = ColumnMap(id="id", text=["description"], title="title")
    run_loader(io.BytesIO(data), columns, name, name)
    run_loader(data, None, name, name)


PREFIXES = [b"", b"PK\x03\x04", b"PAR1", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"[", b"{",
            b"\xd0\xcf\x11\xe0", b"id,title\n", b'{"id": 1}\n', b"\x1f\x8b\x08\x00"]


@settings(max_examples=examples("random_bytes"))
@given(
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=600),
    suffix=st.sampled_from(list(SUFFIX.values()) + [".txt", ".xls", ".JSON", ".Csv"]),
    as_file=st.booleans(),
)
def test_random_bytes_never_crash(prefix, body, suffix, as_file):
    OUTCOMES["cases"] += 1
    data = prefix + body
    name = f"random{suffix}"
    try:  # read_table alone: a frame, or a CatalogError naming the file
        df, fmt, enc = read_table(data, filename=name)
        assert isinstance(df, pd.DataFrame) and fmt in ("csv", "tsv", "json", "jsonl", "parquet", "excel")
        assert df.attrs["coldrec_rows_read"] >= len(df)
    except CatalogError as e:
        assert name in str(e)
    src = io.BytesIO(data) if as_file else data
    if as_file:
        src.name = name
        run_loader(src, None, name)
    else:
        run_loader(src, None, name, name)


mixed_value = st.one_of(
    st.none(), st.just(float("nan")), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), cell, st.lists(st.text(max_size=5), max_size=3), st.binary(max_size=6),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=examples("mixed_cells"))
@given(
    rows=st.lists(st.tuples(mixed_value, mixed_value, mixed_value, mixed_value, mixed_value), max_size=8),
    fmt=st.sampled_from(["dataframe", "json", "jsonl"]),
    guessed=st.booleans(),
)
def test_non_string_cells_never_crash(rows, fmt, guessed):
    OUTCOMES["cases"] += 1
    cols = ["id", "title", "description", "price", "tags"]
    df = pd.DataFrame(rows, columns=cols, dtype=object)
    columns = None if guessed else ColumnMap(id="id", text=["title", "description"], title="title", price="price",
                                             tags="tags")
    if fmt == "dataframe":
        run_loader(df, columns, "<DataFrame>")
        return
    recs = []
    for r in rows:
        recs.append({c: (v.hex() if isinstance(v, bytes) else v) for c, v in zip(cols, r)})
    try:
        text = json.dumps(recs, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        assume(False)
    if fmt == "jsonl":
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in recs)
    run_loader(text.encode("utf-8"), columns, f"mixed.{fmt}", f"mixed.{fmt}")


@settings(max_examples=examples("misspelt"))
@given(
    rows=rows_st.filter(bool),
    fmt=st.sampled_from(["csv", "json", "dataframe"]),
    role=st.sampled_from(["id", "text", "title", "category", "template"]),
    typo=st.sampled_from(["descripton", "titel", "ID_", "desc ription", "Descr", "zzz"]),
)
def test_misspelt_columns_name_the_column(rows, fmt, role, typo):
    OUTCOMES["cases"] += 1
    src = serialise(rows, fmt, "utf-8")
    label = "<DataFrame>" if fmt == "dataframe" else f"typo{SUFFIX[fmt]}"
    kw = dict(id="id", text=["description"], title="title")
    if role == "template":
        kw["template"] = "{title}: {" + typo + "}"
    elif role == "text":
        kw["text"] = [typo]
    else:
        kw[role] = typo
    with pytest.raises(CatalogError) as e:
        load_catalog(src, ColumnMap(**kw), filename=None if fmt == "dataframe" else label)
    msg = str(e.value)
    assume("does not look like" not in msg)  # control-character-heavy rows: refused before mapping
    assert label in msg and repr(typo) in msg and "Available columns" in msg and "'description'" in msg
    OUTCOMES["catalog_error"] += 1
