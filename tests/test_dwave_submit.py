"""dwave-mock submit: Ocean's asynchronous sampling, many problems in flight, same bits as run, solver errors.

The solver is made asynchronous the way a real QPU is: ``GatedSolver`` wraps the mock QPU in a structured dimod
sampler whose ``sample`` returns at once ``SampleSet.from_future`` of a future that computes the mock's answer
only once the test opens a gate.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import dimod
import numpy as np
import pytest
from dwave.cloud.exceptions import RequestTimeout, SolverFailureError
from qflow_dwave import DWave, DWaveMock
from qflow_dwave.mock import ThermalSubstitute, build_mock

from qflow_core.errors import BackendError
from qflow_core.protocols import Anneal, Boltzmann
from qflow_core.testing import small_test_bqm

TOKEN = "DEV-0123456789abcdef-not-real"


class GatedSolver(dimod.Sampler, dimod.Structured):
    """``mock`` answering later: each call returns an unresolved SampleSet; answers come after ``gate`` opens.

    ``failures`` (call number → exception) makes those calls fail when they are answered."""

    def __init__(self, mock, gate, failures=None):
        self.mock, self.gate, self.failures = mock, gate, dict(failures or {})
        self.calls = 0
        self._pool = ThreadPoolExecutor(1)

    properties = property(lambda self: self.mock.properties)
    parameters = property(lambda self: self.mock.parameters)
    nodelist = property(lambda self: self.mock.nodelist)
    edgelist = property(lambda self: self.mock.edgelist)

    def sample(self, bqm, **kwargs):
        self.calls += 1
        failure = self.failures.get(self.calls)

        def answer():
            assert self.gate.wait(30), "the test never opened the gate"
            if failure is not None:
                raise failure
            return self.mock.sample(bqm, **kwargs)

        return dimod.SampleSet.from_future(self._pool.submit(answer))


class GatedMock(DWaveMock):
    def __init__(self, gate, failures=None, **kwargs):
        super().__init__(**kwargs)
        self.gate, self.failures = gate, failures

    def _connect(self):
        return GatedSolver(super()._connect(), self.gate, self.failures)


def same_run(a, b):
    assert list(a.variables) == list(b.variables)
    assert np.array_equal(a.record.sample, b.record.sample)
    assert np.array_equal(a.record.num_occurrences, b.record.num_occurrences)
    backend_a, backend_b = (dict(ss.info["qflow"]["backend"]) for ss in (a, b))
    for backend in (backend_a, backend_b):
        backend.pop("qpu_timing")
    assert backend_a == backend_b


@pytest.mark.parametrize("protocol", [Anneal("standard"), Boltzmann(beta=0.5)], ids=["anneal", "boltzmann"])
def test_submit_result_equals_run_bit_for_bit(protocol):
    bqm = small_test_bqm(5, seed=2)
    ran = DWaveMock(topology_shape=[4]).run(bqm, protocol, num_reads=120, seed=11, pilot_reads=60)
    future = DWaveMock(topology_shape=[4]).submit(bqm, protocol, num_reads=120, seed=11, pilot_reads=60)
    same_run(future.result(timeout=60), ran)
    assert future.result().info["qflow"]["seed"] == 11


def test_many_problems_are_in_flight_before_any_answer_comes():
    gate = threading.Event()
    gated = GatedMock(gate, topology_shape=[4])
    bqm = small_test_bqm(5, seed=4)
    futures = [
        gated.submit(bqm, Anneal("standard"), num_reads=40, seed=seed, num_spin_reversal_transforms=2)
        for seed in range(8)
    ]
    assert gated.child.calls == 16  # every call of every problem was made before the first answer
    assert not any(future.done() for future in futures)
    gate.set()
    serial = DWaveMock(topology_shape=[4])
    for seed, future in enumerate(futures):
        same_run(
            future.result(timeout=60),
            serial.run(bqm, Anneal("standard"), num_reads=40, seed=seed, num_spin_reversal_transforms=2),
        )


def test_a_transient_failure_at_resolve_is_retried_with_the_same_call():
    gate = threading.Event()
    gate.set()
    flaky = GatedMock(gate, {2: RequestTimeout("API request timed out")}, topology_shape=[4], retry_backoff_s=0.0)
    bqm = small_test_bqm(4, seed=1)
    result = flaky.submit(bqm, Anneal(), num_reads=40, seed=3).result(timeout=60)
    assert flaky.child.calls == 5  # four gauges, call 2 made again
    same_run(result, DWaveMock(topology_shape=[4]).run(bqm, Anneal(), num_reads=40, seed=3))


class GatedDWave(DWave):
    """The ``dwave`` sampler (token, redaction) with the gated mock as its QPU."""

    def __init__(self, gate, failures, **kwargs):
        super().__init__(**kwargs)
        self.gate, self.failures = gate, failures

    def _connect(self):
        return GatedSolver(build_mock("pegasus", [4], ThermalSubstitute()), self.gate, self.failures)


def test_a_solver_error_at_resolve_is_the_futures_backend_error_with_the_token_redacted():
    gate = threading.Event()
    failure = SolverFailureError(f"problem rejected for token {TOKEN}")
    sampler = GatedDWave(gate, {1: failure}, token=TOKEN, max_retries=0)
    future = sampler.submit(small_test_bqm(4, seed=1), Anneal(), num_reads=20, seed=0)
    assert not future.done()  # the error comes with the answer, not when the problem is sent
    gate.set()
    error = future.exception(timeout=60)
    assert isinstance(error, BackendError)
    assert "solver call 1 of 4 failed (SolverFailureError: problem rejected for token ***)" in str(error)
    assert TOKEN not in repr(error.__cause__) and error.partial == []


def test_bad_input_is_the_futures_exception():
    from qflow_core.errors import InvalidInputError

    future = DWaveMock(topology_shape=[4]).submit(small_test_bqm(4), Anneal(), num_reads=10, chain_strength=-1.0)
    assert isinstance(future.exception(timeout=10), InvalidInputError)
