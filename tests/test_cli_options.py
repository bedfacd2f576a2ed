"""``--option KEY=VALUE``: declared sampler run options from the command line, checked, recorded, and effective."""

import json
import math

import dimod
import numpy as np
import pytest

from qflow_core.cli import main
from qflow_core.errors import InvalidInputError

PAIR = {"J": [[0, 1.0], [1.0, 0]], "h": [0.0, 0.0]}  # E = -s0 s1: the aligned states are the ground states
HOT = 0.02  # β of the last sweeps when --option beta_range=0.01,0.02 replaces sa's cold geometric schedule


@pytest.fixture
def pair(tmp_path):
    path = tmp_path / "pair.json"
    path.write_text(json.dumps(PAIR))
    return path


def sample(pair, tmp_path, name, *extra):
    out = tmp_path / name
    argv = ["sample", "--sampler", "sa", "--protocol", "anneal:kind=standard", "--bqm", str(pair)]
    assert main([*argv, "--reads", "400", "--seed", "5", "--out", str(out), *extra]) == 0
    return json.loads(out.read_text())


def aligned_fraction(data) -> float:
    """Fraction of the reads in the two ground states (s0 = s1) of a written SampleSet."""
    ss = dimod.SampleSet.from_serializable(data)
    aligned = sum(n for s, n in ss.data(["sample", "num_occurrences"]) if s[0] == s[1])
    return aligned / ss.record.num_occurrences.sum()


def test_an_option_changes_the_run_and_is_recorded(pair, tmp_path, capsys):
    cold = sample(pair, tmp_path, "cold.json")
    hot = sample(pair, tmp_path, "hot.json", "--option", f"beta_range=0.01,{HOT}", "--option", "num_sweeps=50")
    assert hot["info"]["qflow"]["backend"]["beta_range"] == [0.01, HOT]
    assert hot["info"]["qflow"]["backend"]["num_sweeps"] == 50
    assert hot["info"]["record"]["config"]["option"] == {"sa": {"beta_range": [0.01, HOT], "num_sweeps": 50}}
    assert cold["info"]["record"]["config"]["option"] is None
    assert hot["info"]["record"]["config_hash"] != cold["info"]["record"]["config_hash"]
    # the default anneal ends cold (dwave-samplers picks a final β that leaves about 1 % excited); the hot
    # schedule ends at β = 0.02, where the Boltzmann weight of the two aligned states is e^β / (e^β + e^-β)
    # ≈ 0.51 (400 reads: σ ≈ 0.025, tolerance 4σ)
    assert aligned_fraction(cold) > 0.97
    assert aligned_fraction(hot) == pytest.approx(math.exp(HOT) / (2 * math.cosh(HOT)), abs=0.1)


