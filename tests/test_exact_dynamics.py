"""Real-time evolution, time averages, Davies master equation and anneals against independent truth."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
from qflow_exact import davies, tfim
from qflow_exact.anneal import AnnealAccuracyWarning, anneal
from qflow_exact.kernels import split_sweeps
from qflow_exact.krylov import evolve

from qflow_core.schedules import AnnealSchedule, default_schedule


def random_model(n: int, seed: int):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)), 1)
    return J + J.T, rng.normal(size=n), rng.uniform(0.2, 0.9, size=n)


def operator(J, h, g):
    return tfim.TFIMOperator(tfim.diagonal_energies(J, h), g)


@pytest.mark.parametrize("t", [0.3, 7.0])
def test_krylov_evolution_matches_expm(t):
    J, h, g = random_model(7, 1)
    psi0 = np.zeros(2**7)
    psi0[5] = 1.0
    ref = scipy.linalg.expm(-1j * t * tfim.hamiltonian(J, h, g).toarray()) @ psi0
    res = evolve(operator(J, h, g), psi0, t)
    assert np.max(np.abs(res.state - ref)) < 1e-10


def test_time_average_matches_eigenbasis_formula():
    J, h, g = random_model(5, 2)
    w, U = np.linalg.eigh(tfim.hamiltonian(J, h, g).toarray())
    T = 3.7
    A = U * U[9]  # A[x, m] = <x|m><m|s>, s = basis state 9
    omega = w[:, None] - w[None, :]
    safe = np.where(omega == 0, 1.0, omega * T)
    kernel = np.where(omega == 0, 1.0, np.sin(omega * T) / safe)
    expected = np.einsum("xm,mn,xn->x", A, kernel, A)
    psi0 = np.eye(32)[9]
    assert np.allclose(evolve(operator(J, h, g), psi0, T, average=True).average_populations, expected, atol=1e-12)


def test_rabi_formula_acceptance_a10():
    """THEORY Eq. 19–20: P(t) = 4Γ²/Ω² sin²(Ωt/2); window mean at T = 5, Γ = 0.05, Δ = 0.5 is 0.015021."""
    for gamma in (0.05, 0.2, 1.0):
        for delta in (0.0, 0.3, 1.0, 3.0):
            op = tfim.TFIMOperator(np.array([0.0, delta]), np.array([gamma]))
            omega = np.hypot(delta, 2 * gamma)
            for t in (0.7, 5.0, 20.0):
                p = abs(evolve(op, np.array([1.0, 0.0]), t).state[1]) ** 2
                assert p == pytest.approx(4 * gamma**2 / omega**2 * np.sin(omega * t / 2) ** 2, abs=1e-12)
    op = tfim.TFIMOperator(np.array([0.0, 0.5]), np.array([0.05]))
    mean = evolve(op, np.array([1.0, 0.0]), 5.0, average=True).average_populations[1]
    omega = np.hypot(0.5, 0.1)
    assert mean == pytest.approx(0.015021, abs=1e-6)
    assert mean == pytest.approx(2 * 0.05**2 / omega**2 * (1 - np.sin(omega * 5) / (omega * 5)), abs=1e-13)


def instance_i2():
    J = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 0.2, (1, 2): -0.15, (2, 3): 0.1, (0, 3): 0.05}.items():
        J[i, j] = J[j, i] = v
    return J, np.array([0.05, 0.65, 1.15, 1.35]), np.array([0.6, 1.4, 2.2, 3.0])


def davies_relative_errors(gamma: float, beta: float) -> np.ndarray:
    """|W_k / Eq. 11 − 1| from the dressed data state into each dressed single-flip state (instance I2)."""
    J, h, delta = instance_i2()
    eta = 1.0
    eig = tfim.gibbs(J, h, gamma, beta=0.0)
    W = davies.davies_rates(eig.energies, eig.vectors, beta, eta)
    level_of = [int(np.argmax(eig.vectors[k] ** 2)) for k in range(16)]
    rates = np.array([W[level_of[1 << (3 - k)], level_of[0]] for k in range(4)])
    theory = 8 * np.pi * eta * gamma**2 / (delta * np.expm1(beta * delta))
    return np.abs(rates / theory - 1)


@pytest.mark.parametrize("beta", [2.0, 5.0])
def test_davies_rates_follow_theory_eq11_at_small_gamma(beta):
    """Eq. 11, W_k = 8πηΓ²/(Δ_k(e^{βΔ_k} − 1)), holds to O(Γ²): THEORY §2.3 reports 7e-3–1e-2 at n = 4,
    Γ = 0.02; halving Γ divides the error by 4."""
    err = davies_relative_errors(0.01, beta)
    assert err.max() < 1e-2
    ratio = err.max() / davies_relative_errors(0.005, beta).max()
    assert 3.5 < ratio < 4.5


def test_dephased_evolution_relaxes_to_the_gibbs_state_and_starts_at_the_closest_eigenstate():
    J, h, g = random_model(4, 3)
    state = np.array([1, -1, 1, 1])
    early = davies.dephased_survival(J, h, g, state, 1e-9, beta=1.5, eta=0.5)
    assert early.start_overlap == pytest.approx(np.max(tfim.gibbs(J, h, g, 0.0).vectors[4] ** 2))
    assert early.eigen_populations[early.start_level] == pytest.approx(1.0, abs=1e-8)
    late = davies.dephased_survival(J, h, g, state, 1e5, beta=1.5, eta=0.5)
    assert np.allclose(late.populations, tfim.gibbs(J, h, g, 1.5).z_populations(), atol=1e-9)


def test_dephased_short_time_leakage_is_rate_times_time():
    J, h, _ = instance_i2()
    gamma, beta, eta, t = 0.01, 2.0, 1.0, 1e-3
    eig = tfim.gibbs(J, h, gamma, beta=0.0)
    W = davies.davies_rates(eig.energies, eig.vectors, beta, eta)
    res = davies.dephased_survival(J, h, gamma, np.ones(4), t, beta, eta=eta)
    out_rate = W[:, res.start_level].sum()
    assert 1 - res.eigen_populations[res.start_level] == pytest.approx(out_rate * t, rel=1e-3)


def reference_anneal(energies, time_us, n, schedule=None, weights=None):
    """Tight DOP853 solution of i dψ/ds = 2π·10³·T·H(s)ψ (independent of the splitting and its kernels)."""
    sched = default_schedule() if schedule is None else schedule
    w = np.ones(n) if weights is None else weights
    k = np.arange(energies.size)
    X = np.zeros((energies.size, energies.size))
    for b in range(n):
        X[k, k ^ (1 << b)] = w[n - 1 - b]
    scale = 2 * np.pi * 1e3 * time_us

    def rhs(s, psi):
        return -1j * scale * (-(sched.A(s) / 2) * (X @ psi) + (sched.B(s) / 2) * energies * psi)

    psi0 = np.full(energies.size, 2 ** (-n / 2), dtype=complex)
    sol = scipy.integrate.solve_ivp(rhs, (0, 1), psi0, method="DOP853", rtol=1e-12, atol=1e-12)
    return sol.y[:, -1]


@pytest.mark.parametrize(("n", "time_us"), [(3, 0.005), (7, 0.001)])
def test_fast_anneal_matches_a_tight_ode_reference(n, time_us):
    J, h, _ = random_model(n, 4)
    energies = tfim.diagonal_energies(J / 2, h / 2)
    ref = reference_anneal(energies, time_us, n)
    res = anneal(energies, default_schedule(), time_us)
    assert res.converged and res.error_estimate <= 1e-6
    assert np.linalg.norm(res.state - ref) < 1e-6  # the state itself, global phase included
    assert np.max(np.abs(np.abs(res.state) ** 2 - np.abs(ref) ** 2)) < 1e-6


def test_anneal_with_a_kinked_table_and_driver_weights_meets_its_tolerance():
    n = 5
    J, h, weights = random_model(n, 9)
    energies = tfim.diagonal_energies(J / 3, h / 3)
    table = AnnealSchedule.from_table([(0, 3.0, 0.2), (0.23, 1.1, 0.9), (0.6, 0.2, 2.5), (1, 0.01, 4.0)])
    ref = reference_anneal(energies, 0.004, n, table, weights)
    for tol in (1e-5, 1e-8):
        res = anneal(energies, table, 0.004, driver_weights=weights, tol=tol)
        assert res.converged and res.error_estimate <= tol
        assert np.linalg.norm(res.state - ref) < 2 * tol


def test_split_operator_is_fourth_order_and_its_estimate_tracks_the_error():
    n = 6
    J, h, _ = random_model(n, 5)
    energies = tfim.diagonal_energies(J / 2, h / 2)
    smooth = AnnealSchedule.from_table([(0, 2.0, 0.1), (1, 0.02, 3.0)])
    ref = anneal(energies, smooth, 0.003, steps=4000).state
    errors, estimates = [], []
    for steps in (40, 80, 160):
        res = anneal(energies, smooth, 0.003, steps=steps)
        errors.append(np.linalg.norm(res.state - ref))
        estimates.append(res.error_estimate)
    assert 13 < errors[1] / errors[2] < 19  # 2^4 = 16
    assert np.allclose(estimates[1:], errors[1:], rtol=0.3)


def test_split_sweeps_apply_exact_phase_and_rotation_factors():
    n = 5
    rng = np.random.default_rng(3)
    energies = rng.normal(size=2**n) * 40  # phases of several hundred radians exercise the range reduction
    phases, angles, weights = rng.normal(size=3) * 3, rng.normal(size=3), rng.uniform(0, 2, n)
    psi = (rng.normal(size=2**n) + 1j * rng.normal(size=2**n)) / 8
    expected = psi.copy()
    k = np.arange(2**n)
    X = np.zeros((2**n, 2**n))
    for b in range(n):
        X[k, k ^ (1 << b)] = weights[b]  # the kernel's weights are indexed by bit position
    for phi, theta in zip(phases, angles, strict=True):
        expected = scipy.linalg.expm(1j * theta * X) @ (np.exp(-1j * phi * energies) * expected)
    split_sweeps(psi, energies, phases, angles, weights)
    assert np.max(np.abs(psi - expected)) < 1e-13


def test_anneal_warns_when_its_step_cap_stops_it_short():
    J, h, _ = random_model(4, 6)
    energies = tfim.diagonal_energies(J, h)
    with pytest.warns(AnnealAccuracyWarning, match="estimated state error"):
        res = anneal(energies, default_schedule(), 0.05, max_steps=200)
    assert not res.converged and res.error_estimate > 1e-6 and res.steps <= 220
