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


# ------------------------------------------------------------------------------------------------ item 4
@pytest.fixture
def read_only(monkeypatch):
    """``read_only(folder)``: writes under ``folder`` fail as on a read-only file system (works as root, unlike
    chmod): ``os.open`` for writing, ``open`` in a writing mode, mkdir, link, replace and unlink."""
    import builtins
    import errno
    import os
    from pathlib import Path

    def make(folder):
        root = str(Path(folder).resolve())

        def under(p) -> bool:
            try:
                return str(Path(os.fsdecode(p)).resolve()).startswith(root)
            except (TypeError, ValueError):
                return False

        def refuse(p):
            raise PermissionError(errno.EROFS, "Read-only file system", os.fsdecode(p))

        real = {n: getattr(os, n) for n in ("open", "mkdir", "link", "replace", "unlink")}
        real_open = builtins.open

        def os_open(path, flags, *a, **k):
            if under(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                refuse(path)
            return real["open"](path, flags, *a, **k)

        def b_open(file, mode="r", *a, **k):
            if isinstance(file, (str, bytes, os.PathLike)) and under(file) and any(c in mode for c in "wax+"):
                refuse(file)
            return real_open(file, mode, *a, **k)

        def guarded(name):
            def f(p, *a, **k):
                if under(p):
                    refuse(p)
                return real[name](p, *a, **k)
            return f

        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(builtins, "open", b_open)
        monkeypatch.setattr(io, "open", b_open)
        for name in ("mkdir", "link", "replace", "unlink"):
            monkeypatch.setattr(os, name, guarded(name))

    return make


def _warm_cache(root, texts=("already cached",)):
    from coldrec.encoders import EmbeddingCache, HashEncoder, embed_texts

    embed_texts(HashEncoder(), list(texts), EmbeddingCache(root))  # the model folder and its lock file exist


def test_read_only_cache_cli_works_without_cache_and_warns(tmp_path, read_only, capsys):
    """An unwritable cache (lock file included) turns the cache off with a warning, not a PermissionError."""
    from coldrec.cli import main

    root = tmp_path / "cache"
    _warm_cache(root)
    items = tmp_path / "items.csv"
    items.write_text("item_id,title\na,red lamp\nb,blue chair\n")
    read_only(root)
    code = main(["embed", str(items), "--model", "hash", "--cache-dir", str(root), "--out", str(tmp_path / "e.parquet")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "embedding cache is off" in err and "Traceback" not in err and "PermissionError" not in err


def test_read_only_cache_app_pages_work_and_warn_without_server_paths(tmp_path, read_only, monkeypatch):
    """Catalog and New item run with a read-only cache, warn on the page, and never show a server path."""
    from streamlit.testing.v1 import AppTest

    from e2e_helpers import ROOT

    root = tmp_path / "cache"
    _warm_cache(root)
    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(root))
    monkeypatch.chdir(tmp_path)
    read_only(root)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    for page in ("app_pages/1_Catalog.py", "app_pages/3_New_item.py"):
        at.switch_page(page).run()
        if page.endswith("New_item.py"):
            at.text_input(key="ni_title").input("A two-person hiking tent")
            [b] = [b for b in at.get("form_submit_button") if b.label == "Find its audience"]
            b.click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        shown = " ".join(str(e.value) for kind in ("warning", "markdown", "caption", "info", "success")
                         for e in getattr(at, kind))
        assert "cache is off" in shown, shown[:500]
        assert str(tmp_path) not in shown and str(root) not in shown, shown[:500]


def test_forged_shard_with_recomputed_sha256_is_not_trusted(tmp_path):
    """Whoever forges a shard cannot make its digest check out: the digest is keyed with the cache's secret."""
    import hashlib

    import numpy as np

    from coldrec.encoders import EmbeddingCache, HashEncoder, embed_texts

    enc, text = HashEncoder(), "a forged text"
    cache = EmbeddingCache(tmp_path)
    embed_texts(enc, ["something else"], cache)  # a working cache (and its secret, where there is one)
    folder = cache.folder(enc.name)
    forged_vec = np.full((1, enc.dim), 0.5, dtype=np.float32)
    salted = {cache.key(text)} if hasattr(cache, "key") else set()
    for key in {hashlib.sha256(text.encode()).hexdigest(), *salted}:  # unsalted and salted keys
        keys = np.asarray([key], dtype="S64")
        h = hashlib.sha256()
        h.update(keys.tobytes())
        h.update(forged_vec.tobytes())
        with open(folder / f"shard-{hashlib.md5(key.encode()).hexdigest()}.npz", "wb") as fh:
            np.savez(fh, keys=keys, vectors=forged_vec, digest=np.array(h.hexdigest()))
    res = embed_texts(enc, [text], EmbeddingCache(tmp_path))
    assert res.encoded == 1, "a forged shard was served"
    np.testing.assert_allclose(res.vectors, enc.encode([text]))


def test_cache_keys_are_salted_per_cache(tmp_path):
    """Reading a cache's shards does not confirm a guessed text: its keys are not the plain SHA-256."""
    import hashlib

    import numpy as np

    from coldrec.encoders import EmbeddingCache, HashEncoder, embed_texts

    text, enc = "my private description of myself", HashEncoder()
    stored = []
    for name in ("one", "two"):
        cache = EmbeddingCache(tmp_path / name)
        embed_texts(enc, [text], cache)
        for shard in cache.folder(enc.name).glob("shard-*.npz"):
            with np.load(shard, allow_pickle=False) as z:
                stored += [k.decode() for k in z["keys"]]
    assert len(stored) == 2
    assert hashlib.sha256(text.encode()).hexdigest() not in stored
    assert stored[0] != stored[1], "two caches share their salt"


# ------------------------------------------------------------------------------------------------ item 2
MARKUP = '![i](http://evil.example/i.png) [l](http://evil.example/l) :red[r] <b>"q"</b> javascript:alert(1)'


def _inert_markdown(text: str) -> None:
    """Every Markdown/directive character in ``text`` is backslash-escaped and no URL can autolink."""
    import re

    live = re.findall(r"(?<!\\)[\[\]()!<>:*_`]", text)
    assert not live, f"unescaped markup {live!r} in {text!r}"
    assert "http://" not in text and "://" not in text.replace("\\://\u200b", ""), text


def test_md_and_plot_text_make_markup_inert():
    from ui.escape import md, plot_text

    _inert_markdown(md(MARKUP))
    assert md("a\nb").count("  \n") == 1  # line breaks kept as hard breaks, no block can open
    assert "<" not in plot_text(MARKUP) and "&quot;" not in plot_text(MARKUP) and '"q"' in plot_text(MARKUP)
    assert "%{" not in plot_text("%{customdata}")


def test_plotly_names_ticks_and_hover_are_escaped_without_quote_entities():
    """Legends (category names), ticks (personas) and hover labels hold no live markup and no ``&quot;``."""
    import numpy as np

    from ui.charts import map_figure, probe_figure, rank_diff_figure, reach_figure

    cats = [f"{MARKUP} {i}" for i in range(3)]
    fig = map_figure(np.random.default_rng(0).normal(size=(3, 2)), cats, cats, {c: "#000" for c in cats},
                     people=[{"name": MARKUP, "xy": [0, 0], "rows": [0], "typed": True}])
    lists = {n: pd.DataFrame({"item_id": ["a"], "title": [MARKUP], "category": [MARKUP], "final_rank": [1]})
             for n in "AB"}
    probe = pd.DataFrame({"persona": [MARKUP], "variant": [MARKUP], "shift": [0.1]})
    reach = pd.DataFrame({"group": [MARKUP], "reach": [0.5], "users": [2]})
    for f in (fig, rank_diff_figure(lists, 3, {}), probe_figure(probe), reach_figure(reach, MARKUP)):
        blob = f.to_json()
        assert "<a " not in blob and "<b>\\\"q" not in blob and "\\u003ca" not in blob.lower(), blob[:300]
        assert "&quot;" not in blob and "&#x27;" not in blob
        names = [t.name for t in f.data if t.name]
        assert all("<" not in n for n in names), names


def test_catalog_price_warning_and_new_item_metric_are_escaped(tmp_path, monkeypatch):
    """The Catalog page's price warning and New item's "Reads like" metric show item text inertly."""
    from streamlit.testing.v1 import AppTest

    from e2e_helpers import ROOT

    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.chdir(tmp_path)
    n = 6
    data = pd.DataFrame({"item_id": [f"i{k}" for k in range(n)], "title": [f"lamp {k}" for k in range(n)],
                         "category": [MARKUP] * n, "price": [MARKUP] * n}).to_csv(index=False).encode()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("app_pages/1_Catalog.py").run()
    at.get("file_uploader")[0].upload("shop.csv", data, "text/csv").run()
    [b] = [b for b in at.get("form_submit_button") if b.label == "Validate"]
    b.click().run()
    warnings = [w.value for w in at.warning]
    assert any("price" in w for w in warnings), warnings
    for w in warnings:
        _inert_markdown(w)
    at.button(key="cat_embed").click().run()
    at.switch_page("app_pages/3_New_item.py").run()
    at.text_input(key="ni_title").input("a lamp")
    [b] = [b for b in at.get("form_submit_button") if b.label == "Find its audience"]
    b.click().run()
    assert not at.exception, [e.value for e in at.exception]
    [reads_like] = [m.value for m in at.metric if m.label == "Reads like"]
    _inert_markdown(reads_like)


def test_ranker_log_warnings_are_escaped(tmp_path, monkeypatch):
    """Item ids quoted in the interaction log's warnings reach the Ranker page inertly."""
    from streamlit.testing.v1 import AppTest

    from coldrec.demo import load_demo
    from e2e_helpers import ROOT

    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.chdir(tmp_path)
    log = load_demo("ecommerce").interactions_frame if hasattr(load_demo("ecommerce"), "interactions_frame") \
        else pd.read_csv(ROOT / "data" / "ecommerce" / "interactions.csv", dtype=str)
    bad = pd.DataFrame({"user_id": ["u-evil"] * 2, "item_id": [MARKUP, MARKUP + "2"], "rating": ["1", "1"],
                        "timestamp": ["2024-01-01", "2024-01-02"]})
    data = pd.concat([log, bad], ignore_index=True).to_csv(index=False).encode()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["rk_epochs"] = 2
    at.run()
    at.switch_page("app_pages/6_Ranker.py").run()
    up = at.get("file_uploader")[0]  # the Train tab's log uploader comes first
    up.upload("log.csv", data, "text/csv")
    [b] = [b for b in at.get("form_submit_button") if b.label == "Train"]
    b.click().run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("not in the catalog" in w for w in warnings), (warnings, [s.value for s in at.subheader],
                                                               [e.value for e in at.error])
    for w in warnings:
        _inert_markdown(w)


# ------------------------------------------------------------------------------------------------ item 8
def _model_copy(tmp_path, drop=()):
    import shutil

    from coldrec.encoders import default_model_path

    try:
        src = default_model_path()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no bundled model: {exc}")
    dst = tmp_path / "model"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*drop))
    return dst


