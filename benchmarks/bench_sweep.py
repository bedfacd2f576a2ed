"""Sweeps on Dask: speed-up from workers, cost against a plain loop, per-task overhead, client memory.

1. A 64-task sweep of SA attention-map runs (16 instances × 4 seeds): a serial loop over the same tasks in
   this process, then ``run_sweep`` on a warm LocalCluster of 1 and of 2 single-threaded worker processes.
   Prints the times, the 2-vs-1 worker speed-up and the sweep's cost against the loop; checks every stored
   scalar equals the loop's bit for bit.
2. Per-task overhead: 1024 no-op tasks through ``run_sweep`` on one worker (scheduling, batching, run record,
   one SQLite transaction per row), divided by the number of tasks.
3. Client memory: peak RSS of a fresh client process running 64 and 1024 no-op tasks on 2 worker processes
   (the workers' memory is theirs, not the client's).
4. Why workers pin BLAS to one thread: 2 workers each diagonalising 300×300 matrices, with OpenBLAS/OpenMP
   pinned to 1 thread versus left to use every core (2 workers × all cores threads).

Run: ``.venv/bin/python benchmarks/bench_sweep.py`` (about two minutes on 2 cores).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from figures import save_figures

from qflow_core.store import ResultStore
from qflow_core.sweeps import Sweep, SweepExperiment, get_experiment, register_experiment, run_sweep
from qflow_core.sweeps.cluster import WORKER_ENVIRONMENT
from qflow_core.sweeps.task import run_task

SA_SWEEP = Sweep(
    "attention",
    fixed={"sampler": "sa", "protocol": "boltzmann:beta=1", "num_reads": 3000, "num_keys": 6, "dim": 8},
    axes={"instance_seed": list(range(16))},
    seeds=4,
    name="bench-sa",
)


class Nothing:
    def to_dict(self):
        return {}


def nothing(args, seed):
    return Nothing()


def eigh_work(args, seed):
    """Diagonalise 300×300 matrices with BLAS allowed ``threads`` threads (the task runner pins it to 1)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    with threadpool_limits(limits=int(args["threads"])):
        for _ in range(6):
            a = rng.standard_normal((300, 300))
            np.linalg.eigh(a + a.T)
    return Nothing()


NOOP = SweepExperiment("bench-noop", nothing, frozenset({"i"}), lambda r: {})
EIGH = SweepExperiment("bench-eigh", eigh_work, frozenset({"i", "threads"}), lambda r: {})
for experiment in (NOOP, EIGH):
    register_experiment(experiment)


def cluster(workers: int, environment: dict[str, str] | None = None):
    import dask
    from distributed import Client, LocalCluster

    env = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **(environment or {})}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(local)
    client.run(lambda: __import__("qflow_core.sweeps.builtin"))  # imports done before timing
    return local, client


def warm(client, task) -> None:
    """Run one real task on every worker (imports, numba compilation, pyqubo) before timing."""
    client.run(run_task, get_experiment(task.experiment), task)


def parallelism(store: Path, elapsed: float) -> tuple[float, float]:
    """Σ task wall / sweep wall (tasks running at once) and Σ task CPU / sweep wall (cores actually given)."""
    with ResultStore.open(store) as opened:
        rows = list(opened.rows())
    return sum(r["wall_s"] for r in rows) / elapsed, sum(r["cpu_s"] for r in rows) / elapsed


def timed_sweep(sweep: Sweep, client, store: Path, **kwargs) -> float:
    start = time.perf_counter()
    report = run_sweep(sweep, store=store, client=client, progress=False, **kwargs)
    elapsed = time.perf_counter() - start
    assert report.failed == 0 and report.done == len(sweep.tasks()), report.summary()
    return elapsed


def scalars(store: Path) -> dict[str, dict]:
    with ResultStore.open(store) as opened:
        return {row["config_hash"]: row["scalars"] for row in opened.rows()}


def rss_of_client(tasks: int, workdir: Path) -> float:
    code = f"""
import resource, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from bench_sweep import noop_sweep
from qflow_core.sweeps import run_sweep
run_sweep(noop_sweep({tasks}), store={str(workdir / f"rss{tasks}.sqlite")!r}, workers=2, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1]) / 1024


def noop_sweep(tasks: int) -> Sweep:
    return Sweep("bench-noop", axes={"i": list(range(tasks))}, name=f"noop{tasks}")


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    tasks = SA_SWEEP.tasks()
    experiment = get_experiment("attention")
    run_task(experiment, tasks[0])  # compile and import outside the timing
    start, cpu = time.perf_counter(), time.process_time()
    serial = {t.config_hash: run_task(experiment, t)["scalars"] for t in tasks}
    loop_s, loop_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"64 SA attention tasks, serial loop in this process: {loop_s:.2f} s ({loop_s / 64 * 1e3:.0f} ms/task; "
        f"CPU cores obtained {loop_cpu / loop_s:.2f}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )

    times = {}
    for workers in (1, 2):
        local, client = cluster(workers)
        try:
            store = workdir / f"sa{workers}.sqlite"
            warm(client, tasks[0])
            times[workers] = timed_sweep(SA_SWEEP, client, store)
            at_once, cores = parallelism(store, times[workers])
            assert scalars(store) == serial, "sweep results differ from the serial loop"
        finally:
            client.close()
            local.close()
        print(
            f"- run_sweep on {workers} worker(s): {times[workers]:.2f} s (stored scalars identical to the loop); "
            f"tasks running at once {at_once:.2f}, CPU cores obtained {cores:.2f}"
        )
    print(f"- 2 workers vs 1: {times[1] / times[2]:.2f}x;  1 worker vs the loop: {times[1] / loop_s:.2f}x the time")

    local, client = cluster(1)
    try:
        elapsed = timed_sweep(noop_sweep(1024), client, workdir / "noop.sqlite")
    finally:
        client.close()
        local.close()
    print(f"per-task overhead (1024 no-op tasks, 1 worker, batched, stored): {elapsed / 1024 * 1e3:.2f} ms/task")

    small, large = rss_of_client(64, workdir), rss_of_client(1024, workdir)
    print(f"client peak RSS: {small:.0f} MiB for 64 tasks, {large:.0f} MiB for 1024 tasks ({large - small:+.0f} MiB)")

    unpinned = {name: str(os.cpu_count()) for name in WORKER_ENVIRONMENT}
    results = {}
    for label, threads, environment in (
        ("pinned to 1 thread", 1, WORKER_ENVIRONMENT),
        ("all cores each", os.cpu_count(), unpinned),
    ):
        eigh = Sweep("bench-eigh", fixed={"threads": threads}, axes={"i": list(range(16))}, name="eigh")
        local, client = cluster(2, environment)
        try:
            warm(client, eigh.tasks()[0])
            results[label] = timed_sweep(eigh, client, workdir / f"eigh-{len(results)}.sqlite", batch_size=1)
        finally:
            client.close()
            local.close()
        print(f"16 eigh tasks on 2 workers, BLAS {label}: {results[label]:.2f} s")
    print(f"- oversubscribed / pinned: {results['all cores each'] / results['pinned to 1 thread']:.2f}x")
    print(f"(this process's peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
    save_figures(
        "sweep",
        {
            "loop_s": loop_s,
            "workers_s": times,
            "speedup_2_over_1": times[1] / times[2],
            "cores_obtained_2": cores,
            "overhead_ms_per_task": elapsed / 1024 * 1e3,
            "client_rss_mib": {"64": small, "1024": large},
            "unpinned_over_pinned": results["all cores each"] / results["pinned to 1 thread"],
        },
    )


if __name__ == "__main__":
    main()
