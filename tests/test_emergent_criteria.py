"""The verdict logic on synthetic oracle points (each outcome reachable), and the experiment end to end."""

import json
from dataclasses import dataclass, field

import numpy as np
import pytest

from qflow_core.experiments import emergent
from qflow_core.experiments.emergent import Criterion, EmergentModel, ParticleSettings
from qflow_core.experiments.emergent.criteria import evaluate

SIZES = [2, 4, 6, 8]


@dataclass
class FakePoint:
    mu: float
    tq_ratio: float
    k_x: float
    circulation: np.ndarray
    gamma: float = 0.5
    spectrum: np.ndarray = field(default_factory=lambda: np.array([-0.5 + 0j, -1.0 + 0j]))
    half_sizes: list = field(default_factory=lambda: SIZES)

    @property
    def dynamics(self):
        return {"mu": self.mu, "tq_ratio": self.tq_ratio, "k_x": self.k_x}

    @property
    def quantum(self):
        return self.gamma * self.mu

    @property
    def max_damping_ratio(self):
        return float(np.max(np.abs(self.spectrum.imag) / np.abs(self.spectrum.real)))


def _scans(make):
    return {
        "mu": [make(mu, 2.0, 1.0) for mu in (1.0, 2.0, 3.0)],
        "tq_ratio": [make(2.0, t, 1.0) for t in (1.0, 1.5, 2.0)],
        "k_x": [make(2.0, 2.0, k) for k in (0.1, 1.0)],
    }


SANE = [Criterion("ok", True, 0.0, 1.0)]


def test_a_quantised_topological_vortex_supports_the_claim():
    def make(mu, t, k):
        g = 0.5 * mu * (t != 1.0)
        spectrum = np.array([-0.1 + 0.3j * mu, -0.1 - 0.3j * mu, -1.0 + 0j])
        return FakePoint(mu, t, k, np.array([0.2 * g, 0.9 * g, g, g]), spectrum=spectrum)

    verdict = evaluate(SANE, make(2.0, 2.0, 1.0), _scans(make))
    assert verdict.verdict == "supports", verdict.reasons
    assert all(c.holds for c in verdict.support)


def test_small_loop_dependent_currents_fail_the_claim():
    def make(mu, t, k):
        eps = 0.01 * (t - 1.0) / mu
        return FakePoint(mu, t, k, eps * np.array([0.1, 0.3, 0.6, 1.0]))

    verdict = evaluate(SANE, make(2.0, 2.0, 1.0), _scans(make))
    assert verdict.verdict == "fails", verdict.reasons
    assert not any(c.holds for c in verdict.support)


def test_broken_sanity_or_too_noisy_particles_is_inconclusive():
    def make(mu, t, k):
        return FakePoint(mu, t, k, 0.001 * (t - 1.0) * np.array([0.1, 0.3, 0.6, 1.0]))

    broken = evaluate([Criterion("drift", False, 1.0, 1e-8)], make(2.0, 2.0, 1.0), _scans(make))
    assert (
        broken.verdict == "inconclusive"
        and "sanity check(s) failed" in broken.reasons[0]
        and "--grid" in broken.reasons[0]
    )

    @dataclass
    class Noisy:
        angular_momentum: float = 0.0
        angular_momentum_se: float = 1.0
        settings: dict = field(default_factory=lambda: {"learners": 10, "steps": 10, "dt": 0.1})

    oracle = FakePoint(2.0, 2.0, 1.0, np.zeros(4))
    oracle.angular_momentum = 1e-4
    noisy = evaluate(SANE, make(2.0, 2.0, 1.0), _scans(make), particles=Noisy(), particle_oracle=oracle)
    assert noisy.verdict == "inconclusive" and "particle noise" in noisy.reasons[0]
    assert noisy.noise_budget["resolves_one_quantum"] is False


def test_a_jump_between_scan_values_is_not_continuous():
    def make(mu, t, k):
        return FakePoint(mu, t, k, (0.0 if t < 1.7 else 0.02) * np.array([0.1, 0.3, 0.6, 1.0]) * mu)

    verdict = evaluate(SANE, make(2.0, 2.0, 1.0), _scans(make))
    continuity = next(c for c in verdict.failure if "continuous" in c.name)
    assert continuity.holds  # 0.02 of a quantum is a small step
    big = evaluate(
        SANE, make(2.0, 2.0, 1.0), _scans(lambda mu, t, k: FakePoint(mu, t, k, 60 * make(mu, t, k).circulation))
    )
    assert next(c for c in big.failure if "continuous" in c.name).holds is False
    assert big.verdict == "inconclusive"


def test_experiment_end_to_end_writes_json_and_figure(tmp_path):
    result = emergent(
        EmergentModel.random(3, seed=0),
        grid=25,
        half_width=3.0,
        half_sizes=(2, 4, 6, 8, 10),
        scan_mu=(1.0, 3.0),
        scan_tq=(1.5,),
        scan_kx=(0.3,),
        modes=4,
        sampler="exact",
        particles=ParticleSettings(learners=8, steps=20, burn_in=2),
        seed=0,
    )
    assert result.verdict.verdict == "inconclusive"  # 8 learners cannot decide the particle checks
    assert any("particle" in reason for reason in result.verdict.reasons)
    assert {c.name for c in result.verdict.sanity} >= {"positive control: injected vortex recovered"}
    assert all(c.holds for c in result.verdict.sanity[:4])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["verdict"]["verdict"] == result.verdict.verdict
    assert len(data["scans"]["tq_ratio"]) == 3  # 1.0 and the default 2.0 are added
    assert data["particles"]["learner_steps"] == 8 * 22
    assert result.save(tmp_path / "r.json").stat().st_size > 1000
    assert result.plot(tmp_path / "r.png").stat().st_size > 10000
    assert "verdict:" in result.summary()


@pytest.mark.slow
def test_default_model_fails_the_claim():
    result = emergent(modes=4)
    assert result.verdict.verdict == "fails", result.verdict.reasons
    assert result.hbar_eff is None
    assert max(abs(c) for c in result.default.circulation) / result.default.quantum < 0.1
