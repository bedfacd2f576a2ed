"""Cost of the emergent-quantumness experiment: the exact oracle at M = 8 on a 49² grid, and the particles.

Oracle: sector free energies of 3^8 = 6561 hidden states on 2401 grid points (chunked), the sparse joint generator
on 2401 × 9 = 21609 states, its stationary state, circulations, and the 8 slowest modes by shift-invert; timed
per stage, with the peak of Python/numpy allocations (tracemalloc, a separate run) and the process's maximum
resident set size. The M = 5 oracle on the same grid is the baseline of the printed ratio.

Particles: seconds per 1000 learner-steps (learners × steps, burn-in included) on ``exact`` and ``sa`` with the
same model, settings and seed; ``sa`` relative to ``exact`` is printed. Threads are pinned to one.
Run: ``python benchmarks/bench_emergent.py``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

from qflow_core.experiments.emergent import (  # noqa: E402
    EmergentModel,
    Grid,
    LearnerDynamics,
    ParticleSettings,
    run_particles,
)
from qflow_core.experiments.emergent.generator import JointGenerator  # noqa: E402
from qflow_core.experiments.emergent.loops import circulations, edge_velocities  # noqa: E402
from qflow_core.experiments.emergent.sectors import sector_free_energies  # noqa: E402
from qflow_core.experiments.emergent.spectrum import slow_spectrum  # noqa: E402

GRID = Grid(49, 4.0)
DYNAMICS = LearnerDynamics(mu=2.0, tq_ratio=2.0, k_x=1.0)
LOOPS = (2, 4, 6, 8, 12, 16, 20)


def oracle_stages(m: int) -> dict[str, float]:
    model = EmergentModel.random(m, seed=0)
    times = {}
    t0 = time.perf_counter()
    thermo = sector_free_energies(model, GRID.points)
    t1 = time.perf_counter()
    generator = JointGenerator.exact_sectors(model, GRID, DYNAMICS, thermo=thermo)
    state = generator.stationary()
    jx, jy = generator.edge_currents(state)
    circulations(*edge_velocities(jx, jy, state.log_p, GRID.h), GRID.h, GRID.centre, LOOPS)
    t2 = time.perf_counter()
    slow_spectrum(generator.matrix, 8)
    t3 = time.perf_counter()
    times.update(free_energies=t1 - t0, generator_and_stationary=t2 - t1, spectrum=t3 - t2, total=t3 - t0)
    times["states"] = generator.size
    return times


def peak_oracle_memory(m: int) -> float:
    tracemalloc.start()
    oracle_stages(m)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def particle_seconds_per_1000(sampler: str) -> float:
    model = EmergentModel.random(5, seed=0)
    settings = ParticleSettings(learners=100, steps=40, burn_in=10, num_reads=4)
    dynamics = LearnerDynamics(mu=2.0, tq_ratio=2.0, exchange="metropolis")
    run = run_particles(model, sampler, dynamics, GRID, settings, seed=0)
    return 1000 * run.wall_s / run.learner_steps


def main() -> None:
    oracle_stages(5)  # warm-up: imports, first-call costs
    base, big = oracle_stages(5), oracle_stages(8)
    print(f"oracle on a {GRID.n}² grid, 8 slow modes, loops {list(LOOPS)}")
    for label, t in (("M = 5 (baseline)", base), ("M = 8", big)):
        print(
            f"  {label:17s} {int(t['states']):6d} states: free energies {t['free_energies']:.3f} s, generator + "
            f"stationary + loops {t['generator_and_stationary']:.3f} s, spectrum {t['spectrum']:.3f} s, "
            f"total {t['total']:.3f} s"
        )
    print(f"  ratio M=8 / M=5 total: {big['total'] / base['total']:.2f}")
    print(f"  peak traced allocations at M = 8: {peak_oracle_memory(8):.1f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  max resident set size of this process so far: {rss:.0f} MiB")
    exact, sa = particle_seconds_per_1000("exact"), particle_seconds_per_1000("sa")
    print("particles, M = 5, 100 learners × 50 steps, 4 reads per learner-step")
    print(f"  exact: {exact:.3f} s per 1000 learner-steps")
    print(f"  sa:    {sa:.3f} s per 1000 learner-steps (ratio sa/exact {sa / exact:.2f})")


if __name__ == "__main__":
    main()
