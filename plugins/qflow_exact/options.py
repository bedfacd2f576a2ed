"""The exact sampler's run options and their defaults, in a module that imports neither scipy nor numba.

Listing the plugin (``qflow plugins``) reads these declarations only; the numerical modules that use the
defaults (:mod:`qflow_exact.anneal`, :mod:`qflow_exact.davies`) import them from here.

>>> [p.name for p in RUN_PARAMETERS][-3:], DEFAULT_TOL
(['steps', 'max_steps', 'tol'], 1e-06)
"""

from __future__ import annotations

from qflow_core.capabilities import SPECTRAL_RUN_PARAMETERS
from qflow_core.parameters import Parameter

__all__ = ["DEFAULT_ETA", "DEFAULT_TOL", "MAX_DEFAULT_STEPS", "OPTIONS", "RUN_PARAMETERS"]

#: Default dimensionless Ohmic coupling η: weak coupling, so Davies rates ≪ level spacings at Γ ~ 0.1–1.
DEFAULT_ETA = 0.01
#: Default target for the estimated error ‖ψ − ψ_exact‖ of an anneal's final state.
DEFAULT_TOL = 1e-6
#: Cap on the automatically chosen number of S6 steps (6 diagonal phases + 6 rotation sweeps each).
MAX_DEFAULT_STEPS = 50_000

#: The backend options (see :mod:`qflow_exact.sampler`); the base class refuses any other and checks ranges.
RUN_PARAMETERS = (
    *SPECTRAL_RUN_PARAMETERS,
    Parameter("gap", bool, False, "GroundState: also compute the gap E_{level+1} - E_level"),
    Parameter("average", bool, False, "coherent Survival: time-averaged populations over [0, time]"),
    Parameter(
        "eta",
        float,
        DEFAULT_ETA,
        "dephased Survival: Ohmic bath coupling",
        minimum=0,
        exclusive_minimum=True,
        optional=False,
    ),
    Parameter("steps", int, None, "Anneal: fixed number of S6 steps (default: chosen from tol)", minimum=1),
    Parameter("max_steps", int, MAX_DEFAULT_STEPS, "Anneal: the adaptive integrator's step cap", minimum=1),
    Parameter(
        "tol",
        float,
        DEFAULT_TOL,
        "Anneal: target error of the final state",
        minimum=0,
        exclusive_minimum=True,
        optional=False,
    ),
)
OPTIONS = tuple(p.name for p in RUN_PARAMETERS)
