"""Quantum equilibrium propagation: ground-state (or excited-state) phases of H and H ± bC.

>>> QuantumEP(nudge=0.1).estimator
'centered'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.learning.ep.gradient import EPGradient, _check_costs, _EPRule, _Moments, _rule_arguments, phase_seeds
from qflow_core.learning.ep.phases import PhaseMeasurement, measure_phase
from qflow_core.models.network import SupervisedTask, TransverseIsingNetwork
from qflow_core.sampler import Sampler
from qflow_core.validation import positive_int, positive_number

__all__ = ["QuantumEP", "extrapolated_start"]


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
        backend_options: Mapping[str, Any] | None = None,
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
        self.backend_options = dict(backend_options or {})
        self._free_states: dict[int, np.ndarray] = {}

    def __repr__(self) -> str:
        return (
            f"QuantumEP(nudge={self.nudge}, estimator={self.estimator!r}, level={self.level}, "
            f"num_reads={self.num_reads})"
        )

    def reset(self) -> None:
        """Forget the warm-start states."""
        self._free_states.clear()

    def warm_start_states(self) -> dict[str, list[float]]:
        """The free-phase states kept for warm starts, JSON-ready (example index → amplitudes), for checkpoints.

        >>> rule = QuantumEP()
        >>> rule.restore_warm_start_states({"0": [1.0, 0.0]})
        >>> rule.warm_start_states()
        {'0': [1.0, 0.0]}
        """
        return {str(k): np.asarray(v).tolist() for k, v in self._free_states.items()}

    def restore_warm_start_states(self, states: dict[str, Any]) -> None:
        """Take back what :meth:`warm_start_states` returned (a resumed run then warm-starts as before)."""
        self._free_states = {int(k): np.asarray(v, dtype=float) for k, v in states.items()}

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
            backend_options=self.backend_options,
        )


def extrapolated_start(free: np.ndarray | None, upper: np.ndarray | None) -> np.ndarray | None:
    """Warm start for the −b phase: 2ψ₀ − ψ_{+b} (sign-aligned, normalised), correct to O(b²) instead of O(b)."""
    if free is None or upper is None:
        return free
    overlap = np.vdot(free, upper)
    guess = 2 * free - upper * (np.conj(overlap) / abs(overlap) if overlap != 0 else 1.0)
    return guess / np.linalg.norm(guess)
