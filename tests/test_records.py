"""Run records: the config hash is stable across processes and dict orders; saved results carry a record."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from qflow_core.errors import InvalidInputError
from qflow_core.records import canonical_json, config_hash, properties_snapshot, run_record

CONFIG = {"experiment": "attention", "sampler": "sa", "protocol": {"kind": "boltzmann", "beta": 2.0}, "reads": 100}


def test_hash_is_independent_of_dict_order_and_numpy_types():
    shuffled = {"reads": np.int64(100), "protocol": {"beta": np.float64(2.0), "kind": "boltzmann"}}
    shuffled.update(sampler="sa", experiment="attention")
    assert config_hash(shuffled) == config_hash(CONFIG)
    assert config_hash({**CONFIG, "reads": 101}) != config_hash(CONFIG)
    assert config_hash({**CONFIG, "protocol": {"kind": "boltzmann", "beta": 2.0000000001}}) != config_hash(CONFIG)


def test_hash_is_the_same_in_a_fresh_process_with_another_hash_seed():
    code = "import json, sys; from qflow_core.records import config_hash; print(config_hash(json.loads(sys.argv[1])))"
    reordered = json.dumps(dict(reversed(list(CONFIG.items()))))
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, reordered],
            capture_output=True,
            text=True,
            check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)},
        ).stdout.strip()
        for seed in (1, 2)
    }
    assert outputs == {config_hash(CONFIG)}


def test_hash_is_sha256_of_the_canonical_json():
    import hashlib

    assert config_hash(CONFIG) == hashlib.sha256(canonical_json(CONFIG).encode()).hexdigest()[:16]


def test_non_finite_numbers_are_refused():
    with pytest.raises(InvalidInputError, match="finite"):
        config_hash({"beta": float("nan")})


def test_run_record_holds_versions_times_and_a_truncated_topology():
    class Qpu:
        properties = {"chip_id": "mock", "couplers": [[i, i + 1] for i in range(10_000)]}

    now = time.time()
    record = run_record(CONFIG, seed=5, sampler=Qpu(), started=now - 2, ended=now, wall_s=2.0, cpu_s=1.0)
    assert record["config_hash"] == config_hash(CONFIG)
    assert record["config"] == json.loads(canonical_json(CONFIG))
    assert record["versions"]["numpy"] == np.__version__
    assert record["sampler_properties"]["chip_id"] == "mock"
    assert record["sampler_properties"]["couplers"]["length"] == 10_000
    assert record["started"] < record["ended"] and record["started"].endswith("+00:00")
    assert len(json.dumps(record)) < 10_000


def test_a_sampler_whose_properties_raise_is_recorded_not_fatal():
    class Offline:
        @property
        def properties(self):
            raise ConnectionError("no network")

    assert properties_snapshot(Offline()) == {"error": "ConnectionError: no network"}


def test_saved_results_carry_a_record(tmp_path):
    from qflow_core.experiments import attention_map
    from qflow_core.models.attention import OneHotAttention

    memory = OneHotAttention.random(num_keys=4, dim=4, seed=0)
    result = attention_map(memory, "enum", "boltzmann:beta=1", num_reads=500, seed=2)
    data = json.loads(result.save(tmp_path / "r.json").read_text())
    assert data["record"]["config"]["sampler"] == "enum"
    assert data["record"]["seed"] == 2
    assert data["record"]["versions"]["dimod"]
    assert data["counts"] == result.counts.tolist()


@pytest.mark.slow
def test_the_cli_records_its_command_line(tmp_path):
    out = tmp_path / "a.json"
    args = ["attention", "--sampler", "enum", "--reads", "200", "--seed", "1", "--out", str(out)]
    subprocess.run([sys.executable, "-m", "qflow_core.cli", *args], check=True, capture_output=True)
    record = json.loads(out.read_text())["record"]
    assert record["command_line"][1:] == args


RECORDED_COMMANDS = {
    "sample": ["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--reads", "20", "--seed", "1"],
    "train": ["train", "--rule", "hebb", "--n", "8", "--load", "0.25", "--epochs", "2", "--seed", "1"],
    "capacity": ["capacity", "--rules", "hebb", "--n", "10", "--loads", "0.2", "--trials", "1", "--epochs", "2"],
    "ep": ["ep", "--samplers", "exact", "--epochs", "1", "--hidden", "0", "--no-exact-check", "--seed", "1"],
    "attention": ["attention", "--sampler", "exact", "--protocol", "boltzmann:beta=2", "--reads", "100"],
}


@pytest.mark.parametrize("command", list(RECORDED_COMMANDS))
def test_every_json_the_cli_writes_carries_a_record(command, tmp_path, monkeypatch):
    from qflow_core.cli import main

    monkeypatch.chdir(tmp_path)
    argv = list(RECORDED_COMMANDS[command])
    if command == "sample":
        (tmp_path / "model.json").write_text(json.dumps({"J": [[0, 1], [1, 0]]}))
        argv += ["--bqm", "model.json"]
    quiet = ["--quiet"] if command in ("train", "capacity", "ep") else []  # the commands with a progress bar
    assert main([*argv, *quiet, "--out", "out.json"]) == 0
    data = json.loads((tmp_path / "out.json").read_text())
    record = data["info"]["record"] if command == "sample" else data["record"]
    assert record["qflow"] and record["versions"]["numpy"] and len(record["config_hash"]) == 16
