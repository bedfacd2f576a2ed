"""``qflow compare``: the attention map on every sampler × protocol — the README's main job.

With no arguments it runs the built-in seeded instance (M = 8 keys in d = 16) on the installed **offline, free**
samplers of the qflow distribution (tags ``requires_network`` and ``costs_money`` false), with every protocol each
supports among Boltzmann β = 2, the standard and fast anneal and the ground state at Γ = 0.5, prints the table,
the flags and the interpretation, and writes the JSON and the summary figure (PNG + SVG) into a new run directory
``results/attention-<UTC time>-<config hash>/`` (``results/latest`` points at it; ``--out`` writes exactly there).
A sampler that costs money (a QPU) runs only when named, after the estimated QPU access time is printed and
confirmed (``--yes`` in scripts); third-party samplers run when named or with ``--all-installed``. Unknown sampler
or protocol names stop it before anything runs. The JSON is rewritten after every row, so an interruption (Ctrl-C)
keeps the finished rows and draws their figure.

>>> import tempfile, pathlib
>>> from qflow_core.cli import main
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> main(["compare", "attention", "--samplers", "enum", "--protocols", "boltzmann:beta=1", "--reads", "500",
...       "--out", str(out / "a.json"), "--quiet"])  # doctest: +ELLIPSIS
1 replicate per row ...
sampler  protocol ...
enum     boltzmann:beta=1.0,gamma=0.0  thermal by construction ...
wrote ...a.json
wrote ...a.png and ...a.svg
0
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from qflow_core.cli.attention import add_instance_arguments, load_instance
from qflow_core.cli.common import add_list_argument, add_protocols_argument, check_sampler_names, seed_argument
from qflow_core.cli.options import add_options_argument, options_from_args
from qflow_core.cli.output import add_output_arguments, cli_config, keep_partial, run_output
from qflow_core.cli.paid import add_yes_argument, confirm_paid
from qflow_core.cli.progress import add_quiet_argument, show_progress
from qflow_core.errors import InvalidInputError

__all__ = ["default_samplers", "register", "run"]

#: Default reads and replicates of the default job, chosen to keep it short (see docs/comparison.md for timing).
DEFAULT_JOB_READS, DEFAULT_JOB_REPLICATES = 1000, 1
#: Threads running rows at once by default: one. Rows in threads give the same numbers, but on a loaded machine they
#: were measured slower than serial (GIL and core contention), so threads are opt-in (--jobs 2).
DEFAULT_JOBS = 1
#: Rough QPU access time per run: programming per gauge call plus per-read readout and delay (µs), used to warn
#: before a paid sampler runs (typical Advantage figures; the solver's own estimate can differ).


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="run the attention map on several samplers and protocols (the main job)",
        description="Run the one-hot attention-map experiment on every sampler x protocol pair (unsupported "
        "pairs are skipped with the reason), print the table, flags and interpretation, and write the JSON result "
        "and a summary figure.",
    )
    parser.add_argument(
        "experiment", nargs="?", default="attention", choices=["attention"], help="experiment (default attention)"
    )
    add_list_argument(parser, "--samplers", help="sampler names (default: the installed offline, free qflow samplers)")
    parser.add_argument(
        "--all-installed", action="store_true", help="default set includes third-party offline, free samplers"
    )
    add_yes_argument(parser)
    add_protocols_argument(
        parser,
        help="protocols (default: boltzmann:beta=2,anneal:kind=standard,anneal:kind=fast,ground_state:gamma=0.5)",
    )
    add_instance_arguments(parser)
    parser.add_argument(
        "--reads", type=int, default=DEFAULT_JOB_READS, help=f"reads per run (default {DEFAULT_JOB_READS})"
    )
    parser.add_argument(
        "--replicates",
        type=int,
        default=DEFAULT_JOB_REPLICATES,
        help=f"independent seeds per row (default {DEFAULT_JOB_REPLICATES}, to keep the default job short)",
    )
    parser.add_argument(
        "--seed", type=seed_argument, default=0, help="master seed (default 0); each run derives its own"
    )
    add_options_argument(parser, several=True)
    parser.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=f"rows run concurrently in threads (default {DEFAULT_JOBS}; the numbers do not depend on it)",
    )
    dask = parser.add_argument_group("replicates on Dask (the sweep engine's cluster; same seeds, same numbers)")
    dask.add_argument("--workers", type=int, default=None, help="run them on a local cluster of N worker processes")
    dask.add_argument("--scheduler", default=None, help="run them on this Dask scheduler (tcp://host:8786)")
    parser.add_argument("--detail", action="store_true", help="also write one figure per row beside the summary")
    add_quiet_argument(parser)
    add_output_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qflow_core.experiments.compare import DEFAULT_PROTOCOLS, default_samplers
    from qflow_core.protocols import as_protocol

    if args.reads < 1 or args.replicates < 1 or args.jobs < 1:
        raise InvalidInputError("--reads, --replicates and --jobs must be at least 1")
    samplers = check_sampler_names(args.samplers) if args.samplers else default_samplers(args.all_installed)
    options_from_args(args, samplers)  # checked before anything runs; args.option now maps sampler → options
    memory = load_instance(args)
    protocols = args.protocols if args.protocols is not None else [as_protocol(p) for p in DEFAULT_PROTOCOLS]
    confirm_paid(samplers, protocols, args.reads, args.replicates, yes=args.yes)
    with contextlib.ExitStack() as stack:
        client = None
        if args.workers is not None or args.scheduler is not None:
            from qflow_core.sweeps.cluster import dask_client

            client = stack.enter_context(dask_client(workers=args.workers, scheduler=args.scheduler))
        return _run(args, memory, samplers, protocols, client)


def _run(args: argparse.Namespace, memory: Any, samplers: list, protocols: list, client: Any) -> int:
    from qflow_core.experiments.compare import compare
    from qflow_core.records import result_record

    with run_output(args, "attention", companions=(".svg",)) as out:
        try:
            result = compare(
                memory,
                samplers,
                protocols,
                num_reads=args.reads,
                seed=args.seed,
                replicates=args.replicates,
                jobs=args.jobs,
                client=client,
                progress=show_progress(args),
                checkpoint=out.json,
                backend_options=args.option or {},
            )
        except KeyboardInterrupt as exc:  # compare itself returns its finished rows; this covers the rest
            keep_partial(out, getattr(exc, "partial", None))
            raise
        print(result.table())
        if args.replicates == DEFAULT_JOB_REPLICATES and args.reads == DEFAULT_JOB_READS:
            print(
                f"note: the default job runs {DEFAULT_JOB_REPLICATES} replicate of {DEFAULT_JOB_READS} reads per row "
                "to stay short; for spread and power use e.g. --replicates 5 --reads 10000"
            )
        if result.interrupted:
            keep_partial(out, result)
            raise KeyboardInterrupt
        record = result_record(result.to_dict(), kind=type(result).__name__, config=cli_config(args))
        print(f"wrote {result.save(out.json, record=record)}")
        print(f"wrote {result.plot(out.figure)} and {out.figure.with_suffix('.svg')}")
        if args.detail:  # numbered, so two protocols of one kind never overwrite each other
            for k, run_result in enumerate(result.runs, start=1):
                name = f"{out.figure.stem}-{k:02d}-{run_result.sampler}-{run_result.protocol['protocol']}"
                print(f"wrote {run_result.plot(out.figure.with_name(name + out.figure.suffix))}")
    return 1 if result.rows and all(row.error for row in result.rows) else 0


def default_samplers(all_installed: bool = False) -> list[str]:
    """Installed offline, free samplers (see :func:`qflow_core.experiments.compare.default_samplers`)."""
    from qflow_core.experiments.compare import default_samplers as offline_free

    return offline_free(all_installed)
