"""The sqa sampler's contract: conformance, registration, seeds and read independence, options, bad input."""

import dimod
import numpy as np
import pytest
import qflow_sqa
from qflow_sqa import PathIntegralSampler
from qflow_sqa.options import RUN_PARAMETERS
from qflow_sqa.streams import _jumped, _next, seed_states, uniform

from qflow_core import Anneal, Boltzmann, GroundState, Survival
from qflow_core.errors import InvalidInputError, ProblemTooLargeError, UnsupportedProtocolError
from qflow_core.registry import Registry
from qflow_core.testing import check_sampler, small_test_bqm


@pytest.fixture(scope="module")
def sqa():
    return PathIntegralSampler()


def test_conformance(sqa):
    report = check_sampler(sqa, num_reads=30)
    assert set(report) == {"boltzmann", "boltzmann:quantum", "anneal", "survival:dephased", "ground_state"}


def test_registered_through_the_plugin_hook():
    registry = Registry(group="qflow-sqa-test-empty")
    info = registry.register(qflow_sqa)
    assert info.error is None and [s.name for s in info.samplers] == ["sqa"]
    sampler = registry.get("sqa")
    assert isinstance(sampler, PathIntegralSampler)
    assert sampler.supports(Boltzmann(beta=1.0, gamma=0.5)) == "approximate"
    assert registry.supporting(Survival((1, -1), gamma=0.5, time=1)) == []  # coherent survival is not declared


def test_binary_bqm_with_string_labels_gets_its_own_energies(sqa):
    bqm = dimod.BQM({"x": -1.0, "y": 0.5, "z": 0.2}, {("x", "y"): 1.0, ("y", "z"): -0.7}, 0.3, dimod.BINARY)
    ss = sqa.run(bqm, Boltzmann(beta=1.0, gamma=0.4), num_reads=50, seed=3, sweeps=20)
    assert ss.vartype is dimod.BINARY and set(ss.variables) == {"x", "y", "z"}
    np.testing.assert_allclose(ss.record.energy, bqm.energies(ss), atol=1e-12)


def test_one_row_per_read_and_reads_do_not_depend_on_how_many_are_run(sqa):
    bqm = small_test_bqm(5, seed=1)
    protocol = Boltzmann(beta=1.0, gamma=0.5)
    many = sqa.run(bqm, protocol, num_reads=40, seed=11, sweeps=30)
    few = sqa.run(bqm, protocol, num_reads=7, seed=11, sweeps=30)
    again = sqa.run(bqm, protocol, num_reads=40, seed=11, sweeps=30)
    other = sqa.run(bqm, protocol, num_reads=40, seed=12, sweeps=30)
    assert len(many) == 40 and np.all(many.record.num_occurrences == 1)
    np.testing.assert_array_equal(many.record.sample[:7], few.record.sample)
    np.testing.assert_array_equal(many.record.sample, again.record.sample)
    assert not np.array_equal(many.record.sample, other.record.sample)
    assert len({tuple(row) for row in many.record.sample}) > 5  # reads are not copies of one another


def test_random_stream_is_the_reference_xoshiro256plus():
    # reference values from Blackman & Vigna's xoshiro256plus.c (next() and jump()) started from state 1, 2, 3, 4
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert _next(state) == 5
    states = np.empty((2, 4), dtype=np.uint64)
    _jumped(state, states)
    expected = [9215412460233993183, 11043663160823429898, 15978643180850471764, 3099002605011926536]
    assert states[1].tolist() == expected
    u, *_ = uniform(*(np.uint64(v) for v in expected))
    assert u == 6012897981077109 * 2.0**-53


def test_info_states_the_physics(sqa):
    bqm = small_test_bqm(4)
    quantum = sqa.run(bqm, Boltzmann(beta=2.0, gamma=0.5), num_reads=10, seed=1, trotter_slices=16, sweeps=10)
    details = quantum.info["qflow"]["backend"]
    assert details["trotter_slices"] == 16 and details["returned_slice"] == 0
    assert details["trotter_step"] == pytest.approx(2.0 * 0.5 / 16) and "(beta/P)^2" in details["trotter_error"]
    assert 0 < details["acceptance"]["single_spin"] < 1 and 0 <= details["acceptance"]["world_line"] <= 1
    anneal = sqa.run(bqm, Anneal("fast"), num_reads=10, seed=1).info["qflow"]["backend"]
    assert anneal["sweeps"] == 10 and anneal["temperature_mk"] == 12.0
    assert anneal["beta_per_ghz"] == pytest.approx(4.0, rel=1e-3) and "not physical time" in anneal["time_mapping"]
    ground = sqa.run(bqm, GroundState(1.0), num_reads=5, seed=1, sweeps=4).info["qflow"]["backend"]
    assert ground["trotter_slices"] == 64 and ground["final_beta"] == 16.0  # P = max(32, ceil(4 β Γ))


