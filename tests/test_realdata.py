"""Loaders reproduce the counts written in each ../shared/datasets SOURCE.md (skipped when the data is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from coldrec.errors import ColdrecError
from coldrec.evaluation import (
    dataset_dir,
    default_data_dir,
    demographic_text,
    load_citeulike,
    load_movielens100k,
    load_scientific,
)

pytestmark = pytest.mark.realdata


def test_default_dir_is_relative_to_the_repo_not_cwd(monkeypatch, tmp_path):
    monkeypatch.delenv("COLDREC_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    d = default_data_dir()
    assert d.parts[-2:] == ("shared", "datasets") and d.is_absolute()
    monkeypatch.setenv("COLDREC_DATA", str(tmp_path))
    assert default_data_dir() == tmp_path


def test_missing_dataset_error_names_paths(tmp_path):
    with pytest.raises(ColdrecError, match="Scientific.text"):
        dataset_dir("scientific", tmp_path)
    with pytest.raises(ColdrecError, match="valid choices"):
        dataset_dir("netflix", tmp_path)


def test_scientific_counts(shared_datasets):
    ds = load_scientific(shared_datasets)
    assert (ds.n_users, ds.n_items, ds.n_users_indexed) == (8442, 4385, 8442)
    assert ds.n_interactions == 59384
    assert all(t for t in ds.texts)
    assert max(len(h) for h in ds.test_history) == 50
    # validation target = last item of the test history; validation history = test history minus it
    for u in (0, 1, 100, 8441):
        assert ds.test_history[u][-1] == ds.valid_target[u] or len(ds.test_history[u]) == 50
    assert np.mean([len(t.split()) for t in ds.texts]) == pytest.approx(25.9, abs=0.05)


def test_citeulike_counts(shared_datasets):
    ds = load_citeulike(shared_datasets)
    assert (ds.n_users, ds.n_items, ds.n_pairs) == (5551, 16980, 204986)
    assert (len(ds.train), len(ds.vali), len(ds.test)) == (164210, 13037, 27739)
    tr, va, te = (set(ds.split_items(s).tolist()) for s in ("train", "vali", "test"))
    assert (len(tr), len(va), len(te)) == (13584, 1018, 2378)
    assert not (tr & va) and not (tr & te) and not (va & te)  # strict item cold start
    assert len(np.unique(ds.test[:, 0])) == 5131 and len(np.unique(ds.vali[:, 0])) == 4217
    assert np.mean([len(t.split()) for t in ds.titles]) == pytest.approx(8.6, abs=0.05)


def test_movielens_counts(shared_datasets):
    ds = load_movielens100k(shared_datasets)
    assert ds.ratings.shape == (100000, 4) and (ds.n_users, ds.n_items) == (943, 1682)
    assert np.bincount(ds.ratings[:, 2])[1:].tolist() == [6110, 11370, 27145, 34174, 21201]
    assert (ds.genders.count("M"), ds.genders.count("F")) == (670, 273)
    assert len(ds.occupation_names) == 21
    assert np.mean([len(t.split()) for t in ds.item_texts]) == pytest.approx(5.6, abs=0.1)
    assert ds.user_texts()[0] == "a 24-year-old male technician"


def test_demographic_text_articles():
    assert demographic_text(18, "F", "student") == "an 18-year-old female student"
    assert demographic_text(53, "F", "other") == "a 53-year-old woman"
    assert demographic_text(30, "M", "none") == "a 30-year-old man with no occupation"