def test_model_folder_without_tokenizer_is_refused(tmp_path):
    """No tokenizer files: one clear error, instead of a model that reads every word as [UNK]."""
    from coldrec.encoders import load_encoder
    from coldrec.errors import ModelNotFoundError

    folder = _model_copy(tmp_path, drop=("tokenizer.json", "vocab.txt", "tokenizer_config.json",
                                         "special_tokens_map.json"))
    with pytest.raises(ModelNotFoundError, match=r"no tokenizer files .*tokenizer\.json or vocab\.txt"):
        load_encoder(str(folder), device="cpu")


def test_pickle_only_model_folder_is_one_line_saying_what_to_pass(tmp_path, capsys):
    """A folder holding only pytorch_model.bin: one line naming the file and what to pass (CLI included)."""
    import pickle

    from coldrec.cli import main
    from coldrec.encoders import load_encoder
    from coldrec.errors import ModelNotFoundError

    folder = _model_copy(tmp_path, drop=("model.safetensors",))
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ModelNotFoundError, match=r"only pickled weights \(pytorch_model\.bin\).*model\.safetensors"):
        load_encoder(str(folder), device="cpu")
    items = tmp_path / "items.csv"
    items.write_text("item_id,title\na,red lamp\n")
    assert main(["embed", str(items), "--model", str(folder), "--device", "cpu", "--out", str(tmp_path / "e.pq")]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if not ln.startswith("note: ")]
    err = "\n".join(err).strip()
    assert len(err.splitlines()) == 1 and "pytorch_model.bin" in err and "model.safetensors" in err, err


