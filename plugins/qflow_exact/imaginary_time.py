"""Imaginary-time leakage out of a classical state: flux, survival loss and populations, exactly.

ψ(τ) = e^{−τ(H − E(s))}|s⟩ is computed with ``scipy.sparse.linalg.expm_multiply`` on the sparse H (the shift by
E(s) keeps the numbers near one; it cancels in every ratio below). With r_k = ψ_k/ψ_s and ∂_τψ = −(H − E(s))ψ:

    j_k = ∂_τ r_k = [ψ_k (Hψ)_s − (Hψ)_k ψ_s] / ψ_s²,
    K_s = ∂²_τ log ψ_s = ‖Hφ‖²/‖φ‖² − (φᵀHφ/‖φ‖²)²,   φ = e^{−τ(H − E(s))/2}|s⟩   (a variance, so ≥ 0),
    P_k/P_s = r_k².

To first order in Γ, j_k = Γ_k e^{−τΔ_k} (the flux weights are softmax(−τΔ), β = τ), K_s = Σ_kΓ_k²e^{−τΔ_k}, and
P_k/P_s = Γ_k²(1 − e^{−τΔ_k})²/Δ_k² — a power law in Δ at large τ, not a softmax.

>>> from qflow_core import IsingMemory
>>> memory = IsingMemory([[0.0, 0.1], [0.1, 0.0]], h=[0.3, 0.6])   # gaps (0.8, 1.4) at (+1, +1)
>>> it = imaginary_time_leakage(memory, [1, 1], 0.02, 2.0)
>>> np.round(it.flux_weights(), 4).tolist(), np.round(np.exp(-2.0 * it.gaps) / np.exp(-2.0 * it.gaps).sum(), 4).tolist()
([0.7685, 0.2315], [0.7685, 0.2315])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply

from qflow_core.capabilities import ImaginaryTimeLeakage
from qflow_core.errors import InvalidInputError
from qflow_core.models.memory import IsingMemory, as_spin_states
from qflow_core.validation import positive_number
from qflow_exact.hamiltonian import basis_index, check_size, hamiltonian, spin_gammas

__all__ = ["IMAGINARY_TIME_MAX_SPINS", "imaginary_time_leakage"]

#: Largest n: a sparse H of 2^n·(n + 1) entries and a few 2^n vectors (n = 20: about 0.3 GiB).
IMAGINARY_TIME_MAX_SPINS = 20


def imaginary_time_leakage(memory: Any, pattern: Any, gamma: Any, tau: float) -> ImaginaryTimeLeakage:
    """Exact imaginary-time leakage of ``pattern`` out of ``memory`` with transverse field(s) ``gamma`` at τ."""
    if not isinstance(memory, IsingMemory):
        raise InvalidInputError(f"imaginary_time_leakage needs an IsingMemory (J, h), got {type(memory).__name__}")
    s = as_spin_states(pattern, memory.n, name="pattern")
    if s.ndim != 1:
        raise InvalidInputError(f"give one pattern of length {memory.n}, got shape {s.shape}")
    tau = positive_number("imaginary time tau", tau)
    n = memory.n
    gammas = spin_gammas(gamma, n)
    check_size(n, IMAGINARY_TIME_MAX_SPINS, "imaginary-time evolution (sparse H and 2^n vectors)", 8.0 * 2**n * (n + 8))
    start = basis_index(s)
    H = hamiltonian(memory.J, memory.h, gammas).tocsr()
    shift = float(H[start, start])
    H = (H - shift * sp.identity(H.shape[0], format="csr")).tocsr()
    e_s = np.zeros(H.shape[0])
    e_s[start] = 1.0
    phi = expm_multiply(-0.5 * tau * H, e_s)
    psi = expm_multiply(-0.5 * tau * H, phi)
    h_psi = H @ psi
    channels = start ^ (1 << (n - 1 - np.arange(n)))
    psi_s = psi[start]
    flux = (psi[channels] * h_psi[start] - h_psi[channels] * psi_s) / psi_s**2
    h_phi = H @ phi
    norm2 = float(phi @ phi)
    survival_loss = float(h_phi @ h_phi) / norm2 - (float(phi @ h_phi) / norm2) ** 2
    populations = (psi[channels] / psi_s) ** 2
    return_probability = psi_s**2 / float(psi @ psi)
    gaps = memory.flip_gaps(s)
    decay = np.exp(-tau * gaps)
    with np.errstate(divide="ignore", invalid="ignore"):
        first_order = np.where(gaps != 0, -np.expm1(-tau * gaps) / gaps, tau)
    return ImaginaryTimeLeakage(
        gaps=gaps,
        gamma=gammas.copy(),
        tau=tau,
        flux=flux,
        flux_prediction=gammas * decay,
        survival_loss=survival_loss,
        survival_loss_prediction=float(np.sum(gammas**2 * decay)),
        populations=populations,
        population_prediction=(gammas * first_order) ** 2,
        return_probability=float(return_probability),
        multi_flip_probability=float(max(0.0, 1.0 - return_probability * (1.0 + populations.sum()))),
    )
