"""Tests of coldrec.catalog._catalog: formats, encodings, column mapping, validation report, export safety."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coldrec.catalog import (
    Catalog,
    ColumnMap,
    guess_columns,
    load_catalog,
    neutralise_formulas,
    read_table,
    safe_csv_bytes,
    safe_csv_frame,
)
from coldrec.errors import CatalogError, ColdrecError

ROWS = [
    {"item_id": "A1", "title": "Café crème", "description": "Accented: naïve façade, résumé.", "category": "food",
     "tags": "hot; drink", "price": "3.50", "image": "https://example.org/a.png"},
    {"item_id": "B2", "title": "绿茶", "description": "中文描述：清香的绿茶。", "category": "tea",
     "tags": "green,tea", "price": "12", "image": ""},
    {"item_id": "C3", "title": "Party 🎉", "description": "Emoji 🍵🔥 and RTL: مرحبا بالعالم", "category": "fun",
     "tags": "", "price": "", "image": ""},
    {"item_id": "D4", "title": "=HYPERLINK(\"x\")", "description": "Line one\nline \"two\", with comma",
     "category": "", "tags": "x|y", "price": "$1,299.00", "image": ""},
]


def frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS)


def as_bytes(fmt: str, df: pd.DataFrame | None = None, encoding: str = "utf-8") -> bytes:
    df = frame() if df is None else df
    if fmt == "csv":
        return df.to_csv(index=False).encode(encoding)
    if fmt == "tsv":
        return df.to_csv(index=False, sep="\t").encode(encoding)
    if fmt == "json":
        return json.dumps(df.to_dict(orient="records"), ensure_ascii=False).encode(encoding)
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in df.to_dict(orient="records")).encode(encoding)
    buf = io.BytesIO()
    if fmt == "parquet":
        df.to_parquet(buf, index=False)
    elif fmt == "xlsx":
        df.to_excel(buf, index=False)
    return buf.getvalue()


def check_roundtrip(cat: Catalog) -> None:
    assert cat.ids == ["A1", "B2", "C3", "D4"]
    # pandas writes an Excel cell starting with "=" as a formula (no cached value): compare the rest there
    n = 3 if cat.report.format == "excel" else 4
    assert cat.titles[:n] == [r["title"] for r in ROWS][:n]
    by_id = {r["item_id"]: r for r in ROWS[:n]}
    for item_id, text in zip(cat.ids[:n], cat.texts[:n]):
        r = by_id[item_id]
        assert r["title"] in text and r["description"] in text
    assert cat.report.kept == 4 and cat.report.skipped == [] and cat.report.ok


# ------------------------------------------------------------------------------------------- formats
@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "parquet", "xlsx"])
def test_every_format_from_file_object_roundtrips(fmt):
    f = io.BytesIO(as_bytes(fmt))
    f.name = f"upload.{fmt}"  # like Streamlit's UploadedFile
    cat = load_catalog(f)
    check_roundtrip(cat)
    assert cat.report.source == f"upload.{fmt}"
    assert cat.name == "upload"


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "parquet", "xlsx"])
def test_every_format_from_path(tmp_path, fmt):
    p = tmp_path / f"items.{fmt}"
    p.write_bytes(as_bytes(fmt))
    cat = load_catalog(p)
    check_roundtrip(cat)
    cat2 = load_catalog(str(p))
    assert cat2.content_hash() == cat.content_hash()


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet", "xlsx"])
def test_format_sniffed_without_a_name(fmt):
    cat = load_catalog(as_bytes(fmt))
    check_roundtrip(cat)


def test_gzipped_files(tmp_path):
    import gzip

    p = tmp_path / "items.csv.gz"
    p.write_bytes(gzip.compress(as_bytes("csv")))
    check_roundtrip(load_catalog(p))
    check_roundtrip(load_catalog(gzip.compress(as_bytes("jsonl")), filename="items.jsonl.gz"))
    with pytest.raises(CatalogError, match="broken.csv.gz"):
        load_catalog(gzip.compress(as_bytes("csv"))[:40], filename="broken.csv.gz")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "parquet", "xlsx"])
def test_na_like_strings_stay_text(fmt):
    df = pd.DataFrame({"id": ["NA", "null", "c"], "title": ["NaN", "None", "N/A"], "description": ["nan", "NULL", "-"]})
    cat = load_catalog(as_bytes(fmt, df), ColumnMap(id="id", text=["description"], title="title"),
                       filename=f"na.{fmt}")
    assert cat.ids == ["NA", "null", "c"] and cat.titles == ["NaN", "None", "N/A"]
    assert cat.texts == ["nan", "NULL", "-"]


def test_dataframe_input():
    cat = load_catalog(frame())
    check_roundtrip(cat)
    assert cat.report.format == "dataframe" and cat.report.encoding == ""


def test_filename_only_picks_the_format_never_opened(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.csv").write_text("item_id,title\nS,secret\n")
    f = io.BytesIO(as_bytes("json"))
    f.name = "secret.csv/../../etc/passwd.json"
    cat = load_catalog(f)
    assert "S" not in cat.ids
    check_roundtrip(cat)


def test_read_table_returns_frame_format_encoding():
    df, fmt, enc = read_table(io.BytesIO(as_bytes("csv", encoding="utf-8-sig")), filename="x.csv")
    assert fmt == "csv" and enc == "utf-8-sig"
    assert list(df.columns) == list(frame().columns)
    assert df.attrs["coldrec_rows_read"] == 4 and df.attrs["coldrec_skipped"] == 0
    df, fmt, enc = read_table(as_bytes("parquet"), filename="x.parquet")
    assert fmt == "parquet" and enc == "" and len(df) == 4


def test_ids_read_as_strings_keep_leading_zeros():
    cat = load_catalog(b"sku,name\n007,Bond\n0042,Answer\n", filename="x.csv")
    assert cat.ids == ["007", "0042"]
    assert cat.items["item_id"].map(type).eq(str).all()


def test_binary_garbage_with_a_csv_name_is_refused():
    with pytest.raises(CatalogError, match=r"garbage\.csv: does not look like a CSV"):
        load_catalog(bytes(range(256)) * 8, filename="garbage.csv")
    with pytest.raises(CatalogError, match="garbage.jsonl"):
        load_catalog(b"\x00\x01\x02" * 100, filename="garbage.jsonl")


def test_old_xls_and_unknown_binary_rejected_clearly():
    with pytest.raises(CatalogError, match=r"x\.xls.*xlsx"):
        load_catalog(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, filename="x.xls")
    with pytest.raises(CatalogError, match="broken.parquet"):
        load_catalog(b"PAR1 not really", filename="broken.parquet")
    with pytest.raises(CatalogError, match="broken.xlsx"):
        load_catalog(b"PK\x03\x04 not a zip", filename="broken.xlsx")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CatalogError, match="not found"):
        load_catalog(tmp_path / "nope.csv")
    with pytest.raises(CatalogError, match="folder"):
        load_catalog(tmp_path)


def test_empty_and_header_only_files():
    with pytest.raises(CatalogError, match="empty"):
        load_catalog(b"", filename="e.csv")
    with pytest.raises(CatalogError, match="h.csv"):
        load_catalog(b"item_id,title\n", filename="h.csv")
    with pytest.raises(CatalogError, match="j.json"):
        load_catalog(b"[]", filename="j.json")


# ------------------------------------------------------------------------------------------ encodings
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030"])
def test_encodings_roundtrip_unicode(encoding):
    cat = load_catalog(as_bytes("csv", encoding=encoding), filename="x.csv")
    check_roundtrip(cat)
    if encoding == "utf-8":
        assert not any("UTF-8" in w for w in cat.report.warnings)
    else:
        assert cat.report.encoding.replace("_", "-") in (encoding, "utf-16", "gb18030")


def test_cp1252_latin_text_detected_and_warned():
    text = "item_id,title\n1,Crème brûlée à la française\n2,Déjà vu, naïve façade\n"
    text = text.replace("Déjà vu, naïve façade", '"Déjà vu, naïve façade"')
    cat = load_catalog(text.encode("cp1252"), filename="x.csv")
    assert cat.titles == ["Crème brûlée à la française", "Déjà vu, naïve façade"]
    assert cat.report.encoding in ("cp1252", "latin-1", "iso8859-1", "iso8859-15")
    assert any("not UTF-8" in w for w in cat.report.warnings)


def test_gb18030_chinese_detected():
    text = "item_id,title\n1,你好世界，今天天气很好\n2,北京是中国的首都\n"
    cat = load_catalog(text.encode("gb18030"), filename="x.csv")
    assert cat.titles == ["你好世界，今天天气很好", "北京是中国的首都"]
    assert cat.report.encoding == "gb18030"


def test_mostly_utf8_with_broken_bytes_skips_only_those_rows():
    data = "item_id,title\n1,naïve\n2,BROKEN\n3,façade\n4,über\n".encode().replace(b"BROKEN", b"bad \xff\xfe")
    cat = load_catalog(data, filename="x.csv")
    assert cat.ids == ["1", "3", "4"]
    assert cat.report.encoding == "utf-8"
    [issue] = cat.report.skipped
    assert (issue.row, issue.column, issue.reason) == (2, "title", "undecodable bytes")
    assert "\\xff\\xfe" in issue.value
    assert "undecodable" in cat.report.summary()


def test_dataframe_with_lone_surrogates_is_reported_not_crashing():
    df = pd.DataFrame({"id": ["a", "b"], "text": ["fine", "bad \udcff"]}, dtype=object)
    cat = load_catalog(df)
    assert cat.ids == ["a"]
    assert cat.report.skipped[0].reason == "undecodable bytes"


# ----------------------------------------------------------------------------------- validation report
def test_report_accounts_for_every_row_with_reasons():
    csv = (
        "item_id,title,description\n"
        "1,One,first\n"        # row 1 kept
        "2,,\n"                # row 2 empty text
        "1,Dup,again\n"        # row 3 duplicate id
        ",No id,text\n"        # row 4 empty id
        "\n"                   # row 5 blank line
        "5,  ,   \n"           # row 6 whitespace only
        "6,Six,\"multi\nline\"\n"  # row 7 kept (embedded newline)
        "7,Seven,x,EXTRA\n"    # row 8 too many fields
    )
    cat = load_catalog(csv.encode(), filename="r.csv")
    rep = cat.report
    assert rep.rows_read == 8
    assert rep.kept == 2 and cat.ids == ["1", "6"]
    got = {(i.row, i.reason.split(" (")[0]) for i in rep.skipped}
    assert got == {(2, "empty text"), (3, "duplicate id"), (4, "empty id"), (5, "empty row"), (6, "empty text"),
                   (8, "4 fields but the header has 3")}
    assert rep.kept + len(rep.skipped) == rep.rows_read
    dup = next(i for i in rep.skipped if i.row == 3)
    assert dup.column == "item_id" and "first seen in row 1" in dup.reason
    s = rep.summary()
    assert "r.csv" in s and "8 rows read" in s and "2 kept" in s and "6 skipped" in s and "header not counted" in s
    fr = rep.to_frame()
    assert list(fr.columns) == ["row", "column", "reason", "value"] and len(fr) == 6
    assert json.dumps(rep.to_dict())


def test_duplicate_keeps_first_valid_row():
    df = pd.DataFrame({"id": ["x", "x", "y"], "text": ["", "second", "third"]})
    cat = load_catalog(df)
    assert cat.ids == ["x", "y"] and cat.texts == ["second", "third"]
    assert [i.reason for i in cat.report.skipped] == ["empty text"]


def test_jsonl_bad_lines_reported_by_line_number():
    data = b'{"id": "a", "text": "one"}\nnot json\n\n[1, 2]\n{"id": "b", "text": "two"}\n'
    cat = load_catalog(data, filename="x.jsonl")
    assert cat.ids == ["a", "b"]
    rows = {i.row: i.reason for i in cat.report.skipped}
    assert set(rows) == {2, 3, 4}
    assert rows[2].startswith("invalid JSON") and rows[3] == "empty line" and rows[4].startswith("not a JSON object")
    assert cat.report.rows_read == 5


def test_json_shapes():
    recs = [{"id": "a", "text": "one", "tags": ["x", "y"]}, {"id": "b", "text": "two", "tags": []}, 3]
    cat = load_catalog(json.dumps({"items": recs}).encode(), filename="x.json")
    assert cat.ids == ["a", "b"] and cat.items["tags"].tolist() == ["x;y", ""]
    assert cat.report.skipped[0].row == 3
    cols = {"id": ["a", "b"], "text": ["one", "two"]}
    assert load_catalog(json.dumps(cols).encode(), filename="c.json").ids == ["a", "b"]
    with pytest.raises(CatalogError, match="bad.json"):
        load_catalog(b'{"id": ', filename="bad.json")
    with pytest.raises(CatalogError, match="n.json"):
        load_catalog(b"42", filename="n.json")


def test_no_usable_row_raises_with_summary():
    with pytest.raises(CatalogError) as e:
        load_catalog(b"item_id,title\n1,\n2,  \n", filename="empty_text.csv")
    msg = str(e.value)
    assert "empty_text.csv" in msg and "no usable row" in msg and "empty text" in msg and "rows 1, 2" in msg


# --------------------------------------------------------------------------------------- column mapping
def test_explicit_map_with_template():
    df = frame().rename(columns={"item_id": "sku", "title": "name", "description": "blurb"})
    cm = ColumnMap(id="sku", text=["name", "blurb"], template="{name} — {blurb} {{x}}", title="name",
                   category="category", tags="tags", price="price", image_url="image")
    cat = load_catalog(df, cm)
    assert cat.texts[0] == "Café crème — Accented: naïve façade, résumé. {x}"
    assert cat.items["category"].tolist() == ["food", "tea", "fun", ""]
    assert cat.items["tags"].tolist() == ["hot;drink", "green;tea", "", "x;y"]
    p = cat.items["price"].tolist()
    assert p[:2] == [3.5, 12.0] and math.isnan(p[2]) and p[3] == 1299.0
    assert cat.items["image_url"].tolist() == ["https://example.org/a.png", "", "", ""]
    assert list(cat.items.columns[:7]) == ["item_id", "title", "text", "category", "tags", "price", "image_url"]
    assert "blurb" in cat.items.columns  # text columns stay as extra columns


def test_default_join_skips_empty_parts():
    df = pd.DataFrame({"id": ["a", "b", "c"], "title": ["T", "", "Done."], "body": ["", "only body", "more"]})
    cat = load_catalog(df, ColumnMap(id="id", text=["title", "body"], title="title"))
    assert cat.texts == ["T", "only body", "Done. more"]
    assert cat.titles[1] == "only body"  # empty title falls back to the text


def test_template_with_all_fields_empty_is_empty_text():
    df = pd.DataFrame({"id": ["a", "b"], "t": ["x", ""], "d": ["y", None]})
    cat = load_catalog(df, ColumnMap(id="id", text=["t", "d"], template="{t}. {d}"))
    assert cat.texts == ["x. y"]
    assert cat.report.skipped[0].reason == "empty text"


def test_template_drops_separators_around_empty_fields():
    df = pd.DataFrame({"id": ["a", "b", "c"], "t": ["T", "", "T"], "d": ["D", "D", "  "]})
    cat = load_catalog(df, ColumnMap(id="id", text=["t", "d"], template="Item: {t}. {d}!"))
    assert cat.texts == ["Item: T. D!", "Item: D!", "Item: T!"]


def test_misspelt_column_names_file_closest_and_available():
    with pytest.raises(CatalogError) as e:
        load_catalog(as_bytes("csv"), ColumnMap(id="item_id", text=["titel", "descripton"]), filename="shop.csv")
    msg = str(e.value)
    assert "shop.csv" in msg and "'titel'" in msg and "'title'" in msg and "'descripton'" in msg
    assert "'description'" in msg and "Available columns" in msg and "'category'" in msg
    assert isinstance(e.value, ColdrecError) and isinstance(e.value, ValueError)


def test_misspelt_template_field():
    with pytest.raises(CatalogError, match=r"template column 'titel'.*'title'"):
        load_catalog(frame(), ColumnMap(id="item_id", template="{titel}: {description}"))
    with pytest.raises(CatalogError, match="bad template"):
        load_catalog(frame(), ColumnMap(id="item_id", template="{title"))


def test_column_map_as_dict():
    cat = load_catalog(frame(), {"id": "item_id", "text": "description", "title": "title"})
    assert cat.texts[0] == ROWS[0]["description"]
    with pytest.raises(CatalogError, match="unknown column-map key"):
        load_catalog(frame(), {"id": "item_id", "txt": ["description"]})


def test_case_insensitive_column_match():
    cat = load_catalog(frame(), ColumnMap(id="ITEM_ID", text=["Title"]))
    assert cat.ids[0] == "A1"


def test_guess_columns_common_names():
    df = pd.DataFrame(columns=["ASIN", "Product Name", "Overview", "Genre", "Keywords", "Cost", "Thumbnail", "x"])
    cm = guess_columns(df)
    assert (cm.id, cm.title, cm.category, cm.tags, cm.price, cm.image_url) == (
        "ASIN", "Product Name", "Genre", "Keywords", "Cost", "Thumbnail")
    assert cm.text == ["Product Name", "Overview"]
    assert guess_columns(pd.DataFrame(columns=["movie_id", "name"])).id == "movie_id"
    assert guess_columns(pd.DataFrame(columns=["sku", "abstract"])).text == ["abstract"]


def test_no_id_column_generates_ids_and_warns():
    cat = load_catalog(b"headline,summary\nA,aa\nB,bb\n", filename="n.csv")
    assert cat.ids == ["row-1", "row-2"]
    assert any("no id column" in w for w in cat.report.warnings)


def test_non_string_cells():
    df = pd.DataFrame({"id": [1, 2, 3.0, None], "text": ["a", 5, float("nan"), "d"], "price": [1, None, 2.5, 3]})
    cat = load_catalog(df, ColumnMap(id="id", text=["text"], price="price"))
    assert cat.ids == ["1", "2"] and cat.texts == ["a", "5"]
    reasons = sorted(i.reason for i in cat.report.skipped)
    assert reasons == ["empty id", "empty text"]
    assert cat.items["price"].dtype == float


def test_huge_cell_and_special_text_kept_exactly():
    big = ("长文本 🎉 " * 120_000)[:1_000_000]
    special = '=cmd|"/c calc"!A1 <script>alert(1)</script> \t tab, "quotes"\nnewline'
    df = pd.DataFrame({"id": ["big", "sp", "+", "@"], "text": [big, special, "+1", "@me"]})
    cat = load_catalog(io.BytesIO(df.to_csv(index=False).encode()), filename="x.csv")
    assert cat.texts == [big, special, "+1", "@me"]
    assert cat.ids == ["big", "sp", "+", "@"]


# ------------------------------------------------------------------------------------------- Catalog API
def test_catalog_helpers():
    cat = load_catalog(frame())
    assert len(cat) == 4
    assert cat.index_of("C3") == 2 and cat.id_to_row["B2"] == 1
    assert cat.categories == ["food", "tea", "fun", ""]
    with pytest.raises(CatalogError, match="'C4'.*'C3'"):
        cat.index_of("C4")
    assert cat.search("CAFÉ") == ["A1"]
    assert cat.search("b2") == ["B2"]
    assert cat.search("") == cat.ids
    assert cat.search("e", limit=1) == ["A1"]
    h = cat.content_hash()
    assert len(h) == 64 and h == load_catalog(frame()).content_hash()
    df2 = frame()
    df2.loc[0, "description"] = "changed"
    assert load_catalog(df2).content_hash() != h


# --------------------------------------------------------------------------------------------- export
def test_neutralise_formulas_handles_duplicate_column_names():
    df = pd.DataFrame([["=1+1", "ok", 3]], columns=["a", "a", "n"])
    out = neutralise_formulas(df)
    assert out.iloc[0].tolist() == ["'=1+1", "ok", 3] and list(out.columns) == ["a", "a", "n"]
    assert df.iloc[0, 0] == "=1+1"  # the input is untouched


def test_neutralise_formulas_only_for_export():
    cat = load_catalog(frame())
    assert cat.titles[3].startswith("=")  # data kept as is
    safe = neutralise_formulas(cat.items)
    assert safe["title"].iloc[3] == "'" + cat.titles[3]
    assert safe["title"].iloc[0] == cat.titles[0]
    assert safe["price"].dtype == float
    assert safe_csv_frame is neutralise_formulas
    df = pd.DataFrame({"a": ["-2", "+x", "@y", "\tz", "ok", None]})
    assert neutralise_formulas(df)["a"].tolist()[:5] == ["'-2", "'+x", "'@y", "'\tz", "ok"]
    data = safe_csv_bytes(cat.items)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert back["title"].iloc[1] == "绿茶" and back["title"].iloc[3].startswith("'=")
    rep = cat.report
    assert safe_csv_bytes(rep.to_frame())  # empty report exports fine


# ---------------------------------------------------------------------------------------------- scale
def _big_csv(n: int) -> bytes:
    ids = np.char.add("i", np.arange(n).astype(str))
    df = pd.DataFrame({"item_id": ids, "title": np.char.add("Title ", np.arange(n).astype(str)),
                       "description": "Beschreibung mit Umlauten äöü und 中文 🎉", "category": "c", "price": "9.99"})
    return df.to_csv(index=False).encode()


def test_200k_rows_load_in_seconds():
    data = _big_csv(200_000)
    t = time.perf_counter()
    cat = load_catalog(io.BytesIO(data), filename="big.csv")
    elapsed = time.perf_counter() - t
    assert len(cat) == 200_000 and cat.report.ok
    assert cat.index_of("i199999") == 199_999
    assert elapsed < 30, elapsed  # ~2 s on the dev box; generous bound for 2 cores shared by several people


# -------------------------------------------------------------------------------------------------- CLI
def _cli_available() -> bool:
    try:
        import coldrec.cli._main  # noqa: F401
    except Exception:
        return False
    return hasattr(sys.modules["coldrec.cli._main"], "main")


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "coldrec.cli._main", "validate", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


@pytest.mark.skipif(not _cli_available(), reason="coldrec.cli._main not written yet")
def test_cli_validate_good_and_garbage(tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(as_bytes("csv"))
    r = _run_cli(str(good), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "4 kept" in r.stdout
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 4)
    r = _run_cli(str(garbage), cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stdout + r.stderr
    assert "garbage.csv" in r.stdout + r.stderr
    r = _run_cli(str(good), "--id", "item_id", "--text", "titel", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "'title'" in r.stdout + r.stderr
    r = _run_cli(str(tmp_path / "missing.csv"), cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
