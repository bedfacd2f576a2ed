"""Closed-system anneal: i d|ψ⟩/dt = 2π·10³·H(t/T)|ψ⟩, H(s) = −A(s)/2 Σσˣ + B(s)/2 H_ising (GHz, µs).

H_ising is the BQM energy (dimod form, same values as our E(s)); the start is the driver ground state
|+…+⟩. The integrator is a **split-operator** method: H(s) = a(s)·X + b(s)·D with X = −½Σ w_i σˣ_i and
D = ½ diag(E), whose two flows are exact and cheap — exp(−iφD) is one phase per basis state, exp(−iθX) a
product of single-spin rotations cos θ_i + i sin θ_i σˣ_i (numba kernel :func:`~qflow_exact.kernels.split_sweeps`,
no H·v products, exactly unitary). Time-dependence is handled exactly by carrying the clock with the X flow:
X at different times commutes, so its flow over [s₀, s₁] is exp(−i·∫A/2 ds·X) (integrated by Gauss–Legendre
between schedule nodes), while D is applied at the frozen current s. On this extended autonomous system the
symmetric 4th-order splitting S6 of Blanes & Moan (2002) — 6 D flows and 6 X flows per step (the last X of a
step merges with the next step's first) — keeps its order.

Steps are spread along s by equidistributing the splitting's local error (see :class:`_Plan`): short where
driver and problem terms are both large, long late in the anneal, where A(s) ≪ B(s) and the large diagonal
phase is integrated exactly; every schedule node is a step boundary.

Accuracy: every run is done on two nested grids (the coarse one has fewer steps in every schedule interval),
and the error of the returned, finer state is estimated as ‖ψ_N − ψ_N'‖/((N/N')⁴ − 1). By default the step
count grows until that estimate is ≤ ``tol`` (1e-6 in the state norm, global phase included), at most
:data:`MAX_DEFAULT_STEPS` steps. ``info`` reports the estimate, the steps and the largest phase of H in one
step. Long, nearly adiabatic anneals at the GHz scale (the 20 µs standard anneal, ≈10⁶–10⁷ rad) exceed that
cap; the result then carries ``converged=False`` and an :class:`AnnealAccuracyWarning` (on a 4-spin model,
even 2·10⁶ steps leave an estimated error of 2e-3 there).

>>> import numpy as np
>>> from qflow_core.schedules import default_schedule
>>> res = anneal(np.array([-1.0, 1.0]), default_schedule(), time_us=0.02)  # one spin, h = 1
>>> round(float(np.abs(res.state[0]) ** 2), 4), res.converged, res.error_estimate < 1e-6
(0.9999, True, True)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.schedules import AnnealSchedule
from qflow_exact.kernels import split_sweeps
from qflow_exact.options import DEFAULT_TOL, MAX_DEFAULT_STEPS

__all__ = [
    "DEFAULT_TOL",
    "MAX_DEFAULT_STEPS",
    "AnnealAccuracyWarning",
    "AnnealResult",
    "anneal",
    "default_steps",
]

#: The first trial takes one step per this much of ∫ρ ds (≈ rad of H; see :class:`_Plan`).
RAD_PER_STEP = 1.5
_MIN_STEPS = 8
_SUBGRID = 64  # points per schedule interval on which the step density is integrated
_CHUNK_STEPS = 1 << 14
_RAD_PER_GHZ_US = 2 * np.pi * 1e3

# Blanes & Moan, J. Comput. Appl. Math. 142 (2002) 313, method S6 (order 4, 6 stages): coefficients of the
# flows X(a1) D(b1) X(a2) D(b2) X(a3) D(b3) X(a4) D(b3) X(a3) D(b2) X(a2) D(b1) X(a1).
_A1, _A2, _A3 = 0.0792036964311957, 0.353172906049774, -0.0420650803577195
_B1, _B2 = 0.209515106613362, -0.143851773179818
_X_WEIGHTS = np.array([_A1, _A2, _A3, 1 - 2 * (_A1 + _A2 + _A3), _A3, _A2, _A1])
_B3 = 0.5 - (_B1 + _B2)
_D_WEIGHTS = np.array([_B1, _B2, _B3, _B3, _B2, _B1])
_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(8)


class AnnealAccuracyWarning(UserWarning):
    """The anneal hit its step cap before its error estimate reached the tolerance."""


@dataclass(frozen=True)
class AnnealResult:
    """Final ``state``; S6 ``steps``; the largest ``phase_per_step`` (rad of H in one step); ``error_estimate``
    of ‖ψ − ψ_exact‖ (nan when no nested coarser grid exists); ``converged`` (estimate ≤ tol); ``total_steps``
    over all runs, the error-estimate runs included; ``num_matvecs`` is 0 (the splitting applies no H·v)."""

    state: np.ndarray
    steps: int
    phase_per_step: float
    num_matvecs: int
    error_estimate: float
    converged: bool
    total_steps: int


def default_steps(energies: np.ndarray, schedule: AnnealSchedule, time_us: float) -> int:
    """Steps of the first trial run: one per :data:`RAD_PER_STEP` rad of the splitting-error scale ∫ρ ds (see
    :class:`_Plan`), at least one per schedule interval and 8 in all, at most ``MAX_DEFAULT_STEPS // 2``."""
    n = int(np.log2(np.asarray(energies).size))
    plan = _Plan(np.asarray(energies, dtype=float), schedule, _RAD_PER_GHZ_US * time_us, np.ones(n))
    return plan.first_steps(MAX_DEFAULT_STEPS)


