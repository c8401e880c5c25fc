"""The Catalog page's upload glue: the validation report of a validated upload and its Embed button, for a file
in the uploader or one kept from before a refresh (:mod:`ui.persist`)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.escape import md
from ui.resources import embed_catalog
from ui.state import set_upload
from ui.tables import csv_bytes


def show_pending(pending: Any) -> None:
    """Rows read / kept / skipped, the warnings and skipped rows, and "Embed … and use this catalog"."""
    rep = pending.report
    k1, k2, k3 = st.columns(3)
    k1.metric("Rows read", f"{rep.rows_read:,}")
    k2.metric("Kept", f"{rep.kept:,}")
    k3.metric("Skipped", f"{len(rep.skipped):,}")
    for w in rep.warnings:
        st.warning(md(w))
    if rep.skipped:
        skipped = rep.to_frame()
        st.dataframe(skipped, hide_index=True, height=min(300, 38 + 35 * len(rep.skipped)))
        st.download_button("Download skipped rows (CSV)", csv_bytes(skipped),
                           file_name=f"{pending.name}_skipped.csv", mime="text/csv")
    if st.button(f"Embed {len(pending):,} items and use this catalog", type="primary", key="cat_embed"):
        res = embed_catalog(pending)
        set_upload(pending)
        st.success(f"Ready: {res['encoded']:,} encoded, {res['cached']:,} from the cache in "
                   f"{res['seconds']:.1f} s. Every page now uses “{md(pending.name)}”.")
        for w in res.get("warnings", []):
            st.warning(md(w))
        if res["truncated"]:
            st.info(f"{res['truncated']:,} item texts were longer than the model window and were cut.")


def mapping_line(cmap: Any) -> str:
    """The column mapping in one line, e.g. ``id ← sku · text ← name, blurb · category ← dept``."""
    parts = [f"{role} ← {', '.join(v) if isinstance(v, list) else v}" for role, v in vars(cmap).items() if v]
    return md(" · ".join(parts))
