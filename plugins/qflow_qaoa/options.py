"""The run options of the ``qaoa`` sampler: every name with its default, checked once per run.

>>> opts = checked_options({**DEFAULT_OPTIONS, "reps": 3})
>>> opts["reps"], opts["primitive"]
(3, 'exact')
>>> checked_options({**DEFAULT_OPTIONS, "trotter_order": 4})
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: trotter_order must be one of 1, 2, got 4
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from qflow_core.errors import InvalidInputError
from qflow_core.parameters import Parameter, check_options

__all__ = ["DEFAULT_OPTIONS", "RUN_PARAMETERS", "checked_options"]

#: Every option ``run`` (or the constructor) accepts, with its default and range. Options that do not concern
#: the protocol being run are accepted and ignored, so one set of options can serve every protocol.
RUN_PARAMETERS = (
    Parameter("primitive", object, "exact", "'exact' | 'statevector' | 'aer' | a Qiskit SamplerV2 instance"),
    Parameter("pass_manager", object, None, "transpiles circuits for a primitive (default: preset level 1)"),
    Parameter("reps", int, 2, "GroundState: QAOA layers p", minimum=1, optional=False),
    Parameter("maxiter", int, 200, "GroundState: COBYLA's cap on objective evaluations", minimum=1, optional=False),
    Parameter(
        "tol",
        float,
        None,
        "GroundState: COBYLA's final trust-region radius (None: scipy's default)",
        minimum=0,
        maximum=1,
        exclusive_minimum=True,
        exclusive_maximum=True,
    ),
    Parameter("initial_point", object, None, "GroundState: 2p angles [β..., γ...] (default: linear ramp)"),
    Parameter("warm_start", object, None, "GroundState: per-variable spins/magnetisations in [-1, 1]"),
    Parameter(
        "warm_start_epsilon",
        float,
        0.25,
        "GroundState: warm-start regularisation ε",
        minimum=0,
        maximum=0.5,
        exclusive_minimum=True,
        optional=False,
    ),
    Parameter("layers", int, None, "Anneal: number of Trotter layers (default: from max_step_angle)", minimum=1),
    Parameter("max_layers", int, 4000, "Anneal: cap on the automatic layer count", minimum=1, optional=False),
    Parameter("steps", int, None, "Survival: Trotter steps (default: from max_step_angle)", minimum=1),
    Parameter(
        "trotter_order", int, 2, "Survival: 1 = Lie–Trotter, 2 = second-order Suzuki", choices=(1, 2), optional=False
    ),
    Parameter(
        "max_step_angle",
        float,
        0.2,
        "Anneal/Survival: Trotter step size bound (radians)",
        minimum=0,
        maximum=math.pi,
        exclusive_minimum=True,
        optional=False,
    ),
)
DEFAULT_OPTIONS: Mapping[str, Any] = {p.name: p.default for p in RUN_PARAMETERS}


def checked_options(opts: dict[str, Any]) -> dict[str, Any]:
    """``opts`` checked one by one against :data:`RUN_PARAMETERS`, then against each other."""
    opts = check_options(opts, RUN_PARAMETERS, owner="qaoa")
    if opts["maxiter"] < 2 * opts["reps"] + 2:
        raise InvalidInputError(
            f"maxiter = {opts['maxiter']} is below what COBYLA needs for 2·reps = {2 * opts['reps']} angles; "
            f"use maxiter ≥ {2 * opts['reps'] + 2}"
        )
    if isinstance(opts["primitive"], str) and opts["primitive"] not in ("exact", "statevector", "aer"):
        raise InvalidInputError(
            f"unknown primitive {opts['primitive']!r}; use 'exact' (default), 'statevector', 'aer' or a Qiskit "
            "SamplerV2 instance"
        )
    return opts
