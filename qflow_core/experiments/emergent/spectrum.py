"""The slowest relaxation modes of a generator: eigenvalues nearest zero by sparse shift-invert.

A detailed-balance generator has a real spectrum; a driven one may have complex pairs. A mode with
|Im λ| > |Re λ| oscillates more than once per decay time (underdamped) — what a Schrödinger-like dynamics of
the ensemble would need.

>>> import scipy.sparse as sp
>>> q = sp.csr_matrix(np.array([[-1.0, 1.0, 0.0], [1.0, -2.0, 1.0], [0.0, 1.0, -1.0]]))
>>> np.round(slow_spectrum(q, 2).real, 6).tolist()
[-1.0, -3.0]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["FILL_ORDERING", "damping_ratios", "slow_spectrum"]

#: Fill-reducing ordering of the sparse LU factorisations: a generator is structurally symmetric (every hop has
#: its reverse), so minimum degree on Aᵀ + A gives about half the fill of SuperLU's default COLAMD.
FILL_ORDERING = "MMD_AT_PLUS_A"


def slow_spectrum(
    matrix: sp.spmatrix, k: int = 8, *, shift: float | None = None, ordering: str = FILL_ORDERING
) -> np.ndarray:
    """The ``k`` eigenvalues nearest 0 other than the stationary λ = 0, slowest first.

    Shift-invert about a small positive ``shift`` (default 10⁻³ of the smallest diagonal rate), which is
    closer to λ = 0 than any decaying mode; ``ordering`` is the fill-reducing ordering of the sparse LU
    (SuperLU ``permc_spec``). Small generators are diagonalised densely.
    """
    n = matrix.shape[0]
    scale = float(np.abs(matrix.diagonal()).min()) or 1.0
    shift = 1e-3 * scale if shift is None else float(shift)
    if n <= max(64, 2 * (k + 2)):
        values = np.linalg.eigvals(matrix.toarray())
    else:
        shifted = spla.splu((matrix - shift * sp.eye(n)).tocsc(), permc_spec=ordering)
        inverse = spla.LinearOperator((n, n), matvec=shifted.solve, dtype=float)
        values = spla.eigs(
            matrix, k=min(k + 1, n - 2), sigma=shift, OPinv=inverse, which="LM", return_eigenvectors=False
        )
    values = values[np.argsort(np.abs(values))]
    tol = 1e-8 * float(np.abs(matrix.diagonal()).max())
    values = values[np.abs(values) > tol]
    return values[:k]


def damping_ratios(values: np.ndarray) -> np.ndarray:
    """|Im λ| / |Re λ| of each mode (> 1: underdamped)."""
    values = np.asarray(values, dtype=complex)
    return np.abs(values.imag) / np.maximum(np.abs(values.real), np.finfo(float).tiny)
