"""``qflow results ls|show|export|summary STORE``: read a sweep's results store.

>>> from qflow_core.cli import main
>>> main(["results", "ls", "/nonexistent/store.sqlite"])  # a missing store is a usage error
2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qflow_core.cli.output import refuse_existing
from qflow_core.errors import InvalidInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("results", help="list, show, export or summarise a sweep's results store")
    commands = parser.add_subparsers(dest="results_command", metavar="{ls,show,export,summary}")
    ls = commands.add_parser("ls", help="sweeps in the store with their counts, and their tasks")
    ls.add_argument("store", type=Path)
    ls.add_argument("--tasks", action="store_true", help="list every task")
    ls.add_argument("--failed", action="store_true", help="list the failed tasks with their errors")
    ls.set_defaults(func=run_ls)
    show = commands.add_parser("show", help="one task: arguments, scalars, record (and error)")
    show.add_argument("store", type=Path)
    show.add_argument("hash", help="config hash (or a unique prefix)")
    show.add_argument("--full", action="store_true", help="include the full stored result")
    show.set_defaults(func=run_show)
    export = commands.add_parser("export", help="write the table to .csv or .parquet (pyarrow)")
    export.add_argument("store", type=Path)
    export.add_argument("out", type=Path)
    export.add_argument("--sweep", default=None, help="only this sweep")
    export.add_argument("--force", action="store_true", help="replace an existing output file")
    export.set_defaults(func=run_export)
    summary = commands.add_parser("summary", help="verdict counts and the spread of statistics over seeds")
    summary.add_argument("store", type=Path)
    summary.add_argument("--by", default="sampler,protocol", help="columns to group by (default sampler,protocol)")
    summary.add_argument("--stats", default="beta,delta_aic", help="statistics to summarise (default beta,delta_aic)")
    summary.add_argument("--sweep", default=None, help="only this sweep")
    summary.add_argument("--plot", type=Path, default=None, help="draw statistic vs --x with 95%% error bars")
    summary.add_argument("--x", default=None, help="the parameter on the plot's x axis (one of --by)")
    summary.add_argument("--json", action="store_true", help="print JSON")
    summary.add_argument("--force", action="store_true", help="replace an existing --plot file")
    summary.set_defaults(func=run_summary)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InvalidInputError(f"expected comma-separated column names, got {text!r}")
    return names


def run_ls(args: argparse.Namespace) -> int:
    from qflow_core.store import ResultStore

    with ResultStore.open(args.store) as store:
        counts = store.counts()
        for sweep in sorted({s for s, _ in counts}):
            print(f"{sweep}: {counts.get((sweep, 'done'), 0)} done, {counts.get((sweep, 'failed'), 0)} failed")
        if args.tasks or args.failed:
            for row in store.rows(where="status = 'failed'" if args.failed else None):
                extra = row["error"] if row["status"] == "failed" else json.dumps(row["scalars"], sort_keys=True)
                print(f"  {row['config_hash']}  {row['status']:6s}  {row['label']}  {extra}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from qflow_core.store import ResultStore

    with ResultStore.open(args.store) as store:
        row = store.get(args.hash, with_result=args.full)
    print(json.dumps(row, indent=2, sort_keys=True, default=str))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from qflow_core.store import export

    refuse_existing(args.out, "the output", args.force)
    print(f"wrote {export(args.store, args.out, sweep=args.sweep)}")
    return 0


def run_summary(args: argparse.Namespace) -> int:
    from qflow_core.store import format_summary, load_rows, summarize

    refuse_existing(args.plot, "--plot", args.force)
    by, statistics = _names(args.by), _names(args.stats)
    rows = [row for row in load_rows(args.store, sweep=args.sweep) if row["status"] == "done"]
    summary = summarize(rows, by=by, statistics=statistics)
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary, statistics))
    if args.plot is not None:
        print(f"wrote {plot_summary(summary, by, statistics, args.x or by[-1], args.plot)}")
    return 0


def plot_summary(summary: list[dict], by: list[str], statistics: list[str], x: str, path: Path) -> Path:
    """One panel per statistic: its mean vs ``x`` with 95 % intervals, one line per other ``by`` group."""
    from qflow_core.results import new_figure, save_figure

    if x not in by:
        raise InvalidInputError(f"--x {x!r} must be one of the --by columns {by}")
    fig, axes = new_figure(1, len(statistics), squeeze=False)
    for ax, name in zip(axes[0], statistics, strict=True):
        lines: dict[str, list[tuple[float, float, float]]] = {}
        for entry in summary:
            s = entry[name]
            if s["mean"] is None or not isinstance(entry["group"][x], (int, float)):
                continue
            label = ", ".join(f"{k}={v}" for k, v in entry["group"].items() if k != x) or name
            error = 0.0 if s["ci95"] is None else s["ci95"][1] - s["mean"]
            lines.setdefault(label, []).append((float(entry["group"][x]), s["mean"], error))
        for label, points in lines.items():
            points.sort()
            xs, ys, es = zip(*points, strict=True)
            ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=label)
        ax.set_xlabel(x)
        ax.set_ylabel(f"{name} (mean, 95% CI)")
        if lines:
            ax.legend(fontsize=8)
    return save_figure(fig, path)
