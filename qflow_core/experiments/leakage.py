"""Measured leakage out of one stored pattern, next to the softmax and Lorentzian predictions.

A ``Survival`` protocol is run from ``pattern``; reads are classified as returns, single-flip escapes into
channel k (weights p̂_k = n_k / Σ_l n_l) and multi-flip escapes (reported, not used in the fit). The channel
histogram is fitted against the single-flip gaps d_k = Δ_k(pattern) with :mod:`qflow_core.fitting`
(``scores = −d``, ``origin = 0``): softmax p_k ∝ e^{−βd_k} and Lorentzian p_k ∝ 1/(1 + (d_k/γ)²), and the two
are compared (Δℓ, Vuong z, verdict). The physics predicts **dephased → softmax** (Davies rates / Gibbs populations at
the bath β, Eq. 10–11) and **coherent → Lorentzian** with γ = 2Γ (time-averaged Rabi leakage, Eq. 20); the
result also carries these parameter-free predictions. The Lorentzian reading needs the physical detuning, so
the pattern should be stable (all d_k > 0); otherwise a warning is given.

Counts: with sampled reads, the single-flip read counts. With exact probabilities (a ``probability`` field) the
channel weights are exact and ``num_reads`` is used as the number of escapes they stand for (counts =
num_reads · p̂), which sets the statistical power of the verdict.

>>> import numpy as np
>>> from qflow_core import IsingMemory, get_sampler
>>> memory = IsingMemory(np.zeros((4, 4)), h=[0.3, 0.7, 1.1, 1.5])  # gaps (0.6, 1.4, 2.2, 3.0) at +1…+1
>>> result = leakage(memory, [1, 1, 1, 1], "sa", "survival:gamma=0.1,time=1,regime=dephased,beta=2",
...                  num_reads=20000, seed=3)
>>> result.verdict, abs(result.softmax["beta"] - 2) < 0.3
('softmax', True)
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.fitting import compare_models
from qflow_core.learning.rules import channel_weights, lorentzian_leakage, measure_channels
from qflow_core.models.memory import IsingMemory, as_spin_states
from qflow_core.results import ExperimentResult, new_figure, save_figure

__all__ = ["LeakageResult", "leakage"]


@dataclass
class LeakageResult(ExperimentResult):
    """Measured channel weights, fits, model comparison and the parameter-free predictions for one pattern."""

    pattern: np.ndarray
    gaps: np.ndarray
    protocol: dict[str, Any]
    sampler: str
    num_reads: int
    exact: bool
    survival: float
    multi_flip: float
    channel_probabilities: np.ndarray
    channel_weights: np.ndarray
    counts: np.ndarray
    softmax: dict[str, Any]
    lorentzian: dict[str, Any]
    comparison: dict[str, Any]
    verdict: str
    predictions: dict[str, np.ndarray]
    sampler_info: dict[str, Any] = field(default_factory=dict, repr=False)

    def plot(self, path: str | os.PathLike) -> Path:
        """Measured channel weights vs gap with both fits (and the parameter-free predictions, dashed)."""
        fig, ax = new_figure()
        order = np.argsort(self.gaps)
        d = np.asarray(self.gaps)[order]
        ax.bar(np.arange(d.size), np.asarray(self.channel_weights)[order], color="0.75", label="measured")
        ax.plot(
            np.arange(d.size),
            np.asarray(self.softmax["probabilities"])[order],
            "o-",
            color="C0",
            label=f"softmax fit β̂ = {self.softmax['beta']:.3g}",
        )
        ax.plot(
            np.arange(d.size),
            np.asarray(self.lorentzian["probabilities"])[order],
            "s-",
            color="C1",
            label=f"Lorentzian fit γ̂ = {self.lorentzian['gamma']:.3g}",
        )
        for i, (name, values) in enumerate(self.predictions.items()):
            ax.plot(np.arange(d.size), np.asarray(values)[order], ":", color=f"C{i + 2}", label=f"prediction: {name}")
        ax.set_xticks(np.arange(d.size), [f"{g:.2f}" for g in d])
        ax.set(
            xlabel="channel gap Δ_k",
            ylabel="channel weight p̂_k",
            yscale="log",
            title=f"{self.sampler}, {self.protocol.get('regime')}: verdict {self.verdict} "
            f"(Δℓ = {self.comparison['delta_loglik']:.3g})",
        )
        ax.legend(fontsize="small")
        return save_figure(fig, path)


def leakage(
    memory: IsingMemory,
    pattern: Any,
    sampler: Any,
    protocol: Any,
    *,
    num_reads: int = 10000,
    seed: int | None = None,
    alpha: float = 0.05,
    **backend_options: Any,
) -> LeakageResult:
    """Measure the leakage channels of ``pattern`` with ``sampler`` and ``protocol`` and fit them; see module doc.

    ``protocol`` is a Survival protocol (its ``state`` is replaced by ``pattern``) or its fields;
    ``backend_options`` go to ``sampler.run`` (e.g. ``average=True`` on ``exact`` for time-averaged coherent
    populations).
    """
    if not isinstance(memory, IsingMemory):
        raise InvalidInputError(f"leakage needs an IsingMemory, got {type(memory).__name__}")
    xi = as_spin_states(pattern, memory.n, name="pattern")
    if xi.ndim != 1:
        raise InvalidInputError(f"leakage takes one pattern of length {memory.n}, got shape {xi.shape}")
    gaps = memory.flip_gaps(xi)
    if np.any(gaps <= 0):
        warnings.warn(
            f"the pattern is not a strict local minimum (gaps {np.round(gaps, 3).tolist()}); the Lorentzian in the "
            "physical detuning and the star-model predictions assume all gaps > 0",
            UserWarning,
            stacklevel=2,
        )
    measured = measure_channels(memory, xi, sampler, protocol, num_reads=num_reads, seed=seed, **backend_options)
    weights = measured.channel_weights
    counts = num_reads * weights if measured.exact else measured.counts["channels"]
    if counts.sum() <= 0:
        raise InvalidInputError(
            "no read left the pattern through a single flip, so there is nothing to fit; "
            "open the transverse field longer or stronger, or take more reads"
        )
    comparison = compare_models(counts, -gaps, origin=0.0, alpha=alpha)
    protocol_fields = {"protocol": "survival", "state": xi.astype(int).tolist(), **measured.protocol}
    predictions: dict[str, np.ndarray] = {}
    if protocol_fields.get("regime") == "dephased":
        predictions[f"softmax at bath β = {protocol_fields['beta']:g}"] = channel_weights(gaps, protocol_fields["beta"])
    gamma = float(protocol_fields.get("gamma", 0.0))
    if gamma > 0:
        lorentz = lorentzian_leakage(gaps, gamma)
        predictions[f"Lorentzian γ = 2Γ = {2 * gamma:g}"] = lorentz / lorentz.sum()
    summary = comparison.to_dict()
    fits = {"softmax": summary.pop("softmax"), "lorentzian": summary.pop("lorentzian")}
    return LeakageResult(
        pattern=xi,
        gaps=gaps,
        protocol=protocol_fields,
        sampler=str(measured.sampler_info.get("sampler", getattr(sampler, "name", sampler))),
        num_reads=int(num_reads),
        exact=measured.exact,
        survival=measured.survival,
        multi_flip=measured.multi_flip,
        channel_probabilities=measured.channels,
        channel_weights=weights,
        counts=np.asarray(counts, dtype=float),
        softmax=fits["softmax"],
        lorentzian=fits["lorentzian"],
        comparison=summary,
        verdict=comparison.verdict,
        predictions=predictions,
        sampler_info=measured.sampler_info,
    )
