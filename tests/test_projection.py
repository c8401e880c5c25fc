"""Tests of coldrec.analysis._projection (UMAP maps with PCA fallback, subsampling, disk cache).

The first UMAP fit in a process compiles numba kernels (~15-20 s on the shared box); the data here are tiny
(< 4,096 points, exact-neighbour path) so everything after that is quick. The NN-descent path is in a
slow test.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from coldrec.errors import ColdrecError
from coldrec.analysis import Projection, ProjectionConfig, ProjectionError, project_items

FAST = dict(n_epochs=60, seed=7)


def _clusters(n_per: int = 40, n_clusters: int = 4, dim: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_clusters, dim)) * 3
    x = np.concatenate([c + rng.normal(size=(n_per, dim)) for c in centers]).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = np.repeat(np.arange(n_clusters), n_per)
    return x, labels


@pytest.fixture(scope="module")
def data():
    return _clusters()


@pytest.fixture(scope="module")
def fitted(data):
    x, _ = data
    return Projection(ProjectionConfig(**FAST)).fit(x, keys=[f"i{i}" for i in range(len(x))])


def _nearest_label(coords, labels, point):
    return labels[int(np.argmin(np.linalg.norm(coords - point, axis=1)))]


def test_coords_shape_and_dtype(fitted, data):
    x, _ = data
    assert fitted.coords.shape == (len(x), 2)
    assert fitted.coords.dtype == np.float32
    assert np.isfinite(fitted.coords).all()
    assert fitted.method_used == "umap"
    assert fitted.notice == ""
    assert fitted.keys[:2] == ["i0", "i1"]
    assert fitted.transform_method == "umap"


def test_deterministic_with_seed(fitted, data):
    x, _ = data
    again = Projection(ProjectionConfig(**FAST)).fit(x)
    np.testing.assert_array_equal(again.coords, fitted.coords)


def test_transform_training_point_lands_near_its_position(fitted, data):
    x, labels = data
    coords = fitted.coords
    span = float(np.linalg.norm(coords.max(0) - coords.min(0)))
    placed = fitted.transform(x[:8])
    assert placed.shape == (8, 2) and placed.dtype == np.float32
    for i in range(8):
        assert np.linalg.norm(placed[i] - coords[i]) < 0.15 * span
        assert _nearest_label(coords, labels, placed[i]) == labels[i]
    one = fitted.transform(x[0])  # a single (d,) vector, e.g. a typed profile
    assert one.shape == (1, 2)


def test_knn_transform_is_exact_for_training_points(fitted, data):
    x, _ = data
    np.testing.assert_allclose(fitted.transform(x[:5], method="knn"), fitted.coords[:5], atol=1e-5)


def test_subsample_notice_above_max_points(data):
    x, labels = data
    proj = Projection(ProjectionConfig(max_points=60, place_rest="knn", **FAST)).fit(x)
    assert proj.coords.shape == (len(x), 2)
    assert np.isfinite(proj.coords).all()
    assert len(proj.fit_indices) == 60
    assert "Fitted on 60 of 160 items" in proj.notice
    assert "nearest neighbours" in proj.notice
    rest = np.setdiff1d(np.arange(len(x)), proj.fit_indices)
    fit_coords, fit_labels = proj.coords[proj.fit_indices], labels[proj.fit_indices]
    agree = np.mean([_nearest_label(fit_coords, fit_labels, proj.coords[i]) == labels[i] for i in rest])
    assert agree > 0.9


def test_subsample_rest_by_umap_transform(data):
    x, _ = data
    proj = Projection(ProjectionConfig(max_points=100, **FAST)).fit(x)  # place_rest="transform" by default
    assert "Fitted on 100 of 160 items; the rest placed by UMAP transform." in proj.notice
    assert np.isfinite(proj.coords).all()
    assert len(np.unique(proj.coords, axis=0)) == len(x)


@pytest.mark.parametrize("n", [1, 2, 8])
def test_pca_fallback_for_tiny_n(n, data):
    x, _ = data
    proj = Projection(ProjectionConfig(**FAST)).fit(x[:n])
    assert proj.method_used == "pca"
    assert "PCA" in proj.notice and f"Only {n}" in proj.notice
    assert proj.coords.shape == (n, 2)
    assert np.isfinite(proj.coords).all()
    np.testing.assert_allclose(proj.transform(x[:n]), proj.coords, atol=1e-5)
    assert proj.transform_method == "pca"


def test_small_catalog_just_above_pca_limit(data):
    x, _ = data
    proj = Projection(ProjectionConfig(n_neighbors=30, **FAST)).fit(x[::10])  # 16 items
    assert proj.coords.shape == (16, 2) and np.isfinite(proj.coords).all()
    assert proj.method_used in ("umap", "pca")  # pca only if UMAP itself failed, with a notice saying so
    if proj.method_used == "umap":
        assert "neighbourhood reduced to 15" in proj.notice


def test_to_frame(fitted):
    df = fitted.to_frame()
    assert list(df.columns) == ["key", "x", "y"] and len(df) == len(fitted.coords)


def test_pca_method_and_3d(data):
    x, _ = data
    proj = Projection(ProjectionConfig(method="pca", n_components=3)).fit(x)
    assert proj.coords.shape == (len(x), 3)
    assert "PCA" in proj.notice
    # first axis carries the most variance
    var = proj.coords.var(axis=0)
    assert var[0] >= var[1] >= var[2]


def test_umap_3d(data):
    x, _ = data
    proj = Projection(ProjectionConfig(n_components=3, **FAST)).fit(x[:60])
    assert proj.coords.shape == (60, 3)
    assert proj.transform(x[0]).shape == (1, 3)


def test_cache_hit_returns_identical_coords(tmp_path, data):
    x, _ = data
    cfg = ProjectionConfig(cache_dir=tmp_path, **FAST)
    first = Projection(cfg).fit(x)
    assert not first.from_cache
    files = list(tmp_path.glob("projection-*.npz"))
    assert len(files) == 1
    second = project_items(x, ProjectionConfig(**FAST), cache_dir=tmp_path)
    assert second.from_cache
    assert "cache" in second.notice
    np.testing.assert_array_equal(second.coords, first.coords)
    # no UMAP model after a cache hit: new points are placed by nearest neighbours on the cached map
    assert second.transform_method == "knn"
    np.testing.assert_allclose(second.transform(x[3]), first.coords[3:4], atol=1e-5)
    with pytest.raises(ProjectionError, match="refit_model"):
        second.transform(x[3], method="umap")
    second.refit_model()
    assert second.transform_method == "umap"
    np.testing.assert_array_equal(second.coords, first.coords)
    # another seed is another map
    third = Projection(ProjectionConfig(cache_dir=tmp_path, n_epochs=60, seed=8)).fit(x)
    assert not third.from_cache


def test_cache_file_is_plain_npz(tmp_path, data):
    x, _ = data
    Projection(ProjectionConfig(method="pca", cache_dir=tmp_path)).fit(x)
    (path,) = tmp_path.glob("projection-*.npz")
    with np.load(path, allow_pickle=False) as z:  # loads without pickle
        assert z["coords"].shape == (len(x), 2)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"method": "tsne"}, "'umap', 'pca'"),
        ({"n_components": 4}, "choose 2 or 3"),
        ({"place_rest": "drop"}, "'knn', 'transform'"),
        ({"min_dist": 2.0}, "min_dist=2.0"),
    ],
)
def test_bad_config_names_value_and_choices(kwargs, fragment):
    with pytest.raises(ColdrecError, match=fragment):
        Projection(ProjectionConfig(**kwargs))


def test_bad_inputs(data):
    x, _ = data
    with pytest.raises(ProjectionError, match="before fit"):
        Projection().transform(x[:1])
    with pytest.raises(ProjectionError, match="2-D"):
        Projection().fit(np.zeros((0, 4)))
    bad = x[:20].copy()
    bad[3, 0] = np.nan
    with pytest.raises(ProjectionError, match="row 3"):
        Projection().fit(bad)
    with pytest.raises(ProjectionError, match="keys has 2"):
        Projection().fit(x[:20], keys=["a", "b"])
    proj = Projection(ProjectionConfig(method="pca")).fit(x)
    with pytest.raises(ProjectionError, match="dimension 5"):
        proj.transform(np.ones(5))
    assert isinstance(ProjectionError("x"), ValueError)


def test_import_is_light():
    code = "import coldrec.analysis._projection, sys; assert 'umap' not in sys.modules and 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_nndescent_path_large_data():
    """Above 4,096 points umap-learn uses NN-descent (another numba compile, ~1 min on a fresh process)."""
    x, labels = _clusters(n_per=1100, n_clusters=4, dim=24)
    proj = Projection(ProjectionConfig(n_epochs=30, seed=1)).fit(x)
    assert proj.coords.shape == (len(x), 2)
    placed = proj.transform(x[:3])
    assert [_nearest_label(proj.coords, labels, p) for p in placed] == list(labels[:3])


def test_split_modules_keep_the_old_names():
    import coldrec.analysis._projection as projection
    from coldrec.analysis import ProjectionConfig as Config
    from coldrec.analysis import warmup

    assert projection.ProjectionConfig is Config and projection.warmup is warmup
    assert {"ProjectionConfig", "Projection", "ProjectionError", "project_items", "warmup"} <= set(projection.__all__)


def test_disk_cache_round_trip_without_pickle(tmp_path):
    from coldrec.analysis._projection_store import load_map

    x = np.random.default_rng(3).normal(size=(12, 8)).astype(np.float32)
    first = Projection(ProjectionConfig(method="pca", cache_dir=tmp_path)).fit(x)
    [path] = list(tmp_path.glob("projection-*.npz"))
    assert load_map(path, (12, 2)) is not None and load_map(path, (13, 2)) is None
    again = Projection(ProjectionConfig(method="pca", cache_dir=tmp_path)).fit(x)
    assert again.from_cache and np.allclose(again.coords, first.coords)
    assert np.allclose(again.transform(x[:2]), first.transform(x[:2]), atol=1e-5)
