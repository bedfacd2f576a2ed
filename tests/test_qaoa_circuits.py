"""qaoa: the numpy statevector path equals Qiskit's own circuits, and shot-based primitives agree with it."""

import numpy as np
import pytest
from qflow_qaoa import QAOASampler
from qflow_qaoa.circuits import default_pass_manager, qaoa_circuit
from qflow_qaoa.distribution import exact_sampleset
from qflow_qaoa.ising import diagonal_energies, ising_operator
from qflow_qaoa.statevector import basis_state, evolve, plus_state, product_state
from qflow_qaoa.variational import warm_start_thetas
from qiskit.quantum_info import Statevector

from qflow_core import Anneal, GroundState, Survival
from qflow_core.testing import small_test_bqm

pytestmark = pytest.mark.filterwarnings("error")

N = 5


def _qiskit_state(circuit, values):
    # transpiled first: an evolution gate would otherwise become a dense sparse-expm matrix
    bound = default_pass_manager().run(circuit).remove_final_measurements(inplace=False).assign_parameters(values)
    return Statevector(bound).data


def _overlap(a, b):
    return abs(np.vdot(a, b))


@pytest.mark.parametrize("reps", [1, 3, 11])
def test_plain_qaoa_matches_qiskit_statevector(reps):
    bqm = small_test_bqm(N, seed=reps)
    op, _ = ising_operator(bqm)
    rng = np.random.default_rng(reps)
    betas, gammas = rng.normal(size=reps), rng.normal(size=reps)
    ours = evolve(plus_state(N), diagonal_energies(bqm), betas, gammas)
    theirs = _qiskit_state(qaoa_circuit(op, reps), np.concatenate([betas, gammas]))
    assert _overlap(ours, theirs) == pytest.approx(1.0, abs=1e-12)  # equal up to the offset's global phase


def test_basis_start_matches_qiskit_statevector():
    bqm = small_test_bqm(N, seed=7)
    op, _ = ising_operator(bqm)
    state = (1, -1, -1, 1, 1)
    index = 0b11001
    betas, gammas = [0.3, -0.7], [0.5, 1.1]
    ours = evolve(basis_state(N, index), diagonal_energies(bqm), betas, gammas)
    theirs = _qiskit_state(qaoa_circuit(op, 2, initial_spins=state), betas + gammas)
    assert _overlap(ours, theirs) == pytest.approx(1.0, abs=1e-12)


def test_warm_start_matches_qiskit_statevector():
    bqm = small_test_bqm(N, seed=8)
    op, _ = ising_operator(bqm)
    thetas = warm_start_thetas([1, -1, 0.2, -0.5, 1], epsilon=0.2)
    assert np.sin(thetas[0] / 2) ** 2 == pytest.approx(0.8)  # P(s_0 = +1) = 1 - ε
    betas, gammas = [0.4, -0.2], [0.9, 0.3]
    ours = evolve(product_state(thetas), diagonal_energies(bqm), betas, gammas, thetas)
    theirs = _qiskit_state(qaoa_circuit(op, 2, warm_thetas=thetas), betas + gammas)
    assert _overlap(ours, theirs) == pytest.approx(1.0, abs=1e-12)
    # the warm-start state is an eigenstate of its own mixer: β alone leaves the distribution unchanged
    start = product_state(thetas)
    mixed = evolve(start.copy(), diagonal_energies(bqm), [0.8], [0.0], thetas)
    np.testing.assert_allclose(np.abs(mixed) ** 2, np.abs(start) ** 2, atol=1e-12)


def _total_variation(sampleset, exact):
    p = dict(zip(map(tuple, exact.record.sample.tolist()), exact.record.probability, strict=True))
    shots = sampleset.record.num_occurrences.sum()
    rows = zip(sampleset.record.sample.tolist(), sampleset.record.num_occurrences, strict=True)
    q = {tuple(s): c / shots for s, c in rows}
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


@pytest.mark.parametrize("primitive", ["statevector", "aer"])
@pytest.mark.parametrize(
    "protocol", [Anneal("fast", time_us=0.003), Survival((1, -1, 1, 1, -1), gamma=0.6, time=1.5)], ids=str
)
def test_shot_based_primitives_sample_the_exact_distribution(primitive, protocol):
    bqm = small_test_bqm(N, seed=3)
    options = {"layers": 40, "steps": 12}
    exact = QAOASampler().run(bqm, protocol, num_reads=1, seed=0, **options)
    shots = QAOASampler(primitive=primitive).run(bqm, protocol, num_reads=20000, seed=5, **options)
    assert int(shots.record.num_occurrences.sum()) == 20000
    # 32 outcomes, 20000 shots: the expected TV distance of the empirical law is about 0.01
    assert _total_variation(shots, exact) < 0.03


def test_user_supplied_primitive_runs_the_real_circuits():
    from qiskit.primitives import StatevectorSampler

    bqm = small_test_bqm(4, seed=1)
    sampler = QAOASampler(primitive=StatevectorSampler(seed=11))
    ss = sampler.run(bqm, GroundState(), num_reads=20000, seed=0, reps=1, maxiter=12)
    info = ss.info["qflow"]["backend"]
    assert info["primitive"] == "StatevectorSampler" and info["primitive_seeded"] is False
    assert info["energy_is_exact"] is False and info["nfev"] == len(info["trace"]) <= 12
    # the counts are those of the circuit at the returned optimum: compare with its exact statevector law
    beta, gamma = info["optimal_point"]
    psi = evolve(plus_state(4), diagonal_energies(bqm), [beta], [gamma])
    exact = exact_sampleset(bqm, np.abs(psi) ** 2, num_reads=1, seed=0)
    assert _total_variation(ss, exact) < 0.03
