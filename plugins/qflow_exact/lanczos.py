"""Lanczos eigensolvers of the exact backend, all on the matrix-free :class:`~qflow_exact.hamiltonian.TFIMOperator`.

* :func:`arpack_eigenpairs` — ARPACK (``scipy.sparse.linalg.eigsh``, ``which="SA"``): the k lowest pairs;
* :func:`lean_ground_state` — unrestarted three-term Lanczos for cold ground states, keeping as much of its
  basis as :mod:`qflow_exact.memory` allows and replaying the rest (:func:`lanczos_run`, :func:`ritz_vector`);
* :func:`warm_ground_state` — stored-basis Lanczos from a good start vector (warm starts);
* :func:`lowest_orthogonal` — the lowest eigenvalue on the orthogonal complement of a state (the gap);
* :func:`plain_lanczos` — the three-term recurrence without a kept basis (the gap run).

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

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.linalg.blas import daxpy, ddot, dnrm2, dscal
from scipy.linalg.lapack import dstebz, dstein
from scipy.sparse.linalg import eigsh

from qflow_exact.blas import single_blas_thread
from qflow_exact.hamiltonian import TFIMOperator
from qflow_exact.kernels import three_term_update
from qflow_exact.memory import MIN_KEPT, kept_vector_bytes

__all__ = [
    "LEAN_RESIDUAL",
    "WARM_MAX_STEPS",
    "LanczosRun",
    "arpack_eigenpairs",
    "lanczos_run",
    "lean_ground_state",
    "lowest_orthogonal",
    "lowest_ritz_pair",
    "plain_lanczos",
    "ritz_vector",
    "warm_ground_state",
]

#: Lean Lanczos stops when the residual bound β_m·|s_m| of its lowest Ritz pair is below this × ‖H‖ (Gershgorin).
LEAN_RESIDUAL = 1e-14
LEAN_MAX_STEPS = 1000
#: OpenBLAS runs dot products and axpys on one thread up to 10 000 numbers (interface/dot.c, axpy.c).
SHORT_VECTOR = 8192
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


def lean_ground_state(
    d: np.ndarray, g: np.ndarray, tol: float, *, gap: bool = True, keep_bytes: float | None = None
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(E0[, E1]), ground state and H·v count by unrestarted, non-reorthogonalised Lanczos; None → use ARPACK.

    A three-term recurrence from a fixed random start, run until the lowest Ritz pair's residual bound is
    ≤ ``LEAN_RESIDUAL``·‖H‖. The first ``keep_bytes`` worth of Lanczos vectors (default
    :func:`~qflow_exact.memory.kept_vector_bytes`) are kept, so the Ritz vector is summed from them and only
    the steps beyond them are replayed (the same operations in the same order, so the state is bitwise the
    same whatever is kept). With ``gap=True`` a second run, projected onto the orthogonal complement of the
    ground state, gives E1 as its lowest Ritz value. Loss of orthogonality only makes copies ("ghosts") of
    converged Ritz values, which never move the lowest one; no orthogonalisation work is done at all.
    """
    op = TFIMOperator(d, g)
    lo, hi = op.spectral_bounds()
    residual = max(tol, LEAN_RESIDUAL) * max(abs(lo), abs(hi), 1e-300)
    budget = kept_vector_bytes(d.size) if keep_bytes is None else keep_bytes
    keep = max(MIN_KEPT, int(budget // (8 * d.size)))
    start = np.random.default_rng(0).standard_normal(d.size)
    with _level1_blas_limit(d.size):
        run = lanczos_run(op, start, residual, keep=keep)
        del start
        if run is None:
            return None
        state = ritz_vector(op, run)
        state /= dnrm2(state)
        energies = np.array([run.theta])
        if gap:
            start = run.kept[0].copy()
            del run  # frees the kept basis before the second run
            excited = lowest_orthogonal(op, state, tol, start=start)
            if excited is None:
                return None
            energies = np.array([energies[0], excited[0]])
    return energies, state, op.num_matvecs


def _level1_blas_limit(size: int) -> AbstractContextManager:
    """:func:`single_blas_thread`, except for vectors too short for OpenBLAS to split a level-1 call (≤ 10⁴
    numbers: then one thread runs anyway, and setting the limit would cost more than the solve)."""
    return single_blas_thread() if size > SHORT_VECTOR else nullcontext()


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
    with _level1_blas_limit(state.size):
        found = plain_lanczos(op, start, residual, deflate=state)
    return None if found is None else (found[0], op.num_matvecs - before)


@dataclass
class LanczosRun:
    """A converged first pass of :func:`lanczos_run`: lowest Ritz value ``theta``, its eigenvector ``coefficients``
    of the tridiagonal matrix, the recurrence coefficients, the kept Lanczos vectors and the deflated vector."""

    theta: float
    coefficients: np.ndarray
    alphas: np.ndarray
    betas: np.ndarray
    kept: list[np.ndarray]
    deflate: np.ndarray | None


def lanczos_run(op, start, residual, *, deflate=None, keep=0) -> LanczosRun | None:
    """Three-term Lanczos for the lowest eigenvalue until the residual bound β_j·|s_j| ≤ ``residual`` (None if
    it never is). The first ``keep`` Lanczos vectors are kept (no copy: the recurrence runs in them).
    ``deflate`` (unit vector): work in its orthogonal complement."""
    size = start.size
    steps = min(LEAN_MAX_STEPS, size)
    kept: list[np.ndarray] = []
    ring: list[np.ndarray] = []
    w = np.empty(size)

    def slot(j: int) -> np.ndarray:
        if j < keep:
            if j == len(kept):
                kept.append(np.empty(size))
            return kept[j]
        if not ring:
            ring.extend(np.empty(size) for _ in range(3))
        return ring[j % 3]

    v = slot(0)
    np.multiply(start, 1.0 / dnrm2(start), out=v)
    if deflate is not None:
        daxpy(deflate, v, a=-ddot(deflate, v))
        dscal(1.0 / dnrm2(v), v)
    every = 1 if size >= 1 << 14 else 4  # the convergence test costs about one small product
    alphas, betas = np.zeros(steps), np.zeros(steps)
    for j in range(steps):
        alphas[j], betas[j] = _step(op, slot(j), slot(j - 1) if j else None, w, None, betas[j - 1], deflate)
        if j >= 2 and (j % every == 0 or j + 1 == steps or betas[j] == 0):
            theta, vec = lowest_ritz_pair(alphas[: j + 1], betas[:j])
            if betas[j] * abs(vec[-1]) <= residual:
                return LanczosRun(theta, vec, alphas[: j + 1], betas[: j + 1], kept, deflate)
        if betas[j] == 0:
            return None
        np.multiply(w, 1.0 / betas[j], out=slot(j + 1))
    return None


def ritz_vector(op, run: LanczosRun) -> np.ndarray:
    """Σ_j s_j v_j of a :func:`lanczos_run` (kept vectors, then the rest replayed; needs ≥ 2 kept vectors)."""
    coefficients, kept = run.coefficients, run.kept
    out = coefficients[0] * kept[0]
    for j in range(1, min(len(kept), coefficients.size)):
        daxpy(kept[j], out, a=coefficients[j])
    first = len(kept) - 1
    if first + 1 >= coefficients.size:
        return out
    ring, w = np.empty((3, out.size)), np.empty(out.size)

    def slot(j: int) -> np.ndarray:
        return kept[j] if j <= first else ring[j % 3]

    for j in range(first, coefficients.size - 1):  # regenerate v_{j+1} exactly as the first pass did
        _step(op, slot(j), slot(j - 1), w, run.alphas[j], run.betas[j - 1], run.deflate)
        v = np.multiply(w, 1.0 / run.betas[j], out=slot(j + 1))
        daxpy(v, out, a=coefficients[j + 1])
    return out


def lowest_ritz_pair(alphas: np.ndarray, offdiag: np.ndarray) -> tuple[float, np.ndarray]:
    """Lowest eigenvalue and unit eigenvector of the tridiagonal matrix (diagonal ``alphas``, off-diagonal
    ``offdiag``): LAPACK bisection (``dstebz``) and inverse iteration (``dstein``) called directly, the same
    routines as ``scipy.linalg.eigh_tridiagonal(select="i")`` without its argument checks (which cost more than
    a small product and run at every convergence test).

    >>> theta, vec = lowest_ritz_pair(np.array([0.0, 0.0]), np.array([1.0]))
    >>> round(theta, 12), np.round(np.abs(vec), 6).tolist()
    (-1.0, [0.707107, 0.707107])
    """
    if alphas.size == 1:
        return float(alphas[0]), np.ones(1)
    _, w, iblock, isplit, info = dstebz(alphas, offdiag, 2, 0.0, 1.0, 1, 1, 0.0, "B")
    vec, info_v = dstein(alphas, offdiag, w[:1], iblock, isplit)
    if info or info_v:
        raise RuntimeError(f"LAPACK dstebz/dstein failed (info {info}, {info_v}) on the Lanczos tridiagonal matrix")
    return float(w[0]), vec[:, 0]


def _step(op, v, v_prev, w, alpha, beta_prev, deflate) -> tuple[float, float]:
    """w ← H v − α v − β_prev v_prev (projected off ``deflate``); returns (α, ‖w‖). α is computed when None."""
    op.apply(v, out=w)
    alpha = ddot(v, w) if alpha is None else alpha
    if deflate is None:  # the common case in one fused pass (the first step has no previous vector)
        first = v_prev is None
        return alpha, three_term_update(w, v, v if first else v_prev, alpha, 0.0 if first else beta_prev)
    daxpy(v, w, a=-alpha)
    if v_prev is not None:
        daxpy(v_prev, w, a=-beta_prev)
    daxpy(deflate, w, a=-ddot(deflate, w))
    return alpha, dnrm2(w)


def plain_lanczos(op, start, residual, *, deflate=None):
    """Three-term Lanczos for the lowest eigenvalue, keeping no basis: (θ₀, its eigenvector of T) once the residual
    bound is ≤ ``residual`` (None if it never is). ``deflate`` (unit vector): work in its orthogonal complement."""
    run = lanczos_run(op, start, residual, deflate=deflate)
    return None if run is None else (run.theta, run.coefficients)
