"""dwave-mock run_many: Survival runs from many initial states as one ReverseBatchStatesComposite batch, the
fallback for anything else, and the solver's run-duration limit."""

import dimod
import numpy as np
import pytest
from dwave.cloud.exceptions import RequestTimeout
from dwave.system import ReverseBatchStatesComposite
from dwave.system.testing import MockDWaveSampler
from qflow_dwave import DWaveMock
from qflow_dwave.solver_rules import check_call, max_reads_per_call, run_duration_us
from qflow_dwave.testing import RecordingSubstitute

from qflow_core import IsingMemory
from qflow_core.errors import BackendError, InvalidInputError, UnsupportedProtocolError
from qflow_core.learning.rules import Hebbian, MeasuredFlowHebbian, measure_channels
from qflow_core.protocols import Anneal, Survival
from qflow_core.seeding import MAX_SEED, child_seed
from qflow_core.testing import small_test_bqm


@pytest.fixture
def composite_calls(monkeypatch):
    """Every ReverseBatchStatesComposite.sample call: (initial_states, num_reads, other arguments, its output)."""
    calls = []
    original = ReverseBatchStatesComposite.sample

    def spy(self, bqm, initial_states=None, num_reads=None, **kwargs):
        output = original(self, bqm, initial_states=initial_states, num_reads=num_reads, **kwargs)
        calls.append((initial_states, num_reads, kwargs, output))
        return output

    monkeypatch.setattr(ReverseBatchStatesComposite, "sample", spy)
    return calls


def dense_bqm(n, seed):
    rng = np.random.default_rng(seed)
    linear = {i: float(rng.uniform(-0.5, 0.5)) for i in range(n)}
    quadratic = {(i, j): float(rng.choice([-0.5, 0.5])) for i in range(n) for j in range(i + 1, n)}
    return dimod.BQM(linear, quadratic, 0.0, "SPIN")


def histogram(rows, counts):
    return {tuple(row): int(count) for row, count in zip(rows, counts, strict=True)}


def survivals(states, gamma=0.3, time=2.0):
    return [Survival(tuple(int(x) for x in s), gamma=gamma, time=time, regime="dephased", beta=1.0) for s in states]


def random_states(count, n, seed):
    return np.random.default_rng(seed).choice([-1, 1], size=(count, n))


def test_survival_batch_goes_through_reverse_batch_states_composite(composite_calls):
    substitute = RecordingSubstitute()
    sampler = DWaveMock(substitute_sampler=substitute)
    bqm = dense_bqm(10, 0)
    states = random_states(3, 10, 1)
    results = sampler.run_many(bqm, survivals(states), num_reads=40, seed=5)

    assert len(composite_calls) == 1
    starts, count, shared, output = composite_calls[0]
    assert count == 3 and "initial_state" not in shared
    np.testing.assert_array_equal(starts[0], states)
    assert shared["reinitialize_state"] is True and shared["auto_scale"] is False
    # one solver call per initial state, with the run's read count and the state copied onto every chain
    assert len(substitute.calls) == 3
    for (_, kwargs), state, result in zip(substitute.calls, states, results, strict=True):
        backend = result.info["qflow"]["backend"]
        assert kwargs["num_reads"] == 40 and kwargs["answer_mode"] == "raw"
        assert kwargs["anneal_schedule"] == shared["anneal_schedule"] == backend["qpu_parameters"]["anneal_schedule"]
        assert backend["embedding"]["max_chain_length"] > 1
        logical = dict(zip(bqm.variables, state.tolist(), strict=True))
        for v, chain in backend["embedding"]["chains"]:
            assert {kwargs["initial_state"][q] for q in chain} == {logical[v]}
        assert all(type(x) is int for x in kwargs["initial_state"].values())
        assert backend["qpu_parameters"]["initial_state"] == state.tolist()
    assert [r.info["qflow"]["backend"]["batch"]["index"] for r in results] == [0, 1, 2]
    # the composite's own answer: a histogram per call, tagged with its initial state, of the same reads
    order = [list(output.variables).index(v) for v in bqm.variables]
    for state, result in zip(states, results, strict=True):
        mine = np.all(output.record.initial_state[:, order] == state, axis=1)
        assert histogram(output.record.sample[mine][:, order], output.record.num_occurrences[mine]) == histogram(
            result.record.sample, result.record.num_occurrences
        )


