"""The conformance checks, one assertion theme each; every one takes ``(sampler, *, num_reads, run_options)``.

A check fails with ``AssertionError`` naming what broke, and skips (a pytest skip, with the reason) when the
sampler's tags or capabilities say it cannot run — it never passes silently. ``run_options`` go to every
``run`` call (fewer sweeps or shots keep a plugin's test fast).

>>> from qflow_sa import SimulatedAnnealing
>>> check_seed_reproducible(SimulatedAnnealing(), num_reads=10)
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError, UnsupportedProtocolError
from qflow_core.protocols import CAPABILITIES, PHYSICS_CLASSES, Anneal, Boltzmann, Survival, example_protocols
from qflow_core.sampler import Sampler
from qflow_core.seeding import child_seed
from qflow_core.testing.assertions import assert_sampleset_consistent, same_samples, small_test_bqm, supported_examples
from qflow_core.testing.tags import sampler_tags, skip, skip_unless_runnable

__all__ = [
    "ALL_CHECKS",
    "TV_BOUNDS",
    "check_bad_input_refused",
    "check_binary_bqm",
    "check_boltzmann_matches_enumeration",
    "check_declared_protocols_run",
    "check_dimod_api",
    "check_empty_bqm_dimod_calls",
    "check_input_not_mutated",
    "check_pickle",
    "check_run_many_matches_run",
    "check_seed_reproducible",
    "check_seeds_differ",
    "check_single_variable",
    "check_thread_safe",
    "check_undeclared_protocols_refused",
    "check_variable_labels",
]

Options = Mapping[str, Any] | None

#: Total-variation bound between the Boltzmann samples and exact enumeration on 4 spins, by declared fidelity,
#: at :data:`BOLTZMANN_READS` reads: the sampling noise alone is below 0.5·sqrt(2·16/(π·4000)) ≈ 0.025.
TV_BOUNDS = {"exact": 0.06, "native": 0.06, "approximate": 0.25}
BOLTZMANN_READS = 4000


def _runnable_bqm(sampler: Sampler, n: int = 4) -> dimod.BinaryQuadraticModel:
    skip_unless_runnable(sampler, n)
    return small_test_bqm(n)


def _plain(sampler: Sampler, n: int):
    """The supported protocol whose samples most depend on the seed: Boltzmann, else Survival, Anneal, the rest."""
    examples = supported_examples(sampler, n)
    assert examples, f"{sampler.name}: none of the example protocols of its declared capabilities is supported"
    order = (Boltzmann, Survival, Anneal)
    ranked = sorted(examples, key=lambda p: next((i for i, kind in enumerate(order) if isinstance(p, kind)), 3))
    return ranked[0]


def check_dimod_api(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """A qflow Sampler and a dimod Sampler: name, capabilities, tags, and dimod's own API assertion."""
    assert isinstance(sampler, Sampler), f"{sampler!r} is not a qflow_core.sampler.Sampler"
    assert isinstance(getattr(sampler, "name", None), str) and sampler.name, "sampler.name must be a non-empty str"
    assert sampler.capabilities, "the sampler declares no capabilities"
    sampler_tags(sampler)
    dimod.testing.assert_sampler_api(sampler)


def check_declared_protocols_run(
    sampler: Sampler, *, num_reads: int = 50, run_options: Options = None
) -> dict[str, list[str]]:
    """Each declared capability runs its example protocols into a well-formed SampleSet and names the physics
    that produced it (one of ``PHYSICS_CLASSES``); return what ran."""
    bqm = _runnable_bqm(sampler)
    options = dict(run_options or {})
    report: dict[str, list[str]] = {}
    for capability in sampler.capabilities:
        for protocol in example_protocols(capability, bqm.num_variables):
            fidelity = sampler.supports(protocol)
            if fidelity is None:  # a declared capability refined away for these fields (e.g. Γ > 0)
                _assert_refused(sampler, bqm, protocol, num_reads, options)
                continue
            assert fidelity == sampler.capabilities[capability], (
                f"supports({protocol}) = {fidelity!r} disagrees with capabilities[{capability!r}]"
            )
            sampleset = sampler.run(bqm, protocol, num_reads=num_reads, seed=1234, **options)
            assert_sampleset_consistent(sampleset, bqm, num_reads=num_reads)
            info = sampleset.info["qflow"]
            assert info["sampler"] == sampler.name and info["seed"] == 1234, f"info['qflow'] wrong: {info}"
            assert info["protocol"] == protocol.to_dict(), "info['qflow']['protocol'] is not protocol.to_dict()"
            assert info["fidelity"] == fidelity, f"info['qflow']['fidelity'] is {info['fidelity']!r}, not {fidelity!r}"
            physics = sampler.physics_class(protocol)
            assert physics in PHYSICS_CLASSES, f"physics_class({protocol}) = {physics!r}: not in {PHYSICS_CLASSES}"
            report.setdefault(capability, []).append(str(protocol))
        assert capability in report, f"declared capability {capability!r}: none of its example protocols is supported"
    return report


