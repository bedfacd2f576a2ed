"""Quantum equilibrium propagation on a network of coupled harmonic oscillators (Scellier's second example).

This is the continuous-variable sibling of the spin path: it does **not** compile to a BQM and does not run
on samplers. It lives beside the BQM path with its own exact solver, because the ground state of a quadratic
Hamiltonian is a Gaussian known in closed form (ħ = 1):

    H = Σ_i p_i²/(2 m_i) + ½ xᵀA(K)x − fᵀx,
    A(K) = diag(K_ii + Σ_{j≠i} K_ij) − offdiag(K_ij)   (spring K_ii from mass i to the wall, K_ij between i and j)

    mean μ = A⁻¹f,   position covariance Σ = ½ M^{−1/2} Ω⁻¹ M^{−1/2},   Ω = (M^{−1/2} A M^{−1/2})^{1/2},
    ground energy E₀ = ½ tr Ω − ½ fᵀA⁻¹f.

The cost C = ½ Σ_o (x_o − y_o)² is quadratic too, so the nudged Hamiltonian H + bC is another oscillator
network (A + b·P_out, f + b·y) and EP is exact: dL/dK = ∂_b ⟨∂H/∂K⟩_b with ∂H/∂K_ii = ½x_i² and
∂H/∂K_ij = ½(x_i − x_j)². Phases can be evaluated from the exact Gaussian moments or from ``num_samples``
simulated position measurements (Born rule: x ~ N(μ, Σ)), which adds shot noise.

>>> net = HarmonicNetwork([[1.0, 0.5], [0.5, 2.0]], masses=[1.0, 2.0], forces=[1.0, 0.0])
>>> state = net.ground_state()
>>> bool(np.allclose(state.mean, np.linalg.solve(net.stiffness(), [1.0, 0.0])))
True
>>> g = net.ep_gradient(outputs=[1], targets=[0.5], nudge=1e-3)
>>> bool(np.allclose(g.K, net.loss_gradient([1], [0.5]), atol=1e-5))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["GaussianState", "HarmonicGradient", "HarmonicNetwork"]


@dataclass(frozen=True)
class GaussianState:
    """The Gaussian ground state: position mean and covariance, ground energy."""

    mean: np.ndarray
    covariance: np.ndarray
    energy: float

    def spring_expectations(self) -> np.ndarray:
        """⟨∂H/∂K⟩: ½⟨x_i²⟩ on the diagonal, ½⟨(x_i − x_j)²⟩ off it."""
        second = self.covariance + np.outer(self.mean, self.mean)
        d = np.diag(second)
        out = 0.5 * (d[:, None] + d[None, :] - 2 * second)
        np.fill_diagonal(out, 0.5 * d)
        return out


@dataclass(frozen=True)
class HarmonicGradient:
    """dL/dK (symmetric; entry (i, j) is the derivative by the one spring K_ij = K_ji) and its shot-noise SE."""

    K: np.ndarray
    stderr: np.ndarray
    loss: float
    estimator: str
    nudge: float


class HarmonicNetwork:
    """Masses ``masses`` joined by springs ``K`` (K_ii to the wall, K_ij between i and j, all ≥ 0), forces ``forces``.

    The stiffness matrix A(K) must be positive definite (anchor at least one mass in every connected group),
    otherwise there is no ground state.
    """

    def __init__(self, K: Any, masses: Any, forces: Any = None) -> None:
        K = np.array(K, dtype=float)
        if K.ndim != 2 or K.shape[0] != K.shape[1] or K.shape[0] == 0:
            raise InvalidInputError(f"K must be a non-empty square matrix of spring constants, got shape {K.shape}")
        if not np.all(np.isfinite(K)) or not np.allclose(K, K.T) or np.any(K < 0):
            raise InvalidInputError("spring constants K must be finite, symmetric and ≥ 0")
        n = K.shape[0]
        masses = np.array(masses, dtype=float)
        if masses.shape != (n,) or not np.all(np.isfinite(masses)) or np.any(masses <= 0):
            raise InvalidInputError(f"masses must be {n} finite numbers > 0, got {masses.tolist()}")
        forces = np.zeros(n) if forces is None else np.array(forces, dtype=float)
        if forces.shape != (n,) or not np.all(np.isfinite(forces)):
            raise InvalidInputError(f"forces must be {n} finite numbers, got {forces!r}")
        self.K, self.masses, self.forces = (K + K.T) / 2, masses, forces
        if np.linalg.eigvalsh(self.stiffness())[0] <= 0:
            raise InvalidInputError(
                "the stiffness matrix is not positive definite: anchor at least one mass of every connected group "
                "to the wall (K_ii > 0), or there is no ground state"
            )

    @property
    def n(self) -> int:
        return self.K.shape[0]

    def stiffness(self, extra: np.ndarray | None = None) -> np.ndarray:
        """A(K) (plus ``extra``, e.g. the b·P_out of a nudge)."""
        off = self.K - np.diag(np.diag(self.K))
        A = np.diag(np.diag(self.K) + off.sum(axis=1)) - off
        return A if extra is None else A + extra

    def ground_state(self, outputs: Sequence[int] = (), targets: Sequence[float] = (), b: float = 0.0) -> GaussianState:
        """Exact ground state of H + b·½Σ_o(x_o − y_o)² (b = 0: the free network)."""
        projector, target_force, constant = self._cost_terms(outputs, targets)
        A = self.stiffness(b * projector)
        f = self.forces + b * target_force
        scale = 1.0 / np.sqrt(self.masses)
        w2, U = np.linalg.eigh(scale[:, None] * A * scale[None, :])
        if w2[0] <= 0:
            raise InvalidInputError(f"the nudge b = {b} makes the stiffness indefinite; use a smaller |b|")
        omega = np.sqrt(w2)
        covariance = 0.5 * scale[:, None] * ((U / omega) @ U.T) * scale[None, :]
        mean = np.linalg.solve(A, f)
        energy = 0.5 * float(omega.sum()) - 0.5 * float(f @ mean) + b * constant
        return GaussianState(mean, covariance, energy)

    def _cost_terms(self, outputs: Sequence[int], targets: Sequence[float]) -> tuple[np.ndarray, np.ndarray, float]:
        outputs = list(outputs)
        y = np.asarray(targets, dtype=float)
        if y.shape != (len(outputs),) or any(not 0 <= o < self.n for o in outputs) or len(set(outputs)) < len(outputs):
            raise InvalidInputError(f"outputs must be distinct indices < {self.n} with one target each")
        projector = np.zeros((self.n, self.n))
        projector[outputs, outputs] = 1.0
        target_force = np.zeros(self.n)
        target_force[outputs] = y
        return projector, target_force, 0.5 * float(y @ y)

    def loss(self, outputs: Sequence[int], targets: Sequence[float]) -> float:
        """L = ⟨½Σ_o(x_o − y_o)²⟩ = ½Σ_o[(μ_o − y_o)² + Σ_oo] in the free ground state."""
        state = self.ground_state()
        o, y = list(outputs), np.asarray(targets, dtype=float)
        return 0.5 * float(np.sum((state.mean[o] - y) ** 2 + np.diag(state.covariance)[o]))

    def with_springs(self, K: Any) -> HarmonicNetwork:
        return HarmonicNetwork(K, self.masses, self.forces)

    def loss_gradient(self, outputs: Sequence[int], targets: Sequence[float], *, step: float = 1e-6) -> np.ndarray:
        """Central finite differences of :meth:`loss` by each spring (K_ij and K_ji moved together)."""
        grad = np.zeros_like(self.K)
        for i, j in zip(*np.triu_indices(self.n), strict=True):
            bump = np.zeros_like(self.K)
            bump[i, j] = bump[j, i] = step
            up = self.with_springs(self.K + bump).loss(outputs, targets)
            down = self.with_springs(self.K - bump).loss(outputs, targets)
            grad[i, j] = grad[j, i] = (up - down) / (2 * step)
        return grad

    def ep_gradient(
        self,
        outputs: Sequence[int],
        targets: Sequence[float],
        nudge: float = 1e-3,
        estimator: Literal["centered", "one-sided"] = "centered",
        *,
        num_samples: int | None = None,
        seed: int | None = None,
    ) -> HarmonicGradient:
        """dL/dK by quantum EP: ∂_b⟨∂H/∂K⟩_b from the nudged ground states (exact moments or sampled positions)."""
        if not np.isfinite(nudge) or nudge <= 0:
            raise InvalidInputError(f"nudge must be a finite number > 0, got {nudge!r}")
        if estimator not in ("centered", "one-sided"):
            raise InvalidInputError(f"estimator must be 'centered' or 'one-sided', got {estimator!r}")
        nudges = (nudge, -nudge) if estimator == "centered" else (nudge, 0.0)
        rng = np.random.default_rng(seed)
        measured = [self._spring_statistics(self.ground_state(outputs, targets, b), num_samples, rng) for b in nudges]
        width = nudges[0] - nudges[1]
        (upper, var_upper), (lower, var_lower) = measured
        stderr = np.sqrt(var_upper + var_lower) / width
        return HarmonicGradient(
            K=(upper - lower) / width, stderr=stderr, loss=self.loss(outputs, targets), estimator=estimator, nudge=nudge
        )

    def _spring_statistics(
        self, state: GaussianState, num_samples: int | None, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """⟨∂H/∂K⟩ and the variance of its estimate (0 for exact moments)."""
        if num_samples is None:
            return state.spring_expectations(), np.zeros_like(self.K)
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 2:
            raise InvalidInputError(f"num_samples must be an integer ≥ 2 or None, got {num_samples!r}")
        x = rng.multivariate_normal(state.mean, state.covariance, size=num_samples)
        values = 0.5 * (x[:, :, None] - x[:, None, :]) ** 2
        idx = np.arange(self.n)
        values[:, idx, idx] = 0.5 * x**2
        return values.mean(axis=0), values.var(axis=0, ddof=1) / num_samples
