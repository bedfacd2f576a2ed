"""dwave-mock: the dwave code path on MockDWaveSampler, checked by recording what reaches the solver."""

import dimod
import numpy as np
import pytest
from dwave.cloud.exceptions import RequestTimeout
from qflow_dwave import DWaveMock
from qflow_dwave.mock import DEFAULT_MOCK_BETA
from qflow_dwave.physics import reverse_schedule, turning_point
from qflow_dwave.testing import RecordingSubstitute

from qflow_core.errors import BackendError, InvalidInputError
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Survival
from qflow_core.registry import get_sampler
from qflow_core.schedules import default_schedule
from qflow_core.testing import check_sampler, small_test_bqm


class Echo(dimod.Sampler):
    """Returns the reverse anneal's initial_state for every read (a zero-length pause)."""

    parameters = {"initial_state": []}
    properties = {}

    def sample(self, bqm, *, initial_state, num_reads=1, **kwargs):
        row = [initial_state[v] for v in bqm.variables]
        return dimod.SampleSet.from_samples_bqm(([row] * num_reads, list(bqm.variables)), bqm)


def recording_mock(**kwargs):
    substitute = RecordingSubstitute(**{k: kwargs.pop(k) for k in ("fail_on", "num_sweeps") if k in kwargs})
    return DWaveMock(substitute_sampler=substitute, **kwargs), substitute


def dense_bqm(n, seed):
    rng = np.random.default_rng(seed)
    linear = {i: float(rng.uniform(-0.5, 0.5)) for i in range(n)}
    quadratic = {(i, j): float(rng.choice([-0.5, 0.5])) for i in range(n) for j in range(i + 1, n)}
    return dimod.BQM(linear, quadratic, 0.0, "SPIN")


def one_hot_bqm(scores, penalty):
    m = len(scores)
    qubo = {(i, i): -(penalty + scores[i]) for i in range(m)}
    qubo.update({(i, j): 2 * penalty for i in range(m) for j in range(i + 1, m)})
    return dimod.BQM.from_qubo(qubo, offset=penalty)


def test_conformance():
    report = check_sampler(get_sampler("dwave-mock"), num_reads=50)
    assert sorted(report) == ["anneal", "boltzmann", "ground_state", "survival:dephased"]


def test_standard_anneal_parameters_and_gauges_reach_the_solver():
    sampler, rec = recording_mock()
    bqm = dense_bqm(5, 0)
    ss = sampler.run(bqm, Anneal("standard", time_us=37.5), num_reads=103, seed=5, num_spin_reversal_transforms=3)
    assert len(rec.calls) == 3
    assert [kw["annealing_time"] for _, kw in rec.calls] == [37.5] * 3
    assert all("fast_anneal" not in kw and kw["answer_mode"] == "raw" for _, kw in rec.calls)
    assert sum(kw["num_reads"] for _, kw in rec.calls) == 103 == int(ss.record.num_occurrences.sum())
    # each call is the same programmed problem under a different spin-reversal transform
    programs = [b for b, _ in rec.calls]
    ref = programs[0]
    for program in programs[1:]:
        assert set(program.variables) == set(ref.variables)
        assert all(abs(program.get_linear(v)) == pytest.approx(abs(ref.get_linear(v))) for v in ref.variables)
        assert all(abs(program.get_quadratic(u, v)) == pytest.approx(abs(b)) for (u, v), b in ref.quadratic.items())
    signs = {tuple(np.sign([p.get_linear(v) for v in sorted(ref.variables)])) for p in programs}
    assert len(signs) == 3
    info = ss.info["qflow"]["backend"]
    assert info["num_spin_reversal_transforms"] == 3 and info["num_calls"] == 3
    assert info["qpu_parameters"] == {"annealing_time": 37.5}
    assert len(info["qpu_timing"]) == 3
    assert info["qpu_access_time_us"] == pytest.approx(sum(t["qpu_access_time"] for t in info["qpu_timing"]))


def test_without_gauges_one_call_receives_the_embedded_problem():
    sampler, rec = recording_mock()
    bqm = dense_bqm(4, 1)
    ss = sampler.run(bqm, Anneal(), num_reads=20, seed=1, num_spin_reversal_transforms=0)
    assert len(rec.calls) == 1
    chains = dict((v, tuple(c)) for v, c in ss.info["qflow"]["backend"]["embedding"]["chains"])
    program = rec.calls[0][0]
    for v in bqm.variables:  # linear biases are spread over each chain, unflipped
        assert sum(program.get_linear(q) for q in chains[v]) == pytest.approx(bqm.get_linear(v))


