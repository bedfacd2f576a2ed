"""One-hot attention forward map as an annealable memory.

M keys k_m and a query q give scores a_m = λ q·k_m (λ = 1/√d by default). One binary x_m per key and a
one-hot penalty A give the QUBO

    E(x) = −Σ_m a_m x_m + A (Σ_m x_m − 1)²,

whose energy on the one-hot state e_m is −a_m. A Boltzmann sampler at inverse temperature β therefore draws
key m with probability softmax(β a)_m *conditional on the read being one-hot*, for every A: the
forward pass of attention, run by physics. Non-one-hot reads are discarded and counted.

:class:`OneHotAttention` is a :class:`~qflow_core.models.memory.Memory` on n = M spins. The model is written with
pyqubo (a one-hot ``Constraint`` scaled by a ``Placeholder`` for A, compiled once) and :meth:`to_bqm`
returns a **SPIN** dimod BQM (spin s_m = 2x_m − 1) with **variable m = key m**, in key order; its Ising
form has J_mm' = −A/2 and h_m = (a_m − A(M−2))/2 in qflow's convention E = −½sᵀJs − hᵀs.

Penalty and mixing: one-hot states are local minima iff A > max(a_max, −a_min); the
default penalty adds half the largest |a_m| to that threshold. A single-flip sampler (SA, the QPU's local
dynamics) leaves the best one-hot state only over a barrier B = min(A − a_(2), A + a_(1)), so a large A
freezes it: :meth:`OneHotAttention.warn_if_frozen` warns with :class:`FrozenSamplerWarning` when βB exceeds
:data:`FREEZE_THRESHOLD`.

>>> import numpy as np
>>> att = OneHotAttention.from_scores([1.0, 0.5, 0.0, -0.5, -1.0, 0.25], penalty=2.0)
>>> bqm = att.to_bqm()
>>> bqm.vartype.name, list(bqm.variables)
('SPIN', [0, 1, 2, 3, 4, 5])
>>> [float(bqm.energy(dict(enumerate(s)))) for s in att.one_hot_states()[:2]]
[-1.0, -0.5]
>>> round(att.mixing_barrier, 12), att.is_frozen(beta=2.0)
(1.5, False)
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.io import to_jsonable
from qflow_core.models.memory import IsingMemory, Memory
from qflow_core.validation import positive_number

__all__ = [
    "DEFAULT_MARGIN_FRACTION",
    "FREEZE_THRESHOLD",
    "FrozenSamplerWarning",
    "OneHotAttention",
    "OneHotCounts",
]

#: The default penalty is the local-minimum threshold plus this fraction of max|a_m| (1.0 if all a_m = 0).
DEFAULT_MARGIN_FRACTION = 0.5
#: β·B above which single-flip samplers are considered frozen: leaving the best one-hot state then takes
#: about e^{βB} ≳ 400 attempted moves per spin. Measured on a reference instance (M = 6, SA at fixed β = 2,
#: 1000 sweeps, 20 000 reads): TV from softmax ≤ 0.008 for βB ≤ 7, 0.13 at βB = 8, 0.65 at βB = 11.
FREEZE_THRESHOLD = 6.0


class FrozenSamplerWarning(UserWarning):
    """The one-hot penalty is so large that single-flip samplers cannot mix at the requested β (A33)."""


@dataclass(frozen=True)
class OneHotCounts:
    """What :meth:`OneHotAttention.decode` reads from a SampleSet.

    ``counts[m]``: reads (``num_occurrences``) in the one-hot state e_m; ``num_reads``: all reads;
    ``num_invalid`` / ``invalid_fraction``: reads that are not one-hot (discarded). When the SampleSet has a
    ``probability`` field (exact backends), ``probabilities[m]`` is the exact P(e_m | one-hot) and
    ``invalid_probability`` the exact non-one-hot mass; otherwise both are None.
    """

    counts: np.ndarray
    num_reads: int
    num_invalid: int
    invalid_fraction: float
    probabilities: np.ndarray | None = None
    invalid_probability: float | None = None

    @property
    def num_valid(self) -> int:
        return self.num_reads - self.num_invalid

    @property
    def frequencies(self) -> np.ndarray:
        """Observed P(m | one-hot) = counts / num_valid (zeros when no read was one-hot)."""
        return self.counts / self.num_valid if self.num_valid else np.zeros(len(self.counts))

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]


class OneHotAttention(Memory):
    """The one-hot QUBO of attention scores a = scale·(keys @ query) with penalty A.

    ``keys``: (M, d) array, M ≥ 2; ``query``: (d,); ``scale`` defaults to 1/√d; ``penalty`` A defaults to
    :meth:`default_penalty` (just above the local-minimum threshold). Spin m is key m.
    """

    def __init__(self, keys: Any, query: Any, scale: float | None = None, penalty: float | None = None) -> None:
        keys = np.array(keys, dtype=float)
        query = np.array(query, dtype=float)
        if keys.ndim != 2 or keys.shape[0] < 2 or keys.shape[1] < 1:
            raise InvalidInputError(f"keys must be an (M, d) array with M ≥ 2 keys, got shape {keys.shape}")
        if query.shape != (keys.shape[1],):
            raise InvalidInputError(f"query must have shape ({keys.shape[1]},) to match keys, got {query.shape}")
        if not (np.all(np.isfinite(keys)) and np.all(np.isfinite(query))):
            raise InvalidInputError("keys and query must be finite numbers (no NaN or inf)")
        scale = 1.0 / math.sqrt(keys.shape[1]) if scale is None else positive_number("scale", scale)
        self.keys = keys
        self.query = query
        self.scale = float(scale)
        self.scores = self.scale * (keys @ query)
        self.penalty = self.default_penalty(self.scores) if penalty is None else positive_number("penalty", penalty)
        self._model = None  # compiled pyqubo model, built on first use and shared by with_penalty copies
        J, h, const = self.ising()
        self._ising = IsingMemory(J, h, offset=const)

    # -- constructors -------------------------------------------------------------------------------------
    @classmethod
    def from_scores(cls, scores: Any, penalty: float | None = None) -> OneHotAttention:
        """An instance with the given scores a_m (keys = diag(a), query = 1, scale = 1)."""
        a = np.asarray(scores, dtype=float)
        if a.ndim != 1:
            raise InvalidInputError(f"scores must be a 1-D array, got shape {a.shape}")
        return cls(np.diag(a), np.ones(a.size), scale=1.0, penalty=penalty)

    @classmethod
    def random(
        cls,
        num_keys: int = 8,
        dim: int = 16,
        *,
        seed: int = 0,
        scale: float | None = None,
        penalty: float | None = None,
    ) -> OneHotAttention:
        """Seeded standard-normal keys (num_keys, dim), then query (dim,); scale defaults to 1/√dim."""
        rng = np.random.default_rng(seed)
        return cls(rng.standard_normal((num_keys, dim)), rng.standard_normal(dim), scale=scale, penalty=penalty)

    def __getstate__(self) -> dict:
        """Picklable (e.g. for Dask workers): the compiled pyqubo model is a cache, rebuilt on first use there."""
        return {**self.__dict__, "_model": None}

    def with_penalty(self, penalty: float) -> OneHotAttention:
        """The same keys and query with another penalty (reuses the compiled pyqubo model)."""
        other = type(self)(self.keys, self.query, self.scale, penalty)
        other._model = self._model
        return other

    # -- penalty and mixing -------------------------------------------------------------------------------
    @staticmethod
    def local_minimum_penalty(scores: Any) -> float:
        """max(a_max, −a_min): every one-hot state is a strict single-flip local minimum iff A exceeds it.

        Adding key m' to e_m costs A − a_m'; removing m costs A + a_m.
        """
        a = np.asarray(scores, dtype=float)
        return float(max(a.max(), -a.min()))

    @classmethod
    def default_penalty(cls, scores: Any) -> float:
        """:meth:`local_minimum_penalty` + :data:`DEFAULT_MARGIN_FRACTION`·max|a| (1.0 if all a = 0)."""
        a = np.asarray(scores, dtype=float)
        scale = float(np.abs(a).max()) or 1.0 / DEFAULT_MARGIN_FRACTION
        return cls.local_minimum_penalty(a) + DEFAULT_MARGIN_FRACTION * scale

    @property
    def mixing_barrier(self) -> float:
        """B = smallest single-flip energy cost out of the best one-hot state = min(A − a_(2), A + a_(1))."""
        best = int(np.argmax(self.scores))
        return float(self.flip_gaps(self.one_hot_states()[best]).min())

    def is_frozen(self, beta: float) -> bool:
        """True when β·B > :data:`FREEZE_THRESHOLD`: single-flip chains at β cannot sample the softmax."""
        return beta * self.mixing_barrier > FREEZE_THRESHOLD

    def warn_if_frozen(self, beta: float, *, stacklevel: int = 2) -> bool:
        """Warn (:class:`FrozenSamplerWarning`) and return True if :meth:`is_frozen` at ``beta``.

        >>> import warnings
        >>> att = OneHotAttention.from_scores([1.0, 0.5, 0.0, -0.5, -1.0, 0.25], penalty=5.98)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     att.warn_if_frozen(2.0), caught[0].category.__name__
        (True, 'FrozenSamplerWarning')
        """
        if not self.is_frozen(beta):
            return False
        barrier = self.mixing_barrier
        threshold = self.local_minimum_penalty(self.scores)
        suggestion = max(self.penalty - barrier + FREEZE_THRESHOLD / (2 * beta), threshold * 1.001 + 1e-9)
        warnings.warn(
            f"one-hot penalty A = {self.penalty:.4g} freezes single-flip samplers at beta = {beta:.4g}: leaving the "
            f"best key costs B = {barrier:.4g}, beta*B = {beta * barrier:.3g} > {FREEZE_THRESHOLD:g}, so the "
            "histogram reflects where chains started, not softmax(beta*a). Use a smaller penalty "
            f"(e.g. A = {suggestion:.4g}), a smaller beta, "
            "or an exact backend.",
            FrozenSamplerWarning,
            stacklevel=stacklevel,
        )
        return True

    # -- closed forms -----------------------------------------------------------------
    def qubo(self) -> tuple[np.ndarray, float]:
        """(Q, offset) of the one-hot QUBO: E(x) = Σ_{m≤m'} Q_mm' x_m x_m' + offset, Q upper triangular."""
        M, A = self.n, self.penalty
        Q = np.triu(np.full((M, M), 2.0 * A), k=1)
        Q[np.diag_indices(M)] = -(A + self.scores)
        return Q, A

    def ising(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(J, h, const) of the same model as an Ising model, in qflow's convention E(s) = −½ sᵀJs − hᵀs + const."""
        M, A, a = self.n, self.penalty, self.scores
        J = np.full((M, M), -A / 2)
        np.fill_diagonal(J, 0.0)
        h = (a - A * (M - 2)) / 2
        const = A * (M * (M - 1) / 4 - M / 2 + 1) - a.sum() / 2
        return J, h, float(const)

    def softmax(self, beta: float) -> np.ndarray:
        """softmax(β a): the exact P(key m | one-hot) of a Boltzmann sampler at β, for any penalty."""
        z = beta * self.scores
        w = np.exp(z - z.max())
        return w / w.sum()

    def one_hot_states(self) -> np.ndarray:
        """(M, M) spins: row m is e_m (+1 at m, −1 elsewhere)."""
        return 2 * np.eye(self.n, dtype=int) - 1

    # -- Memory interface ---------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.scores.size

    @property
    def labels(self) -> list[int]:
        """BQM variable labels: key indices 0…M−1."""
        return list(range(self.n))

    def energy(self, states: Any) -> np.ndarray | float:
        return self._ising.energy(states)

    def flip_gaps(self, states: Any) -> np.ndarray:
        return self._ising.flip_gaps(states)

    def to_bqm(self) -> dimod.BinaryQuadraticModel:
        """SPIN BQM compiled from the pyqubo model at this penalty; variable m = key m, in key order."""
        if self._model is None:
            self._model = _compile_one_hot(self.scores)
        binary = self._model.to_bqm(feed_dict={"A": self.penalty})
        name = {f"x[{m}]": m for m in range(self.n)}
        bqm = dimod.BinaryQuadraticModel(dimod.BINARY)
        bqm.add_linear_from((m, binary.linear[f"x[{m}]"]) for m in range(self.n))
        bqm.add_quadratic_from((name[u], name[v], bias) for (u, v), bias in binary.quadratic.items())
        bqm.offset = binary.offset
        return bqm.change_vartype(dimod.SPIN, inplace=True)

    # -- reading samples ----------------------------------------------------------------------------------
    def decode(self, sampleset: dimod.SampleSet) -> OneHotCounts:
        """Histogram of one-hot reads over the keys (vectorised; SPIN or BINARY SampleSets).

        Reads are weighted by ``num_occurrences``; a ``probability`` field (exact backends) also gives the
        exact conditional probabilities P(e_m | one-hot).
        """
        if not isinstance(sampleset, dimod.SampleSet):
            raise InvalidInputError(f"decode expects a dimod.SampleSet, got {type(sampleset).__name__}")
        variables = list(sampleset.variables)
        if set(variables) != set(self.labels):
            raise InvalidInputError(
                f"the SampleSet's variables {variables[:10]} are not this memory's keys 0…{self.n - 1}; "
                "sample the BQM from to_bqm()"
            )
        record = sampleset.record
        columns = [variables.index(m) for m in self.labels]
        bits = record.sample[:, columns] > 0  # SPIN +1 and BINARY 1 both mean "key selected"
        valid = bits.sum(axis=1) == 1
        key = np.argmax(bits, axis=1)[valid]
        occurrences = np.asarray(record.num_occurrences, dtype=np.int64)
        counts = np.bincount(key, weights=occurrences[valid], minlength=self.n).round().astype(np.int64)
        num_reads = int(occurrences.sum())
        num_invalid = num_reads - int(counts.sum())
        probabilities = invalid_probability = None
        if "probability" in record.dtype.names:
            p = np.asarray(record.probability, dtype=float)
            mass = np.bincount(key, weights=p[valid], minlength=self.n)
            invalid_probability = float(p[~valid].sum() / p.sum())
            probabilities = mass / mass.sum() if mass.sum() > 0 else np.full(self.n, np.nan)
        return OneHotCounts(
            counts=counts,
            num_reads=num_reads,
            num_invalid=num_invalid,
            invalid_fraction=num_invalid / num_reads if num_reads else 0.0,
            probabilities=probabilities,
            invalid_probability=invalid_probability,
        )

    def __repr__(self) -> str:
        return f"OneHotAttention(M={self.n}, d={self.keys.shape[1]}, penalty={self.penalty:.4g})"


def _compile_one_hot(scores: np.ndarray):
    """pyqubo model −Σ a_m x_m + A·Constraint((Σ x_m − 1)², "one_hot") with a Placeholder A."""
    from pyqubo import Array, Constraint, Placeholder

    x = Array.create("x", shape=len(scores), vartype="BINARY")
    linear = sum(float(-a) * x[m] for m, a in enumerate(scores))
    return (linear + Placeholder("A") * Constraint((sum(x) - 1) ** 2, label="one_hot")).compile()
