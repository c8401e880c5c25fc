"""Streamlit glue shared by ``app.py`` and ``app_pages/``: everything a page uses is importable as ``ui.<name>``.

Everything here is rendering glue; recommendation logic lives in ``coldrec`` (which never imports streamlit).

* ``ui.resources`` — the cached resources (encoder, embeddings, demo domains, maps).
* ``ui.state`` — the session's catalog, its :class:`Workspace`, typed users, user-input widget values.
* ``ui.chrome`` — page list, page config, the common page header (``ui.page``), widget values across pages.
* ``ui.feedback`` — ``guard()`` (errors as ``st.error``).
* ``ui.escape`` — ``md`` / ``plot_text`` / ``hide_paths``: the one escaping helper for every sink.
* ``ui.tables`` / ``ui.charts`` — how tables and figures are shown.
* ``ui.actions`` / ``ui.rankers`` — what the pages run on the workspace.
"""

from __future__ import annotations

from coldrec.ranking import RANKER_DIR
from ui.persist import keep_upload, restored_pending
from ui.uploads import mapping_line, show_pending
from coldrec.evaluation import RESULTS_DIR, load_results, machine_label, methods_frame, published_frame
from coldrec.recommend._views import (
    PICKER_LIMIT,
    arrow,
    attribute_labels,
    fmt_seconds,
    item_label,
    item_options,
    loss_frame,
    results_view,
    texts_key,
)
from ui.actions import (
    PROBE_ATTRIBUTES,
    VARIANTS,
    compare_frame,
    embeddings_parquet,
    fill_variants,
    item_map_figure,
    user_space_map,
    memo_by_inputs,
    new_item,
    people_on_map,
    probe,
    quick_evaluation,
    recommend,
    user_groups,
    user_of,
    variant_lists,
)
from ui.charts import (
    OTHER_COLOR,
    PALETTE,
    USER_COLOR,
    bars_figure,
    category_colors,
    map_colors,
    map_figure,
    probe_figure,
    rank_diff_figure,
    reach_figure,
    selected_rows,
    ws_colors,
)
from ui.chrome import (
    APP_TITLE,
    HOME_ICON,
    NEXT_STEPS,
    PAGES,
    PERSISTENT_KEYS,
    keep_choices,
    keep_widget_state,
    page,
    pages,
    setup,
    start_page,
)
from ui.escape import hide_paths, md, plot_text
from ui.feedback import guard, language_hint, show_error
from ui.finetune import finetune_tab
from ui.rankers import (
    HIDDEN_CHOICES,
    LOADED_KEY,
    TRAINED_KEY,
    choose_ranker,
    current_ranker_index,
    load_ranker,
    load_saved_ranker,
    ranker_options,
    save_ranker,
    saved_rankers,
    train,
)
from ui.store import FULL_MATRIX_PAGES, index_uri, sample_note, store_banner, store_catalog_panel
from ui.maps import MAP_CONFIG, projection, projection_or_preview
from ui.resources import (
    demo_items,
    embed_catalog,
    embed_texts_cached,
    encoder,
    ENCODER_KEY,
    ENCODER_LABELS,
    HOW_PICKER,
    HOW_SWITCH,
    choose_encoder,
    encoder_kind,
    encoder_source,
    pending_loads,
    encoder_label,
    progress_reporter,
    map_extras,
    load_upload,
    read_upload,
    server_lifespan,
    system_status,
    wait_until_loaded,
    precision_note,
)
from ui.state import (
    CATALOG_WIDGETS,
    DEFAULT_DOMAIN,
    DOMAIN_LABELS,
    RANKERS_KEY,
    SRC_KEY,
    TYPED_KEY,
    UPLOADS_KEY,
    Workspace,
    domain_label,
    domain_options,
    domains,
    load_persona,
    picked,
    remember_new_item,
    remember_user,
    set_demo,
    set_ranker,
    set_source,
    set_upload,
    source,
    typed_users,
    user_from_state,
    workspace,
)
from ui.tables import (
    AUDIENCE_COLUMNS,
    audience_columns,
    CHANGE_COLUMNS,
    COMPARE_COLUMNS,
    ITEM_COLUMNS,
    METRIC_COLUMNS,
    NONE,
    PROBE_COLUMNS,
    PROBE_ORDER,
    RESULT_COLUMNS,
    RESULT_ORDER,
    SIMILAR_COLUMNS,
    UPLOAD_TYPES,
    audience_change,
    col,
    compact_table,
    csv_bytes,
    index_of,
    metric_columns,
    new_item_summary,
    result_notes,
    results_table,
    short_commit,
)

