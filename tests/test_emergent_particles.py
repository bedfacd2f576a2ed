"""Particle learners on library samplers: the BQMs they build, their hidden averages, seeds, and vs the oracle."""

from typing import ClassVar

import dimod
import numpy as np
import pytest

from qflow_core.errors import InvalidInputError, UnsupportedProtocolError
from qflow_core.experiments.emergent import (
    EmergentModel,
    Grid,
    LearnerDynamics,
    ParticleSettings,
    run_particles,
    solve_oracle,
)
from qflow_core.experiments.emergent.particles import _HiddenSampler, initial_states
from qflow_core.experiments.emergent.sanity import particle_checks
from qflow_core.registry import get_sampler
from qflow_core.sampler import Sampler, spin_sampleset


class EnumeratingPlugin(Sampler):
    """A third-party-style Boltzmann sampler (exact enumeration through dimod), not a built-in."""

    name = "enumerating-test"
    capabilities: ClassVar[dict[str, str]] = {"boltzmann": "native"}

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        states = dimod.ExactSolver().sample(bqm)
        energies = states.record.energy
        p = np.exp(-protocol.beta * (energies - energies.min()))
        rows = np.random.default_rng(seed).choice(len(p), size=num_reads, p=p / p.sum())
        return spin_sampleset(bqm, states.record.sample[rows][:, [states.variables.index(v) for v in bqm.variables]])


class GroundOnly(Sampler):
    name = "ground-only-test"
    capabilities: ClassVar[dict[str, str]] = {"ground_state": "exact"}

    def _run(self, bqm, protocol, *, num_reads, seed, **options):  # pragma: no cover - never reached
        raise AssertionError


MODEL = EmergentModel.random(3, seed=0)
GRID = Grid(21, 3.0)


def test_packed_memory_energy_is_the_sum_of_learner_energies():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(4, 2))
    active = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
    memory = MODEL.memory(q, active)
    bqm = memory.to_bqm()
    for _ in range(5):
        x = np.where(active, rng.choice([-1.0, 1.0], size=active.shape), 0.0)
        spins = {label: x[label // 3, label % 3] for label in memory.labels}
        total = MODEL.energies(q, x).diagonal().sum()
        assert np.isclose(bqm.energy(spins), total, atol=1e-12)


def test_hidden_means_from_the_sampler_match_enumeration():
    q = np.array([[0.5, -0.4], [-1.0, 0.8]])
    active = np.array([[1, 1, 0], [1, 1, 1]], dtype=bool)
    means, sample = _HiddenSampler(MODEL, get_sampler("exact"), 2_000_000, None).draw(
        q, active, seed=3, rng=np.random.default_rng(0)
    )
    states = MODEL.hidden_states()
    for r in range(2):
        allowed = np.all((states.x != 0) == active[r], axis=1)
        weights = np.exp(-MODEL.energies(q[r : r + 1], states.x[allowed])[0] / MODEL.T)
        exact = weights @ states.x[allowed] / weights.sum()
        np.testing.assert_allclose(means[r], exact, atol=3e-3)
        assert np.all(np.abs(sample[r][active[r]]) == 1) and np.all(sample[r][~active[r]] == 0)


def test_same_seed_same_bits_and_different_seed_differs():
    settings = ParticleSettings(learners=6, steps=15, burn_in=2, num_reads=2)
    dynamics = LearnerDynamics(mu=2.0, tq_ratio=1.5)
    runs = [run_particles(MODEL, "sa", dynamics, GRID, settings, seed=s) for s in (4, 4, 5)]
    np.testing.assert_array_equal(runs[0].per_learner_angular_momentum, runs[1].per_learner_angular_momentum)
    np.testing.assert_array_equal(runs[0].counts, runs[1].counts)
    assert not np.array_equal(runs[0].per_learner_angular_momentum, runs[2].per_learner_angular_momentum)


@pytest.mark.parametrize("sampler", ["exact", "sa", EnumeratingPlugin()])
def test_the_same_code_runs_on_any_boltzmann_sampler(sampler):
    run = run_particles(MODEL, sampler, LearnerDynamics(mu=2.0), GRID, ParticleSettings(learners=5, steps=10), seed=1)
    assert run.sampler_calls > 0 and run.learner_steps == 5 * 110
    assert np.isfinite(run.angular_momentum) and 0 <= run.mean_active <= 3


def test_bad_particle_inputs():
    with pytest.raises(InvalidInputError, match="k_x"):
        run_particles(MODEL, "exact", LearnerDynamics(mu=1.0, k_x=100.0), GRID, ParticleSettings(dt=0.02))
    with pytest.raises(UnsupportedProtocolError, match="boltzmann"):
        run_particles(MODEL, GroundOnly(), LearnerDynamics(mu=1.0), GRID, ParticleSettings(learners=2, steps=1))
    with pytest.raises(InvalidInputError, match="burn_in"):
        ParticleSettings(burn_in=-1)


def _against_oracle(sampler, tq_ratio, learners, steps, bins, seed):
    dynamics = LearnerDynamics(mu=2.0, tq_ratio=tq_ratio, exchange="metropolis")
    oracle = solve_oracle(MODEL, GRID, dynamics, half_sizes=(2, 4, 6), modes=0, fields=True)
    rng = np.random.default_rng(seed)
    initial = initial_states(oracle.fields.log_pi, GRID, MODEL.m, learners, rng)
    settings = ParticleSettings(learners=learners, steps=steps, dt=0.05, burn_in=10, num_reads=1)
    run = run_particles(MODEL, sampler, dynamics, GRID, settings, initial=initial, seed=seed)
    return run, oracle, particle_checks(run, oracle, bins_per_axis=bins)


def test_exact_particles_agree_with_the_oracle_within_their_noise():
    run, oracle, (density, momentum) = _against_oracle("exact", 1.0, 60, 60, 5, seed=2)
    assert momentum.holds
    assert density.holds is not False
    assert abs(run.mean_active - oracle.mean_active) < 0.15


@pytest.mark.slow
@pytest.mark.parametrize(("tq_ratio", "bins"), [(1.0, 5), (2.0, 3)])
def test_sa_particles_match_the_oracle_density_within_three_percent(tq_ratio, bins):
    run, oracle, (density, momentum) = _against_oracle("sa", tq_ratio, 500, 200, bins, seed=1)
    assert density.holds is True and density.value < 0.03, density
    assert density.noise < 0.03  # the test decides: 3σ of the peak estimate is inside the tolerance
    assert momentum.holds, momentum
    assert abs(run.mean_active - oracle.mean_active) < 0.05
