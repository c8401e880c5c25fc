"""The Ranker page's encoder fine-tuning (issue 13 point 2): a background run with a live curve and a stop button.

:func:`coldrec.ranking.fine_tune` runs in a daemon thread on the workspace's catalog and log; its progress events
are appended to the session's :class:`FineTuneJob`, which a fragment redraws every two seconds. The folder is
written next to this session's saved rankers (never the install folder, never listed to another session); "use it"
makes it this session's encoder, so every page re-embeds through the cache under the new model's own key.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from coldrec.errors import ColdrecError
from ui.escape import md

JOB_KEY = "ft_job"
STOPPED = {"epochs": "all epochs run", "patience": "stopped early: validation stalled", "asked": "stopped by you"}


@dataclass
class FineTuneJob:
    """One fine-tuning run of this session: its events, stop flag, result future and output folder (``epochs``:
    how many the progress bar spans)."""

    out: Path
    epochs: int = 1
    events: list[dict] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    future: Future = field(default_factory=Future)
    started: float = field(default_factory=time.perf_counter)

    @property
    def running(self) -> bool:
        return not self.future.done()


def start_finetune(ws: Any, config: Any) -> FineTuneJob:
    """Start fine-tuning the session's encoder on the workspace's log in a background thread."""
    from coldrec.ranking import fine_tune
    from ui.encoder_choice import encoder_kind
    from ui.persist import ranker_folder

    kind = encoder_kind()
    if kind in ("hash", "multilingual"):
        raise ColdrecError(f"Fine-tuning trains a BERT sentence encoder; this session uses {kind!r}. Pick MiniLM "
                           "on Home (or set COLDREC_ENCODER to a local BERT folder) and start again.")
    if ws.demo is None:
        raise ColdrecError("Fine-tuning learns from an interaction log: pick a demo domain on Home, or run "
                           "`coldrec fine-tune --catalog … --interactions …` on your own files.")
    name = f"{ws.key.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder = Path(ranker_folder()).parent / "encoders" / name
    job = FineTuneJob(out=folder, epochs=config.epochs)
    base = None if kind in ("minilm", "") else kind

    def work() -> None:
        try:
            job.future.set_result(fine_tune(base, catalog=ws.catalog, interactions=ws.demo.interactions,
                                            user_texts=ws.demo.user_texts, out=folder, config=config,
                                            progress=job.events.append, should_stop=job.stop.is_set))
        except BaseException as exc:  # shown on the page; the thread must not die silently
            job.future.set_exception(exc)

    threading.Thread(target=work, name="coldrec-finetune", daemon=True).start()
    st.session_state[JOB_KEY] = job
    return job


def epochs_frame(events: list[dict]) -> pd.DataFrame:
    """Validation recall@10 (and training loss) per finished epoch; epoch 0 is the base model."""
    rows = [{"epoch": e["epoch"], "validation recall@10": e.get("val_recall"), "training loss": e.get("loss")}
            for e in events if e.get("phase") == "epoch"]
    return pd.DataFrame(rows, columns=["epoch", "validation recall@10", "training loss"])


def fraction_done(job: FineTuneJob) -> float:
    """How far the current phase is, 0..1: texts through the frozen layers, then steps over all epochs."""
    last = job.events[-1] if job.events else {}
    if last.get("phase") == "encode":
        return min(1.0, last.get("done", 0) / max(1, last.get("total", 1)))
    if last.get("phase") == "train":
        return min(1.0, ((last["epoch"] - 1) * last["steps"] + last["step"]) / max(1, job.epochs * last["steps"]))
    return 0.0


def status_line(job: FineTuneJob) -> str:
    """Where the run is, in words: encoding the frozen layers, or epoch / step with the time so far."""
    last = job.events[-1] if job.events else {}
    spent = time.perf_counter() - job.started
    if last.get("phase") == "encode":
        return (f"Running the frozen layers once per text: {last.get('done', 0):,} of {last.get('total', 0):,} "
                f"({spent:.0f} s)")
    if last.get("phase") == "train":
        left = last.get("eta_s")
        tail = f", about {left:.0f} s left" if isinstance(left, (int, float)) else ""
        return f"Epoch {last['epoch']}, step {last['step']} of {last['steps']} ({spent:.0f} s{tail})"
    return f"Starting ({spent:.0f} s)…"


def finetune_tab(ws: Any) -> None:
    """The tab: what fine-tuning does, its form (one run at a time), then :func:`finetune_panel`."""
    from coldrec.encoders import FineTuneConfig
    from ui.feedback import guard

    st.caption("Contrastive fine-tuning of the sentence encoder on this domain's log: (user description → liked "
               "item, item → next item) pairs, in-batch negatives, only the top layers trained, the best epoch on "
               "held-out users' recall@10 kept. A few minutes on a 2-core CPU; the page stays usable meanwhile.")
    job = st.session_state.get(JOB_KEY)
    with st.form("ft_form"):
        a, b, c = st.columns(3)
        layers = a.slider("Top layers trained", 1, 3, 2, key="ft_layers")
        epochs = b.slider("Max epochs (early stopping)", 1, 5, 2, key="ft_epochs")
        pairs = c.select_slider("Training pairs (sampled)", [500, 1000, 2000, 4000], value=2000, key="ft_pairs")
        start = st.form_submit_button("Fine-tune", type="primary", disabled=bool(job and job.running))
    if start:
        with guard("Pick a demo domain and the MiniLM encoder on Home, then try again.", stop=False):
            start_finetune(ws, FineTuneConfig(layers=layers, epochs=epochs, max_pairs=pairs))
    finetune_panel()


@st.fragment(run_every=2.0)
def finetune_panel() -> None:
    """The run's curve and state; a Stop button while it runs, the result and how to use it when done."""
    job: FineTuneJob | None = st.session_state.get(JOB_KEY)
    if job is None:
        return
    done = job.future.done() and job.future.exception() is None
    # the finished run's history has epoch 0 (the base model) too; a running one shows the epochs so far
    frame = epochs_frame([{"phase": "epoch", **h} for h in job.future.result().history] if done else job.events)
    if len(frame):
        st.line_chart(frame, x="epoch", y="validation recall@10", height=220, x_label="epoch",
                      y_label="validation recall@10")
    if job.running:
        stopping = " · stopping after this step…" if job.stop.is_set() else ""
        st.progress(fraction_done(job), text=status_line(job) + stopping)
        # a callback runs before the rerun, so the bar above already says "stopping"
        st.button("Stop (keeps the best epoch so far)", key="ft_stop", disabled=job.stop.is_set(),
                  on_click=job.stop.set)
        return
    exc = job.future.exception()
    if exc is not None:
        st.error(md(str(exc)) if isinstance(exc, ColdrecError)
                 else f"Fine-tuning failed: {md(type(exc).__name__)}: {md(str(exc)[:300])}")
        return
    res = job.future.result()
    st.success(f"Validation recall@10 {res.val_recall_before:.3f} → **{res.val_recall_after:.3f}** (epoch "
               f"{res.best_epoch} kept; {STOPPED.get(res.stopped, res.stopped)}); saved as **{md(job.out.name)}**.")
    use_finetuned(job)


def use_finetuned(job: FineTuneJob) -> None:
    """A button that makes the fine-tuned folder this session's encoder, and the CLI line for it."""
    from ui.encoder_choice import ENCODER_KEY, choose_encoder

    if st.session_state.get(ENCODER_KEY) == str(job.out):
        st.caption("This session encodes with it now (every page re-embeds through the cache under its own key).")
    elif st.button("Use it for this session", key="ft_use", type="primary"):
        choose_encoder(str(job.out), "fine-tuned on the Ranker page, for this session")
        st.rerun(scope="app")
    st.caption(f"Elsewhere: `coldrec recommend --model <folder> …` or `COLDREC_ENCODER=<folder> streamlit run "
               f"app.py`, with the folder {md(job.out.name)} from this session's data folder.")
