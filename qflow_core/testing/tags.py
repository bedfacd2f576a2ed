"""A sampler's tags, merged with the defaults, and the skips the conformance checks derive from them.

The tags (``Sampler.tags``; defaults in :data:`qflow_core.sampler.DEFAULT_TAGS`):

* ``deterministic`` — the samples do not depend on the seed (the different-seeds check is skipped);
* ``requires_network`` / ``costs_money`` — checks that run the sampler are skipped;
* ``max_variables`` — the largest problem it takes (checks needing more are skipped);
* ``exact_reference`` — its Boltzmann answer is exact, usable as a reference;
* ``thread_safe`` (default True) — one instance may run in several threads at once, with the results of
  serial runs seed for seed (the kit's ``check_thread_safe`` verifies it). A sampler that keeps per-call
  state on the instance declares ``thread_safe=False``; the check is then skipped with that reason, and code
  that runs samplers concurrently gives each worker its own instance.

>>> from qflow_sa import SimulatedAnnealing
>>> sampler_tags(SimulatedAnnealing())["deterministic"]
False
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qflow_core.sampler import DEFAULT_TAGS, Sampler

__all__ = ["sampler_tags", "skip", "skip_exception", "skip_unless_runnable"]


def sampler_tags(sampler: Sampler) -> dict[str, Any]:
    """``DEFAULT_TAGS`` updated with the sampler's own ``tags``; unknown keys are an error."""
    declared: Mapping[str, Any] = getattr(sampler, "tags", {}) or {}
    unknown = sorted(set(declared) - set(DEFAULT_TAGS))
    if unknown:
        raise AssertionError(f"{sampler!r} declares unknown tags {unknown}; known: {sorted(DEFAULT_TAGS)}")
    return {**DEFAULT_TAGS, **declared}


def skip_exception() -> type[BaseException]:
    """The exception :func:`skip` raises (pytest's, imported only when the kit runs)."""
    import pytest

    return pytest.skip.Exception


def skip(reason: str) -> None:
    """Skip the running check with ``reason`` (a pytest skip, so the reason shows in the test report)."""
    import pytest

    pytest.skip(reason)


def skip_unless_runnable(sampler: Sampler, num_variables: int) -> None:
    """Skip when the sampler needs the network, costs money or cannot take ``num_variables`` variables."""
    tags = sampler_tags(sampler)
    if tags["requires_network"]:
        skip(f"{sampler.name} requires the network (tag requires_network)")
    if tags["costs_money"]:
        skip(f"{sampler.name} costs money per run (tag costs_money)")
    if tags["max_variables"] is not None and num_variables > tags["max_variables"]:
        skip(f"{sampler.name} takes at most {tags['max_variables']} variables, the check needs {num_variables}")
