"""Sweeps on real Dask: bit-identical to a serial loop whatever the workers, failures recorded, a killed worker
retried, a killed client resumed without rerunning finished tasks, Ctrl-C leaves a consistent store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import cloudpickle
import numpy as np
import pytest

from qflow_core.store import ResultStore, decompress
from qflow_core.sweeps import Sweep, SweepExperiment, get_experiment, register_experiment, run_sweep
from qflow_core.sweeps.task import run_task

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # worker processes cannot import this test module

ATTENTION = Sweep(
    "attention",
    fixed={"protocol": "boltzmann:beta=1.5", "num_reads": 400},
    axes={"sampler": ["sa", "enum"], "num_keys": [3, 5]},
    seeds=2,
    seed=7,
    name="bits",
)


def stored(path):
    with ResultStore.open(path) as store:
        return {row["config_hash"]: row for row in store.rows(with_result=True)}


def science(row_or_result):
    """What must not depend on scheduling: scalars and the key counts."""
    return row_or_result["scalars"], row_or_result["result"]["counts"]


@pytest.mark.slow
def test_stored_results_are_bit_identical_to_a_serial_loop_for_any_worker_count(tmp_path):
    experiment = get_experiment("attention")
    serial = {}
    for task in ATTENTION.tasks():
        row = run_task(experiment, task)
        serial[task.config_hash] = (row["scalars"], decompress(row["result"])["counts"])
    for workers, batch in ((1, None), (3, 1)):
        path = tmp_path / f"w{workers}.sqlite"
        report = run_sweep(ATTENTION, store=path, workers=workers, processes=False, batch_size=batch, progress=False)
        assert (report.done, report.failed) == (8, 0)
        rows = stored(path)
        assert {h: science(r) for h, r in rows.items()} == serial
    # different seeds gave different histograms (the comparison above is not vacuous)
    assert len({str(counts) for _, counts in serial.values()}) == len(serial)


class Value:
    def __init__(self, value):
        self.value = value

    def to_dict(self):
        return {"value": self.value}


def draw(args, seed):
    if args["x"] == 2 and not os.environ.get("QFLOW_TEST_FIXED"):
        raise ZeroDivisionError("x = 2 is broken")
    return Value(float(np.random.default_rng(seed).random()))


register_experiment(SweepExperiment("draw-test", draw, frozenset({"x", "marker"}), lambda r: {"value": r.value}))


def test_a_raising_task_is_stored_failed_with_its_traceback_and_the_rest_run(tmp_path, monkeypatch):
    path = tmp_path / "s.sqlite"
    sweep = Sweep("draw-test", axes={"x": [1, 2, 3]}, name="flaky")
    report = run_sweep(sweep, store=path, workers=2, processes=False, progress=False)
    assert (report.done, report.failed) == (2, 1)
    rows = {row["args"]["x"]: row for row in stored(path).values()}
    assert rows[2]["status"] == "failed" and rows[2]["error"] == "ZeroDivisionError: x = 2 is broken"
    assert ", in draw\n" in rows[2]["traceback"] and rows[2]["traceback"].startswith("Traceback")
    assert rows[1]["scalars"]["value"] == np.random.default_rng(rows[1]["seed"]).random()
    again = run_sweep(sweep, store=path, workers=1, processes=False, progress=False)
    assert (again.ran, again.skipped_done, again.skipped_failed) == (0, 2, 1)
    monkeypatch.setenv("QFLOW_TEST_FIXED", "1")
    retried = run_sweep(sweep, store=path, workers=1, processes=False, progress=False, retry_failed=True)
    assert (retried.done, retried.failed, retried.skipped_done) == (1, 0, 2)
    assert {row["status"] for row in stored(path).values()} == {"done"}


def kill_once(args, seed):
    """Kill the worker process running it, the first time task x = 3 runs."""
    if args["x"] == 3 and not os.path.exists(args["marker"]):
        with open(args["marker"], "w") as handle:
            handle.write(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return Value(float(np.random.default_rng(seed).random()))


@pytest.mark.slow
def test_worker_processes_survive_a_killed_worker_through_retries(tmp_path):
    from distributed import Client, LocalCluster

    marker = tmp_path / "killed"
    register_experiment(SweepExperiment("kill-test", kill_once, frozenset({"x", "marker"}), lambda r: {"v": r.value}))
    sweep = Sweep("kill-test", fixed={"marker": str(marker)}, axes={"x": list(range(8))}, name="kill")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        pids = set(client.run(os.getpid).values())
        assert os.getpid() not in pids and len(pids) == 2
        report = run_sweep(sweep, store=tmp_path / "k.sqlite", client=client, batch_size=1, progress=False)
    assert int(marker.read_text()) in pids  # a worker really died
    assert (report.done, report.failed) == (8, 0)
    values = {row["args"]["x"]: (row["seed"], row["scalars"]["v"]) for row in stored(tmp_path / "k.sqlite").values()}
    assert {x: v for x, (seed, v) in values.items()} == {
        x: float(np.random.default_rng(seed).random()) for x, (seed, _) in values.items()
    }


SLEEPY = """
import os, time
from qflow_core.sweeps import Sweep, SweepExperiment, register_experiment