__all__ = [  # the re-exports above: what pages use as ``ui.<name>``
    "RANKER_DIR", "keep_upload", "restored_pending", "mapping_line", "show_pending", "RESULTS_DIR", "load_results", "machine_label", "methods_frame", "published_frame",
    "PICKER_LIMIT", "arrow", "attribute_labels", "fmt_seconds", "item_label", "item_options", "loss_frame",
    "results_view", "texts_key", "PROBE_ATTRIBUTES", "VARIANTS", "compare_frame", "embeddings_parquet",
    "fill_variants", "item_map_figure", "user_space_map", "memo_by_inputs", "new_item", "people_on_map", "probe", "quick_evaluation", "recommend", "user_groups",
    "user_of", "variant_lists", "OTHER_COLOR", "PALETTE", "USER_COLOR", "bars_figure", "category_colors",
    "map_figure", "probe_figure", "rank_diff_figure", "reach_figure", "selected_rows", "ws_colors", "APP_TITLE",
    "HOME_ICON", "NEXT_STEPS", "PAGES", "PERSISTENT_KEYS", "keep_choices", "keep_widget_state", "page", "pages", "setup",
    "start_page", "guard", "language_hint", "md", "plot_text", "hide_paths", "show_error", "finetune_tab",
    "HIDDEN_CHOICES",
    "LOADED_KEY", "TRAINED_KEY",
    "choose_ranker", "current_ranker_index", "load_ranker", "load_saved_ranker", "ranker_options", "save_ranker",
    "saved_rankers", "train", "demo_items", "embed_catalog", "embed_texts_cached", "encoder", "encoder_kind",
    "encoder_label", "ENCODER_KEY", "ENCODER_LABELS", "HOW_PICKER", "HOW_SWITCH", "choose_encoder", "encoder_source",
    "progress_reporter", "projection", "read_upload", "load_upload", "system_status", "precision_note",
    "CATALOG_WIDGETS", "DEFAULT_DOMAIN",
    "map_colors", "pending_loads", "wait_until_loaded", "map_extras", "projection_or_preview", "server_lifespan",
    "DOMAIN_LABELS", "RANKERS_KEY", "SRC_KEY", "TYPED_KEY", "UPLOADS_KEY", "Workspace", "domain_label",
    "domain_options", "domains", "load_persona", "picked", "remember_new_item", "remember_user", "set_demo",
    "set_ranker", "set_source", "set_upload", "source", "typed_users", "user_from_state", "workspace",
    "AUDIENCE_COLUMNS", "audience_columns", "CHANGE_COLUMNS", "COMPARE_COLUMNS", "ITEM_COLUMNS", "SIMILAR_COLUMNS", "METRIC_COLUMNS",
    "NONE", "PROBE_COLUMNS", "PROBE_ORDER", "RESULT_COLUMNS", "RESULT_ORDER", "UPLOAD_TYPES", "audience_change", "col",
    "compact_table", "csv_bytes", "index_of", "metric_columns", "new_item_summary", "short_commit", "result_notes",
    "results_table", "FULL_MATRIX_PAGES", "index_uri", "sample_note", "store_banner", "store_catalog_panel",
]
