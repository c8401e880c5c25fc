"""Fuzzing of ranker checkpoints (SECURITY.md promise 6, issue 15 item 3).

Every tampered checkpoint is refused with :class:`CheckpointError` or loads with exactly the weights that were
saved. The cases are built from a seed: each key of ``config.json`` (top level, ``config``, ``item_popularity``,
``scale``, ``history``, ``trained_on``) deleted or set to a wrong type, a huge, negative or non-finite number, a
deep nesting, a long string or a huge layer size; unknown keys; bytes of ``model.safetensors`` flipped in its
header and its data; both files truncated. ``python tests/test_checkpoint_fuzz.py`` prints the figures that
SECURITY.md quotes.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from coldrec.errors import CheckpointError
from coldrec.ranking import MLPRanker, RankerConfig

SEED = 2026
_DEEP = "__deep_nesting__"  # replaced in the JSON text by 100,000 nested lists (json.loads recursion)
_WRONG = [None, True, "x", "", -1, 0, 2**70, 1e308, math.nan, math.inf, -math.inf, [], {}, [1, "a", None],
          {"k": [1]}, _DEEP, "x" * 1_000_000, 50_000, [50_000, 50_000], -1e-9, 0.5]


def _fitted(features: str) -> MLPRanker:
    rng = np.random.default_rng(0)
    E = rng.standard_normal((40, 8)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    U = E[:12] + 0.1 * rng.standard_normal((12, 8)).astype(np.float32)
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    pos = [[i, (i + 1) % 40] for i in range(12)]
    cfg = RankerConfig(features=features, hidden=(16, 8), epochs=1, standardize=True)
    return MLPRanker(cfg).fit(E, U, pos, popularity=np.arange(40, dtype=np.float32),
                              item_ids=[f"i{j}" for j in range(40)])


def _paths(meta: dict) -> list[tuple]:
    """Every key path the mutations touch."""
    paths = [(k,) for k in meta] + [("config", k) for k in meta["config"]]
    paths += [("item_popularity", "ids"), ("item_popularity", "counts"), ("scale", 0), ("scale", 1),
              ("history", 0), ("trained_on", "encoder"), ("config", "hidden", 0), ("scalars", 0)]
    return [p for p in paths if _has(_get(meta, p[:-1]), p[-1])]


def _has(obj, key) -> bool:
    return isinstance(obj, dict) and key in obj or isinstance(obj, list) and isinstance(key, int) and key < len(obj)


def _get(obj, path):
    for k in path:
        if _has(obj, k):
            obj = obj[k]
        else:
            return None
    return obj


def config_cases(meta: dict) -> list[tuple[str, str]]:
    """``(label, config.json text)`` for every mutation of the saved config."""
    cases = []
    for path in _paths(meta):
        for value in ["<delete>", *_WRONG]:
            m = json.loads(json.dumps(meta))
            parent = _get(m, path[:-1])
            if value == "<delete>":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            text = json.dumps(m).replace(json.dumps(_DEEP), "[" * 100_000 + "]" * 100_000)
            cases.append((f"{'.'.join(map(str, path))}={str(value)[:12]}", text))
    for where in ((), ("config",), ("item_popularity",)):
        m = json.loads(json.dumps(meta))
        _get(m, where)["surprise"] = 1
        cases.append((f"unknown key in {where or 'top level'}", json.dumps(m)))
    text = json.dumps(meta)
    cases += [("config: not an object", "[1, 2]"), ("config: empty", ""), ("config: BOM", "\ufeff" + text),
              ("config: deep nesting", "[" * 100_000 + "]" * 100_000), ("config: not UTF-8", "\udcff")]
    return cases


def weight_cases(data: bytes, rng: random.Random) -> list[tuple[str, bytes]]:
    """``(label, model.safetensors bytes)``: byte flips in the header and the data, truncations, header length."""
    (hlen,) = struct.unpack("<Q", data[:8])
    cases = []
    for where, lo, hi in (("length", 0, 8), ("header", 8, 8 + hlen), ("data", 8 + hlen, len(data))):
        for _ in range(8 if where == "length" else 40):
            pos, b = rng.randrange(lo, hi), bytearray(data)
            b[pos] ^= 1 << rng.randrange(8)
            cases.append((f"flip {where} byte {pos}", bytes(b)))
    for _ in range(20):
        n = rng.randrange(0, len(data))
        cases.append((f"truncate to {n}", data[:n]))
    cases += [("append a byte", data + b"\0"), ("header length 2**62", struct.pack("<Q", 2**62) + data[8:])]
    return cases


def run_cases(tmp: Path, seed: int = SEED) -> dict:
    """Run every case; returns the counts and the failures ``(label, what happened)``."""
    rng = random.Random(seed)
    counts = {"cases": 0, "refused": 0, "identical": 0, "failures": []}
    for features in ("rich", "concat"):
        ranker = _fitted(features)
        good = ranker.save(tmp / f"good-{features}")
        want = {k: v.clone() for k, v in ranker._net.state_dict().items()}
        meta = json.loads((good / "config.json").read_text(encoding="utf-8"))
        weights = (good / "model.safetensors").read_bytes()
        cases = [(lbl, ("config.json", t)) for lbl, t in config_cases(meta)] if features == "rich" else []
        cases += [(lbl, ("model.safetensors", b)) for lbl, b in weight_cases(weights, rng)]
        for label, (name, content) in cases:
            folder = tmp / "case"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(good, folder)
            if isinstance(content, str):
                (folder / name).write_bytes(content.encode("utf-8", "surrogateescape"))
            else:
                (folder / name).write_bytes(content)
            counts["cases"] += 1
            _one(f"{features}: {label}", folder, want, counts)
    return counts


def _one(label: str, folder: Path, want: dict, counts: dict) -> None:
    import torch

    try:
        got = MLPRanker.load(folder)._net.state_dict()
    except CheckpointError as exc:
        if "internal error" in str(exc):  # the last-resort wrapper: the schema missed this case
            counts["failures"].append((label, f"internal error: {str(exc)[:160]}"))
        else:
            counts["refused"] += 1
        return
    except BaseException as exc:  # noqa: BLE001 - the property: nothing but CheckpointError
        if isinstance(exc, KeyboardInterrupt):
            raise
        counts["failures"].append((label, f"{type(exc).__name__}: {str(exc)[:160]}"))
        return
    same = got.keys() == want.keys() and all(got[k].dtype == want[k].dtype and torch.equal(got[k], want[k])
                                              for k in want)
    if same:
        counts["identical"] += 1
    else:
        counts["failures"].append((label, "loaded with other weights"))


def test_every_tampered_checkpoint_is_refused_or_loads_identically(tmp_path):
    counts = run_cases(tmp_path)
    fails = counts["failures"]
    print(f"checkpoint fuzz: {counts['cases']} cases, {counts['refused']} refused, {counts['identical']} identical, "
          f"{len(fails)} failures")
    assert counts["cases"] > 300 and counts["refused"] > 0 and counts["identical"] > 0
    assert not fails, f"{len(fails)} of {counts['cases']} cases: " + "; ".join(f"{a} -> {b}" for a, b in fails[:25])


@pytest.mark.parametrize("features", ["rich", "concat"])
def test_untampered_checkpoint_loads_identically(tmp_path, features):
    """The property's other half can hold: an unchanged checkpoint is never refused."""
    counts = {"cases": 0, "refused": 0, "identical": 0, "failures": []}
    ranker = _fitted(features)
    _one("unchanged", ranker.save(tmp_path / "ck"), ranker._net.state_dict(), counts)
    assert counts["identical"] == 1, counts


