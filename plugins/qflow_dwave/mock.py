"""The offline QPU of ``dwave-mock``: Ocean's ``MockDWaveSampler`` with a thermal substitute sampler.

``MockDWaveSampler`` reproduces a QPU's interface (topology, properties, parameters, info) but by default
returns greedy-descent minima. :class:`ThermalSubstitute` replaces that with a *thermal model* of a QPU,
working on the embedded (physical-qubit) problem exactly as the QPU would receive it:

* the programmed problem is what SAPI would program: with ``auto_scale`` (the QPU default) the biases are
  stretched over ``h_range``/``j_range``; with ``auto_scale=False`` out-of-range biases are rejected;
* **forward anneal** (standard or ``fast_anneal``): fixed-β single-flip Metropolis (dwave-samplers SA) at
  ``beta`` in programmed-energy units from a random start, for at most ``num_sweeps`` sweeps: it stops once
  the reads' mean energy no longer drifts (:mod:`qflow_dwave.equilibration`) — the freeze-out picture of a
  QPU sample, i.e. Boltzmann at an effective temperature once the chain has mixed;
* **reverse anneal** (``initial_state`` + an ``anneal_schedule`` starting at s = 1,
  ``reinitialize_state=True``): every read starts from ``initial_state`` and hops thermally — Metropolis
  sweeps at β(s) = beta·B(s)/B(1) (the problem energy scale shrinks at the turning point), occurring at the
  rate ``sweeps_per_us``·min(1, Γ(s)²) per µs with Γ(s) = A(s)/B(s) (golden-rule rates ∝ Γ²: no hopping
  without a transverse field). A dephased survival experiment in the classical-bath picture.

It models no coherent quantum dynamics, no transverse field, no noise or crosstalk; its fidelity is
"approximate" throughout.

Seeds travel with each call: the mock of :func:`build_mock` takes the extra keyword ``substitute_seed`` and
hands it to its substitute as ``seed``, so calls from many threads never share a seed through the mock.

>>> import dimod
>>> sub = ThermalSubstitute(beta=2.0, num_sweeps=100)
>>> bqm = dimod.BQM({"a": 0.1}, {("a", "b"): -1.0}, 0.0, "SPIN")
>>> ss = sub.sample(bqm, num_reads=4, seed=3, initial_state={"a": 1, "b": -1},
...                 anneal_schedule=[[0, 1], [1, 1]])
>>> len(ss), sorted(ss.info["thermal_model"])
(4, ['beta_schedule_range', 'num_sweeps', 'programmed_scale'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dimod
import numpy as np
from dwave.samplers import SimulatedAnnealingSampler

from qflow_core.schedules import AnnealSchedule, default_schedule
from qflow_dwave._ocean import ocean
from qflow_dwave.equilibration import equilibrated_metropolis
from qflow_dwave.options import DEFAULT_MOCK_BETA, DEFAULT_MOCK_SWEEPS, DEFAULT_SWEEPS_PER_US, SUBSTITUTE_SEED
from qflow_dwave.solver_rules import range_scale

__all__ = [
    "DEFAULT_MOCK_BETA",
    "QPU_PARAMETERS",
    "SUBSTITUTE_SEED",
    "SeedPerCall",
    "ThermalSubstitute",
    "build_mock",
    "programmed_problem",
]

DEFAULT_SWEEPS = DEFAULT_MOCK_SWEEPS
#: The QPU keyword arguments a substitute declares (the mock passes every solver parameter through).
QPU_PARAMETERS = ("num_reads", "seed", "auto_scale", "anneal_schedule", "initial_state", "reinitialize_state")


class ThermalSubstitute(dimod.Sampler):
    """Thermal stand-in for a QPU, used as ``MockDWaveSampler(substitute_sampler=...)`` (see module doc)."""

    def __init__(
        self,
        *,
        beta: float = DEFAULT_MOCK_BETA,
        num_sweeps: int = DEFAULT_SWEEPS,
        sweeps_per_us: float = DEFAULT_SWEEPS_PER_US,
        schedule: AnnealSchedule | None = None,
        h_range: Sequence[float] = (-4.0, 4.0),
        j_range: Sequence[float] = (-1.0, 1.0),
    ) -> None:
        self.beta = float(beta)
        self.num_sweeps = int(num_sweeps)
        self.sweeps_per_us = float(sweeps_per_us)
        self.schedule = schedule or default_schedule()
        self.h_range = tuple(h_range)
        self.j_range = tuple(j_range)

    @property
    def parameters(self) -> dict[str, list]:
        return {name: [] for name in QPU_PARAMETERS}

    @property
    def properties(self) -> dict[str, Any]:
        return {"beta": self.beta, "num_sweeps": self.num_sweeps, "sweeps_per_us": self.sweeps_per_us}

    def describe(self, *, reverse: bool) -> dict[str, Any]:
        """The model of a forward (``reverse=False``) or reverse anneal, for a run's ``info``.

        >>> ThermalSubstitute().describe(reverse=False)["model"]
        'thermal Metropolis (dwave-samplers SA) at fixed beta'
        """
        if reverse:
            return {
                "model": "thermal hopping from initial_state (Metropolis at beta*B(s)/B(1), rate ~ min(1, Γ(s)^2))",
                "beta": self.beta,
                "sweeps_per_us": self.sweeps_per_us,
            }
        return {
            "model": "thermal Metropolis (dwave-samplers SA) at fixed beta",
            "beta": self.beta,
            "max_sweeps": self.num_sweeps,
            "sweeps": "until the mean energy stops drifting (qflow_dwave.equilibration), at most max_sweeps",
        }

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        num_reads: int = 1,
        seed: int | None = None,
        auto_scale: bool = True,
        anneal_schedule: Sequence[Sequence[float]] | None = None,
        initial_state: Mapping[Any, int] | None = None,
        reinitialize_state: bool = True,
        **qpu_parameters: Any,
    ) -> dimod.SampleSet:
        """Sample ``bqm`` (SPIN, physical qubits) as the thermal model of the module doc describes.

        QPU parameters the model does not depend on (``annealing_time``, ``fast_anneal``, ``answer_mode``,
        ``label``, thermalization times, ...) are accepted and have no effect.
        """
        spin, programmed, scale = programmed_problem(bqm, auto_scale, self.h_range, self.j_range)
        kwargs: dict[str, Any] = {"num_reads": num_reads, "seed": seed}
        if initial_state is not None:
            if not reinitialize_state:
                raise ValueError("the thermal mock only emulates reverse anneals with reinitialize_state=True")
            if anneal_schedule is None or anneal_schedule[0][1] != 1:
                raise ValueError("initial_state needs a reverse anneal_schedule starting at s = 1")
            betas = self._reverse_betas(anneal_schedule)
            start = np.array([[initial_state[v] for v in spin.variables]], dtype=np.int8)
            kwargs.update(initial_states=(start, list(spin.variables)), initial_states_generator="tile")
            if len(betas):
                kwargs.update(beta_schedule_type="custom", beta_schedule=betas)
            else:  # no hopping at all: every read returns its initial state
                kwargs.update(beta_range=[self.beta, self.beta], num_sweeps=0)
            result = SimulatedAnnealingSampler().sample(programmed, **kwargs)
            sweeps = len(betas)
        else:
            betas = np.array([self.beta])
            result, sweeps = equilibrated_metropolis(
                programmed, beta=self.beta, max_sweeps=self.num_sweeps, num_reads=num_reads, seed=seed
            )
        sampleset = dimod.SampleSet.from_samples_bqm((result.record.sample, list(result.variables)), bqm)
        sampleset.info["thermal_model"] = {
            "programmed_scale": scale,
            "num_sweeps": sweeps,
            "beta_schedule_range": [float(np.min(betas)), float(np.max(betas))] if len(betas) else [],
        }
        return sampleset

    def _reverse_betas(self, anneal_schedule: Sequence[Sequence[float]]) -> np.ndarray:
        """β of each Metropolis sweep: sweep k happens when the accumulated hopping ∫rate dt reaches k + ½."""
        t, s = np.asarray(anneal_schedule, dtype=float).T
        grid = np.linspace(t[0], t[-1], max(2, int(np.ceil((t[-1] - t[0]) * self.sweeps_per_us * 20)) + 1))
        s_grid = np.interp(grid, t, s)
        rate = self.sweeps_per_us * np.minimum(1.0, np.asarray(self.schedule.gamma(s_grid)) ** 2)
        accumulated = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(grid))])
        when = np.interp(np.arange(round(accumulated[-1])) + 0.5, accumulated, grid)
        return self.beta * np.asarray(self.schedule.B(np.interp(when, t, s))) / float(self.schedule.B(1.0))


def programmed_problem(
    bqm: dimod.BinaryQuadraticModel, auto_scale: bool, h_range: Sequence[float], j_range: Sequence[float]
) -> tuple[dimod.BinaryQuadraticModel, dimod.BinaryQuadraticModel, float]:
    """(``bqm`` as SPIN, the problem SAPI would program, its scale): auto-scaled into the ranges, or checked.

    >>> import dimod
    >>> _, programmed, scale = programmed_problem(dimod.BQM({"a": 8.0}, {}, 0.0, "SPIN"), True, (-4, 4), (-1, 1))
    >>> scale, float(programmed.linear["a"])
    (0.5, 4.0)
    """
    spin = bqm if bqm.vartype is dimod.SPIN else bqm.change_vartype(dimod.SPIN, inplace=False)
    linear, (_, _, quadratic), _ = spin.to_numpy_vectors()
    if auto_scale:
        scale = range_scale(linear, quadratic, h_range, j_range)
    else:
        _reject_out_of_range(linear, quadratic, h_range, j_range)
        scale = 1.0
    programmed = spin.copy()
    programmed.scale(scale)
    return spin, programmed, scale


def _reject_out_of_range(linear: np.ndarray, quadratic: np.ndarray, h_range: Sequence[float], j_range: Sequence[float]):
    for what, values, (lo, hi) in (("h", linear, h_range), ("J", quadratic, j_range)):
        if values.size and (values.min() < lo or values.max() > hi):
            raise ValueError(f"{what} out of range [{lo}, {hi}] with auto_scale=False (the QPU would reject it)")


class SeedPerCall(dimod.Sampler):
    """The substitute as the mock calls it: a call's ``substitute_seed`` argument becomes the ``seed`` of
    ``substitute.sample``; without one, the call is made as given.

    >>> import dimod
    >>> seeded = SeedPerCall(ThermalSubstitute(num_sweeps=10))
    >>> bqm = dimod.BQM({"a": 0.2}, {}, 0.0, "SPIN")
    >>> a, b = (seeded.sample(bqm, num_reads=16, substitute_seed=5) for _ in range(2))
    >>> (a.record.sample == b.record.sample).all()
    np.True_
    """

    def __init__(self, substitute: dimod.Sampler) -> None:
        self.substitute = substitute

    @property
    def parameters(self) -> dict[str, list]:
        return {**self.substitute.parameters, SUBSTITUTE_SEED: []}

    @property
    def properties(self) -> dict[str, Any]:
        return self.substitute.properties

    def sample(self, bqm: dimod.BinaryQuadraticModel, **kwargs: Any) -> dimod.SampleSet:
        seed = kwargs.pop(SUBSTITUTE_SEED, None)
        if seed is not None:
            kwargs["seed"] = seed
        return self.substitute.sample(bqm, **kwargs)


def build_mock(
    topology: str,
    shape: Sequence[int] | None,
    substitute: dimod.Sampler,
) -> Any:
    """``MockDWaveSampler`` of the given Pegasus/Zephyr topology sampling with ``substitute``.

    Besides the QPU's parameters it accepts ``substitute_seed`` (see :class:`SeedPerCall`).
    """
    testing = ocean("testing")
    mock = testing.MockDWaveSampler(
        topology_type=topology,
        topology_shape=list(shape) if shape is not None else None,
        parameter_warnings=False,
        substitute_sampler=SeedPerCall(substitute),
        exact_solver_cutoff=0,
    )
    mock.parameters[SUBSTITUTE_SEED] = ["parameters"]
    return mock
