"""The Dask client a sweep runs on: an existing cluster's scheduler, or an in-process LocalCluster.

Default: one single-threaded worker process per core, with BLAS/OpenMP/numba pools pinned to one thread in
every worker (set in the environment before the worker starts, so libraries read it at import). N workers each
running a multithreaded BLAS on N cores would run N² threads; pinning keeps one thread per core.
``scheduler`` (or the ``QFLOW_SCHEDULER`` environment variable), e.g. ``tcp://10.0.0.5:8786``, connects to a
running cluster instead: dask-jobqueue on SLURM/PBS, dask-kubernetes, or ``dask scheduler`` + ``dask worker``.

>>> with dask_client(workers=1, processes=False) as client:
...     client.submit(sum, [1, 2]).result()
3
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from qflow_core.errors import BackendError, InvalidInputError

__all__ = ["SCHEDULER_ENV", "WORKER_ENVIRONMENT", "dask_client", "default_workers"]

#: Environment variable naming the scheduler to connect to when ``--scheduler`` is not given.
SCHEDULER_ENV = "QFLOW_SCHEDULER"

#: Set in every worker process before it starts: one thread per BLAS/OpenMP/numba pool.
WORKER_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def dask_client(
    *, workers: int | None = None, scheduler: str | None = None, processes: bool = True, client: Any = None
) -> Iterator[Any]:
    """Yield a ``distributed.Client``: ``client`` itself when given, one connected to ``scheduler`` (or
    ``$QFLOW_SCHEDULER``), else one on a fresh LocalCluster of ``workers`` single-threaded workers (processes,
    or threads of this process with ``processes=False``)."""
    if client is not None:
        yield client
        return
    import dask
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        try:
            connected = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise BackendError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        with connected:
            yield connected
        return
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InvalidInputError(f"workers must be an integer ≥ 1, got {workers!r}")
    environment = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **WORKER_ENVIRONMENT}
    settings = {"distributed.nanny.pre-spawn-environ": environment, "distributed.scheduler.allowed-failures": 3}
    quiet = {name: logging.getLogger(name) for name in ("distributed", "bokeh", "tornado")}
    levels = {name: logger.level for name, logger in quiet.items()}
    for logger in quiet.values():  # the in-process scheduler's INFO lines are not the user's business
        logger.setLevel(logging.ERROR)
    with (
        _restore_levels(quiet, levels),
        dask.config.set(settings),
        LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as local,
    ):
        yield local


@contextlib.contextmanager
def _restore_levels(loggers: dict[str, logging.Logger], levels: dict[str, int]) -> Iterator[None]:
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(levels[name])
