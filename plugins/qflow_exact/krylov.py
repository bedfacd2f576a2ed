"""Real-time evolution |ψ(t)⟩ = exp(−iHt)|ψ₀⟩ by restarted Lanczos (Krylov) steps, with exact time averages.

Each step builds a Lanczos basis V (three-term recurrence, at most ``krylov_dim`` vectors) of the current
state, diagonalises the tridiagonal T = QΛQᵀ and takes the longest sub-step τ whose a-posteriori error
estimate β_m·|[exp(−iτT)e₁]_m| (Saad 1992) stays below ``tol·τ/t``; the basis stops growing as soon as the
remaining time can be covered, so small steps (anneal sub-steps) cost only a few products.

Time averages are exact within a step: with c(θ) = Q e^{−iΛθ} Qᵀe₁,
∫₀^τ|ψ(θ)|² dθ = diag(Vᵀ M V̄) where M = Q K Qᵀ, K_ab = q_a q_b ∫₀^τ e^{−i(λ_a−λ_b)θ} dθ — so
``average=True`` returns (1/t)∫₀^t |⟨x|ψ(θ)⟩|² dθ for every basis state x without any time grid.

>>> import numpy as np
>>> from qflow_exact.hamiltonian import TFIMOperator
>>> op = TFIMOperator(np.array([0.0, 0.5]), np.array([0.05]))  # two levels, Δ = 0.5, Γ = 0.05
>>> res = evolve(op, np.array([1.0, 0.0]), 5.0, average=True)
>>> round(float(res.average_populations[1]), 6)  # the time-averaged two-level (Rabi) population at T = 5
0.015021
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import zaxpy

from qflow_core.errors import InvalidInputError
from qflow_exact.blas import single_blas_thread

__all__ = ["DEFAULT_KRYLOV_DIM", "DEFAULT_TOL", "Evolution", "evolve"]

DEFAULT_KRYLOV_DIM = 30
#: Target error ‖ψ_computed − ψ_exact‖ over the whole evolution.
DEFAULT_TOL = 1e-11


@dataclass(frozen=True)
class Evolution:
    """Result of :func:`evolve`: the final ``state``, the time-averaged z populations (when asked),
    the number of H·v products and of Krylov steps."""

    state: np.ndarray
    average_populations: np.ndarray | None
    num_matvecs: int
    num_steps: int


class _Operator:
    """What :func:`evolve` needs: ``apply(x, out)`` and ``spectral_bounds()``."""

    apply: Callable[[np.ndarray, np.ndarray], np.ndarray]
    spectral_bounds: Callable[[], tuple[float, float]]


def evolve(
    op: _Operator,
    psi0: np.ndarray,
    time: float,
    *,
    average: bool = False,
    krylov_dim: int = DEFAULT_KRYLOV_DIM,
    tol: float = DEFAULT_TOL,
) -> Evolution:
    """exp(−i·H·time)·psi0 for a real symmetric H (e.g. :class:`~qflow_exact.hamiltonian.TFIMOperator`).

    ``average=True`` also returns the populations averaged over [0, time]. BLAS is limited to
    one thread meanwhile (the vectors are streamed once per product; extra threads only spin).
    """
    with single_blas_thread():
        return evolve_unlimited(op, psi0, time, average=average, krylov_dim=krylov_dim, tol=tol)


def evolve_unlimited(
    op: _Operator,
    psi0: np.ndarray,
    time: float,
    *,
    average: bool = False,
    krylov_dim: int = DEFAULT_KRYLOV_DIM,
    tol: float = DEFAULT_TOL,
) -> Evolution:
    """:func:`evolve` without touching the BLAS thread pools (for callers that limit them once, around a loop)."""
    time = float(time)
    if not np.isfinite(time) or time < 0:
        raise InvalidInputError(f"evolution time must be finite and ≥ 0, got {time}")
    psi = np.array(psi0, dtype=np.complex128)
    norm0 = np.linalg.norm(psi)
    if norm0 == 0:
        raise InvalidInputError("the initial state is the zero vector")
    size = psi.size
    m_max = max(1, min(int(krylov_dim), size))
    lo, hi = op.spectral_bounds()
    shift = 0.5 * (lo + hi)  # evolve H − shift (a global phase, restored at the end) to shrink T's range
    scale = max(0.5 * (hi - lo), 1e-300)
    basis = np.empty((m_max + 1, size), dtype=np.complex128)
    work = np.empty(size, dtype=np.complex128)
    accumulated = np.zeros(size) if average else None
    done, matvecs, steps = 0.0, 0, 0
    while time - done > 0:
        remaining = time - done
        budget = tol * remaining / time
        basis[0] = psi / np.linalg.norm(psi)
        alphas, betas, built, exact = _lanczos(op, basis, work, shift, scale, remaining, budget, m_max)
        matvecs += built
        lam, Q = _tridiagonal_eigh(alphas, betas[: built - 1])
        q0 = Q[0]
        tau = remaining if exact else _step_length(lam, Q, q0, betas[built - 1], remaining, budget / remaining)
        coeffs = Q @ (np.exp(-1j * lam * tau) * q0)
        if accumulated is not None:
            accumulated += _integrated_populations(basis[:built], lam, Q, q0, tau)
        psi = coeffs @ basis[:built]
        done = time if tau >= remaining else done + tau
        steps += 1
    psi *= norm0 / np.linalg.norm(psi) * np.exp(-1j * shift * time)
    averaged = None
    if accumulated is not None:
        averaged = accumulated / time if time > 0 else np.abs(psi) ** 2
    return Evolution(psi, averaged, matvecs, steps)


def _lanczos(op, basis, work, shift, scale, remaining, budget, m_max):
    """Three-term Lanczos on H − shift; stops early once the whole ``remaining`` time is within ``budget``."""
    alphas = np.zeros(m_max)
    betas = np.zeros(m_max)
    for j in range(m_max):
        op.apply(basis[j], out=work)
        zaxpy(basis[j], work, a=-shift)
        alpha = float(np.vdot(basis[j], work).real)
        zaxpy(basis[j], work, a=-alpha)
        if j > 0:
            zaxpy(basis[j - 1], work, a=-betas[j - 1])
        beta = float(np.linalg.norm(work))
        alphas[j], betas[j] = alpha, beta
        if beta <= 1e-13 * scale:  # invariant subspace: exp is exact on it
            return alphas[: j + 1], betas[: j + 1], j + 1, True
        np.multiply(work, 1.0 / beta, out=basis[j + 1])
        if j >= 3 and (j % 4 == 3 or j == m_max - 1):
            lam, Q = _tridiagonal_eigh(alphas[: j + 1], betas[:j])
            if _error(lam, Q, Q[0], beta, remaining) <= budget:
                return alphas[: j + 1], betas[: j + 1], j + 1, False
    return alphas, betas, m_max, False


def _tridiagonal_eigh(alphas: np.ndarray, offdiag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    T = np.diag(alphas) + np.diag(offdiag, 1) + np.diag(offdiag, -1)
    return np.linalg.eigh(T)


def _error(lam, Q, q0, beta, tau) -> float:
    """Saad's estimate of the Krylov error of exp(−iτT)e₁: β_m·|last component|."""
    return float(beta * abs(Q[-1] @ (np.exp(-1j * lam * tau) * q0)))


