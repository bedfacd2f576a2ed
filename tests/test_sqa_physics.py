"""The sqa sampler against independent truth: exact quantum Gibbs states, the Trotter transfer matrix, enumeration.

Reference distributions are in basis-index order (site 0 the most significant bit, bit 0 ↔ spin +1), as the
exact sampler returns them. Sampling tolerances use the expected total variation of N independent draws from p,
E[TV] ≈ ½ Σ_s sqrt(2 p_s (1 − p_s) / (π N)) (each read is an independent chain returning one slice).
"""

import dimod
import numpy as np
import pytest
from qflow_sqa import PathIntegralSampler
from qflow_sqa.reference import trotter_populations

from qflow_core import Anneal, Boltzmann, GroundState, Survival, get_sampler
from qflow_core.schedules import bath_beta_per_ghz, default_schedule
from qflow_core.testing import small_test_bqm


@pytest.fixture(scope="module")
def sqa():
    return PathIntegralSampler()


@pytest.fixture(scope="module")
def exact():
    return get_sampler("exact")


def basis(n: int) -> np.ndarray:
    return np.array([[1 - 2 * ((k >> (n - 1 - i)) & 1) for i in range(n)] for k in range(2**n)])


def populations(sampleset: dimod.SampleSet, bqm: dimod.BinaryQuadraticModel) -> np.ndarray:
    """Empirical z-basis distribution of a SampleSet, in basis-index order of bqm.variables."""
    n = bqm.num_variables
    columns = [list(sampleset.variables).index(v) for v in bqm.variables]
    spins = sampleset.record.sample[:, columns]
    index = (((1 - spins) // 2) * (1 << np.arange(n)[::-1])).sum(axis=1)
    counts = np.bincount(index, weights=sampleset.record.num_occurrences, minlength=2**n)
    return counts / counts.sum()


def tv(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p - q).sum())


def sampling_tv(p: np.ndarray, num_reads: int) -> float:
    return 0.5 * float(np.sum(np.sqrt(2 * p * (1 - p) / (np.pi * num_reads))))


def test_quantum_marginal_matches_the_trotter_transfer_matrix_and_exact_gibbs(sqa, exact):
    bqm, beta, gamma, slices, reads = small_test_bqm(6, seed=3), 1.5, 0.7, 8, 10_000
    protocol = Boltzmann(beta=beta, gamma=gamma)
    sampled = populations(sqa.run(bqm, protocol, num_reads=reads, seed=1, trotter_slices=slices, sweeps=60), bqm)
    gibbs = exact.run(bqm, protocol, num_reads=1, seed=0).record.probability
    path = trotter_populations(bqm, beta, gamma, slices)
    noise = sampling_tv(path, reads)  # ≈ 0.011
    assert tv(sampled, path) < 2 * noise, f"TV to the {slices}-slice path integral {tv(sampled, path):.4f}"
    # against the exact quantum Gibbs state: Trotter bias (0.007 here) + sampling error
    assert tv(sampled, gibbs) < tv(path, gibbs) + 2 * noise, f"TV to exact Gibbs {tv(sampled, gibbs):.4f}"
    assert tv(path, gibbs) > 0.003  # the Trotter error is there, and the sampler follows the discrete model


def test_ten_spin_correlations_match_exact_gibbs(sqa, exact):
    bqm, beta, gamma, slices, reads = small_test_bqm(10, seed=5), 1.0, 0.5, 16, 4000
    protocol = Boltzmann(beta=beta, gamma=gamma)
    ss = sqa.run(bqm, protocol, num_reads=reads, seed=2, trotter_slices=slices, sweeps=100)
    columns = [list(ss.variables).index(v) for v in bqm.variables]
    spins = ss.record.sample[:, columns].astype(float)
    states = basis(10).astype(float)
    p = exact.run(bqm, protocol, num_reads=1, seed=0).record.probability
    q = trotter_populations(bqm, beta, gamma, slices)
    i, j = np.triu_indices(10, 1)
    stats = lambda s: np.concatenate([s, s[:, i] * s[:, j]], axis=1)  # noqa: E731 - ⟨s_i⟩ and ⟨s_i s_j⟩
    measured, truth, discrete = stats(spins).mean(axis=0), p @ stats(states), q @ stats(states)
    sigma = np.sqrt((1 - truth**2) / reads)
    assert np.all(np.abs(measured - discrete) < 4.5 * sigma), np.max(np.abs(measured - discrete) / sigma)
    assert np.all(np.abs(measured - truth) < 4.5 * sigma + np.abs(discrete - truth))


def test_trotter_bias_shrinks_four_times_when_the_slices_double(sqa, exact):
    bqm, beta, gamma, reads = small_test_bqm(3, seed=1), 2.0, 1.0, 100_000
    protocol = Boltzmann(beta=beta, gamma=gamma)
    energies = bqm.energies((basis(3), list(bqm.variables)))
    truth = exact.run(bqm, protocol, num_reads=1, seed=0).record.probability @ energies
    bias, predicted = {}, {}
    for slices in (4, 8):
        ss = sqa.run(bqm, protocol, num_reads=reads, seed=3, trotter_slices=slices, sweeps=30)
        bias[slices] = ss.record.energy.mean() - truth
        predicted[slices] = trotter_populations(bqm, beta, gamma, slices) @ energies - truth
        error = 4 * ss.record.energy.std() / np.sqrt(reads)  # ≈ 0.013
        assert abs(bias[slices] - predicted[slices]) < error, (slices, bias[slices], predicted[slices])
    # (β/P)² law: 4× in the limit, 3.7× predicted at these steps; measured 4.2 ± 0.5
    assert 2.8 < bias[4] / bias[8] < 5.6, bias


def test_gamma_zero_is_classical_boltzmann(sqa):
    bqm, beta, reads = small_test_bqm(5, seed=7), 1.0, 20_000
    ss = sqa.run(bqm, Boltzmann(beta=beta), num_reads=reads, seed=4, sweeps=100)
    energies = bqm.energies((basis(5), list(bqm.variables)))
    weights = np.exp(-beta * (energies - energies.min()))
    p = weights / weights.sum()
    assert ss.info["qflow"]["backend"]["trotter_slices"] == 1
    assert tv(populations(ss, bqm), p) < 2 * sampling_tv(p, reads)


def test_world_line_moves_let_a_weak_field_run_mix(sqa, exact):
    # at Γ = 0.02 breaking a world line costs e^{-4 j⊥} ≈ 1e-5: single-slice flips alone stay where they started
    bqm, protocol, reads = small_test_bqm(4, seed=2), Boltzmann(beta=2.0, gamma=0.02), 5000
    p = exact.run(bqm, protocol, num_reads=1, seed=0).record.probability
    with_moves = populations(sqa.run(bqm, protocol, num_reads=reads, seed=5, trotter_slices=8, sweeps=200), bqm)
    without = sqa.run(bqm, protocol, num_reads=reads, seed=5, trotter_slices=8, sweeps=200, world_line_moves=False)
    assert tv(with_moves, p) < 2 * sampling_tv(p, reads) + tv(trotter_populations(bqm, 2.0, 0.02, 8), p)
    assert tv(populations(without, bqm), p) > 0.1


def test_flat_schedule_anneal_is_the_quantum_gibbs_state_in_qpu_units(sqa, exact):
    # H = -A/2 ΣX + B/2 E = (B/2)(E - (A/B) ΣX): β_eff = β_bath B/2 and Γ = A/B
    bqm, a_ghz, b_ghz, mk, reads = small_test_bqm(4, seed=2), 2.0, 4.0, 100.0, 10_000
    protocol = Anneal(schedule=((0.0, a_ghz, b_ghz), (1.0, a_ghz, b_ghz)))
    ss = sqa.run(bqm, protocol, num_reads=reads, seed=6, temperature_mk=mk, trotter_slices=16, sweeps=100)
    beta_eff = bath_beta_per_ghz(mk) * b_ghz / 2
    p = exact.run(bqm, Boltzmann(beta=beta_eff, gamma=a_ghz / b_ghz), num_reads=1, seed=0).record.probability
    bound = 2 * sampling_tv(p, reads) + tv(trotter_populations(bqm, beta_eff, a_ghz / b_ghz, 16), p)
    assert tv(populations(ss, bqm), p) < bound
    assert ss.info["qflow"]["backend"]["beta_per_ghz"] == pytest.approx(1 / (20.83661912 * 0.1))


def test_hot_anneal_ends_in_classical_boltzmann_at_the_final_problem_energy(sqa):
    # at 300 mK the anneal stays in equilibrium to s = 1, where Γ(1) = A(1)/B(1) ≈ 3e-5 is negligible
    bqm, mk, reads = small_test_bqm(4, seed=2), 300.0, 10_000
    ss = sqa.run(bqm, Anneal(), num_reads=reads, seed=7, temperature_mk=mk, trotter_slices=8, sweeps=100)
    beta_eff = bath_beta_per_ghz(mk) * default_schedule().B(1.0) / 2
    energies = bqm.energies((basis(4), list(bqm.variables)))
    p = np.exp(-beta_eff * (energies - energies.min()))
    p /= p.sum()
    assert tv(populations(ss, bqm), p) < 2 * sampling_tv(p, reads)


def test_cold_standard_anneal_beats_the_fast_one(sqa):
    bqm = small_test_bqm(8, seed=4)
    ground = dimod.ExactSolver().sample(bqm).first.energy
    standard = sqa.run(bqm, Anneal("standard"), num_reads=200, seed=8)
    fast = sqa.run(bqm, Anneal("fast"), num_reads=200, seed=8)
    assert standard.info["qflow"]["backend"]["sweeps"] == 1000 and fast.info["qflow"]["backend"]["sweeps"] == 10
    excess_standard, excess_fast = standard.record.energy.mean() - ground, fast.record.energy.mean() - ground
    assert excess_standard < 0.2 < excess_fast, (excess_standard, excess_fast)  # lowest excitation: 0.09


@pytest.mark.parametrize("gamma", [0.0, 0.5])
def test_ground_state_populations(sqa, exact, gamma):
    bqm, reads = small_test_bqm(4, seed=2), 2000
    ss = sqa.run(bqm, GroundState(gamma), num_reads=reads, seed=9, sweeps=300)
    p = exact.run(bqm, GroundState(gamma), num_reads=1, seed=0).record.probability
    # β = 16 is far below the inverse gap; the bias is the Trotter error at Δτ = 0.5 (measured TV 0.02)
    assert tv(populations(ss, bqm), p) < 2 * sampling_tv(p, reads) + 0.03
    assert ss.info["qflow"]["fidelity"] == "approximate"


def test_dephased_survival_leaks_to_the_gibbs_state(sqa, exact):
    bqm, beta, gamma = small_test_bqm(4, seed=2), 1.5, 0.5
    first = dimod.ExactSolver().sample(bqm).first.sample
    ground = tuple(int(first[v]) for v in bqm.variables)
    cold = sqa.run(bqm, Survival(ground, gamma=0.05, time=1, regime="dephased", beta=10.0), num_reads=1000, seed=1)
    stayed = np.mean((cold.record.sample[:, [list(cold.variables).index(v) for v in bqm.variables]] == ground).all(1))
    assert stayed > 0.95, stayed
    reads = 10_000
    late = sqa.run(bqm, Survival(ground, gamma, time=100, regime="dephased", beta=beta), num_reads=reads, seed=2)
    p = exact.run(bqm, Boltzmann(beta=beta, gamma=gamma), num_reads=1, seed=0).record.probability
    assert tv(populations(late, bqm), p) < 2 * sampling_tv(p, reads) + tv(trotter_populations(bqm, beta, gamma, 32), p)
