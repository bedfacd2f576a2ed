"""``qflow train``: train a Hopfield memory on random (or given) patterns with one learning rule.

Closed-form rules (hebb, softmax-hebbian, lorentzian-hebbian, mpf) need no sampler; ``measured-flow`` runs a
Survival ``--protocol`` on ``--sampler`` for every pattern and epoch. The memory starts from the Hebb matrix
and its norm is held fixed (so a rule cannot win by inflating J); after training, zero-temperature recall from
10 % flipped bits is reported.

>>> import tempfile
>>> from qflow_core.cli import main
>>> main(["train", "--rule", "softmax-hebbian", "--beta", "4", "--n", "40", "--load", "0.3", "--epochs", "50",
...       "--seed", "1", "--results-dir", tempfile.mkdtemp()])  # doctest: +ELLIPSIS
softmax-hebbian(beta=4.0,survival=False) | N = 40, P = 12 | 50 epochs, lr 0.05 | loss 1.034 -> -3.159 | ...
fixed points: 0.50 -> 1.00 | min gap (worst pattern): -0.900 -> +1.339 | recall m = 0.979 from 10% flips
wrote .../train.json
wrote .../train.png
0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qflow_core.cli.common import check_sampler_names, norm_argument, protocol_from_text, seed_argument
from qflow_core.cli.options import add_options_argument, options_for_one
from qflow_core.cli.output import add_output_arguments, cli_config, run_output
from qflow_core.cli.progress import add_quiet_argument, show_progress
from qflow_core.errors import InvalidInputError

RECALL_FLIPS = 0.1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a Hopfield memory with a learning rule (softmax-Hebbian, MPF, measured flow, ...)",
        description="Store P = load*N random patterns (or --patterns), start from the Hebb matrix and train with "
        "--rule for --epochs steps of --lr under a fixed parameter norm; report loss, fixed points, gaps, recall.",
    )
    parser.add_argument(
        "--rule",
        default="softmax-hebbian",
        help="hebb, softmax-hebbian (default), "
        "lorentzian-hebbian, mpf, measured-flow; parameters inline (softmax-hebbian:beta=4) or below",
    )
    parser.add_argument("--beta", type=float, default=None, help="beta of softmax-hebbian / measured-flow")
    parser.add_argument("--gamma", type=float, default=None, help="Gamma of lorentzian-hebbian")
    parser.add_argument("--survival", action="store_true", help="softmax-hebbian: survival loss softplus(F)")
    parser.add_argument(
        "--protocol",
        default=None,
        help="measured-flow: Survival protocol without the state, "
        "e.g. survival:gamma=0.3,time=5,regime=dephased,beta=2",
    )
    parser.add_argument("--sampler", default=None, help="sampler for measured-flow (see `qflow plugins`)")
    parser.add_argument("--reads", type=int, default=1000, help="measured-flow: reads per pattern (default 1000)")
    add_options_argument(parser)
    parser.add_argument("--n", type=int, default=100, help="number of spins N (default 100)")
    parser.add_argument("--load", type=float, default=0.1, help="load alpha = P/N of random patterns (default 0.1)")
    parser.add_argument("--patterns", type=Path, default=None, help="(P, N) ±1 patterns as .npy instead")
    parser.add_argument("--epochs", type=int, default=300, help="training epochs (default 300)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    parser.add_argument(
        "--norm", type=norm_argument, default="initial", help="'initial' (default), a number, or 'none'"
    )
    parser.add_argument("--weight-decay", type=float, default=0.0, help="weight decay (default 0)")
    parser.add_argument("--freeze-fields", action="store_true", help="train J only (h stays 0)")
    parser.add_argument(
        "--seed", type=seed_argument, default=0, help="seed of patterns, recall and sampler runs (default 0)"
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="checkpoint file: saved every --checkpoint-every epochs, resumed from when it exists",
    )
    parser.add_argument("--checkpoint-every", type=int, default=10, help="epochs between checkpoints (default 10)")
    add_quiet_argument(parser)
    add_output_arguments(parser)
    parser.set_defaults(func=run)


def build_rule(args: argparse.Namespace):
    """The rule named by ``--rule`` with ``--beta/--gamma/--survival/--protocol/--reads`` applied."""
    from qflow_core.learning.rules import parse_rule

    spec = args.rule
    options = []
    if args.beta is not None:
        options.append(f"beta={args.beta}")
    if args.gamma is not None:
        options.append(f"gamma={args.gamma}")
    if args.survival:
        options.append("survival=true")
    if options:
        spec += ("," if ":" in spec else ":") + ",".join(options)
    protocol = parse_protocol_template(args.protocol) if args.protocol else None
    return parse_rule(spec, protocol=protocol, num_reads=args.reads)


def parse_protocol_template(text: str) -> str:
    """Check a Survival protocol string (the state is filled in per pattern) and return it."""
    probe = text if "state=" in text else text.replace("survival:", "survival:state=+,", 1)
    if protocol_from_text(probe).name != "survival":
        raise InvalidInputError(f"--protocol must be a Survival protocol, got {text!r}")
    return text


def load_patterns(args: argparse.Namespace):
    """The ``--patterns`` array, or ``round(load * n)`` random ±1 patterns drawn from ``--seed``."""
    import numpy as np

    from qflow_core.validation import check_memory

    if args.patterns is not None:
        try:
            patterns = np.load(args.patterns, allow_pickle=False)
        except (ValueError, EOFError) as exc:
            raise InvalidInputError(f"{args.patterns} is not a numeric .npy array: {exc}") from None
        return np.atleast_2d(patterns)
    if args.n < 2 or args.load <= 0:
        raise InvalidInputError(f"need --n ≥ 2 and --load > 0, got {args.n} and {args.load}")
    count = max(1, round(args.load * args.n))
    n = args.n  # the patterns, then J and a step's copies of it
    check_memory(
        f"training on {count} random patterns",
        n=n,
        required_bytes=8.0 * (count * n + 4 * n * n),
        fix="use a smaller --n",
    )
    return np.random.default_rng(args.seed).choice([-1, 1], size=(count, args.n))


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from qflow_core.experiments.capacity import rule_label
    from qflow_core.experiments.recall import recall
    from qflow_core.io import atomic_write_json
    from qflow_core.learning.rules import Hebbian
    from qflow_core.learning.training import train
    from qflow_core.records import result_record

    rule = build_rule(args)
    patterns = load_patterns(args)
    norm = args.norm
    if args.sampler is not None:
        check_sampler_names([args.sampler])
    if args.sampler is not None and not rule.requires_sampler:
        print(f"note: rule {rule.name!r} is closed-form; --sampler {args.sampler} is not used", file=sys.stderr)
    if args.option:
        if args.sampler is None or not rule.requires_sampler:
            raise InvalidInputError(
                f"--option passes run options to the sampler of a measuring rule (measured-flow with --sampler); "
                f"rule {rule.name!r}{'' if args.sampler else ' without --sampler'} runs no sampler"
            )
        rule.backend_options = options_for_one(args, args.sampler)
    with run_output(args, "train") as out:
        memory = Hebbian.store(patterns)
        history = train(
            memory,
            patterns,
            rule,
            epochs=args.epochs,
            lr=args.lr,
            sampler=args.sampler if rule.requires_sampler else None,
            norm=norm,
            weight_decay=args.weight_decay,
            train_fields=not args.freeze_fields,
            checkpoint=args.checkpoint,
            checkpoint_every=args.checkpoint_every,
            progress=show_progress(args),
            seed=args.seed,
        )
        recalled = recall(history.memory, patterns, flip_fraction=RECALL_FLIPS, trials=3, seed=args.seed)
        gaps = np.asarray(history.min_gap)
        count, n = patterns.shape
        print(
            f"{rule_label(rule)} | N = {n}, P = {count} | {history.epochs} epochs, lr {args.lr:g} | "
            f"loss {history.loss[0]:.4g} -> {history.loss[-1]:.4g} | {sum(history.wall_time):.3g} s"
        )
        print(
            f"fixed points: {history.stable_fraction[0]:.2f} -> {history.stable_fraction[-1]:.2f} | "
            f"min gap (worst pattern): {gaps[0].min():+.3f} -> {gaps[-1].min():+.3f} | "
            f"recall m = {recalled.mean_overlap:.3f} from {RECALL_FLIPS:.0%} flips"
        )
        data = {
            "history": history.to_dict(),
            "patterns": patterns,
            "recall": recalled.to_dict(),
            "record": result_record({}, kind="train", config=cli_config(args)),
        }
        print(f"wrote {atomic_write_json(out.json, data)}")
        print(f"wrote {history.plot(out.figure)}")
    return 0
