"""The seed's test, offline: softmax or Lorentzian for the M = 8 attention map under emulated quantum anneals.

The headline under test: a D-Wave *standard* anneal of the one-hot attention map gives key statistics better
fitted by a softmax than by a Lorentzian. Two emulations of the anneal H(s) = −A(s)/2 Σσˣ + B(s)/2 E at a
12 mK bath (path-integral Monte Carlo, freeze-out along the schedule):

* ``sqa`` — the logical problem (8 spins), P = 32, its own time mapping (50 sweeps per µs, at least 10);
* ``dwave-mock`` with ``sampler="sqa"`` — the same physics and time mapping on the embedded problem as the
  QPU receives it (Pegasus P16, minorminer chains, Ocean's chain strength, auto-scaling into h/J ranges).

For every backend × {standard 20 µs, fast 20 ns} anneal and ``SEEDS`` seeds it reports β̂ (softmax fit), γ̂
(Lorentzian fit), the Vuong statistic and verdict (5 %, :func:`qflow_core.fitting.compare_models`), the
fraction of non-one-hot reads, and the G-test p-value of *each* fitted model against the one-hot counts
(G = 2 Σ n ln(n / N p̂), χ² with M − 2 degrees of freedom: M − 1 free cells less one fitted parameter). Two
sweeps then show how the verdict of the standard anneal moves with the freeze-out point: the bath temperature,
and the number of Monte Carlo sweeps the 20 µs anneal is given (the emulation's anneal time). Output: markdown
tables on stdout (pasted into ``docs/emulation.md``) and, with ``--json PATH``, every run's numbers.

Run: ``python benchmarks/attention_verdicts.py`` (≈ 8 min on one core at the defaults; ``--reads`` and
``--seeds`` trade time for power).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402
from qflow_dwave import DWaveMock, PathIntegralSubstitute  # noqa: E402
from scipy.stats import chi2  # noqa: E402

from qflow_core.experiments.attention import attention_map  # noqa: E402
from qflow_core.experiments.compare import builtin_instance  # noqa: E402
from qflow_core.registry import get_sampler  # noqa: E402

PROTOCOLS = {"standard": "anneal:kind=standard", "fast": "anneal:kind=fast"}
TEMPERATURES_MK = (6.0, 12.0, 24.0, 48.0)
SWEEPS = (200, 3000)  # either side of the default 1000


def g_test_pvalue(counts: np.ndarray, probabilities: np.ndarray) -> float:
    """G-test p-value of a one-parameter model ``probabilities`` against the one-hot ``counts`` (dof = M − 2)."""
    n = counts.sum()
    seen = counts > 0
    g = 2.0 * float(np.sum(counts[seen] * np.log(counts[seen] / (n * probabilities[seen]))))
    return float(chi2.sf(g, len(counts) - 2))


def one_run(memory, sampler, protocol: str, reads: int, seed: int, **options) -> dict:
    start = time.process_time()
    result = attention_map(memory, sampler, protocol, num_reads=reads, seed=seed, **options)
    c = result.comparison
    return {
        "seed": seed,
        "beta": c.softmax.beta,
        "beta_se": c.softmax.se,
        "gamma": c.lorentzian.gamma,
        "vuong_z": c.vuong_z,
        "verdict": c.verdict,
        "g_p_softmax": g_test_pvalue(result.counts, c.softmax.probabilities),
        "g_p_lorentzian": g_test_pvalue(result.counts, c.lorentzian.probabilities),
        "invalid": result.invalid_fraction,
        "cpu_s": time.process_time() - start,
    }


def summary_row(label: str, protocol: str, runs: list[dict]) -> str:
    betas = [r["beta"] for r in runs]
    spread = statistics.stdev(betas) if len(betas) > 1 else float("nan")
    verdicts = Counter(r["verdict"] for r in runs)
    median = statistics.median
    return (
        f"| {label} | {protocol} | {len(runs)} | {statistics.mean(betas):.3f} ± {spread:.3f} | "
        f"{median(r['gamma'] for r in runs):.3f} | {median(r['vuong_z'] for r in runs):+.2f} | "
        f"{median(r['g_p_softmax'] for r in runs):.2g} | {median(r['g_p_lorentzian'] for r in runs):.2g} | "
        f"{median(r['invalid'] for r in runs):.1%} | {verdicts['softmax']}/{verdicts['lorentzian']}/"
        f"{verdicts['undecided']} | {statistics.mean(r['cpu_s'] for r in runs):.2f} |"
    )


HEADER = (
    "| backend | anneal | seeds | β̂ (mean ± sd over seeds) | γ̂ (median) | Vuong z (median) | G-test p softmax "
    "(median) | G-test p Lorentzian (median) | invalid (median) | verdicts softmax/Lorentzian/undecided | "
    "CPU s per run |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=3000, help="reads per run (default 3000)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per backend x anneal (default 10)")
    parser.add_argument("--sweep-seeds", type=int, default=2, help="seeds per point of the sweeps (default 2)")
    parser.add_argument("--json", default=None, help="write every run's numbers here")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    memory = builtin_instance()
    backends = {"sqa": (get_sampler("sqa"), {}), "dwave-mock (sqa)": (DWaveMock(sampler="sqa"), {})}
    for sampler, _ in backends.values():  # warm-up: numba kernels, the mock's embedding
        for protocol in PROTOCOLS.values():
            attention_map(memory, sampler, protocol, num_reads=20, seed=0)
    runs: dict[str, list[dict]] = {}
    print(f"M = {len(memory.scores)} keys, {args.reads} reads per run, bath 12 mK\n\n{HEADER}")
    for label, (sampler, options) in backends.items():
        for kind, protocol in PROTOCOLS.items():
            key = f"{label} | {kind}"
            runs[key] = [one_run(memory, sampler, protocol, args.reads, seed, **options) for seed in range(args.seeds)]
            print(summary_row(label, kind, runs[key]), flush=True)
    print(f"\nStandard anneal vs bath temperature ({args.sweep_seeds} seeds each)\n\n{HEADER}")
    for temperature in TEMPERATURES_MK:
        sweep = {
            "sqa": (backends["sqa"][0], {"temperature_mk": temperature}),
            "dwave-mock (sqa)": (DWaveMock(sampler="sqa", temperature_mk=temperature), {}),
        }
        for label, (sampler, options) in sweep.items():
            key = f"{label} | standard | {temperature:g} mK"
            runs[key] = [
                one_run(memory, sampler, PROTOCOLS["standard"], args.reads, 100 + seed, **options)
                for seed in range(args.sweep_seeds)
            ]
            print(summary_row(f"{label}, {temperature:g} mK", "standard", runs[key]), flush=True)
    print(f"\nStandard anneal vs Monte Carlo sweeps, 12 mK ({args.sweep_seeds} seeds each)\n\n{HEADER}")
    for sweeps in SWEEPS:
        sweep = {
            "sqa": (backends["sqa"][0], {"sweeps": sweeps}),
            "dwave-mock (sqa)": (DWaveMock(substitute_sampler=PathIntegralSubstitute(sweeps_per_us=sweeps / 20)), {}),
        }
        for label, (sampler, options) in sweep.items():
            key = f"{label} | standard | {sweeps} sweeps"
            runs[key] = [
                one_run(memory, sampler, PROTOCOLS["standard"], args.reads, 200 + seed, **options)
                for seed in range(args.sweep_seeds)
            ]
            print(summary_row(f"{label}, {sweeps} sweeps", "standard", runs[key]), flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(runs, handle, indent=1)


if __name__ == "__main__":
    main()
