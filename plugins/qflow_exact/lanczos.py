"""Lanczos eigensolvers of the exact backend, all on the matrix-free :class:`~qflow_exact.hamiltonian.TFIMOperator`.

* :func:`arpack_eigenpairs` — ARPACK (``scipy.sparse.linalg.eigsh``, ``which="SA"``): the k lowest pairs;
* :func:`lean_ground_state` — unrestarted three-term Lanczos without a stored basis for cold ground states;
* :func:`warm_ground_state` — stored-basis Lanczos from a good start vector (warm starts);
* :func:`lowest_orthogonal` — the lowest eigenvalue on the orthogonal complement of a state (the gap);
* :func:`plain_lanczos` — the three-term recurrence the last three share.

Every solver runs with BLAS limited to one thread (:func:`~qflow_exact.blas.single_blas_thread`).
:func:`qflow_exact.eigen.ground_state` chooses among them.

>>> import numpy as np
>>> from qflow_exact.hamiltonian import diagonal_energies
>>> d = diagonal_energies([[0.0, 1.0], [1.0, 0.0]], [0.5, 0.0])  # 2 spins, E(++) = −1.5
>>> w, U, matvecs = arpack_eigenpairs(d, np.array([0.3, 0.3]), 2, None, 0.0)
>>> np.round(w, 6).tolist()  # the two lowest of the 4 levels (dense eigh: ±1.577794, ±0.608741)
[-1.577794, -0.608741]
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.linalg.blas import daxpy, ddot, dnrm2, dscal
from scipy.sparse.linalg import eigsh

from qflow_exact.blas import single_blas_thread
from qflow_exact.hamiltonian import TFIMOperator

__all__ = [
    "LEAN_RESIDUAL",
    "WARM_MAX_STEPS",
    "arpack_eigenpairs",
    "lean_ground_state",
    "lowest_orthogonal",
    "plain_lanczos",
    "warm_ground_state",
]

#: Lean Lanczos stops when the residual bound β_m·|s_m| of its lowest Ritz pair is below this × ‖H‖ (Gershgorin).
LEAN_RESIDUAL = 1e-14
LEAN_MAX_STEPS = 1000
#: The stored-basis warm-start Lanczos gives up (ARPACK takes over) after this many steps.
WARM_MAX_STEPS = 80


def arpack_eigenpairs(
    d: np.ndarray, g: np.ndarray, k: int, v0: np.ndarray | None, tol: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """The ``k`` lowest eigenvalues (ascending), unit eigenvectors in columns and H·v count, by ARPACK."""
    op = TFIMOperator(d, g)
    with single_blas_thread():
        w, U = eigsh(op, k=k, which="SA", v0=v0, tol=tol)
    order = np.argsort(w)
    U = U[:, order]
    U /= np.linalg.norm(U, axis=0)
    return w[order], U, op.num_matvecs


def lean_ground_state(d: np.ndarray, g: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(E0, E1), ground state and H·v count by unrestarted, non-reorthogonalised Lanczos; None → use ARPACK.

    Three passes of a three-term recurrence from a fixed random start (four vectors in memory, no basis):
    (1) until the lowest Ritz pair's residual bound is ≤ ``LEAN_RESIDUAL``·‖H‖; (2) the same recurrence
    again, accumulating the Ritz vector (exactly reproducible: same operations in the same order); (3) a
    Lanczos run projected onto the orthogonal complement of the ground state, whose lowest Ritz value is E1.
    Loss of orthogonality only makes copies ("ghosts") of converged Ritz values, which never move the lowest
    one. Compared with ARPACK (implicit restarts, full reorthogonalisation against up to 20 basis vectors) it
    needs ~1.5× the products but no orthogonalisation work: 2–3× faster at n = 16–20, energies equal to
    ~1e-13 (tests compare both with dense diagonalization).
    """
    op = TFIMOperator(d, g)
    lo, hi = op.spectral_bounds()
    residual = max(tol, LEAN_RESIDUAL) * max(abs(lo), abs(hi), 1e-300)
    start = np.random.default_rng(0).standard_normal(d.size)
    with single_blas_thread():
        first = plain_lanczos(op, start, residual)
        if first is None:
            return None
        energy, coefficients = first
        state = plain_lanczos(op, start, residual, ritz=coefficients)
        state /= np.linalg.norm(state)
        excited = lowest_orthogonal(op, state, tol, start=start)
    if excited is None:
        return None
    return np.array([energy, excited[0]]), state, op.num_matvecs


