from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from coldrec.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "coldrec.cli._main", *args], capture_output=True, text=True, timeout=300)


def test_help_for_every_command(capsys):
    for cmd in ("embed", "recommend", "new-item", "train-ranker", "validate", "evaluate", "simulate", "fine-tune"):
        with pytest.raises(SystemExit) as e:
            main([cmd, "--help"])
        assert e.value.code == 0
        assert cmd in capsys.readouterr().out


def test_recommend_on_a_catalog_file_with_hash_model(tmp_path, tiny_frame, capsys):
    path = tmp_path / "items.csv"
    tiny_frame.to_csv(path, index=False)
    code = main(["recommend", "--catalog", str(path), "--describe", "wireless headphones", "-k", "3",
                 "--model", "hash", "--format", "json"])
    out = capsys.readouterr()
    assert code == 0
    rows = json.loads(out.out)
    assert rows[0]["item_id"] == "h1" and len(rows) == 3 and rows[0]["reason"]
    assert "ranked by cosine" in out.err


def test_new_item_on_a_catalog_file_with_a_user_table(tmp_path, tiny_frame, capsys):
    items, users = tmp_path / "items.csv", tmp_path / "users.csv"
    tiny_frame.to_csv(items, index=False)
    pd.DataFrame({"user_id": ["runner", "gardener"],
                  "bio": ["wireless earbuds for running", "a garden hose for watering plants"]}).to_csv(users, index=False)
    code = main(["new-item", "--catalog", str(items), "--users", str(users), "--user-text-col", "bio",
                 "--describe", "Wireless sport earbuds, sweat resistant, for running", "-k", "2", "--model", "hash",
                 "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert data["similar"][0]["item_id"] == "h2"
    assert [r["user_id"] for r in data["audience"]][0] == "runner" and data["audience"][0]["reaches"] is True
    assert data["summary"]["users"] == 2 and "reaches 1 of 2 users" in out.err
    # without --user-text-col the shared vocabulary finds "bio"; a table with no text column names its columns
    assert main(["new-item", "--catalog", str(items), "--users", str(users), "--describe", "x", "--model",
                 "hash"]) == 0
    capsys.readouterr()
    pd.DataFrame({"user_id": ["runner"], "age": ["31"]}).to_csv(users, index=False)
    assert main(["new-item", "--catalog", str(items), "--users", str(users), "--describe", "x", "--model",
                 "hash"]) == 1
    assert "has no description column (columns: user_id, age); give it --user-text-col COLUMN" in capsys.readouterr().err
    assert main(["new-item", "--catalog", str(items), "--describe", "garden hose", "--model", "hash"]) == 0
    out = capsys.readouterr()
    assert "no users to reach" in out.err and "Garden hose" in out.out
    assert main(["new-item", "--catalog", str(items), "--describe", "x", "--model", "hash", "--popularity",
                 "lots"]) == 1
    assert "a count or 'median', got 'lots'" in capsys.readouterr().err


def test_embed_writes_parquet(tmp_path, tiny_frame, capsys):
    path = tmp_path / "items.csv"
    tiny_frame.to_csv(path, index=False)
    assert main(["embed", str(path), "--out", str(tmp_path / "e.parquet"), "--model", "hash"]) == 0
    df = pd.read_parquet(tmp_path / "e.parquet")
    assert df["item_id"].tolist() == tiny_frame["item_id"].tolist()
    assert len(df["embedding"].iloc[0]) == 64
    assert "encoded 6" in capsys.readouterr().out


def test_errors_go_to_stderr_without_traceback(tmp_path):
    res = run("recommend", "--domain", "nowhere", "--describe", "x", "--model", "hash")
    assert res.returncode == 1
    assert "Unknown demo domain 'nowhere'; choose one of ecommerce" in res.stderr
    assert "Traceback" not in res.stderr
    res = run("recommend", "--catalog", str(tmp_path / "missing.csv"), "--describe", "x", "--model", "hash")
    assert res.returncode != 0 and "Traceback" not in res.stderr and "missing.csv" in res.stderr


def test_recommend_needs_a_user(capsys):
    assert main(["recommend", "--domain", "news", "--model", "hash"]) == 1
    assert "--describe" in capsys.readouterr().err


def test_train_ranker_on_demo_domain_with_hash_model(tmp_path, capsys):
    code = main(["train-ranker", "--domain", "social", "--model", "hash", "--epochs", "2",
                 "--out", str(tmp_path / "rk")])
    out = capsys.readouterr().out
    assert code == 0 and (tmp_path / "rk" / "model.safetensors").is_file()
    assert "popularity" in out and "mlp-concat" in out


@pytest.mark.slow
def test_recommend_demo_with_real_model_prints_reasons():
    res = run("recommend", "--domain", "ecommerce", "--describe",
              "I just moved to a small flat and cook a lot, vegetarian, budget-minded", "-k", "5")
    assert res.returncode == 0, res.stderr
    assert "match to “" in res.stdout and "ranked by" in res.stderr  # a level (strong / some / weak), no raw cosine