# ---------------------------------------------------------------------------------- the named cases
def _saved(tmp_path: Path, features: str = "rich") -> Path:
    return _fitted(features).save(tmp_path / "ck")


def _edit(folder: Path, change) -> Path:
    meta = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    change(meta)
    (folder / "config.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def test_huge_layers_are_refused_before_anything_is_built(tmp_path, monkeypatch):
    folder = _edit(_saved(tmp_path), lambda m: m["config"].__setitem__("hidden", [50_000, 50_000]))
    monkeypatch.setattr(MLPRanker, "_build", lambda *a: pytest.fail("a network was built"))
    with pytest.raises(CheckpointError, match=r"config\.hidden entry 0 is 50000; it must be an integer in \[1, 4096\]"):
        MLPRanker.load(folder)


def test_a_network_over_the_weight_bound_is_refused_from_its_config(tmp_path, monkeypatch):
    def big(m):
        m["dim"], m["config"]["hidden"] = 8192, [4096, 4096]
    folder = _edit(_saved(tmp_path), big)
    monkeypatch.setattr(MLPRanker, "_build", lambda *a: pytest.fail("a network was built"))
    with pytest.raises(CheckpointError, match=r"asks for a network of [\d,]+ weights .*at most 32,000,000"):
        MLPRanker.load(folder)


def test_flipped_weight_byte_is_refused_by_the_digest(tmp_path):
    folder = _saved(tmp_path)
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[-5] ^= 0x01  # a low mantissa bit: finite, same shapes, silently loaded before the digest
    (folder / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"do not match their config: the SHA-256 of model\.safetensors .*"
                                              r"re-save the checkpoint .* or retrain it"):
        MLPRanker.load(folder)


def test_checkpoint_without_a_digest_is_refused_unless_allowed_then_resaved(tmp_path):
    ranker = _fitted("concat")
    folder = _edit(ranker.save(tmp_path / "ck"), lambda m: m.pop("weights_sha256"))
    with pytest.raises(CheckpointError, match=r"has no weights_sha256 .*allow_missing_digest=True\)\.save\(folder\)"):
        MLPRanker.load(folder)
    MLPRanker.load(folder, allow_missing_digest=True).save(folder)
    import torch

    got = MLPRanker.load(folder)._net.state_dict()
    assert all(torch.equal(got[k], v) for k, v in ranker._net.state_dict().items())


@pytest.mark.parametrize("where, value, message", [
    ((), ("surprise", 1), r"config\.json has unknown key\(s\) 'surprise'; the known ones are config, dim"),
    (("config",), ("dropout", "x"), r"config\.dropout is 'x'; it must be a number in \[0, 1\)"),
    (("config",), ("seed", 2**70), r"config\.seed is 1180591620717411303424; it must be an integer in"),
    ((), ("pop_scale", math.nan), r"pop_scale is nan; it must be a number in \(0, 1e\+06\]"),
    ((), ("dim", True), r"dim is True; it must be an integer"),
    ((), ("trained_on", {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}), r"trained_on is nested too deep"),
    (("item_popularity",), ("counts", [-1.0] * 40), r"item_popularity counts entry 0 is -1\.0"),
])
def test_schema_errors_name_the_key_the_value_and_what_is_allowed(tmp_path, where, value, message):
    folder = _edit(_saved(tmp_path), lambda m: _get(m, where).__setitem__(*value))
    with pytest.raises(CheckpointError, match=message):
        MLPRanker.load(folder)


def test_the_schema_bounds_every_field_of_ranker_config():
    """A field added to RankerConfig without a bound here would pass unchecked (or fail with a KeyError)."""
    from dataclasses import fields

    from coldrec.ranking._checkpoint_schema import _config_schema

    assert set(_config_schema()) == {f.name for f in fields(RankerConfig)}


def test_shipped_demo_rankers_carry_the_digest_of_their_weights():
    import hashlib

    folders = sorted(Path(__file__).resolve().parents[1].glob("data/*/ranker"))
    assert folders
    for folder in folders:
        meta = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        assert meta["weights_sha256"] == hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
        assert MLPRanker.load(folder).is_fitted


def test_cli_with_a_broken_ranker_prints_one_line_and_fails(tmp_path, tiny_frame, capsys):
    from coldrec.cli import main

    items = tmp_path / "items.csv"
    tiny_frame.to_csv(items, index=False)
    good = _saved(tmp_path)
    cases = {
        "huge": (lambda f: _edit(f, lambda m: m["config"].__setitem__("hidden", [50_000, 50_000])), "hidden"),
        "nested": (lambda f: (f / "config.json").write_text("[" * 100_000 + "]" * 100_000), "nested too deep"),
        "flipped": (lambda f: (f / "model.safetensors").write_bytes(
            (f / "model.safetensors").read_bytes()[:-1] + b"\x01"), "SHA-256"),
        "types": (lambda f: _edit(f, lambda m: m.__setitem__("history", 5)), "history is 5"),
    }
    for name, (tamper, expected) in cases.items():
        folder = tmp_path / name
        shutil.copytree(good, folder)
        tamper(folder)
        code = main(["recommend", "--catalog", str(items), "--describe", "wireless headphones", "--model", "hash",
                     "--ranker", str(folder)])
        err = capsys.readouterr().err.strip()
        assert code == 1 and len(err.splitlines()) == 1, (name, err)
        assert err.startswith("coldrec recommend: error:") and expected in err and "Traceback" not in err, err


if __name__ == "__main__":  # pragma: no cover - prints the figures SECURITY.md quotes
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        c = run_cases(Path(d))
    print(f"{c['cases']} cases, {c['refused']} refused, {c['identical']} identical, {len(c['failures'])} failures")
    from collections import Counter

    print(Counter(b.split(":")[0] for _, b in c["failures"]).most_common())
    for a, b in c["failures"]:
        print(f"  {a} -> {b}")
