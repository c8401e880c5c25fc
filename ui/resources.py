"""The app's cached resources, one per process (``st.cache_resource``) or per content (``st.cache_data``).

* ``encoder()`` — the sentence encoder; ``COLDREC_ENCODER=hash`` selects the deterministic
  :class:`coldrec.encoders.HashEncoder` (tests, machines without the model).
* Start-up: importing this module (the server's first script run) starts one daemon thread that loads the
  encoder and the default demo domain (``start_background_loads``); ``wait_until_loaded()`` shows what is still
  loading instead of a blank page. The demo catalogs' vectors are shipped in ``data/<domain>/embeddings/``.
* ``embed_catalog()`` / ``embed_texts_cached()`` — embeddings keyed by content hash + model name, with a progress
  bar that shows items/s and time left while the model runs.
* ``read_upload()`` — an uploaded catalog file parsed once per upload.
* ``demo_bundle()`` — a demo domain and its recommender (built in the background); ``demo_items()`` — a demo catalog's items frame.
* ``projection()`` — a fitted map, one per content + model + settings.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from coldrec.errors import ColdrecError
from coldrec.recommend._views import fmt_seconds, texts_key
from ui.loading import _LOADS, _LOADS_LOCK, STARTUP_KINDS, _submit, background, pending_loads  # noqa: F401


# ------------------------------------------------------------------------------------------------ encoder
from ui.encoder_choice import (  # noqa: E402,F401  (re-exported: pages and tests import them from here)
    ENCODER_HOW_KEY, ENCODER_KEY, ENCODER_LABELS, HOW_PICKER, HOW_SWITCH, choose_encoder, encoder_kind,
    encoder_label, encoder_source,
)


def _build_encoder(kind: str) -> Any:
    if kind == "hash":
        from coldrec.encoders import HashEncoder

        return HashEncoder()
    from coldrec.encoders import load_encoder

    # Any other value is a model folder; load_encoder raises one clear error when it is not a usable model.
    return load_encoder(None if kind in ("minilm", "") else kind)


def encoder() -> Any:
    """The process-wide encoder (MiniLM unless ``COLDREC_ENCODER=hash``), loaded in the background (see
    :func:`start_background_loads`); waits for it when it is still loading."""
    kind = encoder_kind()
    return background(("encoder", kind), "Loading the sentence encoder", _build_encoder, kind)


# ---------------------------------------------------------------------------------------- background loads
# The threads themselves live in ui/loading.py; here: what is loaded at server start, and the waiting notice.
def start_background_loads(domain: str = "ecommerce") -> None:
    """Start loading the encoder and ``domain``'s recommender (once per process; later calls are no-ops)."""
    kind = encoder_kind()
    _submit(("encoder", kind), "Loading the sentence encoder", _build_encoder, kind)
    if not os.environ.get("COLDREC_INDEX", "").strip():  # a store-backed catalog needs no demo (ui/store.py)
        _submit(("demo", domain, kind), _demo_label(domain), _build_demo, domain, kind)


def _demo_label(domain: str) -> str:
    return f"Preparing the {'E-commerce' if domain == 'ecommerce' else domain.capitalize()} demo"


@contextlib.asynccontextmanager
async def server_lifespan(_app: Any) -> AsyncIterator[None]:
    """``st.App`` lifespan (app.py): start the background loads when the server starts; nothing to stop."""
    start_background_loads()
    yield


def wait_until_loaded(poll: float = 0.25) -> None:
    """While background loads run, show what is loading (with seconds elapsed) instead of a blank page."""
    if not pending_loads():
        return
    box = st.empty()
    while pending := pending_loads():
        label, seconds = pending[0]
        box.info(f"**{label}…** {seconds:.0f} s — once per server start; this page appears when it is done."
                 + "".join(f"  \nNext: {later.lower()}" for later, _ in pending[1:]), icon=":material/hourglass_top:")
        time.sleep(poll)
    box.empty()


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
    rows: list[tuple[str, str]] = [("Encoder", encoder_label()), ("Chosen by", encoder_source())]
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
def _embed(content_hash: str, model: str, _texts: tuple[str, ...], _encoder: Any,
           kind: str = "passage") -> dict[str, Any]:
    """Embeddings for one catalog content + model + kind (``"passage"``: items, ``"query"``: user-side texts; the
    progress bar is drawn in here, so it replays cleanly)."""
    from coldrec.encoders import EmbeddingCache, embed_texts

    noun = "items" if kind == "passage" else "user texts"
    bar = st.progress(0.0, text=f"Embedding {len(_texts):,} {noun} with {model}…")
    res = embed_texts(_encoder, list(_texts), cache=EmbeddingCache(), progress=progress_reporter(bar), kind=kind)
    bar.empty()
    return {"vectors": res.vectors, "encoded": res.encoded, "cached": res.cached,
            "truncated": res.truncated, "seconds": res.seconds, "warnings": list(res.warnings)}


