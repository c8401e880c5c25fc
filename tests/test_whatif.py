"""Tests of coldrec.analysis._whatif: list comparison (overlap, Jaccard, RBO), word swaps, fairness probe."""

from __future__ import annotations

import pandas as pd
import pytest

from coldrec.errors import ColdrecError
from coldrec.analysis import (
    ADDED_CLAUSE_SUFFIX,
    compare_lists,
    fairness_probe,
    has_axis_words,
    probe_summary,
    rank_biased_overlap,
    swap_words,
)


# ---------------------------------------------------------------- RBO / compare_lists
def test_rbo_identical_is_one():
    a = [f"i{i}" for i in range(10)]
    assert rank_biased_overlap(a, a) == pytest.approx(1.0)
    assert rank_biased_overlap(["x"], ["x"]) == pytest.approx(1.0)
    assert rank_biased_overlap([], []) == 1.0


def test_rbo_disjoint_is_zero():
    assert rank_biased_overlap(["a", "b", "c"], ["x", "y", "z"]) == 0.0
    assert rank_biased_overlap(["a"], []) == 0.0


def test_rbo_hand_computed():
    # depth 1: X=1, A=1; depth 2: X=1, A=1/2; depth 3: X=3, A=1
    # RBO_ext = (1-p)/p * (1*.9 + .5*.81 + 1*.729) + 1 * .9**3 = 2.034/9 + .729
    assert rank_biased_overlap(["x", "y", "z"], ["x", "z", "y"]) == pytest.approx(2.034 / 9 + 0.729)
    # swap at the top: X=0, 2, 2 -> (0 + .81 + 2/3*.729)/9 + 2/3*.729
    assert rank_biased_overlap(["x", "y", "z"], ["y", "x", "w"]) == pytest.approx(
        (0.81 + 2 / 3 * 0.729) / 9 + 2 / 3 * 0.729
    )


def test_rbo_uneven_lengths_webber_eq32():
    # S=[a], L=[a, b]: s=1, l=2, X_1=1, X_2=1, X_s=1
    # (1-p)/p * (1*.9 + .5*.81 + 1*(2-1)/(1*2)*.81) + ((1-1)/2 + 1/1) * .81
    p = 0.9
    expected = (1 - p) / p * (0.9 + 0.5 * 0.81 + 0.5 * 0.81) + 0.81
    assert rank_biased_overlap(["a"], ["a", "b"]) == pytest.approx(expected)
    assert rank_biased_overlap(["a", "b"], ["a"]) == pytest.approx(expected)  # symmetric
    # a prefix of an identical list is "the same ranking, truncated": RBO_ext = 1
    assert rank_biased_overlap(["a", "b"], ["a", "b", "c", "d"]) < 1.0 + 1e-12


def test_rbo_top_weighted():
    a = list("abcdefghij")
    top_swap = ["b", "a"] + a[2:]
    bottom_swap = a[:8] + ["j", "i"]
    assert rank_biased_overlap(a, top_swap) < rank_biased_overlap(a, bottom_swap) < 1.0


def test_rbo_bad_p():
    with pytest.raises(ColdrecError, match="p=1.5"):
        rank_biased_overlap(["a"], ["a"], p=1.5)


def test_compare_lists_overlap_jaccard_entered_left():
    a = ["a", "b", "c", "d", "e"]
    b = ["b", "a", "x", "c", "y"]
    r = compare_lists(a, b, k=5)
    assert r["k"] == 5
    assert r["overlap"] == pytest.approx(3 / 5)
    assert r["jaccard"] == pytest.approx(3 / 7)
    assert r["entered"] == ["x", "y"]
    assert r["left"] == ["d", "e"]
    assert 0.0 < r["rbo"] < 1.0
    rd = r["rank_diff"]
    assert list(rd.columns) == ["item_id", "rank_a", "rank_b", "delta"]
    assert list(rd["item_id"]) == ["b", "a", "x", "c", "y", "d", "e"]
    row = rd.set_index("item_id")
    assert row.loc["b", "rank_a"] == 2 and row.loc["b", "rank_b"] == 1 and row.loc["b", "delta"] == 1
    assert row.loc["c", "delta"] == -1
    assert pd.isna(row.loc["x", "rank_a"]) and pd.isna(row.loc["x", "delta"])
    assert pd.isna(row.loc["d", "rank_b"])


def test_compare_lists_cuts_at_k_and_dedupes():
    r = compare_lists(["a", "a", "b", "c", "z"], ["a", "b", "c", "q"], k=3)
    assert r["overlap"] == 1.0 and r["jaccard"] == 1.0 and r["rbo"] == pytest.approx(1.0)
    assert r["entered"] == [] and r["left"] == []


def test_compare_lists_identical_short_and_empty():
    assert compare_lists(["a", "b"], ["a", "b"], k=10)["overlap"] == 1.0
    assert compare_lists([], [], k=10)["overlap"] == 1.0
    r = compare_lists(["a"], [], k=10)
    assert r["overlap"] == 0.0 and r["rbo"] == 0.0 and r["left"] == ["a"]


@pytest.mark.parametrize("k", [0, -1, 2.5])
def test_compare_lists_bad_k(k):
    with pytest.raises(ColdrecError, match="k="):
        compare_lists(["a"], ["a"], k=k)


