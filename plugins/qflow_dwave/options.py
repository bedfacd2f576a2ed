"""The run options of ``dwave`` and ``dwave-mock``, checked once per run.

>>> opts = RunOptions.parse({"num_spin_reversal_transforms": 2, "chain_strength": 1.5})
>>> opts.gauges(), opts.chain_strength, opts.pilot_reads
(2, 1.5, 500)
>>> RunOptions.parse({"anneal_time": 5})
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: dwave samplers do not understand option(s) ['anneal_time']; ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.parameters import Parameter
from qflow_core.schedules import AnnealSchedule, default_schedule

__all__ = [
    "DEFAULT_GAUGES",
    "DEFAULT_MOCK_BETA",
    "DEFAULT_MOCK_SWEEPS",
    "DEFAULT_PILOT_READS",
    "DEFAULT_SWEEPS_PER_US",
    "DEFAULT_TEMPERATURE_MK",
    "RUN_OPTIONS",
    "RUN_PARAMETERS",
    "SUBSTITUTE_SEED",
    "RunOptions",
]

# The mock's defaults live here, beside the run options, so the sampler classes read them without importing
# the models (qflow_dwave.mock, qflow_dwave.quantum), which load dimod and dwave-samplers.
#: Inverse temperature of the mock's thermal model in programmed-energy units (|J| ≤ 1 after auto-scaling).
DEFAULT_MOCK_BETA = 3.0
#: Metropolis sweeps per read of the mock's thermal model, and its sweeps per µs of anneal time.
DEFAULT_MOCK_SWEEPS = 1000
DEFAULT_SWEEPS_PER_US = 10.0
#: Keyword argument of one mock solver call that carries that call's seed for the substitute sampler.
SUBSTITUTE_SEED = "substitute_seed"
#: Bath temperature of the mock's path-integral substitute, in mK.
DEFAULT_TEMPERATURE_MK = 12.0

#: Spin-reversal transforms (gauges) per forward anneal unless ``num_spin_reversal_transforms`` says otherwise.
DEFAULT_GAUGES = 4
#: Reads of Boltzmann's pilot pass (capped at the run's ``num_reads``).
DEFAULT_PILOT_READS = 500
#: The declared run options (the base class checks names and ranges before :meth:`RunOptions.parse`).
RUN_PARAMETERS = (
    Parameter("num_spin_reversal_transforms", int, None, "gauges per call (default: 4)", minimum=0),
    Parameter(
        "chain_strength",
        float,
        None,
        "chain coupling in BQM units (default: Ocean's)",
        minimum=0,
        exclusive_minimum=True,
    ),
    Parameter("embedding", object, None, "each variable's chain of qubits, e.g. {'a': (12, 13)}"),
    Parameter("schedule", object, None, "A(s), B(s) table or AnnealSchedule (default: the default schedule)"),
    Parameter("rescale", bool, True, "rescale the BQM into the solver's h, J ranges"),
    Parameter(
        "pilot_reads", int, DEFAULT_PILOT_READS, "reads of the β-estimating pilot run", minimum=2, optional=False
    ),
    Parameter("label", object, None, "problem label shown in the D-Wave dashboard"),
    Parameter("qpu_parameters", object, None, "other solver parameters, as a dict"),
)
RUN_OPTIONS = tuple(p.name for p in RUN_PARAMETERS)
#: Solver parameters qflow sets itself from the protocol and the run; ``qpu_parameters`` may not set them.
RESERVED_QPU_PARAMETERS = frozenset({"num_reads", "answer_mode", "chain_strength", "initial_state", "fast_anneal"})


class RunOptions:
    """Validated backend options of one run (see :data:`RUN_OPTIONS` and the README)."""

    def __init__(self, **values: Any) -> None:
        self.num_spin_reversal_transforms: int | None = values.get("num_spin_reversal_transforms")
        self.chain_strength: float | None = values.get("chain_strength")
        self.embedding: dict | None = values.get("embedding")
        self.schedule: AnnealSchedule = values.get("schedule") or default_schedule()
        self.rescale: bool = values.get("rescale", True)
        self.pilot_reads: int = values.get("pilot_reads", DEFAULT_PILOT_READS)
        self.label: str | None = values.get("label")
        self.qpu_parameters: dict[str, Any] = dict(values.get("qpu_parameters") or {})

    def gauges(self, default: int = DEFAULT_GAUGES) -> int:
        """The number of spin-reversal transforms asked for, or ``default``."""
        return default if self.num_spin_reversal_transforms is None else self.num_spin_reversal_transforms

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> RunOptions:
        """Check ``options`` (names, types, ranges) and return them as :class:`RunOptions`."""
        unknown = sorted(set(options) - set(RUN_OPTIONS))
        if unknown:
            raise InvalidInputError(
                f"dwave samplers do not understand option(s) {unknown}; valid options: {', '.join(RUN_OPTIONS)}; "
                "pass other solver parameters as qpu_parameters={...}"
            )
        values = dict(options)
        srt = values.get("num_spin_reversal_transforms")
        if srt is not None and (isinstance(srt, bool) or not isinstance(srt, (int, np.integer)) or srt < 0):
            raise InvalidInputError(f"num_spin_reversal_transforms must be an integer ≥ 0, got {srt!r}")
        strength = values.get("chain_strength")
        if strength is not None and not (isinstance(strength, (int, float)) and strength > 0):
            raise InvalidInputError(f"chain_strength must be a number > 0 (BQM units), got {strength!r}")
        if values.get("embedding") is not None and not isinstance(values["embedding"], Mapping):
            raise InvalidInputError("embedding must map each variable to its chain of qubits, e.g. {'a': (12, 13)}")
        if values.get("schedule") is not None and not isinstance(values["schedule"], AnnealSchedule):
            values["schedule"] = AnnealSchedule.from_table(values["schedule"])
        pilot = values.get("pilot_reads", DEFAULT_PILOT_READS)
        if isinstance(pilot, bool) or not isinstance(pilot, (int, np.integer)) or pilot < 2:
            raise InvalidInputError(f"pilot_reads must be an integer ≥ 2, got {pilot!r}")
        extra = values.get("qpu_parameters") or {}
        clash = sorted(set(extra) & RESERVED_QPU_PARAMETERS)
        if clash:
            raise InvalidInputError(f"qpu_parameters may not set {clash}: qflow sets them from the protocol")
        return cls(**values)
