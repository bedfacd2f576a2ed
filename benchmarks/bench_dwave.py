"""dwave-mock overhead: qflow's run (validation, gauges, embedding cache, info) vs the bare Ocean stack.

Both sample the M = 8 one-hot attention BQM, 1000 reads, standard 20 µs anneal, on the same
MockDWaveSampler + ThermalSubstitute (Pegasus P16): the baseline is one
``EmbeddingComposite(SpinReversalTransformComposite(mock))`` call with 4 spin-reversal transforms.
Prints the median wall time of each over 5 alternating rounds and the ratio (goal: seconds per run, ratio ≤ 1.5).
"""

import statistics
import time

import dimod
import numpy as np
from dwave.preprocessing import SpinReversalTransformComposite
from dwave.system import EmbeddingComposite
from qflow_dwave import DWaveMock
from qflow_dwave.mock import ThermalSubstitute, build_mock

from qflow_core.protocols import Anneal


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


if __name__ == "__main__":
    main()
