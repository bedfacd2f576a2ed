"""The command line as a product: exit codes, closest-match names, list options, run directories, progress."""

import argparse
import importlib
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from qflow_core.cli import build_parser, main
from qflow_core.cli.output import add_output_arguments, cli_config, run_output
from qflow_core.cli.progress import show_progress
from qflow_core.records import config_hash

compare_experiment = importlib.import_module("qflow_core.experiments.compare")  # the package face hides the module
FAST_COMPARE = ["compare", "--samplers", "enum", "--protocols", "boltzmann:beta=1", "--reads", "300", "--quiet"]


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# -- item 1: unknown names are refused before anything runs or is written ------------------------------------
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["compare", "--samplers", "exat"], "unknown sampler 'exat' (did you mean 'exact'?); installed samplers:"),
        (["compare", "--samplers", "sa,foo"], "unknown sampler 'foo'"),
        (["compare", "--protocols", "anneal:kind=fsat"], "unknown value 'fsat' (did you mean 'fast'?)"),
        (["compare", "--protocols", "anneal:knd=fast"], "anneal field: unknown value 'knd' (did you mean 'kind'?)"),
        (["compare", "--protocols", "boltzman:beta=2"], "(did you mean 'boltzmann'?); choose one of: anneal,"),
        (["attention", "--sampler", "nael"], "unknown sampler 'nael' (did you mean 'neal'?)"),
        (["ep", "--samplers", "exact", "--samplers", "sx"], "unknown sampler 'sx'"),
        (["sample", "--sampler", "sa", "--protocol", "survival:regime=dephsed", "--bqm", "m.json"], "'dephased'"),
    ],
)
def test_unknown_names_exit_2_with_the_closest_match_and_write_nothing(argv, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert expected in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


# -- item 3: user errors exit 2 in one line, internal errors exit 1 with the --debug hint ---------------------
def test_missing_and_unreadable_input_files_are_user_errors(tmp_path, capsys):
    missing = tmp_path / "K.npy"
    assert main(["attention", "--sampler", "enum", "--keys", str(missing), "--query", str(missing)]) == 2
    assert (
        one_line(capsys.readouterr().err)
        == f"qflow: error: cannot use '{missing}': no such file or directory; check the path"
    )
    assert main(["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--bqm", str(tmp_path)]) == 2
    assert "is a directory; give a file, not a directory" in one_line(capsys.readouterr().err)
    truncated = tmp_path / "bad.npy"
    truncated.write_bytes(b"\x93NUMPY")
    assert main(["train", "--patterns", str(truncated), "--epochs", "1", "--results-dir", str(tmp_path / "r")]) == 2
    assert "is not a numeric .npy array" in one_line(capsys.readouterr().err)
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.json"
        locked.write_text("{}")
        locked.chmod(0)
        assert main(["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--bqm", str(locked)]) == 2
        assert "permission denied; check its permissions" in one_line(capsys.readouterr().err)


def test_argparse_usage_errors_are_one_line(capsys):
    assert main(["compare", "--reads"]) == 2
    assert one_line(capsys.readouterr().err).endswith("(see `qflow compare --help`)")


def test_internal_errors_exit_1_with_a_debug_hint(monkeypatch, tmp_path, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(compare_experiment, "compare", broken)
    argv = [*FAST_COMPARE, "--results-dir", str(tmp_path)]
    assert main(argv) == 1
    assert one_line(capsys.readouterr().err) == (
        "qflow: error: ZeroDivisionError: a bug (rerun with --debug for the traceback)"
    )
    with pytest.raises(ZeroDivisionError):
        main(["--debug", *argv])


def test_missing_extra_is_a_user_error_named_once(installed_plugin, tmp_path, capsys):
    installed_plugin(
        "fancy", "from qflow_core.errors import MissingExtraError\nraise MissingExtraError('fancylib', extra='fancy')\n"
    )
    assert main(["compare", "--samplers", "fancy", "--results-dir", str(tmp_path)]) == 2
    err = one_line(capsys.readouterr().err)
    assert err.count('pip install "qflow[fancy]"') == 1 and "sampler 'fancy' is unavailable" in err
    assert main(["plugins"]) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.startswith("-") and "fancy" in line)
    assert "missing extra" in row
    assert "fancy (missing extra): this feature of qflow[fancy] needs the optional dependency" in table


# -- item 2: one list syntax on every command, and positionals stay positionals ----------------------------------
@pytest.mark.parametrize("command", ["compare", "ep"])
def test_samplers_take_commas_and_repeats_alike(command):
    parser = build_parser()
    commas = parser.parse_args([command, "--samplers", "sa,exact,enum"])
    repeats = parser.parse_args([command, "--samplers", "sa", "--samplers", "exact,enum"])
    assert commas.samplers == repeats.samplers == ["sa", "exact", "enum"]


def test_protocols_list_keeps_fields_and_the_experiment_positional():
    parser = build_parser()
    args = parser.parse_args(
        ["compare", "--protocols", "boltzmann:beta=2,anneal:kind=fast,time_us=0.05", "--protocols", "ground_state",
         "attention"]
    )  # fmt: skip
    assert [str(p) for p in args.protocols] == [
        "boltzmann:beta=2.0,gamma=0.0",
        "anneal:kind=fast,time_us=0.05",
        "ground_state:gamma=0.0",
    ]
    assert args.experiment == "attention"


def test_space_separated_protocols_are_refused_with_the_fix(capsys):
    assert main(["compare", "--protocols", "boltzmann:beta=2", "anneal:kind=fast"]) == 2
    assert "separate them with commas or repeat the flag" in one_line(capsys.readouterr().err)


def test_capacity_rules_take_commas_and_repeats_alike():
    parser = build_parser()
    one = parser.parse_args(["capacity", "--rules", "hebb,softmax-hebbian:beta=4,survival=true"])
    two = parser.parse_args(["capacity", "--rules", "hebb", "--rules", "softmax-hebbian:beta=4,survival=true"])
    assert one.rules == two.rules == ["hebb", "softmax-hebbian:beta=4,survival=true"]


# -- item 4: a new run directory per run, a latest pointer, and --out never replaces without --force ---------------
def test_default_run_goes_into_a_new_run_directory_with_latest_pointer(tmp_path, capsys):
    argv = [*FAST_COMPARE, "--results-dir", str(tmp_path)]
    assert main(argv) == 0 and main(argv) == 0
    runs = sorted(p for p in tmp_path.iterdir() if p.name != "latest")
    assert len(runs) == 2  # the second run did not overwrite the first
    args = build_parser().parse_args(argv)
    for run in runs:
        assert run.name.startswith("attention-") and config_hash(cli_config(args)) in run.name
        assert sorted(p.name for p in run.iterdir()) == ["attention.json", "attention.png", "attention.svg"]
        assert json.loads((run / "attention.json").read_text())["rows"][0]["sampler"] == "enum"
    latest = tmp_path / "latest"
    assert latest.is_symlink() and latest.resolve() == max(runs, key=lambda p: p.stat().st_mtime_ns).resolve()
    assert (runs[0] / "attention.json").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_latest_is_a_text_file_where_links_are_unavailable(tmp_path, monkeypatch):
    def no_links(*args, **kwargs):
        raise OSError("symbolic links are not supported here")

    monkeypatch.setattr(os, "symlink", no_links)
    parser = argparse.ArgumentParser()
    add_output_arguments(parser)
    args = parser.parse_args(["--results-dir", str(tmp_path)])
    with run_output(args, "demo", {"n": 1}) as out:
        out.json.write_text("{}")
    latest = tmp_path / "latest"
    assert not latest.is_symlink() and latest.read_text() == out.run_dir.name + "\n"


def test_out_is_exact_and_never_replaced_without_force(tmp_path, monkeypatch, capsys):
    out = tmp_path / "mine.json"
    out.write_text("precious")
    called = []
    monkeypatch.setattr(compare_experiment, "compare", lambda *a, **k: called.append(1))
    assert main([*FAST_COMPARE, "--out", str(out)]) == 2
    assert "mine.json already exists; pass --force to replace it" in one_line(capsys.readouterr().err)
    assert out.read_text() == "precious" and not called  # refused before running anything
    monkeypatch.undo()
    assert main([*FAST_COMPARE, "--out", str(out), "--force"]) == 0
    assert json.loads(out.read_text())["rows"] and (tmp_path / "mine.png").exists()


def test_failed_run_leaves_no_empty_run_directory(tmp_path, capsys):
    results = tmp_path / "results"
    argv = ["attention", "--sampler", "enum", "--protocol", "anneal:kind=fast", "--results-dir", str(results)]
    assert main(argv) == 2  # enum does not support anneal
    assert "does not support anneal" in capsys.readouterr().err
    assert not results.exists()


# -- item 6: sample reports reads and distinct samples correctly --------------------------------------------------
def test_sample_reports_reads_distinct_samples_and_rows(tmp_path, capsys):
    model = tmp_path / "m.json"
    model.write_text(json.dumps({"J": [[0, 1], [1, 0]]}))
    out = tmp_path / "s.json"
    argv = ["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--bqm", str(model), "--reads", "200"]
    assert main([*argv, "--seed", "4", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    import dimod

    ss = dimod.SampleSet.from_serializable(record)
    distinct = len(np.unique(ss.record.sample, axis=0))
    assert distinct <= 4 < len(ss)  # sa returns one row per read
    assert f"wrote 200 reads ({distinct} distinct samples in {len(ss)} rows)" in capsys.readouterr().out


# -- item 9: progress only on a terminal, warnings through the bar and summarised ----------------------------------
class _Terminal:
    def isatty(self):
        return True


def test_progress_shows_only_on_a_terminal_and_not_with_quiet():
    parser = build_parser()
    assert show_progress(parser.parse_args(["compare"]), _Terminal())
    assert not show_progress(parser.parse_args(["compare", "--quiet"]), _Terminal())
    assert not show_progress(parser.parse_args(["capacity", "--no-progress"]), _Terminal())
    assert not show_progress(parser.parse_args(["train"]), open(os.devnull, "w"))  # piped: no bar


def test_warnings_are_written_once_and_summarised(monkeypatch, tmp_path, capsys):
    real = compare_experiment.compare

    def noisy(*args, **kwargs):
        for _ in range(3):
            warnings.warn("step cap reached", RuntimeWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compare_experiment, "compare", noisy)
    assert main([*FAST_COMPARE, "--results-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.count("RuntimeWarning: step cap reached") == 2  # once when it happened, once in the summary
    assert "qflow: 3 warnings during the run:\n  3x RuntimeWarning: step cap reached" in err


# -- item 11: Ctrl-C keeps the finished runs, draws their figure and exits 130 ---------------------------------------
def test_interrupted_compare_keeps_json_and_figure_and_exits_130(monkeypatch, tmp_path, capsys):
    real = compare_experiment.compare

    def interrupted(*args, **kwargs):
        partial = real(*args, **{**kwargs, "checkpoint": None})
        error = KeyboardInterrupt()
        error.partial = partial
        raise error

    monkeypatch.setattr(compare_experiment, "compare", interrupted)
    out = tmp_path / "a.json"
    assert main([*FAST_COMPARE, "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert f"kept the finished runs: {out}, {tmp_path / 'a.png'}" in err and "qflow: interrupted" in err
    assert json.loads(out.read_text())["rows"][0]["sampler"] == "enum"
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"


# -- item 10: --version, --help and the parser import no numerical library ------------------------------------------
@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["compare", "--help"]])
def test_version_and_help_import_no_heavy_library(argv):
    heavy = ("numpy", "scipy", "dimod", "matplotlib", "numba", "tqdm", "pluggy")
    code = f"import sys\nfrom qflow_core.cli import main\nmain({argv!r})\n"
    code += f"print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_second_run_writing_the_same_out_at_once_is_refused(tmp_path, capsys):
    """Two concurrent runs to one --out: the second is refused while the first holds the file's writer lock."""
    from qflow_core.io import writer_lock

    target = tmp_path / "run.json"
    argv = ["attention", "--sampler", "exact", "--protocol", "boltzmann:beta=2", "--reads", "50", "--out", str(target)]
    with writer_lock(target, fix="test"):  # the first run, still writing
        assert main(argv) == 2
    assert "another run is writing to" in capsys.readouterr().err and not target.exists()
    assert main(argv) == 0 and target.exists()  # once it is done, the next run proceeds
    assert not (tmp_path / "run.json.lock").exists()


def test_calibrate_and_the_svg_of_compare_are_never_replaced_without_force(tmp_path, capsys):
    out = tmp_path / "cal.json"
    out.write_text("keep")
    argv = ["calibrate", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--reads", "50", "--out", str(out)]
    assert main(argv) == 2 and out.read_text() == "keep"
    assert main([*argv, "--force"]) == 0 and out.read_text() != "keep"
    (tmp_path / "c.svg").write_text("keep")
    compare = ["compare", "--samplers", "enum", "--protocols", "boltzmann:beta=2", "--reads", "50", "--quiet"]
    assert main([*compare, "--out", str(tmp_path / "c.json")]) == 2
    assert (tmp_path / "c.svg").read_text() == "keep" and not (tmp_path / "c.json").exists()
    assert "--force" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["sample", "attention", "calibrate"])
def test_every_command_asks_before_a_sampler_that_costs_money(command, tmp_path, capsys, monkeypatch):
    """Without a terminal and without --yes, a paid sampler is refused before anything runs (no QPU contacted)."""
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    argv = [command, "--sampler", "dwave", "--protocol", "anneal:kind=standard", "--reads", "10"]
    if command == "sample":
        (tmp_path / "m.json").write_text(json.dumps({"J": [[0, 1], [1, 0]]}))
        argv += ["--bqm", str(tmp_path / "m.json")]
    assert main([*argv, "--out", str(tmp_path / "x.json")]) == 2
    captured = capsys.readouterr()
    assert "costs money" in captured.out and "pass --yes" in captured.err and not (tmp_path / "x.json").exists()
