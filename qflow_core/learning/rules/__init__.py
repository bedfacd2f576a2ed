"""Learning rules: parameter updates for Ising memories from closed forms or from a sampler's measurements.

One module per family — :mod:`.base` (the contract), :mod:`.gaps` (closed forms), :mod:`.hebbian`,
:mod:`.lorentzian`, :mod:`.flow` (measured on a sampler), :mod:`.parsing` — re-exported here.

Convention: learning *minimizes* a loss L. An :class:`Update` is the **descent direction per unit
learning rate**, so training does θ ← θ + lr·Update = θ − lr·∇L. Each coupling J_ij (i < j) is **one
parameter** that appears twice in the symmetric matrix: ``Update.dJ[i, j] = Update.dJ[j, i] = −∂L/∂J_ij``
(not the half-size gradient that autodiff of −½ sᵀJs per matrix entry would give). ``dJ`` is symmetric with a
zero diagonal, ``dh[i] = −∂L/∂h_i``; ``extra`` carries updates of further parameters (e.g. transverse fields)
for rules that train them.

Rules (all losses are means over the P patterns ξ^μ, gaps Δ_k(ξ) = 2ξ_k u_k(ξ)):

* :class:`Hebbian` — the outer-product rule, δJ = (1/N) Σ_μ ξ^μ ξ^μᵀ, descent of the pattern
  coupling energy L = −(1/N) Σ_μ Σ_{i<j} J_ij ξ_i ξ_j;
* :class:`SoftmaxHebbian` — the leakage free energy F_β = log Σ_k e^{−βΔ_k}, or the survival loss
  softplus(F_β) with ``survival=True``;
* :class:`LorentzianHebbian` — real-time coherent leakage Σ_k 2Γ²/(Δ_k² + 4Γ²) with the sign pitfall
  handled (see the class);
* :class:`MinimumProbabilityFlow` — K = Σ_k e^{−Δ_k/2};
* :class:`MeasuredFlowHebbian` — the hardware-native rule: channel weights counted from a sampler's
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

from qflow_core.learning.rules.base import GapRule, LearningRule, Update, gap_update
from qflow_core.learning.rules.flow import (
    ChannelMeasurement,
    MeasuredFlowHebbian,
    classify_reads,
    measure_channels,
    survival_template,
)
from qflow_core.learning.rules.gaps import (
    channel_weights,
    leakage_free_energy,
    lorentzian_leakage,
    survival_probability,
)
from qflow_core.learning.rules.hebbian import Hebbian, MinimumProbabilityFlow, SoftmaxHebbian
from qflow_core.learning.rules.lorentzian import LorentzianHebbian
from qflow_core.learning.rules.parsing import parse_rule, rule_from_description

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
    "survival_template",
]
