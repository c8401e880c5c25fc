"""The app on a store-backed catalog (``COLDREC_INDEX=<milvus-lite file or milvus://host:port/collection>``).

The full matrix is never loaded: New user, New item, What-if and the fairness probe recall from the store through
:class:`coldrec.recommend.StoreRecommender`; the item pickers, colours and the Profile map work on a seeded sample
(:data:`coldrec.recommend.SAMPLE_ROWS` rows fetched from the store) and say so; the pages that need the whole
matrix (training a ranker, the evaluations, the impact curves) say that plainly instead of failing.
``COLDREC_INDEX_DEMO=<demo domain>`` lends that demo's personas and user log to a store that holds its catalog;
``COLDREC_INDEX_RANKER=<checkpoint folder>`` re-ranks the store's recall with a ranker trained elsewhere
(``coldrec train-ranker`` on the catalog, or the Ranker page on a copy small enough to load).
The cached store itself lives in ui/resources.py (``store_bundle``).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import streamlit as st

from ui.escape import md

INDEX_ENV, DEMO_ENV, RANKER_ENV = "COLDREC_INDEX", "COLDREC_INDEX_DEMO", "COLDREC_INDEX_RANKER"
STORE_RANKER_LABEL = (f"cosine only: recall from the store (a ranker is trained on the full matrix, not here; "
                      f"set {RANKER_ENV} to a checkpoint folder to re-rank with one)")
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
    ranker = os.environ.get(RANKER_ENV, "").strip() or None
    try:
        rec, sample, vectors, lent = store_bundle(uri, encoder_kind(), demo, ranker)
    except MissingExtraError as exc:
        raise ColdrecError(f"{INDEX_ENV} is set, so the app reads its catalog from a Milvus store, but {exc} "
                           f"Or unset {INDEX_ENV} to use the demo catalogs.") from None
    except RankerEnvError as exc:  # the checkpoint, not the store, is wrong
        raise ColdrecError(f"{RANKER_ENV}: {exc} Fix {RANKER_ENV}, or unset it to rank by cosine.") from None
    except ColdrecError as exc:  # a malformed URI, an empty store, another model's vectors, a locked file
        raise ColdrecError(f"{INDEX_ENV}: {exc} Fix {INDEX_ENV}, or unset it to use the demo catalogs.") from None
    key = "store:" + hashlib.sha256(f"{uri}\n{ranker}".encode()).hexdigest()[:12]  # never the path: keys name downloads
    return Workspace(key=key, label=f"store: {md(rec.location)}", catalog=sample, vectors=vectors, recommender=rec,
                     demo=lent, ranker_label=store_ranker_label(rec, ranker), store=rec)


class RankerEnvError(Exception):
    """The checkpoint named by ``COLDREC_INDEX_RANKER`` could not be used (its message says why)."""


def store_ranker_label(rec: Any, folder: str | None) -> str:
    """What ranks a store's recall: the checkpoint named by ``COLDREC_INDEX_RANKER``, or cosine and how to change it."""
    if rec.ranker is None:
        return STORE_RANKER_LABEL
    return (f"{rec.ranked_by} (checkpoint {os.path.basename(os.path.normpath(folder or ''))}, from "
            f"{RANKER_ENV}) over the store's recall")


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
