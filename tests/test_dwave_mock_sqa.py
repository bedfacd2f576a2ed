"""``dwave-mock`` with the quantum substitute (``sampler="sqa"``) and the thermal model sized by need.

Truths used: classical Boltzmann populations of free spins at the end of the anneal (closed form), the ``sqa``
sampler run directly on the programmed problem (same bits), exact enumeration of a small embedded problem (the
early-stopped Metropolis chain is still Boltzmann), and the ordering of freeze-out points (standard anneal
colder than fast, a 12 mK bath colder than a 300 mK one).
"""

from __future__ import annotations

import itertools

import dimod
import numpy as np
import pytest
from qflow_dwave import DWaveMock, PathIntegralSubstitute
from qflow_dwave.equilibration import equilibrated_metropolis

import qflow_core.registry as registry
from qflow_core.errors import InvalidInputError, MissingExtraError
from qflow_core.protocols import Anneal, Survival
from qflow_core.registry import get_sampler
from qflow_core.schedules import bath_beta_per_ghz

B1_GHZ = 10.9  # B(1) of the default schedule


def test_without_the_sqa_plugin_the_quantum_mock_is_a_missing_extra(monkeypatch):
    monkeypatch.setattr(registry, "_default", registry.Registry(group="qflow-no-plugins-here"))
    with pytest.raises(MissingExtraError, match=r"qflow\[sqa\]"):
        DWaveMock(sampler="sqa")
    with pytest.raises(InvalidInputError, match="sampler must be one of"):
        DWaveMock(sampler="qmc")


def test_free_spins_end_the_anneal_in_the_classical_boltzmann_state_of_b1():
    """No couplings, no barrier: world-line moves keep each spin in equilibrium with B(s)/2·h up to s = 1."""
    h = np.array([0.01, 0.02, 0.04, -0.03])
    bqm = dimod.BQM(dict(enumerate(h)), {}, 0.0, "SPIN")
    reads = 2000
    ss = PathIntegralSubstitute(trotter_slices=8).sample(bqm, num_reads=reads, seed=7, auto_scale=False)
    beta_eff = bath_beta_per_ghz(12.0) * B1_GHZ / 2
    expected_up = 1 / (1 + np.exp(2 * beta_eff * h))  # P(s = +1) ∝ exp(−β_eff h)
    up = (ss.record.sample == 1).mean(axis=0)
    assert np.all(np.abs(up - expected_up) < 4 * np.sqrt(expected_up * (1 - expected_up) / reads))


def test_the_substitute_anneals_the_programmed_problem_with_sqa():
    bqm = dimod.BQM({0: 1.0, 1: -0.5}, {(0, 1): -2.0}, 0.0, "SPIN")  # auto-scaled by 1/2 into j_range
    ss = PathIntegralSubstitute(trotter_slices=4).sample(bqm, num_reads=64, seed=3, annealing_time=0.5)
    direct = get_sampler("sqa").run(
        dimod.BQM({0: 0.5, 1: -0.25}, {(0, 1): -1.0}, 0.0, "SPIN"),
        Anneal("standard", 0.5),
        num_reads=64,
        seed=3,
        trotter_slices=4,
        sweeps=25,
        temperature_mk=12.0,
    )
    assert (ss.record.sample == direct.record.sample).all()
    assert np.allclose(ss.record.energy, bqm.energies((ss.record.sample, list(ss.variables))))
    assert ss.info["physics"]["programmed_scale"] == 0.5 and ss.info["physics"]["sweeps"] == 25


@pytest.fixture(scope="module")
def ferro_chain() -> dimod.BinaryQuadraticModel:
    """A frustration-free ring with a weak field: the ground state is all +1."""
    n = 10
    return dimod.BQM({i: -0.05 for i in range(n)}, {(i, (i + 1) % n): -1.0 for i in range(n)}, 0.0, "SPIN")


def _all_up(ss: dimod.SampleSet) -> float:
    rows = np.repeat(ss.record.sample, ss.record.num_occurrences, axis=0)
    return float(np.all(rows == 1, axis=1).mean())


