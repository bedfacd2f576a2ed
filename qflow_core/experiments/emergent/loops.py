"""Line integrals on the grid: velocities on edges, circulation around square loops, angular momentum.

A stationary ensemble carries a probability current j(q) and a density ρ(q); its velocity field is v = j/ρ.
On the lattice the net current J across an edge and the node probabilities P (= ρh²) give
v_edge = J h / √(P_a P_b) (the geometric mean is what the hop rates e^{∓ΔF/2T_q} make exact at equilibrium),
and the circulation of a loop C is Γ(C) = ∮_C v·dq = Σ_edges ± v_edge h. For v = ∇S single-valued, Γ = 0 on
every loop; a vortex of circulation Γ₀ gives Γ(C) = Γ₀ on every loop around its core. The mean angular momentum
⟨q × q̇⟩ of the ensemble is Σ_edges J (q_a × q_b).

Loops are squares of ``half_size`` cells around a node, run counter-clockwise.

>>> grid_n, h = 41, 0.2
>>> axis = h * (np.arange(grid_n) - grid_n // 2)
>>> jx, jy, log_p = vortex_currents(axis, gamma0=1.0, width=1.5)
>>> vx, vy = edge_velocities(jx, jy, log_p, h)
>>> round(circulation(vx, vy, h, (20, 20), 8), 2)
1.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = [
    "angular_momentum",
    "circulation",
    "circulations",
    "edge_velocities",
    "gradient_monodromy",
    "loop_edges",
    "vortex_currents",
]


def loop_edges(n: int, centre: tuple[int, int], half_size: int) -> tuple[tuple, np.ndarray, tuple, np.ndarray]:
    """Counter-clockwise square loop: (x-edge indices, their signs, y-edge indices, their signs).

    x-edge (i, j) joins nodes (i, j)–(i + 1, j); y-edge (i, j) joins (i, j)–(i, j + 1).
    """
    cx, cy = centre
    r = int(half_size)
    if r < 1 or cx - r < 0 or cy - r < 0 or cx + r > n - 1 or cy + r > n - 1:
        raise InvalidInputError(
            f"a square loop of half-size {half_size} around node {centre} does not fit in a {n}×{n} grid; "
            f"use half-sizes from 1 to {min(cx, cy, n - 1 - cx, n - 1 - cy)}"
        )
    span = np.arange(-r, r)
    xi = np.concatenate([cx + span, cx + span])
    xj = np.concatenate([np.full(2 * r, cy - r), np.full(2 * r, cy + r)])
    x_sign = np.concatenate([np.ones(2 * r), -np.ones(2 * r)])
    yi = np.concatenate([np.full(2 * r, cx + r), np.full(2 * r, cx - r)])
    yj = np.concatenate([cy + span, cy + span])
    return (xi, xj), x_sign, (yi, yj), x_sign.copy()


def edge_velocities(jx: np.ndarray, jy: np.ndarray, log_p: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    """v = J h / √(P_a P_b) on x-edges (n − 1, n) and y-edges (n, n − 1), from node log-probabilities (n, n)."""
    vx = jx * h * np.exp(-0.5 * (log_p[:-1, :] + log_p[1:, :]))
    vy = jy * h * np.exp(-0.5 * (log_p[:, :-1] + log_p[:, 1:]))
    return vx, vy


def circulation(vx: np.ndarray, vy: np.ndarray, h: float, centre: tuple[int, int], half_size: int) -> float:
    """Γ = ∮ v·dq around the square loop of ``half_size`` cells about node ``centre``."""
    x_idx, x_sign, y_idx, y_sign = loop_edges(vx.shape[1], centre, half_size)
    return float(h * (np.sum(x_sign * vx[x_idx]) + np.sum(y_sign * vy[y_idx])))


def circulations(
    vx: np.ndarray, vy: np.ndarray, h: float, centre: tuple[int, int], half_sizes: Sequence[int]
) -> np.ndarray:
    """:func:`circulation` for each loop size."""
    return np.array([circulation(vx, vy, h, centre, r) for r in half_sizes])


def angular_momentum(jx: np.ndarray, jy: np.ndarray, axis: np.ndarray) -> float:
    """⟨q × q̇⟩ = Σ J (q_a × q_b) = h (Σ x J_y − Σ y J_x) on a grid with coordinates ``axis``."""
    h = float(axis[1] - axis[0])
    return float(h * (np.sum(axis[:, None] * jy) - np.sum(axis[None, :] * jx)))


def gradient_monodromy(grad: np.ndarray, axis: np.ndarray, centre: tuple[int, int], half_size: int) -> float:
    """∮ ∇f·dq by the trapezoid rule from a gradient on the nodes, ``grad`` (n, n, 2)."""
    n, h = axis.size, float(axis[1] - axis[0])
    x_idx, x_sign, y_idx, y_sign = loop_edges(n, centre, half_size)
    gx = 0.5 * (grad[:-1, :, 0] + grad[1:, :, 0])
    gy = 0.5 * (grad[:, :-1, 1] + grad[:, 1:, 1])
    return float(h * (np.sum(x_sign * gx[x_idx]) + np.sum(y_sign * gy[y_idx])))


def vortex_currents(
    axis: np.ndarray, *, gamma0: float, width: float, core: tuple[float, float] = (0.0, 0.0)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positive control: lattice currents of a point vortex v = Γ₀/(2πr) e_θ carried by a Gaussian density.

    The continuum current j = ρ v is evaluated at each edge midpoint and multiplied by the edge length;
    node probabilities are ρ(q) h², with the same continuum normalisation. Returns (J_x, J_y, log P).
    """
    h = float(axis[1] - axis[0])
    x, y = np.meshgrid(axis, axis, indexing="ij")

    def log_rho(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        return -((px - core[0]) ** 2 + (py - core[1]) ** 2) / (2 * width**2) - np.log(2 * np.pi * width**2)

    def current(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx, dy = px - core[0], py - core[1]
        r2 = dx**2 + dy**2
        speed = gamma0 / (2 * np.pi * r2)  # v = Γ₀/(2π r²) (−dy, dx)
        rho = np.exp(log_rho(px, py))
        return -rho * speed * dy, rho * speed * dx

    jx = current(0.5 * (x[:-1] + x[1:]), y[:-1])[0] * h
    jy = current(x[:, :-1], 0.5 * (y[:, :-1] + y[:, 1:]))[1] * h
    return jx, jy, log_rho(x, y) + 2 * np.log(h)
