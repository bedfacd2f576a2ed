"""``qflow capacity``: fraction of stored patterns that are fixed points, and recall overlap, vs load per rule.

>>> import tempfile
>>> from qflow_core.cli import main
>>> main(["capacity", "--rules", "hebb", "--rules", "softmax-hebbian", "--n", "30", "--loads", "0.3", "--trials", "1",
...       "--epochs", "60", "--results-dir", tempfile.mkdtemp()])  # doctest: +ELLIPSIS
rule...
---...
hebbian                                       0.300    9     0.556   +0.007   0.867  0.800
softmax-hebbian(beta=4.0,survival=False)      0.300    9     1.000   +1.318   1.000  0.956
wrote .../capacity.json
wrote .../capacity.png
0
"""

from __future__ import annotations

import argparse

from qflow_core.cli.common import add_list_argument, seed_argument, split_protocol_list
from qflow_core.cli.output import add_output_arguments, run_output
from qflow_core.cli.progress import add_quiet_argument, show_progress
from qflow_core.errors import InvalidInputError

DEFAULT_LOADS = "0.05,0.1,0.15,0.2,0.3,0.5"
DEFAULT_RULES = ["hebb", "softmax-hebbian", "mpf"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "capacity",
        help="fixed-point fraction and recall overlap vs load alpha = P/N for several learning rules",
        description="For each load, store random patterns with the Hebb rule and with each other rule (trained from "
        "the Hebb matrix at fixed norm) and report fixed points, gaps and zero-T recall.",
    )
    add_list_argument(
        parser,
        "--rules",
        default=DEFAULT_RULES,
        split=split_protocol_list,
        help="learning rules, parameters inline: hebb,softmax-hebbian:beta=4,mpf (default hebb,softmax-hebbian,mpf)",
    )
    parser.add_argument("--n", type=int, default=100, help="number of spins N (default 100)")
    parser.add_argument("--loads", default=DEFAULT_LOADS, help=f"comma-separated alphas (default {DEFAULT_LOADS})")
    parser.add_argument("--trials", type=int, default=3, help="pattern sets per load (default 3)")
    parser.add_argument("--epochs", type=int, default=300, help="training epochs per rule (default 300)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    parser.add_argument("--flip", type=float, default=0.1, help="fraction of flipped bits in recall cues (0.1)")
    parser.add_argument("--train-fields", action="store_true", help="also train the fields h (default: h = 0)")
    parser.add_argument("--seed", type=seed_argument, default=0, help="random seed (default 0)")
    add_quiet_argument(parser)
    add_output_arguments(parser)
    parser.add_argument(
        "--resume", action="store_true", help="keep the rows an interrupted run with the same settings left in --out"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qflow_core.experiments.capacity import capacity

    try:
        loads = [float(a) for a in args.loads.split(",") if a.strip()]
    except ValueError:
        raise InvalidInputError(f"--loads must be comma-separated numbers, got {args.loads!r}") from None
    with run_output(args, "capacity") as out:
        result = capacity(
            args.rules,
            args.n,
            loads,
            trials=args.trials,
            epochs=args.epochs,
            lr=args.lr,
            flip_fraction=args.flip,
            train_fields=args.train_fields,
            seed=args.seed,
            progress=show_progress(args),
            checkpoint=out.json,
            resume=args.resume,
        )
        print(result.table())
        print(f"wrote {out.json}")
        print(f"wrote {result.plot(out.figure)}")
    return 0
