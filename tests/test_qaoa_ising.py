"""qaoa: BQM → QuadraticProgram → Ising conversion and the bit order, pinned on asymmetric instances."""

import dimod
import numpy as np
import pytest
from qflow_qaoa import QAOASampler
from qflow_qaoa.circuits import make_primitive, qaoa_circuit, run_counts
from qflow_qaoa.distribution import bitstring_spins, counts_sampleset
from qflow_qaoa.ising import basis_spins, bqm_to_quadratic_program, diagonal_energies, ising_operator

from qflow_core import GroundState, Survival

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
def asymmetric_bqm():
    """Labels out of sorted order, distinct fields: the ground state is c=+1, a=-1, b=-1, d=+1 (checked below)."""
    return dimod.BQM(
        {"c": -1.0, "a": 0.3, "b": 0.2, "d": -0.1},
        {("c", "a"): 0.5, ("a", "b"): -0.4, ("b", "d"): 0.6},
        1.0,
        dimod.SPIN,
    )


def test_ising_operator_reproduces_every_energy(asymmetric_bqm):
    op, offset = ising_operator(asymmetric_bqm)
    diag = np.real(op.to_matrix(sparse=True).diagonal()) + offset
    spins = basis_spins(4)
    expected = asymmetric_bqm.energies((spins, list(asymmetric_bqm.variables)))
    np.testing.assert_allclose(diag, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(diagonal_energies(asymmetric_bqm), expected, rtol=0, atol=1e-12)
    program = bqm_to_quadratic_program(asymmetric_bqm)
    for k in range(16):  # the QP objective on x = (1 + s)/2, x_i = bit i of k
        x = [(k >> i) & 1 for i in range(4)]
        assert program.objective.evaluate(x) == pytest.approx(expected[k], abs=1e-12)


def test_linear_terms_flip_sign_couplings_do_not():
    op, offset = ising_operator(dimod.BQM({0: 0.7, 1: 0.0}, {(0, 1): -0.25}, 0.5, dimod.SPIN))
    terms = dict(zip(op.paulis.to_labels(), op.coeffs.real, strict=True))
    assert terms["IZ"] == pytest.approx(-0.7)  # s_0 = -Z_0
    assert terms["ZZ"] == pytest.approx(-0.25)
    assert "ZI" not in terms or terms["ZI"] == pytest.approx(0.0)
    assert offset == pytest.approx(0.5)


def test_variable_i_is_qubit_i_and_rightmost_character_i(asymmetric_bqm):
    # basis index k: bit i ↔ variable i; bitstring: character -1-i ↔ variable i
    spins = basis_spins(4)
    assert spins[0b0001].tolist() == [1, -1, -1, -1]
    assert bitstring_spins("0001").tolist() == [1, -1, -1, -1]
    ground = dimod.ExactSolver().sample(asymmetric_bqm).first.sample
    assert ground == {"c": 1, "a": -1, "b": -1, "d": 1}
    k = int(np.argmin(diagonal_energies(asymmetric_bqm)))
    assert k == 0b1001  # c (variable 0) and d (variable 3) are +1
    # a Qiskit circuit that prepares the ground state reads back as that state, labels intact
    state = [ground[v] for v in asymmetric_bqm.variables]
    op, _ = ising_operator(asymmetric_bqm)
    counts = run_counts(
        make_primitive("statevector", seed=0, shots=16), qaoa_circuit(op, 1, initial_spins=state), [0, 0], shots=16
    )
    assert counts == {"1001": 16}
    sample = counts_sampleset(asymmetric_bqm, counts).first
    assert sample.sample == ground and sample.energy == pytest.approx(asymmetric_bqm.energy(ground))


@pytest.mark.parametrize("primitive", ["exact", "statevector", "aer"])
def test_survival_without_field_returns_the_prepared_state(asymmetric_bqm, primitive):
    state = (1, 1, -1, -1)  # c=+1, a=+1, b=-1, d=-1: deliberately not symmetric under reversal
    ss = QAOASampler(primitive=primitive).run(
        asymmetric_bqm, Survival(state, gamma=0.0, time=1.0), num_reads=50, seed=2
    )
    kept = ss.record.num_occurrences > 0
    assert kept.sum() == 1
    observed = dict(zip(ss.variables, ss.record.sample[kept][0].tolist(), strict=True))
    assert observed == {"c": 1, "a": 1, "b": -1, "d": -1}


def test_binary_bqm_round_trip(asymmetric_bqm):
    binary = asymmetric_bqm.change_vartype(dimod.BINARY, inplace=False)
    ss = QAOASampler().run(binary, GroundState(), num_reads=100, seed=4, reps=3)
    assert ss.vartype is dimod.BINARY
    np.testing.assert_allclose(ss.record.energy, binary.energies(ss), atol=1e-9)
    best = ss.record.sample[np.argmax(ss.record.probability)]
    assert dict(zip(ss.variables, best.tolist(), strict=True)) == {"c": 1, "a": 0, "b": 0, "d": 1}
