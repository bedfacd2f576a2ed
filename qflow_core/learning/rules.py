"""Learning rules: parameter updates for Ising memories from closed forms or from a sampler's measurements.

Convention: learning *minimizes* a loss L. An :class:`Update` is the **descent direction per unit
learning rate**, so training does θ ← θ + lr·Update = θ − lr·∇L. Each coupling J_ij (i < j) is **one
parameter** that appears twice in the symmetric matrix: ``Update.dJ[i, j] = Update.dJ[j, i] = −∂L/∂J_ij``
(not the half-size gradient that autodiff of −½ sᵀJs per matrix entry would give). ``dJ`` is symmetric with a
zero diagonal, ``dh[i] = −∂L/∂h_i``; ``extra`` carries updates of further parameters (e.g. transverse fields)
for rules that train them.

Rules (all losses are means over the P patterns ξ^μ, gaps Δ_k(ξ) = 2ξ_k u_k(ξ)):

* :class:`Hebbian` — the outer-product rule, δJ = (1/N) Σ_μ ξ^μ ξ^μᵀ (Eq. 40), descent of the pattern
  coupling energy L = −(1/N) Σ_μ Σ_{i<j} J_ij ξ_i ξ_j;
* :class:`SoftmaxHebbian` — the leakage free energy F_β = log Σ_k e^{−βΔ_k} (Eq. 13–15), or the survival loss
  softplus(F_β) with ``survival=True`` (Eq. 16);
* :class:`LorentzianHebbian` — real-time coherent leakage Σ_k 2Γ²/(Δ_k² + 4Γ²) (Eq. 21) with the sign pitfall
  handled (see the class);
* :class:`MinimumProbabilityFlow` — K = Σ_k e^{−Δ_k/2} (Eq. 18);
* :class:`MeasuredFlowHebbian` — the hardware-native rule of §2.8: channel weights counted from a sampler's
  ``Survival`` runs started in each pattern.

Closed-form rules share one vectorised kernel: with Q_μk = −∂ℓ_μ/∂Δ_k and A = Q∘ξ,
−∂L/∂J = (2/P)(Aᵀξ + ξᵀA) (zero diagonal) and −∂L/∂h = (2/P) Σ_μ A_μ — two matrix products, no Python loop.

>>> import numpy as np
>>> from qflow_core.models.memory import IsingMemory
>>> xi = np.array([[1, -1, 1, 1], [1, 1, -1, 1]])
>>> memory = Hebbian.store(xi)
>>> memory.J[0].tolist()
[0.0, 0.0, 0.0, 0.5]
>>> step = SoftmaxHebbian(beta=2.0).update(memory, xi)
>>> bool(np.allclose(step.dJ, step.dJ.T)), step.dJ.diagonal().tolist()
(True, [0.0, 0.0, 0.0, 0.0])
>>> later = step.apply(memory, lr=0.1)
>>> bool(SoftmaxHebbian(beta=2.0).loss(later, xi) < SoftmaxHebbian(beta=2.0).loss(memory, xi))
True
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.models.memory import IsingMemory, as_spin_states
from qflow_core.protocols import Protocol, Survival, as_protocol, from_dict
from qflow_core.registry import resolve_sampler
from qflow_core.seeding import MAX_SEED
from qflow_core.validation import positive_number

__all__ = [
    "ChannelMeasurement",
    "GapRule",
    "Hebbian",
    "LearningRule",
    "LorentzianHebbian",
    "MeasuredFlowHebbian",
    "MinimumProbabilityFlow",
    "SoftmaxHebbian",
    "Update",
    "channel_weights",
    "classify_reads",
    "gap_update",
    "leakage_free_energy",
    "lorentzian_leakage",
    "measure_channels",
    "parse_rule",
    "rule_from_description",
    "survival_probability",
]


# -- the update --------------------------------------------------------------------------------------------
@dataclass
class Update:
    """A descent direction per unit learning rate: θ ← θ + lr·Update (= θ − lr·∇L).

    ``dJ`` (n, n) is symmetric with a zero diagonal and holds −∂L/∂J_ij in both entries (i, j) and (j, i);
    ``dh`` (n,) holds −∂L/∂h_i. ``extra`` maps names of further parameters (e.g. ``"gamma"``) to their
    descent directions. ``loss`` is the rule's loss at the parameters the update was computed from, when
    computing the update gives it for free (None otherwise); ``info`` holds diagnostics (arrays allowed),
    and ``info["summary"]``, if present, scalars worth recording every epoch.

    >>> up = Update(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.5, 0.0]))
    >>> float((up + up).dJ[0, 1]), float((2 * up).dh[0])
    (2.0, 1.0)
    >>> Update(np.array([[0.0, 1.0], [0.0, 0.0]]), np.zeros(2))
    Traceback (most recent call last):
    ...
    qflow_core.errors.InvalidInputError: Update.dJ must be symmetric (one parameter per pair i<j): dJ[0,1] = 1.0 ...
    """

    dJ: np.ndarray
    dh: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    loss: float | None = None
    info: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.dJ = np.array(self.dJ, dtype=float)
        self.dh = np.array(self.dh, dtype=float)
        n = self.dh.shape[0] if self.dh.ndim == 1 else -1
        if self.dJ.shape != (n, n):
            raise InvalidInputError(
                f"Update needs dJ of shape (n, n) and dh of shape (n,); got {self.dJ.shape}, {self.dh.shape}"
            )
        if not (np.all(np.isfinite(self.dJ)) and np.all(np.isfinite(self.dh))):
            raise InvalidInputError("Update contains NaN or infinite values")
        if not np.array_equal(self.dJ, self.dJ.T):
            i, j = np.unravel_index(int(np.argmax(np.abs(self.dJ - self.dJ.T))), self.dJ.shape)
            raise InvalidInputError(
                f"Update.dJ must be symmetric (one parameter per pair i<j): dJ[{i},{j}] = {self.dJ[i, j]} "
                f"but dJ[{j},{i}] = {self.dJ[j, i]}"
            )
        if np.any(np.diagonal(self.dJ) != 0):
            raise InvalidInputError("Update.dJ must have a zero diagonal (J has no self-couplings)")
        self.extra = {k: np.asarray(v, dtype=float) for k, v in self.extra.items()}

    @classmethod
    def _trusted(cls, dJ: np.ndarray, dh: np.ndarray, *, loss: float | None = None, **info: Any) -> Update:
        """Build without the O(n²) checks, for rules whose construction guarantees symmetry (hot path)."""
        update = object.__new__(cls)
        update.dJ, update.dh, update.extra, update.loss, update.info = dJ, dh, {}, loss, info
        return update

    @property
    def n(self) -> int:
        return self.dh.shape[0]

    def norm(self) -> float:
        """Euclidean norm over the parameters (J_ij counted once per pair, h, extra)."""
        iu = np.triu_indices(self.n, k=1)
        total = float(np.sum(self.dJ[iu] ** 2) + np.sum(self.dh**2))
        return math.sqrt(total + sum(float(np.sum(v**2)) for v in self.extra.values()))

    def __add__(self, other: Update) -> Update:
        if not isinstance(other, Update):
            return NotImplemented
        keys = set(self.extra) | set(other.extra)
        extra = {k: self.extra.get(k, 0.0) + other.extra.get(k, 0.0) for k in keys}
        return Update(self.dJ + other.dJ, self.dh + other.dh, extra)

    def __mul__(self, factor: float) -> Update:
        factor = float(factor)
        return Update(self.dJ * factor, self.dh * factor, {k: v * factor for k, v in self.extra.items()})

    __rmul__ = __mul__

    def apply(self, memory: IsingMemory, lr: float) -> IsingMemory:
        """A new memory with J + lr·dJ and h + lr·dh (``extra`` is the caller's business)."""
        memory = _check_memory(memory)
        if memory.n != self.n:
            raise InvalidInputError(f"update is for {self.n} spins but the memory has {memory.n}")
        return IsingMemory(memory.J + lr * self.dJ, memory.h + lr * self.dh, offset=memory.offset, labels=memory.labels)


# -- closed forms -------------------------------------------------------------------------
def leakage_free_energy(gaps: Any, beta: float) -> np.ndarray:
    """F_β = log Σ_k exp(−β Δ_k) over the last axis, computed stably.

    >>> round(float(leakage_free_energy([3.6, 0.2, -1.3, -1.4], 1.0)), 10)
    2.1483320374
    """
    z = -float(beta) * np.asarray(gaps, dtype=float)
    top = z.max(axis=-1, keepdims=True)
    return (top + np.log(np.exp(z - top).sum(axis=-1, keepdims=True)))[..., 0]


def channel_weights(gaps: Any, beta: float) -> np.ndarray:
    """p_k = softmax(−β Δ)_k over the last axis: the attention on the least stable bits (Eq. 13)."""
    z = -float(beta) * np.asarray(gaps, dtype=float)
    w = np.exp(z - z.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)


def survival_probability(gaps: Any, beta: float) -> np.ndarray:
    """Star-model survival P_surv = 1 / (1 + Σ_k e^{−βΔ_k}) = exp(−softplus(F_β)) (Eq. 16)."""
    return np.exp(-np.logaddexp(0.0, leakage_free_energy(gaps, beta)))


def lorentzian_leakage(gaps: Any, gamma: float) -> np.ndarray:
    """Time-averaged coherent leakage into each channel, 2Γ² / (Δ_k² + 4Γ²) (Eq. 20), elementwise."""
    d = np.asarray(gaps, dtype=float)
    g2 = float(gamma) ** 2
    return 2 * g2 / (d**2 + 4 * g2)


# -- validation helpers -------------------------------------------------------------------------------------
def _check_memory(memory: Any) -> IsingMemory:
    if not isinstance(memory, IsingMemory):
        raise InvalidInputError(
            f"learning rules train an IsingMemory (J, h); got {type(memory).__name__}. "
            "Build one with IsingMemory(J, h) or Hebbian.store(patterns)"
        )
    return memory


def _check_patterns(patterns: Any, n: int) -> np.ndarray:
    xi = as_spin_states(patterns, n, name="patterns")
    xi = xi[None, :] if xi.ndim == 1 else xi
    if xi.shape[0] == 0:
        raise InvalidInputError("patterns is empty: give at least one ±1 pattern of length n")
    return xi


# -- the base class -----------------------------------------------------------------------------------------
class LearningRule(abc.ABC):
    """A loss over stored patterns and its descent direction.

    Subclasses set ``name`` (the CLI/JSON tag) and implement :meth:`update` and :meth:`loss`. Rules that
    measure on a sampler set ``requires_sampler = True`` and receive ``sampler`` and ``rng`` (a
    ``numpy.random.Generator`` from which they draw the seeds of their runs, so training is reproducible).
    ``patterns`` is whatever the rule trains on — ±1 patterns (P, n) for the Hebbian family; other rules
    (e.g. equilibrium propagation) may take a task object. :meth:`describe` must return every setting, as
    JSON-ready values: training checkpoints compare it before resuming.
    """

    name: ClassVar[str]
    requires_sampler: ClassVar[bool] = False

    @abc.abstractmethod
    def update(
        self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None
    ) -> Update:
        """The descent direction −∇L at ``memory`` (see :class:`Update` for the convention)."""

    @abc.abstractmethod
    def loss(self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None) -> float:
        """The loss L whose negative gradient :meth:`update` returns."""

    def describe(self) -> dict[str, Any]:
        """``{"rule": name, **settings}``; the default lists the public attributes set in ``__init__``."""
        settings = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        return {"rule": self.name, **settings}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.describe().items() if k != "rule")
        return f"{type(self).__name__}({args})"


