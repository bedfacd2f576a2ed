"""qflow compare: physics flags, same-physics rows, replicates, physics classes, interpretation, safe defaults,
interruption, the summary figure, and the effective β (checked against dwave-system's estimator)."""

from __future__ import annotations

import json
import math
import statistics
from typing import ClassVar

import dimod
import numpy as np
import pytest

from qflow_core.cli import main
from qflow_core.cli.compare import default_samplers
from qflow_core.cli.paid import estimated_qpu_access_s
from qflow_core.experiments.attention import attention_map
from qflow_core.experiments.compare import builtin_instance, compare, run_seed
from qflow_core.experiments.compare_report import CompareRow, interpretation
from qflow_core.models.attention import OneHotAttention
from qflow_core.protocols import Anneal
from qflow_core.sampler import Sampler, spin_sampleset
from qflow_core.seeding import child_seed
from qflow_core.temperature import pseudolikelihood_beta

I3 = np.array([1.0, 0.5, 0.0, -0.5, -1.0, 0.25])


class InterruptedSampler(Sampler):
    """Boltzmann by enumeration; its anneal raises KeyboardInterrupt (a user pressing Ctrl-C mid-run)."""

    name: ClassVar[str] = "interrupted-test"
    capabilities: ClassVar[dict[str, str]] = {"boltzmann": "exact", "anneal": "approximate"}

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        if isinstance(protocol, Anneal):
            raise KeyboardInterrupt
        states = dimod.ExactSolver().sample(bqm)
        p = np.exp(-protocol.beta * (states.record.energy - states.record.energy.min()))
        rows = np.random.default_rng(seed).choice(len(p), size=num_reads, p=p / p.sum())
        return spin_sampleset(bqm, states.record.sample[rows])


def test_qaoa_standard_and_fast_are_one_flagged_row_with_both_names():
    result = compare(
        builtin_instance(), ["qaoa"], ["anneal:kind=standard", "anneal:kind=fast"], num_reads=300, progress=False
    )
    (row,) = result.rows
    assert row.protocols == ["anneal:kind=standard,time_us=20.0", "anneal:kind=fast,time_us=0.02"]
    assert {"compressed_anneal", "same_physics"} <= {f["code"] for f in row.flags}
    assert row.physics_class == "coherent unitary"
    assert any("differs from the requested 20 µs" in w for w in result.warnings)
    assert " = " in result.table() and "compressed_anneal" in result.table()


def test_mock_flags_the_unreachable_beta_and_the_invalid_fraction():
    result = compare(builtin_instance(), ["dwave-mock"], ["boltzmann:beta=2"], num_reads=500, progress=False)
    (row,) = result.rows
    codes = {f["code"] for f in row.flags}
    assert {"beta_unreachable", "invalid_reads", "warning"} <= codes
    invalid = next(f["message"] for f in row.flags if f["code"] == "invalid_reads")
    assert f"{row.invalid_fraction:.1%}" in invalid and row.invalid_fraction > 0.25
    assert result.warnings and row.physics_class == "thermal by construction"
    data = result.to_dict()
    assert data["warnings"] == result.warnings and data["rows"][0]["flags"] == row.flags


def test_replicates_use_child_seeds_and_report_counts_and_spread():
    memory = OneHotAttention.from_scores(I3, penalty=2.0)
    result = compare(memory, ["enum"], ["boltzmann:beta=1"], num_reads=3000, seed=5, replicates=3, progress=False)
    (row,) = result.rows
    first = run_seed(5, "enum", "boltzmann:beta=1")
    seeds = [first, child_seed(first, 1), child_seed(first, 2)]
    runs = [attention_map(memory, "enum", "boltzmann:beta=1", num_reads=3000, seed=s) for s in seeds]
    betas = [r.comparison.softmax.beta for r in runs]
    assert row.replicates == 3 and sum(row.verdicts.values()) == 3
    assert row.beta == pytest.approx(statistics.fmean(betas), rel=1e-12)
    assert row.beta_sd == pytest.approx(statistics.stdev(betas), rel=1e-12)
    assert row.p_softmax == pytest.approx(statistics.median(r.comparison.softmax_fit.pvalue for r in runs))
    assert row.verdict_text.endswith("/3") and "3 replicates per row" in result.table()
    single = compare(memory, ["enum"], ["boltzmann:beta=1"], num_reads=3000, seed=5, progress=False)
    assert single.rows[0].beta == pytest.approx(betas[0]) and "1 replicate per row" in single.table()


