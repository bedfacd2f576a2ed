"""Memories: energy functions over ±1 spins that compile to dimod BQMs.

Convention: E(s) = −½ sᵀJs − hᵀs (+ offset), J symmetric with zero diagonal;
the single-flip gap is Δ_k(s) = E(s⁽ᵏ⁾) − E(s) = 2 s_k u_k(s), u = Js + h. The dimod SPIN BQM of a memory has
``linear[i] = −h[i]`` and ``quadratic[(i, j)] = −J[i, j]``, so energies agree exactly.

>>> import numpy as np
>>> mem = IsingMemory([[0, 1.0], [1.0, 0]], h=[0.5, 0.0])
>>> mem.energy([1, 1]), mem.flip_gaps([1, 1]).tolist()
(-1.5, [3.0, 2.0])
>>> float(mem.to_bqm().energy({0: 1, 1: 1}))
-1.5
"""

from __future__ import annotations

import abc
from collections.abc import Hashable, Sequence
from typing import Any

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["IsingMemory", "Memory", "as_spin_states"]


def as_spin_states(states: Any, n: int, *, name: str = "states") -> np.ndarray:
    """Validate ±1 states of length ``n``: a (n,) vector or a (P, n) array. Returns a float array."""
    arr = np.asarray(states)
    if arr.ndim not in (1, 2) or arr.shape[-1] != n:
        raise InvalidInputError(f"{name} must have shape ({n},) or (P, {n}); got {arr.shape}")
    if arr.size and not np.all((arr == 1) | (arr == -1)):
        raise InvalidInputError(f"{name} must contain only +1/-1 spins; map bits b to spins 2b - 1")
    return arr.astype(float)


class Memory(abc.ABC):
    """An energy function over n spins, vectorised over many states, compilable to a dimod BQM."""

    @property
    @abc.abstractmethod
    def n(self) -> int:
        """Number of spins."""

    @abc.abstractmethod
    def energy(self, states: Any) -> np.ndarray | float:
        """E(s) for one state (n,) → float, or many states (P, n) → (P,)."""

    @abc.abstractmethod
    def flip_gaps(self, states: Any) -> np.ndarray:
        """Δ_k(s) = E(s⁽ᵏ⁾) − E(s), same leading shape as ``states`` with a trailing axis of length n."""

    @abc.abstractmethod
    def to_bqm(self) -> dimod.BinaryQuadraticModel:
        """The dimod SPIN BQM whose energy equals :meth:`energy` on every state."""


class IsingMemory(Memory):
    """Hopfield/Ising memory E(s) = −½ sᵀJs − hᵀs + offset.

    ``J`` must be square, symmetric, finite and have a zero diagonal; ``h`` defaults to zeros. ``labels``
    (default 0…n−1) name the BQM variables.
    """

    def __init__(
        self,
        J: Any,
        h: Any = None,
        *,
        offset: float = 0.0,
        labels: Sequence[Hashable] | None = None,
    ) -> None:
        J = np.array(J, dtype=float)
        if J.ndim != 2 or J.shape[0] != J.shape[1] or J.shape[0] == 0:
            raise InvalidInputError(f"J must be a non-empty square matrix, got shape {J.shape}")
        n = J.shape[0]
        if not np.all(np.isfinite(J)):
            raise InvalidInputError("J contains NaN or infinite entries")
        if not np.allclose(J, J.T, rtol=0, atol=1e-12 * max(1.0, float(np.abs(J).max()))):
            i, j = np.unravel_index(int(np.argmax(np.abs(J - J.T))), J.shape)
            raise InvalidInputError(
                f"J must be symmetric: J[{i},{j}] = {J[i, j]} but J[{j},{i}] = {J[j, i]}; use (J + J.T) / 2"
            )
        if np.any(np.diag(J) != 0):
            raise InvalidInputError("J must have a zero diagonal (s_i² = 1 only shifts the energy); set it to 0")
        h = np.zeros(n) if h is None else np.array(h, dtype=float)
        if h.shape != (n,):
            raise InvalidInputError(f"h must have shape ({n},) to match J, got {h.shape}")
        if not np.all(np.isfinite(h)):
            raise InvalidInputError("h contains NaN or infinite entries")
        if not np.isfinite(offset):
            raise InvalidInputError("offset must be finite")
        labels = list(range(n)) if labels is None else list(labels)
        if len(labels) != n or len(set(labels)) != n:
            raise InvalidInputError(f"labels must be {n} distinct names, got {labels!r}")
        self.J = (J + J.T) / 2
        self.h = h
        self.offset = float(offset)
        self.labels = labels

    @property
    def n(self) -> int:
        return self.J.shape[0]

    def local_fields(self, states: Any) -> np.ndarray:
        """u(s) = J s + h, vectorised over states."""
        s = as_spin_states(states, self.n)
        return s @ self.J + self.h

    def energy(self, states: Any) -> np.ndarray | float:
        s = as_spin_states(states, self.n)
        e = -0.5 * np.einsum("...i,...i->...", s @ self.J, s) - s @ self.h + self.offset
        return float(e) if s.ndim == 1 else e

    def flip_gaps(self, states: Any) -> np.ndarray:
        s = as_spin_states(states, self.n)
        return 2.0 * s * (s @ self.J + self.h)

    def to_bqm(self) -> dimod.BinaryQuadraticModel:
        iu, ju = np.triu_indices(self.n, k=1)
        mask = self.J[iu, ju] != 0
        labels = np.asarray(self.labels, dtype=object)
        bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
            linear=-self.h,
            quadratic=(iu[mask], ju[mask], -self.J[iu, ju][mask]),
            offset=self.offset,
            vartype=dimod.SPIN,
            variable_order=list(labels),
        )
        return bqm

    @classmethod
    def from_bqm(cls, bqm: dimod.BinaryQuadraticModel) -> IsingMemory:
        """Inverse of :meth:`to_bqm` (BINARY models are converted to SPIN first; labels are kept)."""
        if not isinstance(bqm, dimod.BinaryQuadraticModel):
            raise InvalidInputError(f"expected a dimod.BinaryQuadraticModel, got {type(bqm).__name__}")
        spin = bqm if bqm.vartype is dimod.SPIN else bqm.change_vartype(dimod.SPIN, inplace=False)
        labels = list(spin.variables)
        linear, (row, col, quad), offset = spin.to_numpy_vectors(variable_order=labels)
        n = len(labels)
        J = np.zeros((n, n))
        np.add.at(J, (row, col), -quad)
        np.add.at(J, (col, row), -quad)
        return cls(J, -np.asarray(linear, dtype=float), offset=float(offset), labels=labels)

    def copy(self) -> IsingMemory:
        return IsingMemory(self.J.copy(), self.h.copy(), offset=self.offset, labels=self.labels)

    def __repr__(self) -> str:
        return f"IsingMemory(n={self.n}, |J|_F={np.linalg.norm(self.J):.4g}, |h|={np.linalg.norm(self.h):.4g})"
