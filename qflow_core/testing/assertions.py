"""Building blocks of the conformance checks: the test BQM, SampleSet assertions, protocol choice.

>>> bqm = small_test_bqm(3)
>>> bqm.num_variables, bqm.vartype.name
(3, 'SPIN')
"""

from __future__ import annotations

from collections.abc import Mapping

import dimod
import numpy as np

from qflow_core.protocols import Protocol, example_protocols
from qflow_core.sampler import Sampler

__all__ = ["REQUIRED_INFO_KEYS", "assert_sampleset_consistent", "same_samples", "small_test_bqm", "supported_examples"]

REQUIRED_INFO_KEYS = ("sampler", "protocol", "fidelity", "seed", "num_reads", "timing", "backend")


def small_test_bqm(n: int = 4, seed: int = 0) -> dimod.BinaryQuadraticModel:
    """A dense SPIN BQM on labels 0…n−1 with O(1) random biases and a non-zero offset."""
    rng = np.random.default_rng(seed)
    linear = {i: float(rng.uniform(-0.5, 0.5)) for i in range(n)}
    quadratic = {(i, j): float(rng.uniform(-1, 1)) for i in range(n) for j in range(i + 1, n)}
    return dimod.BinaryQuadraticModel(linear, quadratic, 0.25, dimod.SPIN)


def assert_sampleset_consistent(
    sampleset: dimod.SampleSet, bqm: dimod.BinaryQuadraticModel, *, num_reads: int | None = None
) -> None:
    """Assert ``sampleset`` is a valid answer for ``bqm``: labels, vartype, energies, read count, info."""
    assert isinstance(sampleset, dimod.SampleSet), f"run() returned {type(sampleset).__name__}, not a SampleSet"
    assert set(sampleset.variables) == set(bqm.variables), (
        f"sample variables {list(sampleset.variables)} differ from the BQM's {list(bqm.variables)}"
    )
    assert sampleset.vartype is bqm.vartype, f"vartype {sampleset.vartype} differs from the BQM's {bqm.vartype}"
    if len(sampleset):
        values = np.unique(sampleset.record.sample)
        allowed = {-1, 1} if bqm.vartype is dimod.SPIN else {0, 1}
        assert set(values.tolist()) <= allowed, f"samples contain values {values} outside {allowed}"
        expected = bqm.energies(sampleset)
        assert np.allclose(sampleset.record.energy, expected, rtol=0, atol=1e-9), (
            "SampleSet energies differ from the BQM's energies of the same samples by up to "
            f"{np.max(np.abs(sampleset.record.energy - expected)):.3g}"
        )
        dimod.testing.assert_sampleset_energies(sampleset, bqm)
    if "probability" in sampleset.record.dtype.names:
        p = sampleset.record.probability
        assert np.all(p >= -1e-12) and abs(p.sum() - 1) < 1e-9, "the 'probability' field must be a distribution"
    elif num_reads is not None:
        total = int(sampleset.record.num_occurrences.sum())
        assert total == num_reads, f"asked for {num_reads} reads, got {total}"
    info = sampleset.info.get("qflow")
    assert isinstance(info, Mapping), "info['qflow'] is missing"
    missing = [k for k in REQUIRED_INFO_KEYS if k not in info]
    assert not missing, f"info['qflow'] lacks {missing}"


def same_samples(a: dimod.SampleSet, b: dimod.SampleSet) -> bool:
    """Whether two SampleSets hold the same rows with the same probabilities and occurrences."""
    fields = [f for f in ("probability", "num_occurrences") if f in a.record.dtype.names]
    return (
        list(a.variables) == list(b.variables)
        and np.array_equal(a.record.sample, b.record.sample)
        and all(np.array_equal(a.record[f], b.record[f]) for f in fields)
    )


def supported_examples(sampler: Sampler, n: int) -> list[Protocol]:
    """The example protocols on ``n`` spins the sampler supports, one or more per declared capability."""
    return [p for c in sampler.capabilities for p in example_protocols(c, n) if sampler.supports(p) is not None]