class GapRule(LearningRule):
    """Base of closed-form rules whose per-pattern loss ℓ(Δ(ξ)) depends on the single-flip gaps only.

    Subclasses implement :meth:`pattern_terms`: the per-pattern losses ℓ_μ (P,) and Q_μk = −∂ℓ_μ/∂Δ_k (P, n).
    The dataset loss is L = (1/P) Σ_μ ℓ_μ; the update is assembled by the shared vectorised kernel.
    """

    @abc.abstractmethod
    def pattern_terms(self, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ℓ_μ, Q_μk) for gaps of shape (P, n)."""

    def update(
        self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None
    ) -> Update:
        memory = _check_memory(memory)
        xi = _check_patterns(patterns, memory.n)
        losses, weights = self.pattern_terms(2.0 * xi * (xi @ memory.J + memory.h))
        return gap_update(xi, weights, loss=float(losses.mean()))

    def loss(self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None) -> float:
        memory = _check_memory(memory)
        xi = _check_patterns(patterns, memory.n)
        losses, _ = self.pattern_terms(2.0 * xi * (xi @ memory.J + memory.h))
        return float(losses.mean())


def gap_update(patterns: np.ndarray, weights: np.ndarray, *, loss: float | None = None, **info: Any) -> Update:
    """The update of L = (1/P) Σ_μ ℓ_μ(Δ(ξ^μ)) from Q_μk = −∂ℓ_μ/∂Δ_k.

    −∂L/∂J_ij = (2/P) Σ_μ (Q_μi + Q_μj) ξ_i ξ_j and −∂L/∂h_i = (2/P) Σ_μ Q_μi ξ_i: with A = Q∘ξ, one
    product M = Aᵀξ gives dJ = (2/P)(M + Mᵀ) with the diagonal zeroed.
    """
    weighted = (2.0 / patterns.shape[0]) * weights * patterns  # scale the (P, n) factor, not the (n, n) result
    dJ = _add_transpose_in_place(weighted.T @ patterns)
    np.fill_diagonal(dJ, 0.0)
    return Update._trusted(dJ, weighted.sum(axis=0), loss=loss, **info)


def _add_transpose_in_place(m: np.ndarray, block: int = 256) -> np.ndarray:
    """m ← m + mᵀ block by block: no (n, n) temporary (≈ 2× faster than ``m + m.T`` at n = 1000)."""
    n = m.shape[0]
    for i in range(0, n, block):
        rows = slice(i, i + block)
        diagonal = m[rows, rows]
        diagonal += diagonal.T.copy()
        for j in range(i + block, n, block):
            cols = slice(j, j + block)
            upper = m[rows, cols]
            upper += m[cols, rows].T
            m[cols, rows] = upper.T
    return m


# -- closed-form rules --------------------------------------------------------------------------------------
class Hebbian(LearningRule):
    """The Hopfield outer-product rule δJ = (1/N) Σ_μ ξ^μ ξ^μᵀ, zero diagonal, δh = 0.

    It descends the linear loss L = −(1/N) Σ_μ Σ_{i<j} J_ij ξ^μ_i ξ^μ_j (the patterns' coupling energy; L does
    not depend on h), so one step of lr = 1 from J = 0 is the Hebb matrix, :meth:`store`. L is unbounded
    below: train it with a norm constraint.

    >>> xi = np.array([[1, -1, 1, 1, -1, -1, 1, -1], [1, 1, -1, 1, -1, 1, -1, -1]])
    >>> Hebbian.store(xi).J[0].tolist()
    [0.0, 0.0, 0.0, 0.25, -0.25, 0.0, 0.0, -0.25]
    """

    name: ClassVar[str] = "hebbian"

    @staticmethod
    def store(patterns: Any, *, labels: Any = None) -> IsingMemory:
        """The Hebb memory J = (1/N) Σ_μ ξ^μ ξ^μᵀ (J_ii = 0), h = 0."""
        xi = np.asarray(patterns)
        xi = _check_patterns(xi, xi.shape[-1] if xi.ndim else 0)
        J = xi.T @ xi / xi.shape[1]
        np.fill_diagonal(J, 0.0)
        return IsingMemory(J, labels=labels)

    def update(
        self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None
    ) -> Update:
        memory = _check_memory(memory)
        xi = _check_patterns(patterns, memory.n)
        dJ = xi.T @ xi / memory.n
        np.fill_diagonal(dJ, 0.0)
        return Update._trusted(dJ, np.zeros(memory.n), loss=self._loss(memory, xi))

    def loss(self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None) -> float:
        memory = _check_memory(memory)
        return self._loss(memory, _check_patterns(patterns, memory.n))

    @staticmethod
    def _loss(memory: IsingMemory, xi: np.ndarray) -> float:
        return float(-0.5 * np.einsum("pi,pi->", xi @ memory.J, xi) / memory.n)


class SoftmaxHebbian(GapRule):
    """Gradient of the leakage free energy F_β = log Σ_k e^{−βΔ_k}.

    ``survival=False``: L = mean_μ F_β(ξ^μ), update (2β/P) Σ_μ (p_i + p_j) ξ_i ξ_j with p = softmax(−βΔ);
    ``survival=True``: L = mean_μ softplus(F_β) = −mean log P_surv (Eq. 16), the same update with each pattern
    weighted by 1 − P_surv^μ, so stable patterns are updated less. β → 0 gives Hebb, β → ∞ the perceptron on the
    weakest bit (Eq. 17). F → −∞ when (J, h) is scaled up with all gaps positive: train with a norm constraint.

    >>> from qflow_core.models.memory import IsingMemory
    >>> rule = SoftmaxHebbian(beta=1.0)
    >>> J = np.zeros((4, 4)); J[0, 1] = J[1, 0] = 1.0
    >>> round(rule.loss(IsingMemory(J), [1, 1, 1, 1]), 6)  # gaps (2, 2, 0, 0)
    0.820075
    """

    name: ClassVar[str] = "softmax-hebbian"

    def __init__(self, beta: float, survival: bool = False) -> None:
        self.beta = positive_number("SoftmaxHebbian beta", beta)
        self.survival = bool(survival)

    def pattern_terms(self, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = -self.beta * gaps
        top = z.max(axis=1, keepdims=True)
        w = np.exp(z - top)
        total = w.sum(axis=1, keepdims=True)
        free_energy = (top + np.log(total))[:, 0]
        weights = (self.beta / total) * w  # β p_k = −∂F/∂Δ_k
        if not self.survival:
            return free_energy, weights
        loss = np.logaddexp(0.0, free_energy)
        return loss, weights * np.exp(free_energy - loss)[:, None]  # (1 − P_surv) β p_k


class LorentzianHebbian(GapRule):
    """Real-time coherent leakage L = mean_μ Σ_k ℓ(Δ_k), ℓ = 2Γ²/(Δ² + 4Γ²) for Δ ≥ 0.

    The update is 2(q_i + q_j) ξ_i ξ_j, 2 q_i ξ_i with the power-law weight q_k = 4Γ²Δ_k/(Δ_k² + 4Γ²)² ~ Δ^{−3}.

    **Sign pitfall**: the physical leakage is even in Δ, so for an unstable bit (Δ_k < 0)
    q_k < 0 and descent makes the bit *more* unstable. ``sign="reflect"`` (default, our documented choice)
    uses the monotone continuation ℓ(Δ) = 1 − 2Γ²/(Δ² + 4Γ²) for Δ < 0: it equals the physical loss whenever
    all gaps are positive (the physical loss is meant for stable patterns), is continuous and continuously
    differentiable at Δ = 0 (value ½, slope 0), non-increasing everywhere, and its weight is |q_k| ≥ 0, so every
    bit is pushed towards stability. ``sign="physical"`` is Eq. (21) as derived (for checks, A11).

    >>> rule = LorentzianHebbian(gamma=0.25)
    >>> q_physical = LorentzianHebbian(0.25, sign="physical").pattern_terms(np.array([[-0.5]]))[1]
    >>> float(q_physical[0, 0]) < 0 < float(rule.pattern_terms(np.array([[-0.5]]))[1][0, 0])
    True
    """

    name: ClassVar[str] = "lorentzian-hebbian"

    def __init__(self, gamma: float, sign: Literal["reflect", "physical"] = "reflect") -> None:
        self.gamma = positive_number("LorentzianHebbian gamma", gamma)
        if sign not in ("reflect", "physical"):
            raise InvalidInputError(f"LorentzianHebbian sign must be 'reflect' or 'physical', got {sign!r}")
        self.sign = sign

    def pattern_terms(self, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g2 = 4.0 * self.gamma**2
        denominator = gaps**2 + g2
        leak = 0.5 * g2 / denominator
        weights = g2 * gaps / denominator**2
        if self.sign == "reflect":
            unstable = gaps < 0
            leak = np.where(unstable, 1.0 - leak, leak)
            weights = np.abs(weights)
        return leak.sum(axis=1), weights


class MinimumProbabilityFlow(GapRule):
    """Minimum probability flow with single-flip connectivity (Sohl-Dickstein et al. 2011).

    K = mean_μ Σ_k e^{−Δ_k(ξ^μ)/2} = mean_μ e^{F_{1/2}(ξ^μ)}: the dephased leakage at β = ½ without per-pattern
    normalisation. Neighbours that are themselves patterns are not excluded (the original MPF excludes them;
    for random patterns at n ≫ 1 they are absent).
    """

    name: ClassVar[str] = "mpf"

    def pattern_terms(self, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        flow = np.exp(-0.5 * gaps)
        return flow.sum(axis=1), 0.5 * flow


# -- measured rule ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelMeasurement:
    """Where the reads of one ``Survival`` run from ``pattern`` ended up.

    ``survival`` P̂(return), ``channels[k]`` P̂(single flip of spin k), ``multi_flip`` P̂(two or more flips);
    they sum to 1. ``exact`` says the probabilities came from a SampleSet ``probability`` field (else from
    ``num_occurrences`` over ``num_reads`` reads). ``counts`` are (returns, per-channel, multi-flip) read
    counts (expected counts num_reads × probability when exact). ``protocol`` holds the Survival fields
    other than the state.
    """

    pattern: np.ndarray
    survival: float
    channels: np.ndarray
    multi_flip: float
    num_reads: int
    exact: bool
    counts: dict[str, Any]
    protocol: dict[str, Any] = field(default_factory=dict)
    sampler_info: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def channel_weights(self) -> np.ndarray:
        """p̂_k = n_k / Σ_l n_l (zeros when no read left through a single flip)."""
        total = self.channels.sum()
        return self.channels / total if total > 0 else np.zeros_like(self.channels)

    def survival_loss(self) -> float:
        """−log P̂_surv; with counts and no return at all, P̂_surv is floored at ½ read (−log(0.5/N))."""
        floor = 0.0 if self.exact else 0.5 / self.num_reads
        p = max(self.survival, floor)
        return math.inf if p <= 0 else -math.log(p)


def survival_template(protocol: Any) -> dict[str, Any]:
    """Validate a Survival protocol (or its fields without ``state``) and return its fields minus the state."""
    if isinstance(protocol, Mapping) and "state" not in protocol:
        fields = {k: v for k, v in protocol.items() if k != "protocol"}
        protocol = from_dict({"protocol": "survival", "state": (1,), **fields})
    elif isinstance(protocol, str) and "state=" not in protocol and protocol.strip().lower().startswith("survival"):
        head, _, tail = protocol.partition(":")
        protocol = as_protocol(f"{head}:state=+{',' + tail if tail else ''}")
    else:
        protocol = as_protocol(protocol)
    if not isinstance(protocol, Survival):
        raise InvalidInputError(
            f"measured-flow rules need a Survival protocol (start in the pattern, open the transverse field, "
            f"measure), got {protocol}; e.g. 'survival:gamma=0.3,time=5,regime=dephased,beta=2'"
        )
    return {k: v for k, v in protocol.to_dict().items() if k not in ("protocol", "state")}


def measure_channels(
    memory: IsingMemory,
    pattern: Any,
    sampler: Any,
    protocol: Any,
    *,
    num_reads: int = 1000,
    seed: int | None = None,
    **backend_options: Any,
) -> ChannelMeasurement:
    """Run ``protocol`` (a Survival protocol; its ``state`` is replaced by ``pattern``) and classify the reads.

    Reads equal to the pattern are returns, reads at Hamming distance 1 single-flip escapes into channel k,
    farther reads multi-flip escapes (counted, never dropped). With a ``probability`` field (exact backends) the
    exact probabilities are used; otherwise ``num_occurrences``. ``backend_options`` go to ``sampler.run``.

    >>> from qflow_core.registry import get_sampler
    >>> memory = Hebbian.store([[1, 1, -1, -1]])
    >>> m = measure_channels(memory, [1, 1, -1, -1], get_sampler("sa"),
    ...                      "survival:gamma=0.1,time=1,regime=dephased,beta=1", num_reads=200, seed=1)
    >>> round(float(m.survival + m.channels.sum() + m.multi_flip), 12), m.num_reads
    (1.0, 200)
    """
    memory = _check_memory(memory)
    xi = _check_patterns(pattern, memory.n)
    if xi.shape[0] != 1:
        raise InvalidInputError(f"measure_channels takes one pattern of length {memory.n}, got {xi.shape[0]}")
    xi = xi[0]
    sampler = resolve_sampler(sampler, purpose="this rule measures on a sampler")
    template = survival_template(protocol)
    survival = Survival(state=tuple(int(v) for v in xi), **template)
    sampleset = sampler.run(memory.to_bqm(), survival, num_reads=num_reads, seed=seed, **backend_options)
    return dataclasses.replace(classify_reads(sampleset, xi, memory.labels, num_reads), protocol=template)


def classify_reads(sampleset: dimod.SampleSet, pattern: np.ndarray, labels: list, num_reads: int) -> ChannelMeasurement:
    """Returns / single-flip channels / multi-flip mass of a SampleSet relative to ``pattern`` (labels order)."""
    variables = list(sampleset.variables)
    try:
        order = [variables.index(v) for v in labels]
    except ValueError:
        raise InvalidInputError(f"sample variables {variables} do not match the memory labels {labels}") from None
    samples = np.asarray(sampleset.record.sample)[:, order]
    if sampleset.vartype is dimod.BINARY:
        samples = 2 * samples - 1
    names = sampleset.record.dtype.names
    exact = "probability" in names
    weights = np.asarray(sampleset.record.probability if exact else sampleset.record.num_occurrences, dtype=float)
    total = weights.sum()
    if total <= 0:
        raise InvalidInputError("the SampleSet holds no reads")
    flipped = samples != pattern
    distance = flipped.sum(axis=1)
    single = distance == 1
    channel_of = np.argmax(flipped[single], axis=1)
    channels = np.bincount(channel_of, weights=weights[single], minlength=pattern.size) / total
    survival = float(weights[distance == 0].sum() / total)
    multi = float(weights[distance >= 2].sum() / total)
    counts = {
        "returns": survival * num_reads,
        "channels": channels * num_reads,
        "multi_flip": multi * num_reads,
    }
    return ChannelMeasurement(
        pattern.astype(float),
        survival,
        channels,
        multi,
        int(num_reads),
        exact,
        counts,
        sampler_info=dict(sampleset.info.get("qflow", {})),
    )


class MeasuredFlowHebbian(LearningRule):
    """The hardware-native rule: Eq. (15) with channel weights *measured* on a sampler.

    For each pattern ξ^μ the sampler runs ``protocol`` (a :class:`~qflow_core.protocols.Survival`, started in
    ξ^μ; the regime — coherent or dephased — is the protocol's) for ``num_reads`` reads. Returns give P̂_surv^μ,
    single-flip escapes give p̂^μ_k = n_k / Σ_l n_l, multi-flip escapes are counted and reported in ``info``.
    The loss is the measured survival loss L = mean_μ −log P̂_surv^μ and the update

        δJ_ij = (2β/P) Σ_μ (1 − P̂_surv^μ)(p̂^μ_i + p̂^μ_j) ξ_i ξ_j,   δh_i = (2β/P) Σ_μ (1 − P̂_surv^μ) p̂^μ_i ξ_i.

    This is exactly −∇L when the device's channel ratios are Boltzmann at inverse temperature β in the star
    model (Eq. 16) — the dephased picture; in any other regime it is the model-free stability-driven Hebbian
    update of §2.8. ``beta`` defaults to the protocol's bath β (dephased) and to 1 (coherent). The same code runs
    on every sampler that supports the protocol (exact, sa, dwave, dwave-mock, qaoa, ...), as one
    ``sampler.run_many`` batch per step whose seed is drawn from ``rng`` (pass one for reproducible training);
    ``backend_options`` go to every run.
    """

    name: ClassVar[str] = "measured-flow"
    requires_sampler: ClassVar[bool] = True

    def __init__(
        self,
        protocol: Protocol | str | Mapping[str, Any],
        *,
        num_reads: int = 1000,
        beta: float | None = None,
        backend_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.protocol = survival_template(protocol)
        self.backend_options = dict(backend_options or {})
        if isinstance(num_reads, bool) or not isinstance(num_reads, (int, np.integer)) or num_reads < 1:
            raise InvalidInputError(f"num_reads must be a positive integer, got {num_reads!r}")
        self.num_reads = int(num_reads)
        default = self.protocol.get("beta") or 1.0
        self.beta = positive_number("MeasuredFlowHebbian beta", default if beta is None else beta)

    def measure(
        self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None
    ) -> list[ChannelMeasurement]:
        """One :class:`ChannelMeasurement` per pattern, from one ``sampler.run_many`` batch of Survival runs.

        The batch seed is drawn from ``rng`` and run μ is seeded ``child_seed(seed, μ)``, so results do not
        depend on whether the backend batches (dwave samplers reverse-anneal all patterns as one batch).
        """
        memory = _check_memory(memory)
        xi = _check_patterns(patterns, memory.n)
        sampler = resolve_sampler(sampler, purpose="this rule measures on a sampler")
        rng = rng if rng is not None else np.random.default_rng()
        seed = int(rng.integers(0, MAX_SEED))
        protocols = [Survival(state=tuple(int(v) for v in pattern), **self.protocol) for pattern in xi]
        samplesets = sampler.run_many(
            memory.to_bqm(), protocols, num_reads=self.num_reads, seed=seed, **self.backend_options
        )
        return [
            dataclasses.replace(
                classify_reads(ss, pattern, memory.labels, self.num_reads), protocol=dict(self.protocol)
            )
            for ss, pattern in zip(samplesets, xi, strict=True)
        ]

    def update(
        self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None
    ) -> Update:
        memory = _check_memory(memory)
        xi = _check_patterns(patterns, memory.n)
        measured = self.measure(memory, xi, sampler=sampler, rng=rng)
        survival = np.array([m.survival for m in measured])
        channels = np.array([m.channels for m in measured])
        weights = np.array([m.channel_weights for m in measured])
        multi = np.array([m.multi_flip for m in measured])
        losses = np.array([m.survival_loss() for m in measured])
        q = (self.beta * (1.0 - survival))[:, None] * weights  # Q_μk = β (1 − P̂_surv) p̂_k
        summary = {
            "survival_mean": float(survival.mean()),
            "multi_flip_mean": float(multi.mean()),
            "multi_flip_max": float(multi.max()),
        }
        return gap_update(
            xi,
            q,
            loss=float(losses.mean()),
            survival=survival,
            channels=channels,
            channel_weights=weights,
            multi_flip=multi,
            exact=all(m.exact for m in measured),
            summary=summary,
        )

    def loss(self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None) -> float:
        measured = self.measure(memory, patterns, sampler=sampler, rng=rng)
        return float(np.mean([m.survival_loss() for m in measured]))


# -- parsing (CLI) ------------------------------------------------------------------------------------------
_RULES: dict[str, type[LearningRule]] = {
    "hebb": Hebbian,
    "hebbian": Hebbian,
    "softmax-hebbian": SoftmaxHebbian,
    "softmax": SoftmaxHebbian,
    "lorentzian-hebbian": LorentzianHebbian,
    "lorentzian": LorentzianHebbian,
    "mpf": MinimumProbabilityFlow,
    "measured-flow": MeasuredFlowHebbian,
}


def parse_rule(text: str, *, protocol: Any = None, num_reads: int | None = None) -> LearningRule:
    """A rule from ``"name:key=value,..."``, e.g. ``"softmax-hebbian:beta=4,survival=true"`` or ``"mpf"``.

    Names: hebb/hebbian, softmax-hebbian (beta, survival; default beta 4), lorentzian-hebbian (gamma, sign),
    mpf, measured-flow (needs ``protocol``; optional beta, num_reads).

    >>> parse_rule("softmax-hebbian:beta=2,survival=true")
    SoftmaxHebbian(beta=2.0, survival=True)
    >>> parse_rule("lorentzian:gamma=0.3")
    LorentzianHebbian(gamma=0.3, sign='reflect')
    """
    head, _, tail = text.strip().partition(":")
    key = head.strip().lower().replace("_", "-")
    if key not in _RULES:
        raise InvalidInputError(f"unknown rule {head!r}; known: {', '.join(sorted(_RULES))}")
    kwargs: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in tail.split(","))):
        name, eq, value = item.partition("=")
        if not eq:
            raise InvalidInputError(f"cannot parse {item!r} in rule {text!r}: expected key=value")
        kwargs[name.strip()] = _rule_value(value.strip())
    cls = _RULES[key]
    if cls is SoftmaxHebbian:
        kwargs.setdefault("beta", 4.0)
    if cls is MeasuredFlowHebbian:
        if protocol is None:
            raise InvalidInputError(
                "the measured-flow rule needs a Survival protocol, e.g. "
                "--protocol survival:gamma=0.3,time=5,regime=dephased,beta=2"
            )
        kwargs["protocol"] = protocol
        if num_reads is not None:
            kwargs.setdefault("num_reads", num_reads)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise InvalidInputError(f"cannot build rule {key!r} from {kwargs}: {exc}") from None


def _rule_value(value: str) -> Any:
    if value.lower() in ("true", "yes", "on"):
        return True
    if value.lower() in ("false", "no", "off"):
        return False
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number


def rule_from_description(description: Mapping[str, Any]) -> LearningRule:
    """Rebuild a rule from :meth:`LearningRule.describe` output (closed-form and measured-flow rules)."""
    settings = dict(description)
    key = str(settings.pop("rule", ""))
    if key not in _RULES:
        raise InvalidInputError(f"unknown rule {key!r} in {description!r}")
    return _RULES[key](**settings)
