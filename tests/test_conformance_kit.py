"""The conformance kit catches broken samplers, skips with reasons, and names one test per sampler × check."""

import dimod
import numpy as np
import pytest

from qflow_core.sampler import Sampler, spin_sampleset
from qflow_core.testing import ALL_CHECKS, check_sampler, parametrize_with_checks
from qflow_core.testing.checks import (
    check_boltzmann_matches_enumeration,
    check_input_not_mutated,
    check_seeds_differ,
    check_thread_safe,
    check_undeclared_protocols_refused,
)


class Enumerate(Sampler):
    """Correct exact Boltzmann sampling by enumeration; subclasses break one thing each."""

    name = "kit-enum"
    capabilities = {"boltzmann": "exact"}
    beta_factor = 1.0

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        states = dimod.ExactSolver().sample(bqm)
        e = states.record.energy
        p = np.exp(-self.beta_factor * protocol.beta * (e - e.min()))
        rows = np.random.default_rng(self._seed(seed)).choice(len(p), size=num_reads, p=p / p.sum())
        return spin_sampleset(bqm, states.record.sample[rows])

    def _seed(self, seed):
        return seed


class IgnoresSeed(Enumerate):
    name = "kit-ignores-seed"

    def _seed(self, seed):
        return 0


class WrongBeta(Enumerate):
    name = "kit-wrong-beta"
    beta_factor = 0.3


class MutatesInput(Enumerate):
    name = "kit-mutates"

    def run(self, bqm, protocol, **kwargs):
        result = super().run(bqm, protocol, **kwargs)
        bqm.offset += 1.0
        return result


class SharedSeed(Enumerate):
    """Writes each call's seed onto the instance and reads it back after a pause: threads overwrite it."""

    name = "kit-shared-seed"

    def _seed(self, seed):
        import time

        self.current_seed = seed
        time.sleep(0.002)  # another thread's call runs here
        return self.current_seed


def test_correct_sampler_passes_every_check():
    assert check_sampler(Enumerate(), num_reads=20) == {"boltzmann": ["boltzmann:beta=1.0,gamma=0.0"]}


@pytest.mark.parametrize(
    ("sampler", "check", "message"),
    [
        (IgnoresSeed(), check_seeds_differ, "seeds 1 and 2 gave identical samples"),
        (WrongBeta(), check_boltzmann_matches_enumeration, "from enumeration, above 0.06"),
        (MutatesInput(), check_input_not_mutated, "changed the input BQM"),
        (SharedSeed(), check_thread_safe, "from a thread pool differs from the serial run"),
    ],
    ids=["seed-ignored", "wrong-beta", "mutates-input", "not-thread-safe"],
)
def test_broken_sampler_fails_its_check(sampler, check, message):
    with pytest.raises(AssertionError, match=message):
        check(sampler, num_reads=20)


def test_deterministic_tag_skips_with_reason():
    class Deterministic(IgnoresSeed):
        tags = {"deterministic": True}

    with pytest.raises(pytest.skip.Exception, match="tagged deterministic"):
        check_seeds_differ(Deterministic())


def test_thread_safe_false_tag_skips_the_thread_check_with_reason():
    class Declared(SharedSeed):
        tags = {"thread_safe": False}

    with pytest.raises(pytest.skip.Exception, match="thread_safe=False"):
        check_thread_safe(Declared())
    check_thread_safe(Enumerate(), num_reads=20)  # per-call state only: passes


def test_network_tag_skips_running_checks_but_not_declarations():
    class Remote(Enumerate):
        tags = {"requires_network": True}

    with pytest.raises(pytest.skip.Exception, match="requires the network"):
        check_input_not_mutated(Remote())
    check_undeclared_protocols_refused(Remote())


def test_unknown_tag_is_an_error():
    class Typo(Enumerate):
        tags = {"determinstic": True}

    with pytest.raises(AssertionError, match="unknown tags"):
        check_sampler(Typo())


def test_one_id_per_sampler_and_check():
    mark = parametrize_with_checks([Enumerate(), (WrongBeta(), {})]).mark
    assert mark.args[0] == "sampler, check"
    ids = mark.kwargs["ids"]
    assert len(ids) == 2 * len(ALL_CHECKS) == len(set(ids))
    assert "kit-enum-check_seeds_differ" in ids and "kit-wrong-beta-check_pickle" in ids


def test_a_sampler_that_is_not_thread_safe_gives_each_worker_its_own_instance():
    from concurrent.futures import ThreadPoolExecutor

    from qflow_core.testing.assertions import small_test_bqm

    class Declared(SharedSeed):
        tags = {"thread_safe": False}

    shared, bqm = Declared(), small_test_bqm(4)
    assert shared.for_worker() is not shared
    seeds = [3, 17, 101, 2024, 7, 65535]
    serial = [shared.run(bqm, "boltzmann:beta=1", num_reads=20, seed=s).record.sample.tobytes() for s in seeds]
    with ThreadPoolExecutor(3) as pool:
        threaded = list(
            pool.map(
                lambda s: (
                    shared.for_worker().run(bqm, "boltzmann:beta=1", num_reads=20, seed=s).record.sample.tobytes()
                ),
                seeds,
            )
        )
    assert threaded == serial
    plain = Enumerate()
    assert plain.for_worker() is plain
