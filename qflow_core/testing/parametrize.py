"""Run the conformance checks from pytest (one test per sampler × check) or all at once.

A plugin author's whole conformance test::

    from qflow_core.testing import parametrize_with_checks

    @parametrize_with_checks([MySampler()])
    def test_conformance(sampler, check):
        check(sampler)

>>> from qflow_sa import SimulatedAnnealing
>>> report = check_sampler(SimulatedAnnealing(), num_reads=20)
>>> sorted(report)
['anneal', 'boltzmann', 'ground_state', 'survival:dephased']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from qflow_core.sampler import Sampler
from qflow_core.testing.checks import ALL_CHECKS, check_declared_protocols_run
from qflow_core.testing.tags import skip_exception

__all__ = ["check_sampler", "parametrize_with_checks"]

SamplerEntry = Sampler | tuple[Sampler, Mapping[str, Any]]


def _bound_checks(entry: SamplerEntry, num_reads: int) -> tuple[Sampler, list[Callable[[Sampler], Any]]]:
    sampler, run_options = entry if isinstance(entry, tuple) else (entry, {})
    return sampler, [
        functools.update_wrapper(functools.partial(check, num_reads=num_reads, run_options=run_options), check)
        for check in ALL_CHECKS
    ]


def parametrize_with_checks(samplers: Iterable[SamplerEntry], *, num_reads: int = 50) -> Any:
    """A ``pytest.mark.parametrize("sampler, check", ...)`` with one test id per sampler and check.

    An entry is a sampler or ``(sampler, run_options)``, the options passed to every ``run`` (fewer sweeps
    or shots keep the checks fast). Ids read ``<sampler name>-<check name>``, e.g. ``sa-check_pickle``.
    """
    import pytest

    params, ids = [], []
    for entry in samplers:
        sampler, checks = _bound_checks(entry, num_reads)
        for check in checks:
            params.append((sampler, check))
            ids.append(f"{sampler.name}-{check.__name__}")
    return pytest.mark.parametrize("sampler, check", params, ids=ids)


def check_sampler(
    sampler: Sampler, *, num_reads: int = 50, run_options: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """Run every check on ``sampler``; return ``{capability: [protocols run]}`` from the declared-protocol check.

    Checks the sampler's tags rule out are skipped, as under pytest; any failure raises ``AssertionError``.
    """
    report: dict[str, list[str]] = {}
    for check in _bound_checks((sampler, dict(run_options or {})), num_reads)[1]:
        try:
            result = check(sampler)
        except skip_exception():
            continue
        if check.func is check_declared_protocols_run:
            report = result
    return report
