"""The house: subpackages per stage, no import cycles, no UI in the library, no private-name shims."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "coldrec"
STAGES = ("encoders", "catalog", "retrieval", "ranking", "recommend", "analysis", "metrics", "evaluation", "demo", "scale",
          "cli")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _resolve(mod: str, level: int, name: str | None, here: str, is_pkg: bool) -> str:
    if level:
        base = here.split(".") if is_pkg else here.split(".")[:-1]
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([mod] if mod else []))
    return mod


def import_graph() -> dict[str, set[str]]:
    """Every import (module level or inside functions) between coldrec modules, as module → modules."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node.module or "", node.level, None, name, is_pkg)
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    targets.append(sub if sub in mods else base)
            for t in targets:
                # "import coldrec.x.y" also runs coldrec.x: the deepest known module is the edge
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name and t != "coldrec":
                    graph[name].add(t)
                # importing coldrec.a.b first runs coldrec.a's __init__ (unless we are inside coldrec.a already)
                parent = t.rpartition(".")[0]
                while parent not in ("", "coldrec"):
                    if parent != name and not name.startswith(parent + "."):
                        graph[name].add(parent)
                    parent = parent.rpartition(".")[0]
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_inside_coldrec():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_one_folder_per_stage_with_a_public_init():
    for stage in STAGES:
        init = PKG / stage / "__init__.py"
        assert init.is_file(), f"coldrec/{stage}/ is missing"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"coldrec/{stage}/__init__.py has no docstring"
    flat = sorted(p.name for p in PKG.glob("*.py") if p.name not in ("__init__.py", "errors.py"))
    assert not flat, f"modules outside a stage folder: {flat}"


def test_subpackage_modules_are_private():
    public = [str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
              if p.parent != PKG and p.name not in ("__init__.py", "__main__.py") and not p.name.startswith("_")]
    assert not public, f"modules inside a stage folder should be private (_x.py): {public}"


def test_no_module_getattr_shims_and_no_streamlit():
    for path in PKG.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        if path != PKG / "__init__.py":
            defs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
            assert "__getattr__" not in defs, f"{path.relative_to(ROOT)} keeps a __getattr__ shim"
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] == "streamlit" for n in names), f"{path} imports streamlit"
        assert "TEAM.md" not in text, f"{path.relative_to(ROOT)} points at a docs/TEAM.md that does not exist"


def test_every_error_class_subclasses_coldrec_error():
    import importlib

    from coldrec.errors import ColdrecError

    for name in _modules():
        if name.endswith("__main__"):
            continue
        mod = importlib.import_module(name)
        for attr, value in vars(mod).items():
            if (isinstance(value, type) and issubclass(value, Exception) and value.__module__ == name):
                assert issubclass(value, ColdrecError), f"{name}.{attr} does not subclass ColdrecError"


def test_every_public_name_resolves_and_import_is_light():
    import coldrec

    for name in coldrec.__all__:
        assert getattr(coldrec, name) is not None
    code = ("import sys, coldrec; heavy = [m for m in ('torch', 'sentence_transformers', 'umap', 'sklearn', "
            "'faiss', 'streamlit') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "", f"import coldrec pulled in {out.stdout.strip()}"


@pytest.mark.parametrize("stage", STAGES)
def test_stage_imports_alone(stage):
    """Each stage imports in a fresh interpreter (an import error fails here instead of skipping elsewhere)."""
    subprocess.run([sys.executable, "-c", f"import coldrec.{stage}"], cwd=ROOT, check=True)


def test_bare_pytest_collects_the_suite_from_the_repo_root():
    """`pytest` (the console script) sees the same tests as `python -m pytest` (README's command)."""
    import shutil

    exe = shutil.which("pytest") or pytest.skip("no pytest console script on PATH")
    bare = subprocess.run([exe, "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True,
                          text=True)
    mod = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bare.returncode == 0, bare.stdout[-2000:] + bare.stderr[-2000:]
    import re

    def collected(out: str) -> int:
        found = re.findall(r"^(\d+) tests? collected", out, flags=re.M)
        assert found, out[-1000:]
        return int(found[-1])

    assert collected(bare.stdout) == collected(mod.stdout) > 0
