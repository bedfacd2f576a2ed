"""The sa plugin: conformance, Boltzmann accuracy against exact enumeration, protocol mapping."""

import dimod
import numpy as np
import pytest
from qflow_sa.sampler import anneal_sweeps

from qflow_core import Anneal, Boltzmann, GroundState, IsingMemory, Survival, get_sampler
from qflow_core.errors import InvalidInputError
from qflow_core.testing import check_sampler


@pytest.fixture(scope="module")
def sa():
    return get_sampler("sa")


def four_spin_memory() -> IsingMemory:
    J = np.array([[0, 0.6, -0.4, 0.2], [0.6, 0, 0.3, -0.5], [-0.4, 0.3, 0, 0.7], [0.2, -0.5, 0.7, 0]])
    return IsingMemory(J, h=[0.3, -0.2, 0.1, 0.0])


def exact_boltzmann(memory: IsingMemory, beta: float) -> tuple[np.ndarray, np.ndarray]:
    n = memory.n
    states = np.array([[1 - 2 * ((k >> i) & 1) for i in range(n)] for k in range(2**n)])
    weights = np.exp(-beta * memory.energy(states))
    return states, weights / weights.sum()


def histogram(sampleset: dimod.SampleSet, states: np.ndarray) -> np.ndarray:
    index = {tuple(s): k for k, s in enumerate(states)}
    counts = np.zeros(len(states))
    for row, occ in zip(sampleset.record.sample, sampleset.record.num_occurrences, strict=True):
        counts[index[tuple(row)]] += occ
    return counts / counts.sum()


def test_conformance(sa):
    report = check_sampler(sa, num_reads=30)
    assert set(report) == {"boltzmann", "anneal", "survival:dephased", "ground_state"}


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_boltzmann_matches_exact_distribution(sa, beta):
    memory = four_spin_memory()
    sampleset = sa.run(memory.to_bqm(), Boltzmann(beta=beta), num_reads=20_000, seed=11)
    states, exact = exact_boltzmann(memory, beta)
    tv = 0.5 * np.abs(histogram(sampleset, states) - exact).sum()
    assert tv < 0.02, f"total variation {tv:.4f} at beta={beta}"


def test_boltzmann_on_binary_bqm_returns_binary(sa):
    bqm = dimod.BQM({"x": -1.0, "y": 0.5}, {("x", "y"): 1.0}, 0.0, dimod.BINARY)
    sampleset = sa.run(bqm, Boltzmann(beta=1.0), num_reads=100, seed=3)
    assert sampleset.vartype is dimod.BINARY
    np.testing.assert_allclose(sampleset.record.energy, bqm.energies(sampleset))


def test_survival_starts_every_read_in_the_state(sa):
    memory = four_spin_memory()
    state = (1, -1, -1, 1)
    frozen = sa.run(
        memory.to_bqm(), Survival(state, gamma=0.5, time=1, regime="dephased", beta=50.0), num_reads=200, seed=5
    )
    # at beta = 50 only downhill flips happen in one sweep: the first sweep from `state` is deterministic
    assert len(frozen.aggregate()) == 1
    hot = sa.run(
        memory.to_bqm(), Survival(state, gamma=0.5, time=3, regime="dephased", beta=0.01), num_reads=2000, seed=5
    )
    stayed = hot.record.num_occurrences[(hot.record.sample == state).all(axis=1)].sum()
    assert len(hot.aggregate()) > 1 and stayed < 0.5 * 2000  # near infinite temperature the chain leaves
    assert hot.info["qflow"]["backend"]["num_sweeps"] == 3


def test_survival_at_a_stable_pattern_mostly_survives(sa):
    memory = four_spin_memory()
    states, p = exact_boltzmann(memory, 1.0)
    ground = tuple(states[np.argmax(p)])
    ss = sa.run(
        memory.to_bqm(), Survival(ground, gamma=0.1, time=1, regime="dephased", beta=3.0), num_reads=2000, seed=2
    )
    survived = ss.record.num_occurrences[(ss.record.sample == ground).all(axis=1)].sum() / 2000
    assert survived > 0.5


def test_anneal_sweeps_follow_time(sa):
    assert anneal_sweeps(20.0) == 1000 and anneal_sweeps(0.02) == 10 and anneal_sweeps(2.0) == 100
    bqm = four_spin_memory().to_bqm()
    assert sa.run(bqm, Anneal("fast"), num_reads=10, seed=1).info["qflow"]["backend"]["num_sweeps"] == 10
    with pytest.warns(UserWarning, match="ignores the energy schedule"):
        sa.run(bqm, Anneal(schedule=[(0, 5, 0.1), (1, 0.01, 10)]), num_reads=10, seed=1)


def test_ground_state_finds_minimum(sa):
    memory = four_spin_memory()
    states, p = exact_boltzmann(memory, 1.0)
    ss = sa.run(memory.to_bqm(), GroundState(0.3), num_reads=50, seed=4)
    assert ss.first.energy == pytest.approx(memory.energy(states[np.argmax(p)]))
    assert "ignored" in ss.info["qflow"]["backend"]["gamma"]


def test_unknown_option_is_rejected(sa):
    with pytest.raises(InvalidInputError, match=r"sa does not understand option 'temperature'"):
        sa.run(four_spin_memory().to_bqm(), Boltzmann(beta=1), num_reads=10, temperature=3)


def test_seed_reproduces_and_is_recorded(sa):
    bqm = four_spin_memory().to_bqm()
    a = sa.run(bqm, Boltzmann(beta=1), num_reads=100)
    b = sa.run(bqm, Boltzmann(beta=1), num_reads=100, seed=a.info["qflow"]["seed"])
    np.testing.assert_array_equal(a.record.sample, b.record.sample)


def test_dimod_sample_entry_point(sa):
    ss = sa.sample(four_spin_memory().to_bqm(), num_reads=5, seed=0)
    assert ss.info["qflow"]["protocol"]["protocol"] == "anneal"
    assert isinstance(sa, dimod.Sampler) and "protocol" in sa.parameters
