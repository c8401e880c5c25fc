"""One column-guessing vocabulary for catalogs, interaction logs and user files, and headerless-file detection.

Names are compared after :func:`normalise_name` (case, punctuation and camelCase ignored: ``movieId``,
``movie_id`` and ``MOVIE-ID`` are one name), so an Amazon export (``asin``, ``reviewerID``, ``overall``,
``unixReviewTime``) and a MovieLens release (``userId``, ``movieId``, ``rating``, ``timestamp``) are read the same
way by :func:`coldrec.catalog.guess_columns` and :func:`coldrec.ranking.load_interactions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["ROLE_NAMES", "normalise_name", "name_forms", "find_column", "looks_headerless", "restore_header_row"]

ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "item": ("item_id", "itemid", "item", "iid", "id", "asin", "parent_asin", "sku", "product_id", "productid",
             "product", "movie_id", "movieid", "movie", "article_id", "articleid", "news_id", "newsid", "doc_id",
             "docid", "paper_id", "paperid", "video_id", "videoid", "track_id", "trackid", "song_id", "post_id",
             "book_id", "bookid", "isbn", "content_id", "business_id", "uuid", "key", "code"),
    "user": ("user_id", "userid", "user", "uid", "reviewer_id", "reviewerid", "customer_id", "customerid",
             "customer", "reader_id", "member_id", "account_id", "visitor_id", "session_id"),
    "rating": ("rating", "ratings", "overall", "stars", "star_rating", "score", "label", "clicked", "click", "liked",
               "like", "preference", "count", "plays", "play_count", "weight", "value"),
    "time": ("timestamp", "unix_review_time", "unixreviewtime", "time", "ts", "date", "datetime", "review_time",
             "event_time", "created_at", "created", "when"),
    "title": ("title", "name", "item_name", "product_name", "product_title", "headline", "movie_title",
              "track_name", "song", "book_title", "label", "raw_title"),
    "text": ("description", "desc", "summary", "body", "text", "abstract", "overview", "content", "plot",
             "synopsis", "details", "product_description", "blurb", "about", "caption", "review", "lead",
             "subtitle"),
    "user_text": ("description", "text", "profile", "bio", "about", "summary", "self_description", "interests"),
    "category": ("category", "categories", "genre", "genres", "section", "type", "department", "class", "topic",
                 "main_category"),
    "tags": ("tags", "tag", "keywords", "keyword", "labels", "topics", "hashtags"),
    "price": ("price", "cost", "amount", "price_usd", "list_price", "sale_price"),
    "image": ("image_url", "image", "img", "img_url", "thumbnail", "thumbnail_url", "picture", "photo", "cover",
              "imageurl", "image_urls", "images"),
}
_ALL_NAMES = {n for names in ROLE_NAMES.values() for n in names}


def normalise_name(name: object) -> str:
    """``movieId`` → ``movie_id``, ``Product Title`` → ``product_title``, ``ITEM-ID`` → ``item_id``.

    Example:
        >>> normalise_name("movieId"), normalise_name("reviewerID"), normalise_name(" Item ID ")
        ('movie_id', 'reviewer_id', 'item_id')
    """
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name).strip())  # camelCase → camel_Case (ID stays one word)
    return re.sub(r"[^0-9a-z]+", "_", s.lower()).strip("_")


def name_forms(name: object) -> set[str]:
    """The normalised name with and without underscores (``movie_id``, ``movieid``): what vocabulary words match."""
    n = normalise_name(name)
    return {n, n.replace("_", "")}


def find_column(columns: Sequence[object], role: str, used: Iterable[object] = ()) -> object | None:
    """The first column (in the vocabulary's order of preference) that names ``role``, skipping ``used``.

    Example:
        >>> find_column(["userId", "movieId", "rating"], "item"), find_column(["userId", "movieId"], "user")
        ('movieId', 'userId')
    """
    taken = set(used)
    forms = {c: name_forms(c) for c in columns if c not in taken}
    for want in ROLE_NAMES[role]:
        for c, f in forms.items():
            if want in f or want.replace("_", "") in f:
                return c
    return None


_ID_LIKE = re.compile(r"^[A-Za-z]{0,3}[-_]?\d[\w-]*$")


def _data_like(name: str) -> bool:
    s = str(name).strip()
    if not s:
        return False
    try:
        float(s)
        return True
    except ValueError:
        pass
    return bool(_ID_LIKE.match(s)) or bool(re.match(r"^\d{4}-\d{2}-\d{2}", s))


def _numeric(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def looks_headerless(columns: Sequence[object], frame: pd.DataFrame | None = None) -> bool:
    """True when every column name reads like a value (numbers, ids such as ``u12``/``B000123``, dates), none
    is a word of the vocabulary, and (given ``frame``) each name is of the same kind as its column's values —
    the file's first row was data, not a header.

    A header where even one column has a real name (``user,item,5``) is kept, and so is a header of
    numbers-as-names over columns of words (``2019,2020`` above titles).

    Example:
        >>> looks_headerless(["196", "242", "3", "881250949"]), looks_headerless(["user_id", "item_id", "rating"])
        (True, False)
    """
    names = [re.sub(r"\.\d+$", "", str(c)) if re.search(r"\.\d+$", str(c)) else str(c) for c in columns]
    if not names:
        return False
    if any(normalise_name(n) in _ALL_NAMES for n in names):
        return False
    if not all(_data_like(n) for n in names):
        return False
    if frame is not None and len(frame):
        for name, col in zip(names, frame.columns):
            values = frame[col].dropna().astype(str).str.strip().head(200)
            if len(values) and _numeric(name) != bool(values.map(_numeric).mean() > 0.5):
                return False
    return True


def restore_header_row(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with its column names put back as the first data row and columns named ``column_1…``.

    pandas renames repeated header cells (``5``, ``5.1``); the suffix it added is removed again.

    Example:
        >>> restore_header_row(pd.DataFrame({"u1": ["u2"], "i9": ["i3"]})).to_dict("list")
        {'column_1': ['u1', 'u2'], 'column_2': ['i9', 'i3']}
    """
    seen: dict[str, int] = {}
    first = []
    for c in map(str, df.columns):
        base = re.sub(r"\.\d+$", "", c)
        first.append(base if base != c and base in seen else c)
        seen[base] = seen.get(base, 0) + 1
    names = [f"column_{j + 1}" for j in range(df.shape[1])]
    head = pd.DataFrame([first], columns=names)
    body = df.copy()
    body.columns = names
    out = pd.concat([head, body.astype(object)], ignore_index=True)
    out.attrs = dict(df.attrs)
    return out