def embed_catalog(catalog: Any) -> dict[str, Any]:
    """``{"vectors", "encoded", "cached", "truncated", "seconds"}`` for ``catalog`` with the session encoder."""
    enc = encoder()
    return _embed(catalog.content_hash(), enc.name, tuple(catalog.texts), enc)


def embed_texts_cached(texts: Sequence[str], kind: str = "query") -> np.ndarray:
    """Vectors of user-side texts (e.g. the log users' descriptions), cached by content + model + kind.

    ``kind="query"`` (the default) is how profiles encode a description at serving (E5's ``query:``), so a ranker
    trained on these vectors sees what it is served; pass ``"passage"`` for item-side texts."""
    enc = encoder()
    return _embed(texts_key(texts), enc.name, tuple(str(t) for t in texts), enc, kind)["vectors"]


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
def _build_demo(domain: str, kind: str) -> tuple[Any, Any]:
    from coldrec.demo import demo_recommender, load_demo

    enc = background(("encoder", kind), "Loading the sentence encoder", _build_encoder, kind)
    # Shipped vectors (data/<domain>/embeddings/) when they match the encoder, else the on-disk embedding cache.
    bundle = load_demo(domain), demo_recommender(domain, encoder=enc)
    bundle[1].recommend("a first request to warm the model and the ranker", k=3)  # first calls allocate: not the user's
    _submit(("users", domain, kind), f"Reading the {domain} users' profiles", _build_user_vectors, domain, kind)
    warm_umap_in_background()  # after the demo: the first recommendation does not share the CPU with it
    return bundle


def _build_user_vectors(domain: str, kind: str) -> np.ndarray:
    """The log users' description vectors: shipped (data/<domain>/embeddings/) or embedded through the cache."""
    from coldrec.demo import demo_user_vectors, load_demo
    from coldrec.encoders import EmbeddingCache

    enc = background(("encoder", kind), "Loading the sentence encoder", _build_encoder, kind)
    return demo_user_vectors(load_demo(domain), enc, EmbeddingCache())


def log_user_vectors(ws: Any) -> np.ndarray:
    """Vectors of the workspace's log users (their written descriptions): a demo's come from the background
    load (shipped files), any other log is embedded through the cache."""
    texts = ws.users["description"].fillna("").astype(str).tolist()
    if ws.key.startswith("demo:"):
        domain, kind = ws.key.split(":", 1)[1], encoder_kind()
        return background(("users", domain, kind), f"Reading the {domain} users' profiles", _build_user_vectors,
                          domain, kind)
    return embed_texts_cached(texts)


def demo_bundle(domain: str) -> tuple[Any, Any]:
    """``(DemoDomain, Recommender)`` for a demo domain with the session encoder (built in the background)."""
    kind = encoder_kind()
    return background(("demo", domain, kind), _demo_label(domain), _build_demo, domain, kind)


@st.cache_data(show_spinner=False, max_entries=10)
def demo_items(domain: str) -> pd.DataFrame:
    """The demo catalog's items frame (for previews; no embedding needed)."""
    from coldrec.demo import load_demo

    return load_demo(domain).catalog.items


