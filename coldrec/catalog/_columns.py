"""Which source columns play which role: :class:`ColumnMap`, guessing it from names, checking it, templates.

The text template language: ``{column}`` placeholders, ``{{`` / ``}}`` for literal braces.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import pandas as pd

from coldrec.catalog._vocabulary import ROLE_NAMES, name_forms, normalise_name
from coldrec.errors import CatalogError

__all__ = ["ColumnMap", "guess_columns", "complete_columns"]


@dataclass
class ColumnMap:
    """Which source columns play which role in the catalog.

    Any field left as ``None`` (or an empty ``text`` list) is filled by :func:`guess_columns` when the
    catalog is loaded with ``columns=None``; with an explicit map, ``None`` means "no such column".
    """

    id: str | None = None
    """Column holding the unique item id. ``None``: ids are generated from row numbers (with a warning)."""
    text: list[str] = field(default_factory=list)
    """Columns joined into the text that is embedded (e.g. ``["title", "description"]``)."""
    template: str | None = None
    """How the text columns are joined, e.g. ``"{title}. {description}"`` (``{column}`` placeholders, ``{{``
    for a literal brace). ``None``: non-empty parts are joined with ``". "``."""
    title: str | None = None
    """Column shown as the item's title in pickers and result lists. ``None``: first text column, or the
    start of the text."""
    category: str | None = None
    """Optional category / genre / section column (used by filters)."""
    tags: str | None = None
    """Optional tags column; ``;``, ``,`` or ``|`` separated, or lists (JSON/Parquet). Stored ``;``-joined."""
    price: str | None = None
    """Optional price column; parsed to float (currency signs and thousands separators removed), NaN if not a
    number."""
    image_url: str | None = None
    """Optional image URL column; only ``http(s)://`` values are kept (others are blanked with a warning)."""
    guess_rest: bool = False
    """Fill every role left ``None`` (and the text, when none is named) from the column names, as if no map
    were given: the CLI's ``--id/--text/...`` flags add to the guesses instead of replacing them."""

    def __post_init__(self) -> None:
        if isinstance(self.text, str):
            self.text = [self.text]
        else:
            self.text = list(self.text or [])

    def used_columns(self) -> list[str]:
        """Every source column this map refers to (text columns, template fields and the roles)."""
        cols: list[str] = []
        for c in [self.id, *self.text, self.title, self.category, self.tags, self.price, self.image_url]:
            if c is not None and c not in cols:
                cols.append(c)
        if self.template:
            for c in _template_fields(self.template):
                if c not in cols:
                    cols.append(c)
        return cols


# bare nouns ("item", "product", "movie") name an id in a log but often a title in a catalog
_ID_NAMES = tuple(n for n in ROLE_NAMES["item"] if n not in ("item", "product", "movie"))
_TITLE_NAMES = ROLE_NAMES["title"]
_TEXT_NAMES = ROLE_NAMES["text"]
_CATEGORY_NAMES = ROLE_NAMES["category"]
_TAG_NAMES = ROLE_NAMES["tags"]
_PRICE_NAMES = ROLE_NAMES["price"]
_IMAGE_NAMES = ROLE_NAMES["image"]


def guess_columns(df: pd.DataFrame) -> ColumnMap:
    """Guess a :class:`ColumnMap` from common column names (case and punctuation ignored).

    id: item_id/id/asin/sku/product_id/movie_id/…, else a ``*_id`` column; title: title/name/…; text:
    title + description/desc/summary/body/text/abstract/overview/…; category: category/genre/section/type;
    tags: tags/keywords/labels; price: price/cost; image: image/image_url/thumbnail. When nothing textual is
    recognised, the string column with the longest cells is used as text.
    """
    cols = [str(c) for c in df.columns]
    norm = {c: normalise_name(c) for c in cols}
    forms = {c: name_forms(c) for c in cols}
    used: set[str] = set()

    def pick(names: Sequence[str]) -> str | None:
        for want in names:
            for c in cols:
                if c not in used and want in forms[c]:
                    used.add(c)
                    return c
        return None

    id_col = pick(_ID_NAMES)
    if id_col is None:
        for c in cols:
            if norm[c].endswith("_id") and not norm[c].startswith(("user", "customer", "author", "reviewer", "member", "account")):
                id_col = c
                used.add(c)
                break
    title = pick(_TITLE_NAMES)
    texts: list[str] = []
    while (c := pick(_TEXT_NAMES)) is not None:
        texts.append(c)
    category = pick(_CATEGORY_NAMES)
    tags = pick(_TAG_NAMES)
    price = pick(_PRICE_NAMES)
    image = pick(_IMAGE_NAMES)
    text_cols = ([title] if title else []) + texts[:2]
    if not text_cols:
        best, best_len = None, -1.0
        sample = df.head(200)
        for c in cols:
            if c in used:
                continue
            s = sample[c]
            vals = [v for v in s.tolist() if isinstance(v, str)]
            if not vals:
                continue
            avg = sum(len(v) for v in vals) / len(s)
            if avg > best_len:
                best, best_len = c, avg
        if best is not None:
            text_cols = [best]
    return ColumnMap(
        id=id_col,
        text=text_cols,
        template=None,
        title=title,
        category=category,
        tags=tags,
        price=price,
        image_url=image,
    )


# ------------------------------------------------------------------------------------------ templates
_FIELD_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def _parse_template(template: str) -> list[tuple[str, bool]]:
    """Split a template into ``(literal, False)`` / ``(column, True)`` parts. Raises ValueError."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    lit = []
    for m in _FIELD_RE.finditer(template):
        lit.append(template[pos : m.start()])
        tok = m.group(0)
        if tok == "{{":
            lit.append("{")
        elif tok == "}}":
            lit.append("}")
        elif m.group(1) is not None:
            name = m.group(1)
            if not name.strip():
                raise ValueError("empty placeholder {} in the template")
            parts.append(("".join(lit), False))
            lit = []
            parts.append((name, True))
        else:
            raise ValueError(f"unmatched {tok!r} at position {m.start()} (write {tok * 2} for a literal brace)")
        pos = m.end()
    lit.append(template[pos:])
    parts.append(("".join(lit), False))
    return [p for p in parts if p[1] or p[0]]


def _template_fields(template: str) -> list[str]:
    try:
        return [name for name, is_field in _parse_template(template) if is_field]
    except ValueError:
        return []


def _list_cols(cols: Iterable[Any], limit: int = 60) -> str:
    cols = [str(c) for c in cols]
    txt = ", ".join(repr(c) for c in cols[:limit])
    return txt + (f", … (+{len(cols) - limit})" if len(cols) > limit else "") if cols else "(none)"


def _resolve_columns(columns: ColumnMap, df: pd.DataFrame, label: str) -> ColumnMap:
    """Check the map against the frame; accept case/space variants; raise naming the missing columns."""
    if not isinstance(columns, ColumnMap):
        raise CatalogError(f"{label}: columns must be a ColumnMap, not {type(columns).__name__}.")
    available = [str(c) for c in df.columns]
    lower: dict[str, list[str]] = {}
    for c in available:
        lower.setdefault(c.strip().casefold(), []).append(c)

    missing: list[str] = []

    def fix(c: str | None, role: str) -> str | None:
        if c is None or c == "":
            return None
        c = str(c)
        if c in available:
            return c
        alt = lower.get(c.strip().casefold(), [])
        if len(alt) == 1:
            return alt[0]
        close = difflib.get_close_matches(c, available, n=3, cutoff=0.5)
        close += [a for a in difflib.get_close_matches(c.casefold(), list(lower), n=3, cutoff=0.5)
                  for a in lower[a] if a not in close]
        hint = f"closest: {', '.join(repr(x) for x in close[:3])}" if close else "no close match"
        missing.append(f"{role} column {c!r} not found ({hint})")
        return c

    template = columns.template
    tmpl_fields: list[str] = []
    if template:
        try:
            tmpl_fields = [name for name, is_field in _parse_template(template) if is_field]
        except ValueError as exc:
            raise CatalogError(f"{label}: bad template {template!r}: {exc}.") from None
    out = ColumnMap(
        id=fix(columns.id, "id"),
        text=[x for x in (fix(c, "text") for c in columns.text) if x is not None],
        template=template,
        title=fix(columns.title, "title"),
        category=fix(columns.category, "category"),
        tags=fix(columns.tags, "tags"),
        price=fix(columns.price, "price"),
        image_url=fix(columns.image_url, "image_url"),
    )
    renamed: dict[str, str] = {}
    for f in tmpl_fields:
        if f in out.text:
            continue
        g = fix(f, "template")
        if g is not None and g != f:
            renamed[f] = g
    if missing:
        raise CatalogError(
            f"{label}: " + "; ".join(missing) + f". Available columns: {_list_cols(available)}."
        )
    if renamed and template:
        parts = _parse_template(template)
        out.template = "".join(
            "{" + renamed.get(p, p) + "}" if is_f else p.replace("{", "{{").replace("}", "}}") for p, is_f in parts
        )
    return out


def complete_columns(given: ColumnMap, guess: ColumnMap) -> tuple[ColumnMap, list[str]]:
    """``given`` with its unset roles taken from ``guess`` (never reusing a column ``given`` names).

    Returns the completed map and ``role=column`` strings of what was filled in.

    Example:
        >>> cm, filled = complete_columns(ColumnMap(text=["plot"]), ColumnMap(id="movieId", text=["title"],
        ...                                                                  title="title"))
        >>> cm.id, cm.text, filled
        ('movieId', ['plot'], ["id='movieId'", "title='title'"])
    """
    taken = set(given.used_columns())
    filled: list[str] = []
    values = {}
    for role in ("id", "title", "category", "tags", "price", "image_url"):
        mine, theirs = getattr(given, role), getattr(guess, role)
        if mine is None and theirs is not None and theirs not in taken:
            values[role] = theirs
            taken.add(theirs)
            filled.append(f"{role}={theirs!r}")
    text = list(given.text)
    if not text and not given.template:
        text = [c for c in guess.text if c not in taken or c == values.get("title")]
        if text:
            filled.append(f"text={text!r}")
    out = ColumnMap(id=values.get("id", given.id), text=text, template=given.template,
                    title=values.get("title", given.title), category=values.get("category", given.category),
                    tags=values.get("tags", given.tags), price=values.get("price", given.price),
                    image_url=values.get("image_url", given.image_url))
    return out, filled