def check_undeclared_protocols_refused(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """A protocol of an undeclared capability: supports() is None and run() raises UnsupportedProtocolError."""
    undeclared = [c for c in CAPABILITIES if c not in sampler.capabilities]
    if not undeclared:
        skip(f"{sampler.name} declares every capability; there is no protocol to refuse")
    bqm = small_test_bqm()
    for capability in undeclared:
        protocol = example_protocols(capability, bqm.num_variables)[0]
        assert sampler.supports(protocol) is None, f"supports({protocol}) should be None: it is not declared"
        _assert_refused(sampler, bqm, protocol, num_reads, dict(run_options or {}))


def _assert_refused(sampler: Sampler, bqm, protocol, num_reads: int, options: Mapping[str, Any]) -> None:
    try:
        sampler.run(bqm, protocol, num_reads=num_reads, seed=1, **options)
    except UnsupportedProtocolError:
        return
    raise AssertionError(f"running unsupported {protocol} did not raise UnsupportedProtocolError")


def check_input_not_mutated(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """Running a protocol leaves the caller's BQM (SPIN or BINARY) exactly as it was."""
    spin = _runnable_bqm(sampler)
    for bqm in (spin, spin.change_vartype(dimod.BINARY, inplace=False)):
        before = bqm.copy()
        for protocol in supported_examples(sampler, bqm.num_variables):
            sampler.run(bqm, protocol, num_reads=num_reads, seed=5, **dict(run_options or {}))
            assert bqm.vartype is before.vartype and bqm == before, f"running {protocol} changed the input BQM"


def check_run_many_matches_run(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """``run_many(bqm, protocols, seed=s)[i]`` equals ``run(bqm, protocols[i], seed=child_seed(s, i))``."""
    bqm = _runnable_bqm(sampler)
    options = dict(run_options or {})
    protocols = supported_examples(sampler, bqm.num_variables)[:2]
    protocols = protocols * (3 - len(protocols))
    batch = sampler.run_many(bqm, protocols, num_reads=num_reads, seed=77, **options)
    assert len(batch) == len(protocols), f"run_many returned {len(batch)} results for {len(protocols)} protocols"
    for i, (protocol, result) in enumerate(zip(protocols, batch, strict=True)):
        single = sampler.run(bqm, protocol, num_reads=num_reads, seed=child_seed(77, i), **options)
        assert same_samples(result, single), (
            f"run_many(...)[{i}] differs from run({protocol}, seed=child_seed(77, {i}))"
        )


def check_seed_reproducible(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """The same seed gives identical samples, for every supported example protocol."""
    bqm = _runnable_bqm(sampler)
    for protocol in supported_examples(sampler, bqm.num_variables):
        first, again = (
            sampler.run(bqm, protocol, num_reads=num_reads, seed=1234, **dict(run_options or {})) for _ in range(2)
        )
        assert same_samples(first, again), f"{protocol}: the same seed gave different samples"


def check_seeds_differ(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """Different seeds give different samples (skipped for samplers tagged deterministic)."""
    if sampler_tags(sampler)["deterministic"]:
        skip(f"{sampler.name} is tagged deterministic: its samples do not depend on the seed")
    bqm = _runnable_bqm(sampler)
    protocol = _plain(sampler, bqm.num_variables)
    a, b = (sampler.run(bqm, protocol, num_reads=num_reads, seed=s, **dict(run_options or {})) for s in (1, 2))
    assert not same_samples(a, b), f"{protocol}: seeds 1 and 2 gave identical samples; is the seed ignored?"


THREAD_SEEDS = (3, 17, 101, 2024)


def check_thread_safe(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """One instance shared by a thread pool gives, seed for seed, the serial results (and records those seeds).

    Skipped for a sampler tagged ``thread_safe=False``: such a sampler keeps per-call state on the instance,
    and code that runs it concurrently (futures, sweeps) gives each worker its own instance instead.
    """
    if not sampler_tags(sampler)["thread_safe"]:
        skip(f"{sampler.name} is tagged thread_safe=False: each worker needs its own instance")
    bqm = _runnable_bqm(sampler)
    protocol = _plain(sampler, bqm.num_variables)
    options = dict(run_options or {})

    def run(seed: int) -> dimod.SampleSet:
        return sampler.run(bqm, protocol, num_reads=num_reads, seed=seed, **options)

    serial = [run(seed) for seed in THREAD_SEEDS]
    with ThreadPoolExecutor(3) as pool:
        threaded = list(pool.map(run, THREAD_SEEDS))
    for seed, alone, shared in zip(THREAD_SEEDS, serial, threaded, strict=True):
        assert shared.info["qflow"]["seed"] == seed, f"{protocol}: a threaded run recorded another seed than {seed}"
        assert same_samples(alone, shared), (
            f"{protocol}, seed {seed}: the run from a thread pool differs from the serial run; keep per-call state "
            "off the instance, or tag the sampler thread_safe=False"
        )


def check_single_variable(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """A one-variable BQM runs under the first example protocol of every declared capability."""
    skip_unless_runnable(sampler, 1)
    bqm = dimod.BinaryQuadraticModel({"s": 0.3}, {}, -0.1, dimod.SPIN)
    for protocol in {str(p): p for p in supported_examples(sampler, 1)}.values():
        sampleset = sampler.run(bqm, protocol, num_reads=num_reads, seed=3, **dict(run_options or {}))
        assert_sampleset_consistent(sampleset, bqm, num_reads=num_reads)


def check_variable_labels(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """String and tuple labels come back as given, with energies consistent."""
    base = _runnable_bqm(sampler)
    for labels in (["a", "b", "c", "d"], [(0, 1), (1, 0), (2, "x"), (3, 3)]):
        bqm = base.relabel_variables(dict(enumerate(labels)), inplace=False)
        protocol = _plain(sampler, bqm.num_variables)
        sampleset = sampler.run(bqm, protocol, num_reads=num_reads, seed=4, **dict(run_options or {}))
        assert_sampleset_consistent(sampleset, bqm, num_reads=num_reads)


def check_binary_bqm(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """A BINARY BQM is accepted; samples come back BINARY with the energies of the equivalent SPIN model."""
    spin = _runnable_bqm(sampler)
    binary = spin.change_vartype(dimod.BINARY, inplace=False)
    protocol = _plain(sampler, spin.num_variables)
    sampleset = sampler.run(binary, protocol, num_reads=num_reads, seed=6, **dict(run_options or {}))
    assert_sampleset_consistent(sampleset, binary, num_reads=num_reads)
    as_spin = sampleset.change_vartype(dimod.SPIN, inplace=False)
    assert np.allclose(spin.energies(as_spin), sampleset.record.energy, atol=1e-9), "BINARY and SPIN energies differ"


def check_empty_bqm_dimod_calls(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """``sample``, ``sample_ising`` and ``sample_qubo`` of an empty model return an empty SampleSet."""
    calls = {
        "sample": lambda: sampler.sample(dimod.BinaryQuadraticModel(dimod.SPIN)),
        "sample_ising": lambda: sampler.sample_ising({}, {}),
        "sample_qubo": lambda: sampler.sample_qubo({}),
    }
    for what, call in calls.items():
        sampleset = call()
        assert isinstance(sampleset, dimod.SampleSet), f"{what} of an empty model returned {type(sampleset)}"
        assert len(sampleset) == 0 and len(sampleset.variables) == 0, f"{what} of an empty model is not empty"


def check_bad_input_refused(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """NaN biases, a non-BQM, bad num_reads, bad seeds and a wrong-length state raise InvalidInputError."""
    bqm = small_test_bqm()
    protocol = _plain(sampler, bqm.num_variables)
    options = dict(run_options or {})
    nan_bqm = bqm.copy()
    nan_bqm.set_linear(next(iter(bqm.variables)), float("nan"))

    def run(model=bqm, proto=protocol, reads=num_reads, seed=1):
        return lambda: sampler.run(model, proto, num_reads=reads, seed=seed, **options)

    bad_calls: dict[str, Callable[[], Any]] = {
        "NaN bias": run(model=nan_bqm),
        "not a BQM": run(model={"a": 1.0}),
        "num_reads=0": run(reads=0),
        "num_reads=-3": run(reads=-3),
        "num_reads=2.5": run(reads=2.5),
        "negative seed": run(seed=-1),
        "seed as a str": run(seed="1"),
    }
    survival = next((c for c in sampler.capabilities if c.startswith("survival")), None)
    if survival is not None:
        short = example_protocols(survival, bqm.num_variables - 1)[0]
        assert isinstance(short, Survival)
        bad_calls["Survival state of wrong length"] = run(proto=short)
    for what, call in bad_calls.items():
        try:
            call()
        except InvalidInputError:
            continue
        raise AssertionError(f"{what} did not raise InvalidInputError")


def check_pickle(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """The sampler and its SampleSets survive a pickle round trip (they cross process boundaries in sweeps)."""
    bqm = _runnable_bqm(sampler)
    protocol = _plain(sampler, bqm.num_variables)
    options = dict(run_options or {})
    restored = pickle.loads(pickle.dumps(sampler))
    assert type(restored) is type(sampler) and restored.name == sampler.name, "unpickled sampler differs"
    sampleset = sampler.run(bqm, protocol, num_reads=num_reads, seed=8, **options)
    copy = pickle.loads(pickle.dumps(sampleset))
    assert same_samples(copy, sampleset) and copy.info == sampleset.info, "unpickled SampleSet differs"
    again = restored.run(bqm, protocol, num_reads=num_reads, seed=8, **options)
    assert same_samples(again, sampleset), "the unpickled sampler gives other samples for the same seed"


def check_boltzmann_matches_enumeration(sampler: Sampler, *, num_reads: int = 50, run_options: Options = None) -> None:
    """On 4 spins, Boltzmann(β=1) samples are within ``TV_BOUNDS[fidelity]`` of exact enumeration."""
    protocol = Boltzmann(beta=1.0)
    fidelity = sampler.supports(protocol)
    if fidelity is None:
        skip(f"{sampler.name} does not support {protocol}")
    bqm = _runnable_bqm(sampler)
    states = dimod.ExactSolver().sample(bqm)
    weights = np.exp(-(states.record.energy - states.record.energy.min()))
    exact = dict(zip(map(tuple, states.record.sample.tolist()), weights / weights.sum(), strict=True))
    sampleset = sampler.run(bqm, protocol, num_reads=BOLTZMANN_READS, seed=9, **dict(run_options or {}))
    rows = sampleset.record.sample[:, [list(sampleset.variables).index(v) for v in states.variables]]
    if "probability" in sampleset.record.dtype.names:
        weights = sampleset.record.probability
    else:
        weights = sampleset.record.num_occurrences / sampleset.record.num_occurrences.sum()
    empirical: dict[tuple, float] = {}
    for row, w in zip(map(tuple, rows.tolist()), weights, strict=True):
        empirical[row] = empirical.get(row, 0.0) + float(w)
    tv = 0.5 * sum(abs(empirical.get(s, 0.0) - p) for s, p in exact.items())
    bound = TV_BOUNDS[fidelity]
    assert tv <= bound, f"{fidelity} Boltzmann samples are at TV {tv:.3f} from enumeration, above {bound}"


ALL_CHECKS: tuple[Callable[..., Any], ...] = (
    check_dimod_api,
    check_declared_protocols_run,
    check_undeclared_protocols_refused,
    check_input_not_mutated,
    check_run_many_matches_run,
    check_seed_reproducible,
    check_seeds_differ,
    check_thread_safe,
    check_single_variable,
    check_variable_labels,
    check_binary_bqm,
    check_empty_bqm_dimod_calls,
    check_bad_input_refused,
    check_pickle,
    check_boltzmann_matches_enumeration,
)
