"""``qflow emergent``: the grand-canonical circulation test of emergent quantumness in learning ensembles.

Solves the exact oracle of a seeded hidden layer at one point (μ, T_q/T, k_x), scans μ, T_q/T and k_x through
it, measures Γ on square loops of several sizes and the slow spectrum, optionally runs the particle learners
and the sampler calibration on a qflow sampler, and prints the verdict (supports / fails / inconclusive) with
the numbers behind it. Writes the result as JSON and a four-panel figure into a new run directory
``results/emergent-<UTC time>-<config hash>/`` (or exactly ``--out`` / ``--plot``).

>>> import tempfile
>>> from qflow_core.cli import main
>>> main(["emergent", "--M", "2", "--grid", "17", "--half-width", "2", "--loops", "1,2,4", "--scan-mu", "1",
...       "--scan-tq", "1", "--scan-kx", "1", "--modes", "2", "--results-dir", tempfile.mkdtemp()])
... # doctest: +ELLIPSIS
verdict: ...
wrote .../emergent.json
wrote .../emergent.png
0
"""

from __future__ import annotations

import argparse

from qflow_core.cli.common import seed_argument
from qflow_core.cli.output import add_output_arguments, run_output
from qflow_core.errors import InvalidInputError

__all__ = ["register", "run"]


def _numbers(text: str, option: str, kind: type = float) -> list:
    try:
        return [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InvalidInputError(f"{option} must be comma-separated numbers, got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "emergent",
        help="grand-canonical circulation test: do learners exchanging neurons show quantised circulation?",
        description="Exact oracle of noisy learners with a hidden layer of --M neuron slots exchanged with a "
        "reservoir at chemical potential mu, scans of mu, T_q/T and k_x, loop circulations, slow spectrum, and "
        "optionally the particle experiment on --sampler. Prints the verdict with its numbers.",
    )
    model = parser.add_argument_group("model")
    model.add_argument("--M", type=int, default=5, help="hidden neuron slots, 3^M hidden states (default 5)")
    model.add_argument("--model-seed", type=int, default=0, help="seed of the couplings w, c, J (default 0)")
    model.add_argument("--kappa", type=float, default=2.5, help="confinement κ|q|²/2 (default 2.5)")
    model.add_argument("--eps-act", type=float, default=3.0, help="energy of an active unit (default 3)")
    model.add_argument("--temperature", type=float, default=1.0, help="hidden (sampler) temperature T (default 1)")
    point = parser.add_argument_group("learner dynamics and scans")
    point.add_argument("--mu", type=float, default=2.0, help="chemical potential μ (default 2)")
    point.add_argument("--tq-ratio", type=float, default=2.0, help="learner temperature T_q/T (default 2)")
    point.add_argument("--kx", type=float, default=1.0, help="neuron exchange rate k_x (default 1)")
    point.add_argument("--D", type=float, default=1.0, help="learner diffusion D; γ = D/T_q (default 1)")
    point.add_argument("--exchange", choices=("symmetric", "metropolis"), default="symmetric", help="exchange rule")
    point.add_argument("--grid", type=int, default=49, help="grid points per axis (default 49)")
    point.add_argument("--half-width", type=float, default=4.0, help="grid on [−L, L]² (default L = 4)")
    point.add_argument("--loops", default="2,4,6,8,12,16,20", help="loop half-sizes in cells (default 2,…,20)")
    point.add_argument("--scan-mu", default="1,2,3,4", help="μ values (default 1,2,3,4)")
    point.add_argument("--scan-tq", default="0.5,1,1.5,2,3", help="T_q/T values; 1 is always added")
    point.add_argument("--scan-kx", default="0.1,1,10", help="k_x values (default 0.1,1,10)")
    point.add_argument("--modes", type=int, default=8, help="slow eigenvalues per point (default 8)")
    particles = parser.add_argument_group("particles and calibration (need a Boltzmann sampler)")
    particles.add_argument("--sampler", default="exact", help="sampler for the hidden averages (default exact)")
    particles.add_argument("--particles", type=int, default=0, help="learners R; 0 skips the particles (default)")
    particles.add_argument("--steps", type=int, default=1000, help="measured steps per learner (default 1000)")
    particles.add_argument("--dt", type=float, default=0.02, help="learner time step (default 0.02)")
    particles.add_argument("--burn-in", type=int, default=100, help="steps discarded first (default 100)")
    particles.add_argument("--reads", type=int, default=4, help="sampler reads per learner step (default 4)")
    particles.add_argument(
        "--calibrate", type=int, default=None, metavar="READS", help="also run the sampler calibration with READS reads"
    )
    parser.add_argument("--seed", type=seed_argument, default=0, help="random seed of particles and checks (default 0)")
    add_output_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qflow_core.experiments.emergent import EmergentModel, ParticleSettings, emergent

    model = EmergentModel.random(
        args.M, seed=args.model_seed, eps_act=args.eps_act, kappa=args.kappa, T=args.temperature
    )
    particles = None
    if args.particles:
        particles = ParticleSettings(
            learners=args.particles, steps=args.steps, dt=args.dt, burn_in=args.burn_in, num_reads=args.reads
        )
    half_sizes = _numbers(args.loops, "--loops", int)
    scans = {
        key: _numbers(getattr(args, key), "--" + key.replace("_", "-")) for key in ("scan_mu", "scan_tq", "scan_kx")
    }
    with run_output(args, "emergent") as out:
        result = emergent(
            model,
            mu=args.mu,
            tq_ratio=args.tq_ratio,
            k_x=args.kx,
            D=args.D,
            exchange=args.exchange,
            grid=args.grid,
            half_width=args.half_width,
            half_sizes=half_sizes,
            **scans,
            modes=args.modes,
            sampler=args.sampler,
            particles=particles,
            calibration_reads=args.calibrate,
            seed=args.seed,
        )
        print(result.summary())
        print(f"wrote {result.save(out.json)}")
        print(f"wrote {result.plot(out.figure)}")
    return 0
