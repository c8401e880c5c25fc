"""Fingerprint of the bundled demo data: the generator must write exactly the committed bytes.

``scripts/make_demo_data.py`` is run into a temp dir and every generated file is hashed. The hashes must equal
both the committed files under ``data/`` and the constants pinned below, so the test also fails when the
generator and ``data/`` drift together. If the demo data is changed on purpose, regenerate it and update
``EXPECTED`` (``sha256sum data/*/{items.csv,users.csv,interactions.csv,personas.json}``). The Chinese domains
(``<domain>-zh``) are pinned the same way; the English files must stay byte-identical when they are added or changed.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_demo_data.py"
FILES = ("items.csv", "users.csv", "interactions.csv", "personas.json")

EXPECTED = {
    "ecommerce": {
        "items.csv": "cea887ae8582dcf6cc74cc9cdab1474bdc05314e2735d93f933cdc0fd0ad5ec5",
        "users.csv": "cc8bec7aa2ef02217935b95a4e96d79a58f570f4fe6ef0f0ba67facb02f68653",
        "interactions.csv": "43c352651e7e098936a309add6e3126d7e307838cc55bf9054f1140e3541a896",
        "personas.json": "0f86a5164e04f63eda572d391cfa6118f0fccc5a4dc509ecda695c1598d029a7",
    },
    "news": {
        "items.csv": "2aaf138490227035a3ab91faacfa75f885bf92649e37338143a64d73e21634d5",
        "users.csv": "26fd28bad45e39c274e735929699a01d80486cb02d3dd0b2b8cdf99956dcc0b2",
        "interactions.csv": "189fb1d3db78f2aeff40293076b2371f921d190b7747395ebb1acc40ceb6b928",
        "personas.json": "ae57b8cb31e22ccb6d45b79d7453f54b757094cca00edb45882c43d2da679740",
    },
    "video": {
        "items.csv": "7fff89d0d9b9e3bdb2067ecf4c0a24faed70b350de5f27980e2c8d4bdd05b963",
        "users.csv": "f62bd895ed0aff18896f38fcf96cf780d47a22783c0c8b33e3c735e6fd0e5ab3",
        "interactions.csv": "350e6c1ac57d485cf4cb994d657a6c0f0f74933544f81eed30a02589a001f942",
        "personas.json": "c95a6423a5f8263d69c1ab15416b373bb4122d30b929d629f5421c0479dc8e53",
    },
    "music": {
        "items.csv": "cdfcf61d8254587328d01570cbb04988804c7797881995a55ac362764c6e3253",
        "users.csv": "1f02b8c44e81d292673fe6f6873caa7e95091eda498d14ee24f7259e46b9385c",
        "interactions.csv": "62a1f00bcdab1b69391ee57d433f760ccbaa2e5893b53b1ef67d80f206d88a46",
        "personas.json": "60f99f20b9e4b0d045ac191c0060875ed6f1a540a47b4abb6828083d44a0291c",
    },
    "social": {
        "items.csv": "a7901e7773ad607876b723be7ac4a3bb450c49c1d86e12d6f157902fbf1e3914",
        "users.csv": "2cffc4fa4de8d5e6b156230766d742f1bf7c2e7c1599c156472c63cbea1e98b1",
        "interactions.csv": "f1508b2336c94bf1ef656bff00305f182e9193fb3f92167846834d6f70d27cea",
        "personas.json": "ad5f650f32506ee2c17eb747b52aca18c225afb4cf997cfac594dc832fc0cdbf",
    },
    "ecommerce-zh": {
        "items.csv": "8207192cf420386628b5ca2963e47f1780793d37d7f050105abe2e850c6f5c38",
        "users.csv": "7ca0d3ed9ae70adc9c6d4738303db7bb6ffd4e7b167a8f75d8c7562f20179b84",
        "interactions.csv": "d2c70f327266b5a2ac1c36ab53150f78dccc6b45a18445db1de7218d08e35be4",
        "personas.json": "7439918acd45a6bf12670840ea5c9951e8401f449851324a8564c387bfb1181a",
    },
    "news-zh": {
        "items.csv": "01b7476db65a8e97f02328f8f0f6c19549fe16012612ce5118ddbfd9356331a2",
        "users.csv": "b64d9475e5386390acd0c19fc97c7520377906190e82c379f1a241f5243e715b",
        "interactions.csv": "777f7462ec4f236a84ee0ad180441c7c1a2d896bbed826918f41e18fb3b52deb",
        "personas.json": "a55784a25e20e7d94f2f386f30aace874ad927e967744f686d8fd89b487be871",
    },
    "video-zh": {
        "items.csv": "bdccbf9cd140416b5901aa49f18e9a98d1671edcb7c0d17acc0189f1a5fb5d53",
        "users.csv": "b5ccb0dfa43b2bceb21afe5fef0e95b97449ed7d703bf33c3142dc748b554fda",
        "interactions.csv": "e5716912a9f9f27cec5078c3dee901216de127017e5867e8865de01a78b8e279",
        "personas.json": "0fec1f04a40eaea2b9942216db89256dd3971f6a0ff00308c33a8c214f93ab24",
    },
    "music-zh": {
        "items.csv": "dd65d1b0ce4f6ef1e784f6ced0cb4004370ab9b46eb3aa967ff86c97035a1d10",
        "users.csv": "d0b001a74ccf17f433900482d9c65f23e26399476067d872d5089aab2cacf4b6",
        "interactions.csv": "7c7cbacc420304c689b68a38fa798dc4cdad9fb3f06936cd8980d8d88a70de4a",
        "personas.json": "f847ba9db94b420ca79564db55de6cf0fc9ec78269496f347258c39e7c4864a1",
    },
    "social-zh": {
        "items.csv": "f45df5d566e1c6f2d44269996bf5d3ec82bdf21c5183341a2c9648b8db836f0d",
        "users.csv": "965cc17137b4b8496892d426e10fb2a059fa560f2f840e26a85b3a9294474db8",
        "interactions.csv": "b3715e5f3c57fc46d10dab47d945bcd470924abd97a08a66fc93db176acde045",
        "personas.json": "a77d5ccf514aa742b7850d33bcd388dd0b19b51cadf5520673d9e697aa94d5f5",
    },
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, cwd=ROOT, capture_output=True)
    return out


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("domain", list(EXPECTED))
def test_generated_bytes_match_pinned_and_committed(generated, domain, name):
    got = _sha256(generated / domain / name)
    assert got == EXPECTED[domain][name], f"generator output changed: {domain}/{name}"
    assert _sha256(ROOT / "data" / domain / name) == EXPECTED[domain][name], f"data/{domain}/{name} changed"


def test_vocabulary_files_share_one_schema():
    """Every domain file in scripts/demo_vocab/ loads with the common top level and its own seed and id prefix."""
    import tomllib

    vocab = ROOT / "scripts" / "demo_vocab"
    files = sorted(p for p in vocab.glob("*.toml") if not p.stem.startswith("shared"))
    assert {p.stem for p in files} >= set(EXPECTED)
    required = {"seed_index", "id_prefix", "shared", "generator", "has_price", "max_age_days", "recency", "items",
                "users", "personas", "category"}
    seeds, prefixes = set(), set()
    for p in files:
        spec = tomllib.loads(p.read_text(encoding="utf-8"))
        assert required <= set(spec), (p.name, required - set(spec))
        assert spec["generator"] in {"product", "story", "track", "social"}
        assert (vocab / spec["shared"]).is_file()
        assert {"interests", "avoid", "tag_words"} <= set(spec["users"])
        assert set(spec["users"]["interests"]) == set(spec["category"]) == set(spec["users"]["avoid"])
        seeds.add(spec["seed_index"])
        prefixes.add(spec["id_prefix"])
    assert len(seeds) == len(prefixes) == len(files)
