"""Path-integral (simulated quantum) Monte Carlo of the transverse-field Ising model H = E(σᶻ) − Γ Σσˣ.

Each read is a ring of P imaginary-time slices of the spins (see :mod:`qflow_sqa.couplings` for the weight and
its Trotter error, :mod:`qflow_sqa.kernel` for the moves); it is run from its own random stream and returns
**slice 0** — a fixed slice, so the samples are the z-basis statistics of the path integral. (Returning the
lowest-energy slice of each read, as some libraries do, biases the samples low.) Energies are the BQM's.

Protocol mapping (run options in :data:`qflow_sqa.options.RUN_PARAMETERS`):

* ``Boltzmann(beta, gamma > 0)`` — fixed Δτ = β/P for ``sweeps`` sweeps from a random start: the z-basis marginal
  of exp(−βH)/Z up to a Trotter error of order (β/P)² (``approximate``). Refused when βΓ/P > 1.
* ``Boltzmann(beta, gamma = 0)`` — classical single-spin Metropolis at β (one slice, ``native``).
* ``Anneal(kind, time_us, schedule)`` — H(s) = −A(s)/2 Σσˣ + B(s)/2 E(σᶻ), the BQM in units of B(s)/2 as on a
  D-Wave QPU, A and B in GHz (the protocol's table, else :func:`qflow_core.schedules.default_schedule`), at the
  bath temperature ``temperature_mk`` (β = 1/(k_B T/h) GHz⁻¹, k_B/h = 20.837 GHz/K: 4.0 GHz⁻¹ at 12 mK).
  ``sweeps`` defaults to one per 20 ns of ``time_us`` (at least 10: 1000 for the 20 µs standard anneal, 10 for
  the 20 ns fast one); sweep t runs at s = t/(sweeps − 1). Limits: Monte Carlo time is not physical time — the
  emulation is a stochastic, incoherent dynamics through quasi-equilibrium states that freezes out as
  barriers grow; it has no coherent (diabatic) evolution, which matters most for fast anneals, and its
  freeze-out point depends on ``sweeps`` rather than on µs (``approximate``).
* ``Survival(state, regime="dephased", gamma, beta, time)`` — every slice of every read starts in ``state``
  and runs ``ceil(time)`` sweeps at fixed (β, Γ): thermal, incoherent leakage out of the state, with ``time``
  counting sweeps (``approximate``: the long-time limit is the quantum Gibbs state, the rates are Monte Carlo
  rates, not a master equation's). The coherent regime is refused.
* ``GroundState(gamma)`` — a cooling run at fixed Γ to ``ground_state_beta`` (β/100 → β geometrically over half
  the sweeps, then held), P = max(32, ceil(4βΓ)) unless given: the z statistics of a low-temperature state,
  ``approximate`` (they equal the ground state's only once β exceeds the inverse gap).

Why no OpenJij engine: OpenJij's ``SQASampler`` returns each read's minimum-energy slice, re-seeds every read
identically when given a seed, and has no world-line moves; the compiled kernel here is several times faster per
slice-spin update and needs only numba (a core dependency), so the ``sqa`` extra adds nothing and OpenJij serves
as the benchmark's reference (``benchmarks/bench_sqa.py``).

>>> import dimod
>>> from qflow_core.protocols import Boltzmann
>>> bqm = dimod.BQM({0: 0.3, 1: -0.2}, {(0, 1): -1.0}, 0.0, "SPIN")
>>> ss = PathIntegralSampler().run(bqm, Boltzmann(beta=1.0, gamma=0.5), num_reads=200, seed=1, sweeps=50)
>>> int(ss.record.num_occurrences.sum()), ss.info["qflow"]["backend"]["trotter_slices"]
(200, 32)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qflow_core.errors import InvalidInputError, ProblemTooLargeError
from qflow_core.parameters import Parameter
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Protocol, Survival, as_protocol
from qflow_core.sampler import Sampler, attach_details, spin_sampleset
from qflow_core.schedules import AnnealSchedule, bath_beta_per_ghz, default_schedule
from qflow_sqa.couplings import (
    SweepPlan,
    anneal_plan,
    boltzmann_plan,
    ground_state_plan,
)
from qflow_sqa.options import RUN_PARAMETERS, with_defaults

if TYPE_CHECKING:  # dimod, scipy and the numba kernel load on the first run, not when the plugin is listed
    import dimod

__all__ = ["DEFAULT_SLICES", "DEFAULT_SWEEPS", "MAX_SLICE_SPINS", "PathIntegralSampler", "anneal_sweeps"]

DEFAULT_SLICES = 32
DEFAULT_SWEEPS = 1000
SWEEPS_PER_US, MIN_ANNEAL_SWEEPS = 50, 10
#: Largest P·n: a block of reads' slices and local fields (9 bytes per slice-spin and read) stay under ~1.2 GiB.
MAX_SLICE_SPINS = 2**24
TROTTER_NOTE = "O((beta/P)^2): halving beta/P cuts the bias of z-basis statistics about 4x"
ANNEAL_NOTE = (
    "sweep t at s = t/(sweeps-1) of H(s) = -A(s)/2 sum X + B(s)/2 E(Z) at the bath temperature; Monte Carlo "
    "sweeps are not physical time: incoherent quasi-equilibrium dynamics that freezes out as barriers grow, "
    "no coherent (diabatic) evolution; the freeze-out point depends on the number of sweeps"
)


def anneal_sweeps(time_us: float) -> int:
    """Default sweeps of an anneal of ``time_us`` microseconds: one per 20 ns, at least 10."""
    return max(MIN_ANNEAL_SWEEPS, round(SWEEPS_PER_US * time_us))


class PathIntegralSampler(Sampler):
    """Simulated quantum annealing: discrete imaginary-time path-integral Monte Carlo, compiled, many reads."""

    name: ClassVar[str] = "sqa"
    capabilities: ClassVar[dict[str, str]] = {
        "boltzmann": "native",
        "boltzmann:quantum": "approximate",
        "anneal": "approximate",
        "survival:dephased": "approximate",
        "ground_state": "approximate",
    }
    default_protocol: ClassVar[Protocol] = Anneal("standard")
    run_parameters: ClassVar[tuple[Parameter, ...]] = RUN_PARAMETERS

    def physics_class(self, protocol: Protocol | str) -> str:
        """Classical Metropolis for Boltzmann at Γ = 0, path-integral Monte Carlo otherwise."""
        protocol = as_protocol(protocol)
        if isinstance(protocol, Boltzmann) and protocol.gamma == 0:
            return "thermal by construction"
        return "path-integral emulation"

    @classmethod
    def unsupported_reason(cls, protocol: Protocol) -> str | None:
        if isinstance(protocol, Survival) and protocol.regime == "coherent":
            return "path-integral Monte Carlo has no real-time unitary dynamics; use regime='dephased' or 'exact'"
        return None

    def _run(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> dimod.SampleSet:
        opts = with_defaults(options)
        plan, initial, details = _plan(protocol, opts, bqm.num_variables)
        _check_size(plan.num_slices, bqm.num_variables)
        world_lines = opts["world_line_moves"] and plan.num_slices > 1
        spins, accepted = _sample(bqm, plan, initial, seed, num_reads, world_lines)
        sweeps = len(plan.e_scale)
        proposals = num_reads * sweeps * bqm.num_variables
        details.update(
            trotter_slices=plan.num_slices,
            sweeps=sweeps,
            returned_slice=0,
            world_line_moves=world_lines,
            acceptance={
                "single_spin": float(accepted[0]) / (proposals * plan.num_slices),
                "world_line": float(accepted[1]) / proposals if world_lines else None,
            },
        )
        return attach_details(spin_sampleset(bqm, spins, aggregate=False), **details)


def _plan(protocol: Protocol, opts: dict[str, Any], n: int) -> tuple[SweepPlan, np.ndarray, dict[str, Any]]:
    """The sweep plan, the initial state ((0, n) = random) and the details to record, for one protocol."""
    slices, sweeps = opts["trotter_slices"], opts["sweeps"]
    random_start = np.empty((0, n), dtype=np.int8)
    if isinstance(protocol, Boltzmann):
        plan = boltzmann_plan(protocol.beta, protocol.gamma, slices or DEFAULT_SLICES, sweeps or DEFAULT_SWEEPS)
        details = {"method": "path-integral Monte Carlo" if protocol.gamma > 0 else "classical Metropolis"}
        return plan, random_start, {**details, **_trotter_details(plan, protocol.beta)}
    if isinstance(protocol, GroundState):
        beta = opts["ground_state_beta"]
        slices = slices or max(DEFAULT_SLICES, math.ceil(4 * beta * protocol.gamma))
        plan = ground_state_plan(beta, protocol.gamma, slices, sweeps or DEFAULT_SWEEPS)
        details = {"method": "cooling run to a low temperature at fixed gamma", "final_beta": beta}
        return plan, random_start, {**details, **_trotter_details(plan, beta)}
    if isinstance(protocol, Anneal):
        schedule = AnnealSchedule.from_table(protocol.schedule) if protocol.schedule else default_schedule()
        beta = bath_beta_per_ghz(opts["temperature_mk"])
        plan = anneal_plan(schedule, beta, slices or DEFAULT_SLICES, sweeps or anneal_sweeps(protocol.time_us))
        return (
            plan,
            random_start,
            {
                "method": "simulated quantum annealing (path-integral Monte Carlo)",
                "temperature_mk": opts["temperature_mk"],
                "beta_per_ghz": beta,
                "schedule": "protocol table" if protocol.schedule else "qflow_core.schedules.default_schedule()",
                "time_mapping": ANNEAL_NOTE,
                "max_trotter_step": plan.trotter_step,
            },
        )
    if isinstance(protocol, Survival):
        if sweeps is not None:
            raise InvalidInputError(
                "a Survival run takes its sweeps from the protocol's time (one sweep per unit); drop the sweeps option"
            )
        plan = boltzmann_plan(protocol.beta, protocol.gamma, slices or DEFAULT_SLICES, math.ceil(protocol.time))
        details = {
            "method": "path-integral Monte Carlo from the state (incoherent thermal leakage)",
            "time": "not used as physical time: it counts Monte Carlo sweeps (one per unit)",
            "start": "every slice in the survival state",
        }
        state = np.asarray(protocol.state, dtype=np.int8).reshape(1, n)
        return plan, state, {**details, **_trotter_details(plan, protocol.beta)}
    raise AssertionError(protocol)  # pragma: no cover - the base class refuses undeclared protocols


def _trotter_details(plan: SweepPlan, beta: float) -> dict[str, Any]:
    if plan.num_slices == 1:
        return {"trotter_error": "none (classical: one slice)"}
    return {
        "imaginary_time_step": beta / plan.num_slices,
        "trotter_step": plan.trotter_step,
        "trotter_error": TROTTER_NOTE,
    }


def _check_size(num_slices: int, n: int) -> None:
    if num_slices * n > MAX_SLICE_SPINS:
        from qflow_sqa.kernel import BLOCK

        raise ProblemTooLargeError(
            f"a path integral of {num_slices} slices",
            n=n,
            required_bytes=9.0 * BLOCK * num_slices * n,
            limit=f"sqa keeps P·n ≤ {MAX_SLICE_SPINS}; use fewer trotter_slices",
        )


def _sample(
    bqm: dimod.BinaryQuadraticModel,
    plan: SweepPlan,
    initial: np.ndarray,
    seed: int,
    num_reads: int,
    world_lines: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the compiled kernel; return slice 0 of every read (reads, n) and the accepted-move counts."""
    import scipy.sparse as sp

    from qflow_sqa.kernel import sweep_replicas
    from qflow_sqa.streams import seed_states

    n = bqm.num_variables
    linear, (row, col, quad), _ = bqm.to_numpy_vectors(variable_order=list(bqm.variables))
    adjacency = sp.coo_matrix(
        (np.concatenate([quad, quad]), (np.concatenate([row, col]), np.concatenate([col, row]))), shape=(n, n)
    ).tocsr()
    spins = np.empty((num_reads, n), dtype=np.int8)
    accepted = np.zeros(2, dtype=np.int64)
    sweep_replicas(
        adjacency.indptr.astype(np.int64),
        adjacency.indices.astype(np.int32),
        adjacency.data.astype(np.float64),
        np.asarray(linear, dtype=np.float64),
        np.ascontiguousarray(plan.e_scale, dtype=np.float64),
        np.ascontiguousarray(plan.j_perp, dtype=np.float64),
        plan.num_slices,
        initial,
        seed_states(seed, num_reads),
        world_lines,
        spins,
        accepted,
    )
    return spins, accepted
