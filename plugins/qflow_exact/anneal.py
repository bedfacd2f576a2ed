"""Closed-system anneal: i d|ψ⟩/dt = 2π·10³·H(t/T)|ψ⟩, H(s) = −A(s)/2 Σσˣ + B(s)/2 H_ising (GHz, µs).

H_ising is the BQM energy (dimod form, same values as our E(s)); the start is the driver ground state
|+…+⟩. The integrator is the fourth-order commutator-free exponential integrator CF4 (Blanes & Moan 2006):
per step of length δ, with H₁, H₂ at the Gauss points t + (½ ∓ √3/6)δ,

    ψ ← exp(−iδ(α₁H₁ + α₂H₂)) exp(−iδ(α₂H₁ + α₁H₂)) ψ,   α₁,₂ = (3 ∓ 2√3)/12.

Each exponential is exact up to ``tol``: dense eigendecomposition for n ≤ 6 (vectorised over steps),
Krylov (:func:`~qflow_exact.krylov.evolve`) above. The number of steps defaults to two per radian of the
largest phase Φ = 2π·10³·T·max_s ‖H(s)‖ (a Gershgorin bound), capped at ``MAX_DEFAULT_STEPS``; long,
nearly adiabatic anneals (the 20 µs standard anneal) converge only linearly in the step count once the cap is
hit, so ``info`` reports the steps and the phase per step and ``steps=`` overrides the default.

>>> import numpy as np
>>> from qflow_core.schedules import default_schedule
>>> res = anneal(np.array([-1.0, 1.0]), default_schedule(), time_us=0.02)  # one spin, h = 1
>>> round(float(np.abs(res.state[0]) ** 2), 4)   # ends mostly in s = +1 (energy −1)
0.9999
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from qflow_core.errors import InvalidInputError
from qflow_core.schedules import AnnealSchedule
from qflow_exact.krylov import evolve_unlimited
from qflow_exact.tfim import DENSE_MAX_SPINS, TFIMOperator

__all__ = ["MAX_DEFAULT_STEPS", "AnnealResult", "anneal", "default_steps"]

#: Cap on the default number of CF4 steps (see the module docstring).
MAX_DEFAULT_STEPS = 20000
_RAD_PER_GHZ_US = 2 * np.pi * 1e3
_ALPHA1 = (3 - 2 * math.sqrt(3)) / 12
_ALPHA2 = (3 + 2 * math.sqrt(3)) / 12
_GAUSS = (0.5 - math.sqrt(3) / 6, 0.5 + math.sqrt(3) / 6)


@dataclass(frozen=True)
class AnnealResult:
    """Final ``state``, the CF4 ``steps`` used, the largest ``phase_per_step`` (rad) and H·v products."""

    state: np.ndarray
    steps: int
    phase_per_step: float
    num_matvecs: int


def _max_norm_ghz(energies: np.ndarray, schedule: AnnealSchedule, n: int) -> float:
    s = np.linspace(0, 1, 201)
    return float(np.max(schedule.A(s) / 2 * n + schedule.B(s) / 2 * np.max(np.abs(energies))))


def default_steps(energies: np.ndarray, schedule: AnnealSchedule, time_us: float) -> int:
    """Two CF4 steps per radian of the largest phase, at least 100, at most :data:`MAX_DEFAULT_STEPS`."""
    n = int(np.log2(energies.size))
    phase = _RAD_PER_GHZ_US * time_us * _max_norm_ghz(energies, schedule, n)
    return int(min(MAX_DEFAULT_STEPS, max(100, math.ceil(2 * phase))))


def anneal(
    energies: np.ndarray,
    schedule: AnnealSchedule,
    time_us: float,
    *,
    steps: int | None = None,
    driver_weights: np.ndarray | None = None,
    tol: float = 1e-10,
) -> AnnealResult:
    """Evolve |+…+⟩ under H(s) for ``time_us`` microseconds; ``energies`` is H_ising's diagonal (2^n,).

    ``driver_weights`` (n,) scales the driver per spin: −A(s)/2 Σ_i w_i σˣ_i (default all 1).
    """
    energies = np.asarray(energies, dtype=float)
    n = int(np.log2(energies.size))
    weights = np.ones(n) if driver_weights is None else np.asarray(driver_weights, dtype=float)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise InvalidInputError(f"driver weights must be {n} finite numbers ≥ 0, got {weights}")
    steps = default_steps(energies, schedule, time_us) if steps is None else int(steps)
    if steps < 1:
        raise InvalidInputError(f"anneal steps must be ≥ 1, got {steps}")
    dt = 1.0 / steps
    centres = (np.arange(steps)[:, None] + np.array(_GAUSS)[None, :]) * dt  # (steps, 2) values of s
    A, B = schedule.A(centres), schedule.B(centres)
    # (steps, 2) coefficients of the two exponentials, applied first (α₂H₁ + α₁H₂), then (α₁H₁ + α₂H₂)
    a_coef = np.stack([_ALPHA2 * A[:, 0] + _ALPHA1 * A[:, 1], _ALPHA1 * A[:, 0] + _ALPHA2 * A[:, 1]], axis=1)
    b_coef = np.stack([_ALPHA2 * B[:, 0] + _ALPHA1 * B[:, 1], _ALPHA1 * B[:, 0] + _ALPHA2 * B[:, 1]], axis=1)
    step_rad = _RAD_PER_GHZ_US * time_us * dt
    psi = np.full(energies.size, 2.0 ** (-n / 2), dtype=np.complex128)
    phase = step_rad * _max_norm_ghz(energies, schedule, n)
    if n <= DENSE_MAX_SPINS:
        return AnnealResult(_dense(psi, energies, weights, a_coef, b_coef, step_rad), steps, phase, 0)
    matvecs = 0
    with threadpool_limits(limits=1, user_api="blas"):
        for k in range(steps):
            for e in range(2):
                op = TFIMOperator(energies * (b_coef[k, e] / 2), weights * (a_coef[k, e] / 2))
                res = evolve_unlimited(op, psi, step_rad, tol=tol / (2 * steps))
                psi, matvecs = res.state, matvecs + res.num_matvecs
    return AnnealResult(psi, steps, phase, matvecs)


def _dense(psi, energies, weights, a_coef, b_coef, step_rad, chunk=2048):
    n = int(np.log2(energies.size))
    k = np.arange(energies.size)
    sigma_x_sum = np.zeros((energies.size, energies.size))
    for b in range(n):
        sigma_x_sum[k, k ^ (1 << b)] = weights[n - 1 - b]
    coefs = np.stack([a_coef.ravel(), b_coef.ravel()], axis=1)
    for start in range(0, coefs.shape[0], chunk):
        a, b = coefs[start : start + chunk, 0], coefs[start : start + chunk, 1]
        H = -(a / 2)[:, None, None] * sigma_x_sum + (b / 2)[:, None, None] * np.diag(energies)[None]
        w, V = np.linalg.eigh(H)
        U = np.einsum("kij,kj,klj->kil", V, np.exp(-1j * step_rad * w), V)
        for u in U:
            psi = u @ psi
    return psi
