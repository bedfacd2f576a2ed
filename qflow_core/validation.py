"""Argument checks shared across qflow, raising :class:`~qflow_core.errors.InvalidInputError`.

>>> positive_number("beta", "2")
2.0
>>> positive_int("num_reads", 0)
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: num_reads must be a positive integer, got 0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["positive_int", "positive_number"]


def positive_number(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (≥ 0 with ``allow_zero``)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        bound = "a finite number ≥ 0" if allow_zero else "a finite number > 0"
        raise InvalidInputError(f"{name} must be {bound}, got {value!r}")
    return x


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int ≥ 1 (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
