"""The app's cached resources, one per process (``st.cache_resource``) or per content (``st.cache_data``).

* ``encoder()`` — the sentence encoder; ``COLDREC_ENCODER=hash`` selects the deterministic
  :class:`coldrec.encoders.HashEncoder` (tests, machines without the model).
* ``embed_catalog()`` / ``embed_texts_cached()`` — embeddings keyed by content hash + model name, with a progress
  bar that shows items/s and time left while the model runs.
* ``read_upload()`` — an uploaded catalog file parsed once per upload.
* ``demo_bundle()`` — a demo domain and its recommender; ``demo_items()`` — a demo catalog's items frame.
* ``projection()`` — a fitted map, one per content + model + settings.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from coldrec.errors import ColdrecError
from coldrec.recommend._views import fmt_seconds, texts_key


# ------------------------------------------------------------------------------------------------ encoder
ENCODER_KEY = "coldrec_encoder"  # the session's own choice (Home page), over COLDREC_ENCODER
ENCODER_LABELS = {"minilm": "MiniLM (English)", "multilingual": "multilingual-e5-small (中文 + ~100 languages)"}


def encoder_kind() -> str:
    """``"hash"`` (deterministic fake, no model), ``"minilm"`` (default), ``"multilingual"`` (multilingual-e5-small,
    Chinese and other languages) or a local sentence-transformers folder: the session's choice on Home, else
    ``COLDREC_ENCODER``."""
    chosen = st.session_state.get(ENCODER_KEY)
    if chosen in ("minilm", "multilingual"):
        return chosen
    kind = os.environ.get("COLDREC_ENCODER", "minilm").strip()
    return kind.lower() if kind.lower() in ("hash", "minilm", "multilingual", "") else kind


def encoder_label() -> str:
    """The encoder setting as shown on pages: ``hash``, ``minilm`` or ``local folder <name>`` (never its path)."""
    from pathlib import Path

    kind = encoder_kind()
    return kind or "minilm" if kind in ("hash", "minilm", "") else f"local folder {Path(kind).name}"


@st.cache_resource(show_spinner="Loading the sentence encoder…")
def _load_encoder(kind: str) -> Any:
    if kind == "hash":
        from coldrec.encoders import HashEncoder

        return HashEncoder()
    from coldrec.encoders import load_encoder

    # Any other value is a model folder; load_encoder raises one clear error when it is not a usable model.
    return load_encoder(None if kind in ("minilm", "") else kind)


def encoder() -> Any:
    """The process-wide encoder (MiniLM unless ``COLDREC_ENCODER=hash``)."""
    return _load_encoder(encoder_kind())


@st.cache_data(ttl=30, show_spinner=False)
def _cache_status(folder: str) -> dict[str, Any]:
    """The size of the embedding cache in ``folder``; it walks the folder, so at most every 30 s, not every rerun."""
    from coldrec.encoders import EmbeddingCache

    return EmbeddingCache(folder).status()


@st.cache_data(ttl=30, show_spinner=False)
def cache_warnings(folder: str) -> list[str]:
    """What is wrong with the embedding cache in ``folder`` (``[]`` when it works); probed at most every 30 s."""
    from coldrec.encoders import EmbeddingCache

    return EmbeddingCache(folder).check()


def system_status() -> pd.DataFrame:
    """Model name, device, window and embedding-cache status for the Home page."""
    rows: list[tuple[str, str]] = []
    try:
        enc = encoder()
        from coldrec.encoders import encoder_languages

        rows += [("Model", str(enc.name)), ("Languages", encoder_languages(enc)),
                 ("Device", str(getattr(enc, "device_label", enc.device))),
                 ("Vector size", str(enc.dim)), ("Window", f"{enc.max_seq_length} tokens")]
    except ColdrecError as exc:
        rows.append(("Model", f"not loaded: {exc}"))
    try:
        from coldrec.encoders import default_cache_dir

        stat = _cache_status(str(default_cache_dir()))
        # The folder itself is a server-side path: never shown to the people using the app.
        on = "on (on the server's disk; COLDREC_CACHE moves it)" if stat.get("enabled", True) else \
            "off: the cache folder is not writable, embeddings are recomputed"
        rows += [("Embedding cache", on),
                 ("Cached vectors", f"≈{int(stat.get('approx_vectors', 0)):,} for {stat.get('models', 0)} model(s), "
                                    f"{int(stat.get('bytes', 0)) / 1e6:.1f} MB"
                                    + ("" if stat.get("enabled", True) else " (disabled)"))]
    except (ImportError, OSError) as exc:
        rows.append(("Embedding cache", f"unavailable ({type(exc).__name__})"))
    rows.append(("Encoder setting", f"COLDREC_ENCODER={encoder_label()}"))
    return pd.DataFrame(rows, columns=["what", "value"])


def precision_note() -> str:
    """Which encode path runs and why (``coldrec.encoders.describe_precision``), for a Home page caption."""
    from coldrec.encoders import describe_precision

    try:
        return describe_precision(encoder())
    except ColdrecError as exc:
        return f"no encoder loaded ({exc})"


# --------------------------------------------------------------------------------------------- embeddings
def progress_reporter(bar: Any, noun: str = "items") -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that drives ``bar`` with items/s and time left (≤ 10 updates/s)."""
    start = time.perf_counter()
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - last[0] < 0.1:
            return
        last[0] = now
        rate = done / max(now - start, 1e-6)
        left = (total - done) / rate if rate > 0 else float("nan")
        frac = done / total if total else 1.0
        bar.progress(min(max(frac, 0.0), 1.0),
                     text=f"{done:,}/{total:,} {noun} · {rate:,.0f} {noun}/s · {fmt_seconds(left)} left")

    return report


