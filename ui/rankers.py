"""The Ranker page's glue: train on the session's log with a live loss curve; choose, save and load rankers.

Checkpoint files are handled by :mod:`coldrec.ranking._checkpoints`; this module keeps the session's choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

from coldrec.ranking import load_from_bytes, load_named, save_named, saved_names
from coldrec.errors import ColdrecError
from coldrec.recommend._views import loss_frame
from ui.persist import ranker_folder
from ui.resources import embed_texts_cached, encoder
from ui.state import Workspace, set_ranker

TRAINED_KEY = "coldrec_trained"   # workspace key -> coldrec.ranking._training.TrainResult
CHOICE_KEY = "rk_choice"          # the Ranker page's radio
LOADED_KEY = "coldrec_loaded_rankers"  # workspace key -> MLPRanker loaded from uploaded files
HIDDEN_CHOICES = {"64 → 32": (64, 32), "128 → 64": (128, 64), "256 → 128": (256, 128), "512 → 256": (512, 256)}


def train(ws: Workspace, config: Any, log_file: Any | None, chart: Any, bar: Any) -> Any:
    """:func:`coldrec.ranking._training.train_ranker` on the domain's log (or an uploaded one) with a live loss curve."""
    from coldrec.ranking import load_interactions
    from coldrec.ranking import train_ranker

    if log_file is not None:
        log, texts = load_interactions(log_file, known_items=list(ws.catalog.ids)), None
    elif ws.demo is not None:
        log, texts = ws.demo.interactions, ws.demo.user_texts
    else:
        raise ColdrecError("This catalog has no interaction log: upload one (user_id, item_id, optional rating "
                           "and timestamp) in the form, or pick a demo domain on Home.")
    history: list[dict[str, Any]] = []

    def on_epoch(row: dict[str, Any]) -> None:
        history.append(dict(row))
        chart.line_chart(loss_frame(history), x_label="epoch", y_label="training loss", height=260)
        val = row.get("val")
        val_txt = f" · validation NDCG@10 {val:.3f}" if isinstance(val, float) and np.isfinite(val) else ""
        loss = row.get("loss")
        loss_txt = f" · loss {loss:.4f}" if loss is not None else " (untrained recall order)"
        bar.progress(min(1.0, row["epoch"] / config.epochs), text=f"epoch {row['epoch']}/{config.epochs}{loss_txt}"
                     f"{val_txt} (stops early when validation stalls)")

    res = train_ranker(ws.catalog, ws.vectors, log, encode=embed_texts_cached, user_texts=texts, config=config,
                       progress=on_epoch, encoder_name=encoder().name)
    bar.progress(1.0, text="Measuring the served lists on the held-out users…")
    res = replace(res, metrics=compare_on_holdout(ws, res.ranker, log, texts))
    bar.empty()
    return res


def compare_on_holdout(ws: Workspace, ranker: Any, log: Any, texts: dict[str, str] | None) -> Any:
    """:func:`coldrec.evaluation.holdout_comparison`: the one table the Ranker and Evaluation pages both show."""
    from coldrec.evaluation import holdout_comparison

    return holdout_comparison(ws.catalog, ws.vectors, encoder(), log, ranker=ranker, user_texts=texts,
                              encode=embed_texts_cached, log_evidence=shipped_hybrid(ws) if texts else None)


def shipped_hybrid(ws: Workspace) -> Any:
    """The demo's text + log hybrid settings (``data/<domain>/hybrid.json``, chosen with this encoder's model), so
    both pages show its row; None for uploads and domains (or encoders) it does not ship for."""
    from coldrec.demo._datasets import demo_hybrid_config

    return demo_hybrid_config(ws.demo, encoder()) if ws.demo is not None else None


def ranker_options(ws: Workspace) -> dict[str, str]:
    """Rankers this workspace can use: default, cosine only, trained here, loaded."""
    opts = {"default": "Default (the demo checkpoint when it fits the encoder, else the demo's text + log hybrid "
                       "when it ships one, else cosine)",
            "cosine": "Cosine only (no ranker)"}
    trained = st.session_state.get(TRAINED_KEY, {}).get(ws.key)
    if trained:
        opts["trained"] = f"Trained in this session ({trained.ranker.config.method_name})"
    if ws.key in st.session_state.get(LOADED_KEY, {}):
        opts["loaded"] = "Loaded from files"
    return opts


def current_ranker_index(ws: Workspace, options: dict[str, str]) -> int:
    label = ws.ranker_label
    key = ("cosine" if label == "cosine only (chosen)" else "trained" if label.startswith("trained")
           else "loaded" if label.startswith("loaded") else "default")
    return list(options).index(key) if key in options else 0


def choose_ranker(ws: Workspace, choice: str) -> None:
    """Apply a :func:`ranker_options` key."""
    if choice == "default":
        set_ranker(ws, "default", None)
    elif choice == "cosine":
        set_ranker(ws, "cosine only (chosen)", None)
    elif choice == "trained":
        r = st.session_state[TRAINED_KEY][ws.key].ranker
        set_ranker(ws, f"trained here ({r.config.method_name})", r)
    elif choice == "loaded":
        set_ranker(ws, "loaded from files", st.session_state[LOADED_KEY][ws.key])
    _show_choice()


def save_ranker(ws: Workspace, name: str) -> str:
    """Save the workspace's current ranker as ``name`` in this session's folder; returns the folder."""
    return save_named(ws.recommender.ranker, name, ranker_folder())


def load_ranker(ws: Workspace, files: Sequence[Any]) -> None:
    """Load ``model.safetensors`` + ``config.json`` uploads, check them against the catalog, and use them."""
    _use_loaded(ws, load_from_bytes({f.name: f.getvalue() for f in files}), "loaded from files")


def saved_rankers() -> list[str]:
    """Checkpoints saved in this session (other sessions' rankers are never listed)."""
    return saved_names(ranker_folder())


def load_saved_ranker(ws: Workspace, name: str) -> None:
    _use_loaded(ws, load_named(name, ranker_folder()), f"loaded from files ({name})")


def _use_loaded(ws: Workspace, ranker: Any, label: str) -> None:
    from coldrec.recommend import Recommender

    Recommender(ws.catalog, ws.vectors, encoder(), ranker=ranker)  # raises when the vectors do not fit
    st.session_state.setdefault(LOADED_KEY, {})[ws.key] = ranker
    set_ranker(ws, label, ranker)
    _show_choice()


def _show_choice() -> None:
    """The Ranker page's radio must show the ranker now in use: drop its old value so the next run draws it
    at :func:`current_ranker_index`."""
    st.session_state.pop(CHOICE_KEY, None)
