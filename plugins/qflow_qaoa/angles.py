"""Fixed QAOA angles for the two non-variational protocols: a Trotterised anneal and a Trotterised e^{−iHt}.

Every circuit has the ``qaoa_ansatz`` form Π_k exp(−iβ_k Σ X) exp(−iγ_k H_C) with H_C = E(σᶻ) the BQM
energy (see :mod:`qflow_qaoa.statevector`), so a protocol is fully described by its angle lists.

**Anneal** (linear-ramp QAOA). D-Wave form H(s) = −A(s)/2 Σσˣ + B(s)/2 H_C with A, B in GHz and the anneal
time T in µs; one GHz·µs of energy × time is a phase of 2π·10³ rad. Step k of p (midpoint s_k =
(k + ½)/p, dt = T/p) is exp(−i dt H(s_k)), split symmetrically into mixer half steps around the cost step.
The first half step acts on |+…+⟩, an eigenstate of Σσˣ, so it is a global phase and drops out, and
neighbouring half steps merge, which leaves exactly p QAOA layers:

    γ_k = π·10³ · dt · B(s_k)        β_k = −π·10³ · dt · (A(s_k) + A(s_{k+1}))/2,   A(s_p) ≡ 0

(the mixer exp(−iβΣX) with β < 0 is exp(+i dt A/2 Σσˣ)). The splitting is second order: the distance to
the exact anneal of the same schedule falls as p⁻² (tests measure 16× per 4× layers). The step error is
set by the product of the two per-qubit rotation angles, π·10³ dt A · 2γ_k L with L the largest local
field (:func:`~qflow_qaoa.ising.local_field_scale`); :func:`anneal_layers` picks the smallest p whose
step angle dt · 2π·10³ · √(A(s) B(s) L) stays ≤ ``max_step_angle`` at every s. Anneals needing more than
``max_layers`` layers (a 20 µs anneal needs millions) run the same schedule over the longest time
``max_layers`` layers can represent at that step size — a faster anneal than asked, reported as
``effective_time_us``.

**Survival** (coherent). exp(−iHt) with H = H_C − Γ Σ X in problem units, ``steps`` Trotter steps of
dt = t/steps: Lie–Trotter uses (γ, β) = (dt, −Γ dt) per step; second-order Suzuki splits the cost into half
steps, γ = (dt/2, dt, …, dt, dt/2) with β = (−Γ dt, …, −Γ dt, 0), error O(steps⁻²). From a basis state and
measured in the z basis the two give the same probabilities: the first cost half step acts on the basis
state (a phase) and the last is diagonal, which a z measurement cannot see, so the cost-first Lie–Trotter
product is second order too.

>>> from qflow_core.schedules import default_schedule
>>> betas, gammas = anneal_angles(default_schedule(), time_us=0.001, layers=2)
>>> [round(b, 3) for b in betas], [round(g, 3) for g in gammas]
([-2.104, -0.068], [1.736, 10.289])
>>> survival_angles(gamma=0.5, time=1.0, steps=2, order=2)
([-0.25, -0.25, 0.0], [0.25, 0.5, 0.25])
"""

from __future__ import annotations

import math

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.schedules import AnnealSchedule

__all__ = [
    "PHASE_PER_GHZ_US",
    "anneal_angles",
    "anneal_layers",
    "survival_angles",
    "survival_steps",
]

#: Phase in radians accumulated by one GHz of energy over one microsecond (2π · 10³).
PHASE_PER_GHZ_US = 2 * math.pi * 1e3


def anneal_angles(schedule: AnnealSchedule, time_us: float, layers: int) -> tuple[list[float], list[float]]:
    """``(betas, gammas)`` of the ``layers``-step midpoint Trotterisation of the anneal (module doc)."""
    s = (np.arange(layers) + 0.5) / layers
    dt = time_us / layers
    mixer = -0.5 * PHASE_PER_GHZ_US * dt * np.asarray(schedule.A(s), dtype=float)
    gammas = 0.5 * PHASE_PER_GHZ_US * dt * np.asarray(schedule.B(s), dtype=float)
    betas = (mixer + np.append(mixer[1:], 0.0)) / 2  # merged half steps of the symmetric splitting
    return betas.tolist(), gammas.tolist()


def anneal_layers(
    schedule: AnnealSchedule, time_us: float, field_scale: float, *, max_step_angle: float, max_layers: int
) -> tuple[int, float]:
    """``(layers, effective_time_us)``: the fewest layers whose Trotter steps stay within ``max_step_angle``.

    The step angle at s is dt · 2π·10³ · √(A(s) B(s) L). When more than ``max_layers`` would be needed the
    time is shortened so that ``max_layers`` layers meet the bound.
    """
    s = np.linspace(0.0, 1.0, 2001)
    rate = PHASE_PER_GHZ_US * float(np.sqrt(np.max(schedule.A(s) * schedule.B(s))) * math.sqrt(field_scale))
    needed = max(1, math.ceil(time_us * rate / max_step_angle))
    if needed <= max_layers:
        return needed, float(time_us)
    return int(max_layers), float(max_layers * max_step_angle / rate)


def survival_angles(gamma: float, time: float, steps: int, order: int) -> tuple[list[float], list[float]]:
    """``(betas, gammas)`` of ``steps`` Trotter steps of exp(−i t (H_C − Γ Σ X)); ``order`` 1 or 2."""
    dt = time / steps
    if order == 1:
        return [-gamma * dt] * steps, [dt] * steps
    if order == 2:
        return [-gamma * dt] * steps + [0.0], [dt / 2] + [dt] * (steps - 1) + [dt / 2]
    raise InvalidInputError(f"Trotter order must be 1 (Lie–Trotter) or 2 (Suzuki), got {order!r}")


def survival_steps(gamma: float, time: float, field_scale: float, *, max_step_angle: float) -> int:
    """Fewest steps with per-step angle dt · 2√(Γ L) ≤ ``max_step_angle`` (at least 1)."""
    return max(1, math.ceil(time * 2 * math.sqrt(gamma * field_scale) / max_step_angle))
