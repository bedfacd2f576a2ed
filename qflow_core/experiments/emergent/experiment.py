"""The entry point: oracle at a default point and over scans, sanity checks, particles, verdict.

>>> result = emergent(EmergentModel.random(2, seed=0), grid=9, half_width=2.0, half_sizes=(1, 2, 3, 4),
...                   scan_mu=(1.0, 2.0), scan_tq=(1.0, 2.0), scan_kx=(1.0,), modes=4)
>>> result.verdict.verdict in ("supports", "fails", "inconclusive"), len(result.scans["tq_ratio"])
(True, 2)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.emergent.calibration import sampler_calibration
from qflow_core.experiments.emergent.criteria import core_loops, evaluate
from qflow_core.experiments.emergent.generator import Grid, LearnerDynamics
from qflow_core.experiments.emergent.model import EmergentModel
from qflow_core.experiments.emergent.oracle import OraclePoint, solve_oracle
from qflow_core.experiments.emergent.particles import ParticleSettings, initial_states, run_particles
from qflow_core.experiments.emergent.result import EmergentResult
from qflow_core.experiments.emergent.sanity import (
    drift_identity_check,
    equilibrium_checks,
    particle_checks,
    positive_control_check,
)
from qflow_core.experiments.emergent.sectors import sector_free_energies
from qflow_core.sampler import Sampler
from qflow_core.seeding import child_seed, resolve_seed

__all__ = ["DEFAULT_HALF_SIZES", "emergent"]

#: Loop half-sizes in grid cells (clipped to what fits in the grid).
DEFAULT_HALF_SIZES = (2, 4, 6, 8, 12, 16, 20)
#: Loops keep this many cells away from the grid edge, where the reflecting wall (not the learners) shapes v.
WALL_MARGIN = 2


def _scan_values(values: Sequence[float], default: float, *extra: float) -> list[float]:
    return sorted({float(v) for v in (*values, default, *extra)})


def emergent(
    model: EmergentModel | None = None,
    *,
    mu: float = 2.0,
    tq_ratio: float = 2.0,
    k_x: float = 1.0,
    D: float = 1.0,
    exchange: str = "symmetric",
    grid: Grid | int = 49,
    half_width: float = 4.0,
    half_sizes: Sequence[int] | None = None,
    scan_mu: Sequence[float] = (1.0, 2.0, 3.0, 4.0),
    scan_tq: Sequence[float] = (0.5, 1.0, 1.5, 2.0, 3.0),
    scan_kx: Sequence[float] = (0.1, 1.0, 10.0),
    modes: int = 8,
    sampler: Sampler | str = "exact",
    particles: ParticleSettings | None = None,
    calibration_reads: int | None = None,
    calibration_grid: Grid | None = None,
    seed: int | None = 0,
) -> EmergentResult:
    """Run the grand-canonical circulation test (see the package doc) and return every number with the verdict.

    The oracle is solved at (``mu``, ``tq_ratio``, ``k_x``) and along one-parameter scans through it (T_q/T = 1
    is always in the T_q scan). ``particles`` (settings) runs the learner ensemble on ``sampler`` at the default
    point against the oracle with the particles' exchange rule; ``calibration_reads`` runs the sampler
    calibration (nominal T_q = T) on ``calibration_grid`` (default 11 points on the inner 60 % of the grid).
    """
    model = model or EmergentModel.random(5, seed=0)
    grid = grid if isinstance(grid, Grid) else Grid(int(grid), half_width)
    fit = min(grid.centre[0], grid.n - 1 - grid.centre[0]) - WALL_MARGIN
    sizes = [int(r) for r in (half_sizes or DEFAULT_HALF_SIZES) if 1 <= r <= fit]
    if len(sizes) < 2:
        raise InvalidInputError(
            f"need at least two loop half-sizes between 1 and {fit} cells (loops keep {WALL_MARGIN} cells from the "
            f"reflecting edge of a {grid.n}-point grid), got {half_sizes!r}; use a finer grid or smaller loops"
        )
    seed = resolve_seed(seed)
    base = LearnerDynamics(mu=mu, tq_ratio=tq_ratio, k_x=k_x, D=D, exchange=exchange)
    timing: dict[str, float] = {}
    start = time.perf_counter()
    thermo = sector_free_energies(model, grid.points)
    timing["free_energies_s"] = time.perf_counter() - start

    def solve(dynamics: LearnerDynamics, *, fields: bool = False) -> OraclePoint:
        return solve_oracle(model, grid, dynamics, half_sizes=sizes, modes=modes, fields=fields, thermo=thermo)

    start = time.perf_counter()
    default = solve(base, fields=True)
    scans = {
        "mu": [solve(replace(base, mu=v)) for v in _scan_values(scan_mu, mu)],
        "tq_ratio": [solve(replace(base, tq_ratio=v)) for v in _scan_values(scan_tq, tq_ratio, 1.0)],
        "k_x": [solve(replace(base, k_x=v)) for v in _scan_values(scan_kx, k_x)],
    }
    timing["oracle_s"] = time.perf_counter() - start
    timing["oracle_points"] = 1 + sum(len(v) for v in scans.values())
    equilibrium = next(p for p in scans["tq_ratio"] if p.dynamics["tq_ratio"] == 1.0)
    sanity = [
        drift_identity_check(model, grid, seed=child_seed(seed, 0)),
        *equilibrium_checks(equilibrium),
        positive_control_check(
            grid, sizes, gamma0=default.quantum, width=float(np.sqrt(base.T_q(model) / model.kappa))
        ),
    ]
    run = matched = None
    if particles is not None:
        start = time.perf_counter()
        matched_dynamics = replace(base, exchange="metropolis")
        matched = solve(matched_dynamics, fields=True)
        rng = np.random.default_rng(child_seed(seed, 1))
        initial = initial_states(matched.fields.log_pi, grid, model.m, particles.learners, rng)
        run = run_particles(
            model, sampler, matched_dynamics, grid, particles, initial=initial, seed=child_seed(seed, 2)
        )
        sanity += particle_checks(run, matched)
        timing["particles_s"] = time.perf_counter() - start
    calibration = None
    if calibration_reads is not None:
        start = time.perf_counter()
        cal_grid = calibration_grid or Grid(11, 0.6 * grid.half_width)
        calibration = sampler_calibration(
            model, sampler, cal_grid, replace(base, tq_ratio=1.0), num_reads=calibration_reads, seed=child_seed(seed, 3)
        )
        timing["calibration_s"] = time.perf_counter() - start
    verdict = evaluate(sanity, default, scans, particles=run, particle_oracle=matched)
    core = core_loops(sizes)
    plateau = np.asarray(default.circulation)[core]
    hbar = float(plateau.mean() / (2 * np.pi * default.gamma)) if verdict.support[0].holds else None
    return EmergentResult(
        model=model.to_dict(),
        grid={"n": grid.n, "half_width": grid.half_width, "h": grid.h, "centre": grid.centre},
        default=default,
        scans=scans,
        verdict=verdict,
        hbar_eff=hbar,
        particles=run,
        particle_oracle=matched,
        calibration=calibration,
        timing=timing,
    )
