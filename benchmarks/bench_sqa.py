"""qflow's ``sqa`` against OpenJij's ``SQASampler`` called directly: throughput and accuracy, one thread.

Both run the same path integral: P Trotter slices, the same sweeps and reads, fixed (β, Γ). OpenJij anneals
H(s) = s·E + Γ(1 − s)Σσˣ at total inverse temperature β_oj; the fixed point s = ½ with β_oj = 2β is
β·(E + ΓΣσˣ), whose z statistics equal those of qflow's β·(E − ΓΣσˣ) (the sign of the field is a basis rotation).

* Throughput: slice-spin updates per second (reads × sweeps × n × P) on n = 10 and a dense n = 64 model, median of
  alternating rounds; qflow with its world-line moves off (the same single-spin algorithm as OpenJij) and on (its
  default, which adds n world-line proposals per sweep that are not counted as updates).
* Accuracy at n = 10 against the exact quantum Gibbs populations (total variation, with the floor that N
  independent reads of the exact distribution would give and the Trotter-only error of the P-slice model; and
  the largest error of the one- and two-spin z correlations in sampling sigmas), after 200 and 1000 sweeps.
  OpenJij's two traps are worked around and reported: it returns each read's *lowest-energy* slice (biased low;
  we read slice 0 from ``info["system"]``), and a given ``seed`` makes every read identical (we pass none).

Run: ``python benchmarks/bench_sqa.py`` (about a minute).
"""

from __future__ import annotations

import os

from figures import THREAD_VARIABLES, save_figures

for _var in THREAD_VARIABLES:
    os.environ[_var] = "1"

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import openjij as oj  # noqa: E402
from qflow_sqa import PathIntegralSampler  # noqa: E402
from qflow_sqa.reference import trotter_populations  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from qflow_core import Boltzmann, get_sampler  # noqa: E402
from qflow_core.testing import small_test_bqm  # noqa: E402

BETA, GAMMA, SLICES = 1.0, 0.5, 32
THROUGHPUT = {10: 40, 64: 10}  # n: reads, 1000 sweeps each
SWEEPS, ROUNDS = 1000, 3
ACC_N, ACC_SLICES, ACC_SWEEPS, ACC_READS = 10, 16, (200, 1000), 2000


def openjij_run(sampler, bqm, *, slices, sweeps, reads, seed=None):
    return sampler.sample(
        bqm, gamma=GAMMA, trotter=slices, schedule=[(0.5, 2 * BETA, sweeps)], num_reads=reads, seed=seed
    )


def qflow_run(sampler, bqm, *, slices, sweeps, reads, world_lines, seed=1):
    protocol = Boltzmann(beta=BETA, gamma=GAMMA)
    return sampler.run(
        bqm, protocol, num_reads=reads, seed=seed, trotter_slices=slices, sweeps=sweeps, world_line_moves=world_lines
    )


def throughput() -> dict:
    ojs, sqa = oj.SQASampler(), PathIntegralSampler()
    print(f"throughput: P = {SLICES}, {SWEEPS} sweeps, beta = {BETA}, gamma = {GAMMA}, one thread")
    ratios: dict = {}
    for n, reads in THROUGHPUT.items():
        bqm = small_test_bqm(n, seed=0)
        updates = reads * SWEEPS * n * SLICES
        openjij_run(ojs, bqm, slices=SLICES, sweeps=10, reads=1)  # warm up
        qflow_run(sqa, bqm, slices=SLICES, sweeps=10, reads=1, world_lines=True)
        times: dict[str, list[float]] = {"openjij": [], "qflow": [], "qflow+wl": []}
        for _ in range(ROUNDS):
            for name in times:
                start = time.perf_counter()
                if name == "openjij":
                    openjij_run(ojs, bqm, slices=SLICES, sweeps=SWEEPS, reads=reads)
                else:
                    qflow_run(sqa, bqm, slices=SLICES, sweeps=SWEEPS, reads=reads, world_lines=name == "qflow+wl")
                times[name].append(time.perf_counter() - start)
        base = statistics.median(times["openjij"])
        print(f"  n = {n:2d} ({'dense' if n > 10 else 'dense, small'}), {reads} reads:")
        for name, values in times.items():
            t = statistics.median(values)
            print(f"    {name:9s} {updates / t:9.3g} slice-spin updates/s   ratio to OpenJij {base / t:5.1f}x")
            ratios.setdefault(name, {})[str(n)] = base / t
    return ratios


