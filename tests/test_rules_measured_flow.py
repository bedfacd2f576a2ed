"""MeasuredFlowHebbian: the estimator against an exact star-model sampler, multi-flip accounting, and training
through the same call on every installed backend that supports a Survival protocol."""

import dimod
import numpy as np
import pytest

from qflow_core import IsingMemory, Survival
from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules import (
    Hebbian,
    MeasuredFlowHebbian,
    SoftmaxHebbian,
    classify_reads,
    measure_channels,
    parse_rule,
    rule_from_description,
)
from qflow_core.learning.training import train
from qflow_core.registry import available_samplers, get_sampler
from qflow_core.sampler import Sampler, spin_sampleset


class StarModel(Sampler):
    """Exact dephased star model (THEORY Eq. 16): P(s) ∝ 1, P(s^(k)) ∝ e^{−βΔ_k}, optional double-flip mass."""

    name = "star-model-test"
    capabilities = {"survival:dephased": "exact"}

    def __init__(self, double_flip_mass: float = 0.0):
        self.double_flip_mass = double_flip_mass

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        s = np.array(protocol.state)
        n = s.size
        flips = np.tile(s, (n, 1)) * np.where(np.eye(n, dtype=bool), -1, 1)
        states = [s[None, :], flips]
        gaps = bqm.energies((flips, list(bqm.variables))) - bqm.energy((s, list(bqm.variables)))
        weights = np.concatenate([[1.0], np.exp(-protocol.beta * gaps)])
        p = weights / weights.sum() * (1 - self.double_flip_mass)
        if self.double_flip_mass:
            double = s.copy()
            double[:2] *= -1
            states.append(double[None, :])
            p = np.append(p, self.double_flip_mass)
        samples = np.vstack(states)
        counts = np.random.default_rng(seed).multinomial(num_reads, p)
        return spin_sampleset(bqm, samples, probability=p, num_occurrences=counts)


def random_memory(rng, n, scale=0.6):
    J = np.triu(rng.normal(0, scale, (n, n)), 1)
    return IsingMemory(J + J.T, h=rng.normal(0, 0.3, n))


PROTOCOL = "survival:gamma=0.1,time=1,regime=dephased,beta=1.5"


def test_star_model_measurement_equals_softmax_survival_rule():
    """With exact star-model probabilities, the measured update is Eq. 15–16 exactly: SoftmaxHebbian(β, survival)."""
    rng = np.random.default_rng(3)
    memory = random_memory(rng, 6)
    patterns = rng.choice([-1, 1], size=(4, 6))
    rule = MeasuredFlowHebbian(PROTOCOL, num_reads=100)
    update = rule.update(memory, patterns, sampler=StarModel(), rng=np.random.default_rng(0))
    closed = SoftmaxHebbian(beta=1.5, survival=True)
    reference = closed.update(memory, patterns)
    np.testing.assert_allclose(update.dJ, reference.dJ, rtol=0, atol=1e-12)
    np.testing.assert_allclose(update.dh, reference.dh, rtol=0, atol=1e-12)
    assert update.loss == pytest.approx(closed.loss(memory, patterns), abs=1e-12)
    assert update.info["exact"] is True
    np.testing.assert_array_equal(update.info["multi_flip"], np.zeros(4))


def test_measured_update_is_minus_gradient_of_measured_loss():
    rng = np.random.default_rng(4)
    memory = random_memory(rng, 5)
    patterns = rng.choice([-1, 1], size=(2, 5))
    rule = MeasuredFlowHebbian(PROTOCOL)
    star = StarModel()
    update = rule.update(memory, patterns, sampler=star)
    eps = 1e-5
    for i, j in [(0, 1), (1, 3), (2, 4)]:
        E = np.zeros((5, 5))
        E[i, j] = E[j, i] = eps
        plus = rule.loss(IsingMemory(memory.J + E, memory.h), patterns, sampler=star)
        minus = rule.loss(IsingMemory(memory.J - E, memory.h), patterns, sampler=star)
        assert update.dJ[i, j] == pytest.approx(-(plus - minus) / (2 * eps), abs=1e-7)


def test_multi_flip_escapes_are_counted_and_reported():
    rng = np.random.default_rng(5)
    memory = random_memory(rng, 5)
    pattern = rng.choice([-1, 1], size=5)
    measured = measure_channels(memory, pattern, StarModel(double_flip_mass=0.2), PROTOCOL, num_reads=50, seed=1)
    assert measured.multi_flip == pytest.approx(0.2, abs=1e-12)
    assert measured.survival + measured.channels.sum() + measured.multi_flip == pytest.approx(1.0, abs=1e-12)
    assert measured.counts["multi_flip"] == pytest.approx(10.0)
    # the channel weights are normalised over single flips only, so they match the star model without the mass
    clean = measure_channels(memory, pattern, StarModel(), PROTOCOL, num_reads=50, seed=1)
    np.testing.assert_allclose(measured.channel_weights, clean.channel_weights, rtol=0, atol=1e-12)
    update = MeasuredFlowHebbian(PROTOCOL).update(memory, pattern, sampler=StarModel(double_flip_mass=0.2))
    assert update.info["multi_flip"].tolist() == pytest.approx([0.2])
    assert update.info["summary"]["multi_flip_mean"] == pytest.approx(0.2)