def test_batch_results_equal_individual_runs_with_child_seeds(composite_calls):
    bqm = dense_bqm(8, 2)
    protocols = survivals(random_states(4, 8, 3), gamma=0.4, time=5.0)
    batch = DWaveMock().run_many(bqm, protocols, num_reads=300, seed=17)
    single = DWaveMock()
    assert len(composite_calls) == 1
    for i, (protocol, result) in enumerate(zip(protocols, batch, strict=True)):
        alone = single.run(bqm, protocol, num_reads=300, seed=child_seed(17, i))
        np.testing.assert_array_equal(result.record.sample, alone.record.sample)
        np.testing.assert_array_equal(result.record.num_occurrences, alone.record.num_occurrences)
        record, expected = result.info["qflow"], alone.info["qflow"]
        assert {k: record[k] for k in ("sampler", "protocol", "fidelity", "seed", "num_reads")} == {
            "sampler": "dwave-mock",
            "protocol": protocol.to_dict(),
            "fidelity": "approximate",
            "seed": child_seed(17, i),
            "num_reads": 300,
        }
        assert record["timing"]["wall_s"] > 0
        assert {k: v for k, v in record["backend"].items() if k not in ("batch", "qpu_timing")} == {
            k: v for k, v in expected["backend"].items() if k != "qpu_timing"
        }
        # valid reads of the logical problem: all reads returned, energies from the BQM
        assert int(result.record.num_occurrences.sum()) == 300
        np.testing.assert_allclose(result.record.energy, bqm.energies(result), rtol=0, atol=1e-12)
    # the thermal model leaks: not every read stays in its start
    assert any(len(r) > 1 for r in batch)