def populations(spins: np.ndarray) -> np.ndarray:
    n = spins.shape[1]
    index = (((1 - spins) // 2) * (1 << np.arange(n)[::-1])).sum(axis=1)
    return np.bincount(index, minlength=2**n) / len(spins)


def correlation_error(spins: np.ndarray, exact: np.ndarray) -> float:
    """Largest |error| of the n magnetizations and n(n−1)/2 correlations, in units of their sampling error."""
    n = spins.shape[1]
    states = np.array([[1 - 2 * ((k >> (n - 1 - i)) & 1) for i in range(n)] for k in range(2**n)], dtype=float)
    i, j = np.triu_indices(n, 1)
    stats = lambda s: np.concatenate([s, s[:, i] * s[:, j]], axis=1)  # noqa: E731
    truth = exact @ stats(states)
    sigma = np.sqrt((1 - truth**2) / len(spins))
    return float(np.max(np.abs(stats(spins.astype(float)).mean(axis=0) - truth) / sigma))


def accuracy() -> float:
    bqm = small_test_bqm(ACC_N, seed=5)
    order = list(bqm.variables)
    exact = get_sampler("exact").run(bqm, Boltzmann(beta=BETA, gamma=GAMMA), num_reads=1, seed=0).record.probability
    tv = lambda q: 0.5 * float(np.abs(q - exact).sum())  # noqa: E731
    rng = np.random.default_rng(0)
    floor = lambda reads: np.mean([tv(rng.multinomial(reads, exact) / reads) for _ in range(20)])  # noqa: E731
    print(
        f"\naccuracy at n = {ACC_N}: beta = {BETA}, gamma = {GAMMA}, P = {ACC_SLICES}, {ACC_READS} reads, vs the exact "
        "quantum Gibbs state: TV of the 1024 populations, and the largest error of the 55 correlations and 10 "
        "magnetizations in sampling sigmas (|z|, ~3.3 expected for an unbiased sampler)"
    )
    trotter = tv(trotter_populations(bqm, BETA, GAMMA, ACC_SLICES))
    print(f"  floor: TV of {ACC_READS} exact draws ~{floor(ACC_READS):.4f}; Trotter error of the model {trotter:.4f}")
    ojs, sqa = oj.SQASampler(), PathIntegralSampler()
    pick = lambda ss: ss.record.sample[:, [list(ss.variables).index(v) for v in order]]  # noqa: E731
    seconds: dict[tuple[str, int], float] = {}
    for sweeps in ACC_SWEEPS:
        start = time.perf_counter()
        res = openjij_run(ojs, bqm, slices=ACC_SLICES, sweeps=sweeps, reads=ACC_READS)
        t_oj = time.perf_counter() - start
        columns = [list(res.variables).index(v) for v in order]
        slice0 = np.array([system["trotter_state"][0] for system in res.info["system"]])[:, columns]
        returned = np.repeat(res.record.sample[:, columns], res.record.num_occurrences, axis=0)
        start = time.perf_counter()
        ours = pick(qflow_run(sqa, bqm, slices=ACC_SLICES, sweeps=sweeps, reads=ACC_READS, world_lines=True, seed=2))
        t_q = time.perf_counter() - start
        seconds["openjij", sweeps], seconds["qflow", sweeps] = t_oj, t_q
        print(f"  {sweeps} sweeps:")
        print(
            f"    OpenJij slice 0      TV {tv(populations(slice0)):.4f}  |z| {correlation_error(slice0, exact):5.1f}"
            f"  {t_oj:6.2f} s"
        )
        z_returned = correlation_error(returned, exact)
        print(
            f"    OpenJij as returned  TV {tv(populations(returned)):.4f}  |z| {z_returned:5.1f}"
            "  (lowest-energy slice of each read)"
        )
        print(
            f"    qflow sqa (slice 0)  TV {tv(populations(ours)):.4f}  |z| {correlation_error(ours, exact):5.1f}"
            f"  {t_q:6.2f} s  ({t_oj / t_q:.0f}x faster, world-line moves on)"
        )
    few, enough = ACC_SWEEPS
    time_to_accuracy = seconds["openjij", enough] / seconds["qflow", few]
    print(
        f"  time to equilibrium accuracy (|z| near 3): qflow at {few} sweeps vs OpenJij at {enough}: "
        f"{time_to_accuracy:.0f}x"
    )
    many = 20 * ACC_READS
    big = pick(qflow_run(sqa, bqm, slices=ACC_SLICES, sweeps=ACC_SWEEPS[0], reads=many, world_lines=True, seed=3))
    print(
        f"  qflow sqa, {many} reads x {ACC_SWEEPS[0]} sweeps: TV {tv(populations(big)):.4f} "
        f"(floor ~{floor(many):.4f} + Trotter {trotter:.4f})  |z| {correlation_error(big, exact):.1f}"
    )
    seeded = openjij_run(ojs, bqm, slices=ACC_SLICES, sweeps=20, reads=50, seed=1)
    distinct = len({tuple(system["trotter_state"][0]) for system in seeded.info["system"]})
    print(f"  OpenJij seed trap: 50 reads with seed=1 -> {distinct} distinct read(s); qflow: one stream per read")
    return time_to_accuracy


def main() -> None:
    with threadpool_limits(1):
        ratios = throughput()
        time_to_accuracy = accuracy()
    save_figures("sqa", {"throughput_over_openjij": ratios, "time_to_accuracy_over_openjij": time_to_accuracy})


if __name__ == "__main__":
    main()