def warm_ground_state(op: TFIMOperator, v0: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray, int] | None:
    """([E0], ground state, H·v count) by Lanczos from a good start ``v0``, or None after ``WARM_MAX_STEPS``.

    The basis is kept (≤ 81 vectors; used up to n = :data:`qflow_exact.eigen.WARM_MAX_SPINS`) and
    reorthogonalised twice per step, so the Ritz vector comes without a second pass and the run stops at the
    first step whose residual bound is ≤ ``LEAN_RESIDUAL``·‖H‖ — about 20 % fewer products than ARPACK, whose
    first cycle alone takes 20.
    """
    lo, hi = op.spectral_bounds()
    residual = max(tol, LEAN_RESIDUAL) * max(abs(lo), abs(hi), 1e-300)
    steps = min(WARM_MAX_STEPS, v0.size - 1)
    basis = np.empty((steps + 1, v0.size))
    basis[0] = v0
    alphas, betas, w = np.zeros(steps), np.zeros(steps), np.empty(v0.size)
    with single_blas_thread():
        for j in range(steps):
            op.apply(basis[j], out=w)
            alphas[j] = ddot(basis[j], w)
            for _ in range(2):  # classical Gram–Schmidt twice against the whole basis
                w -= basis[: j + 1].T @ (basis[: j + 1] @ w)
            betas[j] = dnrm2(w)
            theta, vec = eigh_tridiagonal(alphas[: j + 1], betas[:j], select="i", select_range=(0, 0))
            if betas[j] * abs(vec[-1, 0]) <= residual or betas[j] == 0:
                state = vec[:, 0] @ basis[: j + 1]
                return theta[:1], state / np.linalg.norm(state), op.num_matvecs
            basis[j + 1] = w / betas[j]
    return None


def lowest_orthogonal(op: TFIMOperator, state: np.ndarray, tol: float, start: np.ndarray | None = None):
    """(lowest eigenvalue of H on the orthogonal complement of ``state``, H·v count) or None (no convergence)."""
    lo, hi = op.spectral_bounds()
    residual = max(tol, LEAN_RESIDUAL) * max(abs(lo), abs(hi), 1e-300)
    before = op.num_matvecs
    start = np.random.default_rng(1).standard_normal(state.size) if start is None else start
    with single_blas_thread():
        found = plain_lanczos(op, start, residual, deflate=state)
    return None if found is None else (found[0], op.num_matvecs - before)


def plain_lanczos(op, start, residual, *, deflate=None, ritz=None):
    """Three-term Lanczos for the lowest eigenvalue. Without ``ritz``: (θ₀, its eigenvector of T) once the residual
    bound is ≤ ``residual`` (None if it never is). With ``ritz`` (that eigenvector): Σ_j ritz_j v_j.
    ``deflate`` (unit vector): work in its orthogonal complement."""
    v = start / np.linalg.norm(start)
    if deflate is not None:
        v = daxpy(deflate, v, a=-ddot(deflate, v))
        v /= dnrm2(v)
    v_prev, w = np.zeros_like(v), np.empty_like(v)
    steps = LEAN_MAX_STEPS if ritz is None else ritz.size
    steps = min(steps, v.size)
    alphas, betas = np.zeros(steps), np.zeros(steps)
    out = None if ritz is None else ritz[0] * v
    for j in range(steps):
        op.apply(v, out=w)
        alphas[j] = ddot(v, w)
        daxpy(v, w, a=-alphas[j])
        if j:
            daxpy(v_prev, w, a=-betas[j - 1])
        if deflate is not None:
            daxpy(deflate, w, a=-ddot(deflate, w))
        betas[j] = dnrm2(w)
        if out is not None:
            if j + 1 == steps:
                return out
        elif j >= 2 and (j % 4 == 0 or j + 1 == steps or betas[j] == 0):
            theta, vec = eigh_tridiagonal(alphas[: j + 1], betas[:j], select="i", select_range=(0, 0))
            if betas[j] * abs(vec[-1, 0]) <= residual:
                return float(theta[0]), vec[:, 0]
        if betas[j] == 0:
            return None
        v_prev, v, w = v, w, v_prev
        dscal(1.0 / betas[j], v)
        if out is not None:
            daxpy(v, out, a=ritz[j + 1])
    return None
