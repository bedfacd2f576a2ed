"""Softmax / Lorentzian maximum likelihood and model selection (THEORY §3.3, A23, A24)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import power_divergence

from qflow_core.errors import InvalidInputError
from qflow_core.fitting import (
    GAMMA_RANGE,
    compare_models,
    fit_lorentzian,
    fit_softmax,
    kl_divergence,
    lorentzian_log_probabilities,
    softmax_log_probabilities,
)

I3 = np.array([1.0, 0.5, 0.0, -0.5, -1.0, 0.25])
A8 = np.random.default_rng(0).normal(size=8)  # an M = 8 score vector


def softmax(a, beta):
    w = np.exp(beta * (a - a.max()))
    return w / w.sum()


def lorentzian(a, gamma, origin=None):
    x = (a.max() if origin is None else origin) - a
    w = 1 / (1 + (x / gamma) ** 2)
    return w / w.sum()


def loglik(counts, p):
    return float(np.sum(counts[counts > 0] * np.log(p[counts > 0])))


def test_deterministic_softmax_counts_recover_beta_and_select_softmax():
    counts = np.round(10000 * softmax(A8, 2.0))
    result = compare_models(counts, A8)
    assert result.softmax.beta == pytest.approx(2.0, abs=2e-3)  # rounding to integers moves β̂ by ~1e-4
    assert result.kl_softmax < 1e-6 < result.kl_lorentzian
    assert result.delta_loglik > 20 and result.vuong_z > 3 and result.verdict == "softmax"
    assert result.preferred == "softmax" and result.g_pvalue > 0.99


def test_deterministic_lorentzian_counts_recover_gamma_and_select_lorentzian():
    counts = np.round(10000 * lorentzian(A8, 0.5))
    result = compare_models(counts, A8)
    assert result.lorentzian.gamma == pytest.approx(0.5, abs=2e-3)
    assert result.delta_loglik < -20 and result.vuong_z < -3 and result.verdict == "lorentzian"
    assert result.preferred == "lorentzian" and result.g_pvalue > 0.99


def test_softmax_mle_solves_the_score_equation_and_maximises_the_likelihood():
    counts = np.array([40.0, 25, 10, 3, 1, 21])
    fit = fit_softmax(counts, I3)
    a_bar = counts @ I3 / counts.sum()
    assert softmax(I3, fit.beta) @ I3 == pytest.approx(a_bar, abs=1e-12)  # ⟨a⟩_β̂ = ā (Eq. 28)
    independent = minimize_scalar(
        lambda b: -loglik(counts, softmax(I3, b)), bounds=(-20, 20), method="bounded", options={"xatol": 1e-12}
    )
    assert fit.beta == pytest.approx(independent.x, abs=1e-7)
    assert fit.loglik == pytest.approx(loglik(counts, softmax(I3, fit.beta)), abs=1e-10)
    # SE = [-ℓ''(β̂)]^(-1/2), second derivative by central differences
    eps = 1e-4
    second = (
        loglik(counts, softmax(I3, fit.beta + eps)) - 2 * fit.loglik + loglik(counts, softmax(I3, fit.beta - eps))
    ) / eps**2
    assert fit.se == pytest.approx(1 / math.sqrt(-second), rel=1e-5)
    lo, hi = fit.confidence_interval()
    assert lo == pytest.approx(fit.beta - 1.959964 * fit.se) and hi == pytest.approx(fit.beta + 1.959964 * fit.se)


def test_softmax_negative_beta_and_float_weights():
    p = softmax(I3, -1.3)
    fit = fit_softmax(p, I3)  # exact probabilities as weights: β̂ is exact
    assert fit.beta == pytest.approx(-1.3, abs=1e-10)


@pytest.mark.parametrize(
    ("counts", "beta", "boundary"),
    [
        ([7, 0, 0, 0, 0, 0], math.inf, "argmax"),
        ([0, 0, 0, 0, 3, 0], -math.inf, "argmin"),
    ],
)
def test_softmax_reports_infinite_beta_when_all_mass_is_on_an_extreme(counts, beta, boundary):
    fit = fit_softmax(counts, I3)
    assert fit.beta == beta and fit.boundary == boundary and fit.se == math.inf
    assert fit.loglik == 0.0
    assert json.loads(json.dumps(fit.to_dict()))["beta"] == ("inf" if beta > 0 else "-inf")


def test_softmax_infinite_beta_with_tied_maxima():
    fit = fit_softmax([4, 6, 0], [1.0, 1.0, 0.0])
    assert fit.beta == math.inf
    np.testing.assert_allclose(fit.probabilities, [0.5, 0.5, 0.0])
    assert fit.loglik == pytest.approx(10 * math.log(0.5))


def test_lorentzian_fit_finds_the_global_maximum_of_a_dense_scan():
    rng = np.random.default_rng(11)
    for _ in range(10):
        a = rng.normal(size=7)
        counts = rng.multinomial(3000, lorentzian(a, rng.uniform(0.1, 2.0)))
        fit = fit_lorentzian(counts, a)
        gammas = np.geomspace(*GAMMA_RANGE, 200001)
        scan = [loglik(counts, p) for p in np.exp(lorentzian_log_probabilities(a, gammas[::50]))]
        assert fit.loglik >= max(scan) - 1e-9
        assert fit.loglik == pytest.approx(loglik(counts, lorentzian(a, fit.gamma)), abs=1e-9)


def test_lorentzian_standard_error_matches_finite_differences():
    a = A8
    counts = np.random.default_rng(2).multinomial(5000, lorentzian(a, 0.4))
    fit = fit_lorentzian(counts, a)
    eps = 1e-4
    t = math.log(fit.gamma)
    ll = [loglik(counts, lorentzian(a, math.exp(t + k * eps))) for k in (-1, 0, 1)]
    second = (ll[0] - 2 * ll[1] + ll[2]) / eps**2
    assert fit.se == pytest.approx(fit.gamma / math.sqrt(-second), rel=1e-4)


def test_lorentzian_at_the_end_of_the_range_is_flagged():
    fit = fit_lorentzian([9, 0, 0, 0, 0, 0], I3)
    assert fit.boundary == "lower" and fit.gamma == pytest.approx(GAMMA_RANGE[0]) and math.isnan(fit.se)


def test_leakage_gap_mapping_scores_minus_d_origin_zero():
    d = np.array([0.6, 1.4, 2.2, 3.0])
    w = 1 / (1 + (d / 0.8) ** 2)
    fit = fit_lorentzian(w / w.sum(), -d, origin=0.0)
    assert fit.gamma == pytest.approx(0.8, abs=1e-6)
    np.testing.assert_allclose(fit.probabilities, w / w.sum(), atol=1e-9)
    p = np.exp(-1.7 * d) / np.exp(-1.7 * d).sum()
    assert fit_softmax(p, -d).beta == pytest.approx(1.7, abs=1e-10)


def test_a23_kl_identity():
    rng = np.random.default_rng(23)
    for _ in range(20):
        a = rng.normal(size=rng.integers(3, 10))
        counts = rng.multinomial(int(rng.integers(50, 20000)), softmax(a, rng.uniform(-2, 3)))
        r = compare_models(counts, a)
        N = counts.sum()
        assert r.delta_loglik == pytest.approx(N * (r.kl_lorentzian - r.kl_softmax), abs=1e-9)
        assert r.delta_aic == pytest.approx(2 * r.delta_loglik, abs=1e-12)


def test_vuong_statistic_from_per_observation_log_ratios():
    a = A8
    counts = np.random.default_rng(4).multinomial(800, softmax(a, 1.2))
    r = compare_models(counts, a)
    observations = np.repeat(np.arange(a.size), counts)
    ratios = np.log(r.softmax.probabilities[observations]) - np.log(r.lorentzian.probabilities[observations])
    z = math.sqrt(observations.size) * ratios.mean() / ratios.std()
    assert r.vuong_z == pytest.approx(z, rel=1e-10)
    assert r.vuong_p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-10)


def test_g_test_matches_scipy_power_divergence():
    a = A8
    counts = np.random.default_rng(6).multinomial(2000, softmax(a, 1.5))
    r = compare_models(counts, a)
    expected = counts.sum() * r.softmax.probabilities
    g, p = power_divergence(counts, expected, ddof=1, lambda_="log-likelihood")
    assert r.preferred == "softmax" and r.g_dof == a.size - 2
    assert r.g_statistic == pytest.approx(g, rel=1e-10) and r.g_pvalue == pytest.approx(p, rel=1e-8)


def test_undecided_when_data_cannot_tell_the_models_apart():
    counts = np.random.default_rng(8).multinomial(30, softmax(I3, 1.0))
    assert compare_models(counts, I3).verdict == "undecided"
    degenerate = compare_models([12, 0, 0, 0, 0, 0], I3)  # every log-ratio equal: Vuong undefined
    assert degenerate.verdict == "undecided" and math.isnan(degenerate.vuong_z)


def test_kl_divergence_conventions():
    assert kl_divergence([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert softmax_log_probabilities([0.0, 1.0], -math.inf).tolist() == [0.0, -math.inf]


@pytest.mark.parametrize(
    ("counts", "scores", "match"),
    [
        ([1, 2], [1.0, 2.0, 3.0], "same length"),
        ([1], [1.0], "at least 2"),
        ([0, 0, 0], [1.0, 2.0, 3.0], "all counts are zero"),
        ([1, -1, 0], [1.0, 2.0, 3.0], "≥ 0"),
        ([1, 2, 3], [1.0, 1.0, 1.0], "all scores are equal"),
        ([1, np.nan], [1.0, 2.0], "finite"),
    ],
)
def test_bad_input(counts, scores, match):
    with pytest.raises(InvalidInputError, match=match):
        compare_models(counts, scores)


def test_bad_alpha_and_flat_lorentzian():
    with pytest.raises(InvalidInputError, match="alpha"):
        compare_models([1, 2, 3], I3[:3], alpha=1.5)
    with pytest.raises(InvalidInputError, match="does not depend on γ"):
        fit_lorentzian([1, 2], [1.0, -1.0], origin=0.0)


@pytest.mark.slow
def test_a24_fit_calibration_monte_carlo():
    """THEORY A24: I3, softmax β = 1, N = 5000 multinomial counts, 200 seeded replicates."""
    rng = np.random.default_rng(2024)
    p = softmax(I3, 1.0)
    betas, covered, softmax_wins = [], 0, 0
    for _ in range(200):
        r = compare_models(rng.multinomial(5000, p), I3)
        betas.append(r.softmax.beta)
        lo, hi = r.softmax.confidence_interval(0.95)
        covered += lo <= 1.0 <= hi
        softmax_wins += r.delta_loglik > 0
    assert abs(np.mean(betas) - 1.0) < 0.01
    assert 0.91 <= covered / 200 <= 0.99
    assert softmax_wins / 200 >= 0.90
