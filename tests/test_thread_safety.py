"""Every built-in sampler can be shared by threads: seeded runs from a thread pool equal the serial runs.

One sampler instance, eight seeded runs of a small problem, once one after another and once from a
``ThreadPoolExecutor(4)``: samples, energies, occurrence counts and the recorded seed must agree bit for bit.
A sampler that keeps per-call state on the instance (a seed written onto a shared object before each
solver call, say) fails this as soon as two calls interleave.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import dimod
import numpy as np
import pytest

from qflow_core.protocols import Anneal, Boltzmann, GroundState, Survival

SEEDS = [3, 17, 101, 2024, 7, 8, 9, 65535]


def _problem() -> dimod.BinaryQuadraticModel:
    return dimod.BQM(
        {"a": 0.3, "b": -0.2, "c": 0.1, "d": 0.0},
        {("a", "b"): -1.0, ("b", "c"): 0.7, ("c", "d"): -0.5, ("a", "d"): 0.4},
        0.25,
        "SPIN",
    )


def _fingerprint(sampleset: dimod.SampleSet) -> tuple:
    record = sampleset.record
    return (
        tuple(sampleset.variables),
        record.sample.tobytes(),
        record.energy.tobytes(),
        record.num_occurrences.tobytes(),
        sampleset.info["qflow"]["seed"],
    )


def _serial_and_threaded(run) -> tuple[list, list]:
    serial = [_fingerprint(run(seed)) for seed in SEEDS]
    with ThreadPoolExecutor(4) as pool:
        threaded = [_fingerprint(ss) for ss in pool.map(run, SEEDS)]
    return serial, threaded


def _mock(**kwargs):
    from qflow_dwave import DWaveMock

    return DWaveMock(topology_shape=[4], num_sweeps=200, **kwargs)


CASES = {
    "sa": (lambda: _sa(), Boltzmann(beta=1.0), {"num_sweeps": 50}),
    "exact": (lambda: _exact(), Boltzmann(beta=1.0, gamma=0.4), {}),
    "qaoa": (lambda: _qaoa(), GroundState(), {"reps": 1, "maxiter": 20}),
    # the real circuits: transpiled (Qiskit pass managers are not re-entrant) and run on a seeded primitive
    "qaoa statevector": (lambda: _qaoa(primitive="statevector"), Anneal("standard", 0.01), {"layers": 2}),
    "sqa boltzmann": (lambda: _sqa(), Boltzmann(beta=1.0, gamma=0.5), {"sweeps": 50, "trotter_slices": 4}),
    "sqa anneal": (lambda: _sqa(), Anneal("standard", 0.5), {"trotter_slices": 4}),
    "dwave-mock anneal": (_mock, Anneal("standard"), {}),
    "dwave-mock sqa anneal": (lambda: _sqa_mock(), Anneal("standard", 1.0), {}),
    # a hot thermal model, so that the pilot's pseudo-likelihood fit sees excited reads
    "dwave-mock boltzmann": (
        lambda: _mock(beta=0.5),
        Boltzmann(beta=0.2),
        {"pilot_reads": 16, "num_spin_reversal_transforms": 2},
    ),
    "dwave-mock survival": (_mock, Survival(state=(1, -1, 1, 1), gamma=0.5, time=2.0, regime="dephased", beta=1.0), {}),
}


def _sqa_mock():
    from qflow_dwave import DWaveMock

    return DWaveMock(sampler="sqa", topology_shape=[4])


def _sa():
    from qflow_sa import SimulatedAnnealing

    return SimulatedAnnealing()


def _sqa():
    from qflow_sqa import PathIntegralSampler

    return PathIntegralSampler()


def _exact():
    from qflow_exact import ExactSampler

    return ExactSampler()


def _qaoa(**kwargs):
    from qflow_qaoa import QAOASampler

    return QAOASampler(**kwargs)


@pytest.mark.filterwarnings("ignore:β = .* is colder:UserWarning")
@pytest.mark.parametrize("case", list(CASES))
def test_threaded_runs_equal_serial_runs(case):
    make, protocol, options = CASES[case]
    sampler = make()
    bqm = _problem()

    def run(seed):
        return sampler.run(bqm, protocol, num_reads=16, seed=seed, **options)

    serial, threaded = _serial_and_threaded(run)
    assert threaded == serial
    # the runs are really seeded: not all eight seeds give the same reads (else the test proves nothing)
    assert len({fingerprint[1:4] for fingerprint in serial}) > 1


def test_dwave_mock_first_runs_from_many_threads_share_one_connection_and_embedding():
    """Lazily created shared state: four threads making the first call build one mock and embed once."""
    sampler = _mock()
    built = []
    connect = type(sampler)._connect

    def counting_connect(self):
        built.append(threading.get_ident())
        time.sleep(0.05)  # a slow connection: without a lock every waiting thread would build its own
        return connect(self)

    sampler._connect = counting_connect.__get__(sampler)
    bqm = _problem()
    barrier = threading.Barrier(4)

    def first_run(seed):
        barrier.wait()
        return sampler.run(bqm, Anneal("standard"), num_reads=8, seed=seed)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(first_run, SEEDS[:4]))
    assert len(built) == 1
    chains = {str(ss.info["qflow"]["backend"]["embedding"]["chains"]) for ss in results}
    assert len(chains) == 1


def test_dwave_qpu_path_from_threads_matches_serial(monkeypatch):
    """The ``dwave`` sampler (offline: its solver replaced by a mock whose reads depend only on the programmed
    problem) connects once and, under threads, sends every run the gauges its seed asks for."""
    from qflow_dwave import DWave
    from qflow_dwave.mock import build_mock

    class FirstSpinsUp(dimod.Sampler):
        """A deterministic 'QPU': every read is all spins +1 in the programmed (gauge-transformed) frame."""

        parameters = {"num_reads": []}
        properties: dict = {}

        def sample(self, bqm, *, num_reads=1, **_):
            spins = np.ones((num_reads, bqm.num_variables), dtype=np.int8)
            return dimod.SampleSet.from_samples_bqm((spins, list(bqm.variables)), bqm)

    connections = []

    def fake_connect(self):
        connections.append(1)
        return build_mock("pegasus", [4], FirstSpinsUp())

    monkeypatch.setattr(DWave, "_connect", fake_connect)
    sampler = DWave(token="DEV-not-a-real-token")
    bqm = _problem()

    def run(seed):
        return sampler.run(bqm, Anneal("standard"), num_reads=16, seed=seed, num_spin_reversal_transforms=4)

    serial, threaded = _serial_and_threaded(run)
    assert connections == [1]
    assert threaded == serial
    assert len({fingerprint[1] for fingerprint in serial}) > 1  # the gauges differ with the seed


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def _set_blas_threads_elsewhere(count: int) -> None:
    """Set BLAS's thread count from a short-lived thread (which then holds no control over the limit)."""
    from threadpoolctl import threadpool_limits

    setter = threading.Thread(target=lambda: threadpool_limits(limits=count, user_api="blas"))
    setter.start()
    setter.join()


