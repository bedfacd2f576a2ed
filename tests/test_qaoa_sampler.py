"""qaoa sampler: conformance kit, seeds, options, errors, registration."""

import importlib
import json
import subprocess
import sys

import dimod
import numpy as np
import pytest
from qflow_qaoa import QAOASampler

from qflow_core import (
    Anneal,
    Boltzmann,
    GroundState,
    InvalidInputError,
    MissingExtraError,
    ProblemTooLargeError,
    Survival,
    UnsupportedProtocolError,
    get_sampler,
    list_plugins,
)
from qflow_core.registry import check_support
from qflow_core.testing import check_sampler, small_test_bqm

pytestmark = pytest.mark.filterwarnings("error")


def test_conformance_exact_statevector():
    report = check_sampler(QAOASampler(), run_options={"reps": 1, "maxiter": 30})
    assert sorted(report) == ["anneal", "ground_state", "survival:coherent"]


@pytest.mark.parametrize("primitive", ["statevector", "aer"])
def test_conformance_shot_based(primitive):
    options = {"primitive": primitive, "reps": 1, "maxiter": 8, "max_layers": 20}
    check_sampler(QAOASampler(), num_reads=64, run_options=options)


def test_registered_and_listed():
    assert isinstance(get_sampler("qaoa"), QAOASampler)
    plugin = next(p for p in list_plugins() if p.name == "qaoa")
    assert plugin.error is None
    assert plugin.samplers[0].capabilities == {
        "anneal": "approximate",
        "survival:coherent": "approximate",
        "ground_state": "approximate",
    }


def test_ground_state_with_field_is_refused_clearly():
    sampler = QAOASampler()
    assert sampler.supports(GroundState(0.5)) is None
    assert sampler.supports(GroundState(0.0)) == "approximate"
    with pytest.raises(UnsupportedProtocolError, match=r"GroundState\(gamma=0\) only.*qflow plugins"):
        sampler.run(small_test_bqm(), GroundState(0.5), num_reads=10, seed=0)
    with pytest.raises(UnsupportedProtocolError, match=r"GroundState\(gamma=0\) only.*support it: .*exact"):
        check_support(sampler, GroundState(0.5))


@pytest.mark.parametrize(
    "protocol",
    [Boltzmann(beta=1.0), Survival((1, -1, 1, -1), gamma=0.5, time=2.0, regime="dephased", beta=1.0)],
    ids=str,
)
def test_unsupported_protocols_name_the_samplers_that_support_them(protocol):
    with pytest.raises(UnsupportedProtocolError, match="sa"):
        QAOASampler().run(small_test_bqm(), protocol, num_reads=10, seed=0)


@pytest.mark.parametrize(
    "protocol", [GroundState(), Anneal("fast"), Survival((1, 1, -1, -1), gamma=0.3, time=1.0)], ids=str
)
@pytest.mark.parametrize("primitive", ["exact", "aer"])
def test_same_seed_same_samples_other_seed_other_reads(protocol, primitive):
    bqm = small_test_bqm(4, seed=9)
    sampler = QAOASampler(primitive=primitive, reps=1, maxiter=20, max_layers=50)
    first = sampler.run(bqm, protocol, num_reads=300, seed=7)
    again = sampler.run(bqm, protocol, num_reads=300, seed=7)
    other = sampler.run(bqm, protocol, num_reads=300, seed=8)
    assert np.array_equal(first.record.sample, again.record.sample)
    assert np.array_equal(first.record.num_occurrences, again.record.num_occurrences)
    assert first.info["qflow"]["backend"] == again.info["qflow"]["backend"]
    same_rows = len(first) == len(other) and np.array_equal(first.record.sample, other.record.sample)
    assert not (same_rows and np.array_equal(first.record.num_occurrences, other.record.num_occurrences))
    json.dumps(first.info["qflow"])  # JSON-ready details


