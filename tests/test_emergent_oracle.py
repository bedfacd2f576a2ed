"""Exact oracle of the grand-canonical learners: closed forms, detailed balance, a dense second solver."""

import numpy as np
import pytest
import scipy.linalg

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.emergent import EmergentModel, Grid, LearnerDynamics, solve_oracle
from qflow_core.experiments.emergent.generator import JointGenerator
from qflow_core.experiments.emergent.sanity import drift_identity_check, equilibrium_checks
from qflow_core.experiments.emergent.sectors import exchange_rates, grand_potential, sector_free_energies
from qflow_core.experiments.emergent.spectrum import damping_ratios

LOOPS = (1, 2, 3, 4, 6)


def test_one_slot_free_energies_have_the_closed_form():
    model = EmergentModel([[0.7, -0.3]], [0.2], [[0.0]], eps_act=1.5, kappa=2.0, T=0.8)
    q = np.random.default_rng(0).normal(size=(20, 2))
    thermo = sector_free_energies(model, q)
    field = q @ model.w[0] + model.c[0]
    conf = 0.5 * model.kappa * np.sum(q**2, axis=1)
    np.testing.assert_allclose(thermo.F[:, 0], conf, atol=1e-12)
    np.testing.assert_allclose(thermo.F[:, 1], conf + 1.5 - 0.8 * np.log(2 * np.cosh(field / 0.8)), atol=1e-12)
    expected = model.kappa * q - np.tanh(field / 0.8)[:, None] * model.w[0]
    np.testing.assert_allclose(thermo.grad[:, 1], expected, atol=1e-12)


@pytest.mark.parametrize("m", [5, 8])
def test_drift_identity_holds_to_1e_8(m):
    check = drift_identity_check(EmergentModel.random(m, seed=3), Grid(49, 4.0))
    assert check.holds and check.value < 1e-8


