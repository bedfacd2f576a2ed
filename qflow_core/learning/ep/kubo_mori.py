"""The exact quantum thermal gradient from the full spectrum (Kubo–Mori covariance), with no shot noise.

>>> import numpy as np
>>> [round(float(w), 6) for w in _log_mean(np.array([0.5, 0.5]), np.zeros(2))[0]]
[0.5, 0.5]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qflow_core.capabilities import SpectralBackend, basis_states, find_capability
from qflow_core.errors import InvalidInputError
from qflow_core.learning.ep.gradient import EPGradient, _Moments
from qflow_core.models.network import PauliObservable, TransverseIsingNetwork
from qflow_core.sampler import Sampler

__all__ = ["COMMUTATOR_TOL", "kubo_mori_gradient"]


def kubo_mori_gradient(
    phases: Sequence[tuple[TransverseIsingNetwork, PauliObservable]],
    temperature: float,
    notes: list[str],
    sampler: Sampler | None = None,
    *,
    plain: bool = False,
) -> EPGradient:
    """Exact quantum thermal gradient, Eq. (38): dL/dθ = −(1/T)[⟨∂_θH; C⟩_KM − ⟨∂_θH⟩⟨C⟩], by full ED.

    ``plain=True`` computes the plain covariance Re Tr(ρ ∂_θH C) − ⟨∂_θH⟩⟨C⟩ instead (pair weight (p_m + p_n)/2 in
    place of the logarithmic mean), which equals the Kubo–Mori one when C commutes with H; every phase is checked
    (‖[C, H]‖_F ≤ :data:`COMMUTATOR_TOL` relative) and an InvalidInputError names the first that fails.

    With V the eigenvectors, p the Gibbs weights and G_mn = conj(C_mn)·w(p_m, p_n) in the eigenbasis
    (w the logarithmic mean), ⟨A; C⟩_KM = Σ_st A_st Σ_m conj(V_sm) R_tm with R = V Gᵀ: one product covers every
    diagonal A (Z_i, Z_iZ_j) and a bit flip of the rows covers X_i. The spectrum comes from ``sampler`` if it
    implements :class:`~qflow_core.capabilities.SpectralBackend`, else from an installed sampler that does.
    """
    backend = find_capability(SpectralBackend, sampler)
    moments = _Moments()
    for network, cost in phases:
        n = network.n
        spectrum = backend.gibbs_state(network.J, network.h, network.gamma, 1.0 / temperature)
        energies, vectors, p = spectrum.energies, spectrum.vectors, spectrum.weights
        states = basis_states(n).astype(float)
        flips = [np.arange(2**n) ^ (1 << (n - 1 - i)) for i in range(n)]
        c_vectors = cost.diagonal(states)[:, None] * vectors + sum(
            cost.x[i] * vectors[flips[i]] for i in range(n) if cost.x[i]
        )
        c_eig = vectors.conj().T @ c_vectors
        if plain:
            _check_commutes(c_eig, energies)
        pair = 0.5 * (p[:, None] + p[None, :]) if plain else _log_mean(p, energies / temperature)
        R = vectors @ (c_eig.conj() * pair).T
        per_state = np.real(np.sum(vectors.conj() * R, axis=1))
        population = np.sum(np.abs(vectors) ** 2 * p, axis=1)
        mean_c = float(np.real(np.trace(c_eig * p)))
        km_zz = states.T @ (per_state[:, None] * states)
        mean_zz = states.T @ (population[:, None] * states)
        km_z, mean_z = per_state @ states, population @ states
        km_x = np.array([np.real(np.sum(vectors.conj() * R[flips[i]])) for i in range(n)])
        mean_x = np.array([np.real(np.sum(vectors.conj() * vectors[flips[i]] * p)) for i in range(n)])
        # ∂H/∂θ = −O for O = Z_iZ_j, Z_i, X_i, so dL/dθ = +(1/T)[KM(O, C) − ⟨O⟩⟨C⟩].
        moments.J.append((km_zz - mean_zz * mean_c) / temperature)
        moments.h.append((km_z - mean_z * mean_c) / temperature)
        moments.gamma.append((km_x - mean_x * mean_c) / temperature)
        moments.var_J.append(np.zeros((n, n)))
        moments.var_h.append(np.zeros(n))
        moments.var_gamma.append(np.zeros(n))
        moments.losses.append(mean_c)
        moments.num_phases += 1
    if plain:
        notes.append(f"plain covariance, exact because the cost commutes with H (spectrum from {backend.name!r})")
        return moments.result(estimator="plain-covariance", nudge=None, sampler=backend.name, notes=notes)
    notes.append(f"Kubo–Mori covariance from the full spectrum given by {backend.name!r} (no shot noise)")
    return moments.result(estimator="kubo-mori", nudge=None, sampler=backend.name, notes=notes)


#: Relative tolerance of the commutator check ‖[C, H]‖_F ≤ tol · ‖C‖_F · max|E| behind the plain covariance.
COMMUTATOR_TOL = 1e-9


def _check_commutes(c_eig: np.ndarray, energies: np.ndarray) -> None:
    """[C, H] in H's eigenbasis is C_mn (E_n − E_m); refuse the plain covariance unless its norm is negligible."""
    norm = float(np.linalg.norm(c_eig * (energies[None, :] - energies[:, None])))
    scale = max(float(np.linalg.norm(c_eig)) * float(np.max(np.abs(energies))), 1e-300)
    if norm > COMMUTATOR_TOL * scale:
        raise InvalidInputError(
            f"quantum='plain' with a cost that has X terms is exact only when the cost commutes with H, but "
            f"‖[C, H]‖_F = {norm:.3g} (relative {norm / scale:.2g} > {COMMUTATOR_TOL:g}); the plain covariance "
            "would be biased — use quantum='auto' (Kubo–Mori on the exact sampler) or the nudged estimator"
        )


def _log_mean(p: np.ndarray, scaled_energies: np.ndarray) -> np.ndarray:
    """w_mn = (p_m − p_n)/(log p_m − log p_n), → p_m when p_m = p_n (log p = −E/T − log Z)."""
    log_gap = np.abs(scaled_energies[:, None] - scaled_energies[None, :])
    low = np.minimum(p[:, None], p[None, :])
    high = np.maximum(p[:, None], p[None, :])
    small = log_gap < 1e-8
    safe_gap = np.where(small, 1.0, log_gap)
    return np.where(small, low * (1 + 0.5 * log_gap), (high - low) / safe_gap)
