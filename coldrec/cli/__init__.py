"""The ``coldrec`` command: ``embed | recommend | new-item | train-ranker | validate | evaluate``.
"""

from __future__ import annotations

from coldrec.cli._main import main, build_parser

__all__ = [
    "main",
    "build_parser",
]