# ---------------------------------------------------------------- swap_words
def _variants(text, axis):
    return dict(swap_words(text, axis))


def test_swap_gender_basic_and_original_first():
    out = swap_words("He is a father and his wife loves him.", "gender")
    assert out[0] == ("original", "He is a father and his wife loves him.")
    v = dict(out)
    # every gendered word flips (counterfactual augmentation); labelled by the gender of the first one
    assert v["female"] == "She is a mother and her husband loves her."
    assert v["neutral"] == "They are a parent and their partner loves them."
    assert "male" not in v  # the original is the male version


def test_swap_gender_case_preservation():
    v = _variants("SHE met a Woman. Mrs Smith's husband, Sir.", "gender")
    assert v["male"] == "HE met a Man. Mr Smith's wife, Madam."
    assert v["neutral"] == "THEY met a Person. Mx Smith's partner, Friend."


def test_swap_gender_word_boundaries():
    text = "Then the theme of the show: she loves menus, shelves and mankind. She is here."
    v = _variants(text, "gender")
    assert v["male"] == "Then the theme of the show: he loves menus, shelves and mankind. He is here."
    assert v["neutral"] == "Then the theme of the show: they love menus, shelves and mankind. They are here."


def test_swap_gender_her_object_vs_determiner():
    v = _variants("I gave her her book.", "gender")
    assert v["male"] == "I gave him his book."
    assert v["neutral"] == "I gave them their book."


def test_swap_neutral_clause_fallback_is_flagged():
    out = swap_words("I like jazz and long walks.", "gender")
    assert out[0] == ("original", "I like jazz and long walks.")
    labels = [lab for lab, _ in out[1:]]
    assert labels and all(lab.endswith(ADDED_CLAUSE_SUFFIX) for lab in labels)
    v = dict(out)
    assert v["female" + ADDED_CLAUSE_SUFFIX] == "I like jazz and long walks. I am a woman."
    assert v["male" + ADDED_CLAUSE_SUFFIX] == "I like jazz and long walks. I am a man."
    assert not has_axis_words("I like jazz and long walks.", "gender")
    assert has_axis_words("my husband", "gender")


def test_swap_age():
    v = _variants("I'm a 24-year-old student in my early twenties, young and curious.", "age")
    assert v["old"] == "I'm a 70-year-old retiree in my early seventies, elderly and curious."
    assert v["middle"] == "I'm a 45-year-old professional in my early forties, middle-aged and curious."
    assert v["young"] == "I'm a 22-year-old student in my early twenties, young and curious."
    v = _variants("Retired teacher. I am retired, an elderly man aged 67.", "age")
    assert v["young"] == "Student teacher. I am a student, a young man aged 22."
    assert "aged 70" in v["old"]
    assert "(added clause)" in swap_words("I like maps.", "age")[1][0]
    # the adjective describes the kids / parents, not the user
    assert not has_axis_words("Dad of two young kids, caring for my elderly parents.", "age")


def test_clause_gets_a_full_stop():
    assert swap_words("budget-minded", "gender")[1][1] == "budget-minded. I am a woman."


def test_swap_locale():
    v = _variants("I live in the UK, moved from Manchester; a British fan. Tell us about it.", "locale")
    assert v["Canada"] == "I live in Canada, moved from Toronto; a Canadian fan. Tell us about it."
    assert v["Nigeria"] == "I live in Nigeria, moved from Lagos; a Nigerian fan. Tell us about it."
    assert v["US"] == "I live in the US, moved from New York; an American fan. Tell us about it."
    assert "UK" not in v  # the UK variant only normalises Manchester -> London
    v = _variants("Based in Toronto, Canada.", "locale")
    assert v["India"] == "Based in Mumbai, India."
    assert "Canada" not in v


def test_swap_unknown_axis():
    with pytest.raises(ColdrecError, match=r"axis='race'.*'gender', 'age', 'locale'"):
        swap_words("text", "race")


# ---------------------------------------------------------------- fairness_probe: tests/test_fairness.py


# ---------------------------------------------------------------- the public names of coldrec.analysis
def test_analysis_names_are_public_in_one_place():
    import coldrec
    import coldrec.analysis as analysis
    import coldrec.analysis._fairness as fairness
    import coldrec.analysis._wordswap as wordswap

    assert analysis.swap_words is wordswap.swap_words and analysis.AXES == ("gender", "age", "locale")
    assert analysis.fairness_probe is fairness.fairness_probe and coldrec.fairness_probe is fairness.fairness_probe
    assert set(analysis.__all__) >= {"compare_lists", "rank_biased_overlap", "swap_words", "fairness_probe"}
    with pytest.raises(AttributeError):
        analysis.no_such_name  # noqa: B018


def test_compare_variants_names_entered_and_left_items_by_title():
    from coldrec.analysis import compare_variants

    lists = {"A": pd.DataFrame({"item_id": ["x", "y", "z"], "title": ["X", "Y", "Z"]}),
             "B": pd.DataFrame({"item_id": ["y", "x", "w"], "title": ["Y", "X", "W"]})}
    df = compare_variants(lists, k=3)
    row = df.iloc[0]
    assert row["variant"] == "A → B" and row["entered"] == ["W"] and row["left"] == ["Z"]
    assert row["overlap@k"] == pytest.approx(2 / 3)
