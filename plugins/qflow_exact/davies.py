"""Dephased survival: the Pauli master equation with Davies rates between eigenstates of H.

Every spin couples through σᶻ_j to its own Ohmic bath at inverse temperature β. The secular (Davies)
generator acts on the populations p_a of the eigenstates |a⟩ of H = E(σᶻ) − Σ Γ_i σˣ_i:

    dp_b/dt = Σ_a W_ba p_a − (Σ_a W_ab) p_b,   W_ba = Σ_j |⟨b|σᶻ_j|a⟩|² G(E_a − E_b),
    G(ω) = 2πηω / (1 − e^{−βω})   (G(0) = 2πη/β; KMS: G(−ω) = e^{−βω} G(ω)),

so the Gibbs state is stationary (detailed balance). To first order in Γ the rate out of a data state into
channel k is W_k = 8πηΓ²/(Δ_k (e^{βΔ_k} − 1)). The evolution starts in the eigenstate with the largest
overlap with the classical state |s⟩ and returns z-basis populations Σ_a p_a(t)|⟨x|a⟩|².

Degenerate levels: populations-only (Pauli) dynamics in an eigenbasis chosen by ``numpy.linalg.eigh`` is
the secular approximation; it ignores coherences inside degenerate eigenspaces (e.g. at Γ = 0).

>>> import numpy as np
>>> from qflow_exact.thermal import gibbs
>>> st = gibbs([[0.0]], [0.3], 0.1, beta=0.0)          # one spin: only the spectrum is used
>>> W = davies_rates(st.energies, st.vectors, beta=2.0)
>>> bool(np.isclose(W[1, 0] / W[0, 1], np.exp(-2.0 * (st.energies[1] - st.energies[0]))))  # detailed balance
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from qflow_core.errors import InvalidInputError
from qflow_exact.hamiltonian import basis_index, check_size
from qflow_exact.options import DEFAULT_ETA
from qflow_exact.thermal import gibbs

__all__ = [
    "DAVIES_MAX_SPINS",
    "DEFAULT_ETA",
    "DephasedEvolution",
    "bath_spectrum",
    "davies_rates",
    "dephased_survival",
    "slowest_relaxation_time",
]

#: n·(2^n)³ flops for the σᶻ_j matrix elements: n = 10 takes seconds, n = 12 would take minutes.
DAVIES_MAX_SPINS = 10


def bath_spectrum(omega: np.ndarray, beta: float, eta: float = DEFAULT_ETA) -> np.ndarray:
    """Ohmic G(ω) = 2πηω/(1 − e^{−βω}) for emitting energy ω (G(0) = 2πη/β), overflow-safe.

    >>> np.round(bath_spectrum(np.array([0.0, 1.0, -1.0]), beta=1.0, eta=1.0), 6).tolist()
    [6.283185, 9.939853, 3.656667]
    """
    omega = np.asarray(omega, dtype=float)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        g = omega / -np.expm1(-beta * omega)
    return 2 * np.pi * eta * np.where(np.abs(beta * omega) < 1e-12, 1.0 / beta, g)


def davies_rates(energies: np.ndarray, vectors: np.ndarray, beta: float, eta: float = DEFAULT_ETA) -> np.ndarray:
    """Rate matrix W (N, N), W[b, a] = rate a → b, for σᶻ_j couplings on every spin; zero diagonal."""
    size = energies.size
    n = int(np.log2(size))
    k = np.arange(size)
    W = np.zeros((size, size))
    for j in range(n):
        z = 1.0 - 2.0 * ((k >> (n - 1 - j)) & 1)
        element = vectors.T @ (z[:, None] * vectors)
        W += element**2
    W *= bath_spectrum(energies[None, :] - energies[:, None], beta, eta)
    np.fill_diagonal(W, 0.0)
    return W


@dataclass(frozen=True)
class DephasedEvolution:
    """z-basis ``populations`` at the final time, the eigenbasis populations, the start eigenstate, and the
    slowest relaxation time 1/|λ₁| of the generator (λ₁ its nonzero eigenvalue closest to 0; inf if none)."""

    populations: np.ndarray
    eigen_populations: np.ndarray
    start_level: int
    start_overlap: float
    start_energy: float
    slowest_relaxation_time: float = float("inf")


def slowest_relaxation_time(W: np.ndarray) -> float:
    """1/|λ₁| for the Davies generator of rate matrix ``W``: detailed balance makes it similar to the symmetric
    S_ab = √(W_ab W_ba) − δ_ab Σ_c W_cb, whose eigenvalues are real and ≤ 0; the one next to 0 sets the time.

    >>> slowest_relaxation_time(np.array([[0.0, 2.0], [1.0, 0.0]]))  # two levels: relaxation rate 1 + 2
    0.3333333333333333
    """
    S = np.sqrt(W * W.T)
    S -= np.diag(W.sum(axis=0))
    lam = np.linalg.eigvalsh(S)
    scale = max(float(np.max(np.abs(lam))), 1e-300)
    slow = lam[-2] if lam.size > 1 else 0.0
    return float("inf") if slow > -1e-12 * scale else float(-1.0 / slow)


def dephased_survival(
    J: np.ndarray,
    h: np.ndarray,
    gamma: np.ndarray | float,
    state: np.ndarray,
    time: float,
    beta: float,
    *,
    eta: float = DEFAULT_ETA,
) -> DephasedEvolution:
    """Evolve the Pauli master equation for ``time`` from the eigenstate closest to ``state`` (n ≤ 10)."""
    if not (np.isfinite(eta) and eta > 0):
        raise InvalidInputError(f"the bath coupling eta must be a finite number > 0, got {eta}")
    n = np.asarray(h).size
    check_size(n, DAVIES_MAX_SPINS, "the Davies rate matrix (dense 2^n × 2^n, n·8^n flops)", 6 * 8.0 * 4.0**n)
    eig = gibbs(J, h, gamma, beta=0.0)
    start = basis_index(state)
    overlaps = eig.vectors[start] ** 2
    level = int(np.argmax(overlaps))
    W = davies_rates(eig.energies, eig.vectors, beta, eta)
    generator = W - np.diag(W.sum(axis=0))
    p = scipy.linalg.expm(generator * float(time))[:, level]
    p = np.clip(p, 0.0, None)
    p /= p.sum()
    populations = (eig.vectors**2) @ p
    relaxation = slowest_relaxation_time(W)
    return DephasedEvolution(populations, p, level, float(overlaps[level]), float(eig.energies[level]), relaxation)
