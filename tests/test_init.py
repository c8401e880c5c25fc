"""The package surface: every public name resolves lazily, and `import coldrec` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import coldrec


@pytest.mark.parametrize("name", [n for n in coldrec.__all__ if n != "__version__"])
def test_every_public_name_resolves_to_its_module(name):
    value = getattr(coldrec, name)
    home = coldrec._WHERE[name]
    assert value is getattr(__import__(f"coldrec.{home}", fromlist=[name]), name)


def test_unknown_name_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        coldrec.Nope  # noqa: B018


def test_import_coldrec_loads_no_heavy_library():
    code = ("import sys, coldrec; heavy = {'torch', 'sentence_transformers', 'transformers', 'streamlit', 'umap', "
            "'faiss', 'sklearn', 'pandas'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out
