"""The Ranker page's "Fine-tune the encoder" tab (issue 13 point 2): it refuses what it cannot fine-tune with the
fix, a running job shows its curve and a working Stop button, and a finished one becomes the session's encoder."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_helpers import hash_app_env, ok

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "app_pages/6_Ranker.py"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path_factory):
    return hash_app_env(monkeypatch, tmp_path_factory)


def _ranker_page(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["pm_method"] = "pca"
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return ok(at.switch_page(PAGE).run())


def _job(tmp_path, events=()):
    from ui.finetune import FineTuneJob

    return FineTuneJob(out=tmp_path / "ecommerce-20261204-120000", epochs=2, events=list(events))


def test_fine_tune_on_the_hash_encoder_says_to_pick_minilm():
    at = _ranker_page()
    [button] = [b for b in at.get("form_submit_button") if b.label == "Fine-tune"]
    at = button.click().run()
    assert not at.exception
    text = " ".join(e.value for e in at.error).replace("\\", "")
    assert "Fine-tuning trains a BERT sentence encoder; this session uses 'hash'" in text and "Pick MiniLM" in text


def test_a_running_job_shows_its_epochs_and_stop_sets_the_flag(tmp_path):
    events = [{"phase": "epoch", "epoch": 1, "loss": 2.1, "val_recall": 0.14},
              {"phase": "train", "epoch": 2, "step": 3, "steps": 16, "loss": 2.0, "eta_s": 40.0}]
    job = _job(tmp_path, events)
    at = _ranker_page(ft_job=job)
    assert any("Epoch 2, step 3 of 16" in p.text and "about 40 s left" in p.text for p in at.get("progress")), [
        p.text for p in at.get("progress")]
    assert [p.value for p in at.get("progress")] == [int(100 * (16 + 3) / 32)]  # step 19 of 2 epochs × 16
    [stop] = [b for b in at.button if b.key == "ft_stop"]
    at = ok(stop.click().run())
    assert job.stop.is_set()
    assert any("stopping after this step" in p.text for p in at.get("progress"))
    [form_button] = [b for b in at.get("form_submit_button") if b.label == "Fine-tune"]
    assert form_button.disabled  # one run at a time


@pytest.mark.slow
def test_a_finished_fine_tune_becomes_this_sessions_encoder(tmp_path):
    from coldrec.encoders import FineTuneConfig
    from coldrec.ranking import fine_tune
    from ui.encoder_choice import ENCODER_KEY

    pairs = [(f"I like {w}", f"the {c} kit") for w, c in [("sunrise", "blorptak"), ("thunder", "quazzle"),
                                                             ("velvet", "vindrop"), ("meadow", "zemtrix")]] * 3
    job = _job(tmp_path)
    res = fine_tune(None, pairs, out=job.out, config=FineTuneConfig(epochs=1, batch_size=4, max_seq_length=16,
                                                                    validation_fraction=0.25))
    job.future.set_result(res)
    at = _ranker_page(ft_job=job)
    text = " ".join(s.value for s in at.success).replace("\\", "")
    assert f"{res.val_recall_before:.3f} → **{res.val_recall_after:.3f}**" in text and job.out.name in text
    [use] = [b for b in at.button if b.key == "ft_use"]
    at = ok(use.click().run())
    assert at.session_state[ENCODER_KEY] == str(job.out)
    at = ok(at.switch_page("app_pages/2_New_user.py").run())
    at.text_area(key="nu_desc").input("quiet wireless headphones for the train")
    [rec] = [b for b in at.get("form_submit_button") if b.label == "Recommend"]
    at = ok(rec.click().run())
    captions = " ".join(str(c.value) for c in at.caption).replace("\\", "")  # Markdown escapes dropped
    assert f"encoder: local folder {job.out.name}" in captions  # the page names the encoder in use
    assert len(frames := [d.value for d in at.dataframe if "reason" in getattr(d.value, "columns", [])]) == 1
    assert len(frames[0]) == 10
