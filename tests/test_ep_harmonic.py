"""Harmonic-oscillator network: Gaussian ground state vs closed forms and grid ED; EP on springs vs FD."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from qflow_core.errors import InvalidInputError
from qflow_core.models.harmonic import HarmonicNetwork


def test_single_oscillator_closed_form():
    k, m, f = 2.0, 0.5, 0.3
    state = HarmonicNetwork([[k]], [m], [f]).ground_state()
    omega = np.sqrt(k / m)
    assert state.covariance[0, 0] == pytest.approx(1 / (2 * m * omega), rel=1e-12)
    assert state.mean[0] == pytest.approx(f / k, rel=1e-12)
    assert state.energy == pytest.approx(omega / 2 - f**2 / (2 * k), rel=1e-12)


def grid_ground_state(net: HarmonicNetwork, points=90, half_width=4.0):
    """Independent reference: finite-difference Schrödinger operator on a 2-D position grid, Lanczos."""
    x = np.linspace(-half_width, half_width, points)
    dx = x[1] - x[0]
    lap = sp.diags([np.ones(points - 1), -2 * np.ones(points), np.ones(points - 1)], [-1, 0, 1]) / dx**2
    eye = sp.identity(points)
    kinetic = -0.5 * (sp.kron(lap, eye) / net.masses[0] + sp.kron(eye, lap) / net.masses[1])
    X0, X1 = np.meshgrid(x, x, indexing="ij")
    pos = np.stack([X0.ravel(), X1.ravel()], axis=1)
    potential = 0.5 * np.einsum("ki,ij,kj->k", pos, net.stiffness(), pos) - pos @ net.forces
    energy, vec = eigsh((kinetic + sp.diags(potential)).tocsr(), k=1, which="SA")
    p = vec[:, 0] ** 2
    p /= p.sum()
    mean = p @ pos
    cov = (pos - mean).T @ ((pos - mean) * p[:, None])
    return energy[0], mean, cov


def test_two_coupled_oscillators_match_grid_ed():
    net = HarmonicNetwork([[1.5, 0.8], [0.8, 0.7]], masses=[1.0, 1.6], forces=[0.4, -0.2])
    state = net.ground_state()
    energy, mean, cov = grid_ground_state(net)
    assert state.energy == pytest.approx(energy, abs=2e-3)
    np.testing.assert_allclose(state.mean, mean, atol=2e-3)
    np.testing.assert_allclose(state.covariance, cov, atol=2e-3)


def random_chain(n=4, seed=0):
    rng = np.random.default_rng(seed)
    K = np.triu(rng.uniform(0.2, 1.5, (n, n)))
    return HarmonicNetwork(K + np.triu(K, 1).T, rng.uniform(0.5, 2.0, n), rng.normal(0, 1, n))


def test_hellmann_feynman_on_springs():
    """⟨∂H/∂K⟩ = ∂E₀/∂K: the identity EP rests on (Eq. 31)."""
    net = random_chain(seed=1)
    expect = net.ground_state().spring_expectations()
    step = 1e-6
    for i, j in [(0, 0), (1, 3), (2, 2), (0, 2)]:
        bump = np.zeros_like(net.K)
        bump[i, j] = bump[j, i] = step
        fd = (
            net.with_springs(net.K + bump).ground_state().energy - net.with_springs(net.K - bump).ground_state().energy
        ) / (2 * step)
        assert expect[i, j] == pytest.approx(fd, abs=1e-7)


def test_ep_on_springs_matches_finite_differences_with_the_stated_bias_order():
    net = random_chain(seed=2)
    outputs, targets = [3], [0.7]
    fd = net.loss_gradient(outputs, targets)
    centered = [np.abs(net.ep_gradient(outputs, targets, b).K - fd).max() for b in (0.08, 0.04, 0.02)]
    one_sided = [np.abs(net.ep_gradient(outputs, targets, b, "one-sided").K - fd).max() for b in (0.08, 0.04, 0.02)]
    assert np.all(np.abs(np.array(centered[:-1]) / centered[1:] - 4) < 0.5), centered
    assert np.all(np.abs(np.array(one_sided[:-1]) / one_sided[1:] - 2) < 0.3), one_sided
    np.testing.assert_allclose(net.ep_gradient(outputs, targets, 1e-4).K, fd, atol=1e-7)


def test_sampled_positions_give_a_calibrated_standard_error():
    net = random_chain(seed=3)
    fd = net.loss_gradient([0, 2], [0.5, -0.5])
    draws = [net.ep_gradient([0, 2], [0.5, -0.5], 0.3, num_samples=4000, seed=s) for s in range(60)]
    values = np.array([g.K for g in draws])
    predicted = np.mean([g.stderr for g in draws], axis=0)
    np.testing.assert_allclose(values.std(axis=0, ddof=1), predicted, rtol=0.35)
    exact_moments = net.ep_gradient([0, 2], [0.5, -0.5], 0.3).K  # sampling is unbiased for the same b
    assert np.all(np.abs(values.mean(axis=0) - exact_moments) < 4 * predicted / np.sqrt(60))
    assert np.abs(exact_moments - fd).max() < 0.05


def test_training_springs_lowers_the_loss():
    net = random_chain(seed=4)
    outputs, targets = [3], [-1.0]
    losses = [net.loss(outputs, targets)]
    for _ in range(40):
        net = net.with_springs(np.maximum(net.K - 0.3 * net.ep_gradient(outputs, targets, 1e-3).K, 0.0))
        losses.append(net.loss(outputs, targets))
    assert np.all(np.diff(losses) < 0) and losses[-1] < 0.5 * losses[0]


def test_bad_networks_are_refused():
    with pytest.raises(InvalidInputError, match="positive definite"):
        HarmonicNetwork([[0.0, 1.0], [1.0, 0.0]], [1.0, 1.0])  # a free-floating pair has no ground state
    with pytest.raises(InvalidInputError, match="masses"):
        HarmonicNetwork([[1.0]], [0.0])
    with pytest.raises(InvalidInputError, match="≥ 0"):
        HarmonicNetwork([[1.0, -0.1], [-0.1, 1.0]], [1.0, 1.0])
    net = HarmonicNetwork([[1.0]], [1.0])
    with pytest.raises(InvalidInputError, match="indefinite"):
        net.ground_state([0], [0.0], b=-2.0)
    with pytest.raises(InvalidInputError, match="outputs"):
        net.ep_gradient([1], [0.0])
