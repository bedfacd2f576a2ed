"""Goodness of fit of a fitted categorical model: the G statistic with sparse bins pooled, or a bootstrap.

The G statistic (the deviance) of counts n_m against a fitted model P̂_m is G = 2 Σ n_m log(n_m / (N P̂_m)).
Its χ² reference needs expected counts that are not too small, so :func:`g_test` first **pools sparse bins**:
categories are sorted by expected count and the smallest is merged into the next smallest until every pooled
bin expects at least ``min_expected`` reads (default 5, Cochran's rule). The degrees of freedom are then
(pooled bins) − 1 − (fitted parameters). When pooling leaves no degree of freedom (few reads), the p-value comes
from a **parametric bootstrap** of the unpooled G instead: ``refit`` is given counts drawn from the fitted model
(seeded) and G is recomputed on each draw; p = (1 + #{G* ≥ G}) / (1 + draws).

>>> import numpy as np
>>> p = np.array([0.5, 0.3, 0.15, 0.04, 0.01])
>>> test = g_test(np.array([510, 290, 148, 42, 10]), p)
>>> test.method, test.num_bins, test.dof, round(test.pvalue, 2)
('chi2', 5, 3, 0.88)
>>> g_test(np.array([5, 3, 2, 0, 0]), p).num_bins  # 10 reads: bins of expected < 5 pooled
2
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.stats import chi2

from qflow_core.errors import InvalidInputError
from qflow_core.io import to_jsonable

__all__ = ["BOOTSTRAP_DRAWS", "MIN_EXPECTED", "GTest", "Verdict", "decide", "g_statistic", "g_test", "pool_sparse_bins"]

Verdict = Literal["softmax", "lorentzian", "neither", "undecided"]

#: Pooled bins expect at least this many reads (Cochran's rule for the χ² approximation).
MIN_EXPECTED = 5.0
#: Parametric-bootstrap draws used when pooling leaves no degree of freedom.
BOOTSTRAP_DRAWS = 199


@dataclass(frozen=True)
class GTest:
    """One goodness-of-fit test: ``statistic`` G on ``num_bins`` pooled bins with ``dof`` degrees of freedom,
    its ``pvalue``, and the ``method`` ("chi2" on pooled bins, "bootstrap", or "none" when undefined)."""

    statistic: float
    dof: int
    pvalue: float
    num_bins: int
    method: Literal["chi2", "bootstrap", "none"]

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]


def pool_sparse_bins(expected: Any, min_expected: float = MIN_EXPECTED) -> list[np.ndarray]:
    """Groups of category indices: the smallest-expected bin merged into the next smallest until each group
    expects ≥ ``min_expected`` (or one group is left).

    >>> [g.tolist() for g in pool_sparse_bins([10.0, 1.0, 2.0, 8.0, 3.0])]
    [[0], [1, 2, 4], [3]]
    """
    e = np.asarray(expected, dtype=float)
    groups = [np.array([i]) for i in np.argsort(e, kind="stable")]
    totals = [float(e[g].sum()) for g in groups]
    while len(groups) > 1:
        order = np.argsort(totals, kind="stable")
        if totals[order[0]] >= min_expected:
            break
        a, b = int(order[0]), int(order[1])
        groups[b] = np.sort(np.concatenate([groups[b], groups[a]]))
        totals[b] += totals[a]
        del groups[a], totals[a]
    return sorted(groups, key=lambda g: int(g[0]))


def g_statistic(counts: np.ndarray, expected: np.ndarray) -> float:
    """G = 2 Σ n log(n / e) over bins with n > 0 (inf when a bin with reads expects none)."""
    mask = counts > 0
    if np.any(expected[mask] <= 0):
        return math.inf
    return float(2 * np.sum(counts[mask] * np.log(counts[mask] / expected[mask])))


def _pooled(counts: np.ndarray, expected: np.ndarray, groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([counts[g].sum() for g in groups]), np.array([expected[g].sum() for g in groups])


def g_test(
    counts: Any,
    probabilities: Any,
    *,
    num_params: int = 1,
    min_expected: float = MIN_EXPECTED,
    refit: Callable[[np.ndarray], np.ndarray] | None = None,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = 0,
) -> GTest:
    """G-test of ``counts`` against the fitted ``probabilities`` (see the module docstring).

    ``num_params``: parameters fitted to these counts (subtracted from the degrees of freedom). ``refit``:
    counts → fitted probabilities, used by the bootstrap when pooling leaves no degree of freedom (without it
    the test is then reported as undefined, ``method="none"``).
    """
    n = np.asarray(counts, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if n.shape != p.shape or n.ndim != 1 or n.sum() <= 0:
        raise InvalidInputError(
            f"counts and probabilities must be 1-D of one length with reads; got shapes {n.shape}, {p.shape}"
        )
    total = float(n.sum())
    groups = pool_sparse_bins(total * p, min_expected)
    observed, expected = _pooled(n, total * p, groups)
    g = g_statistic(observed, expected)
    dof = len(groups) - 1 - num_params
    if dof > 0:
        return GTest(g, dof, float(chi2.sf(g, dof)), len(groups), "chi2")
    if refit is None or not math.isfinite(g):
        return GTest(g, max(dof, 0), 0.0 if math.isinf(g) else math.nan, len(groups), "none")
    g = g_statistic(n, total * p)  # the bootstrap calibrates G itself: no pooling needed
    rng = np.random.default_rng(seed)
    exceed = 0
    for draw in rng.multinomial(round(total), p / p.sum(), size=draws).astype(float):
        exceed += g_statistic(draw, total * refit(draw)) >= g - 1e-9 * max(1.0, g)
    return GTest(g, 0, (1 + exceed) / (1 + draws), n.size, "bootstrap")


def decide(vuong_z: float, vuong_p: float, p_softmax: float, p_lorentzian: float, alpha: float) -> tuple[Verdict, str]:
    """The verdict at level ``alpha`` from Vuong's test and each model's goodness-of-fit p-value, with its reason.

    1. both models rejected by their G-test at ``alpha`` → ``"neither"``;
    2. Vuong significant at ``alpha`` and its winner not rejected → the winner;
    3. otherwise, one model rejected at ``alpha / 2`` while the other is not rejected → the other;
    4. else ``"undecided"``.

    Under a true model, a wrong-model verdict needs the true model's G-test to reject at α/2 (step 3) or Vuong
    to point the wrong way at α (probability ≤ α/2): the wrong-model rate is at most α, the false-"neither" rate
    at most α (the true model rejected at α).

    >>> decide(4.0, 6e-5, 0.4, 1e-9, 0.05)
    ('softmax', 'Vuong z = +4 (p = 6e-05) favours softmax, which fits (G-test p = 0.4)')
    >>> decide(0.5, 0.6, 1e-6, 1e-4, 0.05)[0]
    'neither'
    """
    nan_p = {k: (1.0 if math.isnan(v) else v) for k, v in (("softmax", p_softmax), ("lorentzian", p_lorentzian))}
    fits = f"G-test p: softmax {_p(p_softmax)}, Lorentzian {_p(p_lorentzian)}"
    if nan_p["softmax"] < alpha and nan_p["lorentzian"] < alpha:
        return "neither", f"both models rejected at alpha = {alpha:g} ({fits})"
    if vuong_p < alpha:
        winner: Literal["softmax", "lorentzian"] = "softmax" if vuong_z > 0 else "lorentzian"
        vuong = f"Vuong z = {vuong_z:+.3g} (p = {_p(vuong_p)}) favours {winner}"
        if nan_p[winner] >= alpha:
            return winner, f"{vuong}, which fits (G-test p = {_p(nan_p[winner])})"
        return "undecided", f"{vuong} but its G-test rejects it ({fits})"
    for rejected, other in (("softmax", "lorentzian"), ("lorentzian", "softmax")):
        if nan_p[rejected] < alpha / 2 and nan_p[other] >= alpha:
            why = f"{rejected} rejected (G-test p = {_p(nan_p[rejected])} < alpha/2), {other} fits"
            return other, f"{why}; Vuong not significant"  # type: ignore[return-value]
    vuong = "Vuong undefined" if math.isnan(vuong_p) else f"Vuong p = {_p(vuong_p)}"
    return "undecided", f"not distinguishable ({vuong}; {fits})"


def _p(p: float) -> str:
    return "n/a" if math.isnan(p) else format(p, ".2g")
