"""Checks of a sweep task's argument values, made before anything runs: one check per distinct value.

Each check is called as ``check(name, value)`` and raises :class:`~qflow_core.errors.InvalidInputError` saying
what the value should be and what it is; :class:`~qflow_core.sweeps.experiment.SweepExperiment` maps its
fields to them (``checks=``), and the spec names the line of the field at fault.

>>> number(minimum=0, exclusive=True)("lr", 0.1)
>>> number(minimum=0, exclusive=True)("lr", "fast")
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: lr must be a finite number > 0, got 'fast'
>>> choice("quantum", "thermal")("rule", "classical")
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: rule must be one of 'quantum', 'thermal', got 'classical'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from qflow_core.errors import InvalidInputError

__all__ = ["Check", "choice", "flag", "integer", "learning_rule", "number", "numbers", "spins", "table"]

#: ``check(name, value)``: returns nothing, raises InvalidInputError for a value the task could not run with.
Check = Callable[[str, Any], None]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(*, minimum: float | None = None, exclusive: bool = False, optional: bool = False) -> Check:
    """A finite number, ≥ ``minimum`` (> with ``exclusive``); ``optional`` also allows None (the default)."""
    bound = "" if minimum is None else f" {'>' if exclusive else '≥'} {minimum:g}"

    def check(name: str, value: Any) -> None:
        if optional and value is None:
            return
        too_small = minimum is not None and _is_number(value) and (value <= minimum if exclusive else value < minimum)
        if not _is_number(value) or too_small:
            raise InvalidInputError(f"{name} must be a finite number{bound}, got {value!r}")

    return check


def integer(*, minimum: int = 0) -> Check:
    """An integer ≥ ``minimum`` (a seed, a count of hidden units)."""

    def check(name: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InvalidInputError(f"{name} must be an integer ≥ {minimum}, got {value!r}")

    return check


def flag(name: str, value: Any) -> None:
    """true or false."""
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be true or false, got {value!r}")


def choice(*options: str) -> Check:
    """One of ``options``."""

    def check(name: str, value: Any) -> None:
        if value not in options:
            raise InvalidInputError(f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}")

    return check


def numbers(*, square: bool = False) -> Check:
    """A non-empty list of finite numbers, or with ``square`` a square matrix of them (a list of rows)."""

    def check(name: str, value: Any) -> None:
        rows = value if square else [value]
        width = len(rows) if isinstance(rows, (list, tuple)) else -1
        if (
            width < 1
            or not all(isinstance(row, (list, tuple)) and len(row) == (width if square else len(row)) for row in rows)
            or not all(row and all(_is_number(x) for x in row) for row in rows)
        ):
            shape = "a square matrix (list of equal rows) of finite numbers" if square else "a list of finite numbers"
            raise InvalidInputError(f"{name} must be {shape}, got {value!r}")

    return check


def spins(name: str, value: Any) -> None:
    """A non-empty list of ±1."""
    if not isinstance(value, (list, tuple)) or not value or any(s not in (1, -1) or isinstance(s, bool) for s in value):
        raise InvalidInputError(f"{name} must be a list of +1/-1 spins, got {value!r}")


def table(name: str, value: Any) -> None:
    """A TOML table (mapping of names to values)."""
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{name} must be a table of options ({{name = value, …}}), got {value!r}")


def learning_rule(name: str, value: Any) -> None:
    """A learning rule as ``qflow train --rule`` takes it (e.g. ``"hebb"``, ``"mpf:beta=1"``)."""
    from qflow_core.learning.rules.parsing import parse_rule

    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a rule name such as 'hebb', got {value!r}")
    try:
        parse_rule(value)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{name} = {value!r}: {exc}") from None
