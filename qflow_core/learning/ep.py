"""Equilibrium propagation on any sampler: quantum EP (ground state or any eigenstate) and thermal EP.

Both rules return an :class:`EPGradient` — dL/dθ for θ = (J_ij for i<j, h_i, Γ_i) of a
:class:`~qflow_core.models.TransverseIsingNetwork` on a :class:`~qflow_core.models.SupervisedTask`, with
the shot-noise standard error of every component.

* :class:`QuantumEP`: the free phase and the nudged phases H ± bC are
  ``GroundState`` runs (or the ``level``-th eigenstate on the exact backend). dL/dJ_ij = −∂_b⟨Z_iZ_j⟩,
  dL/dh_i = −∂_b⟨Z_i⟩ from the z-basis samples (exact probabilities where the SampleSet has a ``probability``
  field), dL/dΓ_i = −∂_b⟨X_i⟩ where the backend measures X (the exact backend reports ⟨X_i⟩), else reported as
  unavailable. Centered differences have bias O(b²), one-sided O(b) (Eq. 32).
* :class:`ThermalEP`: ``estimator="covariance"`` uses free-phase ``Boltzmann`` samples only,
  dL/dθ = −(1/T) Cov(C, ∂E/∂θ) (Eq. 36); ``estimator="nudged"`` differentiates ⟨∂_θH⟩ in thermal nudged
  phases (Eq. 37/39), exact also with a transverse field. With Γ > 0 the plain covariance of z-basis samples is
  biased (Eq. 38): on a sampler that implements :class:`~qflow_core.capabilities.SpectralBackend` (e.g. exact)
  the rule computes the Kubo–Mori covariance instead, elsewhere it warns and switches to the nudged estimator.

Shot noise (Eq. 34 note): for N reads per phase, SE(ĝ_c) = [Var_b(O) + Var_{−b}(O)]^{1/2} / (2b√N) with O the
measured ±1 operator (Var O = 1 − ⟨O⟩²). The SE is always the one an N-shot estimate has; when the backend
gives exact probabilities (and ``use_probabilities=True``) the estimate itself has no shot noise and the SE
says what N hardware shots would add — the knob for trading bias (small b) against variance (large b).

>>> import numpy as np
>>> from qflow_core import get_sampler
>>> from qflow_core.models.network import SupervisedTask, TransverseIsingNetwork
>>> net = TransverseIsingNetwork(np.zeros((3, 3)), gamma=0.0, inputs=[0, 1], outputs=[2])
>>> grad = QuantumEP(nudge=0.5).gradient(net, SupervisedTask.boolean("and"), get_sampler("sa"), seed=1)
>>> grad.gamma_available, grad.h.shape
(False, (3,))
"""

from __future__ import annotations

import abc
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import dimod
import numpy as np

from qflow_core.capabilities import SpectralBackend, basis_states, find_capability
from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules import LearningRule, Update
from qflow_core.models.network import PauliObservable, SupervisedTask, TransverseIsingNetwork
from qflow_core.protocols import Boltzmann, GroundState, Protocol
from qflow_core.registry import resolve_sampler
from qflow_core.sampler import Sampler
from qflow_core.seeding import child_seeds, resolve_seed
from qflow_core.validation import positive_int, positive_number

__all__ = [
    "EPGradient",
    "PhaseMeasurement",
    "QuantumEP",
    "QuantumThermalBiasWarning",
    "ThermalEP",
    "extrapolated_start",
    "measure_phase",
]


class QuantumThermalBiasWarning(UserWarning):
    """The plain covariance of z-basis samples is a biased thermal gradient when Γ > 0."""


@dataclass
class PhaseMeasurement:
    """What one phase (free or nudged) measured: a z-basis distribution and, where available, ⟨X_i⟩.

    ``weights`` sum to one over the distinct ``states`` (±1 rows, network spin order); ``exact`` says they are
    exact probabilities rather than shot frequencies. ``num_reads`` is the number of shots N the phase stands
    for; ``state`` is the state vector when the backend returned it (exact), used to warm-start the next phase.
    """

    states: np.ndarray
    weights: np.ndarray
    num_reads: int
    exact: bool
    x_expectation: np.ndarray | None = None
    state: np.ndarray | None = None
    num_matvecs: int = 0

    @property
    def z(self) -> np.ndarray:
        """⟨Z_i⟩."""
        return self.weights @ self.states

    @property
    def zz(self) -> np.ndarray:
        """⟨Z_iZ_j⟩ (diagonal = 1)."""
        return self.states.T @ (self.weights[:, None] * self.states)

    def expectation(self, observable: PauliObservable) -> float:
        """⟨C⟩ in this phase."""
        return observable.expectation(self.states, self.weights, self.x_expectation)


