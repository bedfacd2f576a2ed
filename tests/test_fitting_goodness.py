"""Goodness of fit (pooled G-test, bootstrap) and the four-way verdict, calibrated on exact-model draws."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy.stats import power_divergence

from qflow_core.errors import InvalidInputError
from qflow_core.fitting import (
    compare_models,
    decide,
    fit_softmax,
    lorentzian_log_probabilities,
    softmax_log_probabilities,
)
from qflow_core.goodness import MIN_EXPECTED, g_test, pool_sparse_bins

A8 = np.random.default_rng(0).normal(size=8)
I3 = np.array([1.0, 0.5, 0.0, -0.5, -1.0, 0.25])
ALPHA = 0.05


def test_pooling_merges_the_sparse_bins_into_a_partition():
    expected = np.array([40.0, 0.2, 3.0, 12.0, 1.1, 0.4, 7.0, 2.5])
    groups = pool_sparse_bins(expected)
    assert sorted(np.concatenate(groups).tolist()) == list(range(expected.size))
    assert all(expected[g].sum() >= MIN_EXPECTED for g in groups)
    assert [g.tolist() for g in groups if g.size == 1] == [[0], [3], [6]]  # the well-filled bins stay alone


def test_pooled_g_test_equals_scipy_on_the_pooled_bins():
    p = np.exp(softmax_log_probabilities(A8, 3.0))
    counts = np.random.default_rng(2).multinomial(300, p)
    test = g_test(counts, p)
    groups = pool_sparse_bins(300 * p)
    observed = [counts[g].sum() for g in groups]
    expected = [300 * p[g].sum() for g in groups]
    g, pvalue = power_divergence(observed, expected, ddof=1, lambda_="log-likelihood")
    assert test.method == "chi2" and test.num_bins == len(groups) < A8.size
    assert test.dof == len(groups) - 2
    assert test.statistic == pytest.approx(g, rel=1e-10) and test.pvalue == pytest.approx(pvalue, rel=1e-8)


def test_too_few_reads_switch_to_a_parametric_bootstrap():
    def refit(c):
        return fit_softmax(c, I3).probabilities

    typical = np.array([4, 3, 2, 1, 0, 2])  # 12 reads close to softmax(1 · a)
    test = g_test(typical, refit(typical), refit=refit, seed=1)
    assert test.method == "bootstrap" and test.num_bins == I3.size and test.pvalue > 0.2
    middle = np.array([0, 0, 12, 0, 0, 0])  # every read on the middle key: no softmax puts its mass there
    bad = g_test(middle, refit(middle), refit=refit, seed=1)
    assert bad.method == "bootstrap" and bad.pvalue == 1 / 200  # no bootstrap draw is as far off
    again = g_test(typical, refit(typical), refit=refit, seed=1)
    assert again.pvalue == test.pvalue  # seeded
    assert g_test(typical, refit(typical)).method == "none" and math.isnan(g_test(typical, refit(typical)).pvalue)


def test_g_test_refuses_mismatched_input():
    with pytest.raises(InvalidInputError, match="1-D of one length"):
        g_test([1, 2], [0.5, 0.25, 0.25])


def test_every_verdict_is_reachable_with_its_reason():
    assert decide(+4.0, 1e-4, 0.5, 1e-6, ALPHA)[0] == "softmax"
    assert decide(-4.0, 1e-4, 1e-6, 0.5, ALPHA)[0] == "lorentzian"
    verdict, reason = decide(+4.0, 1e-4, 1e-3, 1e-6, ALPHA)
    assert verdict == "neither" and "both models rejected" in reason
    verdict, reason = decide(+0.5, 0.6, 0.01, 0.4, ALPHA)
    assert verdict == "lorentzian" and "softmax rejected" in reason and "Vuong not significant" in reason
    verdict, reason = decide(+0.5, 0.6, 0.04, 0.4, ALPHA)  # rejected at alpha but not at alpha / 2
    assert verdict == "undecided" and "not distinguishable" in reason
    verdict, reason = decide(+3.0, 0.003, 0.01, 0.4, ALPHA)  # Vuong's winner fails its own fit
    assert verdict == "undecided" and "rejects it" in reason
    assert decide(math.nan, math.nan, math.nan, math.nan, ALPHA) == (
        "undecided",
        "not distinguishable (Vuong undefined; G-test p: softmax n/a, Lorentzian n/a)",
    )


def test_compare_models_carries_both_fit_tests_and_the_reason():
    p = np.exp(lorentzian_log_probabilities(A8, 0.3))
    r = compare_models(np.random.default_rng(3).multinomial(5000, p), A8)
    assert r.verdict == "lorentzian" and r.reason.startswith("Vuong z")
    assert r.lorentzian_fit.pvalue > ALPHA > r.softmax_fit.pvalue
    assert r.delta_bic == r.delta_aic == 2 * r.delta_loglik
    assert r.g_pvalue == r.lorentzian_fit.pvalue and r.to_dict()["softmax_fit"]["method"] == "chi2"


REPLICATES = 300
#: One-sided binomial tolerance: nominal rate + 3 standard errors of a rate estimated from REPLICATES draws.
TOLERANCE = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / REPLICATES)


@pytest.mark.parametrize(
    ("truth", "parameter", "num_reads"),
    [("softmax", 1.0, 5000), ("softmax", 3.0, 2000), ("lorentzian", 0.3, 5000), ("lorentzian", 1.0, 10000)],
)
def test_verdict_error_rates_are_within_nominal_on_exact_model_draws(truth, parameter, num_reads):
    """Calibration: false 'neither' and wrong-model rates ≤ α (+ 3 binomial s.e.); the right model mostly wins.

    Softmax β = 3 at N = 2000 has expected counts below 5 on the worst key, so pooling is exercised.
    """
    if truth == "softmax":
        p = np.exp(softmax_log_probabilities(A8, parameter))
    else:
        p = np.exp(lorentzian_log_probabilities(A8, parameter))
    rng = np.random.default_rng(20)
    verdicts = Counter(compare_models(c, A8, alpha=ALPHA).verdict for c in rng.multinomial(num_reads, p, REPLICATES))
    wrong = "lorentzian" if truth == "softmax" else "softmax"
    assert verdicts["neither"] / REPLICATES <= TOLERANCE, verdicts
    assert verdicts[wrong] / REPLICATES <= TOLERANCE, verdicts
    assert verdicts[truth] / REPLICATES >= 0.8, verdicts
