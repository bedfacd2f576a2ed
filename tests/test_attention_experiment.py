"""attention_map, compare and their CLI commands, against exact backends and SA (issue 4 acceptance)."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest

from qflow_core.cli import main
from qflow_core.errors import BackendError
from qflow_core.experiments import AttentionResult, attention_map, compare
from qflow_core.experiments.compare import builtin_instance, run_seed
from qflow_core.fitting import lorentzian_log_probabilities
from qflow_core.models.attention import FrozenSamplerWarning, OneHotAttention
from qflow_core.protocols import parse_protocol
from qflow_core.registry import available_samplers, get_sampler
from qflow_core.sampler import Sampler, spin_sampleset

I3 = np.array([1.0, 0.5, 0.0, -0.5, -1.0, 0.25])


def exact_backend() -> str:
    return "exact" if "exact" in available_samplers() else "enum"


def total_variation(p, q) -> float:
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


class LorentzianSampler(Sampler):
    """Test double: draws one-hot states of a OneHotAttention BQM from a Lorentzian law (not from the BQM)."""

    name = "lorentzian-test"
    capabilities: ClassVar = {"boltzmann": "approximate"}
    gamma = 0.3

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        scores = -np.array([bqm.energy({v: 1 if v == m else -1 for v in bqm.variables}) for m in bqm.variables])
        p = np.exp(lorentzian_log_probabilities(scores, self.gamma))
        counts = np.random.default_rng(seed).multinomial(num_reads, p)
        return spin_sampleset(bqm, 2 * np.eye(len(p), dtype=int) - 1, num_occurrences=counts)


class UnreachableSampler(Sampler):
    name = "unreachable-test"
    capabilities: ClassVar = {"boltzmann": "native", "anneal": "native"}

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        raise BackendError("no API token found")


class FailingSampler(Sampler):
    name = "failing-test"
    capabilities: ClassVar = {"boltzmann": "native", "anneal": "native"}

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        raise RuntimeError("device lost")


def test_exact_boltzmann_beta_2_on_the_builtin_instance_is_softmax():
    result = attention_map(builtin_instance(), exact_backend(), "boltzmann:beta=2", num_reads=20000, seed=11)
    fit = result.comparison.softmax
    assert abs(fit.beta - 2.0) < 2 * fit.se
    assert result.verdict == "softmax"
    assert result.exact_beta == pytest.approx(2.0, abs=1e-9)  # the exact probabilities are softmax(2a)
    assert result.fidelity == "exact" and result.warnings == []
    assert result.counts.sum() + result.num_invalid == 20000


def test_synthetic_lorentzian_counts_give_the_lorentzian_verdict():
    memory = builtin_instance()
    result = attention_map(memory, LorentzianSampler(), "boltzmann:beta=2", num_reads=20000, seed=5)
    assert result.verdict == "lorentzian"
    assert result.comparison.lorentzian.gamma == pytest.approx(0.3, rel=0.1)
    assert result.invalid_fraction == 0.0


def test_sa_boltzmann_with_a_moderate_penalty_reproduces_the_softmax():
    """THEORY A33: I3, A = 2.0 (A − a_(2) = 1.5), SA at fixed β = 2, 20 000 reads."""
    memory = OneHotAttention.from_scores(I3, penalty=2.0)
    result = attention_map(memory, "sa", "boltzmann:beta=2", num_reads=20000, seed=3)
    assert total_variation(result.frequencies, memory.softmax(2.0)) < 0.02
    assert result.warnings == []


def test_sa_boltzmann_with_a_freezing_penalty_warns_and_misses_the_softmax():
    """THEORY A33: A = 5.98 (A − a_(2) = 5.5) freezes single-flip SA at β = 2."""
    memory = OneHotAttention.from_scores(I3, penalty=5.98)
    with pytest.warns(FrozenSamplerWarning):
        result = attention_map(memory, "sa", "boltzmann:beta=2", num_reads=20000, seed=3)
    assert total_variation(result.frequencies, memory.softmax(2.0)) > 0.3
    assert result.warnings and "freezes" in result.warnings[0]


def test_exact_backends_do_not_warn_about_freezing():
    memory = OneHotAttention.from_scores(I3, penalty=5.98)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", FrozenSamplerWarning)
        result = attention_map(memory, exact_backend(), "boltzmann:beta=2", num_reads=1000, seed=1)
    assert result.warnings == []


def test_result_round_trips_to_json_and_plots(tmp_path):
    result = attention_map(OneHotAttention.from_scores(I3), exact_backend(), "boltzmann:beta=1", num_reads=3000, seed=2)
    assert isinstance(result, AttentionResult)
    data = json.loads(result.save(tmp_path / "run.json").read_text())
    assert data["counts"] == result.counts.tolist() and data["sampler"] == exact_backend()
    assert data["comparison"]["verdict"] == result.verdict
    assert data["info"]["seed"] == 2 and data["protocol"] == {"protocol": "boltzmann", "beta": 1.0, "gamma": 0.0}
    png = result.plot(tmp_path / "run.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "verdict" in result.summary()


def test_same_seed_same_result():
    memory = builtin_instance()
    first = attention_map(memory, "sa", "anneal:kind=fast", num_reads=500, seed=9)
    again = attention_map(memory, "sa", "anneal:kind=fast", num_reads=500, seed=9)
    assert first.counts.tolist() == again.counts.tolist()


def test_attention_map_rejects_other_memories():
    from qflow_core.errors import InvalidInputError
    from qflow_core.models.memory import IsingMemory

    with pytest.raises(InvalidInputError, match="OneHotAttention"):
        attention_map(IsingMemory([[0, 1.0], [1.0, 0]]), "sa", "boltzmann:beta=1", num_reads=10, seed=0)


def test_compare_skips_unsupported_pairs_and_survives_a_failing_run(tmp_path):
    memory = OneHotAttention.from_scores(I3, penalty=2.0)
    checkpoint = tmp_path / "partial.json"
    protocols = ["boltzmann:beta=1", "anneal:kind=fast,time_us=0.001", "survival:state=+-----,gamma=0.2,time=3"]
    result = compare(
        memory,
        ["enum", FailingSampler(), "sa"],
        protocols,
        num_reads={"sa": 2000},
        seed=4,
        progress=False,
        checkpoint=checkpoint,
    )
    rows = {(r.sampler, r.protocol.split(":")[0]): r for r in result.rows}
    expected = {
        (sampler.name, protocol.name)
        for sampler in (get_sampler("enum"), FailingSampler(), get_sampler("sa"))
        for protocol in map(parse_protocol, protocols)
        if sampler.supports(protocol)
    }
    assert set(rows) == expected and ("failing-test", "anneal") in expected
    failed = rows[("failing-test", "boltzmann")]
    assert failed.error == "RuntimeError: device lost" and failed.verdict == "error"
    assert rows[("sa", "boltzmann")].error is None and rows[("sa", "boltzmann")].num_reads == 2000
    assert len(result.runs) == sum(r.error is None for r in result.rows)
    skipped = {(s.sampler, s.protocol.split(":")[0]): s.reason for s in result.skipped}
    assert skipped[("sa", "survival")] == "sa does not support survival:coherent"
    saved = json.loads(checkpoint.read_text())  # the checkpoint holds every finished run
    assert len(saved["rows"]) == len(result.rows) and len(saved["runs"]) == len(result.runs)
    table = result.table()
    assert "error   failing-test" in table and "skipped sa survival" in table
    assert result.plot(tmp_path / "cmp.png").stat().st_size > 10_000


def test_compare_does_not_retry_a_sampler_whose_first_run_hits_a_backend_error():
    result = compare(
        builtin_instance(),
        [UnreachableSampler(), "enum"],
        ["boltzmann:beta=1", "anneal:kind=fast", "anneal:kind=standard"],
        num_reads=500,
        seed=0,
        progress=False,
    )
    assert [(r.sampler, r.error) for r in result.rows] == [("enum", None)]
    reasons = [s.reason for s in result.skipped if s.sampler == "unreachable-test"]
    assert (
        reasons
        == ["unavailable: no API token found"]
        + ["not attempted: unreachable-test is unavailable (its first run failed with BackendError)"] * 2
    )


@pytest.mark.slow
def test_cli_default_protocols_run_the_unconverged_exact_anneal_and_flag_it(tmp_path, capsys):
    out = tmp_path / "attention.json"
    args = ["compare", "--samplers", "exact", "--reads", "1000", "--no-progress"]
    assert main([*args, "--out", str(out), "--plot", str(tmp_path / "a.png")]) == 0
    data = json.loads(out.read_text())
    rows = {r["protocol"]: r for r in data["rows"]}
    assert list(rows) == [
        "boltzmann:beta=2.0,gamma=0.0",
        "anneal:kind=standard,time_us=20.0",
        "anneal:kind=fast,time_us=0.02",
        "ground_state:gamma=0.5",
    ]
    assert all(r["error"] is None for r in data["rows"])
    standard = {f["code"] for f in rows["anneal:kind=standard,time_us=20.0"]["flags"]}
    assert "not_converged" in standard and not rows["anneal:kind=fast,time_us=0.02"]["flags"]
    assert any("did not converge" in w for w in data["warnings"])
    assert "not_converged" in capsys.readouterr().out


def test_experiments_compare_is_the_function_after_its_module_is_imported():
    import qflow_core.experiments
    from qflow_core.experiments.compare import CompareResult

    result = qflow_core.experiments.compare(
        builtin_instance(), ["enum"], ["boltzmann:beta=1"], num_reads=100, seed=0, progress=False
    )
    assert isinstance(result, CompareResult) and [r.sampler for r in result.rows] == ["enum"]


def test_run_seeds_depend_only_on_master_seed_sampler_and_protocol():
    assert run_seed(0, "sa", "boltzmann:beta=2") == run_seed(0, "sa", "boltzmann:beta=2.0")
    assert run_seed(0, "sa", "boltzmann:beta=2") != run_seed(1, "sa", "boltzmann:beta=2")
    assert run_seed(0, "sa", "boltzmann:beta=2") != run_seed(0, "enum", "boltzmann:beta=2")
    one = compare(builtin_instance(), ["sa"], ["anneal:kind=fast"], num_reads=300, seed=3, progress=False)
    two = compare(builtin_instance(), ["enum", "sa"], ["anneal:kind=fast"], num_reads=300, seed=3, progress=False)
    assert one.runs[0].counts.tolist() == two.runs[-1].counts.tolist()


def test_cli_attention_with_npy_instance(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "K.npy", rng.normal(size=(5, 4)))
    np.save(tmp_path / "q.npy", rng.normal(size=4))
    code = main(
        [
            "attention",
            "--sampler",
            exact_backend(),
            "--protocol",
            "boltzmann:beta=1.5",
            "--keys",
            str(tmp_path / "K.npy"),
            "--query",
            str(tmp_path / "q.npy"),
            "--reads",
            "5000",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "r.json"),
            "--plot",
            str(tmp_path / "r.png"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "verdict:" in out and (tmp_path / "r.png").exists()
    assert json.loads((tmp_path / "r.json").read_text())["num_reads"] == 5000


def test_cli_usage_errors_exit_2(tmp_path, capsys):
    np.save(tmp_path / "K.npy", np.eye(3))
    assert main(["attention", "--sampler", "sa", "--keys", str(tmp_path / "K.npy")]) == 2
    assert "both --keys and --query" in capsys.readouterr().err
    assert main(["attention", "--sampler", "enum", "--protocol", "anneal:kind=fast", "--reads", "10"]) == 2
    assert main(["compare", "--protocols", "nonsense:x=1"]) == 2


def test_cli_compare_writes_table_json_and_figure(tmp_path, capsys):
    out, fig = tmp_path / "attention.json", tmp_path / "attention.png"
    code = main(
        [
            "compare",
            "attention",
            "--samplers",
            "sa,enum",
            "--protocols",
            "boltzmann:beta=2,anneal:kind=fast",
            "--reads",
            "2000",
            "--out",
            str(out),
            "--plot",
            str(fig),
            "--no-progress",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "skipped enum anneal" in text and "Vuong z" in text
    data = json.loads(out.read_text())
    assert [r["sampler"] for r in data["rows"]] == ["sa", "sa", "enum"]
    assert fig.read_bytes()[:4] == b"\x89PNG"
