"""CPU seconds of the default ``qflow compare`` job, per sampler and protocol (where the main job's time goes).

Runs the default plan — every installed sampler (``dwave`` needs a token and is skipped) × the default
protocols it supports, the default job's reads, the built-in M = 8 instance, each row seeded as ``compare`` seeds it —
one row at a time, and reports the process time of each row after a warm-up run of the same sampler and protocol
on a *different, smaller* attention instance and a separate sampler instance (imports, numba kernels), so a
row's figure includes what a fresh sampler pays for this problem (building the mock, embedding, spectra) but not
one-off compilation. Pass sampler names to time a subset.

Then it times the job as a user runs it: ``qflow compare`` with its defaults, ``ROUNDS`` fresh processes in an
empty directory, wall and CPU time (children's rusage) of each; the README's figure for the main job is these
runs' range.

Run: ``python benchmarks/bench_main_job.py [sa,dwave-mock,...] [--wall-only]``.
"""

from __future__ import annotations

import os

from figures import THREAD_VARIABLES, save_figures

for _var in THREAD_VARIABLES:
    os.environ[_var] = "1"

import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from qflow_core.cli.compare import DEFAULT_JOB_READS  # noqa: E402
from qflow_core.experiments.attention import attention_map  # noqa: E402
from qflow_core.experiments.compare import DEFAULT_PROTOCOLS, builtin_instance, run_seed  # noqa: E402
from qflow_core.models.attention import OneHotAttention  # noqa: E402
from qflow_core.registry import available_samplers, get_sampler  # noqa: E402

READS = DEFAULT_JOB_READS  # what `qflow compare` runs by default
ROUNDS = 3


def per_row(names: list[str]) -> dict[str, float]:
    """CPU seconds of each default row, summed per sampler (printed row by row)."""
    memory = builtin_instance()
    warm_up = OneHotAttention.random(num_keys=3, dim=4, seed=9)
    totals: dict[str, float] = {}
    for name in names:
        for protocol in DEFAULT_PROTOCOLS:
            if get_sampler(name).supports(protocol) is None:
                continue
            attention_map(warm_up, get_sampler(name), protocol, num_reads=20, seed=1)
            sampler = get_sampler(name)
            start = time.process_time()
            result = attention_map(memory, sampler, protocol, num_reads=READS, seed=run_seed(0, name, protocol))
            cpu = time.process_time() - start
            totals[name] = totals.get(name, 0.0) + cpu
            print(f"{name:11s} {protocol:24s} {cpu:6.2f} CPU s  verdict {result.verdict}", flush=True)
    print(
        "per sampler:", ", ".join(f"{k} {v:.2f} s" for k, v in totals.items()), f"| total {sum(totals.values()):.2f} s"
    )
    return totals


def whole_job() -> dict[str, list[float]]:
    """Wall and CPU seconds of ``qflow compare`` (defaults) in ``ROUNDS`` fresh processes."""
    walls, cpus = [], []
    with tempfile.TemporaryDirectory(prefix="bench-main-job-") as workdir:
        for _ in range(ROUNDS):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "qflow_core.cli", "compare", "--quiet"], cwd=workdir, check=True)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            print(f"qflow compare: {walls[-1]:.1f} s wall, {cpus[-1]:.1f} s CPU", flush=True)
    return {"wall_s": walls, "cpu_s": cpus}


def main(argv: list[str]) -> None:
    warnings.simplefilter("ignore", UserWarning)
    chosen = [a for a in argv if not a.startswith("--")]
    names = chosen[0].split(",") if chosen else [s for s in available_samplers() if s != "dwave"]
    figures = {} if "--wall-only" in argv else {"cpu_s_per_sampler": per_row(names)}
    figures |= whole_job()
    save_figures("main_job", figures)


if __name__ == "__main__":
    main(sys.argv[1:])
