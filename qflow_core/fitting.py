"""Maximum-likelihood fits of categorical histograms: softmax vs Lorentzian, and model selection.

Data are counts ``n_m`` over M categories with one real **score** ``a_m`` each. The two one-parameter models
are

* softmax: P_S(m | β) = exp(β a_m) / Σ exp(β a_m'),
* Lorentzian: P_L(m | γ) ∝ 1 / (1 + (x_m / γ)²) with the distance x_m = origin − a_m; ``origin`` defaults to
  max(a), so x_m is the gap to the best category.

Mapping to the two experiments that use this module:

* attention map (one-hot states e_m with scores a_m = λ q·k_m): ``scores = a``, default ``origin``; then
  x_m = a_max − a_m = E(e_m) − E(e_argmax) is the one-hot energy gap;
* leakage channels with gaps d_k: ``scores = -d`` and ``origin = 0``, which gives the softmax
  exp(−β d_k) and the Lorentzian 1 / (1 + (d_k / γ)²).

:func:`fit_softmax` solves the concave score equation ⟨a⟩_β = ā by bracketing and Brent's method (β̂ = ±∞ when
all mass sits on the arg-max / arg-min, reported in ``boundary``); :func:`fit_lorentzian` scans log γ on a grid
over [1e-4, 1e4] and refines with bounded Brent; :func:`compare_models` reports Δℓ, ΔAIC, the KL divergences,
Vuong's z and p, the G-test of each model (:func:`qflow_core.goodness.g_test`: sparse bins pooled, bootstrap
when too few reads) and a verdict at the 5 % level that accounts for both (:func:`qflow_core.goodness.decide`).

>>> import numpy as np
>>> a = np.array([1.0, 0.5, 0.0, -0.5, -1.0, 0.25])
>>> counts = np.round(10000 * np.exp(2 * a) / np.exp(2 * a).sum())
>>> fit = fit_softmax(counts, a)
>>> round(fit.beta, 2), fit.boundary
(2.0, None)
>>> cmp = compare_models(counts, a)
>>> cmp.verdict, cmp.delta_loglik > 0
('softmax', True)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import logsumexp
from scipy.stats import norm

from qflow_core.errors import InvalidInputError
from qflow_core.goodness import GTest, Verdict, decide, g_test
from qflow_core.io import to_jsonable

__all__ = [
    "GAMMA_RANGE",
    "LorentzianFit",
    "ModelComparison",
    "SoftmaxFit",
    "compare_models",
    "decide",
    "fit_lorentzian",
    "fit_softmax",
    "kl_divergence",
    "lorentzian_log_probabilities",
    "softmax_log_probabilities",
]

#: Search range of the Lorentzian width γ, in score units.
GAMMA_RANGE = (1e-4, 1e4)
#: Grid points per decade of γ before the bounded Brent refinement.
GRID_POINTS_PER_DECADE = 20


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (numpy arrays become lists, ±∞ become the strings "inf"/"-inf")."""
        return to_jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]