def test_fast_anneal_of_a_one_hot_map_runs_through_the_ancilla_transform():
    sampler, rec = recording_mock()
    bqm = one_hot_bqm([0.13, -0.13, 0.64, 0.1, -0.54, 0.36, 1.3, 0.95], penalty=3.1)
    ss = sampler.run(bqm, Anneal("fast"), num_reads=400, seed=2)
    assert len(rec.calls) == 4
    for program, kwargs in rec.calls:
        assert kwargs["fast_anneal"] is True and kwargs["annealing_time"] == 0.02
        assert all(bias == 0 for bias in program.linear.values())
        assert "initial_state" not in kwargs and "anneal_schedule" not in kwargs
    assert ss.vartype is dimod.BINARY and set(ss.variables) == set(range(8))
    assert int(ss.record.num_occurrences.sum()) == 400
    assert np.allclose(ss.record.energy, bqm.energies(ss))
    assert "ancilla" in ss.info["qflow"]["backend"]["linear_biases"]


def test_fast_anneal_samples_stay_boltzmann_through_ancilla_and_chains():
    """Thermal mock + ancilla + chains: MPL β̂ of the restored samples explains their mean energy."""
    from qflow_dwave.physics import estimate_beta

    bqm = one_hot_bqm([0.13, -0.13, 0.64, 0.1, -0.54, 0.36], penalty=2.0).change_vartype("SPIN", inplace=False)
    ss = get_sampler("dwave-mock").run(bqm, Anneal("fast"), num_reads=3000, seed=3)
    reads = dimod.SampleSet.from_samples_bqm(
        (np.repeat(ss.record.sample, ss.record.num_occurrences, 0), list(ss.variables)), bqm
    )
    beta, _ = estimate_beta(bqm, reads, seed=0)
    exact = dimod.ExactSolver().sample(bqm)
    weights = np.exp(-beta * (exact.record.energy - exact.record.energy.min()))
    expected = weights @ exact.record.energy / weights.sum()
    stderr = reads.record.energy.std() / np.sqrt(len(reads))
    assert abs(reads.record.energy.mean() - expected) < 4 * stderr + 0.05 * abs(expected) + 0.05


def test_reverse_anneal_parameters_and_initial_state_across_chains():
    sampler, rec = recording_mock()
    bqm = dense_bqm(12, 2)
    state = tuple(1 if i % 3 else -1 for i in range(12))
    ss = sampler.run(bqm, Survival(state, gamma=0.3, time=4.0, regime="dephased", beta=1.0), num_reads=50, seed=3)
    info = ss.info["qflow"]["backend"]
    assert len(rec.calls) == 1 and info["num_spin_reversal_transforms"] == 0
    _, kwargs = rec.calls[0]
    s_target = turning_point(default_schedule(), gamma=0.3, scale=info["energy_scale"])
    assert info["s_target"] == s_target and 0 < s_target < 1
    assert kwargs["anneal_schedule"] == reverse_schedule(s_target, pause_us=4.0, max_slope=2.0)
    assert kwargs["anneal_schedule"][2][0] - kwargs["anneal_schedule"][1][0] == pytest.approx(4.0)
    assert kwargs["reinitialize_state"] is True and kwargs["auto_scale"] is False
    assert "num_spin_reversal_transforms" not in kwargs and "annealing_time" not in kwargs
    chains = {v: c for v, c in info["embedding"]["chains"]}
    assert info["embedding"]["max_chain_length"] > 1
    logical = dict(zip(bqm.variables, state, strict=True))
    for v, chain in chains.items():
        assert {kwargs["initial_state"][q] for q in chain} == {logical[v]}
    assert info["qpu_parameters"]["initial_state"] == list(state)


def test_reverse_anneal_starts_from_the_logical_state():
    sampler = DWaveMock(substitute_sampler=Echo())
    bqm = dense_bqm(10, 4)
    state = tuple(int(x) for x in np.random.default_rng(0).choice([-1, 1], 10))
    ss = sampler.run(bqm, Survival(state, gamma=0.2, time=1.0, regime="dephased", beta=1.0), num_reads=30, seed=0)
    assert len(ss) == 1 and int(ss.record.num_occurrences[0]) == 30
    assert [ss.first.sample[v] for v in bqm.variables] == list(state)


