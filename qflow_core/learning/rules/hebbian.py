"""The Hebbian family in closed form: the outer-product rule, the softmax (leakage free energy) rule and MPF.

>>> xi = np.array([[1, -1, 1, 1], [1, 1, -1, 1]])
>>> memory = Hebbian.store(xi)
>>> step = SoftmaxHebbian(beta=2.0).update(memory, xi)
>>> bool(SoftmaxHebbian(beta=2.0).loss(step.apply(memory, lr=0.1), xi) < SoftmaxHebbian(beta=2.0).loss(memory, xi))
True
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from qflow_core.learning.rules.base import GapRule, LearningRule, Update, _check_memory, _check_patterns
from qflow_core.models.memory import IsingMemory
from qflow_core.validation import check_memory, positive_number

__all__ = ["Hebbian", "MinimumProbabilityFlow", "SoftmaxHebbian"]


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
        n = xi.shape[1]
        check_memory("the Hebb matrix", n=n, required_bytes=2.0 * n * n * 8, fix="store fewer spins")
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
    ``survival=True``: L = mean_μ softplus(F_β) = −mean log P_surv, the same update with each pattern
    weighted by 1 − P_surv^μ, so stable patterns are updated less. β → 0 gives Hebb, β → ∞ the perceptron on the
    weakest bit. F → −∞ when (J, h) is scaled up with all gaps positive: train with a norm constraint.

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
