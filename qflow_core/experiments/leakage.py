"""Measured leakage out of one stored pattern, next to the softmax and Lorentzian predictions.

``route="survival"`` (the default): a ``Survival`` protocol is run from ``pattern``; reads are classified as
returns, single-flip escapes into channel k (weights p̂_k = n_k / Σ_l n_l) and multi-flip escapes (reported, not
used in the fit). The channel histogram is fitted against the single-flip gaps d_k = Δ_k(pattern) with
:mod:`qflow_core.fitting` (``scores = −d``, ``origin = 0``): softmax p_k ∝ e^{−βd_k} and Lorentzian p_k ∝ 1/(1 +
(d_k/γ)²), and the two are compared (Δℓ, Vuong z, verdict). Expected: **dephased → softmax** (thermal hopping rates
and Gibbs populations at the bath β), **coherent → Lorentzian** with γ = 2Γ (the time-averaged Rabi leakage 2Γ²/(Δ²
+ 4Γ²)) and **pure dephasing → Lorentzian** with γ = 2κ (hopping rates 2Γ²γ/(Δ² + γ²)); the result also carries
these parameter-free predictions. Coherent runs are time-averaged by default (``average=None`` → True where the
sampler offers it); ``average=False`` reads the single time and is flagged.

``route="imaginary_time"``: no sampling. A backend implementing
:class:`~qflow_core.capabilities.ImaginaryTimeBackend` (e.g. ``exact``) evolves the pattern as e^{−τH}|s⟩ with
``protocol = {"gamma": Γ, "tau": τ}`` (or ``"gamma=0.05,tau=2"``); the fitted channel weights are the normalised
imaginary-time **fluxes** j_k = ∂_τ r_k (softmax with β = τ), and ``imaginary_time["population_fit"]`` fits the
pure-state populations P_k/P_s as well (a power law, not a softmax).

Every caveat found (:mod:`qflow_core.experiments.leakage_caveats`) is a ``flags`` entry ``{name, detail}`` in the
result and a :class:`~qflow_core.experiments.leakage_caveats.LeakageCaveatWarning`.

Counts: with sampled reads, the single-flip read counts. With exact probabilities (a ``probability`` field) the
channel weights are exact and ``num_reads`` is used as the number of escapes they stand for (counts =
num_reads · p̂), which sets the statistical power of the verdict.

>>> import numpy as np
>>> from qflow_core import IsingMemory, get_sampler
>>> memory = IsingMemory(np.zeros((4, 4)), h=[0.3, 0.7, 1.1, 1.5])  # gaps (0.6, 1.4, 2.2, 3.0) at +1…+1
>>> result = leakage(memory, [1, 1, 1, 1], "sa", "survival:gamma=0.1,time=1,regime=dephased,beta=2",
...                  num_reads=20000, seed=3)
>>> result.verdict, abs(result.softmax["beta"] - 2) < 0.3, result.flags
('softmax', True, [])
>>> it = leakage(memory, [1, 1, 1, 1], "exact", {"gamma": 0.02, "tau": 2.0}, route="imaginary_time")
>>> it.verdict, round(it.softmax["beta"], 2), it.imaginary_time["population_fit"]["verdict"]
('softmax', 2.0, 'lorentzian')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.capabilities import ImaginaryTimeBackend, find_capability
from qflow_core.errors import InvalidInputError
from qflow_core.experiments.leakage_caveats import gap_caveats, survival_caveats
from qflow_core.fitting import compare_models
from qflow_core.learning.rules import channel_weights, lorentzian_leakage, measure_channels, survival_template
from qflow_core.models.memory import IsingMemory, as_spin_states
from qflow_core.registry import resolve_sampler
from qflow_core.results import ExperimentResult, new_figure, save_figure
from qflow_core.validation import positive_number

__all__ = ["LeakageResult", "leakage"]


@dataclass
class LeakageResult(ExperimentResult):
    """Measured channel weights, fits, model comparison and the parameter-free predictions for one pattern.

    ``flags`` lists the caveats found (``{name, detail}``); ``route`` is "survival" or "imaginary_time", and
    ``imaginary_time`` holds that route's fluxes, survival loss K_s, populations and their own fit (else None).
    """

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
    flags: list[dict[str, str]] = field(default_factory=list)
    route: str = "survival"
    imaginary_time: dict[str, Any] | None = None

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
            title=f"{self.sampler}, {self.protocol.get('regime', self.route)}: verdict {self.verdict} "
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
    route: str = "survival",
    average: bool | None = None,
    num_reads: int = 10000,
    seed: int | None = None,
    alpha: float = 0.05,
    **backend_options: Any,
) -> LeakageResult:
    """Measure the leakage channels of ``pattern`` with ``sampler`` and ``protocol`` and fit them; see module doc.

    ``route="survival"``: ``protocol`` is a Survival protocol (its ``state`` is replaced by ``pattern``) or its
    fields; ``average`` (coherent regime only) time-averages the populations over [0, time] — None means True
    when the sampler has an ``average`` option; ``backend_options`` go to ``sampler.run``.
    ``route="imaginary_time"``: ``protocol`` gives ``gamma`` and ``tau``; ``sampler`` is a backend implementing
    :class:`~qflow_core.capabilities.ImaginaryTimeBackend` or None for any installed one.
    """
    if not isinstance(memory, IsingMemory):
        raise InvalidInputError(f"leakage needs an IsingMemory, got {type(memory).__name__}")
    xi = as_spin_states(pattern, memory.n, name="pattern")
    if xi.ndim != 1:
        raise InvalidInputError(f"leakage takes one pattern of length {memory.n}, got shape {xi.shape}")
    gaps = memory.flip_gaps(xi)
    if route == "imaginary_time":
        if average is not None or backend_options:
            raise InvalidInputError("the imaginary-time route takes no average= or backend options")
        return _imaginary_time(memory, xi, gaps, sampler, protocol, num_reads=num_reads, alpha=alpha)
    if route != "survival":
        raise InvalidInputError(f"leakage route must be 'survival' or 'imaginary_time', got {route!r}")
    flags = gap_caveats(gaps)
    sampler = resolve_sampler(sampler, purpose="leakage measures on a sampler")
    template = survival_template(protocol)
    averaged = _averaging(sampler, template, average)
    if averaged is not None:
        backend_options["average"] = averaged
    measured = measure_channels(memory, xi, sampler, template, num_reads=num_reads, seed=seed, **backend_options)
    weights = measured.channel_weights
    counts = num_reads * weights if measured.exact else measured.counts["channels"]
    if counts.sum() <= 0:
        raise InvalidInputError(
            "no read left the pattern through a single flip, so there is nothing to fit; "
            "open the transverse field longer or stronger, or take more reads"
        )
    comparison = compare_models(counts, -gaps, origin=0.0, alpha=alpha)
    protocol_fields = {"protocol": "survival", "state": xi.astype(int).tolist(), **measured.protocol}
    flags += survival_caveats(protocol_fields, measured.sampler_info.get("backend", {}), averaged=bool(averaged))
    predictions: dict[str, np.ndarray] = {}
    regime = protocol_fields.get("regime")
    if regime == "dephased":
        predictions[f"softmax at bath β = {protocol_fields['beta']:g}"] = channel_weights(gaps, protocol_fields["beta"])
    gamma = float(protocol_fields.get("gamma", 0.0))
    if regime == "pure_dephasing":
        width = 2.0 * float(protocol_fields["kappa"])
        lorentz = 1.0 / (gaps**2 + width**2)
        predictions[f"Lorentzian γ = 2κ = {width:g}"] = lorentz / lorentz.sum()
    elif gamma > 0:
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
        flags=flags,
    )


def _averaging(sampler: Any, template: dict[str, Any], average: bool | None) -> bool | None:
    """The ``average`` option to pass: coherent runs average by default where the sampler offers it."""
    offers = any(p.name == "average" for p in getattr(sampler, "run_parameters", ()))
    if template.get("regime") != "coherent":
        if average:
            raise InvalidInputError("average=True time-averages coherent runs; this protocol is not coherent")
        return None
    if average is None:
        return True if offers else None
    if average and not offers:
        raise InvalidInputError(
            f"sampler {getattr(sampler, 'name', sampler)!r} has no time-averaging option; use average=False "
            "(single-time populations, flagged) or the exact sampler"
        )
    return bool(average) if offers else None


def _imaginary_time_fields(protocol: Any) -> dict[str, float]:
    if isinstance(protocol, str):
        head, _, tail = protocol.strip().partition(":")
        text = tail if head.strip().lower() in ("imaginary_time", "imaginary-time") else protocol
        items = [p.partition("=") for p in text.split(",") if p.strip()]
        protocol = {k.strip(): v.strip() for k, _, v in items}
    if not isinstance(protocol, Mapping) or set(protocol) - {"gamma", "tau", "protocol"} or "tau" not in protocol:
        raise InvalidInputError(
            f"the imaginary-time route needs gamma and tau, e.g. {{'gamma': 0.05, 'tau': 2.0}} or "
            f"'gamma=0.05,tau=2'; got {protocol!r}"
        )
    return {
        "gamma": positive_number("imaginary-time gamma", protocol.get("gamma", 0.0)),
        "tau": positive_number("imaginary time tau", protocol["tau"]),
    }


def _imaginary_time(memory, xi, gaps, sampler, protocol, *, num_reads: int, alpha: float) -> LeakageResult:
    """Fit the imaginary-time flux weights (softmax at β = τ) and, separately, the pure-state populations."""
    fields = _imaginary_time_fields(protocol)
    flags = gap_caveats(gaps)
    prefer = resolve_sampler(sampler) if sampler is not None else None
    backend = find_capability(ImaginaryTimeBackend, prefer)
    it = backend.imaginary_time_leakage(memory, xi, fields["gamma"], fields["tau"])
    weights = it.flux_weights()
    comparison = compare_models(num_reads * weights, -gaps, origin=0.0, alpha=alpha)
    population_comparison = compare_models(num_reads * it.population_weights(), -gaps, origin=0.0, alpha=alpha)
    summary, population_summary = comparison.to_dict(), population_comparison.to_dict()
    fits = {"softmax": summary.pop("softmax"), "lorentzian": summary.pop("lorentzian")}
    prediction = it.population_prediction / it.population_prediction.sum()
    details = {
        "flux": it.flux,
        "flux_prediction": it.flux_prediction,
        "survival_loss": it.survival_loss,
        "survival_loss_prediction": it.survival_loss_prediction,
        "populations": it.populations,
        "population_prediction": it.population_prediction,
        "population_weights": it.population_weights(),
        "population_fit": {**population_summary, "verdict": population_comparison.verdict},
        "note": "the populations of the normalised state are not softmax-weighted (a power law Γ²/Δ² at large τΔ); "
        "only the flux is",
    }
    return LeakageResult(
        pattern=xi,
        gaps=gaps,
        protocol={"route": "imaginary_time", "state": xi.astype(int).tolist(), **fields},
        sampler=str(getattr(backend, "name", type(backend).__name__)),
        num_reads=int(num_reads),
        exact=True,
        survival=it.return_probability,
        multi_flip=it.multi_flip_probability,
        channel_probabilities=it.populations * it.return_probability,
        channel_weights=weights,
        counts=num_reads * weights,
        softmax=fits["softmax"],
        lorentzian=fits["lorentzian"],
        comparison=summary,
        verdict=comparison.verdict,
        predictions={
            f"softmax at β = τ = {fields['tau']:g}": channel_weights(gaps, fields["tau"]),
            "first-order populations Γ²(1 − e^{−τΔ})²/Δ² (not softmax)": prediction,
        },
        flags=flags,
        route="imaginary_time",
        imaginary_time=details,
    )
