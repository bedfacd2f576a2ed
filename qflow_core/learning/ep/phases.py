"""One EP phase on a sampler: run the free or a nudged network and read off its z-basis distribution and ⟨X⟩.

>>> import numpy as np
>>> from qflow_core import get_sampler
>>> net = TransverseIsingNetwork(np.zeros((2, 2)), gamma=0.0, inputs=[0], outputs=[1])
>>> phase = measure_phase(get_sampler("sa"), net, num_reads=20, seed=0)
>>> phase.num_reads, phase.exact
(20, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np

from qflow_core.capabilities import SpectralBackend
from qflow_core.errors import InvalidInputError
from qflow_core.models.network import PauliObservable, TransverseIsingNetwork
from qflow_core.protocols import Boltzmann, GroundState, Protocol
from qflow_core.sampler import Sampler

__all__ = ["PhaseMeasurement", "measure_phase"]


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
    backend_options: Mapping[str, Any] | None = None,
) -> PhaseMeasurement:
    """Run one phase of ``network`` on ``sampler``: ``GroundState`` (``beta=None``) or ``Boltzmann(beta, Γ)``.

    Per-spin transverse fields, ``level > 0`` and the warm start ``v0`` need a sampler that implements
    :class:`~qflow_core.capabilities.SpectralBackend` (whose runs accept those options); on other
    samplers a uniform Γ ≥ 0 goes into the protocol and anything else is an error. A negative Γ_i (an X nudge
    can make one) is run as |Γ_i|: H(−Γ_i) = Z_i H(|Γ_i|) Z_i, so z-basis statistics are unchanged and ⟨X_i⟩
    and the state vector are mapped back. ``backend_options`` (the sampler's declared run options, e.g.
    ``num_sweeps``) go to the run beside those the phase sets itself, which they may not name.
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
    clash = sorted(set(options) & set(backend_options or {}))
    if clash:
        raise InvalidInputError(
            f"option {clash[0]!r} is set by the EP phase itself (per-spin fields, level, warm start); leave it out"
        )
    options.update(backend_options or {})
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
