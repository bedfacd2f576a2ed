"""Memory model of the exact backend's large-n solvers: what a ground state or an evolution needs, checked
against a limit before any large array is allocated.

Every large array is a vector over the 2^n basis states: the diagonal E(s) (float64) and the solver's work
vectors (float64 for ground states, complex128 for real-time evolution). The estimates below count them
exactly as the solvers allocate them; interpreter, libraries and small arrays are not included.

* :func:`ground_state_bytes` — cold Lanczos (:func:`~qflow_exact.lanczos.lean_ground_state`) keeping
  ``kept`` Lanczos vectors: d, the kept vectors, three recurrence buffers, one product buffer, the start
  vector or the state, and for the gap the deflated run's start;
* :func:`evolution_bytes` — the Krylov propagator (:func:`~qflow_exact.krylov.evolve`) with a stored basis of
  ``krylov_dim + 1`` complex vectors, the state, one product buffer and d (+ the running average);
* :func:`kept_vector_bytes` — how much of the Lanczos basis a cold ground state keeps (up to
  :data:`KEEP_BYTES`, never past :data:`MEMORY_LIMIT_BYTES`);
* :func:`check_memory` — :class:`~qflow_core.errors.ProblemTooLargeError` with the estimate when it exceeds
  the limit.

>>> round(ground_state_bytes(20, kept=2) / 2**20)  # 2^20 float64 = 8 MiB per vector, 9 vectors
72
>>> check_memory("a test", 30, evolution_bytes(30, 30))
Traceback (most recent call last):
...
qflow_core.errors.ProblemTooLargeError: ...
"""

from __future__ import annotations

from qflow_core.errors import ProblemTooLargeError

__all__ = [
    "KEEP_BYTES",
    "MEMORY_LIMIT_BYTES",
    "MIN_KEPT",
    "check_memory",
    "evolution_bytes",
    "ground_state_bytes",
    "kept_vector_bytes",
]

#: The large-n solvers refuse a problem whose estimate exceeds this (8 GiB).
MEMORY_LIMIT_BYTES = 8 * 2**30
#: A cold ground state keeps up to this many bytes of its Lanczos basis (fewer products, see lanczos.py).
KEEP_BYTES = 512 * 2**20
#: ... and never fewer than this many vectors (the replay restarts from the last two).
MIN_KEPT = 2
_GROUND_STATE_VECTORS = 7  # d, 3 recurrence buffers, product buffer, start/state, gap start
_EVOLUTION_VECTORS = 2  # the state and the product buffer (complex); + basis, d and the average


def ground_state_bytes(n: int, kept: int) -> float:
    """Bytes of the large arrays of a cold Lanczos ground state of n spins keeping ``kept`` vectors."""
    return 8.0 * 2**n * (_GROUND_STATE_VECTORS + kept)


def evolution_bytes(n: int, krylov_dim: int, *, average: bool = False) -> float:
    """Bytes of the large arrays of a Krylov evolution of n spins with basis dimension ``krylov_dim``."""
    complex_vectors = krylov_dim + 1 + _EVOLUTION_VECTORS
    return 2.0**n * (16.0 * complex_vectors + 8.0 * (1 + average))


def kept_vector_bytes(size: int) -> float:
    """The part of the Lanczos basis a cold ground state keeps, in bytes, for vectors of ``size`` float64."""
    n = size.bit_length() - 1
    return max(0.0, min(KEEP_BYTES, MEMORY_LIMIT_BYTES - ground_state_bytes(n, 0)))  # ≥ MIN_KEPT are kept anyway


def check_memory(what: str, n: int, required_bytes: float, limit_bytes: float = MEMORY_LIMIT_BYTES) -> None:
    """Raise :class:`ProblemTooLargeError` (stating the estimate) when ``required_bytes > limit_bytes``."""
    if required_bytes > limit_bytes:
        limit = f"the exact backend's large-n solvers stay within {limit_bytes / 2**30:.0f} GiB"
        raise ProblemTooLargeError(what, n=n, required_bytes=required_bytes, limit=limit)