class Done:
    def __init__(self, x):
        self.x = x
    def to_dict(self):
        return {"x": self.x}

def nap(args, seed):
    time.sleep(0.04)
    with open(os.environ["QFLOW_TEST_LOG"], "a") as log:
        log.write(f"{args['x']}\\n")
    return Done(args["x"])

register_experiment(SweepExperiment("nap-test", nap, frozenset({"x"}), lambda r: {"x": r.x}))
SWEEP = Sweep("nap-test", axes={"x": list(range(40))}, name="nap")
"""


def start_client(tmp_path, log):
    script = tmp_path / "client.py"
    script.write_text(
        SLEEPY
        + textwrap.dedent(
            f"""
            from qflow_core.sweeps import run_sweep
            run_sweep(SWEEP, store={str(tmp_path / "nap.sqlite")!r}, workers=1, processes=False, batch_size=1,
                      progress=False)
            """
        )
    )
    env = {**os.environ, "QFLOW_TEST_LOG": str(log)}
    # a shell that runs the suite in the background starts it with SIGINT ignored, and children inherit that:
    # give the client the default disposition, so Python turns Ctrl-C into KeyboardInterrupt as in a terminal
    return subprocess.Popen(
        [sys.executable, str(script)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_rows(path, count, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        if path.exists():
            try:
                with ResultStore.open(path) as store:
                    if sum(store.counts().values()) >= count:
                        return
            except Exception:
                pass  # the store is being created
        time.sleep(0.02)
    raise AssertionError("the sweep made no progress")


@pytest.mark.slow
def test_a_killed_client_leaves_a_store_that_a_rerun_completes_without_redoing_finished_tasks(tmp_path, monkeypatch):
    path = tmp_path / "nap.sqlite"
    process = start_client(tmp_path, tmp_path / "first.log")
    wait_for_rows(path, 5, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    finished = {row["args"]["x"] for row in stored(path).values()}
    assert 5 <= len(finished) < 40
    assert all(row["status"] == "done" and row["result"] == {"x": row["args"]["x"]} for row in stored(path).values())

    namespace: dict = {}
    exec(SLEEPY, namespace)  # the same experiment, in this process
    monkeypatch.setenv("QFLOW_TEST_LOG", str(tmp_path / "second.log"))
    report = run_sweep(namespace["SWEEP"], store=path, workers=2, processes=False, progress=False)
    rerun = {int(x) for x in (tmp_path / "second.log").read_text().split()}
    assert report.skipped_done == len(finished) and report.done == 40 - len(finished)
    assert rerun == set(range(40)) - finished  # no finished task ran again
    assert {row["args"]["x"] for row in stored(path).values()} == set(range(40))


@pytest.mark.slow
def test_ctrl_c_stops_the_sweep_and_leaves_the_store_consistent_and_unlocked(tmp_path):
    path = tmp_path / "nap.sqlite"
    process = start_client(tmp_path, tmp_path / "first.log")
    wait_for_rows(path, 3, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode != 0 and "KeyboardInterrupt" in err
    rows = stored(path)
    assert 3 <= len(rows) < 40
    ResultStore.open(path, write=True).close()  # the writer's lock was released
