"""The joint master equation of an ensemble of learners on (q-grid × number of active units N).

A learner sits on a node of an n × n grid over [−L, L]² (spacing h) and in a sector N. It hops to a neighbouring
node at rate (D/h²) e^{−ΔF_N/(2T_q)} (ΔF_N the change of its sector free energy), which is noisy gradient
descent dq = −γ∇F_N dt + √(2D) dW with learner temperature T_q = D/γ in the continuum limit, and it gains or
loses a neuron at the exchange rates of :func:`~qflow_core.experiments.emergent.sectors.exchange_rates`.

States are numbered k = N·n² + ix·n + iy. The generator is stored similarity-transformed by a reference state
π_ref (Q̃ = diag(π_ref)⁻¹ Q diag(π_ref)), with log π_ref = −F_0/T_q − (F_N − F_0 − μN)/T, so that the
stationary solve works with a ratio φ = π/π_ref of order one even where π itself is e^{−40}: probabilities
keep full relative precision in the tails, which the loop velocities divide by.

>>> from qflow_core.experiments.emergent.model import EmergentModel
>>> model = EmergentModel.random(2, seed=0)
>>> gen = JointGenerator.exact_sectors(model, Grid(5, 2.0), LearnerDynamics(mu=1.0, tq_ratio=1.0, k_x=1.0))
>>> gen.matrix.shape, gen.stationary().log_pi.shape
((75, 75), (3, 5, 5))
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.special import logsumexp

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.emergent.model import EmergentModel
from qflow_core.experiments.emergent.sectors import (
    EXCHANGE_RULES,
    SectorThermodynamics,
    exchange_rates,
    sector_free_energies,
)
from qflow_core.experiments.emergent.spectrum import FILL_ORDERING
from qflow_core.validation import positive_int, positive_number

__all__ = ["Grid", "JointGenerator", "LearnerDynamics", "StationaryState", "hop_rates", "reference_log_state"]


@dataclass(frozen=True)
class Grid:
    """``n`` points per axis on [−half_width, half_width]²; nodes in ``"ij"`` order (index ix·n + iy)."""

    n: int
    half_width: float = 4.0

    def __post_init__(self) -> None:
        if positive_int("grid points per axis", self.n) < 3:
            raise InvalidInputError(f"the grid needs at least 3 points per axis, got {self.n}")
        positive_number("grid half-width L", self.half_width)

    @property
    def axis(self) -> np.ndarray:
        return np.linspace(-self.half_width, self.half_width, self.n)

    @property
    def h(self) -> float:
        return 2.0 * self.half_width / (self.n - 1)

    @property
    def points(self) -> np.ndarray:
        """All nodes as a (n², 2) array of q values."""
        qx, qy = np.meshgrid(self.axis, self.axis, indexing="ij")
        return np.column_stack([qx.ravel(), qy.ravel()])

    @property
    def centre(self) -> tuple[int, int]:
        """Index of the node nearest q = 0."""
        return self.n // 2, self.n // 2


@dataclass(frozen=True)
class LearnerDynamics:
    """Chemical potential μ, learner-to-hidden temperature ratio T_q/T, exchange rate k_x, diffusion D.

    The learning rate is γ = D/T_q. ``exchange`` is the rule of the neuron exchange ("symmetric" or
    "metropolis", see :func:`~qflow_core.experiments.emergent.sectors.exchange_rates`).
    """

    mu: float
    tq_ratio: float = 1.0
    k_x: float = 1.0
    D: float = 1.0
    exchange: str = "symmetric"

    def __post_init__(self) -> None:
        if not np.isfinite(self.mu):
            raise InvalidInputError(f"mu must be finite, got {self.mu!r}")
        object.__setattr__(self, "mu", float(self.mu))
        object.__setattr__(self, "tq_ratio", positive_number("T_q/T", self.tq_ratio))
        object.__setattr__(self, "k_x", positive_number("exchange rate k_x", self.k_x))
        object.__setattr__(self, "D", positive_number("diffusion D", self.D))
        if self.exchange not in EXCHANGE_RULES:
            raise InvalidInputError(f"exchange must be one of {', '.join(EXCHANGE_RULES)}, got {self.exchange!r}")

    def T_q(self, model: EmergentModel) -> float:
        return self.tq_ratio * model.T

    def gamma(self, model: EmergentModel) -> float:
        return self.D / self.T_q(model)

    def to_dict(self) -> dict[str, Any]:
        return {"mu": self.mu, "tq_ratio": self.tq_ratio, "k_x": self.k_x, "D": self.D, "exchange": self.exchange}


@dataclass(frozen=True)
class StationaryState:
    """``log_pi`` (K, n, n): log of the stationary probability of each (internal state, node)."""

    log_pi: np.ndarray

    @property
    def log_p(self) -> np.ndarray:
        """log of the marginal probability of each node, (n, n)."""
        return logsumexp(self.log_pi, axis=0)

    @property
    def p(self) -> np.ndarray:
        return np.exp(self.log_p)


def hop_rates(dF: np.ndarray, D: float, h: float, T_q: float) -> tuple[np.ndarray, np.ndarray]:
    """Hop rates (forward, backward) along edges whose free-energy change is ``dF``: (D/h²) e^{∓ΔF/(2T_q)}."""
    base = D / h**2
    return base * np.exp(-dF / (2 * T_q)), base * np.exp(dF / (2 * T_q))


@dataclass
class JointGenerator:
    """Rates of every transition of learners on (internal state k × grid node) and the transformed generator.

    Internal states are numbered k = 0 … K − 1 (the sectors N for the exact oracle); ``links`` (E, 2) lists the
    pairs (k, k') a learner can switch between at a node, with rates ``link_rates`` (k → k', k' → k), each
    (E, n, n). ``log_ref`` (K, n, n) is the reference state of the similarity transform (see module doc).
    """

    grid: Grid
    hop_x: tuple[np.ndarray, np.ndarray]  # (+x, −x) rates on x-edges, each (K, n − 1, n)
    hop_y: tuple[np.ndarray, np.ndarray]  # (+y, −y) rates on y-edges, each (K, n, n − 1)
    links: np.ndarray
    link_rates: tuple[np.ndarray, np.ndarray]
    log_ref: np.ndarray

    @classmethod
    def exact_sectors(
        cls, model: EmergentModel, grid: Grid, dynamics: LearnerDynamics, *, thermo: SectorThermodynamics | None = None
    ) -> JointGenerator:
        """The exact sector oracle: internal states N = 0 … M with F_N(q) from exact enumeration."""
        points = grid.points
        states = model.hidden_states()
        thermo = thermo or sector_free_energies(model, points, states=states)
        n, sectors = grid.n, model.m + 1
        F = thermo.F.T.reshape(sectors, n, n)
        tq = dynamics.T_q(model)
        hop_x = hop_rates(np.diff(F, axis=1), dynamics.D, grid.h, tq)
        hop_y = hop_rates(np.diff(F, axis=2), dynamics.D, grid.h, tq)
        up, down = exchange_rates(
            model, points, thermo.F, mu=dynamics.mu, k_x=dynamics.k_x, rule=dynamics.exchange, states=states
        )
        links = np.column_stack([np.arange(sectors - 1), np.arange(1, sectors)])
        rates = (up.T.reshape(sectors - 1, n, n), down.T.reshape(sectors - 1, n, n))
        shifted = F - F[0] - dynamics.mu * np.arange(sectors)[:, None, None]
        return cls(grid, hop_x, hop_y, links, rates, reference_log_state(F[0], shifted, tq, model.T))

    @property
    def size(self) -> int:
        return self.log_ref.size

    def _transitions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every transition as (source, target, rate) over flat state indices."""
        index = np.arange(self.size).reshape(self.log_ref.shape)
        pairs = [
            (index[:, :-1, :], index[:, 1:, :], self.hop_x),
            (index[:, :, :-1], index[:, :, 1:], self.hop_y),
            (index[self.links[:, 0]], index[self.links[:, 1]], self.link_rates),
        ]
        src, dst, rate = [], [], []
        for a, b, (forward, backward) in pairs:
            src += [a.ravel(), b.ravel()]
            dst += [b.ravel(), a.ravel()]
            rate += [forward.ravel(), backward.ravel()]
        return np.concatenate(src), np.concatenate(dst), np.concatenate(rate)

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """Q̃ with Q̃[b, a] = W(a → b) π_ref(a)/π_ref(b) and Q̃[a, a] = −Σ_b W(a → b) (columns: from-state)."""
        src, dst, rate = self._transitions()
        ref = self.log_ref.ravel()
        off = rate * np.exp(ref[src] - ref[dst])
        out = np.bincount(src, weights=rate, minlength=self.size)
        rows = np.concatenate([dst, np.arange(self.size)])
        cols = np.concatenate([src, np.arange(self.size)])
        return sp.csr_matrix((np.concatenate([off, -out]), (rows, cols)), shape=(self.size, self.size))

    def stationary(self) -> StationaryState:
        """Solve Q̃ φ = 0 with φ = 1 on the most probable reference state; π ∝ π_ref φ."""
        pin = int(np.argmax(self.log_ref))
        keep = np.ones(self.size, dtype=bool)
        keep[pin] = False
        q = self.matrix.tocsc()
        reduced = q[keep][:, keep]
        rhs = -np.asarray(q[keep][:, [pin]].todense()).ravel()
        phi = np.ones(self.size)
        phi[keep] = spla.splu(reduced.tocsc(), permc_spec=FILL_ORDERING).solve(rhs)
        if np.any(phi <= 0):
            raise InvalidInputError(
                "the stationary solve lost positivity (rates spanning too many decades); use a smaller grid "
                "half-width or a larger confinement kappa"
            )
        log_pi = self.log_ref.ravel() + np.log(phi)
        return StationaryState((log_pi - logsumexp(log_pi)).reshape(self.log_ref.shape))

    def edge_currents(self, state: StationaryState) -> tuple[np.ndarray, np.ndarray]:
        """Net probability currents along +x (n − 1, n) and +y (n, n − 1), summed over sectors."""
        pi = np.exp(state.log_pi)
        jx = pi[:, :-1, :] * self.hop_x[0] - pi[:, 1:, :] * self.hop_x[1]
        jy = pi[:, :, :-1] * self.hop_y[0] - pi[:, :, 1:] * self.hop_y[1]
        return jx.sum(axis=0), jy.sum(axis=0)

    def link_currents(self, state: StationaryState) -> np.ndarray:
        """Net current k → k' of each link at each node, (E, n, n)."""
        pi = np.exp(state.log_pi)
        return pi[self.links[:, 0]] * self.link_rates[0] - pi[self.links[:, 1]] * self.link_rates[1]


def reference_log_state(base: np.ndarray, excess: np.ndarray, T_q: float, T: float) -> np.ndarray:
    """log π_ref = −F_base/T_q − (excess)/T, shifted to a maximum of 0.

    ``base`` (n, n) is the free energy of the reference internal state and ``excess`` (K, n, n) the grand
    free-energy excess F_k − F_base − μ N_k of each internal state: q relaxes at T_q, neurons at T.
    """
    log_ref = -base[None] / T_q - excess / T
    return log_ref - log_ref.max()
