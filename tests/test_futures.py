"""Sampler.submit and run_concurrently: the same bits as run/run_many, on threads and on a Dask client."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest

from qflow_core.futures import run_concurrently
from qflow_core.models.memory import IsingMemory
from qflow_core.registry import get_sampler

PROTOCOLS = ["boltzmann:beta=0.5", "boltzmann:beta=1", "boltzmann:beta=2", "anneal:kind=standard"]


@pytest.fixture(scope="module")
def bqm():
    rng = np.random.default_rng(3)
    J = rng.normal(size=(6, 6))
    return IsingMemory((J + J.T) / 2 * (1 - np.eye(6)), h=rng.normal(size=6)).to_bqm()


def samples(sampleset):
    return sampleset.record.sample.tolist(), sampleset.record.energy.tolist()


def test_submit_returns_a_future_of_the_same_sampleset_as_run(bqm):
    sa = get_sampler("sa")
    future = sa.submit(bqm, "boltzmann:beta=1", num_reads=200, seed=9)
    assert isinstance(future, concurrent.futures.Future)
    assert samples(future.result()) == samples(sa.run(bqm, "boltzmann:beta=1", num_reads=200, seed=9))


def test_many_submits_in_flight_give_run_many_in_order(bqm):
    sa = get_sampler("sa")
    serial = sa.run_many(bqm, PROTOCOLS, num_reads=100, seed=5)
    concurrent_runs = run_concurrently(sa, bqm, PROTOCOLS, num_reads=100, seed=5, max_workers=4)
    assert [samples(s) for s in concurrent_runs] == [samples(s) for s in serial]
    assert len({str(samples(s)) for s in serial}) == len(PROTOCOLS)


def test_submit_to_a_dask_client(bqm):
    from distributed import Client, LocalCluster

    exact = get_sampler("enum")
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        future = exact.submit(bqm, "boltzmann:beta=1", num_reads=300, seed=2, client=client)
        assert isinstance(future, concurrent.futures.Future)
        result = future.result(timeout=60)
        many = run_concurrently(exact, bqm, PROTOCOLS[:3], num_reads=50, seed=1, client=client)
    assert samples(result) == samples(exact.run(bqm, "boltzmann:beta=1", num_reads=300, seed=2))
    assert [samples(s) for s in many] == [samples(s) for s in exact.run_many(bqm, PROTOCOLS[:3], num_reads=50, seed=1)]


def test_a_failing_run_raises_from_result(bqm):
    future = get_sampler("enum").submit(bqm, "anneal:kind=standard", num_reads=10, seed=0)
    with pytest.raises(Exception, match="anneal"):
        future.result()


def test_a_sampler_that_is_not_thread_safe_runs_on_its_own_copy():
    from qflow_core.futures import submit
    from qflow_core.models.memory import IsingMemory
    from qflow_core.registry import get_sampler

    shared = get_sampler("sa")
    shared.tags = {**shared.tags, "thread_safe": False}  # as a plugin that keeps per-call state would declare
    seen = []
    original = type(shared).run

    def run(self, *args, **kwargs):
        seen.append(self)
        return original(self, *args, **kwargs)

    type(shared).run, bqm = run, IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm()
    try:
        futures = [submit(shared, bqm, "boltzmann:beta=1", num_reads=20, seed=s) for s in (1, 2)]
        results = [f.result() for f in futures]
    finally:
        type(shared).run = original
    assert all(sampler is not shared for sampler in seen) and len({id(s) for s in seen}) == 2
    assert (
        results[0].record.sample.tolist()
        == shared.run(bqm, "boltzmann:beta=1", num_reads=20, seed=1).record.sample.tolist()
    )
