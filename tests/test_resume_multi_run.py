"""Multi-run commands keep every finished run: the output is rewritten after each run, marked incomplete until
the end, and ``--resume`` finishes an interrupted run with the file an uninterrupted run writes."""

import json

import pytest

import qflow_core.registry as registry
from qflow_core.cli import main
from qflow_core.errors import BackendError, InvalidInputError
from qflow_core.journal import RunJournal

EP = ["ep", "--epochs", "2", "--reads", "50", "--hidden", "0", "--no-exact-check", "--seed", "3"]


def without_wall_times(data):
    data.pop("record", None)  # how and when the file was written: timestamps differ by construction
    for run in data["runs"]:
        run.pop("step_time_s")
    return data


def flaky_get_sampler(monkeypatch, name, fail_after):
    """``get_sampler(name)`` returns a sampler whose runs raise BackendError after ``fail_after`` runs."""
    real = registry.get_sampler

    def get(requested, *args, **kwargs):
        sampler = real(requested, *args, **kwargs)
        if requested != name:
            return sampler
        calls = {"n": 0}
        original = sampler.run

        def run(*a, **k):
            calls["n"] += 1
            if calls["n"] > fail_after:
                raise BackendError(f"{name} went offline (test)")
            return original(*a, **k)

        sampler.run = run
        return sampler

    monkeypatch.setattr(registry, "get_sampler", get)


def test_ep_keeps_the_finished_run_when_a_later_sampler_fails_and_resume_completes_it(tmp_path, monkeypatch):
    straight, plot = tmp_path / "straight.json", tmp_path / "ep.png"
    assert main([*EP, "--samplers", "exact,sa,exact", "--out", str(straight), "--plot", str(plot)]) == 0
    expected = json.loads(straight.read_text())
    assert expected["complete"] is True and [r["sampler"] for r in expected["runs"]] == ["exact", "sa", "exact"]

    out, plot = tmp_path / "ep.json", tmp_path / "ep-interrupted.png"  # outputs are never silently replaced
    flaky_get_sampler(monkeypatch, "sa", fail_after=3)  # sa fails mid-run, after three phases
    assert main([*EP, "--samplers", "exact,sa,exact", "--out", str(out), "--plot", str(plot)]) != 0
    partial = json.loads(out.read_text())
    assert partial["complete"] is False and partial["keys"] == ["0:exact"]
    kept_times = partial["runs"][0]["step_time_s"]
    assert without_wall_times(partial)["runs"] == without_wall_times(json.loads(straight.read_text()))["runs"][:1]

    monkeypatch.undo()
    assert main([*EP, "--samplers", "exact,sa,exact", "--out", str(out), "--plot", str(plot), "--resume"]) == 0
    resumed = json.loads(out.read_text())
    assert resumed["complete"] is True
    assert resumed["runs"][0]["step_time_s"] == kept_times  # kept, not rerun
    assert without_wall_times(resumed) == without_wall_times(expected)


def test_resume_with_other_settings_is_refused(tmp_path):
    out, plot = tmp_path / "ep.json", tmp_path / "ep.png"
    assert main([*EP, "--samplers", "sa", "--out", str(out), "--plot", str(plot)]) == 0
    assert main([*EP[:-1], "4", "--samplers", "sa", "--out", str(out), "--plot", str(plot), "--resume"]) == 2
    with pytest.raises(InvalidInputError, match="seed"):
        RunJournal(out, {**json.loads(out.read_text())["config"], "seed": 4}, kind="ep", resume=True)
    with pytest.raises(InvalidInputError, match="not the output"):
        RunJournal(out, {}, kind="capacity", resume=True)
    damaged = json.loads(out.read_text())
    damaged["runs"][0] = {"sampler": "sa"}
    out.write_text(json.dumps(damaged))
    assert main([*EP, "--samplers", "sa", "--out", str(out), "--plot", str(plot), "--resume"]) == 2
    out.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(InvalidInputError, match="cannot resume"):
        RunJournal(out, {}, kind="ep", resume=True)


def test_capacity_keeps_finished_rows_when_interrupted_and_resume_completes_them(tmp_path, monkeypatch):
    import importlib

    capacity_module = importlib.import_module("qflow_core.experiments.capacity")  # the face shadows it

    argv = ["capacity", "--rules", "hebb,mpf", "--n", "20", "--loads", "0.1,0.2", "--trials", "1", "--epochs", "20"]
    straight = tmp_path / "straight.json"
    assert main([*argv, "--out", str(straight)]) == 0
    expected = json.loads(straight.read_text())
    assert expected["complete"] is True and len(expected["rows"]) == 4

    real_train, calls = capacity_module.train, []

    def interrupted_train(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # Ctrl-C in the last row (mpf at α = 0.2)
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    out = tmp_path / "capacity.json"
    monkeypatch.setattr(capacity_module, "train", interrupted_train)
    assert main([*argv, "--out", str(out)]) == 130  # the exit status of an interrupted command
    partial = json.loads(out.read_text())
    assert partial["complete"] is False and partial["rows"] == expected["rows"][:3]

    monkeypatch.undo()
    assert main([*argv, "--out", str(out), "--resume"]) == 0
    resumed = json.loads(out.read_text())
    assert resumed.pop("wall_s") >= 0 and expected.pop("wall_s") >= 0
    assert resumed.pop("record")["config"] == expected.pop("record")["config"]
    assert resumed == expected
    assert main([*argv[:-1], "30", "--out", str(out), "--resume"]) == 2  # other settings: refused
