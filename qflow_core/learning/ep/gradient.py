"""The EP gradient (:class:`EPGradient`), how phases combine into it, and the rule interface both EP rules share.

>>> import numpy as np
>>> grad = EPGradient(np.zeros((2, 2)), np.ones(2), None, np.zeros((2, 2)), np.zeros(2), None, 0.5, "x", 0.1, "sa")
>>> grad.vector().tolist(), grad.mask().tolist()
([0.0, 1.0, 1.0, 0.0, 0.0], [True, True, True, False, False])
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qflow_core.capabilities import SpectralBackend
from qflow_core.errors import InvalidInputError
from qflow_core.learning.ep.phases import PhaseMeasurement
from qflow_core.learning.rules import LearningRule, Update
from qflow_core.models.network import PauliObservable, SupervisedTask, TransverseIsingNetwork
from qflow_core.registry import resolve_sampler
from qflow_core.sampler import Sampler
from qflow_core.seeding import child_seeds, resolve_seed

__all__ = ["EPGradient", "phase_seeds"]


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
    """One seed per measured phase, derived from ``seed`` (drawn when None) by the one seed scheme.

    >>> phase_seeds(7, 3) == phase_seeds(7, 3) and len(set(phase_seeds(7, 3))) == 3
    True
    """
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
