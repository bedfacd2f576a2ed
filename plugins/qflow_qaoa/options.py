"""The run options of the ``qaoa`` sampler: every name with its default, checked once per run.

>>> opts = checked_options({**DEFAULT_OPTIONS, "reps": 3})
>>> opts["reps"], opts["primitive"]
(3, 'exact')
>>> checked_options({**DEFAULT_OPTIONS, "trotter_order": 4})
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: trotter_order must be 1 (Lie–Trotter) or 2 (Suzuki), got 4
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from qflow_core.errors import InvalidInputError
from qflow_core.validation import positive_int

__all__ = ["DEFAULT_OPTIONS", "checked_options"]

#: Every option ``run`` (or the constructor) accepts, with its default. Options that do not concern the
#: protocol being run are accepted and ignored, so one set of options can serve every protocol.
DEFAULT_OPTIONS: Mapping[str, Any] = {
    "primitive": "exact",  # "exact" | "statevector" | "aer" | a Qiskit SamplerV2 instance
    "pass_manager": None,  # transpiles circuits for a primitive (default: preset level 1)
    "reps": 2,  # GroundState: QAOA layers p
    "maxiter": 200,  # GroundState: COBYLA's cap on objective evaluations
    "tol": None,  # GroundState: COBYLA's final trust-region radius (None: scipy's default)
    "initial_point": None,  # GroundState: 2p angles [β..., γ...] (default: linear ramp)
    "warm_start": None,  # GroundState: per-variable spins/magnetisations in [-1, 1]
    "warm_start_epsilon": 0.25,  # GroundState: warm-start regularisation ε
    "layers": None,  # Anneal: number of Trotter layers (default: from max_step_angle)
    "max_layers": 4000,  # Anneal: cap on the automatic layer count
    "steps": None,  # Survival: Trotter steps (default: from max_step_angle)
    "trotter_order": 2,  # Survival: 1 = Lie–Trotter, 2 = second-order Suzuki
    "max_step_angle": 0.2,  # Anneal/Survival: Trotter step size bound (radians)
}


def checked_options(opts: dict[str, Any]) -> dict[str, Any]:
    """Check a complete option set (names, types, ranges), normalising counts to int, in place; return it."""
    unknown = set(opts) - set(DEFAULT_OPTIONS)
    if unknown:
        raise InvalidInputError(
            f"qaoa does not understand option(s) {sorted(unknown)}; valid options: {', '.join(DEFAULT_OPTIONS)}"
        )
    for key in ("reps", "maxiter", "max_layers"):
        opts[key] = positive_int(key, opts[key])
    for key in ("layers", "steps"):
        if opts[key] is not None:
            opts[key] = positive_int(key, opts[key])
    if opts["maxiter"] < 2 * opts["reps"] + 2:
        raise InvalidInputError(
            f"maxiter = {opts['maxiter']} is below what COBYLA needs for 2·reps = {2 * opts['reps']} angles; "
            f"use maxiter ≥ {2 * opts['reps'] + 2}"
        )
    if opts["trotter_order"] not in (1, 2):
        raise InvalidInputError(f"trotter_order must be 1 (Lie–Trotter) or 2 (Suzuki), got {opts['trotter_order']!r}")
    angle = opts["max_step_angle"]
    if isinstance(angle, bool) or not isinstance(angle, (int, float)) or not 0 < angle <= math.pi:
        raise InvalidInputError(f"max_step_angle must be a number in (0, π], got {angle!r}")
    tol = opts["tol"]
    if tol is not None and (isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1):
        raise InvalidInputError(f"tol must be None or a number in (0, 1), got {tol!r}")
    epsilon = opts["warm_start_epsilon"]
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 < epsilon <= 0.5:
        raise InvalidInputError(f"warm_start_epsilon must be in (0, 0.5], got {epsilon!r}")
    if isinstance(opts["primitive"], str) and opts["primitive"] not in ("exact", "statevector", "aer"):
        raise InvalidInputError(
            f"unknown primitive {opts['primitive']!r}; use 'exact' (default), 'statevector', 'aer' or a Qiskit "
            "SamplerV2 instance"
        )
    return opts