def _step_length(lam, Q, q0, beta, remaining, rate) -> float:
    """Longest τ ≤ remaining with error(τ) ≤ rate·τ + roundoff floor (bisection in log τ)."""
    floor = 64 * np.finfo(float).eps * beta  # |e_mᵀ exp(−iτT) e₁| cannot resolve below rounding
    if _error(lam, Q, q0, beta, remaining) <= rate * remaining + floor:
        return remaining
    lo, hi = 0.0, remaining
    for _ in range(40):
        mid = 0.5 * (lo + hi) if lo > 0 else hi / 8
        if _error(lam, Q, q0, beta, mid) <= rate * mid + floor:
            lo = mid
        else:
            hi = mid
        if lo > 0 and hi - lo < 1e-3 * hi:
            break
    if lo == 0:
        raise RuntimeError("Krylov step length underflow: increase krylov_dim or tol")
    return lo


def _integrated_populations(basis, lam, Q, q0, tau) -> np.ndarray:
    """∫₀^τ |Σ_j c_j(θ) V_j|² dθ for every component (exact, see the module docstring)."""
    omega = lam[:, None] - lam[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(np.abs(omega * tau) > 1e-8, (1 - np.exp(-1j * omega * tau)) / (1j * omega), tau)
    M = Q @ (np.outer(q0, q0) * phi) @ Q.T
    M = 0.5 * (M + M.conj().T)
    mu, W = np.linalg.eigh(M)
    keep = mu > 1e-15 * max(tau, mu.max())
    vectors = W[:, keep].T @ basis  # u_r = Σ_j W_jr V_j
    return mu[keep] @ (np.abs(vectors) ** 2)
