"""Sector free energies F_N(q), their gradients and the neuron-exchange rates, by exact enumeration.

For every point q and every number N of active units,

    F_N(q) = −T ln Σ_{x : |x| = N} e^{−E(x; q)/T},      ∇F_N(q) = ⟨∂_q E⟩_N = κq − ⟨Σ_j x_j w_j⟩_N,

and the grand potential of the reservoir at chemical potential μ is Ω_μ(q) = −T ln Σ_N e^{(μN − F_N)/T}.
The 3^M hidden states are enumerated once; the points are processed in chunks so that the (points × states)
energy table never exceeds ``chunk_bytes``.

Exchange rates N → N + 1 at each q (the reverse rates follow from detailed balance at temperature T):

* ``"symmetric"``: k_x e^{−(F_{N+1} − F_N − μ)/(2T)};
* ``"metropolis"``: the rate produced by learners that, at rate k_x, pick one of the M slots at random and, if
  it is empty, try to switch it on with a random spin, accepting with min(1, 2 e^{−(ΔE − μ)/T}) — averaged
  over the hidden states of sector N. This is the sector-level rate of the particle experiment.

>>> from qflow_core.experiments.emergent.model import EmergentModel
>>> model = EmergentModel.random(2, seed=0)
>>> thermo = sector_free_energies(model, np.array([[0.0, 0.0]]))
>>> bool(np.isclose(thermo.F[0, 0], 0.0)), thermo.F.shape, thermo.grad.shape
(True, (1, 3), (1, 3, 2))
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import logsumexp

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.emergent.model import EmergentModel, HiddenStates

__all__ = ["EXCHANGE_RULES", "SectorThermodynamics", "exchange_rates", "grand_potential", "sector_free_energies"]

ExchangeRule = Literal["symmetric", "metropolis"]
EXCHANGE_RULES: tuple[str, ...] = ("symmetric", "metropolis")

#: Default memory bound of one chunk of the (points × hidden states) table.
CHUNK_BYTES = 32 * 2**20


@dataclass(frozen=True)
class SectorThermodynamics:
    """``F`` (P, M + 1): sector free energies; ``grad`` (P, M + 1, 2): their gradients ⟨∂_q E⟩_N."""

    F: np.ndarray
    grad: np.ndarray


def _chunks(n_points: int, n_states: int, chunk_bytes: int) -> Iterator[slice]:
    size = max(1, int(chunk_bytes) // (8 * 4 * n_states))  # a few (chunk × states) float arrays live at once
    for start in range(0, n_points, size):
        yield slice(start, min(n_points, start + size))


def _points(points: np.ndarray) -> np.ndarray:
    q = np.atleast_2d(np.asarray(points, dtype=float))
    if q.ndim != 2 or q.shape[1] != 2 or not np.all(np.isfinite(q)):
        raise InvalidInputError(f"points must be a finite (P, 2) array of q values, got shape {q.shape}")
    return q


def sector_free_energies(
    model: EmergentModel,
    points: np.ndarray,
    *,
    states: HiddenStates | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> SectorThermodynamics:
    """F_N(q) and ⟨∂_q E⟩_N at ``points`` (P, 2) for N = 0 … M."""
    q = _points(points)
    states = states or model.hidden_states()
    m, T = model.m, model.T
    F = np.empty((q.shape[0], m + 1))
    grad = np.empty((q.shape[0], m + 1, 2))
    for rows in _chunks(q.shape[0], states.x.shape[0], chunk_bytes):
        qc = q[rows]
        logw = (qc @ states.y.T - states.base) / T  # −(E − κ|q|²/2)/T
        confinement = 0.5 * model.kappa * np.sum(qc * qc, axis=1)
        for n in range(m + 1):
            block = logw[:, states.sector(n)]
            top = block.max(axis=1, keepdims=True)
            weights = np.exp(block - top)
            z = weights.sum(axis=1)
            F[rows, n] = confinement - T * (top[:, 0] + np.log(z))
            grad[rows, n] = model.kappa * qc - (weights @ states.y[states.sector(n)]) / z[:, None]
    return SectorThermodynamics(F=F, grad=grad)


def grand_potential(F: np.ndarray, mu: float, T: float) -> tuple[np.ndarray, np.ndarray]:
    """Ω_μ = −T ln Σ_N e^{(μN − F_N)/T} and ⟨N⟩_μ from sector free energies ``F`` (P, M + 1).

    >>> omega, mean_n = grand_potential(np.array([[0.0, 0.0]]), mu=0.0, T=1.0)
    >>> bool(np.isclose(omega[0], -np.log(2))), float(mean_n[0])
    (True, 0.5)
    """
    logw = (mu * np.arange(F.shape[1]) - F) / T
    log_xi = logsumexp(logw, axis=1)
    p = np.exp(logw - log_xi[:, None])
    return -T * log_xi, p @ np.arange(F.shape[1])


def exchange_rates(
    model: EmergentModel,
    points: np.ndarray,
    F: np.ndarray,
    *,
    mu: float,
    k_x: float,
    rule: ExchangeRule = "symmetric",
    states: HiddenStates | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> tuple[np.ndarray, np.ndarray]:
    """Rates (up, down), each (P, M): ``up[:, N]`` is N → N + 1 and ``down[:, N]`` is N + 1 → N."""
    if rule not in EXCHANGE_RULES:
        raise InvalidInputError(f"unknown exchange rule {rule!r}; choose one of {', '.join(EXCHANGE_RULES)}")
    T = model.T
    affinity = (F[:, 1:] - F[:, :-1] - mu) / T  # (F_{N+1} − F_N − μ)/T
    if rule == "symmetric":
        return k_x * np.exp(-0.5 * affinity), k_x * np.exp(0.5 * affinity)
    up = k_x * _metropolis_insertion(model, _points(points), mu, states or model.hidden_states(), chunk_bytes)
    return up, up * np.exp(affinity)


def _metropolis_insertion(
    model: EmergentModel, q: np.ndarray, mu: float, states: HiddenStates, chunk_bytes: int
) -> np.ndarray:
    """(1/M) ⟨Σ_{j empty} ½ Σ_σ min(1, 2 e^{−(ΔE_jσ − μ)/T})⟩_N for N = 0 … M − 1 (per unit attempt rate)."""
    m, T = model.m, model.T
    out = np.zeros((q.shape[0], m))
    coupling = states.x @ model.J  # (S, M): Σ_i J_ij x_i
    for rows in _chunks(q.shape[0], states.x.shape[0], chunk_bytes):
        qc = q[rows]
        logw = (qc @ states.y.T - states.base) / T
        acceptance = np.zeros_like(logw)
        fields = qc @ model.w.T + model.c  # (P, M)
        for j in range(m):
            local = fields[:, j : j + 1] + coupling[:, j]  # (P, S)
            empty = states.x[:, j] == 0
            for sigma in (-1.0, 1.0):
                delta = -sigma * local + model.eps_act
                acceptance += 0.5 * empty * np.exp(np.minimum(0.0, np.log(2.0) - (delta - mu) / T))
        for n in range(m):
            sl = states.sector(n)
            block = logw[:, sl]
            weights = np.exp(block - block.max(axis=1, keepdims=True))
            out[rows, n] = np.sum(weights * acceptance[:, sl], axis=1) / weights.sum(axis=1) / m
    return out
