"""Running a sweep: skip what the store already holds, submit the rest to Dask, store each row as it comes.

Tasks go out in batches (many tiny tasks would otherwise cost more in scheduling than in work) through a
bounded window of futures consumed with ``as_completed``, so the client holds only the batches in flight,
whatever the number of tasks. Each finished task is written to the store in its own transaction. A task whose
code raises is stored as ``failed`` with its traceback and the sweep goes on; a worker that dies is replaced and
its batch rerun by Dask (``retries``). Ctrl-C stops submitting, cancels what is in flight and leaves every
stored row intact; the next run of the same spec does only what is missing (failed tasks too with
``retry_failed``). Every task has its own seed, so the numbers do not depend on the batch size or on the
number of workers.

>>> import tempfile, pathlib
>>> from qflow_core.sweeps import Sweep
>>> sweep = Sweep("attention", fixed={"sampler": "enum", "protocol": "boltzmann:beta=1", "num_reads": 300,
...               "num_keys": 3, "dim": 4}, seeds=3, name="doc")
>>> store = pathlib.Path(tempfile.mkdtemp()) / "doc.sqlite"
>>> run_sweep(sweep, store=store, workers=1, processes=False, progress=False).summary()
'doc: 3 tasks, 3 run (3 done, 0 failed), 0 already done, 0 failed earlier kept; ...'
>>> run_sweep(sweep, store=store, workers=1, processes=False, progress=False).ran
0
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qflow_core.records import cli_command_line
from qflow_core.store import ResultStore
from qflow_core.sweeps.catalog import get_experiment
from qflow_core.sweeps.cluster import dask_client
from qflow_core.sweeps.spec import Sweep, Task, load_sweep
from qflow_core.sweeps.task import run_batch, task_row

__all__ = ["SweepReport", "auto_batch_size", "default_store", "pending_tasks", "run_sweep"]

#: Batches of at most this many tasks; more batches than workers × this keep every worker busy to the end.
MAX_BATCH = 32
BATCHES_PER_WORKER = 8


@dataclass
class SweepReport:
    """What one :func:`run_sweep` call did."""

    sweep: str
    store: Path
    total: int
    skipped_done: int
    skipped_failed: int
    done: int = 0
    failed: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    dashboard: str | None = None

    @property
    def ran(self) -> int:
        return self.done + self.failed

    def summary(self) -> str:
        state = "interrupted; rerun to finish" if self.interrupted else f"{self.elapsed_s:.3g} s"
        return (
            f"{self.sweep}: {self.total} tasks, {self.ran} run ({self.done} done, {self.failed} failed), "
            f"{self.skipped_done} already done, {self.skipped_failed} failed earlier kept; {state} → {self.store}"
        )


def default_store(sweep: Sweep) -> Path:
    """``results/<sweep name>.sqlite``."""
    return Path("results") / f"{sweep.name}.sqlite"


def pending_tasks(tasks: Sequence[Task], store: ResultStore, *, retry_failed: bool) -> tuple[list[Task], int, int]:
    """The tasks still to run, and how many were skipped as done and as failed (kept without ``retry_failed``)."""
    status = store.status_of(t.config_hash for t in tasks)
    todo = [
        t for t in tasks if status.get(t.config_hash) is None or (retry_failed and status[t.config_hash] == "failed")
    ]
    done = sum(1 for s in status.values() if s == "done")
    failed = sum(1 for s in status.values() if s == "failed") if not retry_failed else 0
    return todo, done, failed


def auto_batch_size(tasks: int, workers: int) -> int:
    """Tasks per batch: enough batches for every worker to get :data:`BATCHES_PER_WORKER`, at most MAX_BATCH.

    >>> auto_batch_size(64, 2), auto_batch_size(1024, 2), auto_batch_size(3, 8)
    (4, 32, 1)
    """
    return max(1, min(MAX_BATCH, math.ceil(tasks / (max(1, workers) * BATCHES_PER_WORKER))))


def run_sweep(
    spec: Sweep | str | os.PathLike,
    *,
    store: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    processes: bool = True,
    retry_failed: bool = False,
    batch_size: int | None = None,
    retries: int = 2,
    progress: bool = True,
) -> SweepReport:
    """Run every task of ``spec`` not yet done in ``store`` (default ``results/<name>.sqlite``) on Dask.

    ``workers``/``processes`` shape the default LocalCluster, ``scheduler`` (or ``$QFLOW_SCHEDULER``) connects
    to a running cluster, ``client`` uses a Client you made. KeyboardInterrupt propagates after the store is
    closed cleanly (the report is not returned then)."""
    sweep = load_sweep(spec)
    tasks = sweep.tasks()  # validates everything before anything runs
    experiment = get_experiment(sweep.experiment)
    path = Path(store) if store is not None else default_store(sweep)
    started = time.perf_counter()
    command_line = cli_command_line()
    with ResultStore.open(path, write=True) as results:
        todo, skipped_done, skipped_failed = pending_tasks(tasks, results, retry_failed=retry_failed)
        report = SweepReport(sweep.name, path, len(tasks), skipped_done, skipped_failed)
        if not todo:
            return report
        with dask_client(workers=workers, scheduler=scheduler, processes=processes, client=client) as dask:
            report.dashboard = _dashboard(dask)
            if progress:
                where = f"; dashboard {report.dashboard}" if report.dashboard else ""
                print(
                    f"{sweep.name}: {len(todo)} of {len(tasks)} tasks to run on {dask.scheduler.address}{where}",
                    file=sys.stderr,
                )
            _consume(dask, experiment, sweep.name, todo, results, report, batch_size, retries, progress, command_line)
    report.elapsed_s = time.perf_counter() - started
    return report


def _consume(
    dask: Any,
    experiment: Any,
    name: str,
    todo: list[Task],
    results: ResultStore,
    report: SweepReport,
    batch_size: int | None,
    retries: int,
    progress: bool,
    command_line: list[str] | None,
) -> None:
    from distributed import as_completed
    from tqdm import tqdm

    workers = max(1, sum(dask.nthreads().values()))
    size = batch_size or auto_batch_size(len(todo), workers)
    pending = deque(todo[i : i + size] for i in range(0, len(todo), size))
    in_flight: dict[Any, list[Task]] = {}
    completed = as_completed()

    def submit() -> None:
        batch = pending.popleft()
        future = dask.submit(
            run_batch, experiment, batch, name, retries=retries, pure=False, key=f"qflow-{batch[0].config_hash}"
        )
        in_flight[future] = batch
        completed.add(future)

    bar = tqdm(total=len(todo), file=sys.stderr, disable=not progress, unit="task", dynamic_ncols=True, mininterval=0.5)
    try:
        for _ in range(min(len(pending), 2 * workers + 2)):
            submit()
        for future in completed:
            batch = in_flight.pop(future)
            rows = _rows_of(future, batch, name)
            future.release()
            for row in rows:
                row["record"] = {**row.get("record", {}), "command_line": command_line}
                results.put(row)
                report.done += row["status"] == "done"
                report.failed += row["status"] == "failed"
            bar.update(len(rows))
            bar.set_postfix_str(
                f"done {report.done}, failed {report.failed}, in flight {sum(map(len, in_flight.values()))}"
            )
            if pending:
                submit()
    except KeyboardInterrupt:
        report.interrupted = True
        dask.cancel(list(in_flight), force=True)
        raise
    finally:
        bar.close()


def _rows_of(future: Any, batch: list[Task], name: str) -> list[dict[str, Any]]:
    """The batch's rows, or one failed row per task when the batch itself was lost (retries exhausted)."""
    try:
        return future.result()
    except Exception as exc:
        import traceback

        text = "".join(traceback.format_exception(exc))
        return [
            {**task_row(name, task), "status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": text}
            for task in batch
        ]


def _dashboard(client: Any) -> str | None:
    try:
        import bokeh  # noqa: F401 - the dashboard is served only when bokeh is installed
    except ImportError:
        return None
    return client.dashboard_link
