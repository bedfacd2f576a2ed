"""The ``exact`` sampler: conformance kit, exact probabilities, info fields, options and bad input."""

from __future__ import annotations

import dimod
import numpy as np
import pytest
import scipy.linalg
from qflow_exact import ExactSampler, tfim

from qflow_core.errors import InvalidInputError, ProblemTooLargeError
from qflow_core.models.memory import IsingMemory
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Survival
from qflow_core.registry import get_sampler
from qflow_core.testing import check_sampler, small_test_bqm


@pytest.fixture(scope="module")
def sampler():
    return get_sampler("exact")


# the kit runs the 20 µs standard anneal, which stops at the step cap and says so (AnnealAccuracyWarning)
@pytest.mark.filterwarnings("ignore::qflow_exact.anneal.AnnealAccuracyWarning")
def test_conformance_kit_passes(sampler):
    report = check_sampler(sampler)
    assert set(report) == set(ExactSampler.capabilities)


def test_boltzmann_is_exact_enumeration_with_seeded_counts(sampler):
    bqm = small_test_bqm(5, seed=3)
    ss = sampler.run(bqm, Boltzmann(beta=1.7), num_reads=500, seed=11)
    energies = bqm.energies((ss.record.sample, list(ss.variables)))
    expected = np.exp(-1.7 * (energies - energies.min()))
    assert len(ss) == 32
    assert np.allclose(ss.record.probability, expected / expected.sum(), atol=1e-15)
    assert int(ss.record.num_occurrences.sum()) == 500
    again = sampler.run(bqm, Boltzmann(beta=1.7), num_reads=500, seed=11)
    assert np.array_equal(ss.record.num_occurrences, again.record.num_occurrences)


def test_binary_models_and_labels_round_trip(sampler):
    bqm = dimod.BQM({"a": 1.0, "b": -0.5}, {("a", "b"): 2.0}, 0.3, "BINARY")
    ss = sampler.run(bqm, Boltzmann(beta=1.0), num_reads=10, seed=0)
    assert ss.vartype is dimod.BINARY and set(ss.variables) == {"a", "b"}
    assert np.allclose(ss.record.energy, bqm.energies(ss))


def test_quantum_boltzmann_is_the_diagonal_of_the_matrix_exponential(sampler):
    bqm = small_test_bqm(4, seed=5)
    mem = IsingMemory.from_bqm(bqm)
    ss = sampler.run(bqm, Boltzmann(beta=0.8, gamma=0.6), num_reads=100, seed=1)
    rho = scipy.linalg.expm(-0.8 * tfim.hamiltonian(mem.J, mem.h, 0.6).toarray())
    assert np.allclose(ss.record.probability, np.diag(rho) / np.trace(rho), atol=1e-13)


def test_ground_state_info_and_options(sampler):
    bqm = small_test_bqm(8, seed=6)
    mem = IsingMemory.from_bqm(bqm)
    gammas = np.linspace(0.2, 0.9, 8)
    w, U = np.linalg.eigh(tfim.hamiltonian(mem.J, mem.h, gammas).toarray())
    ss = sampler.run(bqm, GroundState(0.5), num_reads=50, seed=2, gamma_per_spin=gammas, level=1, return_state=True)
    info = ss.info["qflow"]["backend"]
    assert info["energy"] == pytest.approx(w[1] + mem.offset, abs=1e-10)
    assert info["gap"] == pytest.approx(w[2] - w[1], abs=1e-10)
    assert np.allclose(ss.record.probability, U[:, 1] ** 2, atol=1e-10)
    assert np.allclose(info["x_expectation"], tfim.x_expectations(U[:, 1]), atol=1e-9)
    assert info["num_matvecs"] > 0 and info["state"].shape == (256,)


def test_the_sampler_skips_the_gap_unless_asked_cold_or_warm(sampler):
    n = 10
    bqm = small_test_bqm(n, seed=12)
    mem = IsingMemory.from_bqm(bqm)
    w = np.linalg.eigvalsh(tfim.hamiltonian(mem.J, mem.h, 0.6).toarray())
    plain = sampler.run(bqm, GroundState(0.6), num_reads=10, seed=0).info["qflow"]["backend"]
    assert (
        not plain["gap_computed"]
        and plain["gap"] is None
        and plain["energy"] == pytest.approx(w[0] + mem.offset, abs=1e-10)
    )
    cold = sampler.run(bqm, GroundState(0.6), num_reads=10, seed=0, return_state=True, gap=True)
    cold = cold.info["qflow"]["backend"]
    assert cold["gap_computed"] and cold["gap"] == pytest.approx(w[1] - w[0], abs=1e-10)
    assert cold["num_matvecs"] > plain["num_matvecs"]
    nudged = bqm.copy()
    nudged.add_linear(0, 1e-3)
    mem2 = IsingMemory.from_bqm(nudged)
    w2, U2 = np.linalg.eigh(tfim.hamiltonian(mem2.J, mem2.h, 0.6).toarray())
    warm = sampler.run(nudged, GroundState(0.6), num_reads=10, seed=0, v0=cold["state"]).info["qflow"]["backend"]
    assert not warm["gap_computed"] and warm["gap"] is None and len(warm["energies"]) == 1
    assert warm["energy"] == pytest.approx(w2[0] + mem.offset, abs=1e-10)
    assert np.allclose(warm["x_expectation"], tfim.x_expectations(U2[:, 0]), atol=1e-9)
    assert warm["num_matvecs"] < cold["num_matvecs"] / 2
    asked = sampler.run(nudged, GroundState(0.6), num_reads=10, seed=0, v0=cold["state"], gap=True)
    info = asked.info["qflow"]["backend"]
    assert info["gap_computed"] and info["gap"] == pytest.approx(w2[1] - w2[0], abs=1e-10)
    assert info["num_matvecs"] > warm["num_matvecs"]