@st.cache_data(show_spinner=False, max_entries=32)
def _embed(content_hash: str, model: str, _texts: tuple[str, ...], _encoder: Any) -> dict[str, Any]:
    """Embeddings for one catalog content + model (the progress bar is drawn in here, so it replays cleanly)."""
    from coldrec.encoders import EmbeddingCache, embed_texts

    bar = st.progress(0.0, text=f"Embedding {len(_texts):,} items with {model}…")
    res = embed_texts(_encoder, list(_texts), cache=EmbeddingCache(), progress=progress_reporter(bar))
    bar.empty()
    return {"vectors": res.vectors, "encoded": res.encoded, "cached": res.cached,
            "truncated": res.truncated, "seconds": res.seconds, "warnings": list(res.warnings)}


def embed_catalog(catalog: Any) -> dict[str, Any]:
    """``{"vectors", "encoded", "cached", "truncated", "seconds"}`` for ``catalog`` with the session encoder."""
    enc = encoder()
    return _embed(catalog.content_hash(), enc.name, tuple(catalog.texts), enc)


def embed_texts_cached(texts: Sequence[str]) -> np.ndarray:
    """Vectors of arbitrary texts (e.g. the log users' descriptions), cached by content + model."""
    enc = encoder()
    return _embed(texts_key(texts), enc.name, tuple(str(t) for t in texts), enc)["vectors"]


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def read_upload(file_id: str, filename: str, _data: bytes) -> tuple[pd.DataFrame, str, str]:
    """:func:`coldrec.catalog.read_table` of an uploaded file, once per upload (not on every rerun), in a worker
    process with a memory cap: a file that blows up the parser fails alone, never the server."""
    from coldrec.catalog import run_isolated

    return run_isolated("read_table", _data, filename=filename, label=filename)


def load_upload(data: bytes, columns: Any, filename: str) -> Any:
    """:func:`coldrec.catalog.load_catalog` of an uploaded file in the same capped worker process."""
    from coldrec.catalog import run_isolated

    return run_isolated("load_catalog", data, columns, filename=filename, label=filename)


# ------------------------------------------------------------------------------------------- demo domains
@st.cache_resource(show_spinner="Preparing the demo domain (embedding its catalog the first time)…", max_entries=10)
def _demo_bundle(domain: str, model: str, _encoder: Any) -> tuple[Any, Any]:
    from coldrec.demo import demo_recommender, load_demo

    return load_demo(domain), demo_recommender(domain, encoder=_encoder)


def demo_bundle(domain: str) -> tuple[Any, Any]:
    """``(DemoDomain, Recommender)`` for a demo domain with the session encoder."""
    enc = encoder()
    return _demo_bundle(domain, enc.name, enc)


@st.cache_data(show_spinner=False, max_entries=10)
def demo_items(domain: str) -> pd.DataFrame:
    """The demo catalog's items frame (for previews; no embedding needed)."""
    from coldrec.demo import load_demo

    return load_demo(domain).catalog.items


# ---------------------------------------------------------------------------------------------------- maps
@st.cache_resource(show_spinner="Fitting the map (the very first UMAP fit compiles its kernels: up to a minute)…",
                   max_entries=16)
def _projection(content_key: str, model: str, dims: int, method: str, _vectors: np.ndarray) -> Any:
    from coldrec.encoders import default_cache_dir
    from coldrec.analysis import Projection, ProjectionConfig

    cfg = ProjectionConfig(method=method, n_components=dims, cache_dir=default_cache_dir() / "projections")
    return Projection(cfg).fit(np.asarray(_vectors))


def projection(content_key: str, vectors: np.ndarray, dims: int = 2, method: str = "umap") -> Any:
    """A fitted :class:`coldrec.analysis._projection.Projection`, one per content + model + settings, kept in memory.

    ``content_key`` names what ``vectors`` hold (a workspace key such as ``demo:news`` or ``upload:<hash>``), so
    a rerun does not hash the vectors again."""
    return _projection(content_key, encoder().name, int(dims), method, vectors)
