"""OneHotAttention: the QUBO/Ising map (THEORY A19), exact conditional softmax (A20), decoding, penalty, A33."""

from __future__ import annotations

import itertools
import warnings

import dimod
import numpy as np
import pytest

import qflow_core.models.memory
from qflow_core.errors import InvalidInputError
from qflow_core.models.attention import FREEZE_THRESHOLD, FrozenSamplerWarning, OneHotAttention
from qflow_core.protocols import Boltzmann
from qflow_core.registry import available_samplers, get_sampler

I3 = np.array([1.0, 0.5, 0.0, -0.5, -1.0, 0.25])
ALL_BITS = np.array(list(itertools.product([0, 1], repeat=6)))


def exact_backend() -> str:
    """THEORY A20 runs through the ``exact`` backend when it is installed, else the ``enum`` example plugin."""
    return "exact" if "exact" in available_samplers() else "enum"


def qubo_energy_direct(bits: np.ndarray, a: np.ndarray, penalty: float) -> np.ndarray:
    """E(x) = −Σ a_m x_m + A (Σ x_m − 1)² evaluated literally (THEORY Eq. 23)."""
    return -bits @ a + penalty * (bits.sum(axis=1) - 1) ** 2


def test_public_name_is_exported_from_the_package_faces():
    assert qflow_core.OneHotAttention is qflow_core.models.OneHotAttention is OneHotAttention


def test_a19_qubo_coefficients():
    Q, offset = OneHotAttention.from_scores(I3, penalty=2.0).qubo()
    np.testing.assert_allclose(np.diag(Q), [-3, -2.5, -2, -1.5, -1, -2.25], rtol=0, atol=1e-12)
    iu = np.triu_indices(6, k=1)
    np.testing.assert_allclose(Q[iu], 4.0, rtol=0, atol=1e-12)
    assert np.all(np.tril(Q, k=-1) == 0)
    assert offset == 2.0
    energies = np.einsum("pi,ij,pj->p", ALL_BITS, Q, ALL_BITS) + offset
    np.testing.assert_allclose(energies, qubo_energy_direct(ALL_BITS, I3, 2.0), rtol=0, atol=1e-12)


def test_a19_ising_coefficients_and_energies_on_all_64_states():
    att = OneHotAttention.from_scores(I3, penalty=2.0)
    J, h, const = att.ising()
    off = ~np.eye(6, dtype=bool)
    np.testing.assert_allclose(J[off], -1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h, [-3.5, -3.75, -4, -4.25, -4.5, -3.875], rtol=0, atol=1e-12)
    assert const == pytest.approx(10.875, abs=1e-12)
    spins = 2 * ALL_BITS - 1
    direct = qubo_energy_direct(ALL_BITS, I3, 2.0)
    np.testing.assert_allclose(att.energy(spins), direct, rtol=0, atol=1e-12)
    bqm = att.to_bqm()
    np.testing.assert_allclose(bqm.energies((spins, list(range(6)))), direct, rtol=0, atol=1e-12)


def test_a19_bqm_is_spin_in_key_order_with_dimod_signs():
    att = OneHotAttention.from_scores(I3, penalty=2.0)
    bqm = att.to_bqm()
    J, h, const = att.ising()
    assert bqm.vartype is dimod.SPIN and list(bqm.variables) == list(range(6))
    for m in range(6):
        assert bqm.get_linear(m) == pytest.approx(-h[m], abs=1e-12)  # h^D = (A(M-2) - a_m)/2
    for i, j in itertools.combinations(range(6), 2):
        assert bqm.get_quadratic(i, j) == pytest.approx(-J[i, j], abs=1e-12) == pytest.approx(1.0)  # J^D = +A/2
    assert bqm.offset == pytest.approx(const, abs=1e-12)


def test_one_hot_energies_are_minus_scores_for_keys_and_query():
    rng = np.random.default_rng(5)
    keys, query = rng.normal(size=(7, 4)), rng.normal(size=4)
    att = OneHotAttention(keys, query)
    np.testing.assert_allclose(att.scores, keys @ query / 2.0, rtol=1e-14)  # default scale 1/sqrt(d)
    bqm = att.to_bqm()
    np.testing.assert_allclose(bqm.energies((att.one_hot_states(), att.labels)), -att.scores, atol=1e-12)
    np.testing.assert_allclose(att.energy(att.one_hot_states()), -att.scores, atol=1e-12)


def test_with_penalty_reuses_the_compiled_model_and_changes_only_the_penalty():
    att = OneHotAttention.from_scores(I3, penalty=2.0)
    att.to_bqm()
    other = att.with_penalty(5.0)
    assert other._model is att._model and other.penalty == 5.0
    spins = 2 * ALL_BITS - 1
    np.testing.assert_allclose(
        other.to_bqm().energies((spins, list(range(6)))), qubo_energy_direct(ALL_BITS, I3, 5.0), atol=1e-12
    )


