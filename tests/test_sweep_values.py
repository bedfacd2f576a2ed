"""Every value of a sweep is checked before anything runs: protocol fields, sampler options, experiment arguments."""

from __future__ import annotations

import pytest

from qflow_core.cli import main
from qflow_core.errors import InvalidInputError
from qflow_core.sweeps import Sweep
from qflow_core.sweeps.catalog import register_experiment
from qflow_core.sweeps.experiment import SweepExperiment

ATTENTION = """\
experiment = "attention"
seeds = 2

[fixed]
sampler = "sa"
protocol = "anneal:kind=standard"
num_reads = 200
options = {num_sweeps = 50}

[axes]
num_keys = [3, 4]
"""

LEAKAGE = """\
experiment = "leakage"

[fixed]
sampler = "sa"
protocol = "survival:gamma=0.1,time=1,regime=dephased,beta=2"
h = [0.5, 1.0]
"""

TRAIN = """\
experiment = "train"

[fixed]
n = 6
num_patterns = 2
rule = "hebb"
lr = 0.05
"""

# (spec, old text, new text, where the error points, the value it must name)
BAD = {
    "negative anneal time": (
        ATTENTION,
        "[axes]\n",
        '[axes]\n"protocol.time_us" = [5.0, -5.0]\n',
        "[axes] protocol.time_us",
        "-5.0",
    ),
    "unknown schedule kind": (
        ATTENTION,
        "[axes]\n",
        '[axes]\n"protocol.kind" = ["standard", "sideways"]\n',
        "[axes] protocol.kind",
        "'sideways'",
    ),
    "gamma not a number": (LEAKAGE, "gamma=0.1", "gamma=abc", "[fixed] protocol", "abc"),
    "sampler option out of range": (ATTENTION, "num_sweeps = 50", "num_sweeps = -3", "[fixed] options", "-3"),
    "unknown sampler option": (ATTENTION, "num_sweeps = 50", "num_sweps = 50", "[fixed] options", "num_sweps"),
    "option of the wrong type": (ATTENTION, "num_sweeps = 50", 'num_sweeps = "many"', "[fixed] options", "many"),
    "fields not numbers": (LEAKAGE, "h = [0.5, 1.0]", 'h = [0.5, "one"]', "[fixed] h", "'one'"),
    "unknown learning rule": (TRAIN, 'rule = "hebb"', 'rule = "hebbb"', "[fixed] rule", "'hebbb'"),
    "negative learning rate": (TRAIN, "lr = 0.05", "lr = -0.05", "[fixed] lr", "-0.05"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("command", ["plan", "run"])
def test_a_bad_value_is_refused_before_anything_runs(case, command, tmp_path, capsys):
    spec, old, new, where, value = case
    assert old in spec
    path = tmp_path / "bad.toml"
    path.write_text(spec.replace(old, new, 1))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if new.splitlines()[-1] in text)
    store = tmp_path / "s.sqlite"
    assert main(["sweep", command, str(path), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert f"bad.toml:{line} ({where})" in err and value in err
    assert not store.exists()  # refused before the store (or any task) was made


def test_good_specs_still_plan_every_task(tmp_path):
    path = tmp_path / "good.toml"
    path.write_text(ATTENTION.replace("[axes]\n", '[axes]\n"protocol.time_us" = [5.0, 20.0]\n'))
    assert len(Sweep.from_toml(path).tasks()) == 2 * 2 * 2
    path.write_text(LEAKAGE)
    assert len(Sweep.from_toml(path).tasks()) == 1


def test_options_are_checked_against_the_sampler_that_takes_them():
    fixed = {"protocol": "boltzmann:beta=1", "options": {"num_sweeps": 50}}
    assert len(Sweep("attention", fixed=fixed, axes={"sampler": ["sa"]}).tasks()) == 1
    with pytest.raises(InvalidInputError, match=r"\[fixed\] options.*num_sweeps"):  # exact takes no num_sweeps
        Sweep("attention", fixed=fixed, axes={"sampler": ["sa", "exact"]}).tasks()


CALLS: list = []


def _counting(name, value):
    CALLS.append(value)
    if value < 0:
        raise InvalidInputError(f"{name} must be ≥ 0, got {value!r}")


def _echo(args, seed):
    return args


def test_each_distinct_value_is_checked_once_not_per_replicate():
    experiment = SweepExperiment("count-checks", _echo, frozenset({"x", "y"}), lambda r: {}, checks={"x": _counting})
    register_experiment(experiment)
    CALLS.clear()
    tasks = Sweep("count-checks", axes={"x": [1, 2], "y": [1, 2, 3]}, seeds=50).tasks()
    assert len(tasks) == 2 * 3 * 50 and sorted(CALLS) == [1, 2]
    with pytest.raises(InvalidInputError, match=r"\[axes\] x: x must be ≥ 0, got -1"):
        Sweep("count-checks", axes={"x": [1, -1]}).tasks()