def test_exact_results_hold_the_whole_distribution():
    bqm = small_test_bqm(5, seed=1)
    ss = QAOASampler().run(bqm, Anneal("fast", time_us=0.002), num_reads=1000, seed=3)
    assert len(ss) == 2**5
    assert ss.record.probability.sum() == pytest.approx(1.0, abs=1e-12)
    assert int(ss.record.num_occurrences.sum()) == 1000
    # the multinomial reads follow the probabilities (a loose 5σ-style bound per state)
    p, c = ss.record.probability, ss.record.num_occurrences / 1000
    assert np.all(np.abs(p - c) <= 5 * np.sqrt(p * (1 - p) / 1000) + 1e-3)


def test_dimod_sample_runs_the_default_ground_state():
    ss = QAOASampler(reps=1).sample(small_test_bqm(3), num_reads=20, seed=0)
    assert ss.info["qflow"]["protocol"] == {"protocol": "ground_state", "gamma": 0.0}


def test_constructor_defaults_and_run_overrides():
    sampler = get_sampler("qaoa", reps=1, max_layers=10)
    bqm = small_test_bqm(3)
    assert sampler.run(bqm, GroundState(), num_reads=5, seed=0).info["qflow"]["backend"]["reps"] == 1
    assert sampler.run(bqm, GroundState(), num_reads=5, seed=0, reps=3).info["qflow"]["backend"]["reps"] == 3
    assert sampler.run(bqm, Anneal(), num_reads=5, seed=0).info["qflow"]["backend"]["layers"] == 10


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shots": 10}, "does not understand option"),
        ({"reps": 0}, "reps must be an integer ≥ 1, got 0"),
        ({"reps": 3, "maxiter": 5}, "maxiter ≥ 8"),
        ({"layers": 2.5}, "layers must be an integer ≥ 1, got 2.5"),
        ({"trotter_order": 3}, "trotter_order must be one of 1, 2"),
        ({"max_step_angle": 0.0}, r"max_step_angle must be a number in \(0, 3.14159\]"),
        ({"primitive": "gpu"}, "unknown primitive"),
        ({"primitive": object()}, "SamplerV2"),
        ({"initial_point": [0.1, 0.2, 0.3]}, "2·reps = 4"),
        ({"warm_start": [1, -1]}, "warm_start must give 4 values"),
        ({"warm_start": {0: 1, 1: 1}}, "warm_start lacks"),
        ({"warm_start": [2, 0, 0, 0]}, r"\[-1, 1\]"),
        ({"warm_start": [1, 1, 1, 1], "warm_start_epsilon": 0.0}, "warm_start_epsilon"),
    ],
)
def test_bad_options_raise_invalid_input(options, message):
    with pytest.raises(InvalidInputError, match=message):
        QAOASampler().run(small_test_bqm(4), GroundState(), num_reads=5, seed=0, **options)


def test_bad_constructor_option_raises_invalid_input():
    with pytest.raises(InvalidInputError, match="does not understand"):
        QAOASampler(num_sweeps=3)


def test_exact_path_refuses_large_problems_with_advice():
    bqm = dimod.BQM({i: 0.1 for i in range(21)}, {}, 0.0, dimod.SPIN)
    with pytest.raises(ProblemTooLargeError, match="primitive='aer'"):
        QAOASampler().run(bqm, GroundState(), num_reads=5, seed=0)


def test_missing_aer_extra_names_the_pip_line(monkeypatch):
    real_import = importlib.import_module

    def no_aer(name, *args):
        if name.startswith("qiskit_aer"):
            raise ImportError("No module named 'qiskit_aer'")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_aer)
    with pytest.raises(MissingExtraError, match=r'pip install "qflow\[aer\]"'):
        QAOASampler(primitive="aer").run(small_test_bqm(3), Anneal("fast"), num_reads=5, seed=0, max_layers=5)


def test_plugin_loads_without_qiskit_and_runs_raise_missing_extra():
    script = """
import sys
for name in ("qiskit", "qiskit_optimization", "qiskit_aer"):
    sys.modules[name] = None  # makes every import of them fail
from qflow_core import GroundState, MissingExtraError
from qflow_core.registry import Registry
from qflow_core.testing import small_test_bqm
registry = Registry()
info = next(p for p in registry.plugins() if p.name == "qaoa")
assert info.error is None, info.error
try:
    registry.get("qaoa").run(small_test_bqm(3), GroundState(), num_reads=5, seed=0)
except MissingExtraError as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert 'pip install "qflow[qaoa]"' in out.stdout
