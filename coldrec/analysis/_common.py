"""What the analysis modules share: their error type and argument checks."""

from __future__ import annotations

from coldrec.errors import ColdrecError

__all__ = ["WhatIfError", "check_k"]


class WhatIfError(ColdrecError):
    """Bad what-if input: unknown axis, k < 1, bad recommend output."""


def check_k(k: int) -> int:
    if not isinstance(k, (int,)) or isinstance(k, bool) or k < 1:
        raise WhatIfError(f"k={k!r} must be a positive integer (e.g. 10)")
    return int(k)