# ------------------------------------------------------------------------------------------------ item 6
def test_too_many_columns_refused_before_parsing_and_no_per_column_insert(monkeypatch):
    """A 2,000-column CSV is refused by COLDREC_MAX_COLUMNS; raised, it loads with one concat, not 2,000 inserts."""
    from coldrec.errors import CatalogError

    cols = ["item_id", "title"] + [f"c{i}" for i in range(2000)]
    data = (",".join(cols) + "\n" + "\n".join(",".join([f"i{r}", f"lamp {r}"] + ["x"] * 2000) for r in range(3))
            ).encode()
    with pytest.raises(CatalogError, match=r"columns 2,002 is over the limit of 1,000.*COLDREC_MAX_COLUMNS"):
        load_catalog(data, filename="wide.csv")
    monkeypatch.setenv("COLDREC_MAX_COLUMNS", "5000")
    calls = []
    real = pd.DataFrame.__setitem__
    monkeypatch.setattr(pd.DataFrame, "__setitem__", lambda self, k, v: (calls.append(k), real(self, k, v))[1])
    cat = load_catalog(data, filename="wide.csv")
    assert cat.items.shape[1] >= 2000 and len(calls) < 50, len(calls)


def test_xlsx_with_a_far_cell_is_refused_from_its_dimension():
    """One cell in a far column makes a tiny .xlsx claim thousands of columns: refused before pandas reads it."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    from coldrec.errors import CatalogError

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["item_id", "title"])
    for r in range(2, 60):
        ws.append([f"i{r}", f"lamp {r}"])
    ws[f"{get_column_letter(3000)}59"] = "far"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(CatalogError, match=r"columns 3,000 is over the limit.*COLDREC_MAX_COLUMNS"):
        load_catalog(buf.getvalue(), filename="far.xlsx")


def _gzip_zeros(megabytes: int) -> bytes:
    import zlib

    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    block = b"item_id,title\n" + b"0" * (2**20 - 14)
    out = [z.compress(block)] + [z.compress(b"0" * 2**20) for _ in range(megabytes - 1)]
    return b"".join(out) + z.flush()


def test_gzip_bomb_named_csv_is_refused_at_the_decompressed_limit(monkeypatch):
    from coldrec.errors import CatalogError

    monkeypatch.setenv("COLDREC_MAX_DECOMPRESSED_MB", "64")
    bomb = _gzip_zeros(100)
    assert len(bomb) < 200_000
    with pytest.raises(CatalogError, match=r"decompressed size .* over the limit of 64 MB.*COLDREC_MAX_DECOMPRESSED_MB"):
        load_catalog(bomb, filename="items.csv")


def test_rows_limit_is_a_setting_with_a_clear_message(monkeypatch):
    from coldrec.errors import CatalogError

    monkeypatch.setenv("COLDREC_MAX_ROWS", "10")
    data = ("item_id,title\n" + "\n".join(f"i{r},lamp {r}" for r in range(20))).encode()
    with pytest.raises(CatalogError, match=r"rows 20 is over the limit of 10.*COLDREC_MAX_ROWS"):
        load_catalog(data, filename="long.csv")


def _validate_in_a_capped_process(path: str):
    import resource
    import subprocess
    import sys

    def cap():  # even a regression cannot eat the shared machine's memory
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    try:
        return subprocess.run([sys.executable, "-m", "coldrec.cli", "validate", path], capture_output=True, text=True,
                              timeout=60, preexec_fn=cap)
    except subprocess.TimeoutExpired:
        pytest.fail(f"coldrec validate {path} hung")


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "fifo"])
def test_validate_devices_and_fifos_end_with_a_clear_message(path, tmp_path):
    import os

    if path == "fifo":
        path = str(tmp_path / "pipe.csv")
        os.mkfifo(path)
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    res = _validate_in_a_capped_process(path)
    assert res.returncode == 2, res.stderr[-2000:]
    assert "Traceback" not in res.stderr and "MemoryError" not in res.stderr
    assert "not a regular file" in res.stderr, res.stderr


def test_long_text_is_cut_before_tokenisation_with_a_notice(fake_encoder):
    import numpy as np

    from coldrec.encoders import embed_texts

    text = "lamp " * 30_000  # 150,000 characters
    res = embed_texts(fake_encoder, [text, "short"])
    assert any("COLDREC_MAX_TEXT_CHARS" in w and "cut" in w for w in res.warnings), res.warnings
    np.testing.assert_allclose(res.vectors[0], fake_encoder.encode([text[:20_000]])[0])


def test_upload_parsing_runs_in_a_memory_capped_worker(monkeypatch):
    """A file that needs more memory than the cap fails in the worker with a message; the caller carries on."""
    import os

    from coldrec.catalog import run_isolated
    from coldrec.errors import CatalogError

    assert run_isolated("read_table", b"item_id,title\na,lamp\n", filename="ok.csv")[0].shape == (1, 2)
    monkeypatch.setenv("COLDREC_MAX_DECOMPRESSED_MB", "4096")
    monkeypatch.setenv("COLDREC_PARSE_MEMORY_MB", "700")
    with pytest.raises(CatalogError, match=r"(memory|stopped).*COLDREC_PARSE_MEMORY_MB"):
        run_isolated("read_table", _gzip_zeros(800), filename="big.csv", label="big.csv")
    assert os.getpid()  # still here
    with pytest.raises(CatalogError, match="not a valid"):
        run_isolated("read_table", b"PK\x03\x04 broken", filename="bad.xlsx")


# ------------------------------------------------------------------------------------------------ item 7
def test_active_visible_sheet_is_read_and_the_others_named():
    import openpyxl

    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "old"
    old.append(["item_id", "title"])
    old.append(["x1", "stale row"])
    old.sheet_state = "hidden"
    cat_ws = wb.create_sheet("catalog")
    cat_ws.append(["item_id", "title"])
    for i in range(3):
        cat_ws.append([f"i{i}", f"lamp {i}"])
    wb.create_sheet("notes").append(["just notes"])
    wb.active = 1
    buf = io.BytesIO()
    wb.save(buf)
    cat = load_catalog(buf.getvalue(), filename="book.xlsx")
    assert cat.ids == ["i0", "i1", "i2"]
    [w] = [w for w in cat.report.warnings if "sheets" in w]
    assert "'catalog'" in w and "'old' (hidden)" in w and "'notes'" in w, w


def test_column_json_with_unequal_lists_is_refused_with_the_lengths():
    from coldrec.errors import CatalogError

    data = b'{"item_id": ["a", "b", "c"], "title": ["x", "y"]}'
    with pytest.raises(CatalogError, match=r"different lengths \('item_id': 3, 'title': 2\)"):
        load_catalog(data, filename="cols.json")


def test_utf8_file_with_gb18030_rows_is_decoded_per_line():
    rows = ["naïve café", "中文商品名称", "über straße", "北京烤鸭礼盒"]
    data = b"item_id,title\n" + b"".join(
        f"{i},".encode() + (t.encode("gb18030") if i % 2 else t.encode()) + b"\n" for i, t in enumerate(rows))
    cat = load_catalog(data, filename="mixed.csv")
    assert cat.titles == rows and cat.report.kept == 4
    [w] = [w for w in cat.report.warnings if "mixes encodings" in w]
    assert "gb18030" in w and "lines 3, 5" in w, w


def test_cp1252_file_with_utf8_rows_has_no_mojibake():
    rows = ["café crème", "naïve", "Müller", "déjà vu"]
    data = b"item_id,title\n" + b"".join(
        f"{i},".encode() + (t.encode() if i == 2 else t.encode("cp1252")) + b"\n" for i, t in enumerate(rows))
    cat = load_catalog(data, filename="mixed.csv")
    assert cat.titles == rows, cat.titles


def test_undecodable_header_byte_warning_is_truthful():
    data = "item_id,ti\xfftle\na,café\nb,naïve\n".encode().replace("ti\xfftle".encode(), b"ti\xfftle")
    cat = load_catalog(data, filename="h.csv")
    assert cat.report.kept == 2 and not cat.report.skipped
    assert not any("rows holding them are skipped" in w for w in cat.report.warnings), cat.report.warnings
    assert any("header" in w and "U+FFFD" in w for w in cat.report.warnings), cat.report.warnings


def test_parquet_with_duplicate_column_names_loads_like_the_same_csv():
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table([pa.array(["a", "b"]), pa.array(["x", "y"]), pa.array(["p", "q"])],
                     names=["item_id", "title", "title"])
    buf = io.BytesIO()
    pq.write_table(table, buf)
    from_parquet = load_catalog(buf.getvalue(), filename="dup.parquet")
    from_csv = load_catalog(b"item_id,title,title\na,x,p\nb,y,q\n", filename="dup.csv")
    assert list(from_parquet.items.columns) == list(from_csv.items.columns)
    assert from_parquet.items["title.1"].tolist() == ["p", "q"]
    assert any("renamed" in w and "'title.1'" in w for w in from_parquet.report.warnings)


def test_catalog_name_from_an_upload_name_with_separators():
    for name in ("../../shop.csv", "C:\\Users\\ana\\shop.csv", "dir/sub/shop.csv"):
        assert load_catalog(b"item_id,title\na,lamp\n", filename=name).name == "shop", name


# ------------------------------------------------------------------------------------------------ item 5
def test_streamlit_binds_loopback_and_never_detects_its_ip():
    import tomllib

    from e2e_helpers import ROOT

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["address"] == "127.0.0.1"  # setting it also skips Streamlit's internal/external IP look-up
    assert cfg["browser"]["serverAddress"] == "localhost" and cfg["browser"]["gatherUsageStats"] is False
    from ui.chrome import FAVICON, HOME_ICON, PAGES

    assert not any(str(icon).startswith(":material") for icon in [HOME_ICON, *(p[2] for p in PAGES)])
    assert FAVICON.endswith(".png") and (ROOT / "ui" / "assets" / "favicon.png").is_file()