def measure_phase(
    sampler: Sampler,
    network: TransverseIsingNetwork,
    *,
    beta: float | None = None,
    level: int = 0,
    num_reads: int = 1000,
    seed: int | None = None,
    v0: np.ndarray | None = None,
    use_probabilities: bool = True,
) -> PhaseMeasurement:
    """Run one phase of ``network`` on ``sampler``: ``GroundState`` (``beta=None``) or ``Boltzmann(beta, Γ)``.

    Per-spin transverse fields, ``level > 0`` and the warm start ``v0`` need a sampler that implements
    :class:`~qflow_core.capabilities.SpectralBackend` (whose runs accept those options); on other
    samplers a uniform Γ ≥ 0 goes into the protocol and anything else is an error. A negative Γ_i (an X nudge
    can make one) is run as |Γ_i|: H(−Γ_i) = Z_i H(|Γ_i|) Z_i, so z-basis statistics are unchanged and ⟨X_i⟩
    and the state vector are mapped back.
    """
    spectral = isinstance(sampler, SpectralBackend)
    flipped = network.gamma < 0
    if flipped.any():
        network = network._replace(network.J, network.h, np.abs(network.gamma))
    gamma = network.uniform_gamma
    options: dict[str, Any] = {}
    if gamma is None:
        if not spectral:
            raise InvalidInputError(
                f"sampler {sampler.name!r} takes one transverse field Γ ≥ 0 for all spins, but this phase has "
                f"Γ = {network.gamma.tolist()}; use a uniform Γ (and a cost without X terms) or a sampler that "
                "implements SpectralBackend (e.g. the exact sampler)"
            )
        options["gamma_per_spin"] = network.gamma.copy()
        gamma = float(np.max(network.gamma))
    protocol: Protocol = GroundState(gamma=gamma) if beta is None else Boltzmann(beta=beta, gamma=gamma)
    if level:
        if not spectral or beta is not None:
            raise InvalidInputError(
                f"excited-state EP (level={level}) needs GroundState phases on a SpectralBackend sampler (e.g. the "
                f"exact sampler), not {sampler.name!r}"
            )
        options["level"] = int(level)
    signs = _z_string_signs(network.n, flipped) if flipped.any() else None
    if spectral and beta is None:
        options["return_state"] = True
        if v0 is not None:
            options["v0"] = v0 if signs is None else signs * v0
    sampleset = sampler.run(network.to_bqm(), protocol, num_reads=num_reads, seed=seed, **options)
    phase = _phase_from_sampleset(sampleset, network, num_reads, use_probabilities)
    if signs is not None:
        if phase.x_expectation is not None:
            phase.x_expectation = np.where(flipped, -phase.x_expectation, phase.x_expectation)
        if phase.state is not None:
            phase.state = signs * phase.state
    return phase


def _z_string_signs(n: int, flipped: np.ndarray) -> np.ndarray:
    """Diagonal of Π_{i flipped} Z_i over basis indices (site 0 = most significant bit, bit 0 ↔ Z = +1)."""
    index = np.arange(2**n)
    signs = np.ones(2**n)
    for i in np.flatnonzero(flipped):
        signs *= 1 - 2 * ((index >> (n - 1 - i)) & 1)
    return signs


def _phase_from_sampleset(
    sampleset: dimod.SampleSet, network: TransverseIsingNetwork, num_reads: int, use_probabilities: bool
) -> PhaseMeasurement:
    columns = [sampleset.variables.index(label) for label in network.labels]
    states = np.asarray(sampleset.record.sample, dtype=float)[:, columns]
    has_probability = "probability" in sampleset.record.dtype.names
    if has_probability and use_probabilities:
        weights = np.asarray(sampleset.record.probability, dtype=float)
    else:
        weights = np.asarray(sampleset.record.num_occurrences, dtype=float)
    weights = weights / weights.sum()
    backend = sampleset.info.get("qflow", {}).get("backend", {})
    x = backend.get("x_expectation")
    return PhaseMeasurement(
        states=states,
        weights=weights,
        num_reads=num_reads,
        exact=has_probability and use_probabilities,
        x_expectation=None if x is None else np.asarray(x, dtype=float),
        state=backend.get("state"),
        num_matvecs=int(backend.get("num_matvecs", 0) or 0),
    )


