"""The map's extras: grouped legends, cluster labels, hover text and search (coldrec.analysis._map_labels)."""

from __future__ import annotations

import numpy as np
import pytest

from coldrec.analysis import OTHER_LABEL, cluster_labels, hover_texts, legend_groups, search_rows
from coldrec.errors import ColdrecError


def test_long_tail_legend_keeps_the_top_categories_and_says_so():
    cats = ["Books"] * 30 + ["Toys"] * 20 + [f"rare {i}" for i in range(500)]
    groups = legend_groups(cats, top=2)
    assert set(groups.labels) == {"Books", "Toys", OTHER_LABEL}
    assert "2 most common" in groups.notice and "500 others" in groups.notice


def test_multi_genre_cells_count_as_their_first_genre():
    cats = [f"Dramas, Genre {i}" for i in range(40)] + [f"Comedies, Genre {i}" for i in range(40)]
    groups = legend_groups(cats, top=12)
    assert set(groups.labels) == {"Dramas", "Comedies"}
    assert "first value" in groups.notice


def test_short_legends_are_left_alone_and_bad_top_is_named():
    assert legend_groups(["a", "b", ""]).labels == ["a", "b", ""]
    assert legend_groups(["a", "b"]).notice == ""
    with pytest.raises(ColdrecError, match="top=0"):
        legend_groups(["a"], top=0)


def test_cluster_labels_name_each_region_by_its_words():
    rng = np.random.default_rng(0)
    left = rng.normal(size=(60, 2)) + [-10, 0]
    right = rng.normal(size=(60, 2)) + [10, 0]
    texts = [f"garden hose watering plants {i}" for i in range(60)] + \
            [f"headphones wireless battery music {i}" for i in range(60)]
    labels = cluster_labels(np.vstack([left, right]), texts, n_clusters=2)
    assert len(labels) == 2
    by_side = {("left" if c.x < 0 else "right"): c.terms for c in labels}
    assert set(by_side["left"]) <= {"garden", "hose", "watering", "plants"}
    assert set(by_side["right"]) <= {"headphones", "wireless", "battery", "music"}
    assert all(c.size == 60 for c in labels)


def test_cluster_labels_skip_tiny_maps():
    assert cluster_labels(np.zeros((5, 2)), ["a b c"] * 5) == []


def test_hover_shows_the_title_then_the_wrapped_start_of_the_text():
    [h] = hover_texts(["Quiet lamp"], ["Quiet lamp. " + "soft warm light for reading " * 20], chars=200, width=40)
    lines = h.split("\n")
    assert lines[0] == "Quiet lamp" and not lines[1].startswith("Quiet lamp")
    assert all(len(x) <= 41 for x in lines[1:]) and h.endswith("…")
    assert len(h) < 260


def test_search_matches_every_word_in_title_or_text():
    rows = search_rows("wireless HEADphones", ["Wireless headphones", "Headphones", "Lamp"],
                       ["", "wired", "wireless headphones stand"])
    assert rows.tolist() == [0, 2]
    assert search_rows("  ", ["a"]).tolist() == []