def test_binary_bqm_and_reads_split_over_calls(composite_calls):
    substitute = RecordingSubstitute()
    sampler = DWaveMock(substitute_sampler=substitute)
    spin = small_test_bqm(4, seed=3)
    bqm = spin.change_vartype("BINARY", inplace=False)
    states = random_states(2, 4, 4)
    results = sampler.run_many(bqm, survivals(states, gamma=0.01), num_reads=25001, seed=1)
    assert composite_calls[0][1] == 6  # 2 states × 3 calls of ≤ 10000 reads (num_reads_range)
    assert [kw["num_reads"] for _, kw in substitute.calls] == [8334, 8334, 8333] * 2
    chains = results[0].info["qflow"]["backend"]["embedding"]["chains"]
    for k, (_, kwargs) in enumerate(substitute.calls):  # calls 0-2 start in state 0, calls 3-5 in state 1
        logical = dict(zip(bqm.variables, states[k // 3].tolist(), strict=True))
        assert {q: kwargs["initial_state"][q] for _, chain in chains for q in chain} == {
            q: logical[v] for v, chain in chains for q in chain
        }
    for result, state in zip(results, states, strict=True):
        assert result.vartype is dimod.BINARY and int(result.record.num_occurrences.sum()) == 25001
        assert result.info["qflow"]["backend"]["reads_per_call"] == [8334, 8334, 8333]
        # Γ = 0.01 is below the schedule's smallest A/B: no hopping, every read is its start
        assert len(result) == 1 and [2 * result.first.sample[v] - 1 for v in bqm.variables] == state.tolist()


def test_other_protocol_lists_run_one_by_one(composite_calls):
    bqm = small_test_bqm(4, seed=0)
    state = (1, -1, 1, -1)
    mixed = [
        Survival(state, gamma=0.2, time=1.0, regime="dephased", beta=1.0),
        Survival(state, gamma=0.3, time=1.0, regime="dephased", beta=1.0),
        Anneal("standard"),
    ]
    sampler = DWaveMock()
    results = sampler.run_many(bqm, mixed, num_reads=50, seed=4)
    assert composite_calls == []
    for i, (protocol, result) in enumerate(zip(mixed, results, strict=True)):
        alone = DWaveMock().run(bqm, protocol, num_reads=50, seed=child_seed(4, i))
        np.testing.assert_array_equal(result.record.sample, alone.record.sample)
        assert "batch" not in result.info["qflow"]["backend"]
    assert sampler.run_many(bqm, [], seed=0) == []


@pytest.mark.parametrize(
    ("protocols", "options", "error", "match"),
    [
        (survivals([(1, -1, 1, -1)] * 2, gamma=0.1, time=2500.0), {}, InvalidInputError, "maximum anneal time"),
        (survivals([(1, -1, 1, -1)] * 2), {"num_spin_reversal_transforms": 2}, InvalidInputError, "initial_state"),
        (survivals([(1, -1, 1, -1), (1, 1, 1)]), {}, InvalidInputError, "3 spins"),
        (survivals([(1, -1, 1, -1)] * 2), {"sweeps": 3}, InvalidInputError, "does not understand"),
        (
            [Survival((1, -1, 1, -1), gamma=0.1, time=1.0, regime="coherent")] * 2,
            {},
            UnsupportedProtocolError,
            "coherent",
        ),
    ],
)
def test_batch_validation_matches_single_runs(protocols, options, error, match):
    substitute = RecordingSubstitute()
    sampler = DWaveMock(substitute_sampler=substitute)
    with pytest.raises(error, match=match):
        sampler.run_many(small_test_bqm(4), protocols, num_reads=10, seed=0, **options)
    assert substitute.calls == []


def test_batch_failure_keeps_the_states_already_measured():
    substitute = RecordingSubstitute(fail_on={2, 3})
    sampler = DWaveMock(substitute_sampler=substitute, max_retries=1, retry_backoff_s=0.0)
    bqm = small_test_bqm(4, seed=1)
    with pytest.raises(BackendError, match=r"solver call 2 of 3 \(initial state 2 of 3\) failed after 2") as caught:
        sampler.run_many(bqm, survivals(random_states(3, 4, 0)), num_reads=20, seed=0)
    assert isinstance(caught.value.__cause__, RequestTimeout)
    assert [int(ss.record.num_occurrences.sum()) for ss in caught.value.partial] == [20]


def test_measured_flow_rule_batches_its_patterns(composite_calls):
    """MeasuredFlowHebbian runs all patterns as one batch, seeded child_seed(s, μ) with s drawn from its rng."""
    rng = np.random.default_rng(6)
    patterns = rng.choice([-1, 1], size=(3, 6))
    noise = np.triu(rng.normal(0, 0.3, (6, 6)), 1)
    memory = IsingMemory(Hebbian.store(patterns).J + noise + noise.T)
    protocol = "survival:gamma=0.3,time=2,regime=dephased,beta=2"
    rule = MeasuredFlowHebbian(protocol, num_reads=400)
    measured = rule.measure(memory, patterns, sampler=DWaveMock(), rng=np.random.default_rng(9))
    assert len(composite_calls) == 1 and composite_calls[0][1] == 3
    seed = int(np.random.default_rng(9).integers(0, MAX_SEED))
    sampler = DWaveMock()
    for mu, (pattern, m) in enumerate(zip(patterns, measured, strict=True)):
        alone = measure_channels(memory, pattern, sampler, protocol, num_reads=400, seed=child_seed(seed, mu))
        assert (m.survival, m.multi_flip) == (alone.survival, alone.multi_flip)
        np.testing.assert_array_equal(m.channels, alone.channels)
        assert m.sampler_info["seed"] == child_seed(seed, mu)


# -- the solver's run-duration limit --------------------------------------------------------------------------
def test_run_duration_formula_and_read_cap():
    props = MockDWaveSampler(topology_type="pegasus", topology_shape=[2]).properties
    assert props["problem_run_duration_range"][1] == 1e7 and props["default_programming_thermalization"] == 1000
    # D-Wave's QMI runtime limit: (anneal + readout_thermalization)·num_reads + programming_thermalization
    params = {"annealing_time": 2000.0, "readout_thermalization": 1000.0, "num_reads": 100}
    assert run_duration_us(props, params) == 3000.0 * 100 + 1000.0
    schedule = [[0.0, 1.0], [0.5, 0.4], [10.5, 0.4], [11.0, 1.0]]
    assert run_duration_us(props, {"anneal_schedule": schedule, "num_reads": 7, "programming_thermalization": 0}) == 77
    assert max_reads_per_call(props, {"annealing_time": 2000.0, "readout_thermalization": 1000.0}) == 3333
    assert max_reads_per_call(props, {"annealing_time": 20.0}) == 10000  # num_reads_range binds
    bqm = dimod.BQM({0: 0.1}, {}, 0.0, "SPIN")
    mock = MockDWaveSampler(topology_type="pegasus", topology_shape=[2], parameter_warnings=False)
    check_call(mock, bqm, {**params, "num_reads": 3333})
    with pytest.raises(InvalidInputError, match=r"= 1.0003e\+07 µs is outside the solver's problem_run_duration"):
        check_call(mock, bqm, {**params, "num_reads": 3334})
    with pytest.raises(InvalidInputError, match="readout_thermalization_range"):
        check_call(mock, bqm, {"readout_thermalization": 20000.0, "num_reads": 1})


def test_reads_are_split_to_respect_the_run_duration_limit():
    substitute = RecordingSubstitute(num_sweeps=2)
    sampler = DWaveMock(substitute_sampler=substitute)
    options = {"num_spin_reversal_transforms": 0, "qpu_parameters": {"readout_thermalization": 2000.0}}
    ss = sampler.run(small_test_bqm(), Anneal("standard", time_us=2000.0), num_reads=10000, seed=0, **options)
    # (2000 + 2000) µs per read, 1000 µs programming: at most 2499 reads per call under 1e7 µs
    assert [kw["num_reads"] for _, kw in substitute.calls] == [2000] * 5
    assert all(kw["readout_thermalization"] == 2000.0 for _, kw in substitute.calls)
    assert int(ss.record.num_occurrences.sum()) == 10000


def test_a_single_read_over_the_duration_limit_is_rejected():
    substitute = RecordingSubstitute()
    sampler = DWaveMock(substitute_sampler=substitute)
    sampler.child.properties["problem_run_duration_range"] = [0.0, 1500.0]
    with pytest.raises(InvalidInputError, match="problem_run_duration_range"):
        sampler.run(small_test_bqm(), Anneal("standard", time_us=600.0), num_reads=1, seed=0)
    with pytest.raises(InvalidInputError, match="problem_run_duration_range"):
        sampler.run_many(small_test_bqm(), survivals([(1, 1, 1, 1)] * 2, time=600.0), num_reads=1, seed=0)
    assert substitute.calls == []
    ok = sampler.run(
        small_test_bqm(), Anneal("standard", time_us=400.0), num_reads=3, seed=0, num_spin_reversal_transforms=0
    )
    assert int(ok.record.num_occurrences.sum()) == 3 and len(substitute.calls) == 3  # one read per call


def test_fewer_reads_than_gauges_uses_one_gauge_per_read():
    substitute = RecordingSubstitute(num_sweeps=2)
    ss = DWaveMock(substitute_sampler=substitute).run(small_test_bqm(), Anneal(), num_reads=3, seed=0)
    assert [kw["num_reads"] for _, kw in substitute.calls] == [1, 1, 1]
    assert ss.info["qflow"]["backend"]["num_spin_reversal_transforms"] == 3