class _Plan:
    """The step grid and the stage coefficients of one anneal.

    Steps are distributed along s by equidistributing the local error of a 4th-order splitting, ∝ h⁵·F(s)
    with F ≈ αβ(α + β)³ + (|α'|β + α|β'|)(α + β)² (α, β: the X and D parts' norms in rad per unit s,
    α = 2π·10³T·A/2·Σw_i, β = 2π·10³T·B/2·(max E − min E)/2; the primed terms are the commutators with the
    clock): the step density is ρ = F^{1/5} (plus 0.1 % of its maximum), so late
    in an anneal, where A(s) ≪ B(s) and the large diagonal phase is integrated exactly, steps grow long.
    Every schedule node is a step boundary (the interpolated A, B have kinks there), and the grids for
    different step counts are images of one fixed map s(Φ), which keeps Richardson error estimates valid.
    """

    def __init__(self, energies: np.ndarray, schedule: AnnealSchedule, scale: float, weights: np.ndarray) -> None:
        self.schedule, self.scale = schedule, scale
        self.nodes = np.unique(np.concatenate([np.asarray(schedule.s, dtype=float), [0.0, 1.0]]))
        pieces = self._driver_quadrature(self.nodes[:-1], self.nodes[1:])
        self.driver_cumulative = np.concatenate([[0.0], np.cumsum(pieces)])
        self.driver_norm = float(weights.sum())
        self.diagonal_norm = float(energies.max() - energies.min()) / 2
        fractions = np.linspace(0.0, 1.0, _SUBGRID + 1)[:-1]
        widths = np.diff(self.nodes)
        self.s_fine = np.concatenate([(self.nodes[:-1, None] + widths[:, None] * fractions).ravel(), [1.0]])
        alpha, beta = self.rates(self.s_fine)
        slope_alpha, slope_beta = (np.abs(np.gradient(r, self.s_fine)) for r in (alpha, beta))
        local_error = (
            alpha * beta * (alpha + beta) ** 3 + (slope_alpha * beta + alpha * slope_beta) * (alpha + beta) ** 2
        )
        rho = local_error**0.2
        rho = rho + 1e-3 * rho.max() if rho.max() > 0 else np.ones_like(rho)
        self.phi_fine = np.concatenate([[0.0], np.cumsum(0.5 * (rho[1:] + rho[:-1]) * np.diff(self.s_fine))])
        self.phi_nodes = self.phi_fine[::_SUBGRID]
        self.work = float(self.phi_fine[-1]) if alpha.max() * beta.max() > 0 else 0.0

    def rates(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(α, β): rad per unit s of the driver and of the (centred) diagonal part at ``s``."""
        a = self.scale * np.asarray(self.schedule.A(s)) / 2 * self.driver_norm
        b = self.scale * np.asarray(self.schedule.B(s)) / 2 * self.diagonal_norm
        return a, b

    def first_steps(self, max_steps: int) -> int:
        trial = max(_MIN_STEPS // 2, math.ceil(self.work / RAD_PER_STEP), self.nodes.size - 1)
        return int(min(trial, max(1, max_steps // 2)))

    def counts(self, steps: int) -> np.ndarray:
        """Steps in each schedule interval for about ``steps`` in all (∝ ∫ρ over the interval, at least 1)."""
        shares = np.diff(self.phi_nodes) / self.phi_nodes[-1]
        return np.maximum(1, np.round(steps * shares)).astype(np.int64)

    def grid(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Step starts and lengths with ``counts[i]`` steps in schedule interval i, equal shares of ∫ρ ds."""
        first = np.repeat(np.cumsum(counts) - counts, counts)
        local = (np.arange(counts.sum()) - first) / np.repeat(counts, counts)
        targets = np.repeat(self.phi_nodes[:-1], counts) + local * np.repeat(np.diff(self.phi_nodes), counts)
        starts = np.interp(targets, self.phi_fine, self.s_fine)
        starts[local == 0] = self.nodes[:-1]  # exactly on the nodes
        return starts, np.diff(np.concatenate([starts, [1.0]]))

    def _driver_quadrature(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
        points = mid[..., None] + half[..., None] * _GAUSS_X
        return half * ((np.asarray(self.schedule.A(points)) / 2) @ _GAUSS_W)

    def driver_integral(self, s: np.ndarray) -> np.ndarray:
        """∫₀^s A(u)/2 du: 8-point Gauss–Legendre on every piece between schedule nodes (A is smooth there)."""
        s = np.clip(s, 0.0, 1.0)
        piece = np.clip(np.searchsorted(self.nodes, s, side="right") - 1, 0, self.nodes.size - 2)
        return self.driver_cumulative[piece] + self._driver_quadrature(self.nodes[piece], s)

    def stages(self, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(phases, angles) of consecutive steps for :func:`~qflow_exact.kernels.split_sweeps`: stage k applies
        exp(−i·phases[k]·E), then exp(i·angles[k]·Σw_iσˣ_i) (H ∋ −A/2 Σσˣ); stage 0 is the first X flow."""
        x_times = starts[:, None] + np.concatenate([[0.0], np.cumsum(_X_WEIGHTS)])[None, :] * lengths[:, None]
        x_angles = self.scale * np.diff(self.driver_integral(x_times), axis=1)  # (steps, 7)
        d_phases = self.scale * lengths[:, None] * _D_WEIGHTS * np.asarray(self.schedule.B(x_times[:, 1:-1])) / 2
        body = x_angles[:, 1:].copy()  # X flows after each D flow; a step's last one merges with the next first
        body[:-1, -1] += x_angles[1:, 0]
        angles = np.concatenate([[x_angles[0, 0]], body.ravel()])
        return np.concatenate([[0.0], d_phases.ravel()]), angles

    def evolve(self, energies: np.ndarray, weights_bits: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, float]:
        """(final state, largest phase of H in one step) on the grid with ``counts`` steps per interval."""
        starts, lengths = self.grid(counts)
        psi = np.full(energies.size, 2.0 ** (-weights_bits.size / 2), dtype=np.complex128)
        for lo in range(0, starts.size, _CHUNK_STEPS):  # bounded coefficient memory for very long anneals
            phases, angles = self.stages(starts[lo : lo + _CHUNK_STEPS], lengths[lo : lo + _CHUNK_STEPS])
            split_sweeps(psi, energies, phases, angles, weights_bits)
        alpha, beta = self.rates(starts + lengths / 2)
        return psi / np.linalg.norm(psi), float(np.max((alpha + beta) * lengths))


def anneal(
    energies: np.ndarray,
    schedule: AnnealSchedule,
    time_us: float,
    *,
    steps: int | None = None,
    driver_weights: np.ndarray | None = None,
    tol: float = DEFAULT_TOL,
    max_steps: int = MAX_DEFAULT_STEPS,
) -> AnnealResult:
    """Evolve |+…+⟩ under H(s) for ``time_us`` microseconds; ``energies`` is H_ising's diagonal (2^n,).

    ``driver_weights`` (n,) scales the driver per spin: −A(s)/2 Σ_i w_i σˣ_i (default all 1). ``steps`` fixes
    the number of S6 steps (at least one per schedule interval; the estimate compares with half as many); by
    default the step count grows from :func:`default_steps` until the error estimate is ≤ ``tol`` or
    ``max_steps`` is reached.
    """
    energies = np.ascontiguousarray(energies, dtype=float)
    n = int(np.log2(energies.size))
    if energies.ndim != 1 or 1 << n != energies.size or not np.all(np.isfinite(energies)):
        raise InvalidInputError(f"energies must be a finite vector of length 2^n, got shape {energies.shape}")
    time_us = float(time_us)
    if not np.isfinite(time_us) or time_us < 0:
        raise InvalidInputError(f"anneal time must be finite and ≥ 0 µs, got {time_us}")
    weights = np.ones(n) if driver_weights is None else np.asarray(driver_weights, dtype=float)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise InvalidInputError(f"driver weights must be {n} finite numbers ≥ 0, got {weights}")
    if not (tol > 0 and np.isfinite(tol)):
        raise InvalidInputError(f"tol must be a positive number, got {tol}")
    if steps is not None and int(steps) < 1:
        raise InvalidInputError(f"anneal steps must be ≥ 1, got {steps}")
    plan = _Plan(energies, schedule, _RAD_PER_GHZ_US * time_us, weights)
    bits = np.ascontiguousarray(weights[::-1])  # bit b ↔ site n − 1 − b

    def run(counts: np.ndarray) -> tuple[np.ndarray, int, float]:
        state, phase = plan.evolve(energies, bits, counts)
        return state, int(counts.sum()), phase

    # every estimate compares a grid with a coarser one that has fewer steps in *every* schedule interval
    if steps is not None:
        fine_counts = plan.counts(int(steps))
        fine, fine_steps, phase = run(fine_counts)
        coarse_counts = (fine_counts + 1) // 2
        estimate = float("nan")
        total = fine_steps
        if np.all(fine_counts > coarse_counts):
            coarse, coarse_steps, _ = run(coarse_counts)
            estimate, total = _estimate(fine, coarse, fine_steps, coarse_steps), total + coarse_steps
    else:
        max_steps = max(_MIN_STEPS, int(max_steps))
        counts = plan.counts(plan.first_steps(max_steps))
        coarse, coarse_steps, _ = run(counts)
        counts = 2 * counts
        fine, fine_steps, phase = run(counts)
        total = coarse_steps + fine_steps
        estimate = _estimate(fine, coarse, fine_steps, coarse_steps)
        while estimate > tol:
            growth = min(max(1.5, min(8.0, 1.2 * (estimate / tol) ** 0.25)), max_steps / fine_steps)
            if growth < 1.25:  # the cap leaves no room for a meaningful refinement
                break
            counts = np.maximum(counts + 1, np.floor(counts * growth)).astype(np.int64)
            finer, finer_steps, phase = run(counts)
            total += finer_steps
            estimate = _estimate(finer, fine, finer_steps, fine_steps)
            fine, fine_steps = finer, finer_steps
    converged = bool(estimate <= tol)
    if steps is None and not converged:
        warnings.warn(
            f"anneal stopped at {fine_steps} steps (up to {phase:.3g} rad per step) with an estimated state "
            f"error of {estimate:.2e} > tol {tol:.1e}; pass a larger max_steps option (or a fixed steps=)",
            AnnealAccuracyWarning,
            stacklevel=2,
        )
    return AnnealResult(fine, fine_steps, phase, 0, estimate, converged, total)


def _estimate(fine: np.ndarray, coarse: np.ndarray, fine_steps: int, coarse_steps: int) -> float:
    """Richardson estimate of ‖ψ_fine − ψ_exact‖ for a 4th-order method."""
    return float(np.linalg.norm(fine - coarse) / ((fine_steps / coarse_steps) ** 4 - 1))
