"""The sanity checks: numbers that must come out right whatever the physics, or the code has a bug.

* drift identity: ∇F_N (finite differences, 5-point stencil) equals ⟨∂_q E⟩_N to 1e-8;
* at T_q = T: |Γ| < 1e-10 on every loop and max |p(q) − e^{−Ω_μ/T_q}/Z| < 1e-12 (detailed balance);
* positive control: a point vortex of circulation Γ₀ carried by a Gaussian density, turned into lattice
  currents, is recovered by the loop estimator within 2 % on every loop of at least 2 cells;
* particles vs oracle: the particle histogram within 3 % of the oracle's peak (coarse-binned) density, and the
  particle ⟨q × q̇⟩ within 3 standard errors of the oracle's (the oracle with the particles' exchange rule).

>>> from qflow_core.experiments.emergent.model import EmergentModel
>>> from qflow_core.experiments.emergent.generator import Grid
>>> drift_identity_check(EmergentModel.random(3, seed=0), Grid(9, 2.0)).holds
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.emergent.criteria import Criterion
from qflow_core.experiments.emergent.generator import Grid
from qflow_core.experiments.emergent.loops import circulations, edge_velocities, vortex_currents
from qflow_core.experiments.emergent.model import EmergentModel
from qflow_core.experiments.emergent.oracle import OraclePoint
from qflow_core.experiments.emergent.particles import ParticleRun
from qflow_core.experiments.emergent.sectors import sector_free_energies

__all__ = [
    "TOLERANCES",
    "coarse_bins",
    "drift_identity_check",
    "equilibrium_checks",
    "particle_checks",
    "positive_control_check",
]

#: Tolerances fixed before running.
TOLERANCES = {
    "drift_identity": 1e-8,
    "equilibrium_circulation": 1e-10,
    "equilibrium_density": 1e-12,
    "positive_control": 0.02,
    "particle_density": 0.03,
    "particle_sigmas": 3.0,
}


def drift_identity_check(
    model: EmergentModel, grid: Grid, *, points: int = 16, step: float = 1e-3, seed: int = 0
) -> Criterion:
    """max |∇F_N − ⟨∂_q E⟩_N| over random points in the inner half of the grid and all sectors."""
    rng = np.random.default_rng(seed)
    q = rng.uniform(-0.5, 0.5, size=(points, 2)) * grid.half_width
    states = model.hidden_states()
    grad = sector_free_energies(model, q, states=states).grad
    numeric = np.zeros_like(grad)
    for axis in range(2):
        shift = np.zeros(2)
        shift[axis] = step
        f = [sector_free_energies(model, q + k * shift, states=states).F for k in (-2, -1, 1, 2)]
        numeric[:, :, axis] = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * step)
    error = float(np.abs(numeric - grad).max())
    tol = TOLERANCES["drift_identity"]
    return Criterion("drift identity ∇F_N = ⟨∂_q E⟩_N", error <= tol, error, tol, "max abs difference, all sectors")


def equilibrium_checks(point: OraclePoint) -> list[Criterion]:
    """Detailed balance at T_q = T: ``point`` must be an oracle solution with ``tq_ratio == 1``."""
    gamma_max = float(np.abs(point.circulation).max())
    tol_c, tol_p = TOLERANCES["equilibrium_circulation"], TOLERANCES["equilibrium_density"]
    return [
        Criterion("|Γ| on every loop at T_q = T", gamma_max <= tol_c, gamma_max, tol_c, f"loops {point.half_sizes}"),
        Criterion(
            "p(q) = e^{−Ω_μ/T_q}/Z at T_q = T",
            point.max_density_error <= tol_p,
            point.max_density_error,
            tol_p,
            "max abs difference of node probabilities",
        ),
    ]


def positive_control_check(grid: Grid, half_sizes: Sequence[int], *, gamma0: float, width: float) -> Criterion:
    """Recover an injected vortex Γ₀ on a Gaussian of standard deviation ``width`` with the loop estimator."""
    jx, jy, log_p = vortex_currents(grid.axis, gamma0=gamma0, width=width)
    vx, vy = edge_velocities(jx, jy, log_p, grid.h)
    sizes = [r for r in half_sizes if r >= 2]
    measured = circulations(vx, vy, grid.h, grid.centre, sizes)
    error = float(np.abs(measured / gamma0 - 1).max())
    tol = TOLERANCES["positive_control"]
    return Criterion(
        "positive control: injected vortex recovered", error <= tol, error, tol, f"max relative error, loops {sizes}"
    )


def coarse_bins(n: int, bins_per_axis: int) -> np.ndarray:
    """Start index of each coarse bin along an axis of ``n`` nodes (for ``np.add.reduceat``)."""
    return np.unique(np.linspace(0, n, min(bins_per_axis, n) + 1).astype(int)[:-1])


def _coarse(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(np.add.reduceat(values, starts, axis=-2), starts, axis=-1)


def particle_checks(run: ParticleRun, oracle: OraclePoint, *, bins_per_axis: int = 7) -> list[Criterion]:
    """Particles vs the oracle solved with the particles' dynamics (``oracle.fields`` needed)."""
    if oracle.fields is None:
        raise InvalidInputError("particle_checks needs an oracle point solved with fields=True")
    starts = coarse_bins(oracle.fields.p.shape[0], bins_per_axis)
    exact = _coarse(oracle.fields.p, starts)
    peak = tuple(int(i) for i in np.unravel_index(int(np.argmax(exact)), exact.shape))
    steps = run.settings["steps"]
    fractions = _coarse(run.per_learner_counts, starts)[(slice(None), *peak)] / steps
    estimate = float(fractions.mean())
    se = float(fractions.std(ddof=1) / np.sqrt(fractions.size))
    error, noise = abs(estimate / exact[peak] - 1), 3 * se / exact[peak]
    tol = TOLERANCES["particle_density"]
    density_holds = None if noise >= tol and error <= tol + noise else bool(error <= tol)
    sigmas = TOLERANCES["particle_sigmas"]
    gap = abs(run.angular_momentum - oracle.angular_momentum)
    return [
        Criterion(
            "particle histogram vs oracle peak density",
            density_holds,
            float(error),
            tol,
            f"peak coarse bin {peak} of {exact.shape}: particles {estimate:.5f} ± {se:.5f}, oracle {exact[peak]:.5f}",
            noise=float(noise),
        ),
        Criterion(
            "particle ⟨q × q̇⟩ vs oracle",
            bool(gap <= sigmas * run.angular_momentum_se),
            float(gap / run.angular_momentum_se),
            sigmas,
            f"particles {run.angular_momentum:.3e} ± {run.angular_momentum_se:.3e}, "
            f"oracle {oracle.angular_momentum:.3e} (value and threshold in standard errors)",
            noise=float(run.angular_momentum_se),
        ),
    ]
