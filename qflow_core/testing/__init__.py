"""Conformance kit for sampler plugins: every qflow sampler passes these checks.

>>> from qflow_core.testing import check_sampler
>>> callable(check_sampler)
True
"""

from qflow_core.testing.checks import assert_sampleset_consistent, check_sampler, small_test_bqm

__all__ = ["assert_sampleset_consistent", "check_sampler", "small_test_bqm"]
