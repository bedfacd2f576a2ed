"""Non-blocking sampling: :func:`submit` returns a ``concurrent.futures.Future`` of the SampleSet.

By default the run goes to a process-wide thread pool (samplers release the GIL in their compiled kernels and
are safe to share between threads); with a ``distributed.Client`` it goes to that Dask cluster. The seed is
resolved before submitting, so a future's result is the same SampleSet ``sampler.run`` would return.
:func:`run_concurrently` is ``sampler.run_many`` with the runs in flight together, same seeds, same order.

>>> from qflow_core.registry import get_sampler
>>> from qflow_core.models.memory import IsingMemory
>>> bqm = IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm()
>>> sa = get_sampler("sa")
>>> future = submit(sa, bqm, "boltzmann:beta=1", num_reads=50, seed=4)
>>> later = future.result()
>>> later.record.sample.tolist() == sa.run(bqm, "boltzmann:beta=1", num_reads=50, seed=4).record.sample.tolist()
True
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from qflow_core.seeding import child_seeds, resolve_seed

__all__ = ["default_executor", "in_flight", "run_concurrently", "submit"]

_lock = threading.Lock()
_executor: concurrent.futures.ThreadPoolExecutor | None = None


def default_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The shared thread pool (one thread per core) used when no executor or client is given."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="qflow-run")
        return _executor


def submit(
    sampler: Any,
    bqm: Any,
    protocol: Any,
    *,
    num_reads: int = 1000,
    seed: int | None = None,
    client: Any = None,
    executor: concurrent.futures.Executor | None = None,
    **backend_options: Any,
) -> concurrent.futures.Future:
    """Start ``sampler.run(bqm, protocol, …)`` and return its Future at once.

    ``client`` (a ``distributed.Client``) runs it on that cluster, ``executor`` on any
    ``concurrent.futures.Executor``; otherwise on :func:`default_executor`. A sampler tagged
    ``thread_safe=False`` runs on its own copy (``Sampler.for_worker``)."""
    seed = resolve_seed(seed)
    if client is not None:
        executor = client.get_executor(pure=False)
    else:  # threads of this process: a sampler that is not thread-safe gets a copy per run
        sampler = sampler.for_worker() if hasattr(sampler, "for_worker") else sampler
    pool = executor or default_executor()
    return pool.submit(_run, sampler, bqm, protocol, num_reads, seed, backend_options)


def run_concurrently(
    sampler: Any,
    bqm: Any,
    protocols: Sequence[Any],
    *,
    num_reads: int = 1000,
    seed: int | None = None,
    max_workers: int | None = None,
    client: Any = None,
    **backend_options: Any,
) -> list[Any]:
    """``sampler.run_many(bqm, protocols, seed=seed)`` (run ``i`` seeded ``child_seed(seed, i)``), with up to
    ``max_workers`` runs at once (or on ``client``); results in the order of ``protocols``."""
    seeds = child_seeds(resolve_seed(seed), len(protocols))
    if client is not None:
        futures = [
            submit(sampler, bqm, p, num_reads=num_reads, seed=s, client=client, **backend_options)
            for p, s in zip(protocols, seeds, strict=True)
        ]
        return [f.result() for f in futures]
    with concurrent.futures.ThreadPoolExecutor(max_workers or os.cpu_count() or 1) as pool:
        futures = [
            submit(sampler, bqm, p, num_reads=num_reads, seed=s, executor=pool, **backend_options)
            for p, s in zip(protocols, seeds, strict=True)
        ]
        return [f.result() for f in futures]


def in_flight(start: Callable[[], Callable[[], Any]]) -> concurrent.futures.Future:
    """A Future of work that ``start()`` puts in flight from this thread and whose answer comes later.

    ``start()`` (called here, at once) starts the work and returns the call that waits for its result; that
    call is made on a small thread of its own, so any number of such futures can be pending together (each
    waiter sleeps until its answer arrives). An error raised by either half becomes the future's exception.

    >>> future = in_flight(lambda: (lambda: 6 * 7))
    >>> future.result()
    42
    >>> in_flight(lambda: 1 / 0).exception().__class__.__name__
    'ZeroDivisionError'
    """
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_running_or_notify_cancel()
    try:
        wait = start()
    except Exception as exc:
        future.set_exception(exc)
        return future

    def waiter() -> None:
        try:
            future.set_result(wait())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=waiter, name="qflow-in-flight", daemon=True).start()
    return future


def _run(sampler: Any, bqm: Any, protocol: Any, num_reads: int, seed: int, options: dict[str, Any]) -> Any:
    return sampler.run(bqm, protocol, num_reads=num_reads, seed=seed, **options)