# ------------------------------------------------------------------------------------- store (COLDREC_INDEX)
@st.cache_resource(show_spinner="Opening the Milvus store and fetching a sample…", max_entries=2)
def store_bundle(uri: str, kind: str, demo: str | None, ranker: str | None = None
                 ) -> tuple[Any, Any, np.ndarray, Any]:
    """``(StoreRecommender, sample Catalog, sample vectors, DemoDomain or None)`` for the store at ``uri``, opened
    once per process (Milvus Lite lets one process hold a file); only the seeded sample is fetched (ui/store.py).
    ``ranker`` is a checkpoint folder re-ranking the recall (``COLDREC_INDEX_RANKER``), or ``None``: cosine."""
    from coldrec.catalog import Catalog, ValidationReport
    from coldrec.errors import CheckpointError
    from coldrec.recommend import SAMPLE_ROWS, StoreRecommender
    from coldrec.retrieval import MilvusStore
    from ui.store import RankerEnvError

    fitted = None
    if ranker:
        from coldrec.ranking import MLPRanker

        try:
            fitted = MLPRanker.load(ranker)
        except ColdrecError as exc:  # a missing folder, a damaged or tampered checkpoint
            raise RankerEnvError(str(exc)) from None
    store = MilvusStore(uri)
    try:
        rec = StoreRecommender(store, encoder(), ranker=fitted)
    except CheckpointError as exc:  # another encoder's ranker: the checkpoint is what to change
        store.close()
        raise RankerEnvError(str(exc)) from None
    items, vectors = rec.sample(SAMPLE_ROWS, seed=0)
    items = items.drop(columns=["row"]).assign(text=items["title"], tags="", price=float("nan"), image_url="")
    n = len(items)
    sample = Catalog(items.reset_index(drop=True), ValidationReport(rec.location, "milvus", "", n, n), rec.location)
    lent = None
    if demo:
        from coldrec.demo import load_demo

        lent = load_demo(demo)
    return rec, sample, vectors, lent


# ---------------------------------------------------------------------------------------------------- maps
def _warm_umap() -> float:
    from coldrec.analysis import warmup

    return warmup()


def warm_umap_in_background() -> None:
    """Compile UMAP's numba kernels in a background thread (60–130 s of CPU once per process on a 2-core box),
    so the first map the user opens fits in seconds; skipped with the hash encoder (tests, quick looks) unless
    ``COLDREC_WARM_UMAP=1``; ``COLDREC_WARM_UMAP=0`` turns it off."""
    flag = os.environ.get("COLDREC_WARM_UMAP", "")  # "1" forces it (bench/bench_map.py), "0" turns it off
    if flag == "1" or (flag != "0" and encoder_kind() != "hash"):
        _submit(("umap-warmup",), "Compiling UMAP", _warm_umap)


@st.cache_resource(show_spinner=False, max_entries=8)
def _catalog_terms(content_key: str, _texts: tuple[str, ...]) -> Any:
    from coldrec.analysis import tfidf_terms

    return tfidf_terms(_texts)


@st.cache_resource(show_spinner=False, max_entries=8)  # a resource: no copy of 50k strings per rerun
def _legend_and_hover(content_key: str, _titles: tuple[str, ...], _texts: tuple[str, ...],
                      _categories: tuple[str, ...]) -> dict[str, Any]:
    from coldrec.analysis import hover_texts, legend_groups

    groups = legend_groups(list(_categories))
    return {"legend": groups.labels, "legend_notice": groups.notice, "hover": hover_texts(_titles, _texts)}


@st.cache_resource(show_spinner=False, max_entries=16)
def _clusters(content_key: str, coords_key: str, _coords: np.ndarray, _texts: tuple[str, ...]) -> list[Any]:
    from coldrec.analysis import cluster_labels

    return cluster_labels(_coords, _texts, tfidf=_catalog_terms(content_key, _texts))


def map_extras(content_key: str, coords_key: str, coords: np.ndarray, titles: Sequence[str], texts: Sequence[str],
               categories: Sequence[str]) -> dict[str, Any]:
    """Legend groups and hover texts (once per catalog) and cluster labels (once per map: ``coords_key``);
    the TF-IDF terms behind the labels are computed once per catalog."""
    texts = tuple(texts)
    out = dict(_legend_and_hover(content_key, tuple(titles), texts, tuple(categories)))
    out["clusters"] = _clusters(content_key, coords_key, coords, texts) if coords.shape[1] == 2 else []
    return out


start_background_loads()  # at import too: covers AppTest and servers started without app.py's st.App