@pytest.mark.parametrize("beta", [0.5, 2.0, 5.0])
@pytest.mark.parametrize("penalty", [1.0, 2.0, 5.0])
def test_a20_exact_conditional_softmax(beta, penalty):
    att = OneHotAttention.from_scores(I3, penalty=penalty)
    sampleset = get_sampler(exact_backend()).run(att.to_bqm(), Boltzmann(beta), num_reads=100, seed=0)
    decoded = att.decode(sampleset)
    softmax = np.exp(beta * I3) / np.exp(beta * I3).sum()
    np.testing.assert_allclose(decoded.probabilities, softmax, rtol=0, atol=1e-12)
    np.testing.assert_allclose(att.softmax(beta), softmax, rtol=0, atol=1e-15)
    # the discarded mass, by enumerating the QUBO ourselves
    weights = np.exp(-beta * qubo_energy_direct(ALL_BITS, I3, penalty))
    invalid = weights[ALL_BITS.sum(axis=1) != 1].sum() / weights.sum()
    assert decoded.invalid_probability == pytest.approx(invalid, abs=1e-12)
    assert decoded.num_reads == 100 and decoded.counts.sum() + decoded.num_invalid == 100


def test_decode_counts_reads_and_invalid_reads_for_spin_and_binary_samplesets():
    att = OneHotAttention.from_scores([0.3, -0.2, 0.1])
    rows = np.array([[1, 0, 0], [0, 0, 1], [1, 1, 0], [0, 0, 0], [0, 0, 1]])
    occurrences = np.array([5, 2, 3, 1, 4])
    labels = [2, 0, 1]  # columns in a different order than the keys
    binary = dimod.SampleSet.from_samples((rows, labels), dimod.BINARY, energy=np.zeros(5), num_occurrences=occurrences)
    spin = dimod.SampleSet.from_samples(
        (2 * rows - 1, labels), dimod.SPIN, energy=np.zeros(5), num_occurrences=occurrences
    )
    for sampleset in (binary, spin):
        decoded = att.decode(sampleset)
        # label 2 <- column 0, label 0 <- column 1, label 1 <- column 2
        assert decoded.counts.tolist() == [0, 2 + 4, 5]
        assert decoded.num_reads == 15 and decoded.num_invalid == 4
        assert decoded.invalid_fraction == pytest.approx(4 / 15)
        np.testing.assert_allclose(decoded.frequencies, [0, 6 / 11, 5 / 11])
        assert decoded.probabilities is None
        assert decoded.to_dict()["counts"] == [0, 6, 5]


def test_decode_rejects_foreign_samplesets():
    att = OneHotAttention.from_scores([0.3, -0.2, 0.1])
    other = dimod.SampleSet.from_samples(([[1, -1]], ["a", "b"]), dimod.SPIN, energy=[0.0])
    with pytest.raises(InvalidInputError, match="keys"):
        att.decode(other)
    with pytest.raises(InvalidInputError, match="SampleSet"):
        att.decode({"a": 1})


def test_default_penalty_is_just_above_the_local_minimum_bound():
    rng = np.random.default_rng(3)
    for _ in range(20):
        a = rng.normal(size=rng.integers(2, 9)) * rng.uniform(0.1, 3)
        att = OneHotAttention.from_scores(a)
        bound = OneHotAttention.local_minimum_penalty(a)
        # brute force: each one-hot state is a strict local minimum iff every single flip costs energy
        assert np.all(att.flip_gaps(att.one_hot_states()) > 0)
        assert att.penalty == pytest.approx(bound + 0.5 * np.abs(a).max())
        below = att.with_penalty(bound * 0.999)
        assert not np.all(below.flip_gaps(below.one_hot_states()) > 0)


def test_mixing_barrier_and_freeze_warning_a33():
    moderate = OneHotAttention.from_scores(I3, penalty=2.0)
    frozen = OneHotAttention.from_scores(I3, penalty=5.98)
    assert moderate.mixing_barrier == pytest.approx(1.5, abs=1e-12)  # A − a_(2)
    assert frozen.mixing_barrier == pytest.approx(5.48, abs=1e-12)
    assert not moderate.is_frozen(2.0) and frozen.is_frozen(2.0)
    assert frozen.is_frozen(FREEZE_THRESHOLD / 5.48 * 1.01) and not frozen.is_frozen(FREEZE_THRESHOLD / 5.48 * 0.99)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert moderate.warn_if_frozen(2.0) is False
    with pytest.warns(FrozenSamplerWarning, match="freezes single-flip samplers"):
        assert frozen.warn_if_frozen(2.0) is True


def test_mixing_barrier_uses_the_removal_cost_when_it_is_smaller():
    att = OneHotAttention.from_scores([-0.5, -2.0, -3.0], penalty=1.0)  # best key -0.5: removing costs A + a = 0.5
    assert att.mixing_barrier == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"keys": np.ones((1, 3)), "query": np.ones(3)}, "M ≥ 2"),
        ({"keys": np.ones((3, 2)), "query": np.ones(3)}, "query must have shape"),
        ({"keys": [[1.0, np.nan], [0.0, 1.0]], "query": [1.0, 1.0]}, "finite"),
        ({"keys": np.eye(2), "query": np.ones(2), "penalty": -1.0}, "penalty"),
        ({"keys": np.eye(2), "query": np.ones(2), "scale": 0.0}, "scale"),
    ],
)
def test_bad_input_raises_invalid_input_error(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        OneHotAttention(**kwargs)


def test_a_used_attention_memory_pickles_and_gives_the_same_bqm():
    """The compiled pyqubo model is a cache: a memory that has built its BQM still pickles (for Dask workers)."""
    import pickle

    memory = OneHotAttention.random(4, 6, seed=1)
    bqm = memory.to_bqm()
    again = pickle.loads(pickle.dumps(memory))
    assert again.to_bqm() == bqm and again.penalty == memory.penalty
