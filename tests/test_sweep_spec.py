"""Sweep specs: TOML and Python give the same tasks; axes, ranges, zips, replicates; bad specs name the line."""

from __future__ import annotations

import textwrap

import pytest

from qflow_core.errors import InvalidInputError
from qflow_core.records import canonical_json
from qflow_core.seeding import child_seed
from qflow_core.sweeps import Sweep, SweepExperiment, experiment_names, load_sweep, register_experiment

SPEC = """\
name = "demo"
experiment = "attention"
seed = 11
seeds = 2
zip = [["num_keys", "dim"]]

[fixed]
protocol = "boltzmann:beta=2"
num_reads = 300

[axes]
sampler = ["sa", "enum"]
num_keys = [3, 4, 5]
dim = [4, 6, 8]
"protocol.beta" = {start = 1.0, stop = 2.0, num = 2}
"""


def write(tmp_path, text):
    path = tmp_path / "spec.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_toml_spec_expands_to_the_product_with_zipped_axes_and_replicates(tmp_path):
    tasks = load_sweep(write(tmp_path, SPEC)).tasks()
    assert len(tasks) == 2 * 3 * 2 * 2
    first = tasks[0]
    assert first.args == {
        "protocol": "boltzmann:beta=2",
        "num_reads": 300,
        "sampler": "sa",
        "num_keys": 3,
        "dim": 4,
        "protocol.beta": 1.0,
    }
    assert {(t.args["num_keys"], t.args["dim"]) for t in tasks} == {(3, 4), (4, 6), (5, 8)}
    assert [t.replicate for t in tasks[:4]] == [0, 1, 0, 1]
    assert first.seed == child_seed(11, "attention", canonical_json(first.config["args"]), 0)
    assert len({t.config_hash for t in tasks}) == len(tasks)
    assert len({t.seed for t in tasks}) == len(tasks)


def test_python_sweep_equals_the_toml_one(tmp_path):
    toml_tasks = load_sweep(write(tmp_path, SPEC)).tasks()
    python = Sweep(
        "attention",
        fixed={"num_reads": 300, "protocol": "boltzmann:beta=2"},
        axes={
            "sampler": ["sa", "enum"],
            "num_keys": [3, 4, 5],
            "dim": [4, 6, 8],
            "protocol.beta": [1.0, 2.0],
        },
        zip=[["num_keys", "dim"]],
        seeds=2,
        seed=11,
    )
    assert [t.config_hash for t in python.tasks()] == [t.config_hash for t in toml_tasks]


def test_a_seed_depends_only_on_its_own_point():
    small = Sweep("attention", fixed={"protocol": "boltzmann:beta=1"}, axes={"sampler": ["sa"], "num_keys": [3]})
    large = Sweep("attention", fixed={"protocol": "boltzmann:beta=1"}, axes={"sampler": ["sa"], "num_keys": [5, 3]})
    assert small.tasks()[0].seed == large.tasks()[1].seed


def test_integer_and_float_ranges():
    sweep = Sweep(
        "attention",
        fixed={"sampler": "sa", "protocol": "boltzmann:beta=1"},
        axes={
            "num_keys": {"start": 2, "stop": 8, "step": 3},
            "protocol.beta": {"start": 0.5, "stop": 1.0, "step": 0.25},
        },
    )
    assert [(t.args["num_keys"], t.args["protocol.beta"]) for t in sweep.tasks()] == [
        (2, 0.5),
        (2, 0.75),
        (5, 0.5),
        (5, 0.75),
    ]


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (('experiment = "attention"', 'experiment = "atention"'), 2, "unknown experiment 'atention'"),
        (("num_reads = 300", "num_read = 300"), 9, "no field 'num_read'"),
        (("num_keys = [3, 4, 5]", "num_keys = []"), 13, "empty"),
        (("dim = [4, 6, 8]", "dim = [4, 6]"), 5, "equal lengths"),
        (("seeds = 2", "seeds = 0"), 4, "seeds"),
        (('sampler = ["sa", "enum"]', 'sampler = ["sa", "nosuch"]'), 12, "no sampler named 'nosuch'"),
        (('sampler = ["sa", "enum"]', 'sampler = ["sa", "qaoa"]'), 12, "does not support"),
        (('name = "demo"', 'nmae = "demo"'), 1, "unknown key 'nmae'"),
        (('"protocol.beta" = {start = 1.0, stop = 2.0, num = 2}', '"protocol.beta" = {start = 1.0}'), 15, "range"),
    ],
)
def test_bad_specs_are_refused_with_the_line_at_fault(tmp_path, edit, line, message):
    old, new = edit
    assert old in SPEC
    path = write(tmp_path, SPEC.replace(old, new))
    with pytest.raises(InvalidInputError, match=message) as info:
        load_sweep(path).tasks()
    assert f"spec.toml:{line} " in str(info.value)


def test_a_missing_required_field_is_named():
    with pytest.raises(InvalidInputError, match=r"needs the field.*protocol"):
        Sweep("attention", axes={"sampler": ["sa"]}).tasks()


def test_invalid_toml_is_a_typed_error(tmp_path):
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        load_sweep(write(tmp_path, "experiment = [")).tasks()


def _echo(args, seed):
    return args, seed


def test_registered_experiments_are_sweepable():
    register_experiment(SweepExperiment("echo-test", _echo, frozenset({"x"}), lambda r: {"x": r[0]["x"]}))
    assert "echo-test" in experiment_names()
    tasks = Sweep("echo-test", axes={"x": [1, 2]}).tasks()
    assert [t.args for t in tasks] == [{"x": 1}, {"x": 2}]


def test_leakage_protocols_are_checked_from_the_pattern_before_running():
    fixed = {"protocol": "survival:gamma=0.1,time=1,regime=dephased,beta=2", "h": [0.5, 1.0]}
    assert len(Sweep("leakage", fixed=fixed, axes={"sampler": ["sa", "exact"]}).tasks()) == 2
    with pytest.raises(InvalidInputError, match=r"\[axes\] sampler.*does not support"):
        Sweep("leakage", fixed=fixed, axes={"sampler": ["sa", "qaoa"]}).tasks()


def test_protocol_axes_are_stored_and_hashed_as_the_protocol_that_runs():
    """beta = 2 and 2.0 are one run (refused as a repeat); each task's row names the protocol it ran."""
    from qflow_core.sweeps import Sweep
    from qflow_core.sweeps.task import task_row

    base = {"experiment": "attention", "fixed": {"sampler": "sa", "protocol": "boltzmann:beta=1"}}
    tasks = Sweep(**base, axes={"protocol.beta": [0.5, 3]}).tasks()
    assert [task_row("s", t)["protocol"] for t in tasks] == [
        "boltzmann:beta=0.5,gamma=0.0",
        "boltzmann:beta=3.0,gamma=0.0",
    ]
    with pytest.raises(InvalidInputError, match="same run"):
        Sweep(**base, axes={"protocol.beta": [2, 2.0]}).tasks()
    with pytest.raises(InvalidInputError, match="same run"):
        Sweep(experiment="attention", fixed={"protocol": "boltzmann:beta=1"}, axes={"sampler": ["sa", "sa"]}).tasks()


def test_a_count_that_cannot_run_is_refused_at_plan_time():
    from qflow_core.sweeps import Sweep

    spec = Sweep(experiment="attention", fixed={"sampler": "sa", "protocol": "boltzmann:beta=1", "num_reads": -5})
    with pytest.raises(
        InvalidInputError,
        match=r"\[fixed\] num_reads: num_reads must be a positive integer, got -5",
    ):
        spec.tasks()
