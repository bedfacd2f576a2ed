"""Each built-in sweep experiment, run as a task, gives what calling the experiment directly gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qflow_core.store import decompress
from qflow_core.sweeps import Sweep, get_experiment, load_sweep
from qflow_core.sweeps.task import run_task

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "attention_sweep.toml"


def only_task(experiment, **args):
    return Sweep(experiment, fixed=args, seed=3).tasks()[0]


def run(task):
    row = run_task(get_experiment(task.experiment), task)
    assert row["status"] == "done", row.get("traceback")
    return row


def test_the_example_spec_is_valid():
    sweep = load_sweep(EXAMPLE)
    tasks = sweep.tasks()
    assert sweep.name == "attention-sweep" and len(tasks) == 2 * 3 * 4
    assert {(t.args["sampler"], t.args["num_keys"], t.args["dim"]) for t in tasks} == {
        (s, m, d) for s in ("sa", "exact") for m, d in ((4, 8), (6, 12), (8, 16))
    }


def test_leakage_task_matches_a_direct_call():
    from qflow_core.experiments import leakage
    from qflow_core.models.memory import IsingMemory

    protocol = "survival:gamma=0.1,time=1,regime=dephased,beta=2"
    h = [0.3, 0.7, 1.1, 1.5]
    task = only_task("leakage", sampler="sa", protocol=protocol, h=h, num_reads=3000)
    row = run(task)
    direct = leakage(IsingMemory(np.zeros((4, 4)), h=h), [1, 1, 1, 1], "sa", protocol, num_reads=3000, seed=task.seed)
    assert row["scalars"]["verdict"] == direct.verdict
    assert row["scalars"]["beta"] == direct.softmax["beta"]
    assert decompress(row["result"])["counts"] == direct.counts.tolist()


def test_capacity_task_matches_a_direct_call():
    from qflow_core.experiments import capacity

    task = only_task("capacity", rules=["hebb"], n=20, loads=[0.1, 0.3], trials=1, epochs=5)
    row = run(task)
    direct = capacity(["hebb"], 20, [0.1, 0.3], trials=1, epochs=5, seed=task.seed)
    expected = {f"stable_fraction[{r['rule']}@{r['load']:g}]": r["stable_fraction"] for r in direct.rows}
    assert row["scalars"] == expected and len(expected) == 2


def test_train_task_matches_a_direct_call():
    from qflow_core.learning import train
    from qflow_core.learning.rules import Hebbian, parse_rule

    task = only_task("train", n=10, num_patterns=3, rule="softmax-hebbian", epochs=4, lr=0.05)
    row = run(task)
    patterns = np.random.default_rng(0).choice([-1, 1], size=(3, 10))
    direct = train(Hebbian.store(patterns), patterns, parse_rule("softmax-hebbian"), epochs=4, lr=0.05, seed=task.seed)
    assert row["scalars"]["final_loss"] == direct.loss[-1]
    assert row["scalars"]["stable_fraction"] == direct.stable_fraction[-1]


def test_ep_task_trains_on_the_exact_sampler():
    task = only_task("ep", sampler="exact", hidden=0, epochs=3, num_reads=100)
    row = run(task)
    result = decompress(row["result"])
    assert row["scalars"]["final_loss"] == result["final_loss"]
    assert len(result["loss"]) == 3 and result["sampler"] == "exact"
