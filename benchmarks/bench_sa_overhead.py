"""SA through qflow vs dwave-samplers called directly with identical parameters.

Dense 64-spin model, 1000 reads × 1000 sweeps, default geometric schedule (what ``Anneal("standard")`` maps to).
Calls alternate (direct, qflow) for several rounds so machine load hits both alike; the printed figure is
the median of the per-round time ratios (goal ≤ 1.05). Run: ``python benchmarks/bench_sa_overhead.py``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from dwave.samplers import SimulatedAnnealingSampler

from qflow_core import Anneal, IsingMemory, get_sampler

N, READS, SWEEPS, ROUNDS = 64, 1000, 1000, 5


def main() -> None:
    rng = np.random.default_rng(0)
    A = rng.normal(size=(N, N))
    J = (A + A.T) / 2
    np.fill_diagonal(J, 0)
    bqm = IsingMemory(J, rng.normal(size=N)).to_bqm()
    direct, through = SimulatedAnnealingSampler(), get_sampler("sa")
    ratios, t_direct, t_qflow = [], [], []
    for round_ in range(ROUNDS):
        t0 = time.perf_counter()
        a = direct.sample(bqm, num_reads=READS, num_sweeps=SWEEPS, beta_schedule_type="geometric", seed=round_)
        t1 = time.perf_counter()
        b = through.run(bqm, Anneal("standard"), num_reads=READS, seed=round_)
        t2 = time.perf_counter()
        assert np.array_equal(a.record.sample, b.record.sample), "qflow must run the identical computation"
        t_direct.append(t1 - t0)
        t_qflow.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    print(f"SA dense n={N}, {READS} reads x {SWEEPS} sweeps, {ROUNDS} alternating rounds")
    print(f"  direct dwave-samplers: median {statistics.median(t_direct):.3f} s")
    print(f"  through qflow:         median {statistics.median(t_qflow):.3f} s")
    print(
        f"  ratio qflow/direct: median {statistics.median(ratios):.3f} (goal <= 1.05), "
        f"min {min(ratios):.3f}, max {max(ratios):.3f}"
    )


if __name__ == "__main__":
    main()
