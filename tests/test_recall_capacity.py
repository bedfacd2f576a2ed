"""Zero-temperature dynamics (A32), recall (Eq. 41), sampler recall and the capacity experiment (THEORY §6)."""

import itertools
import json

import numpy as np
import pytest

from qflow_core import IsingMemory
from qflow_core.errors import InvalidInputError
from qflow_core.experiments.capacity import CapacityResult, capacity, split_rule_list
from qflow_core.experiments.recall import RecallResult, corrupt, recall, zero_temperature_dynamics
from qflow_core.learning.rules import Hebbian, MeasuredFlowHebbian, SoftmaxHebbian


def test_a32_energy_never_increases_on_random_symmetric_couplings():
    rng = np.random.default_rng(32)
    for trial in range(20):
        n = int(rng.integers(3, 9))
        J = np.triu(rng.normal(size=(n, n)), 1)
        memory = IsingMemory(J + J.T, h=rng.normal(size=n) if trial % 2 else None)
        starts = rng.choice([-1, 1], size=(10, n))
        result = zero_temperature_dynamics(memory, starts, rng=rng, max_sweeps=50, record=True)
        energies = memory.energy(result.trajectory.reshape(-1, n)).reshape(result.trajectory.shape[:2])
        assert np.all(np.diff(energies, axis=0) <= 1e-12)
        assert result.converged.all()
        gaps = memory.flip_gaps(result.states)
        assert np.all(gaps >= -1e-12)  # every final state is a fixed point of sgn(u)


def test_a32_single_pattern_basin_is_everything_with_positive_overlap():
    xi = np.array([1, -1, 1, 1, -1, -1, 1, -1])
    memory = Hebbian.store(xi[None, :])
    starts = np.array(list(itertools.product([-1, 1], repeat=8)))
    starts = starts[starts @ xi > 0]  # m₀ > 0: the 93 states of THEORY §6
    assert len(starts) == 93
    final = zero_temperature_dynamics(memory, starts, rng=0).states
    assert np.all(final == xi)


def test_a31_recall_from_two_flips():
    xi = np.array([[1, -1, 1, 1, -1, -1, 1, -1], [1, 1, -1, 1, -1, 1, -1, -1]])
    memory = Hebbian.store(xi)
    cue = xi[0].copy()
    cue[[1, 4]] *= -1
    assert np.array_equal(zero_temperature_dynamics(memory, cue, rng=0).states[0], xi[0])
    result = recall(memory, xi, flip_fraction=0.125, trials=5, seed=0)
    assert result.overlaps.shape == (5, 2)
    assert np.allclose(result.initial_overlaps, 0.75)  # 1 of 8 bits flipped: m₀ = 1 − 2/8
    assert result.mean_overlap == 1.0 and result.exact_fraction == 1.0  # every bit has Δ = 1.5 > crosstalk


def test_corrupt_flips_exactly_the_requested_bits():
    patterns = np.ones((50, 40))
    cues = corrupt(patterns, 0.1, np.random.default_rng(0))
    assert np.all((cues == -1).sum(axis=1) == 4)
    assert len({tuple(np.flatnonzero(c == -1)) for c in cues}) > 40


def test_recall_is_seeded_and_saves(tmp_path):
    xi = np.random.default_rng(1).choice([-1, 1], size=(8, 60))
    memory = Hebbian.store(xi)
    a = recall(memory, xi, flip_fraction=0.2, trials=3, seed=7)
    b = recall(memory, xi, flip_fraction=0.2, trials=3, seed=7)
    np.testing.assert_array_equal(a.overlaps, b.overlaps)
    assert isinstance(a, RecallResult)
    assert json.loads(a.save(tmp_path / "r.json").read_text())["method"] == "zero-temperature"
    assert a.plot(tmp_path / "r.png").stat().st_size > 1000


def test_sampler_recall_through_survival_on_sa():
    xi = np.random.default_rng(2).choice([-1, 1], size=(3, 40))
    memory = Hebbian.store(xi)
    protocol = "survival:gamma=0.1,time=30,regime=dephased,beta=8"
    lowest = recall(memory, xi, flip_fraction=0.1, trials=2, seed=0, sampler="sa", protocol=protocol, num_reads=20)
    majority = recall(
        memory, xi, flip_fraction=0.1, trials=2, seed=0, sampler="sa", protocol=protocol, num_reads=20, read="majority"
    )
    assert lowest.method == "sampler:sa" and lowest.protocol["regime"] == "dephased"
    assert lowest.mean_overlap == 1.0 and majority.mean_overlap == 1.0
    with pytest.raises(InvalidInputError, match="Survival protocol"):
        recall(memory, xi, flip_fraction=0.1, sampler="sa")
    with pytest.raises(InvalidInputError, match="needs a sampler"):
        recall(memory, xi, flip_fraction=0.1, protocol=protocol)


@pytest.fixture(scope="module")
def capacity_n100():
    """THEORY §6 illustration protocol at N = 100 (β = 4, η = 0.05, 300 steps, Hebb init, ‖J‖_F fixed)."""
    return capacity([Hebbian(), SoftmaxHebbian(beta=4.0)], n=100, loads=[0.1, 0.2, 0.3], trials=2, seed=0)


def test_capacity_softmax_hebbian_keeps_every_pattern_where_hebb_fails(capacity_n100):
    result = capacity_n100
    hebb = result.series("hebbian", "stable_fraction")
    soft = result.series("softmax-hebbian(beta=4.0,survival=False)", "stable_fraction")
    assert soft.tolist() == [1.0, 1.0, 1.0]
    assert hebb[1] < 1.0 and hebb[2] < 0.5  # Hebb loses fixed points by α = 0.2 and fails at 0.3
    assert np.all(result.series("softmax-hebbian(beta=4.0,survival=False)", "min_gap") > 1.0)
    assert result.series("softmax-hebbian(beta=4.0,survival=False)", "overlap").min() == 1.0
    assert result.series("hebbian", "overlap")[2] < 0.8


def test_capacity_hebb_matches_recall_and_gap_definitions(capacity_n100):
    """Independent recomputation of one Hebb row from the same seeded patterns."""
    rows = [r for r in capacity_n100.rows if r["rule"] == "hebbian" and r["load"] == 0.3]
    per_trial = []
    for trial in range(2):
        patterns = np.random.default_rng([0, trial, 30]).choice([-1, 1], size=(30, 100))
        gaps = Hebbian.store(patterns).flip_gaps(patterns)
        per_trial.append(np.mean(gaps.min(axis=1) > 0))
    assert rows[0]["stable_fraction_trials"] == per_trial


def test_capacity_result_io(capacity_n100, tmp_path):
    assert isinstance(capacity_n100, CapacityResult)
    data = json.loads(capacity_n100.save(tmp_path / "c.json").read_text())
    assert len(data["rows"]) == 6 and data["n"] == 100
    assert capacity_n100.plot(tmp_path / "c.png").stat().st_size > 1000
    assert "hebbian" in capacity_n100.table()


def test_capacity_input_checks():
    with pytest.raises(InvalidInputError, match="closed-form"):
        capacity([MeasuredFlowHebbian("survival:gamma=0.1,time=1")], n=10, loads=[0.1])
    with pytest.raises(InvalidInputError, match="loads"):
        capacity(["hebb"], n=10, loads=[])
    assert split_rule_list("hebb,lorentzian-hebbian:gamma=0.25,sign=physical,mpf") == [
        "hebb",
        "lorentzian-hebbian:gamma=0.25,sign=physical",
        "mpf",
    ]
