"""``qflow calibrate``: the effective inverse temperature of one sampler × protocol on the built-in instance.

Runs the protocol on the attention QUBO of ``qflow compare`` and estimates β̂ by maximum pseudo-likelihood from
all reads (:func:`qflow_core.temperature.pseudolikelihood_beta`), with a bootstrap interval and the TV distance
between the reads and the Boltzmann distribution at β̂ (next to the TV a perfect thermal sampler would show with
as many reads).

>>> from qflow_core.cli import main
>>> main(["calibrate", "--sampler", "enum", "--protocol", "boltzmann:beta=1.5", "--reads", "4000"])
... # doctest: +ELLIPSIS
enum · boltzmann:beta=1.5,gamma=0.0 · 4000 reads
effective beta = 1.48 [95% bootstrap 1.43, 1.53]
TV to Boltzmann at beta-hat = 0.0... (a thermal sampler with as many reads: 0.0...)
0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qflow_core.cli.attention import add_instance_arguments, load_instance
from qflow_core.cli.common import check_sampler_names, protocol_argument, seed_argument
from qflow_core.cli.options import add_options_argument, options_for_one
from qflow_core.cli.paid import add_yes_argument, confirm_paid


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help="estimate the effective beta of a sampler x protocol (maximum pseudo-likelihood)",
        description="Sample the built-in attention instance and estimate the effective inverse temperature of the "
        "reads, with a bootstrap interval and the TV distance to the Boltzmann distribution at that beta.",
    )
    parser.add_argument("--sampler", required=True, help="sampler name, e.g. sa, dwave-mock, sqa")
    parser.add_argument("--protocol", required=True, type=protocol_argument, help="protocol, e.g. anneal:kind=fast")
    add_instance_arguments(parser)
    parser.add_argument("--reads", type=int, default=2000, help="reads (default 2000)")
    parser.add_argument("--seed", type=seed_argument, default=0, help="seed (default 0)")
    add_options_argument(parser)
    parser.add_argument("--out", type=Path, default=None, help="also write the estimate as JSON here")
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")
    add_yes_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qflow_core.cli.output import refuse_existing
    from qflow_core.experiments.compare_report import THERMAL_TV
    from qflow_core.io import atomic_write_json
    from qflow_core.registry import check_support, resolve_sampler
    from qflow_core.temperature import pseudolikelihood_beta

    refuse_existing(args.out, "--out", args.force)
    check_sampler_names([args.sampler])
    options = options_for_one(args, args.sampler)
    memory = load_instance(args)
    confirm_paid([args.sampler], [args.protocol], args.reads, yes=args.yes)
    sampler = resolve_sampler(args.sampler)
    check_support(sampler, args.protocol)
    bqm = memory.to_bqm()
    sampleset = sampler.run(bqm, args.protocol, num_reads=args.reads, seed=args.seed, **options)
    estimate = pseudolikelihood_beta(bqm, sampleset, seed=args.seed)
    lo, hi = estimate.interval
    print(f"{sampler.name} · {args.protocol} · {estimate.num_reads} reads")
    print(f"effective beta = {estimate.beta:.3g} [95% bootstrap {lo:.3g}, {hi:.3g}]")
    if estimate.tv is not None:
        print(
            f"TV to Boltzmann at beta-hat = {estimate.tv:.3f} (a thermal sampler with as many reads: "
            f"{estimate.tv_floor:.3f})"
        )
        if estimate.tv_floor and estimate.tv > THERMAL_TV * estimate.tv_floor:
            print(
                f"note: the reads are not Boltzmann at beta-hat (TV above {THERMAL_TV:g}x the thermal floor): the "
                "effective beta describes them, it is not a temperature they were drawn at"
            )
    if args.out is not None:
        record = {"sampler": sampler.name, "protocol": args.protocol.to_dict(), "options": options}
        record.update(estimate.to_dict())
        print(f"wrote {atomic_write_json(args.out, json.loads(json.dumps(record)))}")
    return 0
