"""AppTest for issue 17 point 4 on New user: the popularity blend and MMR act on the final list, and the page says
next to the sliders how many categories the list shows and how many items the two controls changed. Hash encoder,
as in tests/test_app.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_helpers import hash_app_env, ok

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fast_app(monkeypatch, tmp_path_factory):
    return hash_app_env(monkeypatch, tmp_path_factory)



def submit(at: AppTest) -> AppTest:
    [button] = [b for b in at.get("form_submit_button") if b.label == "Recommend"]
    return ok(button.click().run())


def effect(at: AppTest) -> tuple[int, int]:
    """(categories shown, items changed by the controls) from the caption next to the sliders."""
    [line] = [c.value for c in at.caption if "categories in the top" in c.value or "category in the top" in c.value]
    cats = int(re.match(r"(\d+) categor", line).group(1))
    changed = re.search(r"changed (\d+) of", line)
    return cats, int(changed.group(1)) if changed else 0


def table(at: AppTest):
    [df] = [d.value for d in at.dataframe if {"item_id", "final_rank", "reason"} <= set(map(str, d.value.columns))]
    return df


def test_mmr_max_and_pop_blend_change_the_shown_list_and_say_so():
    at = ok(AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run())
    at = ok(at.switch_page("app_pages/2_New_user.py").run())
    at.text_area(key="nu_desc").input("quiet noise-cancelling headphones for the train")
    at = submit(at)
    cats_off, changed_off = effect(at)
    plain = table(at)
    assert changed_off == 0 and cats_off == plain["category"].nunique()

    at.slider(key="nu_mmr").set_value(1.0)
    at = submit(at)
    cats_max, changed_mmr = effect(at)
    varied = table(at)
    assert cats_max > cats_off and cats_max == varied["category"].nunique()
    assert changed_mmr == len(set(varied["item_id"]) - set(plain["item_id"])) > 0

    at.slider(key="nu_mmr").set_value(0.0)
    at.slider(key="nu_n").set_value(200)
    at.slider(key="nu_k").set_value(20)
    at = submit(at)
    top20 = table(at)
    at.slider(key="nu_pop").set_value(0.5)
    at = submit(at)
    _, changed_pop = effect(at)
    blended = table(at)
    assert changed_pop == len(set(blended["item_id"]) - set(top20["item_id"])) > 0
