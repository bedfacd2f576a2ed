"""Eigenstates of the TFIM: the ground state or the k-th level of H(Γ), cold or warm-started.

:func:`ground_state` picks the solver — the exact diagonal when every Γ_i = 0, dense ``eigh`` for small n,
otherwise one of the Lanczos solvers of :mod:`qflow_exact.lanczos` — and returns an :class:`EigenResult`
whose gap is computed lazily when the solver did not find it on the way. :func:`eigenpair` does the same from
a diagonal the caller already has.

>>> res = ground_state([[0.0, 1.0], [1.0, 0.0]], [0.5, 0.0], 0.3)
>>> round(res.energy, 6), res.level
(-1.577794, 0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_exact.hamiltonian import MAX_SPINS, TFIMOperator, check_size, diagonal_energies, spin_gammas
from qflow_exact.lanczos import arpack_eigenpairs, lean_ground_state, lowest_orthogonal, warm_ground_state
from qflow_exact.memory import MIN_KEPT, check_memory, ground_state_bytes

__all__ = ["DENSE_MAX_SPINS", "LEAN_MIN_SPINS", "WARM_MAX_SPINS", "EigenResult", "eigenpair", "ground_state"]

#: Up to this n, eigenproblems are solved densely (``numpy.linalg.eigh``), above it by Lanczos.
DENSE_MAX_SPINS = 6
#: From this n on, cold ground states use the lean Lanczos (measured faster than dense eigh from n = 7 on).
LEAN_MIN_SPINS = 7
#: Up to this n, warm starts of the ground state use Lanczos with a stored, fully reorthogonalised basis.
WARM_MAX_SPINS = 16


class EigenResult:
    """An eigenpair of H: ``energy`` E_level, normalised real ``state``, ``gap`` E_{level+1} − E_level,
    ``energies`` (the lowest level + 2 eigenvalues, ascending), ``num_matvecs`` (H·v products spent),
    ``method`` (the solver that found it: ``"diagonal"``, ``"dense eigh"``, ``"lanczos"``, ``"arpack"``,
    ``"warm lanczos"`` or ``"warm arpack"``).

    After a warm start (``v0``) only the requested eigenpair is computed; ``gap`` and ``energies`` are then
    computed on first access by a second Lanczos run (for level 0: the lowest eigenvalue on the orthogonal
    complement of ``state``; its products are added to ``num_matvecs``), so equilibrium-propagation loops
    that only need ``state`` pay for nothing else.
    ``has_gap`` says whether the gap is already known and ``known_energies`` returns the eigenvalues computed
    so far, both without triggering that second run.
    """

    def __init__(
        self,
        energy: float,
        state: np.ndarray,
        level: int,
        num_matvecs: int,
        energies=None,
        complete=None,
        known=None,
        method: str = "",
    ):
        self.method = method
        self.energy = float(energy)
        self.state = state
        self.level = level
        self.num_matvecs = int(num_matvecs)
        self._energies = None if energies is None else np.asarray(energies, dtype=float)
        self._known = self._energies if known is None else np.asarray(known, dtype=float)
        self._complete = complete

    @property
    def has_gap(self) -> bool:
        """True when ``gap`` and ``energies`` are known (reading them costs no further H·v products)."""
        return self._energies is not None

    @property
    def known_energies(self) -> np.ndarray:
        """The eigenvalues computed so far, ascending: all of ``energies`` when :attr:`has_gap`, else levels
        0…level from the warm-started run."""
        return self._energies if self._energies is not None else self._known

    @property
    def energies(self) -> np.ndarray:
        if self._energies is None:
            self._energies, extra = self._complete()
            self.num_matvecs += extra
        return self._energies

    @property
    def gap(self) -> float:
        w = self.energies
        return float(w[self.level + 1] - w[self.level]) if self.level + 1 < w.size else float("nan")

    def __repr__(self) -> str:
        return f"EigenResult(level={self.level}, energy={self.energy:.12g}, num_matvecs={self.num_matvecs})"


def ground_state(
    J: Any,
    h: Any,
    gamma: Any,
    *,
    level: int = 0,
    v0: np.ndarray | None = None,
    offset: float = 0.0,
    tol: float = 0.0,
) -> EigenResult:
    """Eigenstate number ``level`` (0 = ground state) of H(Γ) by Lanczos; dense ``eigh`` for n ≤ 6.

    All solvers run on the matrix-free :class:`TFIMOperator` with BLAS limited to one thread (the solver used
    is recorded in ``method``). Without ``v0``: for ``level=0`` and n ≥ ``LEAN_MIN_SPINS`` the ground state
    comes from the lean Lanczos (:func:`~qflow_exact.lanczos.lean_ground_state`: fewer products than ARPACK and
    no orthogonalisation, 3–7× faster than scipy CSR + ``eigsh`` at n = 12–20) and the gap is deferred — the
    first read of ``gap`` or ``energies`` runs a second, deflated Lanczos; for ``level > 0`` ARPACK
    (``scipy.sparse.linalg.eigsh``, ``which="SA"``) computes the lowest level + 2 eigenvalues at once. ``v0``
    warm-starts Lanczos (e.g. the ground state of a slightly different Hamiltonian, as in equilibrium
    propagation): only levels 0…level are computed — for ``level=0`` and n ≤ ``WARM_MAX_SPINS`` by a
    stored-basis Lanczos that stops as soon as it has converged, else by ARPACK — and ``gap`` is deferred too.
    The large arrays are checked against :data:`~qflow_exact.memory.MEMORY_LIMIT_BYTES` first.
    Every path converges to a residual ≤ max(tol, 1e-14)·‖H‖ (ARPACK: ``tol=0`` = machine precision);
    energies agree to ~1e-13.

    Degeneracies: with all Γ_i = 0, H is diagonal and the result is exact without Lanczos; for ``level=0``
    the state is the equal-weight superposition of all minimum-energy basis states (so Born samples are
    uniform over degenerate classical ground states) and ``gap`` is 0 when the minimum is degenerate; for
    ``level=k > 0`` it is the k-th basis state in ascending energy (ties in basis-index order). With Γ > 0 and
    a (near-)degenerate level, the eigenvector returned is whichever vector of the eigenspace Lanczos finds.

    >>> res = ground_state([[0.0, -1.0], [-1.0, 0.0]], [0.0, 0.0], 0.0)
    >>> from qflow_exact.observables import z_probabilities
    >>> res.gap, np.round(z_probabilities(res.state), 3).tolist()
    (0.0, [0.0, 0.5, 0.5, 0.0])
    """
    return eigenpair(diagonal_energies(J, h, offset), gamma, level=level, v0=v0, tol=tol)


def eigenpair(
    diagonal: np.ndarray, gamma: Any, *, level: int = 0, v0: np.ndarray | None = None, tol: float = 0.0
) -> EigenResult:
    """:func:`ground_state` from the diagonal E(s) of H (e.g. :func:`diagonal_energies`, computed once by a caller
    that also needs it) and the transverse fields ``gamma`` (scalar or (n,)).

    >>> res = eigenpair(diagonal_energies([[0.0, 1.0], [1.0, 0.0]], [0.5, 0.0]), 0.3)
    >>> round(res.energy, 6), round(res.gap, 6)
    (-1.577794, 0.969052)
    """
    d = np.ascontiguousarray(diagonal, dtype=float)
    n = int(np.log2(d.size))
    if d.ndim != 1 or 1 << n != d.size:
        raise InvalidInputError(f"the diagonal must be a vector of length 2^n, got shape {d.shape}")
    check_size(n, MAX_SPINS, "Lanczos", ground_state_bytes(n, MIN_KEPT))
    check_memory("the Lanczos ground state", n, ground_state_bytes(n, MIN_KEPT))
    g = spin_gammas(gamma, n)
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 0 <= level < d.size:
        raise InvalidInputError(f"level must be an integer in [0, {d.size}), got {level!r}")
    level = int(level)
    k = min(level + 2, d.size)
    if not np.any(g):
        return _diagonal_eigenpair(d, level, k)  # method "diagonal"
    if n <= DENSE_MAX_SPINS or k >= d.size - 1:
        w, U = np.linalg.eigh(_dense_hamiltonian(d, g))
        return EigenResult(w[level], _real_normalised(U[:, level]), level, 0, energies=w[:k], method="dense eigh")
    if v0 is None:
        lean = lean_ground_state(d, g, tol, gap=False) if level == 0 and n >= LEAN_MIN_SPINS else None
        if lean is not None:
            w, state, matvecs = lean
            method = "lanczos"
        else:
            w, U, matvecs = arpack_eigenpairs(d, g, k, None, tol)
            return EigenResult(w[level], U[:, level], level, matvecs, energies=w, method="arpack")
    else:
        v0 = np.asarray(v0)
        if v0.shape != d.shape:
            raise InvalidInputError(f"v0 must have shape {d.shape}, got {v0.shape}")
        tried = TFIMOperator(d, g)  # counts the products of a warm Lanczos attempt that falls back to ARPACK
        warm = warm_ground_state(tried, _real_normalised(v0), tol) if level == 0 and n <= WARM_MAX_SPINS else None
        if warm is not None:
            w, state, matvecs = warm
            method = "warm lanczos"
        else:
            w, U, matvecs = arpack_eigenpairs(d, g, level + 1, _real_normalised(v0), tol)
            state, matvecs, method = U[:, level], matvecs + tried.num_matvecs, "warm arpack"

    def complete() -> tuple[np.ndarray, int]:
        if level == 0:
            excited = lowest_orthogonal(TFIMOperator(d, g), state, tol)
            if excited is not None:
                return np.array([w[0], excited[0]]), excited[1]
        w_all, _, extra = arpack_eigenpairs(d, g, k, state, tol)
        return w_all, extra

    return EigenResult(w[level], state, level, matvecs, complete=complete, known=w, method=method)


def _dense_hamiltonian(d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """H as a dense (2^n, 2^n) array (small n only)."""
    n = g.size
    H = np.diag(d)
    k = np.arange(d.size)
    for i in range(n):
        H[k, k ^ (1 << (n - 1 - i))] -= g[i]
    return H


def _real_normalised(v: np.ndarray) -> np.ndarray:
    """A real unit vector: H is real, so a complex eigenvector or warm start only carries a global phase."""
    v = np.asarray(v)
    if np.iscomplexobj(v):
        pivot = v[np.argmax(np.abs(v))]
        v = np.real(v * (np.conj(pivot) / abs(pivot)))
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def _diagonal_eigenpair(d: np.ndarray, level: int, k: int) -> EigenResult:
    order = np.argsort(d, kind="stable")
    vec = np.zeros(d.size)
    if level == 0:
        vec[d == d[order[0]]] = 1.0
    else:
        vec[order[level]] = 1.0
    return EigenResult(d[order[level]], vec / np.linalg.norm(vec), level, 0, energies=d[order[:k]], method="diagonal")
