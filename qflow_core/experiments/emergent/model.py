"""The learning network of the experiment: hidden neuron slots that can be switched on, and a trainable q ∈ ℝ².

Each of the M hidden slots is inactive (a_j = 0) or active with a spin s_j = ±1; write x_j = a_j s_j ∈ {−1, 0, 1}.
The energy of hidden state x at the trainable parameters q is

    E(x; q) = −Σ_j x_j (w_j·q + c_j) − Σ_{i<j} J_ij x_i x_j + ε_act Σ_j |x_j| + κ|q|²/2,

and every active unit carries the fugacity e^{μ/T} of a reservoir of neurons at chemical potential μ. The
force the hidden units exert on q is −∂_q E = Σ_j x_j w_j − κq, so the learning drift only needs the hidden
average of y(x) = Σ_j x_j w_j. Given q and the active set, the active spins form an Ising memory
(:class:`~qflow_core.models.memory.IsingMemory`) that any qflow sampler can sample.

>>> model = EmergentModel.random(3, seed=1)
>>> states = model.hidden_states()
>>> states.x.shape, int(states.n_active.max())
((27, 3), 3)
>>> q = np.array([[0.3, -0.2]])
>>> mem = model.memory(q, np.array([[True, False, True]]))
>>> bool(np.isclose(mem.energy([1, -1]), model.energies(q, np.array([[1, 0, -1]]))[0, 0]))
True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.models.memory import IsingMemory
from qflow_core.validation import positive_int, positive_number

__all__ = ["MAX_EXACT_SLOTS", "EmergentModel", "HiddenStates"]

#: Largest M for exact enumeration of the 3^M hidden states (3^10 = 59049 states per grid point).
MAX_EXACT_SLOTS = 10


@dataclass(frozen=True)
class HiddenStates:
    """All 3^M hidden states, sorted by the number of active units.

    ``x`` (S, M) holds x_j ∈ {−1, 0, 1}; ``n_active`` (S,) the number N of active units; ``y`` (S, 2) the
    force Σ_j x_j w_j; ``base`` (S,) the q-independent energy −x·c − Σ_{i<j} J_ij x_i x_j + ε_act N;
    ``sector_starts`` (M + 2,) the row where each sector N begins (sector N is rows ``starts[N]:starts[N+1]``).
    """

    x: np.ndarray
    n_active: np.ndarray
    y: np.ndarray
    base: np.ndarray
    sector_starts: np.ndarray

    def sector(self, n: int) -> slice:
        return slice(int(self.sector_starts[n]), int(self.sector_starts[n + 1]))


@dataclass(frozen=True)
class EmergentModel:
    """Couplings and constants of the hidden layer; T is the hidden (sampler) temperature.

    ``w`` (M, 2): how each unit's field depends on q; ``c`` (M,): its q-independent field; ``J`` (M, M):
    symmetric couplings with zero diagonal; ``eps_act``: energy cost of an active unit; ``kappa``: the
    confinement κ|q|²/2 of the trainable parameters.
    """

    w: np.ndarray
    c: np.ndarray
    J: np.ndarray
    eps_act: float = 3.0
    kappa: float = 2.5
    T: float = 1.0

    def __post_init__(self) -> None:
        w = np.array(self.w, dtype=float)
        if w.ndim != 2 or w.shape[1] != 2 or w.shape[0] == 0:
            raise InvalidInputError(f"w must have shape (M, 2) with M ≥ 1, got {w.shape}")
        m = w.shape[0]
        c = np.array(self.c, dtype=float)
        if c.shape != (m,):
            raise InvalidInputError(f"c must have shape ({m},) to match w, got {c.shape}")
        J = np.array(self.J, dtype=float)
        if J.shape != (m, m):
            raise InvalidInputError(f"J must have shape ({m}, {m}) to match w, got {J.shape}")
        J = IsingMemory(J).J  # checks symmetry, zero diagonal and finiteness
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(c))):
            raise InvalidInputError("w and c must be finite")
        object.__setattr__(self, "w", w)
        object.__setattr__(self, "c", c)
        object.__setattr__(self, "J", J)
        object.__setattr__(self, "eps_act", float(self.eps_act))
        if not np.isfinite(self.eps_act):
            raise InvalidInputError("eps_act must be finite")
        object.__setattr__(self, "kappa", positive_number("kappa", self.kappa))
        object.__setattr__(self, "T", positive_number("hidden temperature T", self.T))

    @classmethod
    def random(
        cls,
        m: int = 5,
        *,
        seed: int = 0,
        weight_scale: float = 1.0,
        bias_scale: float = 0.5,
        coupling_scale: float = 0.5,
        eps_act: float = 3.0,
        kappa: float = 2.5,
        T: float = 1.0,
    ) -> EmergentModel:
        """Seeded Gaussian couplings: w_j ~ N(0, weight_scale²) in ℝ², c_j ~ N(0, bias_scale²),
        J_ij ~ N(0, coupling_scale²/M)."""
        m = positive_int("M (number of hidden slots)", m)
        rng = np.random.default_rng(seed)
        w = weight_scale * rng.standard_normal((m, 2))
        c = bias_scale * rng.standard_normal(m)
        upper = np.triu(coupling_scale / np.sqrt(m) * rng.standard_normal((m, m)), k=1)
        return cls(w, c, upper + upper.T, eps_act=eps_act, kappa=kappa, T=T)

    @property
    def m(self) -> int:
        """Number of hidden slots M."""
        return self.w.shape[0]

    def hidden_states(self) -> HiddenStates:
        """Enumerate the 3^M hidden states (refused above :data:`MAX_EXACT_SLOTS`)."""
        if self.m > MAX_EXACT_SLOTS:
            raise InvalidInputError(
                f"exact enumeration of 3^M hidden states stops at M = {MAX_EXACT_SLOTS}, got M = {self.m}; "
                "use fewer hidden slots"
            )
        x = np.array(list(itertools.product((0, -1, 1), repeat=self.m)), dtype=float)
        n_active = np.abs(x).sum(axis=1).astype(int)
        order = np.argsort(n_active, kind="stable")
        x, n_active = x[order], n_active[order]
        base = -x @ self.c - 0.5 * np.einsum("si,ij,sj->s", x, self.J, x) + self.eps_act * n_active
        starts = np.searchsorted(n_active, np.arange(self.m + 2))
        return HiddenStates(x=x, n_active=n_active, y=x @ self.w, base=base, sector_starts=starts)

    def energies(self, q: np.ndarray, x: np.ndarray) -> np.ndarray:
        """E(x; q) for points q (P, 2) and hidden states x (S, M): shape (P, S)."""
        q = np.atleast_2d(np.asarray(q, dtype=float))
        x = np.atleast_2d(np.asarray(x, dtype=float))
        base = -x @ self.c - 0.5 * np.einsum("si,ij,sj->s", x, self.J, x) + self.eps_act * np.abs(x).sum(axis=1)
        return -q @ (x @ self.w).T + base + 0.5 * self.kappa * np.sum(q * q, axis=1, keepdims=True)

    def memory(self, q: np.ndarray, active: np.ndarray) -> IsingMemory:
        """The Ising memory of the active spins of several learners at once (block diagonal, one block each).

        ``q`` (R, 2) and ``active`` (R, M) bool. The field of slot j of learner r is w_j·q_r + c_j; within a block
        the active slots are coupled by J. Variables are labelled r·M + j. The offset makes the memory energy
        equal Σ_r E(x_r; q_r). Learners with no active unit contribute no variable (at least one must be active).
        """
        q = np.atleast_2d(np.asarray(q, dtype=float))
        active = np.atleast_2d(np.asarray(active, dtype=bool))
        if active.shape != (q.shape[0], self.m):
            raise InvalidInputError(f"active must have shape ({q.shape[0]}, {self.m}), got {active.shape}")
        rows, slots = np.nonzero(active)
        if rows.size == 0:
            raise InvalidInputError("no learner has an active hidden unit, so there is nothing to sample")
        fields = np.einsum("ri,ri->r", self.w[slots], q[rows]) + self.c[slots]
        couplings = self.J[np.ix_(slots, slots)] * (rows[:, None] == rows[None, :])
        offset = self.eps_act * rows.size + 0.5 * self.kappa * float(np.sum(q * q))
        return IsingMemory(couplings, fields, offset=offset, labels=(rows * self.m + slots).tolist())

    def to_dict(self) -> dict[str, Any]:
        return {
            "M": self.m,
            "w": self.w,
            "c": self.c,
            "J": self.J,
            "eps_act": self.eps_act,
            "kappa": self.kappa,
            "T": self.T,
        }
