"""Simulated annealing through dwave-samplers' ``SimulatedAnnealingSampler`` (single-flip Metropolis).

Protocol mapping (energies in BQM units, Metropolis acceptance exp(−β ΔE)):

* ``Boltzmann(beta)`` — every sweep at the fixed β (``beta_range=[β, β]``), 1000 sweeps per read from a
  random start by default, so each read is an independent equilibrated chain. Check mixing on small models:
  barriers of height B need β·B to stay moderate.
* ``Anneal(kind, time_us)`` — dwave-samplers' geometric β schedule (hot to cold), with
  ``num_sweeps = max(10, round(50 · time_us))``: one sweep per 20 ns, so the 20 µs standard anneal is 1000
  sweeps and the 20 ns fast anneal the 10-sweep floor.
* ``Survival(state, regime="dephased", beta, time)`` — every read starts from ``state`` and runs
  ``ceil(time)`` sweeps at fixed β: thermal single-flip leakage. ``time`` counts sweeps and Γ is not used
  (there is no transverse field in a classical chain).
* ``GroundState(gamma)`` — a 1000-sweep geometric anneal to low temperature; approximate, Γ ignored.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qflow_core.parameters import Parameter
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Protocol, Survival, as_protocol
from qflow_core.sampler import Sampler, attach_details

if TYPE_CHECKING:  # dimod and dwave-samplers load with the first instance, not when the plugin is listed
    import dimod

__all__ = ["SimulatedAnnealing", "anneal_sweeps"]

SWEEPS_PER_US = 50
DEFAULT_SWEEPS = 1000


def beta_pair(value: object) -> list[float]:
    """``[β_hot, β_cold]`` as two finite floats > 0 (ValueError otherwise; dwave-samplers' own message is vaguer).

    >>> beta_pair((0.1, 3))
    [0.1, 3.0]
    """
    if isinstance(value, (str, bytes)):
        raise ValueError(value)
    pair = [float(v) for v in value]  # TypeError for a non-iterable, ValueError for non-numbers
    if len(pair) != 2 or not all(math.isfinite(b) and b > 0 for b in pair):
        raise ValueError(value)
    return pair


#: Backend options forwarded to ``SimulatedAnnealingSampler.sample`` (it ignores unknown names silently,
#: so qflow declares them and the base class checks them). None or absent: set from the protocol.
RUN_PARAMETERS = (
    Parameter("num_sweeps", int, None, "sweeps per read (default: from the protocol)", minimum=1),
    Parameter("randomize_order", bool, False, "visit spins in random order each sweep"),
    Parameter(
        "proposal_acceptance_criteria", str, "Metropolis", "spin-flip acceptance rule", choices=("Metropolis", "Gibbs")
    ),
    Parameter("num_sweeps_per_beta", int, 1, "sweeps at each β of the schedule", minimum=1),
    Parameter(
        "beta_range",
        object,
        None,
        "[β_hot, β_cold] of the schedule (default: from the protocol)",
        validate=beta_pair,
        allowed="two finite numbers [β_hot, β_cold], both > 0",
    ),
    Parameter(
        "beta_schedule_type",
        str,
        None,
        "shape of the β schedule (default: from the protocol)",
        choices=("linear", "geometric", "custom"),
    ),
)
FORWARDED_OPTIONS = tuple(p.name for p in RUN_PARAMETERS)


def anneal_sweeps(time_us: float) -> int:
    """Sweeps of an SA anneal of ``time_us`` microseconds: one per 20 ns, at least 10."""
    return max(10, round(SWEEPS_PER_US * time_us))


class SimulatedAnnealing(Sampler):
    """Simulated annealing (dwave-samplers): fixed-β Boltzmann, β-schedule anneals, thermal survival."""

    name: ClassVar[str] = "sa"
    aliases: ClassVar[tuple[str, ...]] = ("neal",)
    capabilities: ClassVar[dict[str, str]] = {
        "boltzmann": "native",
        "anneal": "native",
        "survival:dephased": "native",
        "ground_state": "approximate",
    }
    default_protocol: ClassVar[Protocol] = Anneal("standard")
    run_parameters: ClassVar[tuple[Parameter, ...]] = RUN_PARAMETERS

    def __init__(self) -> None:
        from dwave.samplers import SimulatedAnnealingSampler

        self._sampler = SimulatedAnnealingSampler()

    def physics_class(self, protocol: Protocol | str) -> str:
        """Fixed-β runs (Boltzmann, thermal survival) are thermal by construction; anneals and ground states run a
        β schedule, a classical non-equilibrium process ("classical anneal")."""
        fixed_beta = isinstance(as_protocol(protocol), (Boltzmann, Survival))
        return "thermal by construction" if fixed_beta else "classical anneal"

    def _run(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> dimod.SampleSet:
        kwargs: dict[str, Any] = {"num_reads": num_reads, "seed": seed}
        notes: dict[str, Any] = {}
        if isinstance(protocol, Boltzmann):
            kwargs.update(
                beta_range=[protocol.beta, protocol.beta], beta_schedule_type="linear", num_sweeps=DEFAULT_SWEEPS
            )
        elif isinstance(protocol, Anneal):
            kwargs.update(beta_schedule_type="geometric", num_sweeps=anneal_sweeps(protocol.time_us))
            if protocol.schedule is not None:
                warnings.warn(
                    "sa ignores the energy schedule A(s), B(s); it anneals with a geometric β schedule",
                    UserWarning,
                    stacklevel=4,
                )
                notes["schedule"] = "ignored: geometric beta schedule"
        elif isinstance(protocol, Survival):
            start = np.tile(np.asarray(protocol.state, dtype=np.int8), (num_reads, 1))
            kwargs.update(
                beta_range=[protocol.beta, protocol.beta],
                beta_schedule_type="linear",
                num_sweeps=math.ceil(protocol.time),
                initial_states=(start, list(bqm.variables)),
            )
            notes["gamma"] = "ignored: classical single-flip chain"
            notes["time"] = "not used as physical time: it counts sweeps (one per unit)"
        elif isinstance(protocol, GroundState):
            kwargs.update(beta_schedule_type="geometric", num_sweeps=DEFAULT_SWEEPS)
            notes["gamma"] = "ignored: classical low-temperature anneal"
        kwargs.update({key: value for key, value in options.items() if value is not None})
        sampleset = self._sampler.sample(bqm, **kwargs)
        sampleset.info.pop("timing", None)
        details = {k: v for k, v in kwargs.items() if k not in ("initial_states", "seed", "num_reads")}
        return attach_details(sampleset, **details, **notes)
