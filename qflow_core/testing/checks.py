"""Conformance kit: :func:`check_sampler` runs the checks every qflow sampler must pass.

Plugin authors call it from their own test suite, as every built-in plugin does::

    from qflow_core.testing import check_sampler

    def test_conformance():
        check_sampler(MySampler())

It checks that each declared capability really runs and returns a well-formed SampleSet (energies equal
the BQM's, ``info["qflow"]`` complete, the requested number of reads), that the same seed reproduces the
same samples, that undeclared protocols raise :class:`~qflow_core.errors.UnsupportedProtocolError` and that
bad input raises :class:`~qflow_core.errors.InvalidInputError`. Failures raise ``AssertionError`` with a
message naming the check.

>>> from qflow_sa import SimulatedAnnealing
>>> report = check_sampler(SimulatedAnnealing(), num_reads=20)
>>> sorted(report)
['anneal', 'boltzmann', 'ground_state', 'survival:dephased']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError, UnsupportedProtocolError
from qflow_core.protocols import CAPABILITIES, Protocol, Survival, example_protocols
from qflow_core.sampler import Sampler

__all__ = ["assert_sampleset_consistent", "check_sampler", "small_test_bqm"]

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


def _same_samples(a: dimod.SampleSet, b: dimod.SampleSet) -> bool:
    if "probability" in a.record.dtype.names:
        return np.array_equal(a.record.sample, b.record.sample) and np.array_equal(
            a.record.probability, b.record.probability
        )
    return np.array_equal(a.record.sample, b.record.sample) and np.array_equal(
        a.record.num_occurrences, b.record.num_occurrences
    )


def check_sampler(
    sampler: Sampler,
    *,
    bqm: dimod.BinaryQuadraticModel | None = None,
    num_reads: int = 50,
    run_options: Mapping[str, Any] | None = None,
    protocols: Callable[[str, int], list[Protocol]] = example_protocols,
) -> dict[str, list[str]]:
    """Run the conformance checks on ``sampler``; return ``{capability: [protocols run]}``.

    ``bqm`` defaults to :func:`small_test_bqm` (4 spins); ``run_options`` are passed to every ``run`` call
    (e.g. fewer sweeps or shots to keep a plugin's test fast); ``protocols(capability, n)`` chooses the
    protocols exercised for each declared capability.
    """
    assert isinstance(sampler, Sampler), f"{sampler!r} is not a qflow_core.sampler.Sampler"
    assert isinstance(sampler, dimod.Sampler), "a qflow Sampler must also be a dimod.Sampler"
    assert isinstance(getattr(sampler, "name", None), str) and sampler.name, "sampler.name must be a non-empty str"
    assert sampler.capabilities, "the sampler declares no capabilities"
    bqm = small_test_bqm() if bqm is None else bqm
    options = dict(run_options or {})
    report: dict[str, list[str]] = {}

    for capability in sampler.capabilities:
        for protocol in protocols(capability, bqm.num_variables):
            fidelity = sampler.supports(protocol)
            if fidelity is None:  # a declared capability refined away for these fields (e.g. Γ > 0)
                _assert_refused(sampler, bqm, protocol, num_reads, options)
                continue
            assert fidelity == sampler.capabilities[capability], (
                f"supports({protocol}) = {fidelity!r} disagrees with capabilities[{capability!r}]"
            )
            first = sampler.run(bqm, protocol, num_reads=num_reads, seed=1234, **options)
            assert_sampleset_consistent(first, bqm, num_reads=num_reads)
            info = first.info["qflow"]
            assert info["sampler"] == sampler.name and info["seed"] == 1234, f"info['qflow'] wrong: {info}"
            assert info["protocol"] == protocol.to_dict(), "info['qflow']['protocol'] is not protocol.to_dict()"
            again = sampler.run(bqm, protocol, num_reads=num_reads, seed=1234, **options)
            assert _same_samples(first, again), f"{protocol}: the same seed gave different samples"
            report.setdefault(capability, []).append(str(protocol))
        assert capability in report, f"declared capability {capability!r}: none of its example protocols is supported"

    for capability in CAPABILITIES:
        if capability in sampler.capabilities:
            continue
        protocol = protocols(capability, bqm.num_variables)[0]
        assert sampler.supports(protocol) is None, f"supports({protocol}) should be None: it is not declared"
        _assert_refused(sampler, bqm, protocol, num_reads, options)

    _check_bad_input(sampler, bqm, num_reads, options)
    return report


def _assert_refused(
    sampler: Sampler, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, num_reads: int, options: Mapping[str, Any]
) -> None:
    try:
        sampler.run(bqm, protocol, num_reads=num_reads, seed=1, **options)
    except UnsupportedProtocolError:
        return
    raise AssertionError(f"running unsupported {protocol} did not raise UnsupportedProtocolError")


def _check_bad_input(
    sampler: Sampler, bqm: dimod.BinaryQuadraticModel, num_reads: int, options: Mapping[str, Any]
) -> None:
    protocol = next(
        p
        for c in sampler.capabilities
        for p in example_protocols(c, bqm.num_variables)
        if sampler.supports(p) is not None
    )
    nan_bqm = bqm.copy()
    nan_bqm.set_linear(next(iter(bqm.variables)), float("nan"))
    bad_calls: dict[str, Callable[[], Any]] = {
        "NaN bias": lambda: sampler.run(nan_bqm, protocol, num_reads=num_reads, seed=1, **options),
        "num_reads=0": lambda: sampler.run(bqm, protocol, num_reads=0, seed=1, **options),
        "negative seed": lambda: sampler.run(bqm, protocol, num_reads=num_reads, seed=-1, **options),
        "not a BQM": lambda: sampler.run({"a": 1.0}, protocol, num_reads=num_reads, seed=1, **options),
    }
    survival = next((c for c in sampler.capabilities if c.startswith("survival")), None)
    if survival is not None:
        short = example_protocols(survival, bqm.num_variables - 1)[0]
        assert isinstance(short, Survival)
        bad_calls["Survival state of wrong length"] = lambda: sampler.run(
            bqm, short, num_reads=num_reads, seed=1, **options
        )
    for what, call in bad_calls.items():
        try:
            call()
        except InvalidInputError:
            continue
        raise AssertionError(f"{what} did not raise InvalidInputError")