def test_compare_targets_one_sampler_or_every_sampler_that_declares_the_option(tmp_path, capsys):
    base = ["compare", "--samplers", "sa,enum", "--protocols", "boltzmann:beta=1", "--reads", "300", "--quiet"]
    targeted, untargeted = tmp_path / "targeted.json", tmp_path / "untargeted.json"
    assert main([*base, "--option", "sa:num_sweeps=7", "--out", str(targeted)]) == 0
    assert main([*base, "--option", "num_sweeps=9,randomize_order=true", "--out", str(untargeted)]) == 0
    for path, expected in ((targeted, {"num_sweeps": 7}), (untargeted, {"num_sweeps": 9, "randomize_order": True})):
        data = json.loads(path.read_text())
        backends = {run["sampler"]: run["info"]["backend"] for run in data["runs"]}
        assert {k: backends["sa"][k] for k in expected} == expected
        assert not set(expected) & set(backends["enum"])  # enum declares neither option and got none
        assert data["record"]["config"]["option"] == {"sa": expected}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--option", "num_sweep=3"],
            "--option num_sweep=3: sa does not declare 'num_sweep' (did you mean 'num_sweeps'?); sa options: "
            "num_sweeps, randomize_order,",
        ),
        (["--option", "num_sweeps=0"], "--option num_sweeps=0: sa option 'num_sweeps' must be an integer ≥ 1, got '0'"),
        (["--option", "num_sweeps=many"], "sa option 'num_sweeps' must be an integer ≥ 1, got 'many'"),
        (["--option", "randomize_order=maybe"], "sa option 'randomize_order' must be true or false, got 'maybe'"),
        (["--option", "beta_range=0.1"], "sa option 'beta_range' must be two finite numbers [β_hot, β_cold]"),
        (
            ["--option", "proposal_acceptance_criteria=Gibs"],
            "must be one of 'Metropolis', 'Gibbs', got 'Gibs' (did you mean 'Gibbs'?)",
        ),
        (["--option", "exact:tol=1"], "--option exact:tol=1: 'exact' is not a selected sampler; selected: sa"),
    ],
)
def test_a_bad_option_exits_2_naming_it_and_what_is_allowed(argv, expected, pair, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--bqm", str(pair), *argv])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pair.json"]  # nothing written


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["compare", "--samplers", "sa,enum", "--option", "tol=1"], "no selected sampler declares 'tol'; sa options:"),
        (["compare", "--samplers", "sa,enum", "--option", "enum:num_sweeps=3"], "enum does not declare 'num_sweeps'"),
        (["compare", "--samplers", "sa,enum", "--option", "exat:tol=1"], "'exat' is not a selected sampler"),
        (["attention", "--sampler", "exact", "--option", "tol=-1"], "exact option 'tol' must be a number > 0, got"),
        (["calibrate", "--sampler", "sa", "--protocol", "anneal", "--option", "num_sweeps=1.5"], "an integer ≥ 1"),
        (["train", "--rule", "hebb", "--option", "num_sweeps=3"], "rule 'hebbian' without --sampler runs no sampler"),
    ],
)
def test_every_command_that_runs_a_sampler_checks_its_options(argv, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    assert list(tmp_path.iterdir()) == []


def test_an_item_without_a_value_is_a_usage_error(capsys):
    assert main(["compare", "--option", "num_sweeps"]) == 2
    assert "write KEY=VALUE or SAMPLER:KEY=VALUE, got 'num_sweeps'" in capsys.readouterr().err


def distinct(phase) -> int:
    return len(np.unique(phase.states, axis=0))


def top_two_share(phase) -> float:
    """Total weight of the two likeliest states (a phase lists the reads one by one); with h = 0 the ground
    state comes as the pair s, −s of equal energy."""
    _, index = np.unique(phase.states, axis=0, return_inverse=True)
    return float(np.sort(np.bincount(index.ravel(), weights=phase.weights))[-2:].sum())


def test_ep_phases_run_with_the_options_and_refuse_the_ones_they_set():
    from qflow_core.cli.ep import build_network
    from qflow_core.learning.ep.phases import measure_phase
    from qflow_core.registry import get_sampler

    network = build_network(1, 0.5, seed=0)  # 4 spins, 16 states
    sa = get_sampler("sa")
    cold = measure_phase(sa, network, num_reads=400, seed=3)
    hot = measure_phase(sa, network, num_reads=400, seed=3, backend_options={"beta_range": [0.01, 0.02]})
    # the ground-state anneal piles the reads on the ground-state pair; at β = 0.02 (energies of order 1) all 16
    # states are about equally likely, 1/16 each: two shares of 400 reads stay well under 0.3
    assert top_two_share(cold) > 0.9 and distinct(hot) == 16 and top_two_share(hot) < 0.3
    with pytest.raises(InvalidInputError, match="'return_state' is set by the EP phase itself"):
        measure_phase(get_sampler("exact"), network, num_reads=10, seed=0, backend_options={"return_state": False})


def test_ep_passes_each_sampler_its_options_and_records_them(tmp_path, capsys):
    out = tmp_path / "ep.json"
    argv = ["ep", "--samplers", "exact,sa", "--epochs", "1", "--reads", "50", "--quiet", "--no-exact-check"]
    assert main([*argv, "--option", "sa:num_sweeps=20,exact:tol=1e-4", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["config"]["option"] == {"sa": {"num_sweeps": 20}, "exact": {"tol": 1e-4}}
    assert main([*argv, "--option", "exact:num_sweeps=3"]) == 2
    assert "exact does not declare 'num_sweeps' (did you mean" in capsys.readouterr().err
