"""Bad input found by a fault-injection audit: each is a typed error that says what was wrong, never a raw
ValueError / UnicodeDecodeError / KeyError / OverflowError / MemoryError or a silent -inf."""

import json

import dimod
import pytest

import qflow_core.validation as validation
from qflow_core import get_sampler
from qflow_core.cli import main
from qflow_core.errors import InvalidInputError, ProblemTooLargeError
from qflow_core.learning.rules import Hebbian, SoftmaxHebbian
from qflow_core.learning.training import train

SAMPLE = ["sample", "--sampler", "sa", "--protocol", "boltzmann:beta=1", "--reads", "3", "--bqm"]
PAIR = dimod.BQM({"a": 0.5}, {("a", "b"): -1.0}, 0.0, "SPIN")


@pytest.fixture
def sixteen_gib(monkeypatch):
    """A machine with 16 GiB, whatever machine runs the test (the figures are then fixed)."""
    monkeypatch.setattr(validation, "memory_limit_bytes", lambda: 16 * 2**30)


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"J": [[0, 1], [1]], "h": [0, 0]}', "J must be a square matrix of numbers"),
        ('{"J": [["a", "b"], ["c", "d"]]}', "J must be a square matrix of numbers"),
        ('{"J": [[0, 1], [1, 0]], "h": ["x", 1]}', "h must be a list of numbers"),
        (b"\xff\xfe\x00 binary garbage", "not a text"),
        ('{"type": "BinaryQuadraticModel", "version": {"bqm_schema": "9.9"}}', "cannot read this BQM serialization"),
    ],
)
def test_bad_bqm_files_are_usage_errors(tmp_path, capsys, content, message):
    path = tmp_path / "bqm.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main([*SAMPLE, str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "unexpected" not in err


def test_a_dimod_file_still_loads(tmp_path):
    path = tmp_path / "bqm.json"
    path.write_text(json.dumps(PAIR.to_serializable()))
    assert main([*SAMPLE, str(path), "--out", str(tmp_path / "s.json")]) == 0


def test_finite_biases_whose_energies_overflow_are_refused_not_returned_as_minus_inf():
    huge = dimod.BQM({"a": -1e308, "b": -1e308}, {("a", "b"): -1e308}, 0.0, "SPIN")
    with pytest.raises(InvalidInputError, match="overflow"):
        get_sampler("sa").run(huge, "boltzmann:beta=1", num_reads=3, seed=0)
    large = dimod.BQM({"a": -1e306, "b": -1e306}, {("a", "b"): -1e306}, 0.0, "SPIN")  # sums stay finite
    energies = get_sampler("sa").run(large, "boltzmann:beta=1", num_reads=3, seed=0).record.energy
    assert energies.min() == pytest.approx(-3e306)


def test_huge_read_counts_are_refused_with_the_memory_figure_before_any_work(sixteen_gib):
    with pytest.raises(ProblemTooLargeError, match=r"100000000000000 reads on 'sa'.*2910\.4 TiB.*16\.0 GiB"):
        get_sampler("sa").run(PAIR, "boltzmann:beta=1", num_reads=10**14, seed=0)
    # exact returns one row per distinct state with its count: 10**14 reads are fine, 10**20 overflow the counts
    counts = get_sampler("exact").run(PAIR, "boltzmann:beta=1", num_reads=10**14, seed=0).record.num_occurrences
    assert counts.sum() == 10**14
    for name in ("exact", "sa"):
        with pytest.raises(InvalidInputError, match="64-bit read counts"):
            get_sampler(name).run(PAIR, "boltzmann:beta=1", num_reads=10**20, seed=0)


def test_training_too_many_spins_is_refused_with_the_figure(sixteen_gib, capsys, monkeypatch):
    assert main(["train", "--n", "100000", "--epochs", "1"]) != 0
    err = capsys.readouterr().err
    assert "n = 100000 spins would need about 305.5 GiB" in err and "16.0 GiB" in err
    monkeypatch.setattr(validation, "memory_limit_bytes", lambda: 10**6)  # the Hebb matrix needs 2.6 MB here
    patterns = [[1, -1] * 200]
    with pytest.raises(ProblemTooLargeError, match="Hebb matrix for n = 400"):
        Hebbian.store(patterns)
    monkeypatch.setattr(validation, "memory_limit_bytes", lambda: 3 * 10**6)  # training 5.1 MB
    memory = Hebbian.store(patterns)
    with pytest.raises(ProblemTooLargeError, match="training for n = 400"):
        train(memory, patterns, SoftmaxHebbian(1.0), epochs=1, lr=0.1, seed=0)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"num_sweeps": -3}, "num_sweeps must be an integer ≥ 1, got -3"),
        ({"beta_range": [-1, -1]}, r"beta_range must be two finite numbers \[β_hot, β_cold\], both > 0"),
        ({"beta_range": "hot"}, "beta_range must be two finite numbers"),
        ({"beta_range": [1, 2, 3]}, "beta_range must be two finite numbers"),
        ({"beta_range": [0.1, float("inf")]}, "beta_range must be two finite numbers"),
    ],
)
def test_invalid_forwarded_sa_options_are_caught_by_the_declared_parameters(options, message):
    with pytest.raises(InvalidInputError, match=message):
        get_sampler("sa").run(PAIR, "anneal:kind=fast", num_reads=3, seed=0, **options)


def test_a_valid_beta_range_reaches_the_backend():
    cold = get_sampler("sa").run(PAIR, "anneal:kind=fast", num_reads=20, seed=0, beta_range=[5.0, 50.0])
    assert cold.first.energy == pytest.approx(PAIR.energy({"a": -1, "b": -1}))
