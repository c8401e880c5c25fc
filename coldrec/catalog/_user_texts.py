"""One reader for user description files (the CLI's ``--users``, own-data ``cold-users`` and warm-up), so every
command finds the same id and text columns with the shared vocabulary (:mod:`coldrec.catalog._vocabulary`)."""

from __future__ import annotations

from typing import Any

from coldrec.errors import ColdrecError


def read_user_texts(source: Any, *, user_col: str | None = None, text_col: str | None = None) -> dict[str, str]:
    """``{user_id: description}`` from a users table: a path in any format :func:`read_table` reads, or a DataFrame.

    The id column is ``user_col`` when the file has it, else the vocabulary's guess (``user_id``, ``userId``,
    ``reviewerID`` …), so the log's ``--user-col`` also works for a users file that names it differently. The text
    column is ``text_col`` (it must exist) or the guess (``description``, ``bio``, ``profile`` …). Empty cells give "".

    Example:
        >>> import pandas as pd
        >>> read_user_texts(pd.DataFrame({"userId": [7], "bio": ["likes jazz"]}))
        {'7': 'likes jazz'}

    Raises:
        ColdrecError: no id or text column — naming the file, its columns and the flag that fixes it.
    """
    import pandas as pd

    from coldrec.catalog._vocabulary import find_column

    if isinstance(source, pd.DataFrame):
        df, label = source, "the users table"
    else:
        from coldrec.catalog import read_table
        from coldrec.catalog._readers import _source_label

        df, label = read_table(source)[0], f"users file {_source_label(source, None)}"
    cols = list(df.columns)
    uid = user_col if user_col in cols else find_column(cols, "user")
    if text_col is not None and text_col not in cols:
        raise ColdrecError(f"{label} has no column {text_col!r} (columns: {', '.join(map(str, cols))}); give "
                           "--user-text-col one of them.")
    text = text_col or find_column(cols, "user_text", [uid])
    for role, col, flag in (("user id", uid, "a user_id column (or --user-col NAME)"),
                            ("description", text, "--user-text-col COLUMN")):
        if col is None:
            raise ColdrecError(f"{label} has no {role} column (columns: {', '.join(map(str, cols))}); give it {flag}.")
    return dict(zip(df[uid].astype(str), df[text].fillna("").astype(str)))