@pytest.mark.slow
def test_standard_anneal_freezes_out_colder_than_fast_and_a_hot_bath_hotter(ferro_chain):
    """Between 12 and ~50 mK a later freeze-out can compensate a warmer bath; 300 mK cannot be compensated."""
    cold = DWaveMock(sampler="sqa", topology_shape=[4])
    warm = DWaveMock(sampler="sqa", topology_shape=[4], temperature_mk=300.0)
    opts = {"num_spin_reversal_transforms": 0}
    standard = cold.run(ferro_chain, Anneal("standard", 2.0), num_reads=300, seed=1, **opts)
    fast = cold.run(ferro_chain, Anneal("fast"), num_reads=300, seed=1, **opts)
    hot = warm.run(ferro_chain, Anneal("standard", 2.0), num_reads=300, seed=1, **opts)
    assert _all_up(standard) > _all_up(fast) + 0.2
    assert _all_up(standard) > _all_up(hot) + 0.2
    physics = standard.info["qflow"]["backend"]["physics"]
    assert physics["model"].startswith("path-integral") and physics["temperature_mk"] == 12.0


def test_info_names_the_physics_of_each_model():
    bqm = dimod.BQM({"a": 0.2, "b": 0.0}, {("a", "b"): -1.0}, 0.0, "SPIN")
    survival = Survival((1, 1), gamma=0.3, time=1.0, regime="dephased", beta=1.0)
    sa, sqa = DWaveMock(topology_shape=[4]), DWaveMock(sampler="sqa", topology_shape=[4])
    assert repr(sqa).endswith("sampler='sqa')")
    model = {
        (name, kind): sampler.run(bqm, protocol, num_reads=8, seed=0).info["qflow"]["backend"]["physics"]["model"]
        for name, sampler in (("sa", sa), ("sqa", sqa))
        for kind, protocol in (("anneal", Anneal("standard", 1.0)), ("survival", survival))
    }
    assert model["sa", "anneal"].startswith("thermal Metropolis")
    assert model["sqa", "anneal"] == "path-integral Monte Carlo (sqa)"
    assert model["sa", "survival"].startswith("thermal hopping") and model["sqa", "survival"] == model["sa", "survival"]


def test_forward_anneal_schedules_are_refused_by_the_quantum_substitute():
    with pytest.raises(InvalidInputError, match="annealing_time"):
        PathIntegralSubstitute().sample(dimod.BQM({0: 0.1}, {}, 0.0, "SPIN"), anneal_schedule=[[0, 0], [1, 1]])


def test_early_stopped_metropolis_is_boltzmann_and_stops_only_when_resolved():
    """12 spins, exact enumeration: the reads' state distribution is within its sampling floor of Boltzmann."""
    rng = np.random.default_rng(5)
    n, beta, reads = 12, 1.5, 20000
    bqm = dimod.BQM(
        {i: float(rng.uniform(-0.3, 0.3)) for i in range(n)},
        {(i, j): float(rng.choice([-1.0, 0.5])) for i, j in itertools.combinations(range(n), 2) if rng.random() < 0.3},
        0.0,
        "SPIN",
    )
    ss, sweeps = equilibrated_metropolis(bqm, beta=beta, max_sweeps=1000, num_reads=reads, seed=11)
    assert sweeps < 1000  # this easy problem stops early
    states = np.array(list(itertools.product([-1, 1], repeat=n)), dtype=np.int8)
    p = np.exp(-beta * bqm.energies((states, list(bqm.variables))))
    p /= p.sum()
    index = {row.tobytes(): k for k, row in enumerate(states)}
    counts = np.zeros(len(states))
    order = [list(ss.variables).index(v) for v in bqm.variables]
    for row in ss.record.sample[:, order].astype(np.int8):
        counts[index[row.tobytes()]] += 1
    tv = 0.5 * np.abs(counts / reads - p).sum()
    floor = np.mean([0.5 * np.abs(rng.multinomial(reads, p) / reads - p).sum() for _ in range(10)])
    assert tv < 1.25 * floor
    # the same seed stops at the same sweep with the same reads; few reads make every sweep
    again, same = equilibrated_metropolis(bqm, beta=beta, max_sweeps=1000, num_reads=reads, seed=11)
    assert same == sweeps and (again.record.sample == ss.record.sample).all()
    assert equilibrated_metropolis(bqm, beta=beta, max_sweeps=300, num_reads=999, seed=11)[1] == 300
