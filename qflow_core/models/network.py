"""Transverse-field Ising networks and the cost observables equilibrium propagation nudges with.

A :class:`TransverseIsingNetwork` is an :class:`~qflow_core.models.memory.IsingMemory` with per-spin transverse fields,

    H = −Σ_{i<j} J_ij Z_iZ_j − Σ_i h_i Z_i − Σ_i Γ_i X_i  (+ offset)

whose J, h and Γ are all trainable, plus named input and output spins. Inputs are applied as fields: example x
adds ``input_field · x_k`` to the field of input spin k (:meth:`TransverseIsingNetwork.with_inputs`).

Cost observables are linear combinations of Pauli terms (:class:`PauliObservable`,
C = c + Σ z_i Z_i + Σ_{i<j} zz_ij Z_iZ_j + Σ x_i X_i). Adding b·C to H only shifts the parameters
(J − b·zz, h − b·z, Γ − b·x), so a nudged phase is again a TFIM: with a *diagonal* cost (no X terms) such as
:class:`OutputCost` = ½ Σ_o (Z_o − y_o)² it is an ordinary BQM plus the same Γ, which any backend runs; X terms
change Γ per spin and need a backend that takes per-spin fields (the exact one).

>>> import numpy as np
>>> net = TransverseIsingNetwork(np.zeros((3, 3)), h=[0.1, 0.0, 0.0], gamma=0.5, inputs=[0], outputs=[2])
>>> cost = OutputCost([-1.0]).observable(net)
>>> cost.z.tolist(), cost.constant
([0.0, 0.0, 1.0], 1.0)
>>> nudged = net.nudged(cost, 0.1)
>>> nudged.h.tolist(), nudged.gamma.tolist()
([0.1, 0.0, -0.1], [0.5, 0.5, 0.5])
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.models.memory import IsingMemory, as_spin_states

__all__ = ["OutputCost", "PauliObservable", "SupervisedTask", "TransverseIsingNetwork"]


class TransverseIsingNetwork(IsingMemory):
    """A TFIM H = E(σᶻ) − Σ Γ_i σˣ_i with trainable J, h, Γ and named input/output spins.

    ``gamma`` is a scalar (the same Γ on every spin) or one value per spin, each ≥ 0. ``inputs`` and
    ``outputs`` name spins by label (labels default to 0…n−1); they must not overlap. ``input_field`` is the
    strength with which an input pattern x ∈ {±1}ᵏ is written into the fields of the input spins.

    >>> net = TransverseIsingNetwork([[0, 1.0], [1.0, 0]], gamma=0.3, inputs=[0], outputs=[1])
    >>> net.with_inputs([-1]).h.tolist(), net.num_parameters
    ([-2.0, 0.0], 5)
    """

    def __init__(
        self,
        J: Any,
        h: Any = None,
        gamma: Any = 0.0,
        *,
        inputs: Sequence[Hashable] = (),
        outputs: Sequence[Hashable] = (),
        input_field: float = 2.0,
        offset: float = 0.0,
        labels: Sequence[Hashable] | None = None,
    ) -> None:
        super().__init__(J, h, offset=offset, labels=labels)
        self.gamma = _per_spin_gamma(gamma, self.n)
        self.inputs = self._indices(inputs, "inputs")
        self.outputs = self._indices(outputs, "outputs")
        if set(self.inputs) & set(self.outputs):
            raise InvalidInputError(f"inputs {list(inputs)} and outputs {list(outputs)} must be different spins")
        if not np.isfinite(input_field) or input_field < 0:
            raise InvalidInputError(f"input_field must be a finite number ≥ 0, got {input_field!r}")
        self.input_field = float(input_field)

    def _indices(self, names: Sequence[Hashable], what: str) -> tuple[int, ...]:
        index = {label: k for k, label in enumerate(self.labels)}
        missing = [name for name in names if name not in index]
        if missing:
            raise InvalidInputError(f"{what} {missing} are not spin labels of this network ({self.labels})")
        result = tuple(index[name] for name in names)
        if len(set(result)) != len(result):
            raise InvalidInputError(f"{what} name a spin twice: {list(names)}")
        return result

    # -- parameters ---------------------------------------------------------------------------------------
    @property
    def num_parameters(self) -> int:
        """Number of trainable scalars: J_ij (i<j), h_i and Γ_i."""
        return self.n * (self.n - 1) // 2 + 2 * self.n

    def parameter_vector(self) -> np.ndarray:
        """[J_ij for i<j (row-major), h, Γ] — the order every flat gradient in qflow uses."""
        iu = np.triu_indices(self.n, k=1)
        return np.concatenate([self.J[iu], self.h, self.gamma])

    def with_parameters(self, vector: Any) -> TransverseIsingNetwork:
        """A copy with parameters taken from a vector laid out as :meth:`parameter_vector`."""
        vector = np.asarray(vector, dtype=float)
        if vector.shape != (self.num_parameters,):
            raise InvalidInputError(f"parameter vector must have shape ({self.num_parameters},), got {vector.shape}")
        n, m = self.n, self.n * (self.n - 1) // 2
        J = np.zeros((n, n))
        J[np.triu_indices(n, k=1)] = vector[:m]
        return self._replace(J + J.T, vector[m : m + n], vector[m + n :])

    def _replace(self, J: np.ndarray, h: np.ndarray, gamma: np.ndarray, offset: float | None = None):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.J, new.h, new.gamma = np.array(J, dtype=float), np.array(h, dtype=float), np.array(gamma, dtype=float)
        new.offset = self.offset if offset is None else float(offset)
        return new

    def copy(self) -> TransverseIsingNetwork:
        return self._replace(self.J.copy(), self.h.copy(), self.gamma.copy())

    # -- phases -------------------------------------------------------------------------------------------
    def with_inputs(self, x: Any) -> TransverseIsingNetwork:
        """The network with input pattern ``x`` (one ±1 value per input spin) added to the input fields."""
        x = np.asarray(x, dtype=float)
        if x.shape != (len(self.inputs),):
            raise InvalidInputError(f"an input pattern needs {len(self.inputs)} values (one per input), got {x.shape}")
        h = self.h.copy()
        h[list(self.inputs)] += self.input_field * x
        return self._replace(self.J, h, self.gamma)

    def nudged(self, observable: PauliObservable, b: float) -> TransverseIsingNetwork:
        """H + b·C as a network: J − b·zz, h − b·z, Γ − b·x, offset + b·c (Γ_i may become negative)."""
        if observable.n != self.n:
            raise InvalidInputError(f"the observable acts on {observable.n} spins, the network has {self.n}")
        return self._replace(
            self.J - b * observable.zz,
            self.h - b * observable.z,
            self.gamma - b * observable.x,
            self.offset + b * observable.constant,
        )

    @property
    def uniform_gamma(self) -> float | None:
        """The common Γ if every spin has the same transverse field, else None."""
        return float(self.gamma[0]) if np.all(self.gamma == self.gamma[0]) else None

    def __repr__(self) -> str:
        return (
            f"TransverseIsingNetwork(n={self.n}, |J|_F={np.linalg.norm(self.J):.4g}, |h|={np.linalg.norm(self.h):.4g}, "
            f"Γ={_short(self.gamma)}, inputs={list(self.inputs)}, outputs={list(self.outputs)})"
        )


def _short(values: np.ndarray) -> str:
    return f"{values[0]:.4g}" if np.all(values == values[0]) else np.array2string(values, precision=3)


def _per_spin_gamma(gamma: Any, n: int) -> np.ndarray:
    try:
        arr = np.array(gamma, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError(f"gamma must be a number or {n} numbers, got {gamma!r}") from None
    arr = np.full(n, float(arr)) if arr.ndim == 0 else arr
    if arr.shape != (n,):
        raise InvalidInputError(f"gamma must be a scalar or have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidInputError(f"transverse fields must be finite and ≥ 0, got {arr.tolist()}")
    return arr


@dataclass(frozen=True)
class PauliObservable:
    """C = constant + Σ_i z_i Z_i + Σ_{i<j} zz_ij Z_iZ_j + Σ_i x_i X_i on n spins.

    ``zz`` is a symmetric zero-diagonal matrix whose entry (i, j) is the coefficient of Z_iZ_j (i<j, counted
    once). An observable without X terms is *diagonal*: its value on a basis state s is :meth:`diagonal`.

    >>> C = PauliObservable.from_terms(3, z={0: 1.0}, zz={(0, 2): 0.5}, x={0: 1.0})
    >>> C.is_diagonal, C.diagonal([[1, 1, -1]]).tolist()
    (False, [0.5])
    """

    n: int
    constant: float = 0.0
    z: np.ndarray = field(default=None)  # type: ignore[assignment]
    zz: np.ndarray = field(default=None)  # type: ignore[assignment]
    x: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        n = int(self.n)
        if n < 1:
            raise InvalidInputError(f"an observable needs n ≥ 1 spins, got {self.n}")
        z = np.zeros(n) if self.z is None else np.array(self.z, dtype=float)
        zz = np.zeros((n, n)) if self.zz is None else np.array(self.zz, dtype=float)
        x = np.zeros(n) if self.x is None else np.array(self.x, dtype=float)
        if z.shape != (n,) or x.shape != (n,) or zz.shape != (n, n):
            raise InvalidInputError(f"z and x need shape ({n},) and zz shape ({n}, {n})")
        if not np.allclose(zz, zz.T) or np.any(np.diag(zz) != 0):
            raise InvalidInputError("zz must be symmetric with a zero diagonal (coefficient of Z_iZ_j in (i, j))")
        if not all(np.all(np.isfinite(a)) for a in (z, zz, x)) or not np.isfinite(self.constant):
            raise InvalidInputError("observable coefficients must be finite")
        for name, value in (("n", n), ("constant", float(self.constant)), ("z", z), ("zz", zz), ("x", x)):
            object.__setattr__(self, name, value)

    @classmethod
    def from_terms(
        cls,
        n: int,
        *,
        constant: float = 0.0,
        z: dict[int, float] | None = None,
        zz: dict[tuple[int, int], float] | None = None,
        x: dict[int, float] | None = None,
    ) -> PauliObservable:
        """Build from sparse term dicts: ``z={i: c}``, ``zz={(i, j): c}``, ``x={i: c}``."""
        zv, xv, zzm = np.zeros(n), np.zeros(n), np.zeros((n, n))
        for i, c in (z or {}).items():
            zv[i] += c
        for i, c in (x or {}).items():
            xv[i] += c
        for (i, j), c in (zz or {}).items():
            if i == j:
                raise InvalidInputError(f"Z_{i}Z_{i} = 1 is a constant; put it in `constant`")
            zzm[i, j] += c
            zzm[j, i] += c
        return cls(n, constant, zv, zzm, xv)

    @property
    def is_diagonal(self) -> bool:
        """True when C has no X terms (a function of the z-basis state only)."""
        return not np.any(self.x)

    def diagonal(self, states: Any) -> np.ndarray:
        """The diagonal part of C on basis states (P, n): constant + z·s + Σ_{i<j} zz_ij s_i s_j."""
        s = np.atleast_2d(as_spin_states(states, self.n))
        return self.constant + s @ self.z + 0.5 * np.einsum("pi,ij,pj->p", s, self.zz, s)

    def expectation(self, states: Any, weights: Any, x_expectation: Any = None) -> float:
        """⟨C⟩ from a z-basis distribution (``weights`` summing to 1 over ``states``) and ⟨X_i⟩ if C has X terms."""
        value = float(np.dot(np.asarray(weights, dtype=float), self.diagonal(states)))
        if not self.is_diagonal:
            if x_expectation is None:
                raise InvalidInputError(
                    "this cost has X terms: its expectation needs ⟨X_i⟩, which only an X-basis measurement "
                    "(the exact backend) provides"
                )
            value += float(np.dot(self.x, np.asarray(x_expectation, dtype=float)))
        return value


@dataclass(frozen=True)
class OutputCost:
    """C = ½ Σ_o (Z_o − y_o)² over a network's output spins, targets y in output order.

    Since Z² = 1, C = ½ Σ_o (1 + y_o²) − Σ_o y_o Z_o: a constant plus fields on the outputs.

    >>> net = TransverseIsingNetwork([[0, 0.5], [0.5, 0]], gamma=0.2, outputs=[1])
    >>> OutputCost([1.0]).observable(net).diagonal([[1, -1], [1, 1]]).tolist()
    [2.0, 0.0]
    """

    targets: tuple[float, ...]

    def __post_init__(self) -> None:
        targets = np.atleast_1d(np.asarray(self.targets, dtype=float))
        if targets.ndim != 1 or not np.all(np.isfinite(targets)):
            raise InvalidInputError(f"targets must be a finite 1-D sequence, got {self.targets!r}")
        object.__setattr__(self, "targets", tuple(float(t) for t in targets))

    def observable(self, network: TransverseIsingNetwork) -> PauliObservable:
        """The cost as a :class:`PauliObservable` on the network's spins."""
        if len(self.targets) != len(network.outputs):
            raise InvalidInputError(
                f"{len(self.targets)} targets for a network with {len(network.outputs)} output spins"
            )
        y = np.asarray(self.targets)
        z = np.zeros(network.n)
        z[list(network.outputs)] = -y
        return PauliObservable(network.n, constant=0.5 * float(np.sum(1.0 + y**2)), z=z)


