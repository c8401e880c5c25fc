"""Exceptions raised by coldrec.

Every error subclasses :class:`ColdrecError`, which is a :class:`ValueError`, so callers (the CLI, the
Streamlit app) can catch one type and show its message. Messages name the bad value and the valid choices.
"""

from __future__ import annotations

__all__ = ["ColdrecError", "CatalogError", "ModelNotFoundError", "CheckpointError"]


class ColdrecError(ValueError):
    """Base class of every error coldrec raises on purpose (bad input, missing model, bad checkpoint)."""


class CatalogError(ColdrecError):
    """A catalog file or mapping cannot be used: unreadable file, unknown column, or no usable row.

    The message names the file and, where relevant, the row and the column.
    """


class ModelNotFoundError(ColdrecError):
    """The sentence-encoder model could not be found locally (coldrec never downloads at run time)."""


class CheckpointError(ColdrecError):
    """A ranker checkpoint is missing, tampered with, or not in the safetensors + JSON format."""
