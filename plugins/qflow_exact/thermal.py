"""The dense quantum Gibbs state exp(−βH)/Z of the TFIM by full diagonalization (n ≤ 12).

:class:`GibbsState` gives the z populations, expectations Tr(ρA) and Kubo–Mori covariances, the ingredients
of exact thermal learning-rule gradients.

>>> st = gibbs([[0.0, 1.0], [1.0, 0.0]], [0.0, 0.0], 0.0, beta=2.0)
>>> st.z_populations().round(3).tolist()  # ferromagnet: weight on ++ and −−
[0.491, 0.009, 0.009, 0.491]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_exact.blas import single_blas_thread
from qflow_exact.hamiltonian import check_size, hamiltonian

__all__ = ["GIBBS_MAX_SPINS", "GibbsState", "gibbs"]

#: Largest n for full diagonalization (quantum Gibbs state, Davies rates): dense 2^n × 2^n matrices.
GIBBS_MAX_SPINS = 12


@dataclass(frozen=True)
class GibbsState:
    """Dense quantum Gibbs state ρ = Σ_a w_a |a⟩⟨a| of H at inverse temperature ``beta``.

    ``energies`` (N,) ascending, ``vectors`` (N, N) eigenvectors in columns (z basis), ``weights`` (N,) the
    Gibbs weights w_a = e^{−βE_a}/Z.
    """

    beta: float
    energies: np.ndarray
    vectors: np.ndarray
    weights: np.ndarray

    def z_populations(self) -> np.ndarray:
        """⟨x|ρ|x⟩ for every basis state x (the z-basis diagonal, sums to 1)."""
        return (self.vectors**2) @ self.weights

    def expectation(self, operator: np.ndarray) -> float:
        """Tr(ρ A) for a dense (N, N) operator or a diagonal given as an (N,) vector."""
        A = self._eigenbasis(operator)
        return float(np.real(np.diag(A) @ self.weights))

    def kubo_mori_covariance(self, A: np.ndarray, C: np.ndarray) -> float:
        """Kubo–Mori covariance ⟨A;C⟩_KM − ⟨A⟩⟨C⟩: Σ_mn A_mn C_nm (p_m − p_n)/(log p_m − log p_n) − ⟨A⟩⟨C⟩.

        With it, dL/dθ = −β·kubo_mori_covariance(∂_θH, C) for L = Tr(ρC).
        """
        a, c = self._eigenbasis(A), self._eigenbasis(C)
        p = self.weights
        logp = -self.beta * (self.energies - self.energies[0])
        diff = logp[:, None] - logp[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            kernel = np.where(np.abs(diff) > 1e-12, (p[:, None] - p[None, :]) / diff, p[:, None])
        km = float(np.real(np.sum(a * c.T * kernel)))
        return km - self.expectation(A) * self.expectation(C)

    def _eigenbasis(self, operator: np.ndarray) -> np.ndarray:
        op = np.asarray(operator)
        if op.ndim == 1:
            return self.vectors.T @ (op[:, None] * self.vectors)
        return self.vectors.T @ op @ self.vectors


def gibbs(J: Any, h: Any, gamma: Any, beta: float, *, offset: float = 0.0) -> GibbsState:
    """Full diagonalization of H(Γ) and the Gibbs weights at inverse temperature ``beta`` (n ≤ 12).

    >>> st = gibbs([[0.0]], [0.0], 0.5, beta=1.0)
    >>> np.round(st.z_populations(), 12).tolist()
    [0.5, 0.5]
    """
    beta = float(beta)
    if not np.isfinite(beta) or beta < 0:
        raise InvalidInputError(f"beta must be finite and ≥ 0, got {beta}")
    n = np.asarray(h).shape[0] if np.ndim(h) == 1 else 0
    check_size(n, GIBBS_MAX_SPINS, "full diagonalization (dense 2^n × 2^n eigenvectors)", 3 * 8.0 * 4.0**n)
    H = hamiltonian(J, h, gamma, offset=offset).toarray()
    with single_blas_thread():
        energies, vectors = np.linalg.eigh(H)
    logw = -beta * (energies - energies[0])
    weights = np.exp(logw)
    return GibbsState(beta, energies, vectors, weights / weights.sum())
