"""Shipped demo embeddings: used when they match the catalog and the model, ignored (never wrong) otherwise."""

from __future__ import annotations

import numpy as np

from coldrec.demo._shipped import load_shipped, shipped_path, write_shipped


def test_shipped_vectors_round_trip_and_reject_a_changed_catalog(tmp_path, tiny_catalog, tiny_frame):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(tiny_catalog), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    path = write_shipped(tmp_path, "model@abc", tiny_catalog, vectors)
    assert path == shipped_path(tmp_path, "model@abc") and path.parent.name == "embeddings"
    back = load_shipped(tmp_path, "model@abc", tiny_catalog)
    assert back.dtype == np.float32 and np.allclose(back, vectors, atol=2e-3)
    assert np.allclose(np.linalg.norm(back, axis=1), 1.0, atol=1e-5)
    assert load_shipped(tmp_path, "other-model", tiny_catalog) is None  # another model: a miss
    # the same model in bf16 reads the fp32 file; an int8 copy (cosine ~0.995) does not
    assert np.allclose(load_shipped(tmp_path, "model@abc+bf16", tiny_catalog), back)
    assert load_shipped(tmp_path, "model@abc+onnx-int8", tiny_catalog) is None

    from coldrec.catalog import ColumnMap, load_catalog

    edited = tiny_frame.copy()
    edited.loc[0, "description"] = "Changed text."
    changed = load_catalog(edited, ColumnMap(id="item_id", text=["title", "description"], title="title",
                                             template="{title}. {description}", category="category"), name="tiny")
    assert load_shipped(tmp_path, "model@abc", changed) is None  # edited catalog: a miss, never stale vectors


def test_every_shipped_file_matches_its_demo_catalog():
    from coldrec.demo import DOMAINS, load_demo

    for domain in DOMAINS:
        demo = load_demo(domain)
        texts = demo.users["description"].fillna("").astype(str).tolist()
        for f in sorted((demo.folder / "embeddings").glob("*.npz")):
            with np.load(f, allow_pickle=False) as z:
                model = str(z["model"])
            back = (load_shipped(demo.folder, model, texts=texts, part="users") if f.name.endswith(".users.npz")
                    else load_shipped(demo.folder, model, demo.catalog))
            assert back is not None, f"{f} is stale: run python scripts/build_demo_embeddings.py"
