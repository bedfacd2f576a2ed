"""Declared run-time options of a sampler: name, type, default, allowed range, one-line doc.

A sampler lists its options in ``run_parameters`` (the way dimod samplers declare ``parameters``); the base
class checks every option a run is given against that list once, so a misspelt or out-of-range option is an
:class:`~qflow_core.errors.InvalidInputError` that says what is allowed.

>>> sweeps = Parameter("num_sweeps", int, 1000, "sweeps per read", minimum=1)
>>> check_options({"num_sweeps": 20}, (sweeps,), owner="sa")
{'num_sweeps': 20}
>>> try:
...     check_options({"num_sweep": 20}, (sweeps,), owner="sa")
... except InvalidInputError as exc:
...     print(exc)
sa does not understand option 'num_sweep' (did you mean 'num_sweeps'?); valid options: num_sweeps
>>> sweeps.check(0)
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: num_sweeps must be an integer ≥ 1, got 0
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["Parameter", "check_options"]

_TYPE_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


@dataclass(frozen=True)
class Parameter:
    """One run option: ``type`` is ``int``, ``float``, ``bool``, ``str`` or ``object`` (anything: the backend checks).

    ``minimum``/``maximum`` bound numbers (``exclusive_minimum``/``exclusive_maximum`` make the bound strict);
    ``choices`` lists the allowed values; ``optional`` lets the value be None (meaning "use the default rule").
    ``validate`` checks (and may convert) a value that needs more than a type and a range — e.g. a pair of
    numbers — returning the value to use and raising ``ValueError``/``TypeError`` otherwise; ``allowed`` then
    says in words what it accepts.

    >>> pair = Parameter("beta_range", object, None, "β schedule", validate=lambda v: [float(x) for x in v],
    ...                  allowed="two numbers")
    >>> pair.check((1, 2))
    [1.0, 2.0]
    >>> pair.check("ab")
    Traceback (most recent call last):
    ...
    qflow_core.errors.InvalidInputError: beta_range must be two numbers, got 'ab'
    """

    name: str
    type: type = object
    default: Any = None
    doc: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    choices: tuple[Any, ...] | None = None
    optional: bool = True
    validate: Callable[[Any], Any] | None = None
    allowed: str | None = None

    def range_text(self) -> str:
        """The allowed values in words, e.g. ``"an integer ≥ 1"`` or ``"one of 1, 2"``."""
        if self.allowed is not None:
            return self.allowed
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        parts = [_TYPE_NAMES.get(self.type, "any value")]
        if self.minimum is not None and self.maximum is not None:
            left, right = "(" if self.exclusive_minimum else "[", ")" if self.exclusive_maximum else "]"
            parts.append(f"in {left}{self.minimum:g}, {self.maximum:g}{right}")
        elif self.minimum is not None:
            parts.append(f"{'>' if self.exclusive_minimum else '≥'} {self.minimum:g}")
        elif self.maximum is not None:
            parts.append(f"{'<' if self.exclusive_maximum else '≤'} {self.maximum:g}")
        return " ".join(parts)

    def check(self, value: Any) -> Any:
        """``value`` coerced to ``type`` (ints stay ints, numbers become floats) if allowed; else an error."""
        if value is None and self.optional:
            return None
        if self.choices is not None:
            if not any(value == c and isinstance(value, bool) == isinstance(c, bool) for c in self.choices):
                raise InvalidInputError(f"{self.name} must be {self.range_text()}, got {value!r}")
            return value
        if self.validate is not None:
            try:
                return self.validate(value)
            except InvalidInputError:
                raise
            except (TypeError, ValueError):
                raise InvalidInputError(f"{self.name} must be {self.range_text()}, got {value!r}") from None
        if self.type is object:
            return value
        value = self._coerced(value)
        if self.type in (int, float) and not self._in_range(value):
            raise InvalidInputError(f"{self.name} must be {self.range_text()}, got {value!r}")
        return value

    def _coerced(self, value: Any) -> Any:
        bad = InvalidInputError(f"{self.name} must be {self.range_text()}, got {value!r}")
        if self.type is bool:
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise bad
        if isinstance(value, (bool, np.bool_)):
            raise bad
        if self.type is int:
            if isinstance(value, (int, np.integer)):
                return int(value)
            raise bad
        if self.type is float:
            if isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(float(value)):
                return float(value)
            raise bad
        if self.type is str and not isinstance(value, str):
            raise bad
        return value

    def _in_range(self, x: float) -> bool:
        lo, hi = self.minimum, self.maximum
        if lo is not None and (x < lo or (self.exclusive_minimum and x == lo)):
            return False
        return not (hi is not None and (x > hi or (self.exclusive_maximum and x == hi)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: type, default, range in words, doc."""
        default = self.default if isinstance(self.default, (int, float, str, bool, type(None))) else repr(self.default)
        return {
            "type": getattr(self.type, "__name__", str(self.type)),
            "default": default,
            "range": self.range_text(),
            "doc": self.doc,
        }


def check_options(options: Mapping[str, Any], declared: Iterable[Parameter], *, owner: str) -> dict[str, Any]:
    """Validate ``options`` against ``declared``: unknown names and out-of-range values raise
    :class:`InvalidInputError`; return the checked values (only those given — defaults are not filled in)."""
    by_name = {p.name: p for p in declared}
    for key in options:
        if key not in by_name:
            close = difflib.get_close_matches(key, list(by_name), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            valid = ", ".join(by_name) or "none"
            raise InvalidInputError(f"{owner} does not understand option {key!r}{hint}; valid options: {valid}")
    return {key: by_name[key].check(value) for key, value in options.items()}
