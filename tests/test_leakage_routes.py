"""leakage(): the imaginary-time and pure-dephasing routes and the caveat flags (each also a warning)."""

import json

import numpy as np
import pytest

from qflow_core import IsingMemory
from qflow_core.errors import InvalidInputError
from qflow_core.experiments.leakage import leakage
from qflow_core.experiments.leakage_caveats import LeakageCaveatWarning
from qflow_core.registry import available_samplers

pytestmark = pytest.mark.skipif("exact" not in available_samplers(), reason="sampler 'exact' is not installed")


def instance_i2() -> tuple[IsingMemory, np.ndarray]:
    """Gaps (0.6, 1.4, 2.2, 3.0); s = (1, 1, 1, 1) is the unique classical ground state."""
    J = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 0.2, (1, 2): -0.15, (2, 3): 0.1, (0, 3): 0.05}.items():
        J[i, j] = J[j, i] = v
    return IsingMemory(J, h=[0.05, 0.65, 1.15, 1.35]), np.ones(4)


def names(result) -> list[str]:
    return [f["name"] for f in result.flags]


@pytest.mark.parametrize("tau", [1.0, 3.0])
def test_imaginary_time_flux_is_softmax_at_beta_tau_and_populations_are_not(tau, tmp_path):
    memory, s = instance_i2()
    result = leakage(memory, s, "exact", f"gamma=0.02,tau={tau}", route="imaginary_time")
    assert result.route == "imaginary_time" and result.exact and result.flags == []
    assert result.verdict == "softmax"
    assert result.softmax["beta"] == pytest.approx(tau, rel=2e-3)
    populations = result.imaginary_time["population_fit"]
    assert populations["verdict"] == "lorentzian"
    assert abs(populations["softmax"]["beta"] - tau) > 0.25 * tau  # a softmax fit to populations misses β = τ
    it = result.imaginary_time
    np.testing.assert_allclose(it["flux"], it["flux_prediction"], rtol=1e-2)
    assert it["survival_loss"] == pytest.approx(it["survival_loss_prediction"], rel=1e-2)
    assert result.survival + result.channel_probabilities.sum() + result.multi_flip == pytest.approx(1.0)
    data = json.loads(result.save(tmp_path / "it.json").read_text())
    assert data["route"] == "imaginary_time" and len(data["imaginary_time"]["flux"]) == 4
    assert result.plot(tmp_path / "it.png").stat().st_size > 1000


def test_imaginary_time_route_input():
    memory, s = instance_i2()
    same = leakage(memory, s, None, {"gamma": 0.02, "tau": 2.0}, route="imaginary_time")
    assert same.sampler == "exact"
    with pytest.raises(InvalidInputError, match="gamma and tau"):
        leakage(memory, s, None, {"gamma": 0.02}, route="imaginary_time")
    with pytest.raises(InvalidInputError, match="route"):
        leakage(memory, s, "exact", "survival:gamma=0.1,time=1", route="real_time")


def test_pure_dephasing_leakage_is_lorentzian_of_width_two_kappa():
    memory, s = instance_i2()
    result = leakage(memory, s, "exact", "survival:gamma=0.01,time=200,regime=pure_dephasing,kappa=0.25")
    assert result.verdict == "lorentzian" and result.flags == []
    assert result.lorentzian["gamma"] == pytest.approx(0.5, rel=0.03)
    np.testing.assert_allclose(result.channel_weights, result.predictions["Lorentzian γ = 2κ = 0.5"], atol=3e-3)


def test_dephased_short_time_is_flagged_and_long_time_is_not():
    """Davies dynamics on I2 (slowest relaxation ≈ 4.5e3): t = 10 leans Lorentzian but is a mixture that fits neither
    form (the G-tests reject both), after relaxation softmax at β."""
    memory, s = instance_i2()
    with pytest.warns(LeakageCaveatWarning, match="dephased_time_short"):
        early = leakage(memory, s, "exact", "survival:gamma=0.05,time=10,regime=dephased,beta=2", num_reads=5000)
    assert names(early) == ["dephased_time_short"] and early.verdict == "neither"
    assert early.comparison["preferred"] == "lorentzian"  # the likelihood still prefers the Lorentzian
    relaxation = early.sampler_info["backend"]["slowest_relaxation_time"]
    assert 1e3 < relaxation < 1e4
    late = leakage(memory, s, "exact", "survival:gamma=0.05,time=2e4,regime=dephased,beta=2", num_reads=5000)
    assert late.flags == [] and late.verdict == "softmax"
    assert late.softmax["beta"] == pytest.approx(2.0, abs=0.1)


def test_low_start_overlap_is_flagged():
    memory, s = instance_i2()
    with pytest.warns(LeakageCaveatWarning, match="low_start_overlap"):
        result = leakage(memory, s, "exact", "survival:gamma=0.6,time=2e4,regime=dephased,beta=2", num_reads=5000)
    assert "low_start_overlap" in names(result)
    assert result.sampler_info["backend"]["start_overlap"] < 0.6


def test_coherent_runs_are_time_averaged_by_default_and_single_time_is_flagged():
    memory, s = instance_i2()
    protocol = "survival:gamma=0.05,time=100,regime=coherent"
    averaged = leakage(memory, s, "exact", protocol, num_reads=5000)
    assert averaged.sampler_info["backend"]["averaged"] is True
    assert averaged.flags == [] and averaged.verdict == "lorentzian"
    with pytest.warns(LeakageCaveatWarning, match="single_time_coherent"):
        snapshot = leakage(memory, s, "exact", protocol, num_reads=5000, average=False)
    assert names(snapshot) == ["single_time_coherent"]
    assert snapshot.verdict == "neither"  # a single-time snapshot is neither form: the flag says why
    data = snapshot.to_dict()
    assert data["flags"][0]["name"] == "single_time_coherent" and "average=True" in data["flags"][0]["detail"]


def test_average_outside_the_coherent_regime_is_refused():
    memory, s = instance_i2()
    with pytest.raises(InvalidInputError, match="not coherent"):
        leakage(memory, s, "sa", "survival:gamma=0.1,time=1,regime=dephased,beta=1", num_reads=100, average=True)


def test_pure_dephasing_transient_is_flagged():
    memory, s = instance_i2()
    with pytest.warns(LeakageCaveatWarning, match="coherences_not_settled"):
        result = leakage(memory, s, "exact", "survival:gamma=0.01,time=5,regime=pure_dephasing,kappa=0.5")
    assert names(result) == ["coherences_not_settled"]


def test_a_sampler_without_time_averaging_reads_the_single_time():
    """No ``average`` run option (e.g. a Trotterised circuit): the default is the single time, and asking for
    averaging is refused with the reason."""
    from qflow_core.experiments.leakage import _averaging

    class NoAveraging:
        name, run_parameters = "no-averaging", ()

    coherent = {"regime": "coherent", "gamma": 0.1, "time": 5.0}
    assert _averaging(NoAveraging(), coherent, None) is None
    with pytest.raises(InvalidInputError, match="no time-averaging option"):
        _averaging(NoAveraging(), coherent, True)
    exact_like = type("ExactLike", (), {"run_parameters": (type("P", (), {"name": "average"})(),)})()
    assert _averaging(exact_like, coherent, None) is True and _averaging(exact_like, coherent, False) is False
