"""The particle experiment: an ensemble of noisy learners whose hidden averages come from a qflow sampler.

Each of R learners carries its parameters q ∈ ℝ², its active set and one hidden sample x. A step of length dt:

1. the sampler draws ``num_reads`` Boltzmann samples (β = 1/T) of the active spins of every learner at its
   current q (learners are packed into block-diagonal BQMs of at most ``spins_per_call`` spins, one block
   per learner, so one call serves many learners);
2. q follows dq = −γ(κq − ⟨Σ_j x_j w_j⟩) dt + √(2D) dW, the confinement integrated exactly (an
   Ornstein–Uhlenbeck step) and the sampled hidden force held over the step;
3. at the same q, Metropolis moves on (active set, hidden sample): with probability k_x·dt one neuron-exchange
   attempt (a random slot; switched on with a random spin and acceptance min(1, 2e^{−(ΔE−μ)/T}), or off with
   min(1, ½e^{−(ΔE+μ)/T}): fugacity e^{μ/T} per active unit), then ``swaps_per_step`` swaps of an active and an
   empty slot (acceptance min(1, e^{−ΔE/T})) that relabel the active set quickly within its sector, so that q
   feels the sector free energy F_N.

The sampler is called as ``sampler.run(bqm, Boltzmann(beta=1/T), num_reads=..., seed=...)`` and nothing else, so
the experiment runs unchanged on any sampler supporting Boltzmann sampling. At sector level this is the process
of the oracle with the ``"metropolis"`` exchange rule. Measured after ``burn_in`` steps: the mean angular
momentum ⟨q × q̇⟩ (per learner Σ q_k × q_{k+1} / elapsed time; in two dimensions the midpoint and the
forward products coincide) with its standard error over learners, a histogram of q on the oracle's grid cells
and the mean number of active units.

>>> from qflow_core.experiments.emergent.model import EmergentModel
>>> from qflow_core.experiments.emergent.generator import Grid, LearnerDynamics
>>> run = run_particles(EmergentModel.random(2, seed=0), "exact", LearnerDynamics(mu=1.0), Grid(9, 3.0),
...                     ParticleSettings(learners=4, steps=20, burn_in=5), seed=1)
>>> int(run.counts.sum()), run.learner_steps
(80, 100)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.emergent.generator import Grid, LearnerDynamics
from qflow_core.experiments.emergent.model import EmergentModel
from qflow_core.protocols import Boltzmann
from qflow_core.registry import get_sampler
from qflow_core.sampler import Sampler
from qflow_core.seeding import child_seed, resolve_seed
from qflow_core.validation import positive_int, positive_number

__all__ = ["ParticleRun", "ParticleSettings", "initial_states", "run_particles"]

#: Packing limit for samplers that declare exact Boltzmann fidelity (they enumerate all 2^n states).
ENUMERATING_SPINS_PER_CALL = 10
#: Packing limit for the others (one chain over a block-diagonal BQM samples every block independently).
DEFAULT_SPINS_PER_CALL = 256


@dataclass(frozen=True)
class ParticleSettings:
    """Ensemble size, steps and step length, burn-in (steps), reads per call, relabelling swaps and packing."""

    learners: int = 200
    steps: int = 1000
    dt: float = 0.02
    burn_in: int = 100
    num_reads: int = 4
    swaps_per_step: int | None = None
    spins_per_call: int | None = None

    def __post_init__(self) -> None:
        positive_int("learners", self.learners)
        positive_int("steps", self.steps)
        positive_number("dt", self.dt)
        if isinstance(self.burn_in, bool) or not isinstance(self.burn_in, (int, np.integer)) or self.burn_in < 0:
            raise InvalidInputError(f"burn_in must be an integer ≥ 0 (steps), got {self.burn_in!r}")
        positive_int("num_reads", self.num_reads)
        if self.swaps_per_step is not None and (not isinstance(self.swaps_per_step, int) or self.swaps_per_step < 0):
            raise InvalidInputError(f"swaps_per_step must be an integer ≥ 0, got {self.swaps_per_step!r}")
        if self.spins_per_call is not None:
            positive_int("spins_per_call", self.spins_per_call)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ParticleRun:
    """What the learners measured; per-learner values give the standard errors (learners are independent)."""

    angular_momentum: float
    angular_momentum_se: float
    per_learner_angular_momentum: np.ndarray
    counts: np.ndarray  # (n, n) visits of each grid cell, all learners
    per_learner_counts: np.ndarray = field(repr=False)  # (R, n, n) — kept to give histogram errors
    mean_active: float = 0.0
    exchange_acceptance: float = 0.0
    swap_acceptance: float = 0.0
    sampler: str = ""
    sampler_calls: int = 0
    learner_steps: int = 0
    wall_s: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out.pop("per_learner_counts")
        return out


def initial_states(
    log_pi: np.ndarray, grid: Grid, m: int, learners: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Learners drawn from a (sector, node) distribution ``log_pi`` (M + 1, n, n): q uniform in the node's cell,
    the active set a random choice of N slots."""
    p = np.exp(log_pi - log_pi.max()).ravel()
    picks = rng.choice(p.size, size=learners, p=p / p.sum())
    n_act, ix, iy = np.unravel_index(picks, log_pi.shape)
    q = np.column_stack([grid.axis[ix], grid.axis[iy]]) + grid.h * (rng.random((learners, 2)) - 0.5)
    order = np.argsort(rng.random((learners, m)), axis=1)
    active = order < n_act[:, None]
    return q, active


