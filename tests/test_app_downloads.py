"""Every CSV the app offers for download, taken as the bytes the browser would get, is formula-safe and whole.

The pages are rendered under AppTest on an uploaded catalog whose cells carry spreadsheet formulas, carriage
returns, line feeds, quotes and separators; the bytes each ``st.download_button`` hands to Streamlit are captured
from its media storage and read back with Python's csv module, pandas and coldrec's own loader.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage  # noqa: E402

from tests.test_app import frames, goto, ok, start, submit  # noqa: E402,F401  (fixtures come from test_app)
from tests.test_app import _fast_app  # noqa: E402,F401

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    ("h1", "=cmd|' /C calc'!A0", "Quiet headphones for the train", "=HYPERLINK(\"http://x\")"),
    ("h2", "+SUM(1,2)", "Wireless earbuds, sweat resistant", "Audio"),
    ("h3", "-2+3 lamp", "A reading lamp;\r=cmd|1 with a dimmer", "Home"),
    ("h4", "@SUM(A1)", "Garden hose, 30 m,\n\"kink-free\"", "@Garden"),
    ("h5", "pan\r=cmd|1", "Cast-iron pan for the hob", "Kitchen"),
    ("h6", "Tea\tcaddy", "Loose-leaf tea tin, airtight", "\tKitchen"),
]


@pytest.fixture
def downloads(monkeypatch):
    """Every (bytes, mimetype, filename) a page hands to Streamlit's media storage during the test."""
    got: list[tuple[bytes, str, str | None]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes):
            got.append((path_or_data, mimetype, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return got


def _hostile_upload(at):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["sku", "name", "blurb", "dept"])
    w.writerows(HOSTILE)
    w.writerow(["h99", "", "", "Kitchen"])  # no text: skipped, so the skipped-rows download exists
    at = goto(at, "app_pages/1_Catalog.py")
    at.get("file_uploader")[0].upload("hostile.csv", buf.getvalue().encode(), "text/csv").run()
    ok(at)
    at.selectbox(key="cat_category").set_value("dept")
    submit(at, "Validate")
    at.button(key="cat_embed").click().run()
    return ok(at)


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _check_csv(data: bytes, rows_expected: int | None) -> pd.DataFrame:
    text = data.decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    header, body = parsed[0], parsed[1:]
    assert all(len(r) == len(header) for r in body), f"ragged rows: {[len(r) for r in body]} vs {len(header)}"
    for r in body:
        for cell in r:
            if _number(cell):  # -0.06 is a number to a spreadsheet, not a formula
                continue
            assert not cell.startswith(FORMULA_START), f"cell starts like a formula: {cell!r}"
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert frame.shape == (len(body), len(header))
    if rows_expected is not None:
        assert len(body) == rows_expected, f"{len(body)} rows downloaded, {rows_expected} shown"
    from coldrec.catalog import read_table

    back = read_table(io.BytesIO(data), filename="download.csv")
    back = back[0] if isinstance(back, tuple) else back
    assert len(back) == len(body)
    return frame


def test_every_csv_download_is_formula_safe_and_whole(downloads):
    at = _hostile_upload(start())
    goto(at, "app_pages/2_New_user.py")
    at.text_area(key="nu_desc").input("quiet headphones for the train and a pan for the hob")
    at.slider(key="nu_k").set_value(5)
    submit(at, "Recommend")
    [shown] = frames(at, "nu_table")
    goto(at, "app_pages/3_New_item.py")
    at.text_input(key="ni_title").input("=cmd|' /C notepad'!A0 travel kettle")
    submit(at, "Find its audience")
    [audience] = frames(at, "ni_audience")

    csvs = [(d, f) for d, m, f in downloads if m.startswith("text/csv")]
    names = {f for _, f in csvs}
    assert any(f and f.startswith("coldrec_") for f in names), names  # New user's list
    assert len(csvs) >= 3, names  # skipped rows, the New user list, the audience
    sizes = {len(shown), len(audience), 1}
    for data, name in csvs:
        frame = _check_csv(data, None)
        assert len(frame) in sizes, (name, len(frame))
    # the recommended list's own download holds the rows shown, hostile titles included
    lists = [_check_csv(d, None) for d, _ in csvs]
    rec = [f for f in lists if "item_id" in f and "final_rank" in f and len(f) == len(shown)]
    assert rec and list(rec[-1]["item_id"]) == list(shown["item_id"])
    assert any(t.startswith("'") for t in rec[-1]["title"])  # a formula title is kept, as text