def test_interpretation_is_generated_from_the_rows():
    control = CompareRow("sa", "anneal:kind=standard", "native", 1, 0, physics_class="thermal by construction")
    control.verdicts, control.replicates = {"softmax": 2}, 2
    coherent = CompareRow("exact", "anneal:kind=fast", "exact", 1, 0, physics_class="coherent unitary")
    coherent.verdicts, coherent.replicates = {"lorentzian": 2}, 2
    good = " ".join(interpretation([control, coherent], 2).split())
    assert "Every control came out softmax in every replicate" in good
    assert "The evidence agrees with the claim" in good and "No row ran on hardware" in good
    coherent.verdicts = {"neither": 2}
    bad = " ".join(interpretation([control, coherent], 2).split())
    assert "does not uniformly agree" in bad and "1 rows fit neither" in bad
    assert "indistinguishable from Boltzmann" not in good
    control.tv_boltzmann, control.tv_floor, control.effective_beta = 0.021, 0.02, 1.97
    assert "indistinguishable from Boltzmann at their own effective beta" in " ".join(
        interpretation([control], 2).split()
    )
    control.tv_boltzmann = 0.2  # ten times what a thermal sampler shows
    assert "indistinguishable from Boltzmann" not in interpretation([control], 2)
    control.verdicts = {"softmax": 1, "undecided": 1}
    assert "1 of 1 controls did not come out softmax" in " ".join(interpretation([control, coherent], 2).split())


def test_default_set_is_offline_free_and_first_party():
    names = default_samplers()
    assert {"exact", "sa", "dwave-mock", "qaoa", "sqa"} <= set(names)
    assert "dwave" not in names and "enum" not in names  # paid hardware; a third-party plugin
    everything = default_samplers(all_installed=True)
    assert "enum" in everything and "dwave" not in everything


