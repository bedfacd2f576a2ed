"""Time to 1000 reads of the embedded M = 8 attention problem on ``dwave-mock``: thermal (sa) vs quantum (sqa).

The problem is the built-in instance of ``qflow compare`` (M = 8 keys, d = 16), embedded by minorminer on the
mock's Pegasus P16 (12 qubits; 14 with the fast anneal's ancilla), four spin-reversal gauges per run as in the
default job. Each substitute runs the standard (20 µs) and the fast (20 ns) anneal; the figure is the wall time
of one 1000-read run (embedding cached, kernels compiled), min of ``ROUNDS`` alternating rounds, one thread.
The sqa substitute's cost is P = 32 slices × its sweeps (200 standard, 10 fast) against the thermal model's
Metropolis sweeps (at most 1000, fewer once the energy stops drifting), so the ratio is printed per anneal.

Run: ``python benchmarks/bench_mock_sqa.py`` (about a minute).
"""

from __future__ import annotations

import os

from figures import THREAD_VARIABLES, save_figures

for _var in THREAD_VARIABLES:
    os.environ[_var] = "1"

import time  # noqa: E402
import warnings  # noqa: E402

from qflow_dwave import DWaveMock  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from qflow_core.experiments.compare import builtin_instance  # noqa: E402
from qflow_core.protocols import Anneal  # noqa: E402

READS, ROUNDS = 1000, 3


def timed(sampler: DWaveMock, bqm, protocol: Anneal, seed: int) -> tuple[float, dict]:
    start = time.perf_counter()
    ss = sampler.run(bqm, protocol, num_reads=READS, seed=seed)
    return time.perf_counter() - start, ss.info["qflow"]["backend"]


def main() -> None:
    warnings.simplefilter("ignore", UserWarning)
    bqm = builtin_instance().to_bqm()
    mocks = {"sa": DWaveMock(), "sqa": DWaveMock(sampler="sqa")}
    print(f"embedded M = 8 attention problem, {READS} reads per run, min of {ROUNDS} alternating rounds, one thread")
    seconds: dict[str, dict[str, float]] = {}
    with threadpool_limits(1):
        for kind in ("standard", "fast"):
            protocol = Anneal(kind)
            best = {name: float("inf") for name in mocks}
            details = {}
            for name, mock in mocks.items():  # warm-up: embedding, numba kernels
                details[name] = timed(mock, bqm, protocol, 0)[1]
            for round_ in range(ROUNDS):
                for name, mock in mocks.items():
                    best[name] = min(best[name], timed(mock, bqm, protocol, round_ + 1)[0])
            qubits = details["sa"]["embedding"]["num_qubits"]
            physics = details["sqa"]["physics"]
            print(
                f"{kind:8s} ({qubits} qubits): sa {best['sa']:.3f} s, sqa {best['sqa']:.3f} s "
                f"(P = {physics['trotter_slices']}), sqa/sa = {best['sqa'] / best['sa']:.2f}"
            )
            seconds[kind] = best
    save_figures("mock_sqa", {"reads": READS, "seconds": seconds})


if __name__ == "__main__":
    main()
