"""The exact oracle at one set of learner dynamics: stationary ensemble, currents, circulations, slow modes.

:func:`solve_oracle` builds the joint generator on (sector N × grid node) from exactly enumerated sector free
energies, solves for its stationary state and reports what the criteria need: Γ(C) on square loops around the
grid centre, the mean angular momentum ⟨q × q̇⟩, ⟨N⟩, the distance of the q-marginal from the equilibrium
density e^{−Ω_μ/T_q}/Z, the slowest eigenvalues, and — with ``fields=True`` — the density and current maps and
the monodromy of the thermodynamic potentials around the largest loop.

>>> from qflow_core.experiments.emergent.model import EmergentModel
>>> from qflow_core.experiments.emergent.generator import Grid, LearnerDynamics
>>> point = solve_oracle(EmergentModel.random(2, seed=0), Grid(9, 2.0), LearnerDynamics(mu=1.0), half_sizes=(2, 4))
>>> bool(np.all(np.abs(point.circulation) < 1e-10)), point.max_density_error < 1e-12
(True, True)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qflow_core.experiments.emergent.generator import Grid, JointGenerator, LearnerDynamics
from qflow_core.experiments.emergent.loops import (
    angular_momentum,
    circulations,
    edge_velocities,
    gradient_monodromy,
)
from qflow_core.experiments.emergent.model import EmergentModel
from qflow_core.experiments.emergent.sectors import SectorThermodynamics, grand_potential, sector_free_energies
from qflow_core.experiments.emergent.spectrum import damping_ratios, slow_spectrum

__all__ = ["OracleFields", "OraclePoint", "equilibrium_density", "solve_oracle"]


@dataclass
class OracleFields:
    """Maps on the grid: stationary density ``p`` (n, n), ``equilibrium`` e^{−Ω_μ/T_q}/Z, net currents along
    x-edges ``jx`` (n − 1, n) and y-edges ``jy`` (n, n − 1), ∮∇f·dq around the largest loop, and the joint
    ``log_pi`` (M + 1, n, n) (not written to JSON)."""

    p: np.ndarray
    equilibrium: np.ndarray
    jx: np.ndarray
    jy: np.ndarray
    monodromy: dict[str, Any]
    log_pi: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "log_pi"}


@dataclass
class OraclePoint:
    """Oracle numbers at one (μ, T_q/T, k_x)."""

    dynamics: dict[str, Any]
    gamma: float
    half_sizes: list[int]
    radii: list[float]
    circulation: np.ndarray
    angular_momentum: float
    mean_active: float
    max_density_error: float
    spectrum: np.ndarray
    max_damping_ratio: float
    wall_s: float
    fields: OracleFields | None = field(default=None, repr=False)

    @property
    def quantum(self) -> float:
        """γμ: the circulation of one quantum, were F multivalued by μ."""
        return self.gamma * self.dynamics["mu"]

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["spectrum"] = np.column_stack([self.spectrum.real, self.spectrum.imag])
        out["fields"] = None if self.fields is None else self.fields.to_dict()
        return out


def equilibrium_density(thermo: SectorThermodynamics, mu: float, T: float, T_q: float, n: int) -> np.ndarray:
    """e^{−Ω_μ(q)/T_q}/Z on the grid nodes (n, n)."""
    omega, _ = grand_potential(thermo.F, mu, T)
    logp = -omega / T_q
    p = np.exp(logp - logp.max())
    return (p / p.sum()).reshape(n, n)


def _monodromy(thermo: SectorThermodynamics, grid: Grid, mu: float, T: float, half_size: int) -> dict[str, Any]:
    """∮∇f·dq (trapezoid rule on exact gradients) for F_N, Ω_μ, ⟨N⟩ and Ω_μ + μ⟨N⟩."""
    n, sectors = grid.n, thermo.F.shape[1]
    logw = (mu * np.arange(sectors) - thermo.F) / T
    p_n = np.exp(logw - logw.max(axis=1, keepdims=True))
    p_n /= p_n.sum(axis=1, keepdims=True)
    grad_omega = np.einsum("pn,pnk->pk", p_n, thermo.grad)
    mean_n = p_n @ np.arange(sectors)
    grad_n = -np.einsum("pn,pnk->pk", p_n * (np.arange(sectors) - mean_n[:, None]), thermo.grad) / T
    grads = {f"F_{k}": thermo.grad[:, k] for k in range(sectors)}
    grads.update({"Omega": grad_omega, "N_mean": grad_n, "Omega+mu*N_mean": grad_omega + mu * grad_n})
    values = {
        name: gradient_monodromy(g.reshape(n, n, 2), grid.axis, grid.centre, half_size) for name, g in grads.items()
    }
    return {"half_size": half_size, "values": values, "max_abs": max(abs(v) for v in values.values())}


def solve_oracle(
    model: EmergentModel,
    grid: Grid,
    dynamics: LearnerDynamics,
    *,
    half_sizes: Sequence[int],
    modes: int = 8,
    fields: bool = False,
    thermo: SectorThermodynamics | None = None,
) -> OraclePoint:
    """Stationary state and its measurements at ``dynamics`` (``modes = 0`` skips the spectrum)."""
    start = time.perf_counter()
    thermo = thermo or sector_free_energies(model, grid.points)
    generator = JointGenerator.exact_sectors(model, grid, dynamics, thermo=thermo)
    state = generator.stationary()
    jx, jy = generator.edge_currents(state)
    vx, vy = edge_velocities(jx, jy, state.log_p, grid.h)
    tq = dynamics.T_q(model)
    p = state.p
    equilibrium = equilibrium_density(thermo, dynamics.mu, model.T, tq, grid.n)
    spectrum = slow_spectrum(generator.matrix, modes) if modes else np.zeros(0, dtype=complex)
    sector_p = np.exp(state.log_pi).sum(axis=(1, 2))
    maps = None
    if fields:
        monodromy = _monodromy(thermo, grid, dynamics.mu, model.T, max(half_sizes))
        maps = OracleFields(p, equilibrium, jx, jy, monodromy, state.log_pi)
    return OraclePoint(
        dynamics=dynamics.to_dict(),
        gamma=dynamics.gamma(model),
        half_sizes=[int(r) for r in half_sizes],
        radii=[float(r * grid.h) for r in half_sizes],
        circulation=circulations(vx, vy, grid.h, grid.centre, half_sizes),
        angular_momentum=angular_momentum(jx, jy, grid.axis),
        mean_active=float(sector_p @ np.arange(sector_p.size)),
        max_density_error=float(np.abs(p - equilibrium).max()),
        spectrum=spectrum,
        max_damping_ratio=float(damping_ratios(spectrum).max()) if spectrum.size else 0.0,
        wall_s=time.perf_counter() - start,
        fields=maps,
    )
