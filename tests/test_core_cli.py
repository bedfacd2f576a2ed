"""The qflow command: version, plugins, sample, exit codes and one-line errors."""

import json
import subprocess
import sys

import dimod
import numpy as np
import pytest

from qflow_core import __version__
from qflow_core.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"qflow {__version__}"
    assert "  plugin sa: qflow " + __version__ in lines  # each plugin with its distribution's version


def test_plugins_table_and_json(capsys):
    assert main(["plugins"]) == 0
    table = capsys.readouterr().out
    assert "sa (neal)" in table and "survival:dephased" in table
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    sa = next(p for p in data if p["name"] == "sa")
    assert sa["samplers"][0]["capabilities"]["boltzmann"] == "native"


def test_sample_from_ising_json(tmp_path, capsys):
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"J": [[0, 1], [1, 0]], "h": [0.2, 0]}))
    out = tmp_path / "samples.json"
    args = [
        "sample",
        "--sampler",
        "sa",
        "--protocol",
        "boltzmann:beta=1",
        "--bqm",
        str(model),
        "--reads",
        "200",
        "--seed",
        "1",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert "seed 1" in capsys.readouterr().out
    ss = dimod.SampleSet.from_serializable(json.loads(out.read_text()))
    assert ss.record.num_occurrences.sum() == 200 and ss.info["qflow"]["seed"] == 1
    assert main(args) == 2  # an existing --out is never replaced silently
    assert "already exists; pass --force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    again = dimod.SampleSet.from_serializable(json.loads(out.read_text()))
    np.testing.assert_array_equal(again.record.sample, ss.record.sample)  # same seed, same samples


def test_sample_from_dimod_json(tmp_path, capsys):
    bqm = dimod.BQM({"a": 0.5, "b": -0.5}, {("a", "b"): -1.0}, 0.0, "SPIN")
    model = tmp_path / "bqm.json"
    model.write_text(json.dumps(bqm.to_serializable()))
    assert (
        main(
            [
                "sample",
                "--sampler",
                "sa",
                "--protocol",
                "ground_state",
                "--bqm",
                str(model),
                "--reads",
                "5",
                "--seed",
                "2",
                "--out",
                "-",
            ]
        )
        == 0
    )
    ss = dimod.SampleSet.from_serializable(json.loads(capsys.readouterr().out))
    assert set(ss.variables) == {"a", "b"}
    assert np.isclose(ss.first.energy, -1.0)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=-1", "--bqm", "x"], 2, "beta must be"),
        (
            ["sample", "--sampler", "nope", "--protocol", "boltzmann:beta=1", "--bqm", "MODEL"],
            2,
            "unknown sampler 'nope'",
        ),
        (
            ["sample", "--sampler", "sa", "--protocol", "survival:state=++,gamma=1,time=1", "--bqm", "MODEL"],
            2,
            "does not support survival",
        ),
        (
            ["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--bqm", "MISSING"],
            2,
            "missing.json': no such file or directory; check the path",
        ),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_errors_are_one_line_with_exit_codes(tmp_path, capsys, args, code, message):
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"J": [[0, 1], [1, 0]]}))
    args = [str(model) if a == "MODEL" else str(tmp_path / "missing.json") if a == "MISSING" else a for a in args]
    assert main(args) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_console_script_runs_and_debug_shows_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    cmd = [
        sys.executable,
        "-m",
        "qflow_core.cli",
        "sample",
        "--sampler",
        "sa",
        "--protocol",
        "boltzmann:beta=1",
        "--bqm",
        str(bad),
    ]
    quiet = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert quiet.returncode == 2 and quiet.stderr.count("\n") == 1 and "is not valid JSON" in quiet.stderr
    loud = subprocess.run([*cmd[:3], "--debug", *cmd[3:]], capture_output=True, text=True, check=False)
    assert loud.returncode != 0 and "Traceback" in loud.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "--seed", "-4"], "a seed is an integer in [0, 2**31)"),
        (["train", "--norm", "abc"], "--norm takes 'initial', 'none' or a number > 0"),
        (["ep", "--rule", "thermal", "--temperature", "0"], "expected a finite number > 0"),
    ],
)
def test_bad_numbers_are_usage_errors_with_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