@dataclass
class EPGradient:
    """dL/dθ of a network on a task, with shot-noise standard errors (per unit of the loss).

    ``J`` is symmetric with a zero diagonal and holds dL/dJ_ij for the one parameter J_ij = J_ji (i<j);
    ``gamma`` is None when the backend cannot measure X (then Γ is not trained). ``loss`` is the free-phase
    estimate of L = mean_p ⟨C_p⟩. ``estimator`` names what was actually computed (e.g. "kubo-mori").
    """

    J: np.ndarray
    h: np.ndarray
    gamma: np.ndarray | None
    stderr_J: np.ndarray
    stderr_h: np.ndarray
    stderr_gamma: np.ndarray | None
    loss: float
    estimator: str
    nudge: float | None
    sampler: str
    num_matvecs: int = 0
    num_phases: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def gamma_available(self) -> bool:
        return self.gamma is not None

    def vector(self) -> np.ndarray:
        """Flat [dL/dJ_ij (i<j), dL/dh, dL/dΓ] in :meth:`TransverseIsingNetwork.parameter_vector` order.

        Unavailable Γ components are 0, so ``θ − η·vector()`` leaves Γ unchanged.
        """
        iu = np.triu_indices(len(self.h), k=1)
        gamma = np.zeros_like(self.h) if self.gamma is None else self.gamma
        return np.concatenate([self.J[iu], self.h, gamma])

    def stderr_vector(self) -> np.ndarray:
        """Shot-noise standard errors in the order of :meth:`vector` (0 where Γ is unavailable)."""
        iu = np.triu_indices(len(self.h), k=1)
        gamma = np.zeros_like(self.h) if self.stderr_gamma is None else self.stderr_gamma
        return np.concatenate([self.stderr_J[iu], self.stderr_h, gamma])

    def mask(self) -> np.ndarray:
        """True for the components of :meth:`vector` this estimate provides."""
        n = len(self.h)
        return np.concatenate([np.ones(n * (n - 1) // 2 + n, bool), np.full(n, self.gamma is not None)])


# -- combining phases -----------------------------------------------------------------------------------------
@dataclass
class _Moments:
    """Per-example gradient pieces accumulated over examples."""

    J: list[np.ndarray] = field(default_factory=list)
    h: list[np.ndarray] = field(default_factory=list)
    gamma: list[np.ndarray | None] = field(default_factory=list)
    var_J: list[np.ndarray] = field(default_factory=list)
    var_h: list[np.ndarray] = field(default_factory=list)
    var_gamma: list[np.ndarray | None] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    num_matvecs: int = 0
    num_phases: int = 0

    def add_difference(self, upper: PhaseMeasurement, lower: PhaseMeasurement, width: float) -> None:
        """dL/dθ = −(⟨O⟩_upper − ⟨O⟩_lower)/width for O = Z_iZ_j, Z_i, X_i (∂H/∂θ = −O)."""
        zz_u, zz_l = upper.zz, lower.zz
        z_u, z_l = upper.z, lower.z
        self.J.append(-(zz_u - zz_l) / width)
        self.h.append(-(z_u - z_l) / width)
        self.var_J.append(((1 - zz_u**2) / upper.num_reads + (1 - zz_l**2) / lower.num_reads) / width**2)
        self.var_h.append(((1 - z_u**2) / upper.num_reads + (1 - z_l**2) / lower.num_reads) / width**2)
        if upper.x_expectation is not None and lower.x_expectation is not None:
            x_u, x_l = upper.x_expectation, lower.x_expectation
            self.gamma.append(-(x_u - x_l) / width)
            self.var_gamma.append(((1 - x_u**2) / upper.num_reads + (1 - x_l**2) / lower.num_reads) / width**2)
        else:
            self.gamma.append(None)
            self.var_gamma.append(None)

    def result(self, *, estimator: str, nudge: float | None, sampler: str, notes: list[str]) -> EPGradient:
        count = len(self.J)
        J = np.mean(self.J, axis=0)
        J = (J + J.T) / 2
        np.fill_diagonal(J, 0.0)
        se_J = np.sqrt(np.maximum(np.sum(self.var_J, axis=0), 0.0)) / count
        np.fill_diagonal(se_J, 0.0)
        has_gamma = all(g is not None for g in self.gamma)
        return EPGradient(
            J=J,
            h=np.mean(self.h, axis=0),
            gamma=np.mean(self.gamma, axis=0) if has_gamma else None,
            stderr_J=se_J,
            stderr_h=np.sqrt(np.maximum(np.sum(self.var_h, axis=0), 0.0)) / count,
            stderr_gamma=np.sqrt(np.maximum(np.sum(self.var_gamma, axis=0), 0.0)) / count if has_gamma else None,
            loss=float(np.mean(self.losses)),
            estimator=estimator,
            nudge=nudge,
            sampler=sampler,
            num_matvecs=self.num_matvecs,
            num_phases=self.num_phases,
            notes=notes,
        )


def phase_seeds(seed: int | None, count: int) -> list[int]:
    base = resolve_seed(seed)
    return child_seeds(base, count)


def _check_costs(costs: Sequence[PauliObservable], sampler: Sampler) -> None:
    if not isinstance(sampler, SpectralBackend) and not all(c.is_diagonal for c in costs):
        raise InvalidInputError(
            "the cost has X terms; only a sampler that implements SpectralBackend (e.g. the exact sampler) can "
            f"nudge with them and measure ⟨X⟩, not {sampler.name!r}"
        )


# -- the learning-rule interface ----------------------------------------------------------------------------------
def _rule_arguments(
    memory: Any, patterns: Any, sampler: Sampler | str | None, rng: np.random.Generator | None, seed: int | None
) -> tuple[TransverseIsingNetwork, SupervisedTask, Sampler, int | None]:
    if not isinstance(memory, TransverseIsingNetwork):
        raise InvalidInputError(f"EP trains a TransverseIsingNetwork, got {type(memory).__name__}")
    if not isinstance(patterns, SupervisedTask):
        raise InvalidInputError(f"EP learns a SupervisedTask (inputs → targets), got {type(patterns).__name__}")
    sampler = resolve_sampler(sampler, purpose="equilibrium propagation measures phases on a sampler")
    if seed is None and rng is not None:
        seed = int(rng.integers(2**31))
    return memory, patterns, sampler, seed


class _EPRule(LearningRule):
    """The :class:`qflow_core.learning.rules.LearningRule` interface on top of :meth:`gradient`."""

    requires_sampler = True

    @abc.abstractmethod
    def gradient(
        self, network: TransverseIsingNetwork, task: SupervisedTask, sampler: Sampler, *, seed: int | None = None
    ) -> EPGradient:
        """dL/dθ with standard errors, L = mean over the task's examples."""

    def update(
        self,
        memory: TransverseIsingNetwork,
        patterns: SupervisedTask,
        *,
        sampler: Sampler | str | None = None,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ):
        """The descent direction −∇L as an :class:`~qflow_core.learning.Update` (Γ in ``extra["gamma"]`` if measured).

        ``info["gradient"]`` holds the :class:`EPGradient` with its standard errors.
        """
        network, task, sampler, seed = _rule_arguments(memory, patterns, sampler, rng, seed)
        grad = self.gradient(network, task, sampler, seed=seed)
        extra = {} if grad.gamma is None else {"gamma": -grad.gamma}
        summary = {"gradient_stderr": float(np.linalg.norm(grad.stderr_vector())), "num_matvecs": grad.num_matvecs}
        return Update(-grad.J, -grad.h, extra, loss=grad.loss, info={"gradient": grad, "summary": summary})

    def describe(self) -> dict[str, Any]:
        """``{"rule": name, **settings}`` (JSON-ready)."""
        return {"rule": self.name, **{k: v for k, v in vars(self).items() if not k.startswith("_")}}


# -- quantum EP -------------------------------------------------------------------------------------------------
class QuantumEP(_EPRule):
    """Quantum equilibrium propagation (Scellier 2024; Massar–Mognetti 2024 for ``level > 0``).

    ``nudge`` is b; ``estimator`` "centered" runs H + bC and H − bC (bias O(b²)), "one-sided" H + bC against the
    free phase (bias O(b)). The free phase always runs: it gives the loss and warm-starts the nudged phases.
    ``level`` picks the eigenstate (0 = ground state; > 0 needs the exact backend, and b must stay small
    against the neighbouring gaps). ``warm_start`` (exact backend) starts each Lanczos run from the previous
    phase's state vector: the nudged phases from this step's free state, the free phase from the previous
    call's free state of the same example.

    >>> QuantumEP(nudge=0.05, estimator="one-sided")
    QuantumEP(nudge=0.05, estimator='one-sided', level=0, num_reads=1000)
    """

    name = "quantum-ep"

    def __init__(
        self,
        nudge: float = 0.01,
        estimator: Literal["centered", "one-sided"] = "centered",
        level: int = 0,
        *,
        num_reads: int = 1000,
        use_probabilities: bool = True,
        warm_start: bool = True,
    ) -> None:
        self.nudge = positive_number("nudge b (the strength of H + bC)", nudge)
        if estimator not in ("centered", "one-sided"):
            raise InvalidInputError(f"QuantumEP estimator must be 'centered' or 'one-sided', got {estimator!r}")
        self.estimator = estimator
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 0:
            raise InvalidInputError(f"level must be an integer ≥ 0 (0 = ground state), got {level!r}")
        self.level = int(level)
        self.num_reads = positive_int("num_reads", num_reads)
        self.use_probabilities = bool(use_probabilities)
        self.warm_start = bool(warm_start)
        self._free_states: dict[int, np.ndarray] = {}

    def __repr__(self) -> str:
        return (
            f"QuantumEP(nudge={self.nudge}, estimator={self.estimator!r}, level={self.level}, "
            f"num_reads={self.num_reads})"
        )

    def reset(self) -> None:
        """Forget the warm-start states."""
        self._free_states.clear()

    def gradient(
        self, network: TransverseIsingNetwork, task: SupervisedTask, sampler: Sampler, *, seed: int | None = None
    ) -> EPGradient:
        """Estimate dL/dθ, L = mean over examples of ⟨C_p⟩ in the ``level``-th eigenstate of H(x_p)."""
        phases = task.phases(network)
        _check_costs([c for _, c in phases], sampler)
        nudges = (self.nudge, -self.nudge) if self.estimator == "centered" else (self.nudge,)
        seeds = iter(phase_seeds(seed, len(phases) * (1 + len(nudges))))
        moments = _Moments()
        for index, (free_network, cost) in enumerate(phases):
            free = self._measure(sampler, free_network, next(seeds), self._free_states.get(index))
            if self.warm_start and free.state is not None:
                self._free_states[index] = free.state
            nudged = [self._measure(sampler, free_network.nudged(cost, nudges[0]), next(seeds), free.state)]
            if self.estimator == "centered":
                start = extrapolated_start(free.state, nudged[0].state)
                nudged.append(self._measure(sampler, free_network.nudged(cost, nudges[1]), next(seeds), start))
            upper, lower = (nudged[0], nudged[1]) if self.estimator == "centered" else (nudged[0], free)
            moments.add_difference(upper, lower, self.nudge * len(nudges))
            moments.losses.append(free.expectation(cost))
            moments.num_matvecs += free.num_matvecs + sum(p.num_matvecs for p in nudged)
            moments.num_phases += 1 + len(nudged)
        notes = [] if moments.gamma[0] is not None else [f"{sampler.name} does not measure ⟨X⟩: no Γ gradient"]
        return moments.result(estimator=self.estimator, nudge=self.nudge, sampler=sampler.name, notes=notes)

    def loss(
        self,
        memory: TransverseIsingNetwork,
        patterns: SupervisedTask,
        *,
        sampler: Sampler | None = None,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> float:
        """L = mean_p ⟨C_p⟩ measured in the free phases only (seed from ``seed`` or drawn from ``rng``)."""
        network, task, sampler, seed = _rule_arguments(memory, patterns, sampler, rng, seed)
        phases = task.phases(network)
        _check_costs([c for _, c in phases], sampler)
        seeds = phase_seeds(seed, len(phases))
        return float(
            np.mean(
                [
                    self._measure(sampler, net, s, self._free_states.get(k)).expectation(cost)
                    for k, ((net, cost), s) in enumerate(zip(phases, seeds, strict=True))
                ]
            )
        )

    def _measure(
        self, sampler: Sampler, network: TransverseIsingNetwork, seed: int, v0: np.ndarray | None
    ) -> PhaseMeasurement:
        return measure_phase(
            sampler,
            network,
            level=self.level,
            num_reads=self.num_reads,
            seed=seed,
            v0=v0 if self.warm_start else None,
            use_probabilities=self.use_probabilities,
        )


def extrapolated_start(free: np.ndarray | None, upper: np.ndarray | None) -> np.ndarray | None:
    """Warm start for the −b phase: 2ψ₀ − ψ_{+b} (sign-aligned, normalised), correct to O(b²) instead of O(b)."""
    if free is None or upper is None:
        return free
    overlap = np.vdot(free, upper)
    guess = 2 * free - upper * (np.conj(overlap) / abs(overlap) if overlap != 0 else 1.0)
    return guess / np.linalg.norm(guess)


# -- thermal EP -------------------------------------------------------------------------------------------------
class ThermalEP(_EPRule):
    """Thermal equilibrium propagation at temperature T (Massar–Mognetti 2024).

    ``estimator="covariance"``: dL/dθ = −(1/T) Cov(C, ∂E/∂θ) from free-phase ``Boltzmann(1/T, Γ)`` samples only,
    no clamping and no nudge (Eq. 36). ``estimator="nudged"``: centered difference of ⟨∂_θH⟩ in the thermal
    phases of H ± bC (Eq. 37/39), exact with or without a transverse field.

    ``quantum`` says what the covariance estimator does when Γ > 0, where the plain covariance of z-basis
    samples is biased (Eq. 38): ``"auto"`` computes the Kubo–Mori covariance on a SpectralBackend sampler and
    elsewhere warns and switches to the nudged estimator; ``"nudged"`` always switches; ``"plain"`` keeps the
    biased plain covariance (with a :class:`QuantumThermalBiasWarning`) — useful only to show the bias. With a
    cost that has X terms ``"plain"`` is accepted only when the cost commutes with every phase's H (e.g. C = H(θ₀)),
    where plain covariance = Kubo–Mori is exact; the check is numerical, and any other such cost is refused.

    >>> ThermalEP(temperature=1.3)
    ThermalEP(temperature=1.3, estimator='covariance', nudge=0.001, quantum='auto')
    """

    name = "thermal-ep"

    def __init__(
        self,
        temperature: float,
        estimator: Literal["covariance", "nudged"] = "covariance",
        *,
        nudge: float = 1e-3,
        quantum: Literal["auto", "nudged", "plain"] = "auto",
        num_reads: int = 1000,
        use_probabilities: bool = True,
    ) -> None:
        try:
            self.temperature = float(temperature)
        except (TypeError, ValueError):
            raise InvalidInputError(f"temperature must be a positive number, got {temperature!r}") from None
        if not np.isfinite(self.temperature) or self.temperature <= 0:
            raise InvalidInputError(f"temperature must be a finite number > 0, got {temperature!r}")
        if estimator not in ("covariance", "nudged"):
            raise InvalidInputError(f"ThermalEP estimator must be 'covariance' or 'nudged', got {estimator!r}")
        if quantum not in ("auto", "nudged", "plain"):
            raise InvalidInputError(f"quantum must be 'auto', 'nudged' or 'plain', got {quantum!r}")
        self.estimator = estimator
        self.nudge = positive_number("nudge b (the strength of H + bC)", nudge)
        self.quantum = quantum
        self.num_reads = positive_int("num_reads", num_reads)
        self.use_probabilities = bool(use_probabilities)

    def __repr__(self) -> str:
        return (
            f"ThermalEP(temperature={self.temperature}, estimator={self.estimator!r}, nudge={self.nudge}, "
            f"quantum={self.quantum!r})"
        )

    def resolved_estimator(self, network: TransverseIsingNetwork, sampler: Sampler) -> str:
        """What :meth:`gradient` computes on this network and sampler: covariance, kubo-mori, plain or nudged."""
        if self.estimator == "nudged":
            return "nudged"
        if not np.any(network.gamma):
            return "covariance"
        if self.quantum == "plain":
            return "plain-covariance"
        if self.quantum == "auto" and isinstance(sampler, SpectralBackend):
            return "kubo-mori"
        return "nudged"

    def gradient(
        self, network: TransverseIsingNetwork, task: SupervisedTask, sampler: Sampler, *, seed: int | None = None
    ) -> EPGradient:
        """Estimate dL/dθ, L = mean over examples of Tr(ρ_p C_p), ρ_p ∝ exp(−H(x_p)/T)."""
        phases = task.phases(network)
        costs = [c for _, c in phases]
        estimator = self.resolved_estimator(network, sampler)
        notes: list[str] = []
        commuting = estimator == "plain-covariance" and not all(c.is_diagonal for c in costs)
        if commuting:  # exact only when C commutes with H: checked on the spectrum, refused otherwise
            return _kubo_mori_gradient(phases, self.temperature, notes, sampler, plain=True)
        if estimator == "plain-covariance":
            warnings.warn(
                f"ThermalEP: the plain covariance of z-basis samples is biased at Γ = {network.gamma.tolist()} > 0; "
                "use quantum='auto' for the Kubo–Mori or nudged estimator",
                QuantumThermalBiasWarning,
                stacklevel=2,
            )
        elif estimator == "nudged" and self.estimator == "covariance":
            message = (
                f"ThermalEP: Γ > 0 makes the plain covariance biased and {sampler.name!r} cannot "
                "give the Kubo–Mori covariance; switched to the nudged estimator (Eq. 39)"
            )
            if self.quantum == "auto":
                warnings.warn(message, QuantumThermalBiasWarning, stacklevel=2)
            notes.append(message)
        if estimator == "kubo-mori":
            return _kubo_mori_gradient(phases, self.temperature, notes, sampler)
        if not all(c.is_diagonal for c in costs):
            raise InvalidInputError(
                "a thermal cost with X terms needs the Kubo–Mori estimator: ThermalEP(T, 'covariance', "
                "quantum='auto') on a SpectralBackend sampler (e.g. the exact sampler) with Γ > 0"
            )
        if estimator == "nudged":
            return self._nudged(phases, sampler, seed, notes)
        seeds = iter(phase_seeds(seed, len(phases)))
        moments = _Moments()
        for free_network, cost in phases:
            free = self._measure(sampler, free_network, next(seeds))
            _add_covariance(moments, free, cost, self.temperature)
            moments.num_phases += 1
        return moments.result(estimator=estimator, nudge=None, sampler=sampler.name, notes=notes)

    def _nudged(self, phases, sampler: Sampler, seed: int | None, notes: list[str]) -> EPGradient:
        seeds = iter(phase_seeds(seed, 3 * len(phases)))
        moments = _Moments()
        for free_network, cost in phases:
            free = self._measure(sampler, free_network, next(seeds))
            upper, lower = (
                self._measure(sampler, free_network.nudged(cost, s * self.nudge), next(seeds)) for s in (1, -1)
            )
            moments.add_difference(upper, lower, 2 * self.nudge)
            moments.losses.append(free.expectation(cost))
            moments.num_phases += 3
        if moments.gamma[0] is None:
            notes.append(f"{sampler.name} does not report thermal ⟨X⟩: no Γ gradient")
        return moments.result(estimator="nudged", nudge=self.nudge, sampler=sampler.name, notes=notes)

    def loss(
        self,
        memory: TransverseIsingNetwork,
        patterns: SupervisedTask,
        *,
        sampler: Sampler | None = None,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> float:
        """L = mean_p Tr(ρ_p C_p) measured in the free thermal phases (needs a diagonal cost off the exact backend)."""
        network, task, sampler, seed = _rule_arguments(memory, patterns, sampler, rng, seed)
        phases = task.phases(network)
        if isinstance(sampler, SpectralBackend) and not all(c.is_diagonal for _, c in phases):
            return _kubo_mori_gradient(phases, self.temperature, [], sampler).loss  # ⟨X⟩ needs the full Gibbs state
        _check_costs([c for _, c in phases], sampler)
        seeds = phase_seeds(seed, len(phases))
        return float(
            np.mean([self._measure(sampler, net, s).expectation(c) for (net, c), s in zip(phases, seeds, strict=True)])
        )

    def _measure(self, sampler: Sampler, network: TransverseIsingNetwork, seed: int) -> PhaseMeasurement:
        return measure_phase(
            sampler,
            network,
            beta=1.0 / self.temperature,
            num_reads=self.num_reads,
            seed=seed,
            use_probabilities=self.use_probabilities,
        )


def _add_covariance(moments: _Moments, phase: PhaseMeasurement, cost: PauliObservable, temperature: float) -> None:
    """(1/T)·Cov(C, O) for O = s_is_j, s_i with the variance of its N-sample estimate."""
    w, s = phase.weights, phase.states
    c = cost.diagonal(s)
    dc = c - w @ c
    ds = s - w @ s
    pairs = s[:, :, None] * s[:, None, :]
    dpairs = pairs - np.einsum("k,kij->ij", w, pairs)
    prod_h = dc[:, None] * ds
    prod_J = dc[:, None, None] * dpairs
    cov_h, cov_J = w @ prod_h, np.einsum("k,kij->ij", w, prod_J)
    var_h = w @ prod_h**2 - cov_h**2
    var_J = np.einsum("k,kij->ij", w, prod_J**2) - cov_J**2
    moments.J.append(cov_J / temperature)
    moments.h.append(cov_h / temperature)
    moments.var_J.append(np.maximum(var_J, 0) / (phase.num_reads * temperature**2))
    moments.var_h.append(np.maximum(var_h, 0) / (phase.num_reads * temperature**2))
    moments.gamma.append(None)
    moments.var_gamma.append(None)
    moments.losses.append(float(w @ c))


def _kubo_mori_gradient(
    phases: Sequence[tuple[TransverseIsingNetwork, PauliObservable]],
    temperature: float,
    notes: list[str],
    sampler: Sampler | None = None,
    *,
    plain: bool = False,
) -> EPGradient:
    """Exact quantum thermal gradient, Eq. (38): dL/dθ = −(1/T)[⟨∂_θH; C⟩_KM − ⟨∂_θH⟩⟨C⟩], by full ED.

    ``plain=True`` computes the plain covariance Re Tr(ρ ∂_θH C) − ⟨∂_θH⟩⟨C⟩ instead (pair weight (p_m + p_n)/2 in
    place of the logarithmic mean), which equals the Kubo–Mori one when C commutes with H; every phase is checked
    (‖[C, H]‖_F ≤ :data:`COMMUTATOR_TOL` relative) and an InvalidInputError names the first that fails.

    With V the eigenvectors, p the Gibbs weights and G_mn = conj(C_mn)·w(p_m, p_n) in the eigenbasis
    (w the logarithmic mean), ⟨A; C⟩_KM = Σ_st A_st Σ_m conj(V_sm) R_tm with R = V Gᵀ: one product covers every
    diagonal A (Z_i, Z_iZ_j) and a bit flip of the rows covers X_i. The spectrum comes from ``sampler`` if it
    implements :class:`~qflow_core.capabilities.SpectralBackend`, else from an installed sampler that does.
    """
    backend = find_capability(SpectralBackend, sampler)
    moments = _Moments()
    for network, cost in phases:
        n = network.n
        spectrum = backend.gibbs_state(network.J, network.h, network.gamma, 1.0 / temperature)
        energies, vectors, p = spectrum.energies, spectrum.vectors, spectrum.weights
        states = basis_states(n).astype(float)
        flips = [np.arange(2**n) ^ (1 << (n - 1 - i)) for i in range(n)]
        c_vectors = cost.diagonal(states)[:, None] * vectors + sum(
            cost.x[i] * vectors[flips[i]] for i in range(n) if cost.x[i]
        )
        c_eig = vectors.conj().T @ c_vectors
        if plain:
            _check_commutes(c_eig, energies)
        pair = 0.5 * (p[:, None] + p[None, :]) if plain else _log_mean(p, energies / temperature)
        R = vectors @ (c_eig.conj() * pair).T
        per_state = np.real(np.sum(vectors.conj() * R, axis=1))
        population = np.sum(np.abs(vectors) ** 2 * p, axis=1)
        mean_c = float(np.real(np.trace(c_eig * p)))
        km_zz = states.T @ (per_state[:, None] * states)
        mean_zz = states.T @ (population[:, None] * states)
        km_z, mean_z = per_state @ states, population @ states
        km_x = np.array([np.real(np.sum(vectors.conj() * R[flips[i]])) for i in range(n)])
        mean_x = np.array([np.real(np.sum(vectors.conj() * vectors[flips[i]] * p)) for i in range(n)])
        # ∂H/∂θ = −O for O = Z_iZ_j, Z_i, X_i, so dL/dθ = +(1/T)[KM(O, C) − ⟨O⟩⟨C⟩].
        moments.J.append((km_zz - mean_zz * mean_c) / temperature)
        moments.h.append((km_z - mean_z * mean_c) / temperature)
        moments.gamma.append((km_x - mean_x * mean_c) / temperature)
        moments.var_J.append(np.zeros((n, n)))
        moments.var_h.append(np.zeros(n))
        moments.var_gamma.append(np.zeros(n))
        moments.losses.append(mean_c)
        moments.num_phases += 1
    if plain:
        notes.append(f"plain covariance, exact because the cost commutes with H (spectrum from {backend.name!r})")
        return moments.result(estimator="plain-covariance", nudge=None, sampler=backend.name, notes=notes)
    notes.append(f"Kubo–Mori covariance from the full spectrum given by {backend.name!r} (no shot noise)")
    return moments.result(estimator="kubo-mori", nudge=None, sampler=backend.name, notes=notes)


#: Relative tolerance of the commutator check ‖[C, H]‖_F ≤ tol · ‖C‖_F · max|E| behind the plain covariance.
COMMUTATOR_TOL = 1e-9


def _check_commutes(c_eig: np.ndarray, energies: np.ndarray) -> None:
    """[C, H] in H's eigenbasis is C_mn (E_n − E_m); refuse the plain covariance unless its norm is negligible."""
    norm = float(np.linalg.norm(c_eig * (energies[None, :] - energies[:, None])))
    scale = max(float(np.linalg.norm(c_eig)) * float(np.max(np.abs(energies))), 1e-300)
    if norm > COMMUTATOR_TOL * scale:
        raise InvalidInputError(
            f"quantum='plain' with a cost that has X terms is exact only when the cost commutes with H, but "
            f"‖[C, H]‖_F = {norm:.3g} (relative {norm / scale:.2g} > {COMMUTATOR_TOL:g}); the plain covariance "
            "would be biased — use quantum='auto' (Kubo–Mori on the exact sampler) or the nudged estimator"
        )


def _log_mean(p: np.ndarray, scaled_energies: np.ndarray) -> np.ndarray:
    """w_mn = (p_m − p_n)/(log p_m − log p_n), → p_m when p_m = p_n (log p = −E/T − log Z)."""
    log_gap = np.abs(scaled_energies[:, None] - scaled_energies[None, :])
    low = np.minimum(p[:, None], p[None, :])
    high = np.maximum(p[:, None], p[None, :])
    small = log_gap < 1e-8
    safe_gap = np.where(small, 1.0, log_gap)
    return np.where(small, low * (1 + 0.5 * log_gap), (high - low) / safe_gap)
