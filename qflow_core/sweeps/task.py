"""What a worker runs: one task (or a batch of them) to a store row, errors caught and recorded.

A task that raises becomes a ``failed`` row with its error and traceback; it never stops the batch or the
sweep. BLAS/OpenMP pools are held to one thread while tasks run, so N single-threaded workers on N cores do not
oversubscribe them.

>>> from qflow_core.sweeps import Sweep, get_experiment
>>> task = Sweep("attention", fixed={"sampler": "enum", "protocol": "boltzmann:beta=1", "num_reads": 500,
...              "num_keys": 3, "dim": 4}).tasks()[0]
>>> row = run_task(get_experiment("attention"), task)
>>> row["status"], row["record"]["config_hash"] == task.config_hash, sorted(row["scalars"])[:2]
('done', True, ['beta', 'beta_se'])
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from typing import Any

from threadpoolctl import threadpool_limits

from qflow_core.records import run_record
from qflow_core.store import compress
from qflow_core.sweeps.experiment import SweepExperiment
from qflow_core.sweeps.spec import Task

__all__ = ["run_batch", "run_task", "task_row"]


def task_row(sweep: str, task: Task) -> dict[str, Any]:
    """The store columns a task's row has before it runs (identity, arguments, seed)."""
    protocol = task.config["args"].get("protocol")  # the protocol that runs, axes applied, in canonical form
    return {
        "config_hash": task.config_hash,
        "sweep": sweep,
        "experiment": task.experiment,
        "task_index": task.index,
        "label": task.label,
        "sampler": task.args.get("sampler") if isinstance(task.args.get("sampler"), str) else None,
        "protocol": protocol if isinstance(protocol, str) or protocol is None else str(protocol),
        "seed": task.seed,
        "replicate": task.replicate,
        "args": task.args,
    }


def run_task(experiment: SweepExperiment, task: Task, sweep: str = "sweep") -> dict[str, Any]:
    """Run one task; a ``done`` row (scalars, compressed full result) or a ``failed`` one (error, traceback)."""
    row = task_row(sweep, task)
    started, clock, cpu = time.time(), time.perf_counter(), time.thread_time()
    try:
        result = experiment.run(task.args, task.seed)
        row.update(status="done", scalars=experiment.scalars(result), result=compress(result.to_dict()))
    except Exception as exc:
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    wall, cpu = time.perf_counter() - clock, time.thread_time() - cpu
    row.update(wall_s=wall, cpu_s=cpu)
    row["record"] = run_record(
        task.config,
        seed=task.seed,
        sampler=_sampler(task.args.get("sampler")),
        started=started,
        ended=started + wall,
        wall_s=wall,
        cpu_s=cpu,
    )
    return row


def run_batch(experiment: SweepExperiment, tasks: Sequence[Task], sweep: str = "sweep") -> list[dict[str, Any]]:
    """:func:`run_task` over ``tasks`` in order, BLAS/OpenMP pools limited to one thread."""
    with threadpool_limits(limits=1):
        return [run_task(experiment, task, sweep) for task in tasks]


def _sampler(name: Any) -> Any:
    """The sampler a task named, for its properties snapshot (None when it names none or cannot be built)."""
    if not isinstance(name, str):
        return None
    from qflow_core.registry import get_sampler

    try:
        return get_sampler(name)
    except Exception:  # the task's own error already says why; the record just lacks the properties
        return None
