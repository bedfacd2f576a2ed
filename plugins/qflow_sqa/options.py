"""The run options of the ``sqa`` sampler, declared once (name, type, default, range, meaning).

The base class checks every option a run is given against :data:`RUN_PARAMETERS`; :func:`with_defaults`
fills in the ones not given.

>>> with_defaults({"trotter_slices": 16})["trotter_slices"]
16
>>> with_defaults({})["temperature_mk"]
12.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qflow_core.parameters import Parameter

__all__ = ["RUN_PARAMETERS", "with_defaults"]

RUN_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "trotter_slices",
        int,
        None,
        "number P of imaginary-time slices; default 32, for GroundState max(32, ceil(4·β·Γ))",
        minimum=2,
    ),
    Parameter(
        "sweeps",
        int,
        None,
        "Monte Carlo sweeps per read; default 1000 (Boltzmann, GroundState), max(10, round(50·time_us)) (Anneal); "
        "a Survival run takes its sweeps from the protocol's time",
        minimum=1,
    ),
    Parameter(
        "temperature_mk", float, 12.0, "bath temperature of anneals in millikelvin", minimum=0.0, exclusive_minimum=True
    ),
    Parameter(
        "ground_state_beta",
        float,
        16.0,
        "final inverse temperature of GroundState runs (BQM units)",
        minimum=0.0,
        exclusive_minimum=True,
    ),
    Parameter("world_line_moves", bool, True, "also propose flipping whole world lines (all slices of a spin)"),
)


def with_defaults(checked: Mapping[str, Any]) -> dict[str, Any]:
    """Every option: the checked values given, the others at their declared defaults (None = chosen per protocol)."""
    values = {p.name: p.default for p in RUN_PARAMETERS}
    values.update({key: value for key, value in checked.items() if value is not None})
    return values
