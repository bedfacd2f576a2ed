"""Conformance kit for sampler plugins: every qflow sampler passes these checks.

Under pytest, :func:`parametrize_with_checks` gives one test per sampler and check; :func:`check_sampler`
runs them all at once. A sampler's ``tags`` (see :data:`qflow_core.sampler.DEFAULT_TAGS`) say which checks
it cannot run; those are skipped with the reason.

>>> from qflow_core.testing import check_sampler, parametrize_with_checks
>>> callable(check_sampler) and callable(parametrize_with_checks)
True
"""

from qflow_core.testing.assertions import assert_sampleset_consistent, small_test_bqm
from qflow_core.testing.checks import ALL_CHECKS
from qflow_core.testing.parametrize import check_sampler, parametrize_with_checks
from qflow_core.testing.tags import sampler_tags

__all__ = [
    "ALL_CHECKS",
    "assert_sampleset_consistent",
    "check_sampler",
    "parametrize_with_checks",
    "sampler_tags",
    "small_test_bqm",
]
