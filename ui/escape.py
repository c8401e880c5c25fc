"""The one place that makes user-controlled text safe for each kind of sink on a page.

Catalog cells, ids, categories, file names, log warnings and library messages all reach the page. Streamlit
renders Markdown (with ``:red[…]`` directives, ``:material/…:`` icons, links, images and emoji short codes) in
captions, warnings, metrics, radio labels and headers; plotly renders a subset of HTML (``<a href>``, ``<b>``,
``<br>``) in trace names, hover labels, tick labels and annotations. So:

* :func:`md` — for every Markdown sink: escapes Markdown and directive syntax (no link, image, heading, list,
  colour or icon can come from data) and hides server-side paths.
* :func:`plot_text` — for every plotly string: ``&``, ``<``, ``>`` and ``%`` become entities that plotly decodes
  (a quote stays a quote instead of showing ``&quot;``, and no ``%{…}`` hover-template field comes from data).
* :func:`hide_paths` — server-side paths (cache, model folder, home, the app folder, site-packages) become
  ``<server path>``; :func:`md` applies it, pages may use it alone for plain-text sinks.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["md", "plot_text", "hide_paths", "SERVER_PATH"]

SERVER_PATH = "<server path>"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=&^\"'@%])")
# Streamlit's Markdown turns URLs and e-mail addresses in plain text into links *after* escapes are resolved, so a
# backslash cannot stop them: a zero-width space after "://", "www" and "@" does.
_AUTOLINK = re.compile(r"(://|(?<![\w.])www|@)", re.IGNORECASE)
# An absolute POSIX path of two or more parts, or a Windows drive path.
_ABS_PATH = re.compile(r"(?<![\w.:/])(?:/(?:[\w.@+-]+/)+[\w.@+-]*|[A-Za-z]:\\(?:[\w .@+-]+\\)*[\w .@+-]*)")


def _server_roots() -> list[tuple[str, str]]:
    """``(path, replacement)``, longest first: folders named by a setting keep their last part (the operator chose
    it and the messages refer to it), the others become ``<server path>``."""
    roots = {r: SERVER_PATH for r in (str(Path.home()), sys.prefix, sys.base_prefix, tempfile.gettempdir(),
                                      str(Path(__file__).parents[1]))}
    for var in ("COLDREC_CACHE", "COLDREC_ENCODER", "COLDREC_DATA"):
        v = os.environ.get(var, "").strip()
        if v and (os.sep in v or "/" in v):
            p = Path(v).expanduser()
            roots[str(p)] = f"{SERVER_PATH}/{p.name}" if p.name else SERVER_PATH
    return sorted(((r, t) for r, t in roots.items() if len(r) > 1), key=lambda rt: len(rt[0]), reverse=True)


def hide_paths(text: Any, *, any_absolute: bool = False) -> str:
    """``text`` with server-side paths replaced by ``<server path>``.

    Args:
        text: what will be shown.
        any_absolute: also hide every other absolute path (keeping its last part); for library messages, not
            for item text, which may mention a path on purpose.
    """
    s = str(text)
    for root, shown in _server_roots():
        s = s.replace(root, shown)
    if not any_absolute:
        return s
    return _ABS_PATH.sub(lambda m: f"{SERVER_PATH}/{Path(m.group(0)).name}" if Path(m.group(0)).name
                         else SERVER_PATH, s)


def md(text: Any) -> str:
    """User-controlled ``text`` made inert for a Streamlit Markdown sink (and with server paths hidden).

    Every Markdown, directive and HTML character is backslash-escaped, so ``[x](http://…)``, ``![](…)``,
    ``:red[…]``, ``<img>``, ``# heading`` show as the characters typed; URLs and e-mail addresses get a zero-width
    space after ``://``, ``www`` and ``@`` so no autolink is made;
    line breaks are kept as Markdown hard breaks (every character that could open a block is escaped).
    """
    s = _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub("\\1\u200b", hide_paths(text)))
    return s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "  \n")


def plot_text(text: Any) -> str:
    """User-controlled ``text`` for a plotly string (trace name, hover, tick, annotation): no live markup."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("%", "&#37;"))  # no %{…} template field can come from data either
