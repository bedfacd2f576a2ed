"""qaoa protocols against independent exact references (dense expm, an ODE solver, enumeration) at n ≤ 8."""

import dimod
import numpy as np
import pytest
import scipy.linalg
from qflow_qaoa import QAOASampler
from qflow_qaoa.angles import PHASE_PER_GHZ_US
from qflow_qaoa.ising import diagonal_energies
from scipy.integrate import solve_ivp

from qflow_core import Anneal, GroundState, InvalidInputError, Survival, get_sampler
from qflow_core.schedules import default_schedule
from qflow_core.testing import small_test_bqm

pytestmark = pytest.mark.filterwarnings("error")


def _sum_x(n):
    """Σ_i X_i in Qiskit's basis order (X_i flips bit i of the index)."""
    matrix = np.zeros((2**n, 2**n))
    k = np.arange(2**n)
    for i in range(n):
        matrix[k ^ (1 << i), k] += 1.0
    return matrix


def _exact_survival(bqm, state, gamma, time):
    n = bqm.num_variables
    hamiltonian = np.diag(diagonal_energies(bqm)) - gamma * _sum_x(n)
    index = sum(1 << i for i, s in enumerate(state) if s > 0)
    return np.abs(scipy.linalg.expm(-1j * time * hamiltonian)[:, index]) ** 2


def _exact_anneal(bqm, time_us, schedule):
    """Schrödinger equation of H(s) = −A/2 ΣX + B/2 E(σᶻ) (GHz, µs), integrated by DOP853 from |+…+⟩."""
    n = bqm.num_variables
    diag, sum_x = diagonal_energies(bqm), _sum_x(n)

    def rhs(t, psi):
        s = t / time_us
        return -1j * PHASE_PER_GHZ_US * (-schedule.A(s) / 2 * (sum_x @ psi) + schedule.B(s) / 2 * diag * psi)

    psi0 = np.full(2**n, 2 ** (-n / 2), dtype=complex)
    solution = solve_ivp(rhs, (0.0, time_us), psi0, method="DOP853", rtol=1e-10, atol=1e-12)
    return np.abs(solution.y[:, -1]) ** 2


def _probabilities(sampler, bqm, protocol, **options):
    return sampler.run(bqm, protocol, num_reads=10, seed=0, **options).record.probability


# -- Survival ---------------------------------------------------------------------------------------------
def test_trotterised_survival_converges_at_second_order():
    bqm = small_test_bqm(6, seed=2)
    protocol = Survival((1, -1, 1, 1, -1, -1), gamma=0.4, time=3.0)
    reference = _exact_survival(bqm, protocol.state, protocol.gamma, protocol.time)
    errors = [
        np.abs(_probabilities(QAOASampler(), bqm, protocol, steps=steps) - reference).max() for steps in (8, 16, 32, 64)
    ]
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    np.testing.assert_allclose(ratios, 4.0, rtol=0.05)  # error ∝ steps⁻²: measured 4.04, 4.01, 4.00
    assert errors[-1] < 3e-4


def test_lie_trotter_with_cost_first_gives_the_suzuki_probabilities():
    # from a basis state, the cost half steps at both ends of the Suzuki product are pure phases
    bqm = small_test_bqm(5, seed=4)
    protocol = Survival((1, 1, -1, 1, -1), gamma=0.7, time=2.0)
    lie = _probabilities(QAOASampler(), bqm, protocol, steps=10, trotter_order=1)
    suzuki = _probabilities(QAOASampler(), bqm, protocol, steps=10, trotter_order=2)
    np.testing.assert_allclose(lie, suzuki, atol=1e-12)


def test_default_steps_are_accurate():
    bqm = small_test_bqm(6, seed=5)
    protocol = Survival((-1, 1, 1, -1, 1, -1), gamma=0.5, time=2.0)
    ss = QAOASampler().run(bqm, protocol, num_reads=10, seed=0)
    reference = _exact_survival(bqm, protocol.state, protocol.gamma, protocol.time)
    assert np.abs(ss.record.probability - reference).sum() / 2 < 2e-3
    assert ss.info["qflow"]["backend"]["step_angle"] <= 0.2


# -- Anneal -----------------------------------------------------------------------------------------------
def test_linear_ramp_qaoa_approaches_the_exact_anneal():
    bqm = small_test_bqm(5, seed=2)
    protocol = Anneal("fast", time_us=0.02)
    reference = _exact_anneal(bqm, protocol.time_us, default_schedule())
    assert reference.max() > 0.9  # 20 ns is nearly adiabatic here: a sharp target
    distances = [
        np.abs(_probabilities(QAOASampler(), bqm, protocol, layers=layers) - reference).sum() / 2
        for layers in (200, 800, 3200)
    ]
    assert distances[0] > 0.5  # step angles ≈ 1.8 rad: not an anneal yet
    assert distances[1] < 1e-3 and distances[2] < distances[1] / 8  # measured 7.5e-4, 4.6e-5


def test_anneal_splitting_is_second_order():
    bqm = small_test_bqm(5, seed=2)
    protocol = Anneal("fast", time_us=0.002)
    reference = _exact_anneal(bqm, protocol.time_us, default_schedule())
    distances = [
        np.abs(_probabilities(QAOASampler(), bqm, protocol, layers=layers) - reference).sum() / 2
        for layers in (200, 800, 3200)
    ]
    ratios = np.array(distances[:-1]) / np.array(distances[1:])
    np.testing.assert_allclose(ratios, 16.0, rtol=0.1)  # ∝ layers⁻²: measured 16.0, 16.0


