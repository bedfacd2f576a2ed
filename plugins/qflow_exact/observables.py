"""Observables of a TFIM state vector in the z basis (site 0 = most significant bit of the basis index).

>>> import numpy as np
>>> psi = np.array([1.0, 0.0, 0.0, 1.0]) / np.sqrt(2)  # (|++⟩ + |−−⟩)/√2
>>> z_probabilities(psi).round(3).tolist(), x_expectations(psi).round(12).tolist()
([0.5, 0.0, 0.0, 0.5], [0.0, 0.0])
"""

from __future__ import annotations

import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["x_expectations", "z_probabilities"]


def z_probabilities(state: np.ndarray) -> np.ndarray:
    """Born-rule probabilities |ψ_k|² of a state vector (normalised to sum 1).

    >>> z_probabilities(np.array([1.0, 1.0j])).tolist()
    [0.5, 0.5]
    """
    p = np.abs(np.asarray(state)) ** 2
    return p / p.sum()


def x_expectations(state: np.ndarray) -> np.ndarray:
    """⟨σˣ_i⟩ for every site i of a normalised state vector, shape (n,).

    >>> np.round(x_expectations(np.full(4, 0.5)), 12).tolist()
    [1.0, 1.0]
    """
    psi = np.asarray(state)
    n = int(np.log2(psi.size))
    if 1 << n != psi.size:
        raise InvalidInputError(f"a state vector has length 2^n, got {psi.size}")
    out = np.empty(n)
    for i in range(n):
        blocks = psi.reshape(1 << i, 2, -1)
        out[i] = 2.0 * np.real(np.vdot(blocks[:, 0], blocks[:, 1]))
    return out / np.vdot(psi, psi).real
