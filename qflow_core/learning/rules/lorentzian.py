"""The real-time (coherent) leakage rule with its Lorentzian weights.

>>> LorentzianHebbian(gamma=0.5)
LorentzianHebbian(gamma=0.5, sign='reflect')
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules.base import GapRule
from qflow_core.validation import positive_number

__all__ = ["LorentzianHebbian"]


class LorentzianHebbian(GapRule):
    """Real-time coherent leakage L = mean_μ Σ_k ℓ(Δ_k), ℓ = 2Γ²/(Δ² + 4Γ²) for Δ ≥ 0.

    The update is 2(q_i + q_j) ξ_i ξ_j, 2 q_i ξ_i with the power-law weight q_k = 4Γ²Δ_k/(Δ_k² + 4Γ²)² ~ Δ^{−3}.

    **Sign pitfall**: the physical leakage is even in Δ, so for an unstable bit (Δ_k < 0)
    q_k < 0 and descent makes the bit *more* unstable. ``sign="reflect"`` (default, our documented choice)
    uses the monotone continuation ℓ(Δ) = 1 − 2Γ²/(Δ² + 4Γ²) for Δ < 0: it equals the physical loss whenever
    all gaps are positive (as the derivation requires), is continuous and continuously
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
