"""Which sentence encoder this session uses, in words: the Home picker / one-click switch choice over
``COLDREC_ENCODER``, its label and how it was chosen. Session state only, no caches (those are in ui/resources.py)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

ENCODER_KEY = "coldrec_encoder"  # the session's own choice (Home page), over COLDREC_ENCODER
ENCODER_HOW_KEY = "coldrec_encoder_how"  # how that choice was made, in words (Home shows it)
ENCODER_LABELS = {"minilm": "MiniLM (English)", "multilingual": "multilingual-e5-small (中文 + ~100 languages)"}
HOW_PICKER = "picked on Home for this session"
HOW_SWITCH = "the one-click multilingual switch, for this session"


def choose_encoder(kind: str, how: str) -> None:
    """Make ``kind`` (``"minilm"``, ``"multilingual"`` or a model folder fine-tuned in this session) the session's
    encoder; ``how`` says who chose it."""
    st.session_state[ENCODER_KEY] = kind
    st.session_state[ENCODER_HOW_KEY] = how


def encoder_kind() -> str:
    """``"hash"`` (deterministic fake, no model), ``"minilm"`` (default), ``"multilingual"`` (multilingual-e5-small,
    Chinese and other languages) or a local sentence-transformers folder: the session's choice on Home, else
    ``COLDREC_ENCODER``."""
    chosen = st.session_state.get(ENCODER_KEY)
    if chosen in ("minilm", "multilingual") or (isinstance(chosen, str) and Path(chosen).is_dir()):
        return chosen  # a folder: fine-tuned on the Ranker page for this session (ui/finetune.py)
    kind = os.environ.get("COLDREC_ENCODER", "minilm").strip()
    return kind.lower() if kind.lower() in ("hash", "minilm", "multilingual", "") else kind


def encoder_label() -> str:
    """The active encoder as shown on pages: ``hash (no model)``, ``MiniLM (English)``, ``multilingual-e5-small
    (…)`` or ``local folder <name>`` (never its path).

    Example (outside a session, with ``COLDREC_ENCODER`` unset): ``'MiniLM (English)'``."""
    kind = encoder_kind() or "minilm"
    if kind == "hash":
        return "hash (no model)"
    return ENCODER_LABELS.get(kind) or f"local folder {Path(kind).name}"


def encoder_source() -> str:
    """How the active encoder was chosen, in words: the session's choice (Home picker or the one-click switch),
    the server's ``COLDREC_ENCODER`` (a folder is named, never its path), or the default."""
    if st.session_state.get(ENCODER_KEY) in ("minilm", "multilingual") or encoder_kind() == st.session_state.get(
            ENCODER_KEY):
        return str(st.session_state.get(ENCODER_HOW_KEY) or "chosen for this session")
    env = os.environ.get("COLDREC_ENCODER", "").strip()
    if not env:
        return "the default (COLDREC_ENCODER is not set)"
    shown = env.lower() if env.lower() in ("hash", "minilm", "multilingual") else f"<folder {Path(env).name}>"
    return f"set by the server (COLDREC_ENCODER={shown})"
