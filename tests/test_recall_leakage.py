"""leakage(): measured channel weights vs softmax / Lorentzian (THEORY §2.3, §2.6, §2.8)."""

import json

import numpy as np
import pytest

from qflow_core import IsingMemory
from qflow_core.experiments.leakage import LeakageResult, leakage
from qflow_core.registry import available_samplers


def instance_i2() -> tuple[IsingMemory, np.ndarray]:
    """THEORY §7 I2: gaps (0.6, 1.4, 2.2, 3.0), s = (1,1,1,1) the unique classical ground state."""
    J = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 0.2, (1, 2): -0.15, (2, 3): 0.1, (0, 3): 0.05}.items():
        J[i, j] = J[j, i] = v
    return IsingMemory(J, h=[0.05, 0.65, 1.15, 1.35]), np.ones(4)


def test_instance_i2_gaps():
    memory, s = instance_i2()
    np.testing.assert_allclose(memory.flip_gaps(s), [0.6, 1.4, 2.2, 3.0], atol=1e-12)


def test_sa_dephased_leakage_is_softmax_at_the_bath_beta(tmp_path):
    """One Metropolis sweep at β from the pattern: each channel opens with probability ~ e^{−βΔ_k}."""
    memory, s = instance_i2()
    result = leakage(memory, s, "sa", "survival:gamma=0.1,time=1,regime=dephased,beta=2", num_reads=40000, seed=5)
    assert isinstance(result, LeakageResult) and not result.exact
    assert result.verdict == "softmax"
    beta = result.softmax["beta"]
    assert abs(beta - 2.0) < 4 * result.softmax["se"] + 0.1
    assert result.survival + result.channel_probabilities.sum() + result.multi_flip == pytest.approx(1.0)
    assert "softmax at bath β = 2" in result.predictions
    data = json.loads(result.save(tmp_path / "leak.json").read_text())
    assert data["verdict"] == "softmax" and len(data["gaps"]) == 4
    assert result.plot(tmp_path / "leak.png").stat().st_size > 1000


def test_unstable_pattern_warns():
    memory = IsingMemory(np.zeros((3, 3)), h=[0.5, -0.2, 0.8])
    with pytest.warns(UserWarning, match="not a strict local minimum"):
        leakage(memory, [1, 1, 1], "sa", "survival:gamma=0.1,time=1,regime=dephased,beta=1", num_reads=500, seed=1)


needs_exact = pytest.mark.skipif("exact" not in available_samplers(), reason="sampler 'exact' is not installed")


@needs_exact
def test_exact_dephased_leakage_is_softmax():
    """Davies master equation (THEORY §2.3): once the bath has acted (t ≫ dressing time) the channels are softmax.

    The effective β̂ exceeds the bath β = 2 because of the 1/(Δ(1 − e^{−βΔ})) rate prefactor (THEORY Eq. 11–12:
    fitted slope −2.78 at β = 2); at very short times the dressed-state admixture Γ²/Δ² (a power law) dominates.
    That prefactor makes the channels exponential but not exactly softmax: at 5000 reads the G-test rejects both
    models ("neither") while Vuong's test prefers softmax by far.
    """
    memory, s = instance_i2()
    with pytest.warns(UserWarning, match="dephased_time_short"):  # t = 100 is short of the slowest relaxation
        result = leakage(memory, s, "exact", "survival:gamma=0.05,time=100,regime=dephased,beta=2", num_reads=5000)
    assert result.exact
    assert result.comparison["preferred"] == "softmax" and result.comparison["vuong_z"] > 5, result.comparison
    assert result.verdict == "neither", result.comparison
    assert 2.0 < result.softmax["beta"] < 3.2


@needs_exact
def test_exact_coherent_leakage_is_lorentzian():
    """Time-averaged unitary leakage (THEORY §2.6–2.7): weights ∝ 1/(Δ² + 4Γ²) to ≲ 1e-2 on I2 at Γ = 0.05."""
    memory, s = instance_i2()
    result = leakage(
        memory, s, "exact", "survival:gamma=0.05,time=400,regime=coherent", num_reads=5000, seed=0, average=True
    )
    assert result.exact
    assert result.verdict == "lorentzian", result.comparison
    predicted = result.predictions["Lorentzian γ = 2Γ = 0.1"]
    np.testing.assert_allclose(result.channel_weights, predicted, rtol=0, atol=1e-2)
    assert result.lorentzian["gamma"] < 0.2  # a power law on the scale of the gaps, not an exponential
