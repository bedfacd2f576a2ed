"""Equilibrium propagation on any sampler: quantum EP (ground state or any eigenstate) and thermal EP.

Modules: :mod:`.phases` (one phase on a sampler), :mod:`.gradient` (the gradient and the shared rule interface),
:mod:`.quantum`, :mod:`.thermal`, :mod:`.kubo_mori` (the exact quantum thermal gradient); re-exported here.

Both rules return an :class:`EPGradient` — dL/dθ for θ = (J_ij for i<j, h_i, Γ_i) of a
:class:`~qflow_core.models.TransverseIsingNetwork` on a :class:`~qflow_core.models.SupervisedTask`, with
the shot-noise standard error of every component.

* :class:`QuantumEP`: the free phase and the nudged phases H ± bC are
  ``GroundState`` runs (or the ``level``-th eigenstate on the exact backend). dL/dJ_ij = −∂_b⟨Z_iZ_j⟩,
  dL/dh_i = −∂_b⟨Z_i⟩ from the z-basis samples (exact probabilities where the SampleSet has a ``probability``
  field), dL/dΓ_i = −∂_b⟨X_i⟩ where the backend measures X (the exact backend reports ⟨X_i⟩), else reported as
  unavailable. Centered differences have bias O(b²), one-sided O(b).
* :class:`ThermalEP`: ``estimator="covariance"`` uses free-phase ``Boltzmann`` samples only,
  dL/dθ = −(1/T) Cov(C, ∂E/∂θ); ``estimator="nudged"`` differentiates ⟨∂_θH⟩ in thermal nudged
  phases, exact also with a transverse field. With Γ > 0 the plain covariance of z-basis samples is
  biased: on a sampler that implements :class:`~qflow_core.capabilities.SpectralBackend` (e.g. exact)
  the rule computes the Kubo–Mori covariance instead, elsewhere it warns and switches to the nudged estimator.

Shot noise: for N reads per phase, SE(ĝ_c) = [Var_b(O) + Var_{−b}(O)]^{1/2} / (2b√N) with O the
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

from qflow_core.learning.ep.gradient import EPGradient, phase_seeds
from qflow_core.learning.ep.phases import PhaseMeasurement, measure_phase
from qflow_core.learning.ep.quantum import QuantumEP, extrapolated_start
from qflow_core.learning.ep.thermal import QuantumThermalBiasWarning, ThermalEP

__all__ = [
    "EPGradient",
    "PhaseMeasurement",
    "QuantumEP",
    "QuantumThermalBiasWarning",
    "ThermalEP",
    "extrapolated_start",
    "measure_phase",
    "phase_seeds",
]