def test_grand_potential_matches_direct_enumeration_and_chunking():
    model = EmergentModel.random(3, seed=1)
    states = model.hidden_states()
    q = np.random.default_rng(2).uniform(-2, 2, size=(7, 2))
    mu = 1.3
    direct = -model.T * np.log(np.exp(-(model.energies(q, states.x) - mu * states.n_active) / model.T).sum(axis=1))
    thermo = sector_free_energies(model, q, chunk_bytes=1)  # one point per chunk
    omega, mean_n = grand_potential(thermo.F, mu, model.T)
    np.testing.assert_allclose(omega, direct, atol=1e-12)
    weights = np.exp(-(model.energies(q, states.x) - mu * states.n_active) / model.T)
    np.testing.assert_allclose(mean_n, weights @ states.n_active / weights.sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(thermo.F, sector_free_energies(model, q).F, atol=1e-13)


def test_metropolis_exchange_rates_match_brute_force_moves():
    model = EmergentModel.random(2, seed=4)
    q = np.array([[0.4, -0.9], [-1.2, 0.3]])
    mu, k_x, T = 1.7, 0.6, model.T
    up, down = exchange_rates(model, q, sector_free_energies(model, q).F, mu=mu, k_x=k_x, rule="metropolis")
    states = model.hidden_states()
    energy = model.energies(q, states.x)
    for p in range(q.shape[0]):
        brute_up, brute_down = np.zeros(2), np.zeros(2)
        for n in range(3):
            sl = states.sector(n)
            weights = np.exp(-energy[p, sl] / T)
            weights /= weights.sum()
            for w, x, e in zip(weights, states.x[sl], energy[p, sl], strict=True):
                for j in range(2):
                    if x[j] == 0:
                        for sigma in (-1, 1):
                            y = x.copy()
                            y[j] = sigma
                            de = model.energies(q[p : p + 1], y[None])[0, 0] - e
                            brute_up[n] += w * 0.5 * min(1.0, 2 * np.exp(-(de - mu) / T)) / 2
                    else:
                        y = x.copy()
                        y[j] = 0
                        de = model.energies(q[p : p + 1], y[None])[0, 0] - e
                        brute_down[n - 1] += w * min(1.0, 0.5 * np.exp(-(de + mu) / T)) / 2
        np.testing.assert_allclose(up[p], k_x * brute_up, rtol=1e-12)
        np.testing.assert_allclose(down[p], k_x * brute_down, rtol=1e-12)


@pytest.mark.parametrize("exchange", ["symmetric", "metropolis"])
@pytest.mark.parametrize(("mu", "k_x"), [(0.5, 0.1), (2.0, 1.0), (4.0, 10.0)])
def test_equilibrium_at_equal_temperatures(exchange, mu, k_x):
    model = EmergentModel.random(5, seed=0)
    point = solve_oracle(
        model,
        Grid(49, 4.0),
        LearnerDynamics(mu=mu, tq_ratio=1.0, k_x=k_x, exchange=exchange),
        half_sizes=(2, 4, 8, 12, 16, 20, 24),
        modes=0,
    )
    circulation, density = equilibrium_checks(point)
    assert circulation.holds and density.holds, (circulation.value, density.value)
    assert abs(point.angular_momentum) < 1e-12


def test_equilibrium_spectrum_is_real():
    model = EmergentModel.random(3, seed=0)
    grid = Grid(21, 3.0)
    eq = solve_oracle(model, grid, LearnerDynamics(mu=2.0, tq_ratio=1.0), half_sizes=LOOPS, modes=6)
    assert np.all(np.abs(eq.spectrum.imag) < 1e-8) and np.all(eq.spectrum.real < 0)
    assert damping_ratios(eq.spectrum).max() < 1e-8


def _untransformed(generator):
    ref = np.exp(generator.log_ref.ravel())
    q = generator.matrix.toarray()
    return ref[:, None] * q / ref[None, :]


def test_stationary_state_agrees_with_dense_null_space():
    model = EmergentModel.random(2, seed=5)
    generator = JointGenerator.exact_sectors(model, Grid(7, 2.0), LearnerDynamics(mu=1.0, tq_ratio=2.5, k_x=0.7))
    q = _untransformed(generator)
    np.testing.assert_allclose(q.sum(axis=0), 0.0, atol=1e-10)  # probability is conserved
    null = scipy.linalg.null_space(q)
    assert null.shape[1] == 1
    dense = np.abs(null[:, 0]) / np.abs(null[:, 0]).sum()
    sparse = np.exp(generator.stationary().log_pi.ravel())
    np.testing.assert_allclose(sparse, dense, rtol=1e-8, atol=1e-14)


def test_circulation_needs_a_temperature_gap_and_a_q_dependent_exchange_cost():
    grid = Grid(25, 3.0)
    driven = LearnerDynamics(mu=2.0, tq_ratio=2.0)
    coupled = EmergentModel.random(3, seed=0)
    flat = EmergentModel(np.zeros((3, 2)), coupled.c, coupled.J)  # ΔF_N independent of q
    gamma = solve_oracle(coupled, grid, driven, half_sizes=LOOPS, modes=0).circulation
    assert np.abs(gamma).max() > 1e-4
    assert np.abs(solve_oracle(flat, grid, driven, half_sizes=LOOPS, modes=0).circulation).max() < 1e-10


def test_circulation_is_linear_in_the_temperature_gap():
    model, grid = EmergentModel.random(3, seed=0), Grid(25, 3.0)

    def gamma(ratio):
        return solve_oracle(model, grid, LearnerDynamics(mu=2.0, tq_ratio=ratio), half_sizes=(6,), modes=0).circulation

    small, double = gamma(1.0 + 1e-3), gamma(1.0 + 2e-3)
    np.testing.assert_allclose(double / small, 2.0, rtol=5e-3)


def test_bad_inputs_are_typed_errors():
    with pytest.raises(InvalidInputError, match="at least 3"):
        Grid(2)
    with pytest.raises(InvalidInputError, match="T_q/T"):
        LearnerDynamics(mu=1.0, tq_ratio=0.0)
    with pytest.raises(InvalidInputError, match="exchange"):
        LearnerDynamics(mu=1.0, exchange="glauber")
    with pytest.raises(InvalidInputError, match="shape"):
        EmergentModel(np.zeros((3, 2)), np.zeros(2), np.zeros((3, 3)))
    with pytest.raises(InvalidInputError, match="symmetric"):
        EmergentModel(np.zeros((2, 2)), np.zeros(2), [[0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(InvalidInputError, match="enumeration"):
        EmergentModel.random(11).hidden_states()
