"""The app on a store-backed catalog (``COLDREC_INDEX=<milvus-lite file or milvus://host:port/collection>``).

The full matrix is never loaded: New user, New item, What-if and the fairness probe recall from the store through
:class:`coldrec.recommend.StoreRecommender`; the item pickers, colours and the Profile map work on a seeded sample
(:data:`coldrec.recommend.SAMPLE_ROWS` rows fetched from the store) and say so; the pages that need the whole
matrix (training a ranker, the evaluations, the impact curves) say that plainly instead of failing.
``COLDREC_INDEX_DEMO=<demo domain>`` lends that demo's personas and user log to a store that holds its catalog.
The cached store itself lives in ui/resources.py (``store_bundle``).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import streamlit as st

from ui.escape import md

INDEX_ENV, DEMO_ENV = "COLDREC_INDEX", "COLDREC_INDEX_DEMO"
STORE_RANKER_LABEL = "cosine only: recall from the store (a ranker is trained on the full matrix, not here)"
#: pages that need the catalog's whole matrix or its interaction log, and why
FULL_MATRIX_PAGES = {
    "Ranker": "Training a ranker reads every item's vector and the interaction log",
    "Evaluation": "The offline protocols score every item of a demo catalog against its log",
    "Impact": "The impact curves re-rank the whole catalog for every simulated user",
}


def index_uri() -> str | None:
    """``$COLDREC_INDEX`` (stripped), or ``None`` when the app runs on demo and uploaded catalogs."""
    value = os.environ.get(INDEX_ENV, "").strip()
    return value or None


def store_workspace(uri: str) -> Any:
    """The session's :class:`ui.state.Workspace` over the store at ``uri`` (recommender, seeded sample)."""
    from coldrec.errors import ColdrecError
    from coldrec.retrieval import MissingExtraError
    from ui.resources import encoder_kind, store_bundle
    from ui.state import Workspace

    demo = os.environ.get(DEMO_ENV, "").strip() or None
    try:
        rec, sample, vectors, lent = store_bundle(uri, encoder_kind(), demo)
    except MissingExtraError as exc:
        raise ColdrecError(f"{INDEX_ENV} is set, so the app reads its catalog from a Milvus store, but {exc} "
                           f"Or unset {INDEX_ENV} to use the demo catalogs.") from None
    except ColdrecError as exc:  # a malformed URI, an empty store, another model's vectors, a locked file
        raise ColdrecError(f"{INDEX_ENV}: {exc} Fix {INDEX_ENV}, or unset it to use the demo catalogs.") from None
    key = "store:" + hashlib.sha256(uri.encode()).hexdigest()[:12]  # never the path: keys name downloads
    return Workspace(key=key, label=f"store: {md(rec.location)}", catalog=sample, vectors=vectors, recommender=rec,
                     demo=lent, ranker_label=STORE_RANKER_LABEL, store=rec)


def sample_note(ws: Any) -> str:
    """One line: the store's size and where it lives, and the sample the page shows."""
    total, shown = ws.store.total, len(ws.catalog)
    part = "all of them" if shown >= total else f"a seeded sample of {shown:,}"
    return f"{total:,} items in the {md(ws.store.location)}; this page shows {part}."


def store_banner(title: str, ws: Any) -> None:
    """What a page says on a store-backed catalog; a page that needs the full matrix stops here with why."""
    if getattr(ws, "store", None) is None:
        return
    if title in FULL_MATRIX_PAGES:
        st.info(f"**Not available on a store-backed catalog.** {FULL_MATRIX_PAGES[title]}, which the app never "
                f"loads from the {md(ws.store.location)} ({ws.store.total:,} items). Unset {INDEX_ENV} to use this "
                "page on a demo or uploaded catalog; New user, New item and What-if recall from the store.",
                icon=":material/database:")
        st.stop()
    if title == "Profile map":
        st.info(f"Map of a sample: {sample_note(ws)} Lines to top-k reach only items in the sample.",
                icon=":material/database:")
    else:
        st.caption(f":material/database: Recall from the store: {ws.store.total:,} items in the "
                   f"{md(ws.store.location)}; item pickers and category filters list a "
                   f"{len(ws.catalog):,}-item sample.")


def store_catalog_panel(ws: Any) -> None:
    """The Catalog page on a store: row count, where it lives, a preview of the sample; no demo or upload."""
    st.subheader("Store-backed catalog")
    a, b = st.columns([1, 3])
    a.metric("Items in the store", f"{ws.store.total:,}")
    b.markdown(f"**Where:** {md(ws.store.location)}  \n**Recall:** {md(ws.store.store.recall)} · vectors of "
               f"{ws.store.store.dim} dimensions · encoder {md(ws.recommender.encoder.name)}")
    st.caption(f"Set by {INDEX_ENV}. Demo catalogs and uploads are off while it is set. {sample_note(ws)}")
    st.dataframe(ws.catalog.items[["item_id", "title", "category"]].head(200), hide_index=True, height=300)
