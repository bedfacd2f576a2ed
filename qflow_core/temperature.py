"""The effective inverse temperature of any set of samples: maximum pseudo-likelihood β̂, bootstrap, TV distance.

Whatever produced the samples, one can ask which Boltzmann distribution exp(−βE)/Z they resemble most. The
**pseudo-likelihood** answers without the partition function (the method ``dwave.system.temperatures`` applies to
QPU samples, here for any SampleSet): for a read s and a spin i, the Boltzmann probability of s_i given the other
spins is σ(β ΔE_i(s)), σ(x) = 1/(1 + e^{−x}), with ΔE_i(s) = E(s with s_i flipped) − E(s). The pseudo-log-likelihood
Σ_reads Σ_i log σ(β ΔE_i) is concave in β; β̂ is its root, found by bracketing and Brent's method (+inf when every
read is a local minimum, −inf when every read is a local maximum). The interval is a percentile bootstrap over
reads (seeded), and :attr:`BetaEstimate.tv` is the total-variation distance between the samples' histogram and the
Boltzmann distribution at β̂ (by enumeration, n ≤ :data:`MAX_TV_SPINS`), next to ``tv_floor``: the median TV of
as many reads drawn from that Boltzmann distribution itself (what a perfect thermal sampler would show).

>>> import dimod, numpy as np
>>> bqm = dimod.BQM({0: 0.5, 1: -0.3, 2: 0.2}, {(0, 1): -1.0, (1, 2): 0.7}, 0.0, "SPIN")
>>> states = dimod.ExactSolver().sample(bqm)
>>> p = np.exp(-1.5 * states.record.energy); p /= p.sum()
>>> counts = np.random.default_rng(0).multinomial(20000, p)
>>> ss = dimod.SampleSet.from_samples_bqm((states.record.sample, states.variables), bqm, num_occurrences=counts)
>>> est = pseudolikelihood_beta(bqm, ss, seed=1)
>>> est.interval[0] < 1.5 < est.interval[1], est.tv < 2 * est.tv_floor
(True, True)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from qflow_core.errors import InvalidInputError
from qflow_core.io import to_jsonable

__all__ = ["BOOTSTRAP_RESAMPLES", "MAX_TV_SPINS", "BetaEstimate", "flip_energy_changes", "pseudolikelihood_beta"]

#: Bootstrap resamples of the reads for the interval of β̂.
BOOTSTRAP_RESAMPLES = 100
#: Largest number of spins for which the TV distance to Boltzmann is computed by enumerating 2^n states.
MAX_TV_SPINS = 16


@dataclass(frozen=True)
class BetaEstimate:
    """β̂ with its bootstrap ``interval`` at ``level``; ``tv`` / ``tv_floor`` (None when n > MAX_TV_SPINS)."""

    beta: float
    interval: tuple[float, float]
    level: float
    num_reads: int
    tv: float | None
    tv_floor: float | None

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]


def flip_energy_changes(bqm: dimod.BinaryQuadraticModel, sampleset: dimod.SampleSet) -> tuple[np.ndarray, np.ndarray]:
    """(ΔE (rows, n), reads per row): E(s with spin i flipped) − E(s) for every row s of ``sampleset``."""
    spin = bqm if bqm.vartype is dimod.SPIN else bqm.change_vartype(dimod.SPIN, inplace=False)
    order = list(sampleset.variables)
    if set(order) != set(spin.variables):
        raise InvalidInputError("the samples and the BQM have different variables")
    samples = np.asarray(sampleset.record.sample, dtype=float)
    if sampleset.vartype is dimod.BINARY:
        samples = 2 * samples - 1
    linear, (row, col, quad), _ = spin.to_numpy_vectors(variable_order=order)
    coupling = np.zeros((len(order), len(order)))
    np.add.at(coupling, (row, col), quad)
    coupling = coupling + coupling.T
    field = linear + samples @ coupling
    return -2.0 * samples * field, np.asarray(sampleset.record.num_occurrences, dtype=float)


def _beta_root(values: np.ndarray, counts: np.ndarray) -> float:
    """Root of Σ_u c_u ΔE_u σ(−β ΔE_u) over the distinct flip energies ΔE_u with multiplicities c_u."""

    def score(beta: float) -> float:
        return float(counts @ (values * expit(-beta * values)))

    used = counts > 0
    if not np.any(values[used] < 0):
        return math.inf
    if not np.any(values[used] > 0):
        return -math.inf
    scale = 1.0 / max(float(np.max(np.abs(values[used]))), 1e-300)
    lo, hi = -scale, scale
    while score(hi) > 0:
        lo, hi = hi, 2 * hi
    while score(lo) < 0:
        lo, hi = 2 * lo, lo
    return float(brentq(score, lo, hi, xtol=1e-12 * max(1.0, abs(hi)), maxiter=500))


def pseudolikelihood_beta(
    bqm: dimod.BinaryQuadraticModel,
    sampleset: dimod.SampleSet,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
    seed: int = 0,
) -> BetaEstimate:
    """Maximum pseudo-likelihood β̂ of ``sampleset`` for ``bqm`` (see the module docstring)."""
    delta, weights = flip_energy_changes(bqm, sampleset)
    total = int(weights.sum())
    if total <= 0:
        raise InvalidInputError("the SampleSet has no reads to estimate a temperature from")
    values, inverse = np.unique(delta, return_inverse=True)
    per_row = np.zeros((delta.shape[0], values.size))  # how often each distinct ΔE occurs in each row
    np.add.at(per_row, (np.repeat(np.arange(delta.shape[0]), delta.shape[1]), inverse.ravel()), 1.0)
    beta = _beta_root(values, weights @ per_row)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, weights / total, size=resamples).astype(float)
    boot = np.array([_beta_root(values, c) for c in draws @ per_row])
    quantiles = [(1 - level) / 2, (1 + level) / 2]  # no interpolation: β̂ may be ±inf
    lo, hi = np.quantile(boot, quantiles, method="inverted_cdf") if resamples else (math.nan, math.nan)
    tv = floor = None
    if bqm.num_variables <= MAX_TV_SPINS:
        tv, floor = _tv_to_boltzmann(bqm, sampleset, beta, total, rng)
    return BetaEstimate(beta, (float(lo), float(hi)), level, total, tv, floor)


def _tv_to_boltzmann(
    bqm: dimod.BinaryQuadraticModel, sampleset: dimod.SampleSet, beta: float, total: int, rng: np.random.Generator
) -> tuple[float, float]:
    states = dimod.ExactSolver().sample(bqm)
    energies = states.record.energy
    if math.isinf(beta):
        extreme = energies.min() if beta > 0 else energies.max()
        logw = np.where(np.isclose(energies, extreme), 0.0, -np.inf)
    else:
        logw = -beta * (energies - (energies.min() if beta > 0 else energies.max()))
    p = np.exp(logw - np.logaddexp.reduce(logw))
    index = {tuple(row): k for k, row in enumerate(states.change_vartype(sampleset.vartype).record.sample)}
    columns = [list(sampleset.variables).index(v) for v in states.variables]
    observed = np.zeros(p.size)
    for row, count in zip(sampleset.record.sample[:, columns], sampleset.record.num_occurrences, strict=True):
        observed[index[tuple(row)]] += count
    tv = 0.5 * float(np.abs(observed / total - p).sum())
    floor = np.median([0.5 * np.abs(d / total - p).sum() for d in rng.multinomial(total, p, size=20)])
    return tv, float(floor)
