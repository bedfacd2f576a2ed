"""``qflow sweep plan/run`` and ``qflow results ls/show/export/summary`` end to end, on a running scheduler."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from scipy import stats

from qflow_core.cli import main

SPEC = """\
name = "cli-demo"
experiment = "attention"
seeds = 3
seed = 2

[fixed]
sampler = "enum"
protocol = "boltzmann:beta=2"
num_reads = 3000

[axes]
num_keys = [3, 5]
"""


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0") as c:
        yield c.scheduler_address


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text(SPEC)
    return path


def test_plan_lists_the_tasks_and_runs_nothing(spec, tmp_path, capsys):
    assert main(["sweep", "plan", str(spec), "--store", str(tmp_path / "s.sqlite"), "--show", "2"]) == 0
    out = capsys.readouterr().out
    assert "cli-demo: experiment attention, 6 tasks (2 points × 3 seeds)" in out
    assert out.count(" seed ") == 2 and "… 4 more" in out
    assert not (tmp_path / "s.sqlite").exists()


def test_bad_spec_is_a_usage_error_naming_the_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(SPEC.replace("num_reads", "num_raeds"))
    assert main(["sweep", "run", str(path), "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "bad.toml:9 ([fixed] num_raeds)" in capsys.readouterr().err
    assert not (tmp_path / "s.sqlite").exists()


@pytest.mark.slow
def test_run_then_read_the_store_back(spec, tmp_path, capsys, scheduler):
    store = tmp_path / "s.sqlite"
    args = ["sweep", "run", str(spec), "--store", str(store), "--scheduler", scheduler, "--no-progress"]
    assert main(args) == 0
    assert "6 run (6 done, 0 failed)" in capsys.readouterr().out
    assert main(args) == 0
    assert "0 run (0 done, 0 failed), 6 already done" in capsys.readouterr().out

    assert main(["results", "ls", str(store), "--tasks"]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("cli-demo: 6 done, 0 failed")
    first_hash = listing.splitlines()[1].split()[0]
    assert main(["results", "show", str(store), first_hash[:8]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["record"]["config_hash"] == first_hash
    assert shown["record"]["command_line"] is None  # called in-process, not as the `qflow` command

    assert main(["results", "export", str(store), str(tmp_path / "t.csv")]) == 0
    assert capsys.readouterr().out.startswith("wrote ")
    with open(tmp_path / "t.csv") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 6 and {row["num_keys"] for row in table} == {"3", "5"}

    assert main(["results", "summary", str(store), "--by", "num_keys", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for entry in summary:
        betas = [float(r["beta"]) for r in table if int(r["num_keys"]) == entry["group"]["num_keys"]]
        half = stats.t.ppf(0.975, 2) * np.std(betas, ddof=1) / np.sqrt(3)
        assert entry["beta"]["mean"] == pytest.approx(np.mean(betas), rel=1e-12)
        assert entry["beta"]["ci95"][1] == pytest.approx(np.mean(betas) + half, rel=1e-12)
        verdicts = [r["verdict"] for r in table if int(r["num_keys"]) == entry["group"]["num_keys"]]
        assert entry["verdicts"] == {v: [verdicts.count(v), verdicts.count(v) / 3] for v in set(verdicts)}
    assert all(float(r["exact_beta"]) == pytest.approx(2.0, abs=1e-9) for r in table)  # enum is exact Boltzmann
    plot = tmp_path / "beta.png"
    assert main(["results", "summary", str(store), "--by", "num_keys", "--plot", str(plot)]) == 0
    assert plot.stat().st_size > 1000


def test_a_corrupt_store_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database")
    assert main(["results", "ls", str(bad)]) == 2
    assert "not a qflow results store" in capsys.readouterr().err