def test_short_anneal_is_diabatic_and_still_matches():
    bqm = small_test_bqm(4, seed=6)
    schedule = default_schedule()
    protocol = Anneal("fast", time_us=0.001)
    reference = _exact_anneal(bqm, protocol.time_us, schedule)
    assert reference.max() < 0.7  # far from adiabatic: the whole distribution matters
    ss = QAOASampler().run(bqm, protocol, num_reads=10, seed=0)
    assert ss.info["qflow"]["backend"]["effective_time_us"] == protocol.time_us
    assert np.abs(ss.record.probability - reference).sum() / 2 < 2e-3  # measured 9e-4 (74 layers)


def test_protocol_schedule_is_used():
    bqm = small_test_bqm(4, seed=1)
    table = ((0.0, 5.0, 0.2), (0.5, 1.0, 2.0), (1.0, 0.001, 6.0))
    protocol = Anneal("fast", time_us=0.004, schedule=table)
    from qflow_core.schedules import AnnealSchedule

    reference = _exact_anneal(bqm, protocol.time_us, AnnealSchedule.from_table(table))
    ss = QAOASampler().run(bqm, protocol, num_reads=10, seed=0, layers=2000)
    assert ss.info["qflow"]["backend"]["schedule"] == "protocol"
    assert np.abs(ss.record.probability - reference).sum() / 2 < 1e-3


def test_long_anneal_is_compressed_to_the_layer_budget():
    bqm = small_test_bqm(4, seed=0)
    ss = QAOASampler().run(bqm, Anneal("standard"), num_reads=10, seed=0, max_layers=1000)
    info = ss.info["qflow"]["backend"]
    assert info["layers"] == 1000 and info["effective_time_us"] < 0.02
    assert info["step_angle"] == pytest.approx(0.2, rel=0.05)
    ground = np.argmin(diagonal_energies(bqm))
    assert ss.record.probability[ground] > 0.99  # still an (effectively) adiabatic anneal: measured 0.997


def _distance_by_state(ours, theirs):
    """Total-variation distance of two exact SampleSets, matched by state (row orders may differ)."""
    p = dict(zip(map(tuple, ours.record.sample.tolist()), ours.record.probability, strict=True))
    q = dict(zip(map(tuple, theirs.record.sample.tolist()), theirs.record.probability, strict=True))
    return sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q)) / 2


def _exact_backend():
    try:
        sampler = get_sampler("exact")
    except InvalidInputError:
        pytest.skip("the 'exact' sampler is not installed")
    return sampler


def test_many_layers_agree_with_the_exact_backend():
    exact = _exact_backend()
    bqm = small_test_bqm(4, seed=3)
    protocol = Anneal("fast", time_us=0.003)
    ours = QAOASampler().run(bqm, protocol, num_reads=10, seed=0, layers=4000)
    theirs = exact.run(bqm, protocol, num_reads=10, seed=0)
    assert _distance_by_state(ours, theirs) < 2e-3


def test_survival_agrees_with_the_exact_backend():
    exact = _exact_backend()
    bqm = small_test_bqm(5, seed=3)
    protocol = Survival((1, -1, -1, 1, 1), gamma=0.3, time=2.5)
    ours = QAOASampler().run(bqm, protocol, num_reads=10, seed=0, steps=200)
    theirs = exact.run(bqm, protocol, num_reads=10, seed=0)
    assert _distance_by_state(ours, theirs) < 1e-3


# -- GroundState ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_qaoa_energy_is_bounded_by_the_exact_ground_energy(seed):
    bqm = small_test_bqm(6, seed=seed)
    ground = dimod.ExactSolver().sample(bqm).first.energy
    ss = QAOASampler().run(bqm, GroundState(), num_reads=100, seed=seed, reps=2)
    info = ss.info["qflow"]["backend"]
    assert info["energy"] >= ground - 1e-12
    assert info["energy"] == pytest.approx(float(ss.record.probability @ ss.record.energy), abs=1e-12)
    assert info["min_energy"] == pytest.approx(ground)
    assert info["objective"] == pytest.approx(info["energy"] - bqm.offset, abs=1e-12)
    assert info["trace"][0][:-1] == info["initial_point"] and len(info["trace"]) == info["nfev"]
    assert min(row[-1] for row in info["trace"]) == pytest.approx(info["objective"])
    assert info["energy"] < float(np.mean(diagonal_energies(bqm)))  # better than the uniform start


def test_qaoa_reaches_the_ground_energy_on_an_easy_instance():
    # uncoupled spins with equal |h|: one layer at γ|h| = π/4, β = π/4 rotates every qubit onto its ground state
    bqm = dimod.BQM({0: 1.0, 1: -1.0, 2: -1.0, 3: 1.0, 4: -1.0}, {}, 0.0, dimod.SPIN)
    ss = QAOASampler().run(bqm, GroundState(), num_reads=1000, seed=3, reps=1)
    info = ss.info["qflow"]["backend"]
    assert info["energy"] == pytest.approx(-5.0, abs=1e-6)
    assert info["min_energy_probability"] > 1 - 1e-6
    assert int(ss.record.num_occurrences[np.argmin(ss.record.energy)]) == 1000


def test_warm_start_from_the_solution_concentrates_on_it():
    bqm = small_test_bqm(6, seed=4)
    best = dimod.ExactSolver().sample(bqm).first.sample
    plain = QAOASampler().run(bqm, GroundState(), num_reads=10, seed=0, reps=1)
    warm = QAOASampler().run(bqm, GroundState(), num_reads=10, seed=0, reps=1, warm_start=best)
    p_plain = plain.info["qflow"]["backend"]["min_energy_probability"]
    p_warm = warm.info["qflow"]["backend"]["min_energy_probability"]
    assert warm.info["qflow"]["backend"]["warm_start"] is True
    assert p_warm > max(0.75**6, 2 * p_plain)  # at least the (1 − ε)ⁿ of the initial product state
