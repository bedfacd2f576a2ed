"""From a physical protocol to the kernel's per-sweep numbers: slice energy weight a_t and slice coupling j⊥_t.

The Suzuki–Trotter form of the transverse-field Ising model H = E(σᶻ) − Γ Σσˣ at inverse temperature β with P
slices (imaginary-time step Δτ = β/P) is a classical ring of P spin copies with weight

    exp( −Δτ Σ_k E(s^k) + j⊥ Σ_k Σ_i s_i^k s_i^{k+1} ),   j⊥ = −½ ln tanh(Δτ Γ)   (dimensionless),

i.e. the coupling J⊥ = j⊥/Δτ = −(1/2Δτ) ln tanh(Δτ Γ) in energy units. The z-basis statistics of one slice are
those of Tr[O (e^{−ΔτE/2} e^{ΔτΓΣσˣ} e^{−ΔτE/2})^P] — a symmetric splitting, so diagonal observables carry a
Trotter error of order (Δτ)² = (β/P)²: halving Δτ cuts the bias about four times.

Anneals use the D-Wave form H(s) = −A(s)/2 Σσˣ + B(s)/2 E(σᶻ), energies in GHz (E/h), at a bath temperature T.
The inverse temperature in GHz⁻¹ is β = 1/(k_B T/h) with k_B/h = 20.837 GHz/K, e.g. β = 4.0 GHz⁻¹ at 12 mK.
Sweep t sits at s_t = t/(sweeps − 1) with a_t = Δτ·B(s_t)/2 and j⊥_t = −½ ln tanh(Δτ·A(s_t)/2).

>>> round(trotter_coupling(0.1), 6)  # -0.5 ln tanh 0.1
1.152955
>>> plan = boltzmann_plan(beta=2.0, gamma=0.5, num_slices=8, sweeps=3)
>>> plan.e_scale.tolist(), round(plan.trotter_step, 3)
([0.25, 0.25, 0.25], 0.125)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.schedules import AnnealSchedule

__all__ = [
    "MAX_TROTTER_STEP",
    "SweepPlan",
    "anneal_plan",
    "boltzmann_plan",
    "ground_state_plan",
    "trotter_coupling",
]

#: Largest Δτ·Γ accepted for equilibrium runs: beyond it the Trotter error of the slice statistics is of order one.
MAX_TROTTER_STEP = 1.0


@dataclass(frozen=True)
class SweepPlan:
    """The kernel's schedule: per-sweep slice energy weight and slice coupling, with what produced them."""

    num_slices: int
    e_scale: np.ndarray
    j_perp: np.ndarray
    trotter_step: float  # largest Δτ·Γ over the sweeps (0 for a classical run)


def trotter_coupling(step: float | np.ndarray) -> np.ndarray | float:
    """Dimensionless slice coupling j⊥ = −½ ln tanh(Δτ Γ) for the Trotter step x = Δτ Γ > 0.

    Computed as −½ log1p(−2/(e^{2x}+1)) for x ≥ 1, where tanh x rounds to 1.
    """
    x = np.asarray(step, dtype=float)
    with np.errstate(over="ignore", divide="ignore"):
        small = -0.5 * np.log(np.tanh(np.minimum(x, 1.0)))
        large = -0.5 * np.log1p(-2.0 / (np.exp(2.0 * np.maximum(x, 1.0)) + 1.0))
    j = np.where(x < 1.0, small, large)
    return float(j) if j.ndim == 0 else j


def _checked_coupling(step: float, what: str) -> float:
    j = trotter_coupling(step)
    if not (math.isfinite(j) and j > 0):
        raise InvalidInputError(
            f"the slice coupling -1/2 ln tanh(beta*gamma/P) is {j} for beta*gamma/P = {step:.3g} ({what}): "
            "the transverse field is too weak to represent; use gamma = 0 (classical sampling) or a larger gamma"
        )
    return j


def boltzmann_plan(beta: float, gamma: float, num_slices: int, sweeps: int) -> SweepPlan:
    """Fixed (β, Γ): every sweep at Δτ = β/P; Γ = 0 is the classical chain (one slice, no coupling)."""
    if gamma == 0:
        return SweepPlan(1, np.full(sweeps, beta), np.zeros(sweeps), 0.0)
    step = beta * gamma / num_slices
    _check_step(step, beta, gamma, num_slices)
    j = _checked_coupling(step, f"beta = {beta}, gamma = {gamma}, P = {num_slices}")
    return SweepPlan(num_slices, np.full(sweeps, beta / num_slices), np.full(sweeps, j), step)


def ground_state_plan(beta: float, gamma: float, num_slices: int, sweeps: int) -> SweepPlan:
    """A cooling run at fixed Γ: β rises geometrically from β/100 over the first half, then holds β."""
    ramp = sweeps // 2
    betas = np.concatenate([np.geomspace(beta / 100.0, beta, ramp, endpoint=False), np.full(sweeps - ramp, beta)])
    if gamma == 0:
        return SweepPlan(1, betas, np.zeros(sweeps), 0.0)
    step = beta * gamma / num_slices
    _check_step(step, beta, gamma, num_slices)
    _checked_coupling(beta / 100.0 * gamma / num_slices, f"ramp start beta = {beta / 100.0}, gamma = {gamma}")
    return SweepPlan(num_slices, betas / num_slices, trotter_coupling(betas * gamma / num_slices), step)


def anneal_plan(schedule: AnnealSchedule, beta_per_ghz: float, num_slices: int, sweeps: int) -> SweepPlan:
    """The D-Wave anneal H(s) = −A(s)/2 Σσˣ + B(s)/2 E at bath β (GHz⁻¹), sweep t at s = t/(sweeps − 1)."""
    s = np.linspace(0.0, 1.0, sweeps) if sweeps > 1 else np.ones(1)
    dtau = beta_per_ghz / num_slices
    steps = dtau * np.asarray(schedule.A(s)) / 2.0
    j = trotter_coupling(steps)
    if not np.all(np.isfinite(j) & (j > 0)):
        bad = float(s[~(np.isfinite(j) & (j > 0))][0])
        raise InvalidInputError(
            f"the slice coupling is not finite at s = {bad:.3g} (A(s) = {schedule.A(bad):.3g} GHz, "
            f"beta/P = {dtau:.3g} /GHz): give the schedule a small positive A there or change the bath temperature"
        )
    return SweepPlan(num_slices, dtau * np.asarray(schedule.B(s)) / 2.0, j, float(steps.max()))


def _check_step(step: float, beta: float, gamma: float, num_slices: int) -> None:
    if step > MAX_TROTTER_STEP:
        need = math.ceil(beta * gamma / MAX_TROTTER_STEP * 4)
        raise InvalidInputError(
            f"the Trotter step beta*gamma/P = {beta}*{gamma}/{num_slices} = {step:.3g} exceeds "
            f"{MAX_TROTTER_STEP}: the path integral would be wrong at order one; use trotter_slices >= {need} "
            "(step <= 0.25)"
        )
