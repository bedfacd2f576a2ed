"""LinearToAncilla: linear biases onto an ancilla coupling, gauge-fixed back — exact on exact Boltzmann."""

import dimod
import numpy as np
import pytest

from qflow_core.errors import InvalidInputError
from qflow_core.protocols import Boltzmann
from qflow_core.registry import available_samplers, get_sampler
from qflow_core.transforms import LinearToAncilla


def exact_boltzmann_sampler():
    """The ``exact`` backend when installed, else the ``enum`` example plugin (both return ``probability``)."""
    for name in ("exact", "enum"):
        if name in available_samplers():
            return get_sampler(name)
    pytest.skip("no exact Boltzmann sampler installed")


def random_bqm(n, seed, vartype="SPIN"):
    rng = np.random.default_rng(seed)
    linear = {f"v{i}": float(rng.normal()) for i in range(n)}
    quadratic = {
        (f"v{i}", f"v{j}"): float(rng.normal()) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.7
    }
    return dimod.BQM(linear, quadratic, float(rng.normal()), vartype)


def distribution(sampleset):
    """{state as a tuple in sorted-label order: probability}."""
    order = [list(sampleset.variables).index(v) for v in sorted(sampleset.variables)]
    rows = sampleset.record.sample[:, order]
    return {tuple(int(x) for x in row): float(p) for row, p in zip(rows, sampleset.record.probability, strict=True)}


def one_hot_bqm(scores, penalty):
    """E(x) = −Σ a_m x_m + A(Σ x_m − 1)² (THEORY Eq. 23): linear biases on every variable."""
    m = len(scores)
    qubo = {(i, i): -(penalty + scores[i]) for i in range(m)}
    qubo.update({(i, j): 2 * penalty for i in range(m) for j in range(i + 1, m)})
    return dimod.BQM.from_qubo(qubo, offset=penalty)


@pytest.mark.parametrize("beta", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("seed", [0, 1])
def test_same_boltzmann_distribution_as_the_original_to_1e_12(beta, seed):
    sampler = exact_boltzmann_sampler()
    bqm = random_bqm(6, seed)
    direct = sampler.run(bqm, Boltzmann(beta), num_reads=10, seed=0)
    transform = LinearToAncilla()
    moved = transform.transform(bqm)
    assert moved.num_variables == 7 and all(b == 0 for b in moved.linear.values())
    restored = transform.restore(sampler.run(moved, Boltzmann(beta), num_reads=10, seed=0))
    assert set(restored.variables) == set(bqm.variables)
    p, q = distribution(direct), distribution(restored)
    assert set(p) == set(q) and len(q) == 2**6
    assert max(abs(p[s] - q[s]) for s in p) < 1e-12
    assert np.allclose(restored.record.energy, bqm.energies(restored), atol=1e-12)


def test_one_hot_attention_map_distribution_is_unchanged():
    sampler = exact_boltzmann_sampler()
    bqm = one_hot_bqm([0.3, -0.2, 0.8, 0.1, 0.5], penalty=1.5)
    transform = LinearToAncilla()
    moved = transform.transform(bqm)
    assert moved.vartype is dimod.SPIN and all(b == 0 for b in moved.linear.values())
    direct = sampler.run(bqm, Boltzmann(2.0), num_reads=5, seed=1)
    restored = transform.restore(sampler.run(moved, Boltzmann(2.0), num_reads=5, seed=1))
    assert restored.vartype is dimod.BINARY
    p, q = distribution(direct), distribution(restored)
    assert max(abs(p[s] - q.get(s, 0.0)) for s in p) < 1e-12


def test_energies_map_exactly_for_both_ancilla_signs():
    bqm = random_bqm(5, 3)
    transform = LinearToAncilla()
    moved = transform.transform(bqm)
    every = dimod.ExactSolver().sample(moved)
    restored = transform.restore(every, aggregate=False)
    # E'(s, a) = E(a·s): each of the 2^6 rows keeps its energy after gauge fixing
    assert np.allclose(np.sort(every.record.energy), np.sort(restored.record.energy), atol=1e-12)
    merged = transform.restore(every)
    assert len(merged) == 2**5 and set(merged.record.num_occurrences.tolist()) == {2}


def test_ground_state_maps_to_the_ground_state():
    bqm = random_bqm(6, 4)
    transform = LinearToAncilla()
    best = dimod.ExactSolver().sample(transform.transform(bqm)).lowest()
    restored = transform.restore(best)
    assert restored.first.energy == pytest.approx(dimod.ExactSolver().sample(bqm).first.energy, abs=1e-12)


def test_vectors_merge_additively_or_by_weighted_mean():
    bqm = dimod.BQM({"x": 1.0}, {}, 0.0, "SPIN")
    transform = LinearToAncilla()
    moved = transform.transform(bqm)
    variables = list(moved.variables)  # ['x', '__ancilla__']
    rows = np.array([[1, 1], [-1, -1], [1, -1]])  # restore to x = 1, 1, -1
    ss = dimod.SampleSet.from_samples_bqm(
        (rows, variables), moved, num_occurrences=np.array([1, 3, 2]), chain_break_fraction=np.array([0.0, 0.4, 0.5])
    )
    out = transform.restore(ss)
    by_state = {
        int(r[0]): (int(n), float(c))
        for r, n, c in zip(out.record.sample, out.record.num_occurrences, out.record.chain_break_fraction, strict=True)
    }
    assert by_state == {1: (4, pytest.approx(0.3)), -1: (2, pytest.approx(0.5))}


def test_ancilla_label_is_made_unique():
    bqm = dimod.BQM({"__ancilla__": 0.5, "y": -1.0}, {("__ancilla__", "y"): 0.2}, 0.0, "SPIN")
    transform = LinearToAncilla()
    moved = transform.transform(bqm)
    assert transform.ancilla == "__ancilla___" and moved.num_variables == 3
    restored = transform.restore(dimod.ExactSolver().sample(moved))
    assert set(restored.variables) == {"__ancilla__", "y"}


def test_misuse_raises_invalid_input():
    transform = LinearToAncilla()
    with pytest.raises(InvalidInputError, match="before transform"):
        transform.restore(dimod.SampleSet.from_samples([[1]], "SPIN", energy=[0.0]))
    with pytest.raises(InvalidInputError, match="dimod BQM"):
        transform.transform({"a": 1.0})
    transform.transform(dimod.BQM({"a": 1.0}, {}, 0.0, "SPIN"))
    with pytest.raises(InvalidInputError, match="not those of the last transformed BQM"):
        transform.restore(dimod.SampleSet.from_samples(([[1]], ["b"]), "SPIN", energy=[0.0]))
