"""The ``qaoa`` sampler: QAOA-form circuits on an exact statevector or on any Qiskit SamplerV2 primitive.

Protocols (all ``approximate``; details and formulas in :mod:`qflow_qaoa.angles` and
:mod:`qflow_qaoa.variational`):

* ``GroundState(gamma=0)`` — variational QAOA (p = ``reps`` layers, COBYLA from an explicit initial point,
  optional warm start), then the optimised circuit is sampled. ``gamma > 0`` is refused: a QAOA state
  minimises the classical cost ⟨E(σᶻ)⟩ and has no meaning as the ground state of E(σᶻ) − ΓΣσˣ; use
  ``exact`` for that.
* ``Anneal(kind, time_us, schedule)`` — linear-ramp QAOA: fixed angles from the discretised schedule, a
  Trotterised quantum anneal (no optimisation).
* ``Survival(state, gamma, time, regime="coherent")`` — X gates prepare the state, Trotterised
  exp(−i t (E(σᶻ) − ΓΣσˣ)) (Lie–Trotter or second-order Suzuki), measure. ``regime="dephased"`` and
  ``Boltzmann`` are not supported (the base class names the samplers that are).

``primitive`` (constructor or run option) chooses where circuits run:

* ``"exact"`` (default) — the exact statevector of the same circuits in numpy. Results hold every basis
  state with its Born ``probability`` plus seeded multinomial ``num_occurrences`` summing to ``num_reads``.
* ``"statevector"`` (Qiskit's ``StatevectorSampler``), ``"aer"`` (Aer's ``SamplerV2``, extra
  ``qflow[aer]``), both seeded with the run seed, or any Qiskit ``SamplerV2`` instance (a device's
  primitive; its own seeding applies) — the real circuits, transpiled with ``pass_manager`` (default:
  :func:`~qflow_qaoa.circuits.default_pass_manager`), ``num_reads`` shots, one row per observed bitstring.

Every option, with its default and meaning, is in :data:`qflow_qaoa.options.DEFAULT_OPTIONS`; options that do
not concern the protocol being run are accepted and ignored.

>>> import dimod
>>> from qflow_core import GroundState
>>> bqm = dimod.BQM({0: 0.5, 1: -0.3}, {(0, 1): -1.0}, 0.0, "SPIN")
>>> ss = QAOASampler().run(bqm, GroundState(), num_reads=100, seed=1, reps=1)
>>> len(ss), int(ss.record.num_occurrences.sum()), round(float(ss.record.probability.sum()), 9)
(4, 100, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qflow_core.errors import InvalidInputError, ProblemTooLargeError
from qflow_core.parameters import Parameter
from qflow_core.protocols import Anneal, GroundState, Protocol, Survival, as_protocol
from qflow_core.sampler import Sampler, attach_details
from qflow_core.schedules import AnnealSchedule, default_schedule
from qflow_qaoa.angles import anneal_angles, anneal_layers, survival_angles, survival_steps
from qflow_qaoa.circuits import make_primitive, qaoa_circuit, run_counts
from qflow_qaoa.distribution import counts_sampleset, exact_sampleset
from qflow_qaoa.ising import diagonal_energies, ising_operator, local_field_scale
from qflow_qaoa.options import DEFAULT_OPTIONS, RUN_PARAMETERS, checked_options
from qflow_qaoa.statevector import basis_state, evolve, plus_state, probabilities
from qflow_qaoa.variational import optimise_exact, optimise_on_primitive, ramp_initial_point, warm_start_thetas

if TYPE_CHECKING:
    import dimod

__all__ = ["MAX_EXACT_QUBITS", "QAOASampler"]

#: Largest problem the exact statevector path takes (its SampleSet lists all 2ⁿ states).
MAX_EXACT_QUBITS = 20


class QAOASampler(Sampler):
    """Gate-model QAOA (Qiskit): variational ground state, linear-ramp anneal, Trotterised survival."""

    name: ClassVar[str] = "qaoa"
    capabilities: ClassVar[dict[str, str]] = {
        "anneal": "approximate",
        "survival:coherent": "approximate",
        "ground_state": "approximate",
    }
    default_protocol: ClassVar[Protocol] = GroundState()
    run_parameters: ClassVar[tuple[Parameter, ...]] = RUN_PARAMETERS

    def __init__(self, primitive: Any = "exact", pass_manager: Any = None, **options: Any) -> None:
        self._defaults = checked_options(
            {**DEFAULT_OPTIONS, **options, "primitive": primitive, "pass_manager": pass_manager}
        )

    @classmethod
    def supports(cls, protocol: Protocol | str) -> str | None:
        """As declared, except ``GroundState(gamma > 0)``: None (QAOA minimises the classical cost only)."""
        protocol = as_protocol(protocol)
        if isinstance(protocol, GroundState) and protocol.gamma > 0:
            return None
        return super().supports(protocol)

    def physics_class(self, protocol: Protocol | str) -> str:
        """Every run is a gate circuit applied to a state vector: coherent unitary."""
        return "coherent unitary"

    @classmethod
    def unsupported_reason(cls, protocol: Protocol) -> str | None:
        if isinstance(protocol, GroundState) and protocol.gamma > 0:
            return "qaoa runs GroundState(gamma=0) only: the variational minimum of the classical energy"
        return None

    def _run(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> dimod.SampleSet:
        opts = checked_options({**self._defaults, **options})
        n = bqm.num_variables
        exact = isinstance(opts["primitive"], str) and opts["primitive"] == "exact"
        if exact and n > MAX_EXACT_QUBITS:
            raise ProblemTooLargeError(
                "the exact QAOA statevector and its full distribution",
                n=n,
                required_bytes=(40 + n) * 2.0**n,
                limit=f"the exact path takes n ≤ {MAX_EXACT_QUBITS}; use primitive='aer' for shot-based runs",
            )
        run = _Run(bqm, opts, num_reads=num_reads, seed=seed, exact=exact)
        if isinstance(protocol, GroundState):
            return run.ground_state()
        if isinstance(protocol, Anneal):
            return run.anneal(protocol)
        if isinstance(protocol, Survival):
            return run.survival(protocol)
        raise AssertionError(f"unreachable: {protocol} passed supports()")  # pragma: no cover


class _Run:
    """One ``run`` call: the BQM in both representations and the chosen primitive."""

    def __init__(
        self, bqm: dimod.BinaryQuadraticModel, opts: dict[str, Any], *, num_reads: int, seed: int, exact: bool
    ):
        self.bqm, self.opts, self.num_reads, self.seed, self.exact = bqm, opts, num_reads, seed, exact
        self.n = bqm.num_variables
        self.field_scale = local_field_scale(bqm)
        if exact:
            self.diag = diagonal_energies(bqm)
            self.details: dict[str, Any] = {"primitive": "exact", "shots": None}
        else:
            self.operator, self.offset = ising_operator(bqm)
            spec = opts["primitive"]
            self.sampler = make_primitive(spec, seed=seed, shots=num_reads)
            named = isinstance(spec, str)
            self.details = {
                "primitive": spec if named else type(spec).__name__,
                "shots": num_reads,
                "primitive_seeded": named,
            }

    # -- protocols ----------------------------------------------------------------------------------------
    def ground_state(self) -> dimod.SampleSet:
        reps = self.opts["reps"]
        initial_point = self._initial_point(reps)
        warm = self._warm_thetas()
        settings = {
            "reps": reps,
            "maxiter": self.opts["maxiter"],
            "optimizer": "COBYLA",
            "warm_start": warm is not None,
        }
        if self.exact:
            offset = float(self.bqm.offset)
            result, psi = optimise_exact(
                self.diag - offset,
                n=self.n,
                reps=reps,
                initial_point=initial_point,
                maxiter=self.opts["maxiter"],
                tol=self.opts["tol"],
                warm_thetas=warm,
            )
            p = probabilities(psi)
            ground = np.isclose(self.diag, self.diag.min(), rtol=0, atol=1e-9)
            sampleset = self._exact(p)
            return attach_details(
                sampleset,
                **settings,
                **result.to_dict(),
                energy=float(p @ self.diag),
                energy_is_exact=True,
                min_energy=float(self.diag.min()),
                min_energy_probability=float(p[ground].sum()),
            )
        result, circuit = optimise_on_primitive(
            self.operator,
            self.sampler,
            reps=reps,
            initial_point=initial_point,
            maxiter=self.opts["maxiter"],
            tol=self.opts["tol"],
            warm_thetas=warm,
            pass_manager=self.opts["pass_manager"],
        )
        sampleset = self._sample(circuit, result.optimal_point)
        return attach_details(
            sampleset, **settings, **result.to_dict(), energy=result.value + self.offset, energy_is_exact=False
        )

    def anneal(self, protocol: Anneal) -> dimod.SampleSet:
        schedule = default_schedule() if protocol.schedule is None else AnnealSchedule.from_table(protocol.schedule)
        time_us = float(protocol.time_us)
        if self.opts["layers"] is None:
            layers, effective = anneal_layers(
                schedule,
                time_us,
                self.field_scale,
                max_step_angle=self.opts["max_step_angle"],
                max_layers=self.opts["max_layers"],
            )
        else:
            layers, effective = self.opts["layers"], time_us
        betas, gammas = anneal_angles(schedule, effective, layers)
        details = {
            "layers": layers,
            "effective_time_us": effective,
            "schedule": "default" if protocol.schedule is None else "protocol",
            "step_angle": _step_angle(betas, gammas, self.field_scale),
        }
        if self.exact:
            sampleset = self._exact(probabilities(evolve(plus_state(self.n), self.diag, betas, gammas)))
        else:
            sampleset = self._sample(qaoa_circuit(self.operator, layers), betas + gammas)
        return attach_details(sampleset, **details)

    def survival(self, protocol: Survival) -> dimod.SampleSet:
        steps = self.opts["steps"] or survival_steps(
            protocol.gamma, protocol.time, self.field_scale, max_step_angle=self.opts["max_step_angle"]
        )
        order = self.opts["trotter_order"]
        betas, gammas = survival_angles(protocol.gamma, protocol.time, steps, order)
        details = {"steps": steps, "trotter_order": order, "step_angle": _step_angle(betas, gammas, self.field_scale)}
        if self.exact:
            index = sum(1 << i for i, spin in enumerate(protocol.state) if spin > 0)
            psi = evolve(basis_state(self.n, index), self.diag, betas, gammas)
            sampleset = self._exact(probabilities(psi))
        else:
            circuit = qaoa_circuit(self.operator, len(betas), initial_spins=protocol.state)
            sampleset = self._sample(circuit, betas + gammas)
        return attach_details(sampleset, **details)

    # -- helpers ------------------------------------------------------------------------------------------
    def _exact(self, p: np.ndarray) -> dimod.SampleSet:
        return attach_details(exact_sampleset(self.bqm, p, num_reads=self.num_reads, seed=self.seed), **self.details)

    def _sample(self, circuit: Any, values: list[float]) -> dimod.SampleSet:
        counts = run_counts(self.sampler, circuit, values, shots=self.num_reads, pass_manager=self.opts["pass_manager"])
        return attach_details(counts_sampleset(self.bqm, counts), **self.details)

    def _initial_point(self, reps: int) -> np.ndarray:
        point = self.opts["initial_point"]
        if point is None:
            return ramp_initial_point(reps, self.field_scale)
        point = np.asarray(point, dtype=float)
        if point.shape != (2 * reps,) or not np.all(np.isfinite(point)):
            raise InvalidInputError(
                f"initial_point must hold 2·reps = {2 * reps} finite angles [β_0..β_{reps - 1}, γ_0..γ_{reps - 1}], "
                f"got shape {point.shape}"
            )
        return point

    def _warm_thetas(self) -> np.ndarray | None:
        warm = self.opts["warm_start"]
        if warm is None:
            return None
        if isinstance(warm, Mapping):
            missing = [v for v in self.bqm.variables if v not in warm]
            if missing:
                raise InvalidInputError(f"warm_start lacks variable(s) {missing[:5]}; give one value per variable")
            warm = [warm[v] for v in self.bqm.variables]
        values = np.asarray(warm, dtype=float)
        if values.shape != (self.n,):
            raise InvalidInputError(
                f"warm_start must give {self.n} values (one per variable, in bqm.variables order), got shape "
                f"{values.shape}"
            )
        return warm_start_thetas(values, self.opts["warm_start_epsilon"])


def _step_angle(betas: list[float], gammas: list[float], field_scale: float) -> float:
    """Largest per-layer Trotter step angle √(|2β_k| · |2γ_k| L)."""
    b, g = np.abs(np.asarray(betas)), np.abs(np.asarray(gammas))
    return float(np.sqrt(np.max(4 * b * g * field_scale))) if len(b) else 0.0
