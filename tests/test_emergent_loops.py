"""Loop estimator, positive-control vortex, angular momentum and the slow-spectrum solver against closed forms."""

import numpy as np
import pytest
import scipy.sparse as sp

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.emergent.generator import Grid
from qflow_core.experiments.emergent.loops import (
    angular_momentum,
    circulation,
    edge_velocities,
    loop_edges,
    vortex_currents,
)
from qflow_core.experiments.emergent.sanity import positive_control_check
from qflow_core.experiments.emergent.spectrum import damping_ratios, slow_spectrum

GRID = Grid(49, 4.0)


def _edge_field(fx, fy, axis):
    """Sample a vector field at x-edge and y-edge midpoints."""
    x, y = np.meshgrid(axis, axis, indexing="ij")
    mx, my = 0.5 * (x[:-1] + x[1:]), 0.5 * (y[:, :-1] + y[:, 1:])
    return fx(mx, y[:-1]), fy(x[:, :-1], my)


@pytest.mark.parametrize("r", [1, 3, 10, 24])
def test_rigid_rotation_gives_twice_the_enclosed_area(r):
    vx, vy = _edge_field(lambda x, y: -y, lambda x, y: x, GRID.axis)
    assert len(loop_edges(GRID.n, GRID.centre, r)[1]) == 4 * r
    np.testing.assert_allclose(circulation(vx, vy, GRID.h, GRID.centre, r), 2 * (2 * r * GRID.h) ** 2, rtol=1e-12)


def test_gradient_field_has_no_circulation_on_any_loop():
    x, y = np.meshgrid(GRID.axis, GRID.axis, indexing="ij")
    phi = np.sin(x) * np.cos(0.7 * y) + x**3 * y
    vx, vy = np.diff(phi, axis=0) / GRID.h, np.diff(phi, axis=1) / GRID.h
    for centre in [(24, 24), (10, 30)]:
        for r in [1, 5, 9]:
            assert abs(circulation(vx, vy, GRID.h, centre, r)) < 1e-11


@pytest.mark.parametrize(("gamma0", "width"), [(1.0, 1.0), (0.3, 0.6), (-2.0, 1.5)])
def test_injected_vortex_is_recovered_within_two_percent(gamma0, width):
    check = positive_control_check(GRID, [2, 4, 8, 12, 16, 20], gamma0=gamma0, width=width)
    assert check.holds, check.value
    jx, jy, log_p = vortex_currents(GRID.axis, gamma0=gamma0, width=width)
    vx, vy = edge_velocities(jx, jy, log_p, GRID.h)
    assert abs(circulation(vx, vy, GRID.h, (34, 24), 4)) < 0.02 * abs(gamma0)  # the loop misses the core


def test_positive_control_fails_when_the_estimator_is_wrong():
    jx, jy, log_p = vortex_currents(GRID.axis, gamma0=1.0, width=1.0)
    vx, vy = edge_velocities(jx, jy, log_p + np.log(1.1), GRID.h)  # a density off by 10 %
    assert abs(circulation(vx, vy, GRID.h, GRID.centre, 8) - 1.0) > 0.05


def test_vortex_angular_momentum_is_gamma_over_two_pi():
    jx, jy, log_p = vortex_currents(GRID.axis, gamma0=1.0, width=1.0)
    mass = np.exp(log_p).sum()
    np.testing.assert_allclose(angular_momentum(jx, jy, GRID.axis), mass / (2 * np.pi), rtol=1e-2)


def test_loops_that_do_not_fit_are_refused():
    with pytest.raises(InvalidInputError, match="does not fit"):
        loop_edges(9, (4, 4), 5)


def test_slow_spectrum_of_a_biased_ring_walk_is_the_analytic_one():
    n, a, b = 200, 1.3, 0.4
    index = np.arange(n)
    q = sp.coo_matrix((np.full(n, a), ((index + 1) % n, index)), shape=(n, n))
    q = q + sp.coo_matrix((np.full(n, b), ((index - 1) % n, index)), shape=(n, n))
    q = (q - sp.eye(n) * (a + b)).tocsr()
    theta = 2 * np.pi * np.arange(1, 4) / n
    analytic = a * np.exp(-1j * theta) + b * np.exp(1j * theta) - (a + b)
    found = slow_spectrum(q, 6)
    for value in analytic:
        assert np.min(np.abs(found - value)) < 1e-9
        assert np.min(np.abs(found - value.conj())) < 1e-9
    assert damping_ratios(found).max() > 1  # a driven ring has underdamped modes
