"""A temperature-calibration test for any Boltzmann sampler: the learners' oracle built from its samples.

At learner temperature T_q = T the ensemble of learners is in equilibrium and carries no circulation — if the
free energies that drive it are those of the temperature the sampler claims. Here every rate of the learners'
master equation is estimated from the sampler's reads instead of exact enumeration, one sampler call per grid
node q and active set a (internal states: the 2^M active sets, linked by switching one slot on or off):

* the change of F_a across each grid edge by free-energy perturbation, averaged over both ends:
  ΔF = −T ln ⟨e^{−(E(x; q′) − E(x; q))/T}⟩_{x | a, q};
* the cost of switching slot j on by Widom insertion: ΔF_{a→a+j} = −T ln ⟨Σ_{σ=±1} e^{−ΔE_{jσ}/T}⟩_{x | a, q}.

With calibrated samples these edge estimates are differences of one free energy, every cycle closes and the
circulation Γ vanishes up to sampling noise. A sampler whose effective temperature differs from 1/β produces
estimates that do not close around mixed (q, neuron) cycles, and Γ ≠ 0 at nominal T_q = T.

>>> from qflow_core.experiments.emergent.model import EmergentModel
>>> from qflow_core.experiments.emergent.generator import Grid, LearnerDynamics
>>> check = sampler_calibration(EmergentModel.random(2, seed=0), "exact", Grid(5, 1.5), LearnerDynamics(mu=1.0),
...                             num_reads=1000, seed=0, half_sizes=(1, 2))
>>> check.circulation.shape, check.sampler_calls
((2,), 75)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import logsumexp

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.emergent.generator import (
    Grid,
    JointGenerator,
    LearnerDynamics,
    hop_rates,
    reference_log_state,
)
from qflow_core.experiments.emergent.loops import angular_momentum, circulations, edge_velocities
from qflow_core.experiments.emergent.model import EmergentModel
from qflow_core.protocols import Boltzmann
from qflow_core.registry import get_sampler
from qflow_core.sampler import Sampler
from qflow_core.seeding import child_seed, resolve_seed

__all__ = ["CalibrationCheck", "sampled_generator", "sampler_calibration"]

#: Largest M for the calibration (2^M active sets per node, one sampler call each).
MAX_CALIBRATION_SLOTS = 6


@dataclass
class CalibrationCheck:
    """Circulation per loop size and ⟨q × q̇⟩ of the sampled oracle at the given dynamics."""

    sampler: str
    half_sizes: list[int]
    circulation: np.ndarray
    angular_momentum: float
    num_reads: int
    sampler_calls: int
    dynamics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _NodeStatistics:
    """Sampled statistics at one (node, active set): log-moments for perturbation and insertion."""

    log_perturbation: dict[tuple[int, int], float]  # neighbour offset → ln⟨e^{δ·y/T}⟩
    insertion: np.ndarray  # (M,) ΔF of switching each slot on (nan where already active)


def _node_statistics(
    model: EmergentModel, q: np.ndarray, active: np.ndarray, spins: np.ndarray, weights: np.ndarray, h: float
) -> _NodeStatistics:
    """``spins`` (reads, |a|) of the active slots, ``weights`` their occurrence counts."""
    T, slots = model.T, np.flatnonzero(active)
    seen = weights > 0  # enumerating samplers also return states that were never drawn
    spins, weights = spins[seen], weights[seen]
    log_w = np.log(weights / weights.sum())
    y = spins @ model.w[slots] if slots.size else np.zeros((1, 2))
    log_perturbation = {}
    for offset in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        delta = h * np.asarray(offset, dtype=float)
        log_perturbation[offset] = float(logsumexp(log_w + (y @ delta) / T))
    x = np.zeros((spins.shape[0], model.m))
    x[:, slots] = spins
    local = q @ model.w.T + model.c + x @ model.J  # (reads, M)
    log_insert = logsumexp(log_w[:, None] + np.logaddexp(local / T, -local / T), axis=0) - model.eps_act / T
    insertion = np.where(active, np.nan, -T * log_insert)
    return _NodeStatistics(log_perturbation, insertion)


def sampled_generator(
    model: EmergentModel,
    sampler: Sampler | str,
    grid: Grid,
    dynamics: LearnerDynamics,
    *,
    num_reads: int = 100_000,
    seed: int | None = None,
) -> tuple[JointGenerator, int]:
    """The learners' generator over (active set × node) with rates from ``sampler``; returns it and the call count."""
    if model.m > MAX_CALIBRATION_SLOTS:
        raise InvalidInputError(
            f"the calibration makes one sampler call per node and active set (2^M); M = {model.m} is above "
            f"{MAX_CALIBRATION_SLOTS}; use a smaller model"
        )
    sampler = get_sampler(sampler) if isinstance(sampler, str) else sampler
    seed = resolve_seed(seed)
    protocol = Boltzmann(beta=1.0 / model.T)
    m, n, h, T, tq = model.m, grid.n, grid.h, model.T, dynamics.T_q(model)
    masks = np.arange(2**m)
    active_sets = ((masks[:, None] >> np.arange(m)) & 1).astype(bool)
    points = grid.points.reshape(n, n, 2)
    log_pert = np.zeros((2**m, n, n, 4))
    insertion = np.zeros((2**m, n, n, m))
    calls = 0
    for a, active in enumerate(active_sets):
        for ix in range(n):
            for iy in range(n):
                q = points[ix, iy]
                if active.any():
                    memory = model.memory(q[None], active[None])
                    ss = sampler.run(memory.to_bqm(), protocol, num_reads=num_reads, seed=child_seed(seed, calls))
                    calls += 1
                    columns = [ss.variables.index(v) for v in memory.labels]
                    spins = ss.record.sample[:, columns].astype(float)
                    weights = ss.record.num_occurrences.astype(float)
                else:
                    spins, weights = np.zeros((1, 0)), np.ones(1)
                stats = _node_statistics(model, q, active, spins, weights, h)
                log_pert[a, ix, iy] = list(stats.log_perturbation.values())
                insertion[a, ix, iy] = stats.insertion
    confinement = 0.5 * model.kappa * np.sum(points**2, axis=-1)
    # free-energy perturbation forward from the lower end and backward from the upper end, averaged
    dfx = np.diff(confinement, axis=0) - 0.5 * T * (log_pert[:, :-1, :, 0] - log_pert[:, 1:, :, 1])
    dfy = np.diff(confinement, axis=1) - 0.5 * T * (log_pert[:, :, :-1, 2] - log_pert[:, :, 1:, 3])
    links, up_cost = [], []
    for a in masks:
        for j in np.flatnonzero(~active_sets[a]):
            links.append((a, a | (1 << j)))
            up_cost.append(insertion[a, :, :, j])
    cost = np.array(up_cost) - dynamics.mu
    rates = (dynamics.k_x * np.exp(-cost / (2 * T)), dynamics.k_x * np.exp(cost / (2 * T)))
    excess = np.zeros((2**m, n, n))  # F_a − F_0 − μN_a, built by inserting the lowest slot of a last
    for a in masks[1:]:
        j = int(np.flatnonzero(active_sets[a])[0])
        excess[a] = excess[a ^ (1 << j)] + insertion[a ^ (1 << j), :, :, j] - dynamics.mu
    generator = JointGenerator(
        grid,
        hop_rates(dfx, dynamics.D, h, tq),
        hop_rates(dfy, dynamics.D, h, tq),
        np.array(links),
        rates,
        reference_log_state(confinement, excess, tq, T),
    )
    return generator, calls


def sampler_calibration(
    model: EmergentModel,
    sampler: Sampler | str,
    grid: Grid,
    dynamics: LearnerDynamics,
    *,
    num_reads: int = 100_000,
    seed: int | None = None,
    half_sizes: Sequence[int] | None = None,
) -> CalibrationCheck:
    """Γ on square loops around the grid centre for the sampled oracle (see module doc)."""
    generator, calls = sampled_generator(model, sampler, grid, dynamics, num_reads=num_reads, seed=seed)
    state = generator.stationary()
    jx, jy = generator.edge_currents(state)
    vx, vy = edge_velocities(jx, jy, state.log_p, grid.h)
    sizes = list(half_sizes) if half_sizes is not None else list(range(1, grid.n // 2 + 1))
    name = sampler if isinstance(sampler, str) else sampler.name
    return CalibrationCheck(
        sampler=name,
        half_sizes=sizes,
        circulation=circulations(vx, vy, grid.h, grid.centre, sizes),
        angular_momentum=angular_momentum(jx, jy, grid.axis),
        num_reads=num_reads,
        sampler_calls=calls,
        dynamics=dynamics.to_dict(),
    )