@dataclass(frozen=True)
class SoftmaxFit(_ToDict):
    """MLE of β in P(m) ∝ exp(β a_m).

    ``beta`` is ±inf when all mass sits on the arg-max / arg-min categories; ``boundary`` then says
    "argmax" / "argmin" and ``se`` is inf. ``se`` = [N Var_β̂(a)]^(−1/2).
    """

    beta: float
    se: float
    loglik: float
    probabilities: np.ndarray
    num_samples: float
    boundary: Literal["argmax", "argmin"] | None = None

    def confidence_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Wald interval β̂ ± z·SE (``(-inf, inf)``-sided at a boundary)."""
        z = float(norm.ppf(0.5 + level / 2))
        return (self.beta - z * self.se, self.beta + z * self.se)


@dataclass(frozen=True)
class LorentzianFit(_ToDict):
    """MLE of γ in P(m) ∝ 1 / (1 + ((origin − a_m)/γ)²) over γ ∈ :data:`GAMMA_RANGE`.

    ``se`` is the delta-method standard error γ̂·SE(log γ̂) from the observed information (nan when γ̂ sits
    on an end of the range, then named in ``boundary``: "lower" or "upper").
    """

    gamma: float
    se: float
    loglik: float
    probabilities: np.ndarray
    num_samples: float
    origin: float
    boundary: Literal["lower", "upper"] | None = None


@dataclass(frozen=True)
class ModelComparison(_ToDict):
    """Softmax vs Lorentzian on one histogram.

    * ``delta_loglik`` Δℓ = ℓ̂_S − ℓ̂_L (> 0 favours softmax), ``delta_aic`` = AIC_L − AIC_S = 2Δℓ and
      ``delta_bic`` = BIC_L − BIC_S (also 2Δℓ: both models have one parameter);
    * ``kl_softmax``, ``kl_lorentzian``: KL(p̂ ‖ fitted model), so Δℓ = N (KL_L − KL_S);
    * ``vuong_z`` = √N r̄ / sd(r), r = log P_Ŝ(m) − log P_L̂(m) under p̂, with two-sided ``vuong_p``
      (nan when r does not vary, e.g. all reads in one category: the test is undefined);
    * ``softmax_fit`` / ``lorentzian_fit``: each model's G-test (:class:`~qflow_core.goodness.GTest`, sparse
      bins pooled); ``preferred`` the model with the higher likelihood and ``g_statistic`` / ``g_dof`` /
      ``g_pvalue`` its test;
    * ``verdict`` and its ``reason``: :func:`~qflow_core.goodness.decide` at level ``alpha``.
    """

    softmax: SoftmaxFit
    lorentzian: LorentzianFit
    delta_loglik: float
    delta_aic: float
    kl_softmax: float
    kl_lorentzian: float
    vuong_z: float
    vuong_p: float
    preferred: Literal["softmax", "lorentzian"]
    g_statistic: float
    g_dof: int
    g_pvalue: float
    alpha: float
    verdict: Verdict
    delta_bic: float
    softmax_fit: GTest
    lorentzian_fit: GTest
    reason: str


# -- validation ---------------------------------------------------------------------------------------------
def _check_data(counts: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(counts, dtype=float)
    a = np.asarray(scores, dtype=float)
    if n.ndim != 1 or a.ndim != 1 or n.shape != a.shape:
        raise InvalidInputError(
            f"counts and scores must be 1-D arrays of the same length; got shapes {n.shape} and {a.shape}"
        )
    if n.size < 2:
        raise InvalidInputError(f"need at least 2 categories to fit a distribution, got {n.size}")
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(a))):
        raise InvalidInputError("counts and scores must be finite numbers")
    if np.any(n < 0):
        raise InvalidInputError("counts must be ≥ 0")
    if n.sum() <= 0:
        raise InvalidInputError("all counts are zero: there is nothing to fit (were all reads invalid?)")
    if np.ptp(a) == 0:
        raise InvalidInputError("all scores are equal: the distribution does not depend on the parameter")
    return n, a


def _loglik(counts: np.ndarray, log_p: np.ndarray) -> float:
    """Σ n_m log P_m with the convention 0·log 0 = 0."""
    mask = counts > 0
    return float(np.sum(counts[mask] * log_p[mask]))


def kl_divergence(p: Any, q: Any) -> float:
    """KL(p ‖ q) = Σ p log(p/q) in nats, with 0·log(0/q) = 0 (inf if q = 0 where p > 0).

    >>> round(kl_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]), 12) == round(math.log(2), 12)
    True
    """
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    mask = p > 0
    if np.any(q[mask] <= 0):
        return math.inf
    return float(np.sum(p[mask] * (np.log(p[mask]) - np.log(q[mask]))))


# -- softmax ------------------------------------------------------------------------------------------------
def softmax_log_probabilities(scores: Any, beta: float) -> np.ndarray:
    """log softmax(β a); β = ±inf gives the uniform distribution over the arg-max / arg-min set.

    >>> np.exp(softmax_log_probabilities([0.0, 1.0, 1.0], math.inf)).tolist()
    [0.0, 0.5, 0.5]
    """
    a = np.asarray(scores, dtype=float)
    if math.isinf(beta):
        extreme = a == (a.max() if beta > 0 else a.min())
        with np.errstate(divide="ignore"):
            return np.where(extreme, -np.log(extreme.sum()), -np.inf)
    z = beta * a
    return z - logsumexp(z)


def fit_softmax(counts: Any, scores: Any) -> SoftmaxFit:
    """Maximum-likelihood β of P(m) ∝ exp(β·scores_m) from counts.

    ℓ_S is strictly concave; β̂ is the root of ⟨a⟩_β = ā, bracketed by doubling and solved with Brent's
    method. All counts on the arg-max (arg-min) categories give β̂ = +inf (−inf), stated in ``boundary``.
    For leakage gaps d pass ``scores = -d``.

    >>> fit_softmax([0, 0, 7], [0.0, 0.5, 1.0]).beta
    inf
    """
    n, a = _check_data(counts, scores)
    total = float(n.sum())
    a_bar = float(n @ a) / total
    on_max = n[a == a.max()].sum() == total
    on_min = n[a == a.min()].sum() == total
    if on_max or on_min:
        beta = math.inf if on_max else -math.inf
        log_p = softmax_log_probabilities(a, beta)
        return SoftmaxFit(beta, math.inf, _loglik(n, log_p), np.exp(log_p), total, "argmax" if on_max else "argmin")

    def excess_mean(beta: float) -> float:  # ⟨a⟩_β − ā, increasing in β
        return float(np.exp(softmax_log_probabilities(a, beta)) @ a) - a_bar

    step = 1.0 / float(np.ptp(a))
    lo, hi = 0.0, 0.0
    direction = 1.0 if excess_mean(0.0) < 0 else -1.0
    while True:
        lo, hi = hi, hi + direction * step
        if direction * excess_mean(hi) >= 0:
            break
        step *= 2.0
    lo, hi = sorted((lo, hi))
    beta = float(brentq(excess_mean, lo, hi, xtol=1e-14, maxiter=500)) if lo != hi else lo
    log_p = softmax_log_probabilities(a, beta)
    p = np.exp(log_p)
    variance = float(p @ (a - p @ a) ** 2)
    se = 1.0 / math.sqrt(total * variance) if variance > 0 else math.inf
    return SoftmaxFit(beta, se, _loglik(n, log_p), p, total)


# -- Lorentzian ---------------------------------------------------------------------------------------------
def lorentzian_log_probabilities(scores: Any, gamma: Any, origin: float | None = None) -> np.ndarray:
    """log P_L(m | γ), P_L ∝ 1/(1 + ((origin − a_m)/γ)²); ``gamma`` may be an array (one row per value).

    >>> np.exp(lorentzian_log_probabilities([1.0, 0.0], 1.0)).round(4).tolist()
    [0.6667, 0.3333]
    """
    a = np.asarray(scores, dtype=float)
    x = (a.max() if origin is None else float(origin)) - a
    g = np.asarray(gamma, dtype=float)
    log_w = -np.log1p((x / g[..., None]) ** 2) if g.ndim else -np.log1p((x / g) ** 2)
    return log_w - logsumexp(log_w, axis=-1, keepdims=True)


def _lorentzian_se(n: np.ndarray, x: np.ndarray, gamma: float) -> float:
    """Delta-method SE of γ̂ from the observed information in t = log γ (analytic second derivative)."""
    u = (x / gamma) ** 2
    q = 2 * u / (1 + u)  # d log w_m / dt
    dq = -4 * u / (1 + u) ** 2  # d q_m / dt
    w = 1 / (1 + u)
    p = w / w.sum()
    total = n.sum()
    info = total * (p @ dq + p @ (q - p @ q) ** 2) - n @ dq  # −d²ℓ/dt²
    return gamma / math.sqrt(info) if info > 0 else math.nan


def fit_lorentzian(counts: Any, scores: Any, *, origin: float | None = None) -> LorentzianFit:
    """Maximum-likelihood γ of P(m) ∝ 1/(1 + ((origin − scores_m)/γ)²).

    ℓ_L need not be concave, so log γ is scanned on a grid over :data:`GAMMA_RANGE` and the best grid
    point refined with bounded Brent between its neighbours. ``origin`` defaults to max(scores) (one-hot
    gaps); for leakage gaps d pass ``scores = -d, origin = 0``.

    >>> a = [1.0, 0.5, 0.0, -0.5]
    >>> p = np.exp(lorentzian_log_probabilities(a, 0.3))
    >>> round(fit_lorentzian(np.round(1e6 * p), a).gamma, 3)
    0.3
    """
    n, a = _check_data(counts, scores)
    origin = float(a.max()) if origin is None else float(origin)
    if not math.isfinite(origin):
        raise InvalidInputError(f"origin must be a finite number, got {origin}")
    x = origin - a
    if np.ptp(np.abs(x)) == 0:
        raise InvalidInputError("all |origin − score| are equal: the Lorentzian does not depend on γ")
    lo, hi = np.log(GAMMA_RANGE)
    decades = math.log10(GAMMA_RANGE[1] / GAMMA_RANGE[0])
    grid = np.linspace(lo, hi, round(decades * GRID_POINTS_PER_DECADE) + 1)
    log_p_grid = lorentzian_log_probabilities(a, np.exp(grid), origin)
    mask = n > 0
    values = log_p_grid[:, mask] @ n[mask]
    best = int(np.argmax(values))

    def negative_loglik(t: float) -> float:
        return -_loglik(n, lorentzian_log_probabilities(a, math.exp(t), origin))

    left, right = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    result = minimize_scalar(negative_loglik, bounds=(left, right), method="bounded", options={"xatol": 1e-10})
    t = float(result.x) if -result.fun >= values[best] else float(grid[best])
    gamma = math.exp(t)
    boundary = "lower" if t - lo < 1e-6 else "upper" if hi - t < 1e-6 else None
    log_p = lorentzian_log_probabilities(a, gamma, origin)
    se = math.nan if boundary else _lorentzian_se(n, x, gamma)
    return LorentzianFit(gamma, se, _loglik(n, log_p), np.exp(log_p), float(n.sum()), origin, boundary)


# -- model selection ----------------------------------------------------------------------------------------
def compare_models(counts: Any, scores: Any, *, origin: float | None = None, alpha: float = 0.05) -> ModelComparison:
    """Fit both models, test each one's fit and compare them; see :class:`ModelComparison`.

    >>> a = np.linspace(1, -1, 8)
    >>> p = np.exp(lorentzian_log_probabilities(a, 0.2))
    >>> compare_models(np.round(20000 * p), a).verdict
    'lorentzian'
    """
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must lie in (0, 1), got {alpha}")
    n, a = _check_data(counts, scores)
    soft = fit_softmax(n, a)
    lor = fit_lorentzian(n, a, origin=origin)
    total = float(n.sum())
    p_hat = n / total
    delta = soft.loglik - lor.loglik
    mask = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(soft.probabilities[mask]) - np.log(lor.probabilities[mask])
    r_bar = float(p_hat[mask] @ r)
    sd = math.sqrt(float(p_hat[mask] @ (r - r_bar) ** 2)) if np.all(np.isfinite(r)) else math.nan
    if sd > 1e-12 * max(1.0, abs(r_bar)) and math.isfinite(sd):
        z = math.sqrt(total) * r_bar / sd
        p_value = float(2 * norm.sf(abs(z)))
    else:
        z = p_value = math.nan
    soft_test = g_test(n, soft.probabilities, refit=lambda c: fit_softmax(c, a).probabilities)
    lor_test = g_test(n, lor.probabilities, refit=lambda c: fit_lorentzian(c, a, origin=origin).probabilities)
    verdict, reason = decide(z, p_value, soft_test.pvalue, lor_test.pvalue, alpha)
    preferred: Literal["softmax", "lorentzian"] = "softmax" if delta >= 0 else "lorentzian"
    chosen = soft_test if preferred == "softmax" else lor_test
    return ModelComparison(
        softmax=soft,
        lorentzian=lor,
        delta_loglik=delta,
        delta_aic=2 * delta,
        kl_softmax=kl_divergence(p_hat, soft.probabilities),
        kl_lorentzian=kl_divergence(p_hat, lor.probabilities),
        vuong_z=z,
        vuong_p=p_value,
        preferred=preferred,
        g_statistic=chosen.statistic,
        g_dof=chosen.dof,
        g_pvalue=chosen.pvalue,
        alpha=alpha,
        verdict=verdict,
        delta_bic=2 * delta,
        softmax_fit=soft_test,
        lorentzian_fit=lor_test,
        reason=reason,
    )
