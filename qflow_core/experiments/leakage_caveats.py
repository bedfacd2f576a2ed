"""Caveats a leakage measurement must state: each one a flag ``{name, detail}`` in the result and a warning.

A channel histogram can point at the wrong weighting for reasons that have nothing to do with the physics asked
about. The checks here look at the protocol and at what the sampler reported:

* ``unstable_pattern`` — some gap Δ_k ≤ 0: the Lorentzian in the physical detuning and the star-model predictions
  assume a strict local minimum.
* ``dephased_time_short`` — dephased (thermal-bath) regime with ``time`` below the slowest relaxation time the
  backend computed from its master equation. Before the bath has acted, the populations are still the dressed-state
  admixture Γ²/Δ_k² of the start eigenstate — a power law — so the verdict moves from Lorentzian-like at short
  times to softmax once the thermal hops (rates ∝ e^{−βΔ_k}) dominate, and to the Gibbs weights at the bath β
  after relaxation.
* ``low_start_overlap`` — dephased regime where the start eigenstate overlaps the classical pattern by less than
  :data:`START_OVERLAP_THRESHOLD` (a strong Γ dresses the pattern): the "leakage" then measures the dressing.
* ``single_time_coherent`` — coherent regime read at the single time t: the Rabi populations
  (4Γ²/Ω²)·sin²(Ωt/2) oscillate, so one snapshot can favour either model; time averaging removes the phases.
* ``coherences_not_settled`` — pure-dephasing regime with γt = 2κt below :data:`SETTLED_DECOHERENCE` : the
  transient coherent oscillation still shapes the channel populations, not yet the Lorentzian hopping rates.

>>> flags = survival_caveats({"regime": "coherent", "time": 5.0}, {}, averaged=False, warn=False)
>>> [f["name"] for f in flags]
['single_time_coherent']
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = [
    "SETTLED_DECOHERENCE",
    "START_OVERLAP_THRESHOLD",
    "LeakageCaveatWarning",
    "flag",
    "gap_caveats",
    "survival_caveats",
]

#: Below this overlap |⟨pattern|start eigenstate⟩|² a dephased run is flagged.
START_OVERLAP_THRESHOLD = 0.9
#: A pure-dephasing run with 2κ·t below this is flagged (the coherences decay as e^{−2κt}).
SETTLED_DECOHERENCE = 20.0


class LeakageCaveatWarning(UserWarning):
    """A leakage verdict comes with a caveat (see the flag of the same name in the result)."""


def flag(name: str, detail: str, *, warn: bool = True, stacklevel: int = 4) -> dict[str, str]:
    """One flag; with ``warn`` it is also issued as a :class:`LeakageCaveatWarning`."""
    if warn:
        warnings.warn(f"{name}: {detail}", LeakageCaveatWarning, stacklevel=stacklevel)
    return {"name": name, "detail": detail}


def gap_caveats(gaps: np.ndarray, *, warn: bool = True) -> list[dict[str, str]]:
    """``unstable_pattern`` when some Δ_k ≤ 0."""
    if np.all(np.asarray(gaps) > 0):
        return []
    detail = (
        f"the pattern is not a strict local minimum (gaps {np.round(gaps, 3).tolist()}); the Lorentzian in the "
        "physical detuning and the star-model predictions assume all gaps > 0"
    )
    return [flag("unstable_pattern", detail, warn=warn)]


def survival_caveats(
    protocol: dict[str, Any], backend: dict[str, Any], *, averaged: bool, warn: bool = True
) -> list[dict[str, str]]:
    """The regime-specific caveats of one Survival run (``protocol`` fields, the sampler's backend details)."""
    regime, time = protocol.get("regime"), float(protocol.get("time", 0.0))
    flags = []
    if regime == "dephased":
        relaxation = backend.get("slowest_relaxation_time")
        if relaxation is not None and time < float(relaxation):
            flags.append(
                flag(
                    "dephased_time_short",
                    f"time {time:g} is shorter than the slowest relaxation time {float(relaxation):.4g} of the "
                    "master equation: the channel weights still carry the start state's power-law dressing "
                    "Γ²/Δ², so the verdict depends on the time (power-law-like early, softmax once the bath has "
                    "acted); run longer for the thermal weights",
                    warn=warn,
                )
            )
        overlap = backend.get("start_overlap")
        if overlap is not None and float(overlap) < START_OVERLAP_THRESHOLD:
            flags.append(
                flag(
                    "low_start_overlap",
                    f"the start eigenstate overlaps the pattern by only {float(overlap):.3f} "
                    f"(< {START_OVERLAP_THRESHOLD}): the transverse field dresses the pattern strongly, so the "
                    "channels measure that dressing as much as leakage; lower gamma",
                    warn=warn,
                )
            )
    elif regime == "coherent" and not averaged:
        flags.append(
            flag(
                "single_time_coherent",
                f"coherent populations read at the single time {time:g} oscillate (Rabi phases), so the fitted "
                "verdict can be spurious; use time averaging (average=True, the default where the sampler offers it)",
                warn=warn,
            )
        )
    elif regime == "pure_dephasing":
        settled = 2.0 * float(protocol.get("kappa", 0.0)) * time
        if settled < SETTLED_DECOHERENCE:
            flags.append(
                flag(
                    "coherences_not_settled",
                    f"2κ·t = {settled:.3g} < {SETTLED_DECOHERENCE:g}: the coherent transient still shapes the "
                    "channel populations; run longer for the Lorentzian hopping rates",
                    warn=warn,
                )
            )
    return flags
