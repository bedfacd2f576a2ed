"""dwave-mock overhead: qflow's run (validation, gauges, embedding cache, info) vs the bare Ocean stack.

Both sample the M = 8 one-hot attention BQM, 1000 reads, standard 20 µs anneal, on the same
MockDWaveSampler + ThermalSubstitute (Pegasus P16): the baseline is one
``EmbeddingComposite(SpinReversalTransformComposite(mock))`` call with 4 spin-reversal transforms.
Prints the median wall time of each over 5 alternating rounds and the ratio (goal: seconds per run, ratio ≤ 1.5).

Second figure: ``run_many`` of 8 Survival runs (one per stored pattern of a 16-spin Hebbian memory, 1000 reads
each) through ``ReverseBatchStatesComposite`` vs the loop of single ``run`` calls with the same child seeds —
identical samples (checked), so the ratio is the overhead of Ocean's batch composite (goal ≤ 1.2 on the mock,
≈ 1 ms per state; on a QPU each call's ~15 ms programming and network round trip dominate).
"""

import statistics
import time

import dimod
import numpy as np
from dwave.preprocessing import SpinReversalTransformComposite
from dwave.system import EmbeddingComposite
from qflow_dwave import DWaveMock
from qflow_dwave.mock import ThermalSubstitute, build_mock

from qflow_core.learning.rules import Hebbian
from qflow_core.protocols import Anneal, Survival
from qflow_core.seeding import child_seed


def one_hot_bqm(m: int = 8, seed: int = 0) -> dimod.BinaryQuadraticModel:
    scores = np.random.default_rng(seed).normal(0, 1, m)
    penalty = 2 * np.abs(scores).max() + 0.5
    qubo = {(i, i): -(penalty + scores[i]) for i in range(m)}
    qubo.update({(i, j): 2 * penalty for i in range(m) for j in range(i + 1, m)})
    return dimod.BQM.from_qubo(qubo, offset=penalty)


def main() -> None:
    bqm = one_hot_bqm()
    sampler = DWaveMock()
    sampler.run(bqm, Anneal(), num_reads=1000, seed=0)  # warm: mock built, embedding cached
    mock = build_mock("pegasus", [16], ThermalSubstitute(h_range=(-4, 4), j_range=(-1, 1)))
    baseline = EmbeddingComposite(SpinReversalTransformComposite(mock, seed=0))
    qflow_times, ocean_times = [], []
    for round_ in range(5):
        start = time.perf_counter()
        sampler.run(bqm, Anneal(), num_reads=1000, seed=round_)
        qflow_times.append(time.perf_counter() - start)
        mock.substitute_kwargs = {"seed": round_}
        start = time.perf_counter()
        baseline.sample(bqm, num_reads=250, num_spin_reversal_transforms=4, annealing_time=20.0).resolve()
        ocean_times.append(time.perf_counter() - start)
    q, o = statistics.median(qflow_times), statistics.median(ocean_times)
    print(f"qflow dwave-mock run : {q:.3f} s (median of 5)")
    print(f"bare Ocean stack     : {o:.3f} s (median of 5)")
    print(f"ratio qflow / Ocean  : {q / o:.2f}")
    batch_vs_loop()


def batch_vs_loop(n: int = 16, patterns: int = 8, reads: int = 1000) -> None:
    xi = np.random.default_rng(1).choice([-1, 1], size=(patterns, n))
    bqm = Hebbian.store(xi).to_bqm()
    protocols = [Survival(tuple(int(x) for x in p), gamma=0.3, time=2.0, regime="dephased", beta=1.0) for p in xi]
    sampler = DWaveMock()
    sampler.run(bqm, protocols[0], num_reads=reads, seed=0)  # warm: mock built, embedding cached
    batch_times, loop_times = [], []
    for round_ in range(5):
        start = time.perf_counter()
        batch = sampler.run_many(bqm, protocols, num_reads=reads, seed=round_)
        batch_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        loop = [sampler.run(bqm, p, num_reads=reads, seed=child_seed(round_, i)) for i, p in enumerate(protocols)]
        loop_times.append(time.perf_counter() - start)
        assert all(np.array_equal(a.record.sample, b.record.sample) for a, b in zip(batch, loop, strict=True))
    b, lo = statistics.median(batch_times), statistics.median(loop_times)
    print(f"run_many, {patterns} Survival states (ReverseBatchStatesComposite): {b:.3f} s (median of 5)")
    print(f"loop of {patterns} run calls, same seeds                        : {lo:.3f} s (median of 5)")
    print(f"ratio batch / loop : {b / lo:.3f} (identical samples)")


if __name__ == "__main__":
    main()