def test_declared_options_are_the_dimod_parameters(sqa):
    assert {p.name for p in RUN_PARAMETERS} <= set(sqa.parameters)
    assert {"num_reads", "seed", "protocol"} <= set(sqa.parameters)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"trotter_slices": 1}, "trotter_slices must be an integer ≥ 2"),
        ({"trotter_slices": 8.0}, "trotter_slices must be an integer"),
        ({"sweeps": 0}, "sweeps must be an integer ≥ 1"),
        ({"temperature_mk": -3}, "temperature_mk must be a number > 0"),
        ({"world_line_moves": "yes"}, "world_line_moves must be true or false"),
        ({"trotter_slice": 8}, "did you mean 'trotter_slices'"),
    ],
)
def test_bad_options_say_what_to_change(sqa, options, message):
    with pytest.raises(InvalidInputError, match=message):
        sqa.run(small_test_bqm(3), Boltzmann(beta=1.0, gamma=0.5), num_reads=5, seed=1, **options)


def test_a_trotter_step_too_large_asks_for_more_slices(sqa):
    with pytest.raises(InvalidInputError, match=r"use trotter_slices >= 80"):
        sqa.run(small_test_bqm(3), Boltzmann(beta=10.0, gamma=2.0), num_reads=5, seed=1, trotter_slices=4)


def test_a_field_too_weak_to_represent_is_refused(sqa):
    # β Γ / P underflows to 0 and the slice coupling -½ ln tanh(βΓ/P) would be infinite
    with pytest.raises(InvalidInputError, match="too weak to represent; use gamma = 0"):
        sqa.run(small_test_bqm(3), Boltzmann(beta=1e-200, gamma=1e-200), num_reads=5, seed=1)


def test_bad_schedules_are_refused(sqa):
    with pytest.raises(InvalidInputError, match="s must increase strictly from 0 to 1"):
        Anneal(schedule=((0.0, 5.0, 0.1), (1.5, 0.1, 5.0)))
    with pytest.raises(InvalidInputError, match=r"slice coupling is not finite at s = 1 \(A\(s\) = 0 GHz"):
        sqa.run(small_test_bqm(3), Anneal(schedule=((0.0, 5.0, 0.1), (1.0, 0.0, 5.0))), num_reads=5, seed=1)


def test_survival_takes_its_sweeps_from_time_and_coherent_survival_is_refused(sqa):
    bqm = small_test_bqm(3)
    dephased = Survival((1, -1, 1), gamma=0.5, time=2.5, regime="dephased", beta=1.0)
    assert sqa.run(bqm, dephased, num_reads=5, seed=1).info["qflow"]["backend"]["sweeps"] == 3
    with pytest.raises(InvalidInputError, match="drop the sweeps option"):
        sqa.run(bqm, dephased, num_reads=5, seed=1, sweeps=10)
    with pytest.raises(UnsupportedProtocolError, match="no real-time unitary dynamics"):
        sqa.run(bqm, Survival((1, -1, 1), gamma=0.5, time=1.0), num_reads=5, seed=1)


def test_too_many_slice_spins_is_refused_before_allocating(sqa):
    bqm = dimod.BQM({i: 0.1 for i in range(100)}, {}, 0.0, dimod.SPIN)
    with pytest.raises(ProblemTooLargeError, match="use fewer trotter_slices"):
        sqa.run(bqm, Boltzmann(beta=1.0, gamma=0.5), num_reads=1, seed=1, trotter_slices=2**21)


def _reference_chain(bqm, a, jp, slices, sweeps, states):
    """Plain Metropolis on the slice ring, energies recomputed from the BQM: what the kernel must reproduce."""
    mask = (1 << 64) - 1

    def uniform(s):
        result = (s[0] + s[3]) & mask
        t = (s[1] << 17) & mask
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & mask
        return (result >> 11) * 2.0**-53

    order = list(bqm.variables)
    energy = lambda row: bqm.energy(dict(zip(order, row, strict=True))) - bqm.offset  # noqa: E731
    reads = []
    for state in states:
        s = [int(v) for v in state]
        ring = [[1 if uniform(s) < 0.5 else -1 for _ in order] for _ in range(slices)]
        for _ in range(sweeps):
            for k in range(slices):
                for i in range(len(order)):
                    flipped = [*ring[k][:i], -ring[k][i], *ring[k][i + 1 :]]
                    neighbours = ring[k - 1][i] + ring[(k + 1) % slices][i]
                    x = -a * (energy(flipped) - energy(ring[k])) - 2 * jp * ring[k][i] * neighbours
                    if uniform(s) < np.exp(x):
                        ring[k] = flipped
            for i in range(len(order)):
                x = -a * sum(energy([*row[:i], -row[i], *row[i + 1 :]]) - energy(row) for row in ring)
                if uniform(s) < np.exp(x):
                    for row in ring:
                        row[i] = -row[i]
        reads.append(ring[0])
    return np.array(reads)


def test_the_kernel_is_plain_metropolis_on_the_slice_ring(sqa):
    # same streams, same proposal order: the fast path (bounds instead of exponentials) changes no decision
    bqm, beta, gamma, slices, sweeps = small_test_bqm(3, seed=6), 1.5, 0.8, 4, 15
    ss = sqa.run(bqm, Boltzmann(beta=beta, gamma=gamma), num_reads=10, seed=21, trotter_slices=slices, sweeps=sweeps)
    a, jp = beta / slices, -0.5 * np.log(np.tanh(beta * gamma / slices))
    expected = _reference_chain(bqm, a, jp, slices, sweeps, seed_states(21, 10))
    np.testing.assert_array_equal(ss.record.sample, expected)
