"""``qflow compare``: the attention map on every sampler × protocol — the README's main job.

With no arguments it runs the built-in seeded instance (M = 8 keys in d = 16) on every installed sampler with
every protocol it supports among Boltzmann β = 2, the standard and fast anneal and the ground state at Γ = 0.5
(on ``exact`` the 20 µs anneal is left out, see :data:`EXACT_LEFT_OUT`), prints the table and writes
``results/attention.json`` and ``results/attention.png``. The JSON is rewritten after every run, so an
interruption keeps the finished runs.

>>> import tempfile, pathlib
>>> from qflow_core.cli import main
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> main(["compare", "attention", "--samplers", "enum", "--protocols", "boltzmann:beta=1", "--reads", "500",
...       "--out", str(out / "a.json"), "--plot", str(out / "a.png"), "--no-progress"])  # doctest: +ELLIPSIS
sampler  protocol ...
enum     boltzmann:beta=1.0,gamma=0.0  exact ...
wrote ...a.json
wrote ...a.png
0
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qflow_core.cli.attention import add_instance_arguments, load_instance
from qflow_core.cli.common import protocol_argument, seed_argument
from qflow_core.protocols import parse_protocol

#: Default-job exception: on ``exact`` the Schrödinger evolution of the 20 µs anneal at this energy scale
#: (≈1e6 rad of phase) does not converge within the integrator's step cap (it warns and reports
#: ``converged=False``), so the default job leaves it out; the 20 ns fast anneal converges in well under a second.
EXACT_DEFAULT_PROTOCOLS = ("boltzmann:beta=2", "anneal:kind=fast", "ground_state:gamma=0.5")
EXACT_LEFT_OUT = {
    "anneal:kind=standard": "left out of the default job: exact Schrödinger evolution of the 20 µs anneal does "
    "not converge at this energy scale (~1e6 rad of phase); ask for it with --samplers exact --protocols",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="run the attention map on several samplers and protocols (the main job)",
        description="Run the one-hot attention-map experiment on every sampler x protocol pair (unsupported "
        "pairs are skipped with the reason), print the table and write the JSON result and a figure.",
    )
    parser.add_argument(
        "experiment", nargs="?", default="attention", choices=["attention"], help="experiment (default attention)"
    )
    parser.add_argument(
        "--samplers", default=None, help="comma-separated sampler names (default: every installed sampler)"
    )
    parser.add_argument(
        "--protocols",
        nargs="+",
        type=protocol_argument,
        default=None,
        help="protocols, space-separated (default: boltzmann:beta=2 anneal:kind=standard anneal:kind=fast "
        "ground_state:gamma=0.5)",
    )
    add_instance_arguments(parser)
    parser.add_argument("--reads", type=int, default=10000, help="reads per run (default 10000)")
    parser.add_argument(
        "--seed", type=seed_argument, default=0, help="master seed (default 0); each run derives its own"
    )
    parser.add_argument("--out", type=Path, default=Path("results/attention.json"), help="JSON result path")
    parser.add_argument("--plot", type=Path, default=Path("results/attention.png"), help="figure path (PNG)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qflow_core.experiments.compare import SkippedRun, compare

    memory = load_instance(args)
    samplers = [s.strip() for s in args.samplers.split(",") if s.strip()] if args.samplers else None
    protocols = args.protocols if args.protocols is not None else {"exact": EXACT_DEFAULT_PROTOCOLS}
    result = compare(
        memory,
        samplers,
        protocols,
        num_reads=args.reads,
        seed=args.seed,
        progress=not args.no_progress,
        checkpoint=args.out,
    )
    if args.protocols is None and any(row.sampler == "exact" for row in result.rows):
        result.skipped.extend(SkippedRun("exact", str(parse_protocol(p)), why) for p, why in EXACT_LEFT_OUT.items())
    print(result.table())
    print(f"wrote {result.save(args.out)}")
    print(f"wrote {result.plot(args.plot)}")
    return 1 if result.rows and all(row.error for row in result.rows) else 0
