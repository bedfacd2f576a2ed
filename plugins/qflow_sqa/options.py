"""The run options of the ``sqa`` sampler, declared once (name, type, default, range, meaning) and checked here.

>>> resolve_options({"trotter_slices": 16})["trotter_slices"]
16
>>> resolve_options({"trotter_slice": 16})
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: sqa has no option 'trotter_slice' (did you mean 'trotter_slices'?); ...
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["OPTIONS", "Option", "resolve_options"]


@dataclass(frozen=True)
class Option:
    """One declared run option: ``kind`` is int, float or bool; ``minimum`` is inclusive for int, exclusive for
    float; a default of None means "chosen per protocol" (the rule is in ``doc``)."""

    name: str
    kind: type
    default: Any
    doc: str
    minimum: float | None = None


OPTIONS: tuple[Option, ...] = (
    Option(
        "trotter_slices",
        int,
        None,
        "number P of imaginary-time slices (≥ 2); default 32, for GroundState max(32, ceil(4·β·Γ))",
        minimum=2,
    ),
    Option(
        "sweeps",
        int,
        None,
        "Monte Carlo sweeps per read; default 1000 (Boltzmann, GroundState), max(10, round(50·time_us)) (Anneal); "
        "a Survival run takes its sweeps from the protocol's time",
        minimum=1,
    ),
    Option("temperature_mk", float, 12.0, "bath temperature of anneals in millikelvin", minimum=0.0),
    Option("ground_state_beta", float, 16.0, "final inverse temperature of GroundState runs (BQM units)", minimum=0.0),
    Option("world_line_moves", bool, True, "also propose flipping whole world lines (all slices of a spin)"),
)
_BY_NAME = {option.name: option for option in OPTIONS}


def resolve_options(given: Mapping[str, Any]) -> dict[str, Any]:
    """Every option, with the given values checked and the others at their declared defaults."""
    unknown = sorted(set(given) - set(_BY_NAME))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(_BY_NAME), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidInputError(f"sqa has no option {unknown[0]!r}{hint}; valid options: {', '.join(_BY_NAME)}")
    values = {option.name: option.default for option in OPTIONS}
    for name, value in given.items():
        values[name] = _checked(_BY_NAME[name], value)
    return values


def _checked(option: Option, value: Any) -> Any:
    if value is None and option.default is None:
        return None
    if option.kind is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidInputError(f"sqa option {option.name} must be True or False, got {value!r}")
        return bool(value)
    if option.kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < option.minimum:
            raise InvalidInputError(
                f"sqa option {option.name} must be an integer ≥ {option.minimum:g}, got {value!r} ({option.doc})"
            )
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number <= option.minimum:
        raise InvalidInputError(
            f"sqa option {option.name} must be a finite number > {option.minimum:g}, got {value!r} ({option.doc})"
        )
    return number