def test_thermal_survival_leaks_more_with_stronger_field_and_longer_pause():
    bqm = small_test_bqm(4, seed=1)
    ground = dimod.ExactSolver().sample(bqm).first.sample
    state = tuple(int(ground[v]) for v in sorted(bqm.variables))
    sampler = get_sampler("dwave-mock")

    def survival(gamma, time):
        ss = sampler.run(
            bqm, Survival(state, gamma=gamma, time=time, regime="dephased", beta=1.0), num_reads=2000, seed=7
        )
        return (
            sum(n for row, n in zip(ss.record.sample, ss.record.num_occurrences, strict=True) if tuple(row) == state)
            / 2000
        )

    weak, medium, strong = survival(0.005, 1.0), survival(0.2, 10.0), survival(0.5, 20.0)
    assert weak == 1.0  # (almost) no transverse field: no hopping
    assert weak > medium > strong > 0


def native_16_spin_bqm(sampler, seed):
    """A 16-spin glass on a connected patch of the mock's working graph (so it embeds without chains)."""
    import networkx as nx

    graph = sampler.child.to_networkx_graph()
    nodes = list(nx.bfs_tree(graph, next(iter(sorted(graph.nodes))), depth_limit=3))[:16]
    patch = graph.subgraph(nodes)
    rng = np.random.default_rng(seed)
    linear = {q: float(rng.uniform(-0.3, 0.3)) for q in patch.nodes}
    quadratic = {(u, v): float(rng.choice([-0.5, 0.5])) for u, v in patch.edges}
    return dimod.BQM(linear, quadratic, 0.0, "SPIN")


def test_boltzmann_mpl_beta_matches_the_substitutes_true_beta_on_16_spins():
    sampler = get_sampler("dwave-mock")
    bqm = native_16_spin_bqm(sampler, seed=11)
    assert bqm.num_variables == 16 and len(bqm.quadratic) >= 20
    identity = {q: (q,) for q in bqm.variables}
    ss = sampler.run(bqm, Boltzmann(1.0), num_reads=3000, seed=4, rescale=False, embedding=identity)
    info = ss.info["qflow"]["backend"]
    assert info["embedding"]["max_chain_length"] == 1  # no chains: the logical law is exactly Boltzmann
    true_beta = DEFAULT_MOCK_BETA * info["energy_scale"]
    assert abs(info["beta_hat"] - true_beta) <= 2 * info["beta_hat_err"]


def test_boltzmann_rescales_toward_the_requested_beta_within_ranges():
    sampler, rec = recording_mock()
    bqm = small_test_bqm(4, seed=2)
    ss = sampler.run(bqm, Boltzmann(0.4), num_reads=2000, seed=8)
    info = ss.info["qflow"]["backend"]
    assert info["beta_reachable"] and info["energy_scale"] < info["max_energy_scale"]
    assert (
        abs(info["beta_hat"] - 0.4)
        < 3 * info["beta_hat_err"] + 2 * 0.4 * info["pilot_beta_hat_err"] / info["pilot_beta_hat"]
    )
    for program, kwargs in rec.calls:
        assert kwargs["auto_scale"] is False
        assert all(-4 <= b <= 4 for b in program.linear.values()) and all(
            -1 <= b <= 1 for b in program.quadratic.values()
        )
    with pytest.warns(UserWarning, match="colder than the solver reaches"):
        cold = sampler.run(bqm, Boltzmann(50.0), num_reads=200, seed=8)
    assert cold.info["qflow"]["backend"]["beta_reachable"] is False


@pytest.mark.parametrize(
    ("protocol", "options", "match"),
    [
        (Anneal("standard", time_us=0.2), {}, "annealing_time_range"),
        (Anneal("fast", time_us=0.001), {}, "fast_anneal_time_range"),
        (Anneal("fast"), {"qpu_parameters": {"h_gain_schedule": [[0, 1], [0.02, 1]]}}, "does not allow"),
        (Anneal(), {"qpu_parameters": {"beta": 2}}, "does not accept"),
        (Anneal(), {"qpu_parameters": {"num_reads": 2}}, "may not set"),
        (Anneal(), {"sweeps": 10}, "does not understand"),
        (Survival((1, -1, 1, -1), gamma=0.1, time=2500.0, regime="dephased", beta=1.0), {}, "maximum anneal time"),
        (Survival((1, -1, 1, -1), gamma=1e3, time=1.0, regime="dephased", beta=1.0), {}, "smaller gamma"),
        (
            Survival((1, -1, 1, -1), gamma=0.1, time=1.0, regime="dephased", beta=1.0),
            {"num_spin_reversal_transforms": 2},
            "initial_state",
        ),
    ],
)
def test_the_mock_path_rejects_what_the_qpu_would_reject(protocol, options, match):
    sampler, rec = recording_mock()
    with pytest.raises(InvalidInputError, match=match):
        sampler.run(small_test_bqm(), protocol, num_reads=10, seed=0, **options)
    assert rec.calls == []


