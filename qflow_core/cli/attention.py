"""``qflow attention``: one attention-map run (one sampler, one protocol) with both fits and the verdict.

Without ``--keys``/``--query`` it uses the built-in seeded instance (M = 8 keys in d = 16), the same one
``qflow compare`` runs.

>>> import tempfile
>>> from qflow_core.cli import main
>>> main(["attention", "--sampler", "enum", "--protocol", "boltzmann:beta=2", "--reads", "20000",
...       "--seed", "1", "--results-dir", tempfile.mkdtemp()])  # doctest: +ELLIPSIS
enum | boltzmann:beta=2.0,gamma=0.0 | fidelity exact | 20000 reads, seed 1 | ...
verdict: softmax (Vuong z = ... favours softmax, which fits ...)
wrote .../attention.json
wrote .../attention.png
0
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from qflow_core.cli.common import check_sampler_names, protocol_argument, seed_argument
from qflow_core.cli.options import add_options_argument, options_for_one
from qflow_core.cli.output import add_output_arguments, run_output
from qflow_core.cli.paid import add_yes_argument, confirm_paid
from qflow_core.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np

    from qflow_core.models.attention import OneHotAttention


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "attention",
        help="sample the one-hot attention map with one sampler and fit softmax vs Lorentzian",
        description="Sample the one-hot attention QUBO with one sampler and protocol, histogram "
        "the keys over one-hot reads, fit softmax(beta*a) and the Lorentzian, and print the verdict.",
    )
    parser.add_argument("--sampler", required=True, help="sampler name (see `qflow plugins`)")
    parser.add_argument(
        "--protocol",
        default="boltzmann:beta=2",
        type=protocol_argument,
        help="e.g. boltzmann:beta=2 (default), anneal:kind=fast, ground_state:gamma=0.5",
    )
    add_instance_arguments(parser)
    parser.add_argument("--reads", type=int, default=10000, help="number of reads (default 10000)")
    parser.add_argument("--seed", type=seed_argument, default=None, help="random seed (default: drawn and recorded)")
    add_options_argument(parser)
    add_output_arguments(parser)
    add_yes_argument(parser)
    parser.set_defaults(func=run)


def add_instance_arguments(parser: argparse.ArgumentParser) -> None:
    """``--keys``, ``--query``, ``--scale``, ``--penalty`` (shared with ``qflow compare``)."""
    parser.add_argument("--keys", type=Path, default=None, help="(M, d) keys as .npy (default: built-in instance)")
    parser.add_argument("--query", type=Path, default=None, help="(d,) query as .npy (default: built-in instance)")
    parser.add_argument("--scale", type=float, default=None, help="score scale lambda (default 1/sqrt(d))")
    parser.add_argument(
        "--penalty", type=float, default=None, help="one-hot penalty A (default: just above the local-minimum bound)"
    )


def load_instance(args: argparse.Namespace) -> OneHotAttention:
    """The memory named by ``--keys/--query/--scale/--penalty``, or the built-in seeded instance."""
    if (args.keys is None) != (args.query is None):
        raise InvalidInputError("give both --keys and --query, or neither (built-in instance)")
    if args.keys is None:
        from qflow_core.experiments.compare import builtin_instance

        return builtin_instance(scale=args.scale, penalty=args.penalty)
    from qflow_core.models.attention import OneHotAttention

    return OneHotAttention(_load_array(args.keys), _load_array(args.query), scale=args.scale, penalty=args.penalty)


def _load_array(path: Path) -> np.ndarray:
    import numpy as np

    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError) as exc:
        raise InvalidInputError(f"{path} is not a numeric .npy array: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from qflow_core.cli.output import cli_config
    from qflow_core.experiments.attention import attention_map
    from qflow_core.records import result_record

    check_sampler_names([args.sampler])
    options = options_for_one(args, args.sampler)
    confirm_paid([args.sampler], [args.protocol], args.reads, yes=args.yes)
    memory = load_instance(args)
    with run_output(args, "attention") as out:
        result = attention_map(memory, args.sampler, args.protocol, num_reads=args.reads, seed=args.seed, **options)
        print(result.summary())
        record = result_record(result.to_dict(), kind=type(result).__name__, config=cli_config(args))
        print(f"wrote {result.save(out.json, record=record)}")
        print(f"wrote {result.plot(out.figure)}")
    return 0
