"""The ``exact`` sampler: every protocol solved exactly on the full 2^n state space.

Every run returns **all 2^n basis states** (rows in basis-index order, see :mod:`qflow_exact.hamiltonian`)
with the exact Born/Gibbs ``probability`` of each and seeded multinomial ``num_occurrences`` summing to
``num_reads``.

Backend options (``sampler.run(bqm, protocol, **options)``):

* ``gamma_per_spin`` — array (n,) of transverse fields Γ_i, in ``bqm.variables`` order, replacing the protocol's
  scalar Γ (Boltzmann with Γ > 0, GroundState, Survival); for Anneal, relative driver weights w_i in
  −A(s)/2 Σ w_i σˣ_i.
* ``level`` (int, GroundState) — return eigenstate number ``level`` instead of the ground state;
  ``v0`` (GroundState) — Lanczos warm start.
* ``gap`` (bool, GroundState) — also compute the gap E_{level+1} − E_level. Default False: the ground state
  of a large problem comes from a Lanczos run that finds only E0, and the gap costs a second run of about the
  same size (a cold ARPACK run for ``level`` > 0 gets it for free and reports it). Without it info has
  ``gap_computed=False``, ``gap=None`` and ``energies`` = the levels computed.
* ``average`` (bool, coherent Survival) — time-averaged populations over [0, time] instead of time ``time``.
* ``Survival(regime="pure_dephasing", kappa=κ)`` is the Lindblad equation with √κ σᶻ_i on every spin, exact in
  Liouville space up to n = :data:`~qflow_exact.lindblad.PURE_DEPHASING_MAX_SPINS` (info: ``channel_current``,
  ``channel_rates``, see :mod:`qflow_exact.lindblad`).
* ``eta`` (float, dephased Survival) — Ohmic bath coupling (default :data:`~qflow_exact.davies.DEFAULT_ETA`).
* ``tol`` (float, Anneal) — target for the estimated error ‖ψ − ψ_exact‖ of the final state (default
  :data:`~qflow_exact.anneal.DEFAULT_TOL` = 1e-6); ``steps`` (int, Anneal) — fix the number of S6 steps
  instead. Info reports ``steps``, ``phase_per_step_rad``, ``error_estimate`` and ``converged``.
* ``return_state`` (bool) — put the state vector in ``info["qflow"]["backend"]["state"]`` (a numpy array,
  not JSON).

>>> import dimod
>>> from qflow_core.protocols import GroundState
>>> bqm = dimod.BQM({0: -0.5, 1: 0.0}, {(0, 1): -1.0}, 0.0, "SPIN")
>>> ss = ExactSampler().run(bqm, GroundState(0.3), num_reads=100, seed=1)
>>> len(ss), int(ss.record.num_occurrences.sum()), round(ss.info["qflow"]["backend"]["energy"], 6)
(4, 100, -1.577794)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qflow_core.capabilities import (
    Eigenstate,
    GibbsSpectrum,
    ImaginaryTimeBackend,
    ImaginaryTimeLeakage,
    SpectralBackend,
)
from qflow_core.errors import ProblemTooLargeError
from qflow_core.parameters import Parameter
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Protocol, Survival, as_protocol
from qflow_core.sampler import Sampler, attach_details, spin_sampleset
from qflow_exact.options import DEFAULT_ETA, DEFAULT_TOL, MAX_DEFAULT_STEPS, OPTIONS, RUN_PARAMETERS

if TYPE_CHECKING:  # the numerics (scipy, the numba kernels) load on the first run, not when the plugin is listed
    import dimod

__all__ = ["MAX_RETURNED_SPINS", "OPTIONS", "RUN_PARAMETERS", "ExactSampler"]

#: Largest n for which a run returns (and samples) every basis state: 2^22 rows ≈ 0.3 GiB of SampleSet.
MAX_RETURNED_SPINS = 22
_BYTES_PER_ROW = 8 * 4  # energy, probability, num_occurrences, + samples (n bytes) added below

_METHODS = {  # info["method"] of a ground state, by the solver eigenpair picked
    "diagonal": "exact diagonal (no transverse field)",
    "dense eigh": "dense eigh",
    "lanczos": "lanczos (three-term, matrix-free)",
    "arpack": "lanczos (ARPACK eigsh, matrix-free)",
    "warm lanczos": "lanczos, warm start",
    "warm arpack": "lanczos (ARPACK eigsh, matrix-free), warm start",
}


class ExactSampler(Sampler, SpectralBackend, ImaginaryTimeBackend):
    """Exact enumeration and exact diagonalization of the transverse-field Ising model (ground truth).

    Implements :class:`qflow_core.capabilities.SpectralBackend` with :func:`~qflow_exact.tfim.ground_state`
    (matrix-free Lanczos) and :func:`~qflow_exact.tfim.gibbs` (dense diagonalization), and
    :class:`qflow_core.capabilities.ImaginaryTimeBackend` with :mod:`qflow_exact.imaginary_time`.
    """

    name: ClassVar[str] = "exact"
    capabilities: ClassVar[dict[str, str]] = {
        "boltzmann": "exact",
        "boltzmann:quantum": "exact",
        "anneal": "exact",
        "survival:coherent": "exact",
        "survival:dephased": "exact",
        "survival:pure_dephasing": "exact",
        "ground_state": "exact",
    }
    default_protocol: ClassVar[Protocol] = Boltzmann(beta=1.0)
    run_parameters: ClassVar[tuple[Parameter, ...]] = RUN_PARAMETERS
    stores_every_read: ClassVar[bool] = False  # one row per distinct state, with its count
    tags: ClassVar[dict[str, Any]] = {"exact_reference": True, "max_variables": MAX_RETURNED_SPINS}

    def physics_class(self, protocol: Protocol | str) -> str:
        """Gibbs weights: thermal; anneal and coherent survival: Schrödinger evolution; dephased survival: the
        Davies master equation; GroundState: the ground state of H(Γ)."""
        protocol = as_protocol(protocol)
        if isinstance(protocol, Boltzmann):
            return "thermal by construction"
        if isinstance(protocol, GroundState):
            return "quantum ground state"
        if isinstance(protocol, Survival) and protocol.regime == "dephased":
            return "thermal bath (Davies)"
        return "coherent unitary"

    def eigenstate(self, J: Any, h: Any, gamma: Any, *, level: int = 0, v0: np.ndarray | None = None) -> Eigenstate:
        """Eigenstate ``level`` of H(Γ) by Lanczos (see :func:`qflow_exact.tfim.ground_state`)."""
        from qflow_exact.eigen import ground_state

        res = ground_state(J, h, gamma, level=level, v0=v0)
        return Eigenstate(float(res.energy), np.asarray(res.state), int(res.num_matvecs))

    def gibbs_state(self, J: Any, h: Any, gamma: Any, beta: float) -> GibbsSpectrum:
        """Full spectrum and Gibbs weights of H(Γ) (see :func:`qflow_exact.tfim.gibbs`)."""
        from qflow_exact.thermal import gibbs

        st = gibbs(J, h, gamma, beta)
        return GibbsSpectrum(np.asarray(st.energies), np.asarray(st.vectors), np.asarray(st.weights))

    def imaginary_time_leakage(self, memory: Any, pattern: Any, gamma: Any, tau: float) -> ImaginaryTimeLeakage:
        """Exact flux, survival loss and populations under e^{−τH} (see :mod:`qflow_exact.imaginary_time`)."""
        from qflow_exact.imaginary_time import imaginary_time_leakage

        return imaginary_time_leakage(memory, pattern, gamma, tau)

    def _run(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> dimod.SampleSet:
        from qflow_core.models.memory import IsingMemory
        from qflow_core.schedules import AnnealSchedule, default_schedule
        from qflow_exact.anneal import anneal
        from qflow_exact.eigen import eigenpair
        from qflow_exact.hamiltonian import basis_states, diagonal_energies
        from qflow_exact.observables import x_expectations

        n = bqm.num_variables
        if n > MAX_RETURNED_SPINS:
            raise ProblemTooLargeError(
                "returning all 2^n states with probabilities",
                n=n,
                required_bytes=2.0**n * (_BYTES_PER_ROW + n),
                limit=f"the exact sampler returns every state, up to n = {MAX_RETURNED_SPINS}",
            )
        memory = IsingMemory.from_bqm(bqm)
        J, h = memory.J, memory.h
        gammas = _gammas(options.get("gamma_per_spin"), protocol, n)
        details: dict[str, Any] = {}
        state: np.ndarray | None = None
        energies = diagonal_energies(J, h, memory.offset)  # the SampleSet's energies, computed once
        if isinstance(protocol, Boltzmann) and protocol.gamma == 0:
            logw = -protocol.beta * (energies - energies.min())
            probability = np.exp(logw)
            details["method"] = "enumeration"
        elif isinstance(protocol, Boltzmann):
            probability = _quantum_boltzmann(J, h, gammas, protocol.beta, n)
            details["method"] = "full diagonalization (z diagonal of exp(-beta H)/Z)"
        elif isinstance(protocol, GroundState):
            level, v0 = options.get("level", 0), options.get("v0")
            res = eigenpair(energies, gammas, level=level, v0=v0)
            if options.get("gap"):
                res.energies  # noqa: B018 - completes a deferred gap (its products go into num_matvecs)
            state = res.state
            details.update(
                method=_METHODS[res.method],
                energy=res.energy,
                gap=res.gap if res.has_gap else None,
                gap_computed=res.has_gap,
                energies=res.known_energies.tolist(),
                level=res.level,
                x_expectation=x_expectations(state).tolist(),
                num_matvecs=res.num_matvecs,
            )
            probability = np.square(state)
        elif isinstance(protocol, Survival):
            probability, state = self._survival(J, h, gammas, protocol, options, details)
        elif isinstance(protocol, Anneal):
            schedule = AnnealSchedule.from_table(protocol.schedule) if protocol.schedule else default_schedule()
            weights = None if options.get("gamma_per_spin") is None else gammas
            tol = float(options.get("tol", DEFAULT_TOL))
            steps = options.get("steps")
            problem = energies if memory.offset == 0 else energies - memory.offset  # the offset is a global phase
            cap = int(options.get("max_steps") or MAX_DEFAULT_STEPS)
            res = anneal(
                problem, schedule, protocol.time_us, steps=steps, driver_weights=weights, tol=tol, max_steps=cap
            )
            state = res.state
            probability = np.abs(state) ** 2
            details.update(
                method="split-operator, Blanes-Moan S6 (4th order, exact X and Z flows)",
                steps=res.steps,
                phase_per_step_rad=res.phase_per_step,
                error_estimate=res.error_estimate if np.isfinite(res.error_estimate) else None,
                converged=res.converged,
                tol=tol,
                total_steps=res.total_steps,
                num_matvecs=res.num_matvecs,
                schedule="protocol table" if protocol.schedule else "qflow_core.schedules.default_schedule()",
            )
        else:  # pragma: no cover - the base class refuses undeclared protocols
            raise AssertionError(protocol)
        probability = probability / probability.sum()
        counts = np.random.default_rng(seed).multinomial(num_reads, probability)
        sampleset = spin_sampleset(
            bqm, basis_states(n), energy=energies, probability=probability, num_occurrences=counts
        )
        if options.get("return_state") and state is not None:
            details["state"] = state
        return attach_details(sampleset, **details)

    def _survival(self, J, h, gammas, protocol: Survival, options, details) -> tuple[np.ndarray, np.ndarray | None]:
        from qflow_exact import davies, lindblad
        from qflow_exact.hamiltonian import TFIMOperator, basis_index, diagonal_energies
        from qflow_exact.krylov import evolve

        start = basis_index(protocol.state)
        n = len(protocol.state)
        state = None
        if protocol.regime == "coherent":
            psi0 = np.zeros(1 << n)
            psi0[start] = 1.0
            op = TFIMOperator(diagonal_energies(J, h), gammas)
            res = evolve(op, psi0, protocol.time, average=bool(options.get("average", False)))
            probability = res.average_populations if options.get("average") else np.abs(res.state) ** 2
            state = res.state
            details.update(
                method="krylov (restarted Lanczos exp(-iHt))",
                averaged=bool(options.get("average", False)),
                num_matvecs=res.num_matvecs,
                start="basis state",
            )
        elif protocol.regime == "pure_dephasing":
            res = lindblad.pure_dephasing_survival(J, h, gammas, protocol.state, protocol.time, protocol.kappa)
            probability = res.populations
            details.update(
                method="Lindblad equation, sqrt(kappa) sigma_z on every spin (Liouville space, expm_multiply)",
                kappa=protocol.kappa,
                decoherence_rate=res.gamma_decoherence,
                channel_current=res.channel_current.tolist(),
                channel_rates=res.channel_rates.tolist(),
                start="basis state",
            )
        else:
            eta = float(options.get("eta", DEFAULT_ETA))
            res = davies.dephased_survival(
                J, h, gammas, np.array(protocol.state), protocol.time, protocol.beta, eta=eta
            )
            probability = res.populations
            details.update(
                method="Pauli master equation with Davies rates (Ohmic bath, sigma_z couplings)",
                eta=eta,
                start="eigenstate",
                start_level=res.start_level,
                start_overlap=res.start_overlap,
                start_energy=res.start_energy,
                slowest_relaxation_time=(
                    res.slowest_relaxation_time if np.isfinite(res.slowest_relaxation_time) else None
                ),
            )
        probability = probability / probability.sum()
        channels = [float(probability[start ^ (1 << (n - 1 - k))]) for k in range(n)]
        survival = float(probability[start])
        details.update(
            survival_probability=survival,
            channel_probabilities=channels,
            multi_flip_probability=max(0.0, 1.0 - survival - sum(channels)),
        )
        return probability, state


def _gammas(option: Any, protocol: Protocol, n: int) -> np.ndarray:
    from qflow_exact.hamiltonian import spin_gammas

    if option is not None:
        return spin_gammas(option, n)
    return spin_gammas(getattr(protocol, "gamma", 0.0), n)


def _quantum_boltzmann(J, h, gammas, beta, n) -> np.ndarray:
    from qflow_exact.thermal import GIBBS_MAX_SPINS, gibbs

    if n > GIBBS_MAX_SPINS:
        raise ProblemTooLargeError(
            "the quantum Gibbs state (dense 2^n × 2^n diagonalization)",
            n=n,
            required_bytes=3 * 8.0 * 4.0**n,
            limit=f"Boltzmann with gamma > 0 stops at n = {GIBBS_MAX_SPINS}",
        )
    return gibbs(J, h, gammas, beta).z_populations()
