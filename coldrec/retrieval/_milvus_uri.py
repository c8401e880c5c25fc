"""Where a Milvus store lives (``--index`` / ``COLDREC_INDEX``, parsed strictly) and the filter expressions that
carry recall's category and seen-item filters to Milvus."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from coldrec.errors import ColdrecError

__all__ = ["IndexURI", "parse_index_uri", "filter_expression", "literal"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
                   r"|^\d{1,3}(?:\.\d{1,3}){3}$")


@dataclass(frozen=True)
class IndexURI:
    """Where a store lives.

    Attributes:
        kind: ``"lite"`` (a local Milvus Lite file) or ``"server"`` (a Milvus server reached over gRPC).
        target: the file path (lite) or ``http://host:port`` (server), as MilvusClient takes it.
        collection: the collection holding the items.
    """

    kind: str
    target: str
    collection: str

    def __str__(self) -> str:
        if self.kind == "lite":
            return f"{self.target}#{self.collection}"
        return f"milvus://{self.target.removeprefix('http://')}/{self.collection}"


def _bad(uri: str, why: str) -> ColdrecError:
    return ColdrecError(
        f"Bad index URI {uri!r}: {why}. Use a local Milvus Lite file 'path/to/store.db' (optionally "
        "'store.db#collection') or a server 'milvus://host:port/collection'."
    )


def parse_index_uri(uri: str) -> IndexURI:
    """Parse ``--index`` / ``COLDREC_INDEX`` strictly (see the module docstring); raise ColdrecError naming the fault."""
    if not isinstance(uri, str) or not uri.strip():
        raise _bad(str(uri), "it is empty")
    uri = uri.strip()
    if "://" not in uri:
        path, _, coll = uri.partition("#")
        coll = coll or "items"
        if not path.endswith(".db"):
            raise _bad(uri, "a Milvus Lite store is a local file whose name ends in '.db'")
        if not _NAME.match(coll):
            raise _bad(uri, f"collection {coll!r} must be letters, digits or '_' and not start with a digit")
        return IndexURI("lite", os.path.abspath(os.path.expanduser(path)), coll)
    scheme, _, rest = uri.partition("://")
    if scheme != "milvus":
        raise _bad(uri, f"unknown scheme {scheme!r} (only 'milvus://' is accepted)")
    if any(ch in rest for ch in "?#@ "):
        raise _bad(uri, "no query string, fragment, spaces or credentials (set $MILVUS_TOKEN for a token)")
    hostport, slash, coll = rest.partition("/")
    if not slash or not coll:
        raise _bad(uri, "the collection name is missing after host:port")
    if "/" in coll or not _NAME.match(coll):
        raise _bad(uri, f"collection {coll!r} must be one name of letters, digits or '_', not starting with a digit")
    host, colon, port = hostport.rpartition(":")
    if not colon or not host:
        raise _bad(uri, "host and port are both required, e.g. milvus://localhost:19530/items")
    if not _HOST.match(host):
        raise _bad(uri, f"host {host!r} is not a hostname or IPv4 address")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise _bad(uri, f"port {port!r} must be a number from 1 to 65535")
    return IndexURI("server", f"http://{host}:{int(port)}", coll)


def literal(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # a double-quoted string with \" and \\ escaped


def filter_expression(include_categories: Sequence[str] | None = None,
                      exclude_categories: Sequence[str] | None = None, exclude_ids: Iterable[str] = (),
                      exclude_rows: Iterable[int] = ()) -> str:
    """The Milvus boolean expression for category include/exclude and seen-item exclusion ("" = no filter)."""
    parts = []
    if include_categories:
        parts.append(f"category in [{', '.join(map(literal, include_categories))}]")
    if exclude_categories:
        parts.append(f"category not in [{', '.join(map(literal, exclude_categories))}]")
    ids = list(exclude_ids)
    if ids:
        parts.append(f"item_id not in [{', '.join(map(literal, ids))}]")
    rows = [int(r) for r in exclude_rows]
    if rows:
        parts.append(f"row not in {rows}")
    return " and ".join(parts)