def test_counts_path_matches_a_hand_count():
    """Without a probability field the rule counts num_occurrences (here a hand-made SampleSet)."""
    pattern = np.array([1, 1, 1])
    samples = np.array([[1, 1, 1], [-1, 1, 1], [1, 1, -1], [-1, -1, 1]])
    counts = np.array([6, 2, 1, 1])
    ss = dimod.SampleSet.from_samples((samples, [0, 1, 2]), "SPIN", energy=np.zeros(4), num_occurrences=counts)
    m = classify_reads(ss, pattern, [0, 1, 2], 10)
    assert (m.survival, m.multi_flip, m.exact) == (0.6, 0.1, False)
    np.testing.assert_allclose(m.channels, [0.2, 0.0, 0.1])
    np.testing.assert_allclose(m.channel_weights, [2 / 3, 0.0, 1 / 3])
    assert m.survival_loss() == pytest.approx(-np.log(0.6))


def test_protocol_forms_and_errors():
    a = MeasuredFlowHebbian(PROTOCOL)
    b = MeasuredFlowHebbian({"gamma": 0.1, "time": 1, "regime": "dephased", "beta": 1.5})
    c = MeasuredFlowHebbian(Survival((1, -1), gamma=0.1, time=1, regime="dephased", beta=1.5))
    assert a.describe() == b.describe() == c.describe()
    assert a.beta == 1.5 and MeasuredFlowHebbian("survival:gamma=0.2,time=3").beta == 1.0
    assert rule_from_description(a.describe()).describe() == a.describe()
    assert parse_rule("measured-flow", protocol=PROTOCOL, num_reads=7).num_reads == 7
    with pytest.raises(InvalidInputError, match="Survival"):
        MeasuredFlowHebbian("boltzmann:beta=1")
    with pytest.raises(InvalidInputError, match="sampler"):
        MeasuredFlowHebbian(PROTOCOL).update(Hebbian.store([[1, -1, 1]]), [[1, -1, 1]])
    with pytest.raises(InvalidInputError, match="measures on a sampler"):
        train(Hebbian.store([[1, -1, 1]]), [[1, -1, 1]], a, epochs=1, lr=0.1)


def training_setup():
    rng = np.random.default_rng(1)
    n = 6
    patterns = rng.choice([-1, 1], size=(2, n))
    J = np.triu(rng.normal(0, 0.3, (n, n)), 1)
    memory = IsingMemory(Hebbian.store(patterns).J + J + J.T)
    return memory, patterns


BACKENDS = [
    # (sampler, Survival protocol): every run starts in the pattern and opens the leakage channels
    ("sa", "survival:gamma=0.1,time=1,regime=dephased,beta=2"),
    ("exact", "survival:gamma=0.3,time=5,regime=dephased,beta=2"),
    ("exact", "survival:gamma=0.3,time=3,regime=coherent"),
    ("dwave-mock", "survival:gamma=0.3,time=1,regime=dephased,beta=2"),
    ("qaoa", "survival:gamma=0.3,time=3,regime=coherent"),
]


@pytest.mark.parametrize(
    ("backend", "protocol"), BACKENDS, ids=[f"{b}-{p.split('regime=')[1][:8]}" for b, p in BACKENDS]
)
def test_measured_flow_training_lowers_survival_loss(backend, protocol):
    """The same train(...) call on every backend lowers the measured survival loss and stabilises the patterns."""
    if backend not in available_samplers():
        pytest.skip(f"sampler {backend!r} is not installed in this environment")
    memory, patterns = training_setup()
    rule = MeasuredFlowHebbian(protocol, num_reads=2000)
    history = train(memory, patterns, rule, epochs=8, lr=0.2, sampler=get_sampler(backend), norm=None, seed=3)
    assert history.loss[-1] < history.loss[0] - 0.5, history.loss
    assert history.stable_fraction[-1] == 1.0
    assert all("multi_flip_mean" in info for info in history.rule_info)


@pytest.mark.skipif(not {"exact", "qaoa"} <= set(available_samplers()), reason="needs the exact and qaoa samplers")
def test_coherent_measurements_agree_between_exact_and_qaoa():
    memory, patterns = training_setup()
    protocol = "survival:gamma=0.3,time=3,regime=coherent"
    exact = measure_channels(memory, patterns[0], get_sampler("exact"), protocol, num_reads=1000, seed=0)
    qaoa = measure_channels(memory, patterns[0], get_sampler("qaoa"), protocol, num_reads=1000, seed=0)
    assert exact.exact
    assert qaoa.survival == pytest.approx(exact.survival, abs=0.05)
    np.testing.assert_allclose(qaoa.channel_weights, exact.channel_weights, atol=0.05)
