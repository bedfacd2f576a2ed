"""``qflow sweep plan|run SPEC``: list a sweep's tasks, or run them on Dask into the results store.

>>> import pathlib, tempfile
>>> spec = pathlib.Path(tempfile.mkdtemp()) / "demo.toml"
>>> _ = spec.write_text('experiment = "attention"\\nseeds = 2\\n[fixed]\\nprotocol = "boltzmann:beta=1"\\n'
...                     'num_reads = 200\\n[axes]\\nsampler = ["enum", "sa"]\\n')
>>> from qflow_core.cli import main
>>> main(["sweep", "plan", str(spec), "--show", "1"])  # doctest: +ELLIPSIS
demo: experiment attention, 4 tasks (2 points × 2 seeds), store results/demo.sqlite
    0  ...  seed ...  sampler=enum #0
  … 3 more
0
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qflow_core.cli.progress import add_quiet_argument, show_progress
from qflow_core.errors import InvalidInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sweep", help="plan or run a sweep spec (TOML) on Dask into a results store")
    commands = parser.add_subparsers(dest="sweep_command", metavar="{plan,run}")
    plan = commands.add_parser("plan", help="validate a spec and print its tasks (runs nothing)")
    plan.add_argument("spec", type=Path, help="sweep spec (.toml)")
    plan.add_argument("--show", type=int, default=5, help="how many tasks to list (default 5)")
    plan.add_argument("--store", type=Path, default=None, help="results store (default results/<name>.sqlite)")
    plan.set_defaults(func=run_plan)
    run = commands.add_parser("run", help="run every task not yet done in the store")
    run.add_argument("spec", type=Path, help="sweep spec (.toml)")
    run.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    run.add_argument(
        "--scheduler", default=None, help="connect to this Dask scheduler (tcp://host:8786; or $QFLOW_SCHEDULER)"
    )
    run.add_argument("--store", type=Path, default=None, help="results store (default results/<name>.sqlite)")
    run.add_argument("--retry-failed", action="store_true", help="also rerun tasks stored as failed")
    run.add_argument("--batch-size", type=int, default=None, help="tasks per Dask task (default: automatic)")
    add_quiet_argument(run)
    run.set_defaults(func=run_sweep_command)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_plan(args: argparse.Namespace) -> int:
    from qflow_core.store import ResultStore
    from qflow_core.sweeps import load_sweep
    from qflow_core.sweeps.runner import default_store

    sweep = load_sweep(args.spec)
    tasks = sweep.tasks()
    store = args.store or default_store(sweep)
    print(
        f"{sweep.name}: experiment {sweep.experiment}, {len(tasks)} tasks "
        f"({len(tasks) // sweep.seeds} points × {sweep.seeds} seeds), store {store}"
    )
    if store.exists():
        with ResultStore.open(store) as opened:
            status = opened.status_of(t.config_hash for t in tasks)
        done = sum(s == "done" for s in status.values())
        print(f"  in the store: {done} done, {len(status) - done} failed, {len(tasks) - len(status)} to run")
    for task in tasks[: max(0, args.show)]:
        print(f"  {task.index:3d}  {task.config_hash}  seed {task.seed:<10d}  {task.label}")
    if len(tasks) > args.show:
        print(f"  … {len(tasks) - max(0, args.show)} more")
    return 0


def run_sweep_command(args: argparse.Namespace) -> int:
    from qflow_core.sweeps import run_sweep

    if args.workers is not None and args.workers < 1:
        raise InvalidInputError(f"--workers must be ≥ 1, got {args.workers}")
    if args.batch_size is not None and args.batch_size < 1:
        raise InvalidInputError(f"--batch-size must be ≥ 1, got {args.batch_size}")
    report = run_sweep(
        args.spec,
        store=args.store,
        workers=args.workers,
        scheduler=args.scheduler,
        retry_failed=args.retry_failed,
        batch_size=args.batch_size,
        progress=show_progress(args),
    )
    print(report.summary())
    if report.failed:
        print(f"{report.failed} task(s) failed: see `qflow results ls {report.store} --failed`")
        return 1
    return 0
