"""Protocol physics on a QPU: Γ → reverse-anneal turning point, and the effective β of a sample set.

**Γ → s.** D-Wave anneals H(s) = −A(s)/2 Σσˣ + B(s)/2 · E_prog(σᶻ). When qflow programs the logical problem
scaled by c (``auto_scale=False``, E_prog = c·E), dividing by c·B(s)/2 gives E − Γ Σσˣ with
Γ = A(s)/(c·B(s)); so the turning point of a reverse anneal is ``s_target = schedule.s_for_gamma(c·Γ)``
(s = 1 when c·Γ is below the schedule's smallest A/B, i.e. no transverse field).

**Effective β.** A QPU samples roughly Boltzmann at a fixed β in programmed units, so at scale c the logical
β is c·β_QPU. :func:`estimate_beta` fits it by maximum pseudo-likelihood
(``dwave.system.temperatures.maximum_pseudolikelihood_temperature``) on one row per read, with a bootstrap
error from resampling all N reads (the size the bootstrap needs; see the Ocean notes).

>>> from qflow_core.schedules import default_schedule
>>> schedule = reverse_schedule(0.6, pause_us=5.0, max_slope=2.0)
>>> schedule
[[0.0, 1.0], [0.2, 0.6], [5.2, 0.6], [5.4, 1.0]]
>>> s = turning_point(default_schedule(), gamma=0.05, scale=1.0); round(s, 4)
0.6419
>>> round(float(default_schedule().gamma(s)), 12)
0.05
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.schedules import AnnealSchedule
from qflow_dwave._ocean import ocean

if TYPE_CHECKING:
    import dimod

__all__ = ["BOOTSTRAP_REPLICATES", "estimate_beta", "reverse_schedule", "turning_point"]

BOOTSTRAP_REPLICATES = 100


def turning_point(schedule: AnnealSchedule, *, gamma: float, scale: float) -> float:
    """Anneal fraction s where A(s)/B(s) = scale·Γ (1.0 when that is below the schedule's range)."""
    target = scale * gamma
    if target <= float(schedule.gamma(1.0)):
        return 1.0
    if target > float(schedule.gamma(0.0)):
        raise InvalidInputError(
            f"Γ = {gamma} (programmed A/B = {target:.4g}) is stronger than the schedule's A(0)/B(0) = "
            f"{float(schedule.gamma(0.0)):.4g}; use a smaller gamma"
        )
    return schedule.s_for_gamma(target)


def reverse_schedule(s_target: float, *, pause_us: float, max_slope: float) -> list[list[float]]:
    """Reverse anneal 1 → s_target (at the maximum slope) → pause ``pause_us`` µs → back to 1.

    With s_target = 1 it is a plain hold at s = 1 for ``pause_us``.
    """
    if s_target >= 1.0:
        return [[0.0, 1.0], [float(pause_us), 1.0]]
    ramp = math.ceil((1.0 - s_target) / max_slope * 1e6) / 1e6  # 1 ps grid, never steeper than max_slope
    points = [(0.0, 1.0), (ramp, s_target), (ramp + pause_us, s_target), (2 * ramp + pause_us, 1.0)]
    return [[round(t, 6), s] for t, s in points]


def estimate_beta(
    bqm: dimod.BinaryQuadraticModel, sampleset: dimod.SampleSet, *, seed: int, replicates: int = BOOTSTRAP_REPLICATES
) -> tuple[float, float]:
    """Maximum-pseudo-likelihood β̂ of ``sampleset`` under ``bqm`` and its bootstrap standard error.

    The pseudo-likelihood is a sum over reads, so the fit runs on the *distinct* states with their read counts
    as ``sample_weights`` (a few hundred rows where the reads number 10⁴). The bootstrap resamples all N reads
    ``replicates`` times — a multinomial draw of the counts — and refits on the precomputed effective fields
    (O(replicates·distinct states)); the function's built-in bootstrap draws ``num_bootstrap_samples`` reads per
    replicate *and* that many replicates (O(N²)), and under-sized resamples inflate the error.
    """
    import dimod

    temperatures = ocean("temperatures")
    rows, inverse = np.unique(sampleset.record.sample, axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=sampleset.record.num_occurrences, minlength=len(rows))
    states = dimod.SampleSet.from_samples_bqm((rows, list(sampleset.variables)), bqm)
    fields = temperatures.effective_field(bqm, states, current_state_energy=True)[0]

    def fitted_temperature(weights: np.ndarray) -> float:
        used = weights > 0  # Ocean mis-indexes zero weights: pass only the states drawn
        fit = temperatures.maximum_pseudolikelihood_temperature
        return float(fit(en1=fields[used], sample_weights=weights[used])[0])

    temperature = fitted_temperature(counts)
    rng = np.random.default_rng(seed)
    n = int(counts.sum())
    draws = rng.multinomial(n, counts / n, size=replicates)
    replicate_temperatures = np.array([fitted_temperature(draw.astype(float)) for draw in draws])
    # A resample of reads that are all local minima fits temperature 0 (β̂ = ∞): it carries no spread, drop it.
    betas = 1.0 / replicate_temperatures[replicate_temperatures > 0]
    beta = 1.0 / temperature if temperature > 0 else float("inf")
    return beta, float(np.std(betas)) if betas.size else float("inf")