def test_reads_are_split_by_the_solver_read_limit():
    sampler, rec = recording_mock(num_sweeps=2)
    ss = sampler.run(small_test_bqm(), Anneal(), num_reads=25001, seed=0, num_spin_reversal_transforms=0)
    assert [kw["num_reads"] for _, kw in rec.calls] == [8334, 8334, 8333]
    assert int(ss.record.num_occurrences.sum()) == 25001


def test_transient_failures_are_retried():
    sampler, rec = recording_mock(fail_on={2}, max_retries=2, retry_backoff_s=0.0)
    ss = sampler.run(small_test_bqm(), Anneal(), num_reads=40, seed=1)
    assert len(rec.calls) == 5 and int(ss.record.num_occurrences.sum()) == 40
    again, _ = recording_mock()
    assert np.array_equal(again.run(small_test_bqm(), Anneal(), num_reads=40, seed=1).record.sample, ss.record.sample)


def test_final_failure_keeps_what_was_measured():
    # the run's four calls are made at once (mock calls 1-4), then waited for in order: call 3 fails when made
    # (mock call 3) and on both retries (mock calls 5 and 6)
    sampler, _ = recording_mock(fail_on={3, 5, 6}, max_retries=2, retry_backoff_s=0.0)
    with pytest.raises(BackendError, match="solver call 3 of 4 failed after 3 attempts") as caught:
        sampler.run(small_test_bqm(), Anneal(), num_reads=40, seed=1)
    assert isinstance(caught.value.__cause__, RequestTimeout)
    assert [int(ss.record.num_occurrences.sum()) for ss in caught.value.partial] == [10, 10]


def test_same_seed_reproduces_on_fresh_samplers_and_embeddings_are_cached():
    bqm = dense_bqm(8, 5)
    first = DWaveMock().run(bqm, Anneal(), num_reads=100, seed=9)
    sampler = DWaveMock()
    second = sampler.run(bqm, Anneal(), num_reads=100, seed=9)
    third = sampler.run(bqm, Anneal(), num_reads=100, seed=9)
    for other in (second, third):
        assert np.array_equal(first.record.sample, other.record.sample)
        assert np.array_equal(first.record.num_occurrences, other.record.num_occurrences)
    assert len(sampler._embeddings) == 1


def test_user_embedding_is_used_and_checked():
    bqm = dense_bqm(6, 6)
    chains = DWaveMock().run(bqm, Anneal(), num_reads=10, seed=0).info["qflow"]["backend"]["embedding"]["chains"]
    embedding = {v: tuple(c) for v, c in chains}
    sampler, rec = recording_mock()
    sampler.run(bqm, Anneal(), num_reads=10, seed=0, embedding=embedding, num_spin_reversal_transforms=0)
    assert set(rec.calls[0][0].variables) == {q for c in embedding.values() for q in c}
    with pytest.raises(InvalidInputError, match="embedding"):
        sampler.run(bqm, Anneal(), num_reads=10, seed=0, embedding={v: (10**6,) for v in bqm.variables})


def test_ground_state_of_a_ferromagnet():
    bqm = dimod.BQM({i: -0.1 for i in range(6)}, {(i, i + 1): -1.0 for i in range(5)}, 0.0, "SPIN")
    ss = get_sampler("dwave-mock").run(bqm, GroundState(), num_reads=200, seed=0)
    assert ss.first.energy == pytest.approx(-5.6) and ss.first.sample == {i: 1 for i in range(6)}
    assert "gamma" in ss.info["qflow"]["backend"]


def test_zephyr_topology_and_bad_configuration():
    ss = DWaveMock(topology="zephyr").run(small_test_bqm(), Anneal(), num_reads=10, seed=0)
    assert ss.info["qflow"]["backend"]["solver"]["topology"]["type"] == "zephyr"
    with pytest.raises(InvalidInputError, match="pegasus' or 'zephyr"):
        DWaveMock(topology="chimera")
    with pytest.raises(InvalidInputError, match="beta > 0"):
        DWaveMock(beta=0)
