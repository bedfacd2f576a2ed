"""Thermal equilibrium propagation: the free-phase covariance estimator and the nudged thermal estimator.

>>> ThermalEP(0.5, "nudged").estimator
'nudged'
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from qflow_core.capabilities import SpectralBackend
from qflow_core.errors import InvalidInputError
from qflow_core.learning.ep.gradient import EPGradient, _check_costs, _EPRule, _Moments, _rule_arguments, phase_seeds
from qflow_core.learning.ep.kubo_mori import kubo_mori_gradient
from qflow_core.learning.ep.phases import PhaseMeasurement, measure_phase
from qflow_core.models.network import PauliObservable, SupervisedTask, TransverseIsingNetwork
from qflow_core.sampler import Sampler
from qflow_core.validation import positive_int, positive_number

__all__ = ["QuantumThermalBiasWarning", "ThermalEP"]


class QuantumThermalBiasWarning(UserWarning):
    """The plain covariance of z-basis samples is a biased thermal gradient when Γ > 0."""


class ThermalEP(_EPRule):
    """Thermal equilibrium propagation at temperature T (Massar–Mognetti 2024).

    ``estimator="covariance"``: dL/dθ = −(1/T) Cov(C, ∂E/∂θ) from free-phase ``Boltzmann(1/T, Γ)`` samples only,
    no clamping and no nudge. ``estimator="nudged"``: centered difference of ⟨∂_θH⟩ in the thermal
    phases of H ± bC, exact with or without a transverse field.

    ``quantum`` says what the covariance estimator does when Γ > 0, where the plain covariance of z-basis
    samples is biased: ``"auto"`` computes the Kubo–Mori covariance on a SpectralBackend sampler and
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
        backend_options: Mapping[str, Any] | None = None,
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
        self.backend_options = dict(backend_options or {})

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
            return kubo_mori_gradient(phases, self.temperature, notes, sampler, plain=True)
        if estimator == "plain-covariance":
            warnings.warn(
                f"ThermalEP: the plain covariance of z-basis samples is biased at Γ = {network.gamma.tolist()} > 0 "
                "(the gradient needs the Kubo–Mori covariance); use quantum='auto' for the Kubo–Mori or nudged "
                "estimator",
                QuantumThermalBiasWarning,
                stacklevel=2,
            )
        elif estimator == "nudged" and self.estimator == "covariance":
            message = (
                f"ThermalEP: Γ > 0 makes the plain covariance biased and {sampler.name!r} cannot "
                "give the Kubo–Mori covariance; switched to the nudged estimator"
            )
            if self.quantum == "auto":
                warnings.warn(message, QuantumThermalBiasWarning, stacklevel=2)
            notes.append(message)
        if estimator == "kubo-mori":
            return kubo_mori_gradient(phases, self.temperature, notes, sampler)
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
            return kubo_mori_gradient(phases, self.temperature, [], sampler).loss  # ⟨X⟩ needs the full Gibbs state
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
            backend_options=self.backend_options,
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