def test_the_exact_solvers_one_thread_blas_limit_holds_until_the_last_thread_leaves():
    """Thread A enters and leaves while B is inside: B must still run on one BLAS thread, and the original
    count must be back once both have left (a per-call ``threadpool_limits`` gets both wrong)."""
    import scipy.linalg  # noqa: F401 - loads scipy's BLAS too
    from qflow_exact.blas import single_blas_thread

    before = _blas_threads()
    _set_blas_threads_elsewhere(2)
    try:
        if _blas_threads() != {2}:
            pytest.skip("this BLAS cannot be set to 2 threads")
        a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()
        seen: dict[str, set[int]] = {}

        def first():
            with single_blas_thread():
                a_inside.set()
                b_inside.wait(5)
            a_left.set()

        def second():
            a_inside.wait(5)
            with single_blas_thread():
                b_inside.set()
                a_left.wait(5)
                seen["inside"] = _blas_threads()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert seen["inside"] == {1}
        assert _blas_threads() == {2}
    finally:
        _set_blas_threads_elsewhere(max(before) if before else 1)


def test_samplers_with_a_lock_still_pickle_and_run_alike():
    import pickle

    sampler = _mock()
    bqm = _problem()
    first = sampler.run(bqm, Anneal("standard"), num_reads=8, seed=5)  # connected, one embedding cached
    copy = pickle.loads(pickle.dumps(sampler))
    assert copy._child is None and len(copy._embeddings) == 1
    assert _fingerprint(copy.run(bqm, Anneal("standard"), num_reads=8, seed=5)) == _fingerprint(first)
