"""Output distributions as dimod SampleSets over the BQM's variables (whole distribution, not the best state).

* exact (statevector) results: every one of the 2ⁿ basis states, with its Born probability in a
  ``probability`` field and seeded multinomial ``num_occurrences`` summing to ``num_reads``;
* shot-based results (any Qiskit SamplerV2): one row per observed bitstring with its count.

Bitstrings are Qiskit's: variable i is the rightmost character i.

>>> import dimod, numpy as np
>>> bqm = dimod.BQM({"a": 1.0, "b": 0.0}, {}, 0.0, "SPIN")
>>> ss = counts_sampleset(bqm, {"01": 3, "10": 1})
>>> [(dict(zip(ss.variables, map(int, s))), int(c)) for s, c in zip(ss.record.sample, ss.record.num_occurrences)]
[({'a': 1, 'b': -1}, 3), ({'a': -1, 'b': 1}, 1)]
>>> ss = exact_sampleset(bqm, np.array([0.5, 0.5, 0.0, 0.0]), num_reads=10, seed=0)
>>> ss.record.probability.tolist(), int(ss.record.num_occurrences.sum())
([0.5, 0.5, 0.0, 0.0], 10)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from qflow_core.sampler import spin_sampleset
from qflow_qaoa.ising import basis_spins

if TYPE_CHECKING:
    import dimod

__all__ = ["bitstring_spins", "counts_sampleset", "exact_sampleset"]


def bitstring_spins(bitstring: str) -> np.ndarray:
    """±1 spins of a Qiskit bitstring, in qubit (= variable) order: s_i = +1 where ``bitstring[-1 - i] == '1'``."""
    return np.array([1 if c == "1" else -1 for c in reversed(bitstring)], dtype=np.int8)


def exact_sampleset(
    bqm: dimod.BinaryQuadraticModel, probabilities: np.ndarray, *, num_reads: int, seed: int
) -> dimod.SampleSet:
    """Every basis state with its probability, plus ``num_reads`` multinomial reads drawn with ``seed``."""
    probabilities = np.asarray(probabilities, dtype=float)
    counts = np.random.default_rng(seed).multinomial(num_reads, probabilities)
    return spin_sampleset(bqm, basis_spins(bqm.num_variables), probability=probabilities, num_occurrences=counts)


def counts_sampleset(bqm: dimod.BinaryQuadraticModel, counts: Mapping[str, int]) -> dimod.SampleSet:
    """One row per measured bitstring (sorted by count, then bitstring), ``num_occurrences`` = its count."""
    keys = sorted(counts, key=lambda k: (-counts[k], k))
    spins = np.array([bitstring_spins(k) for k in keys], dtype=np.int8).reshape(len(keys), bqm.num_variables)
    occurrences = np.array([counts[k] for k in keys], dtype=np.int64)
    return spin_sampleset(bqm, spins, aggregate=False, num_occurrences=occurrences)
