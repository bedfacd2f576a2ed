"""``qflow ep``: train a small transverse-field Ising network by equilibrium propagation on one or more samplers.

Writes every run as JSON and a learning-curve PNG with one line per sampler into a new run directory
``results/ep-<UTC time>-<config hash>/`` (or exactly ``--out`` / ``--plot``). The JSON is rewritten atomically
after every finished run and says ``"complete": false`` until the last one: a later sampler's error or Ctrl-C
keeps the finished runs, and ``--resume --out FILE`` runs only the rest, ending with the file an uninterrupted
run writes.
"""

from __future__ import annotations

import argparse

from qflow_core.cli.common import add_list_argument, check_sampler_names, positive_float_argument, seed_argument
from qflow_core.cli.options import add_options_argument, options_from_args
from qflow_core.cli.output import add_output_arguments, run_output
from qflow_core.cli.progress import add_quiet_argument, show_progress
from qflow_core.errors import InvalidInputError

TASKS = ("and", "or", "xor", "nand", "teacher")
#: The options that change the numbers of a run.
SETTINGS = (
    "samplers", "task", "hidden", "gamma", "rule", "estimator", "nudge", "approx_nudge", "temperature", "epochs", "lr",
    "reads", "fix_gamma", "no_exact_check", "seed", "option",
)  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ep",
        help="train a TFIM network by equilibrium propagation on several samplers",
        description="Network: 2 input spins, --hidden hidden spins and 1 output spin, random couplings (seeded), "
        "uniform transverse field --gamma. Each sampler runs the same ep_train call; the exact loss and the cosine "
        "with the exact gradient are recorded when the exact plugin is installed.",
    )
    add_list_argument(parser, "--samplers", default=["exact", "sa"], help="sampler names (default exact,sa)")
    parser.add_argument("--task", choices=TASKS, default="and", help="Boolean map or a random teacher (default and)")
    parser.add_argument("--hidden", type=int, default=1, help="hidden spins (default 1)")
    parser.add_argument("--gamma", type=float, default=0.5, help="initial transverse field Γ (default 0.5)")
    parser.add_argument("--rule", choices=("quantum", "thermal"), default="quantum", help="QuantumEP or ThermalEP")
    parser.add_argument("--estimator", default=None, help="centered|one-sided (quantum), covariance|nudged (thermal)")
    parser.add_argument("--nudge", type=float, default=0.05, help="nudge b on exact samplers (default 0.05)")
    parser.add_argument(
        "--approx-nudge",
        type=float,
        default=0.5,
        help="nudge b on approximate samplers (default 0.5): a low-temperature classical sampler only sees a "
        "nudge that flips spins, so it needs b comparable to the gaps",
    )
    parser.add_argument(
        "--temperature", type=positive_float_argument, default=0.5, help="temperature of ThermalEP (default 0.5)"
    )
    parser.add_argument("--epochs", type=int, default=30, help="training epochs (default 30)")
    parser.add_argument("--lr", type=float, default=0.3, help="learning rate (default 0.3)")
    parser.add_argument("--reads", type=int, default=1000, help="reads per phase (default 1000)")
    parser.add_argument("--fix-gamma", action="store_true", help="do not train Γ")
    parser.add_argument("--no-exact-check", action="store_true", help="skip the exact loss / gradient check")
    parser.add_argument("--seed", type=seed_argument, default=0, help="random seed (default 0)")
    add_options_argument(parser, several=True)
    add_quiet_argument(parser)
    add_output_arguments(parser)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the finished runs of an interrupted run with the same settings in --out and run the rest",
    )
    parser.set_defaults(func=run)


def build_network(hidden: int, gamma: float, seed: int):
    """2 inputs, ``hidden`` hidden spins, 1 output; J ~ N(0, 0.3²) on every pair, h = 0."""
    import numpy as np

    from qflow_core.models.network import TransverseIsingNetwork

    if hidden < 0:
        raise InvalidInputError(f"--hidden must be ≥ 0, got {hidden}")
    n = 3 + hidden
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(0.0, 0.3, (n, n)), 1)
    return TransverseIsingNetwork(J + J.T, gamma=gamma, inputs=[0, 1], outputs=[n - 1])


