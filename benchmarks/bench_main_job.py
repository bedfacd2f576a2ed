"""CPU seconds of the default ``qflow compare`` job, per sampler and protocol (where the main job's time goes).

Runs the default plan — every installed sampler (``dwave`` needs a token and is skipped) × the default
protocols it supports, the default job's reads, the built-in M = 8 instance, each row seeded as ``compare`` seeds it —
one row at a time, and reports the process time of each row after a warm-up run of the same sampler and protocol
on a *different, smaller* attention instance and a separate sampler instance (imports, numba kernels), so a
row's figure includes what a fresh sampler pays for this problem (building the mock, embedding, spectra) but not
one-off compilation. Pass sampler names to time a subset.

Run: ``python benchmarks/bench_main_job.py [sa,dwave-mock,...]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from qflow_core.cli.compare import DEFAULT_JOB_READS  # noqa: E402
from qflow_core.experiments.attention import attention_map  # noqa: E402
from qflow_core.experiments.compare import DEFAULT_PROTOCOLS, builtin_instance, run_seed  # noqa: E402
from qflow_core.models.attention import OneHotAttention  # noqa: E402
from qflow_core.registry import available_samplers, get_sampler  # noqa: E402

READS = DEFAULT_JOB_READS  # what `qflow compare` runs by default
#: The default job leaves the 20 µs anneal out on ``exact`` (its evolution does not converge at this scale).
LEFT_OUT = {"exact": {"anneal:kind=standard"}}


def main() -> None:
    warnings.simplefilter("ignore", UserWarning)
    names = sys.argv[1].split(",") if len(sys.argv) > 1 else [s for s in available_samplers() if s != "dwave"]
    memory = builtin_instance()
    warm_up = OneHotAttention.random(num_keys=3, dim=4, seed=9)
    totals: dict[str, float] = {}
    for name in names:
        for protocol in DEFAULT_PROTOCOLS:
            if get_sampler(name).supports(protocol) is None or protocol in LEFT_OUT.get(name, ()):
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


if __name__ == "__main__":
    main()