def test_coherent_survival_channels_match_expm(sampler):
    bqm = small_test_bqm(5, seed=7)
    mem = IsingMemory.from_bqm(bqm)
    state = (1, -1, -1, 1, 1)
    ss = sampler.run(bqm, Survival(state, gamma=0.4, time=3.0), num_reads=100, seed=3)
    psi = scipy.linalg.expm(-3j * tfim.hamiltonian(mem.J, mem.h, 0.4).toarray())[:, tfim.basis_index(state)]
    p = np.abs(psi) ** 2
    info = ss.info["qflow"]["backend"]
    start = tfim.basis_index(state)
    assert info["survival_probability"] == pytest.approx(p[start], abs=1e-10)
    flipped = [tfim.basis_index(np.where(np.arange(5) == k, -np.array(state), state)) for k in range(5)]
    assert np.allclose(info["channel_probabilities"], p[flipped], atol=1e-10)
    assert info["multi_flip_probability"] == pytest.approx(1 - p[start] - p[flipped].sum(), abs=1e-10)


def test_averaged_survival_reproduces_the_lorentzian_window_mean(sampler):
    bqm = dimod.BQM({0: -0.25}, {}, 0.0, "SPIN")  # one spin, h = 0.25: Δ = 0.5
    ss = sampler.run(bqm, Survival((1,), gamma=0.05, time=5.0), num_reads=10, seed=0, average=True)
    assert ss.info["qflow"]["backend"]["channel_probabilities"][0] == pytest.approx(0.015021, abs=1e-6)


def test_dephased_survival_reports_start_and_leakage(sampler):
    bqm = small_test_bqm(4, seed=8)
    protocol = Survival((1, 1, -1, 1), gamma=0.1, time=50.0, regime="dephased", beta=2.0)
    info = sampler.run(bqm, protocol, num_reads=10, seed=0, eta=0.05).info["qflow"]["backend"]
    assert info["eta"] == 0.05 and 0.9 < info["start_overlap"] <= 1
    total = info["survival_probability"] + sum(info["channel_probabilities"]) + info["multi_flip_probability"]
    assert total == pytest.approx(1.0, abs=1e-12)


def test_anneal_ends_near_the_classical_ground_state_for_a_slow_schedule(sampler):
    bqm = dimod.BQM({0: -1.0, 1: 0.5}, {(0, 1): -1.0}, 0.0, "SPIN")
    ss = sampler.run(bqm, Anneal("standard", time_us=0.2), num_reads=100, seed=0)
    best = ss.record.sample[np.argmax(ss.record.probability)]
    assert bqm.energy(dict(zip(ss.variables, best, strict=True))) == min(bqm.energies(ss))
    info = ss.info["qflow"]["backend"]
    assert info["steps"] >= 100 and info["converged"] and info["error_estimate"] <= 1e-6 == info["tol"]
    coarse = sampler.run(bqm, Anneal("standard", time_us=0.2), num_reads=100, seed=0, steps=500, tol=1e-3)
    info = coarse.info["qflow"]["backend"]  # 500 steps are far too few here, and info says so
    assert info["steps"] >= 500 and not info["converged"] and info["error_estimate"] > 1e-3


def test_bad_input_raises_documented_errors(sampler):
    big = dimod.BQM({i: 0.1 for i in range(23)}, {}, 0.0, "SPIN")
    with pytest.raises(ProblemTooLargeError, match=r"MiB|GiB"):
        sampler.run(big, Boltzmann(beta=1.0), num_reads=1, seed=0)
    mid = dimod.BQM({i: 0.1 for i in range(13)}, {}, 0.0, "SPIN")
    with pytest.raises(ProblemTooLargeError, match="GiB"):
        sampler.run(mid, Boltzmann(beta=1.0, gamma=0.5), num_reads=1, seed=0)
    eleven = dimod.BQM({i: 0.1 for i in range(11)}, {}, 0.0, "SPIN")
    with pytest.raises(ProblemTooLargeError):
        sampler.run(eleven, Survival((1,) * 11, gamma=0.1, time=1, regime="dephased", beta=1), num_reads=1, seed=0)
    bqm = small_test_bqm(4)
    with pytest.raises(InvalidInputError):
        Survival((1, 0, 1, 1), gamma=0.1, time=1.0)
    with pytest.raises(InvalidInputError):
        sampler.run(bqm, Survival((1, 1, 1), gamma=0.1, time=1.0), num_reads=1, seed=0)
    with pytest.raises(InvalidInputError):
        sampler.run(bqm, GroundState(0.5), num_reads=1, seed=0, gamma_per_spin=[0.1, 0.2])
    with pytest.raises(InvalidInputError):
        sampler.run(bqm, GroundState(0.5), num_reads=1, seed=0, bogus=1)
    for tol in ("1e-6", -1.0):
        with pytest.raises(InvalidInputError, match="tol"):
            sampler.run(bqm, Anneal("fast", time_us=0.001), num_reads=1, seed=0, tol=tol)
    nan = bqm.copy()
    nan.set_linear(0, float("nan"))
    with pytest.raises(InvalidInputError):
        sampler.run(nan, GroundState(0.5), num_reads=1, seed=0)