def test_a_paid_sampler_needs_confirmation_and_is_not_contacted(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["compare", "--samplers", "dwave", "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert "estimated QPU access time" in captured.out and "pass --yes" in captured.err
    protocols = [Anneal("standard"), Anneal("fast")]
    assert estimated_qpu_access_s(protocols, 1000, 1) == pytest.approx((2 * 4 * 15000 + 1000 * (140 + 120.02)) / 1e6)


def test_ctrl_c_keeps_the_finished_rows_in_json_and_figure(tmp_path):
    result = compare(
        builtin_instance(), [InterruptedSampler()], ["boltzmann:beta=1", "anneal:kind=fast"], num_reads=400,
        progress=False, checkpoint=tmp_path / "c.json",
    )  # fmt: skip
    assert result.interrupted and [r.protocol.split(":")[0] for r in result.rows] == ["boltzmann"]
    assert json.loads((tmp_path / "c.json").read_text())["rows"][0]["sampler"] == "interrupted-test"
    png = result.plot(tmp_path / "s.png")
    assert png.stat().st_size > 5000 and "interrupted" in result.table()


def test_summary_figure_is_png_and_svg_with_flagged_panels_marked(tmp_path):
    result = compare(builtin_instance(), ["dwave-mock"], ["boltzmann:beta=2"], num_reads=300, progress=False)
    png = result.plot(tmp_path / "grid.png")
    svg = png.with_suffix(".svg").read_text()
    assert png.stat().st_size > 5000 and "FLAGGED" in svg and "#cb181d" in svg


def test_effective_beta_matches_dwave_system_and_catches_a_cold_sampler():
    temperatures = pytest.importorskip("dwave.system.temperatures")
    bqm = dimod.generators.gnp_random_bqm(6, 0.7, "SPIN", random_state=2)
    states = dimod.ExactSolver().sample(bqm)
    p = np.exp(-0.8 * (states.record.energy - states.record.energy.min()))
    rows = np.random.default_rng(3).choice(len(p), size=3000, p=p / p.sum())
    sampleset = dimod.SampleSet.from_samples_bqm((states.record.sample[rows], states.variables), bqm)
    reference, _ = temperatures.maximum_pseudolikelihood_temperature(bqm=bqm, sampleset=sampleset)
    estimate = pseudolikelihood_beta(bqm, sampleset.aggregate(), seed=0)
    assert estimate.beta == pytest.approx(1 / reference, rel=1e-8)
    assert estimate.interval[0] < 0.8 < estimate.interval[1] and estimate.tv < 2 * estimate.tv_floor
    ground = dimod.SampleSet.from_samples_bqm(states.first.sample, bqm)  # every read a minimum
    assert math.isinf(pseudolikelihood_beta(bqm, ground, resamples=5).beta)


def test_rows_in_threads_equal_the_serial_rows_and_keep_their_own_warnings():
    args = (builtin_instance(), ["dwave-mock", "sa"], ["boltzmann:beta=2", "anneal:kind=fast"])
    serial = compare(*args, num_reads=300, seed=2, progress=False)
    threaded = compare(*args, num_reads=300, seed=2, progress=False, jobs=2)
    assert [(r.sampler, r.protocol, r.beta, r.p_softmax) for r in threaded.rows] == [
        (r.sampler, r.protocol, r.beta, r.p_softmax) for r in serial.rows
    ]
    assert threaded.warnings == serial.warnings
    warned = {r.sampler for r in threaded.rows if any(f["code"] == "warning" for f in r.flags)}
    assert warned == {"dwave-mock"}  # the mock's "colder than the solver reaches" stays on the mock's row


def test_single_time_coherent_leakage_is_flagged_unless_time_averaged():
    protocol = ["survival:state=+-------,gamma=0.2,time=3,regime=coherent"]
    once = compare(builtin_instance(), ["exact"], protocol, num_reads=500, progress=False)
    averaged = compare(
        builtin_instance(),
        ["exact"],
        protocol,
        num_reads=500,
        progress=False,
        backend_options={"exact": {"average": True}},
    )
    assert "single_time_coherent" in {f["code"] for f in once.rows[0].flags}
    assert "single_time_coherent" not in {f["code"] for f in averaged.rows[0].flags}
    assert once.rows[0].physics_class == averaged.rows[0].physics_class == "coherent unitary"


def test_detail_writes_one_figure_per_row(tmp_path):
    args = ["compare", "--samplers", "enum", "--protocols", "boltzmann:beta=1,boltzmann:beta=2", "--reads", "300"]
    paths = ["--out", str(tmp_path / "a.json"), "--plot", str(tmp_path / "a.png"), "--no-progress", "--detail"]
    assert main([*args, *paths]) == 0
    assert (tmp_path / "a.svg").exists() and sorted(p.name for p in tmp_path.glob("a-*.png")) == [
        "a-01-enum-boltzmann.png",
        "a-02-enum-boltzmann.png",
    ]


def test_calibrate_cli_recovers_the_beta_of_an_exact_boltzmann_sampler(tmp_path, capsys):
    out = tmp_path / "beta.json"
    args = ["calibrate", "--sampler", "enum", "--protocol", "boltzmann:beta=1.5", "--reads", "4000", "--seed", "3"]
    assert main([*args, "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    low, high = data["interval"]
    assert data["sampler"] == "enum" and low < 1.5 < high and high - low < 0.3
    assert data["tv"] < 2 * data["tv_floor"] and "effective beta" in capsys.readouterr().out


def test_cli_ctrl_c_mid_job_writes_json_and_figure_of_the_finished_rows(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("qflow_core.cli.compare.check_sampler_names", lambda names: [InterruptedSampler()])
    out = tmp_path / "a.json"
    argv = ["compare", "--samplers", "sa", "--protocols", "boltzmann:beta=1,anneal:kind=fast", "--reads", "300"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 130
    assert "kept the finished runs" in capsys.readouterr().err
    assert [r["sampler"] for r in json.loads(out.read_text())["rows"]] == ["interrupted-test"]
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG" and out.with_suffix(".svg").exists()


def test_a_missing_extra_is_said_once_per_sampler(monkeypatch):
    """A sampler whose runs need an optional dependency that is not installed: one skipped line, not one per row."""
    from qflow_core.errors import MissingExtraError
    from qflow_core.experiments import compare
    from qflow_core.experiments.compare import builtin_instance
    from qflow_core.registry import get_sampler

    sampler = get_sampler("sa")

    def run(*args, **kwargs):
        raise MissingExtraError("qiskit", extra="qaoa", feature="this test sampler")

    monkeypatch.setattr(sampler, "run", run)
    result = compare(builtin_instance(), [sampler], ["boltzmann:beta=2", "anneal:kind=fast"], num_reads=50, seed=0)
    lines = [line for line in result.table().splitlines() if "qflow[qaoa]" in line]
    assert len(lines) == 1 and lines[0].startswith("skipped sa boltzmann") and "anneal" in lines[0]
    assert not result.rows


def test_boltzmann_rows_are_not_counted_for_or_against_the_claim():
    """The claim speaks of anneals, ground states and coherent runs: an exact Boltzmann row of a plugin that
    declares no physics class is evidence of nothing about it."""
    from qflow_core.experiments import compare
    from qflow_core.experiments.compare import builtin_instance
    from qflow_core.registry import get_sampler

    sampler = get_sampler("enum")
    sampler.physics_class = lambda protocol: "unspecified"  # a plugin that does not say: its rows are evidence
    result = compare(builtin_instance(), [sampler], ["boltzmann:beta=2"], num_reads=200, seed=0)
    assert "the claim is not tested" in result.interpretation
    assert "claim: Lorentzian" not in result.interpretation


def test_replicates_on_a_dask_cluster_equal_the_replicates_in_process():
    """The same seeds on a real LocalCluster (threads, for speed) give the same rows as in this process."""
    from distributed import Client, LocalCluster

    from qflow_core.experiments import compare
    from qflow_core.experiments.compare import builtin_instance

    args = (builtin_instance(), ["sa", "enum"], ["boltzmann:beta=2"])
    local = compare(*args, num_reads=200, seed=3, replicates=3, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            remote = compare(*args, num_reads=200, seed=3, replicates=3, progress=False, client=client)
    assert not [r.error for r in remote.rows if r.error], [r.error for r in remote.rows]
    keys = ("sampler", "verdicts", "beta", "beta_sd", "p_softmax", "p_lorentzian", "invalid_fraction")
    assert [[getattr(r, k) for k in keys] for r in remote.rows] == [[getattr(r, k) for k in keys] for r in local.rows]
    assert [run.counts.tolist() for run in remote.runs] == [run.counts.tolist() for run in local.runs]
