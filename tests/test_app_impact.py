"""AppTest behaviour of the Impact page and the New user feedback loop (hash encoder, seconds)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

pytest.importorskip("streamlit")
from test_app import _fast_app, goto, ok, start, submit  # noqa: E402,F401  (the shared app fixture and helpers)

DESCRIPTION = "wireless noise-cancelling headphones for my train commute"


def _warmup_result() -> dict:
    pts = [0, 1, 2, 3, 5, 10, 20]
    line = lambda a, b: {m: list(np.round(np.linspace(a, b, len(pts)), 4)) for m in  # noqa: E731
                         ("recall@10", "ndcg@10", "recall@20", "ndcg@20")}
    curves = {"popularity": line(.10, .13), "ease": line(.05, .30), "text-lm": line(.20, .22),
              "text-tfidf": line(.10, .15), "hybrid-lm": line(.21, .31), "hybrid-tfidf": line(.12, .30)}
    return {"protocol": "warmup", "result_name": "warmup-toy", "dataset": "toy", "model": "hash", "seed": 0,
            "commit": "abc", "machine": "test", "seconds": 1.0, "points": pts,
            "n_users": {str(s): 100 - s for s in pts}, "metrics": ["recall@10", "ndcg@10", "recall@20", "ndcg@20"],
            "curves": curves, "crossover": {"ease": 10, "itemknn": None},
            "lm_gain": {"vs tfidf": {m: [round(a - b, 4) for a, b in zip(curves["hybrid-lm"][m],
                                                                         curves["hybrid-tfidf"][m])]
                                     for m in curves["ease"]}},
            "methods": {}}


def test_impact_page_draws_the_saved_curves(_fast_app):
    (_fast_app / "results").mkdir()
    (_fast_app / "results" / "warmup-toy.json").write_text(json.dumps(_warmup_result()))
    at = goto(start(), "app_pages/8_Impact.py")
    assert at.selectbox(key="im_dataset").value == "toy"
    assert any("catches up with text alone at **10**" in m.value for m in at.markdown)
    [fig] = [c for c in at.get("plotly_chart")]
    spec = json.loads(fig.proto.spec)
    names = [t["name"] for t in spec["data"]]
    assert "Hybrid: language model + CF" in names and names[-1] == "Hybrid: language model + CF"
    assert spec["data"][-1]["fill"] == "tonexty"  # the LM's gain band against the TF-IDF hybrid drawn before it
    assert any("CF catches up" in a.get("text", "") for a in spec["layout"]["annotations"])
    at.selectbox(key="im_metric").set_value("Recall").run()
    at.selectbox(key="im_k").set_value(20).run()
    ok(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["yaxis"]["title"]["text"] == "Recall@20"
    y = spec["data"][0]["y"]
    y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]) if isinstance(y, dict) else np.array(y)
    assert np.allclose(y, _warmup_result()["curves"]["popularity"]["recall@20"])


def test_impact_page_draws_the_item_side_curve(_fast_app):
    res = _warmup_result()
    pts = [0, 1, 2, 5, 10]
    res.update(protocol="warmup-items", result_name="warmup-items-toy", points=pts,
               n_items={str(s): 900 - 10 * s for s in pts}, n_target_users={str(s): 50 for s in pts})
    res.pop("n_users")
    res["curves"] = {m: {k: v[:5] for k, v in c.items()} for m, c in res["curves"].items()}
    res["curves"]["userknn"] = res["curves"].pop("ease")
    res["curves"]["ease"] = res["curves"]["userknn"]
    res["crossover"] = {"ease": 5, "userknn": 5}
    (_fast_app / "results").mkdir()
    (_fast_app / "results" / "warmup-toy.json").write_text(json.dumps(_warmup_result()))
    (_fast_app / "results" / "warmup-items-toy.json").write_text(json.dumps(res))
    at = goto(start(), "app_pages/8_Impact.py")
    box = at.selectbox(key="im_dataset")
    assert "items-toy" in box.options or "toy — new items" in box.options
    box.set_value("items-toy").run()
    ok(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["title"]["text"] == "interactions already known for the item"
    assert [str(t) for t in spec["layout"]["xaxis"]["ticktext"]] == ["0", "1", "2", "5", "10"]
    assert any("catches up with text alone at **5**" in m.value for m in at.markdown)
    assert any("Test items per point: 0 known: 900" in c.value for c in at.caption)


def test_impact_page_without_results_says_how_to_make_them():
    at = goto(start(), "app_pages/8_Impact.py")
    assert any("--protocol warmup" in i.value for i in at.info)


def test_impact_live_study_runs_on_the_demo_domain():
    at = goto(start(), "app_pages/8_Impact.py")
    at.button(key="im_run").click().run()
    ok(at)
    live = at.session_state["im_live"]
    assert live["points"][0] == 0 and "hybrid-lm" in live["curves"]
    assert at.get("plotly_chart")


def test_impact_simulated_sessions_plot_three_strategies():
    at = goto(start(), "app_pages/8_Impact.py")
    at.button(key="im_sim").click().run()
    ok(at)
    sim = at.session_state["im_sessions"]
    assert len(sim["users"]) == 30 and all(len(v) == 5 for v in sim["mean_hits"].values())
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert len(spec["data"]) == 3


def test_feedback_loop_reranks_at_once_and_keeps_shown_items_out():
    at = goto(start(), "app_pages/2_New_user.py")
    at.text_area(key="nu_desc").input(DESCRIPTION)
    at.slider(key="nu_k").set_value(5)
    submit(at, "Recommend")
    at.toggle(key="nu_fb_on").set_value(True).run()
    ok(at)
    _, session, first = at.session_state["_nu_feedback"]
    first_ids = first["item_id"].tolist()
    assert len(first_ids) == 5 and len(session.rounds) == 1
    at.button(key=f"nu_fb_like_{first_ids[0]}").click().run()
    ok(at)
    _, session, second = at.session_state["_nu_feedback"]
    assert session.liked == [first_ids[0]] and len(session.rounds) == 2
    assert not set(second["item_id"]) & set(first_ids)  # shown items stay out of the way
    from coldrec.demo import demo_recommender
    from coldrec.encoders import load_encoder
    from coldrec.recommend import feedback_recommend
    from coldrec.retrieval import UserInput

    rec = demo_recommender("ecommerce", load_encoder("hash"))
    want = feedback_recommend(rec, UserInput(description=DESCRIPTION), [first_ids[0]], (), 5, shown=first_ids)
    assert second["item_id"].tolist() == want["item_id"].tolist()
    at.button(key=f"nu_fb_no_{second['item_id'][0]}").click().run()
    ok(at)
    _, session, _ = at.session_state["_nu_feedback"]
    assert session.disliked == [second["item_id"][0]] and len(session.rounds) == 3
    assert any(d.value.columns.tolist()[:2] == ["round", "liked"] for d in at.dataframe)
