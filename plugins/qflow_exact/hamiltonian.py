"""The transverse-field Ising Hamiltonian H = E(σᶻ) − Σ_i Γ_i σˣ_i on all 2^n basis states.

Basis convention: the basis index bit for site i is bit (n−1−i), so site 0 is the most significant bit, and
bit value 0 ↔ s_i = +1. Row k of :func:`basis_states` is basis index k. E(s) = −½ sᵀJs − hᵀs + offset.

* :func:`basis_states`, :func:`basis_index`, :func:`diagonal_energies` — the classical states and energies;
* :func:`hamiltonian` — H as a scipy CSR matrix built with bit operations (for small n and interop);
  :class:`TFIMOperator` — the same H matrix-free (compiled kernel, no index arrays), used by the solvers;
* :func:`spin_gammas`, :func:`check_size` — input checks shared by the exact solvers.

>>> import numpy as np
>>> J = np.array([[0.0, 1.0], [1.0, 0.0]]); h = np.array([0.5, 0.0])
>>> diagonal_energies(J, h).tolist()  # states ++, +-, -+, --
[-1.5, 0.5, 1.5, -0.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from qflow_core.errors import InvalidInputError, ProblemTooLargeError
from qflow_exact.blas import single_blas_thread
from qflow_exact.product import apply_tfim

__all__ = [
    "MAX_SPINS",
    "TFIMOperator",
    "basis_index",
    "basis_states",
    "check_size",
    "diagonal_energies",
    "hamiltonian",
    "spin_gammas",
]

#: Largest n for any state-vector method (the solvers also check their memory estimate, see qflow_exact.memory).
MAX_SPINS = 26
_CHUNK = 1 << 16
_SPLIT_MIN_SPINS = 12  # up to here the energies are enumerated directly


def check_size(n: int, max_spins: int, what: str, bytes_needed: float) -> None:
    """Raise :class:`ProblemTooLargeError` (stating ``bytes_needed``) when ``n > max_spins``."""
    if n > max_spins:
        limit = f"the exact backend stops at n = {max_spins} here"
        raise ProblemTooLargeError(what, n=n, required_bytes=bytes_needed, limit=limit)


def _ising_arrays(J: Any, h: Any) -> tuple[np.ndarray, np.ndarray]:
    J = np.asarray(J, dtype=float)
    h = np.asarray(h, dtype=float)
    if J.ndim != 2 or J.shape[0] != J.shape[1] or h.shape != (J.shape[0],) or J.shape[0] == 0:
        raise InvalidInputError(f"J must be (n, n) and h (n,) with n ≥ 1; got J {J.shape}, h {h.shape}")
    if not (np.all(np.isfinite(J)) and np.all(np.isfinite(h))):
        raise InvalidInputError("J and h must be finite (no NaN or infinite entries)")
    return (J + J.T) / 2 - np.diag(np.diag(J)), h


def spin_gammas(gamma: Any, n: int) -> np.ndarray:
    """Per-spin transverse fields Γ_i (n,) from a scalar or an (n,) array; must be finite and ≥ 0."""
    g = np.broadcast_to(np.asarray(gamma, dtype=float), (n,)) if np.ndim(gamma) == 0 else np.asarray(gamma, float)
    if g.shape != (n,):
        raise InvalidInputError(f"gamma must be a scalar or have shape ({n},), got {g.shape}")
    if not np.all(np.isfinite(g)) or np.any(g < 0):
        raise InvalidInputError(f"transverse fields must be finite and ≥ 0, got {g.tolist()}")
    return np.array(g, dtype=float)


def basis_states(n: int) -> np.ndarray:
    """All 2^n spin configurations as an int8 array (2^n, n); row k is basis index k.

    Written in place from two small tables (the high and the low half of the bits, unpacked with
    ``np.unpackbits``), so the only large array is the result itself (2^n·n bytes).

    >>> basis_states(2).tolist()
    [[1, 1], [1, -1], [-1, 1], [-1, -1]]
    """
    check_size(n, MAX_SPINS, "listing all basis states", 2.0**n * n)
    low = n // 2
    high = n - low
    out = np.empty((1 << n, n), dtype=np.int8)
    blocks = out.reshape(1 << high, 1 << low, n)
    blocks[:, :, :high] = _spin_table(high)[:, None, :]
    blocks[:, :, high:] = _spin_table(low)[None, :, :]
    return out


def _spin_table(m: int) -> np.ndarray:
    """All 2^m rows of m spins (m ≤ 16), most significant bit first, as int8 ±1."""
    words = np.arange(1 << m, dtype=">u4").view(np.uint8).reshape(-1, 4)
    bits = np.unpackbits(words, axis=1)[:, 32 - m :]
    return (1 - 2 * bits.view(np.int8)).astype(np.int8)


def basis_index(state: Any) -> int:
    """Basis index of a ±1 configuration (site 0 = most significant bit, +1 ↔ bit 0).

    >>> basis_index([1, -1, -1])
    3
    """
    s = np.asarray(state)
    if s.ndim != 1 or not np.all(np.isin(s, (-1, 1))):
        raise InvalidInputError(f"state must be a 1-D sequence of ±1 spins, got {s.tolist()}")
    bits = (1 - s.astype(np.int64)) // 2
    return int(np.sum(bits << np.arange(s.size - 1, -1, -1, dtype=np.int64)))


def diagonal_energies(J: Any, h: Any, offset: float = 0.0) -> np.ndarray:
    """E(s) = −½ sᵀJs − hᵀs + offset for every basis state, shape (2^n,).

    The spins are split into a high half (sites 0…H−1, the high bits) and a low half: E = E_high + E_low −
    s_highᵀ J_{high,low} s_low, where the last term is one matrix product per block of rows (BLAS, one
    thread), so the cost is about 2^n·n/2 multiply-adds and the only large array is the result.

    >>> diagonal_energies([[0.0]], [1.0], offset=2.0).tolist()
    [1.0, 3.0]
    """
    J, h = _ising_arrays(J, h)
    n = h.size
    check_size(n, MAX_SPINS, "the diagonal of H", 2.0**n * 8)
    if n <= _SPLIT_MIN_SPINS:
        return _enumerated_energies(J, h, offset)
    high = n - n // 2
    e_high = _enumerated_energies(J[:high, :high], h[:high], offset)
    e_low = _enumerated_energies(J[high:, high:], h[high:], 0.0)
    cross = basis_states(high) @ J[:high, high:]  # (2^H, L): Σ_i s_i J_ij for every high configuration
    low_spins = basis_states(n - high).astype(float).T
    out = np.empty(1 << n)
    rows = out.reshape(e_high.size, e_low.size)
    step = max(1, _CHUNK // e_low.size)
    with single_blas_thread():
        for r in range(0, e_high.size, step):
            block = rows[r : r + step]
            np.matmul(cross[r : r + step], low_spins, out=block)
            np.subtract(e_high[r : r + step, None], block, out=block)
            block += e_low
    return out


def _enumerated_energies(J: np.ndarray, h: np.ndarray, offset: float) -> np.ndarray:
    """E(s) for all 2^n states of a small model (n ≤ 16), directly from the ±1 rows."""
    s = basis_states(h.size).astype(float)
    return offset - s @ h - 0.5 * np.einsum("ki,ki->k", s @ J, s)


def _bit_gammas(gammas: np.ndarray) -> np.ndarray:
    """Per-spin Γ_i reordered by bit position (bit b ↔ site n − 1 − b)."""
    return np.ascontiguousarray(gammas[::-1])


def hamiltonian(J: Any, h: Any, gamma: Any, *, offset: float = 0.0) -> sp.csr_matrix:
    """H = E(σᶻ) − Σ_i Γ_i σˣ_i as a real scipy CSR matrix built with bit operations.

    ``gamma`` is a scalar or a per-spin array (n,). For n ≳ 16 prefer :class:`TFIMOperator` (no index arrays).

    >>> H = hamiltonian([[0.0]], [0.25], 0.1)
    >>> H.toarray().tolist()
    [[-0.25, -0.1], [-0.1, 0.25]]
    """
    d = diagonal_energies(J, h, offset)
    n = int(np.log2(d.size))
    g = spin_gammas(gamma, n)
    size = d.size
    check_size(n, 22, "the CSR Hamiltonian", 12.0 * size * (n + 1))
    k = np.arange(size, dtype=np.int64)
    active = [b for b in range(n) if g[n - 1 - b] != 0]
    cols = np.empty((size, 1 + len(active)), dtype=np.int64)
    vals = np.empty((size, 1 + len(active)))
    cols[:, 0], vals[:, 0] = k, d
    for c, b in enumerate(active, start=1):
        cols[:, c] = k ^ (1 << b)
        vals[:, c] = -g[n - 1 - b]
    order = np.argsort(cols, axis=1, kind="stable")
    cols = np.take_along_axis(cols, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    indptr = np.arange(0, size * cols.shape[1] + 1, cols.shape[1], dtype=np.int64)
    return sp.csr_matrix((vals.ravel(), cols.ravel(), indptr), shape=(size, size))


class TFIMOperator(LinearOperator):
    """Matrix-free H = diag(d) − Σ_i Γ_i σˣ_i (float64 or complex128 vectors) with a matvec counter.

    Built from the diagonal ``d`` (e.g. :func:`diagonal_energies`) and per-spin fields ``gammas`` (a scalar or
    (n,) array of any sign).

    >>> op = TFIMOperator(np.array([-0.25, 0.25]), np.array([0.1]))
    >>> (op @ np.array([1.0, 0.0])).tolist(), op.num_matvecs
    ([-0.25, -0.1], 1)
    """

    def __init__(self, diagonal: np.ndarray, gammas: np.ndarray, dtype: Any = np.float64) -> None:
        self.diagonal = np.ascontiguousarray(diagonal, dtype=float)
        self.num_spins = int(np.log2(self.diagonal.size))
        if 1 << self.num_spins != self.diagonal.size:
            raise InvalidInputError(f"the diagonal must have length 2^n, got {self.diagonal.size}")
        self.gammas = np.broadcast_to(np.asarray(gammas, dtype=float), (self.num_spins,)).copy()
        if not np.all(np.isfinite(self.gammas)):  # any sign: CF4 anneal steps combine fields with α₁ < 0
            raise InvalidInputError(f"transverse fields must be finite, got {self.gammas.tolist()}")
        self._bit_g = _bit_gammas(self.gammas)
        self.num_matvecs = 0
        super().__init__(dtype=np.dtype(dtype), shape=(self.diagonal.size, self.diagonal.size))

    def apply(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """H x into ``out`` (allocated when None); ``x`` float64 or complex128, contiguous."""
        x = np.ascontiguousarray(x)
        if x.dtype not in (np.float64, np.complex128):
            x = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
        if out is None:
            out = np.empty_like(x)
        apply_tfim(x, self.diagonal, self._bit_g, out)
        self.num_matvecs += 1
        return out

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        return self.apply(np.asarray(x).reshape(-1))

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        return self.apply(np.asarray(x).reshape(-1))

    def _adjoint(self) -> TFIMOperator:
        return self

    def spectral_bounds(self) -> tuple[float, float]:
        """Gershgorin bounds [min d − ΣΓ, max d + ΣΓ] on the spectrum."""
        width = float(np.abs(self.gammas).sum())
        return float(self.diagonal.min()) - width, float(self.diagonal.max()) + width