def _hidden_energy(model: EmergentModel, q: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Hidden part of E(x; q) for each learner (R,): −x·(Wq + c) − Σ_{i<j} J_ij x_i x_j + ε|x|."""
    fields = q @ model.w.T + model.c
    return (
        -np.sum(x * fields, axis=1) - 0.5 * np.einsum("ri,ij,rj->r", x, model.J, x) + model.eps_act * np.abs(x).sum(1)
    )


class _HiddenSampler:
    """Packs learners into block-diagonal BQMs and returns hidden means and one joint read per learner."""

    def __init__(self, model: EmergentModel, sampler: Sampler, num_reads: int, spins_per_call: int | None) -> None:
        self.model, self.sampler, self.num_reads = model, sampler, num_reads
        self.protocol = Boltzmann(beta=1.0 / model.T)
        if spins_per_call is None:
            exact = sampler.supports(self.protocol) == "exact"
            spins_per_call = ENUMERATING_SPINS_PER_CALL if exact else DEFAULT_SPINS_PER_CALL
        self.limit = max(spins_per_call, model.m)
        self.calls = 0

    def _batches(self, active: np.ndarray) -> list[np.ndarray]:
        batches, current, spins = [], [], 0
        for r in np.flatnonzero(active.any(axis=1)):
            size = int(active[r].sum())
            if current and spins + size > self.limit:
                batches.append(np.array(current))
                current, spins = [], 0
            current.append(r)
            spins += size
        if current:
            batches.append(np.array(current))
        return batches

    def draw(
        self, q: np.ndarray, active: np.ndarray, seed: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """(means, sample), each (R, M): ⟨x_j⟩ over the reads and one read, zero on empty slots."""
        means = np.zeros(active.shape)
        sample = np.zeros(active.shape)
        for b, rows in enumerate(self._batches(active)):
            memory = self.model.memory(q[rows], active[rows])
            bqm = memory.to_bqm()
            ss = self.sampler.run(bqm, self.protocol, num_reads=self.num_reads, seed=child_seed(seed, b))
            self.calls += 1
            columns = np.array([ss.variables.index(v) for v in memory.labels])
            spins = ss.record.sample[:, columns].astype(float)
            weights = ss.record.num_occurrences.astype(float)
            local, slots = np.divmod(np.asarray(memory.labels), self.model.m)
            means[rows[local], slots] = weights @ spins / weights.sum()
            pick = rng.choice(weights.size, p=weights / weights.sum())
            sample[rows[local], slots] = spins[pick]
        return means, sample


def _exchange(model: EmergentModel, q, x, attempt, mu, rng) -> tuple[np.ndarray, int, int]:
    """One neuron-exchange Metropolis attempt for the learners flagged in ``attempt``."""
    r = np.flatnonzero(attempt)
    slot = rng.integers(model.m, size=r.size)
    proposal = x[r].copy()
    empty = proposal[np.arange(r.size), slot] == 0
    proposal[np.arange(r.size), slot] = np.where(empty, rng.choice([-1.0, 1.0], size=r.size), 0.0)
    delta = _hidden_energy(model, q[r], proposal) - _hidden_energy(model, q[r], x[r])
    log_ratio = np.where(empty, np.log(2.0) - (delta - mu) / model.T, -np.log(2.0) - (delta + mu) / model.T)
    accept = np.log(rng.random(r.size)) < log_ratio
    x[r[accept]] = proposal[accept]
    return x, int(r.size), int(accept.sum())


def _swap(model: EmergentModel, q, x, rng) -> tuple[np.ndarray, int, int]:
    """One relabelling move per learner that has both an active and an empty slot."""
    active = x != 0
    r = np.flatnonzero(active.any(axis=1) & (~active).any(axis=1))
    if r.size == 0:
        return x, 0, 0
    noise = rng.random((r.size, 2, model.m))
    leave = np.argmax(np.where(active[r], noise[:, 0], -1.0), axis=1)
    enter = np.argmax(np.where(~active[r], noise[:, 1], -1.0), axis=1)
    proposal = x[r].copy()
    proposal[np.arange(r.size), leave] = 0.0
    proposal[np.arange(r.size), enter] = rng.choice([-1.0, 1.0], size=r.size)
    delta = _hidden_energy(model, q[r], proposal) - _hidden_energy(model, q[r], x[r])
    accept = np.log(rng.random(r.size)) < -delta / model.T
    x[r[accept]] = proposal[accept]
    return x, int(r.size), int(accept.sum())


def _cell_index(q: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx = np.rint((q + grid.half_width) / grid.h).astype(int)
    inside = np.all((idx >= 0) & (idx < grid.n), axis=1)
    return idx[:, 0], idx[:, 1], inside


def run_particles(
    model: EmergentModel,
    sampler: Sampler | str,
    dynamics: LearnerDynamics,
    grid: Grid,
    settings: ParticleSettings | None = None,
    *,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int | None = None,
) -> ParticleRun:
    """Run the learners (see module doc); ``initial`` = (q (R, 2), active (R, M) bool), default q ~ N(0, T_q/κ)
    with every slot active with probability ½."""
    settings = settings or ParticleSettings()
    sampler = get_sampler(sampler) if isinstance(sampler, str) else sampler
    if not isinstance(sampler, Sampler):
        raise InvalidInputError(f"sampler must be a qflow Sampler or a sampler name, got {type(sampler).__name__}")
    if dynamics.k_x * settings.dt > 1:
        raise InvalidInputError(
            f"k_x·dt = {dynamics.k_x * settings.dt:g} > 1: an exchange attempt per step cannot be that likely; "
            "use a smaller dt"
        )
    seed = resolve_seed(seed)
    rng = np.random.default_rng(child_seed(seed, 0))
    R, m, dt = settings.learners, model.m, settings.dt
    tq, gamma = dynamics.T_q(model), dynamics.gamma(model)
    if initial is None:
        q = rng.normal(scale=np.sqrt(tq / model.kappa), size=(R, 2))
        active = rng.random((R, m)) < 0.5
    else:
        q, active = (np.array(a) for a in initial)
        if q.shape != (R, 2) or active.shape != (R, m):
            raise InvalidInputError(f"initial must be q of shape ({R}, 2) and active of shape ({R}, {m})")
        q, active = q.astype(float), active.astype(bool)
    hidden = _HiddenSampler(model, sampler, settings.num_reads, settings.spins_per_call)
    swaps = m if settings.swaps_per_step is None else settings.swaps_per_step
    decay = np.exp(-gamma * model.kappa * dt)
    spread = np.sqrt(tq / model.kappa * (1 - decay**2))
    cross = np.zeros(R)
    counts = np.zeros((R, grid.n, grid.n))
    active_total, tallies = 0.0, np.zeros(4)
    start = time.perf_counter()
    for step in range(settings.burn_in + settings.steps):
        means, x = hidden.draw(q, active, child_seed(seed, 1 + step), rng)
        force = means @ model.w
        q_new = decay * q + (1 - decay) * force / model.kappa + spread * rng.standard_normal((R, 2))
        x, tried, taken = _exchange(model, q, x, rng.random(R) < dynamics.k_x * dt, dynamics.mu, rng)
        tallies[:2] += tried, taken
        for _ in range(swaps):
            x, tried, taken = _swap(model, q, x, rng)
            tallies[2:] += tried, taken
        active = x != 0
        if step >= settings.burn_in:
            cross += q[:, 0] * q_new[:, 1] - q[:, 1] * q_new[:, 0]
            ix, iy, inside = _cell_index(q_new, grid)
            np.add.at(counts, (np.flatnonzero(inside), ix[inside], iy[inside]), 1.0)
            active_total += active.sum()
        q = q_new
    elapsed = settings.steps * dt
    per_learner = cross / elapsed
    return ParticleRun(
        angular_momentum=float(per_learner.mean()),
        angular_momentum_se=float(per_learner.std(ddof=1) / np.sqrt(R)) if R > 1 else float("inf"),
        per_learner_angular_momentum=per_learner,
        counts=counts.sum(axis=0).astype(int),
        per_learner_counts=counts,
        mean_active=float(active_total / (R * settings.steps)),
        exchange_acceptance=float(tallies[1] / tallies[0]) if tallies[0] else float("nan"),
        swap_acceptance=float(tallies[3] / tallies[2]) if tallies[2] else float("nan"),
        sampler=sampler.name,
        sampler_calls=hidden.calls,
        learner_steps=R * (settings.burn_in + settings.steps),
        wall_s=time.perf_counter() - start,
        settings=settings.to_dict(),
    )