@dataclass(frozen=True)
class SupervisedTask:
    """Examples (x_p, y_p): input patterns written into the input fields and targets of the output spins.

    ``cost`` is an optional extra :class:`PauliObservable` added to every example's output cost (for example
    an X term, which only the exact backend can measure). The loss of a network is the mean over examples of
    ⟨C_p⟩ in the chosen eigenstate of H(x_p).

    >>> task = SupervisedTask.boolean("and")
    >>> task.inputs.shape, task.targets[:, 0].tolist()
    ((4, 2), [-1.0, -1.0, -1.0, 1.0])
    """

    inputs: np.ndarray
    targets: np.ndarray
    name: str = "task"
    extra_cost: PauliObservable | None = None

    def __post_init__(self) -> None:
        inputs = np.array(self.inputs, dtype=float)
        targets = np.array(self.targets, dtype=float)
        inputs = inputs.reshape(len(inputs), -1) if inputs.ndim == 1 else inputs
        targets = targets.reshape(len(targets), -1) if targets.ndim == 1 else targets
        if inputs.ndim != 2 or targets.ndim != 2 or len(inputs) != len(targets) or len(inputs) == 0:
            raise InvalidInputError(
                f"inputs (P, k) and targets (P, m) need the same number P ≥ 1 of rows, got {inputs.shape} and "
                f"{targets.shape}"
            )
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "targets", targets)

    def __len__(self) -> int:
        return len(self.inputs)

    def costs(self, network: TransverseIsingNetwork) -> list[PauliObservable]:
        """One cost observable per example (output cost plus ``extra_cost``)."""
        if self.inputs.shape[1] != len(network.inputs) or self.targets.shape[1] != len(network.outputs):
            raise InvalidInputError(
                f"task has {self.inputs.shape[1]} inputs and {self.targets.shape[1]} outputs; the network has "
                f"{len(network.inputs)} input and {len(network.outputs)} output spins"
            )
        costs = [OutputCost(tuple(y)).observable(network) for y in self.targets]
        if self.extra_cost is not None:
            costs = [_add(c, self.extra_cost) for c in costs]
        return costs

    def phases(self, network: TransverseIsingNetwork) -> list[tuple[TransverseIsingNetwork, PauliObservable]]:
        """(network with example p's inputs applied, its cost observable) for every example."""
        return [(network.with_inputs(x), c) for x, c in zip(self.inputs, self.costs(network), strict=True)]

    @classmethod
    def boolean(cls, function: str) -> SupervisedTask:
        """A 2-input, 1-output Boolean map in ±1 encoding: ``"and"``, ``"or"``, ``"xor"`` or ``"nand"``."""
        table = {
            "and": lambda a, b: a & b,
            "or": lambda a, b: a | b,
            "xor": lambda a, b: a ^ b,
            "nand": lambda a, b: 1 - (a & b),
        }
        if function not in table:
            raise InvalidInputError(f"unknown Boolean function {function!r}; choose one of {sorted(table)}")
        bits = [(a, b) for a in (0, 1) for b in (0, 1)]
        inputs = [[2 * a - 1, 2 * b - 1] for a, b in bits]
        targets = [[2 * table[function](a, b) - 1] for a, b in bits]
        return cls(np.array(inputs), np.array(targets), name=function)

    @classmethod
    def from_teacher(
        cls, teacher: TransverseIsingNetwork, *, rounded: bool = True, backend: Any = None
    ) -> SupervisedTask:
        """Every input pattern of ``teacher`` mapped to its outputs' ground-state ⟨Z_o⟩ (signs if ``rounded``).

        The ground states come from ``backend`` if it implements :class:`~qflow_core.capabilities.SpectralBackend`,
        else from an installed sampler that does (e.g. exact), so keep the teacher small.
        """
        from qflow_core.capabilities import SpectralBackend, basis_states, find_capability, z_probabilities

        spectral = find_capability(SpectralBackend, backend)

        k = len(teacher.inputs)
        if k == 0 or not teacher.outputs:
            raise InvalidInputError("a teacher needs at least one input and one output spin")
        inputs = np.array([[1 - 2 * ((p >> (k - 1 - i)) & 1) for i in range(k)] for p in range(2**k)], dtype=float)
        states = basis_states(teacher.n).astype(float)
        targets = []
        for x in inputs:
            phase = teacher.with_inputs(x)
            probabilities = z_probabilities(spectral.eigenstate(phase.J, phase.h, phase.gamma).state)
            z = probabilities @ states[:, list(teacher.outputs)]
            targets.append(np.sign(z) + (z == 0) if rounded else z)
        return cls(inputs, np.array(targets), name="teacher")


def _add(a: PauliObservable, b: PauliObservable) -> PauliObservable:
    if a.n != b.n:
        raise InvalidInputError(f"cannot add observables on {a.n} and {b.n} spins")
    return PauliObservable(a.n, a.constant + b.constant, a.z + b.z, a.zz + b.zz, a.x + b.x)