def build_task(name: str, network, seed: int):
    """A Boolean map, or the sign map of a random teacher network of the same shape (J ~ N(0, 1), h ~ N(0, 0.5²))."""
    import numpy as np

    from qflow_core.models.network import SupervisedTask, TransverseIsingNetwork

    if name != "teacher":
        return SupervisedTask.boolean(name)
    rng = np.random.default_rng(seed + 1)
    n = network.n
    J = np.triu(rng.normal(0.0, 1.0, (n, n)), 1)
    teacher = TransverseIsingNetwork(
        J + J.T, rng.normal(0.0, 0.5, n), network.gamma, inputs=network.inputs, outputs=network.outputs
    )
    return SupervisedTask.from_teacher(teacher)


def build_rule(args: argparse.Namespace, sampler):
    """The rule for one sampler: ``--nudge`` where its phases are exact, ``--approx-nudge`` elsewhere."""
    from qflow_core.learning.ep import QuantumEP, ThermalEP
    from qflow_core.protocols import Boltzmann, GroundState

    if args.rule == "quantum":
        nudge = args.nudge if sampler.supports(GroundState(args.gamma)) == "exact" else args.approx_nudge
        return QuantumEP(nudge, args.estimator or "centered", num_reads=args.reads)
    nudge = (
        args.nudge if sampler.supports(Boltzmann(1.0 / args.temperature, args.gamma)) == "exact" else args.approx_nudge
    )
    return ThermalEP(args.temperature, args.estimator or "covariance", nudge=nudge, num_reads=args.reads)


def run_settings(args: argparse.Namespace) -> dict:
    """Every option that changes the numbers (compared before ``--resume`` reuses a finished run)."""
    return {k: getattr(args, k) for k in SETTINGS}


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from qflow_core.experiments.ep import EPTrainResult, ep_train, plot_learning_curves
    from qflow_core.journal import RunJournal
    from qflow_core.registry import get_sampler

    samplers = check_sampler_names(args.samplers)
    options = options_from_args(args, samplers)
    network = build_network(args.hidden, args.gamma, args.seed)
    task = build_task(args.task, network, args.seed)
    with run_output(args, "ep") as out:
        journal = RunJournal(out.json, run_settings(args), kind="ep", resume=args.resume, fields={"task": task.name})
        results = []
        for index, name in enumerate(samplers):
            key = f"{index}:{name}"
            saved = journal.finished(key)
            if saved is not None:
                try:
                    results.append(EPTrainResult(**saved))
                except TypeError as exc:
                    message = f"{out.json} holds a damaged run {key!r} ({exc}); remove the file"
                    raise InvalidInputError(message) from None
                print(f"{name}: finished before, kept from {out.json}")
                continue
            sampler = get_sampler(name)
            rule = build_rule(args, sampler)
            rule.backend_options = options.get(sampler.name, {})
            result = ep_train(
                network,
                task,
                rule,
                sampler,
                epochs=args.epochs,
                lr=args.lr,
                seed=args.seed,
                exact_check=not args.no_exact_check,
                train_gamma=not args.fix_gamma,
                progress=show_progress(args),
            )
            journal.record(key, result.to_dict())
            results.append(result)
            exact = (
                ""
                if result.final_exact_loss is None
                else f", exact loss {result.exact_loss[0]:.4g} → {result.final_exact_loss:.4g}"
            )
            print(
                f"{name}: measured loss {result.loss[0]:.4g} → {result.final_loss:.4g}{exact}, "
                f"{np.mean(result.step_time_s) * 1e3:.3g} ms per step"
            )
        plot_learning_curves(results, out.figure)
        journal.finish()
        print(f"wrote {out.json} and {out.figure}")
    return 0
