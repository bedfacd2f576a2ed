"""Physics flags: where what a run executed differs from what was asked, read from the run's own record.

Each flag has a short ``code`` and a sentence. A run is flagged when

* ``compressed_anneal`` — the backend reports an ``effective_time_us`` more than :data:`TIME_TOLERANCE` away from
  the requested anneal time (e.g. a circuit depth cap);
* ``beta_unreachable`` — the backend says the requested β was not reached (``beta_reachable`` false);
* ``fit_at_bound`` — β̂ or γ̂ sits at an end of its range;
* ``invalid_reads`` — more than :data:`INVALID_THRESHOLD` of the reads violate the one-hot constraint;
* ``not_converged`` — the backend reports ``converged`` false;
* ``single_time_coherent`` — a coherent survival read at one time, not time-averaged (the populations oscillate in
  t, so the histogram depends on the exact time chosen; the backend option ``average=True`` averages over [0, t]);
* ``request_ignored`` — the backend notes that part of the request was ignored / not used;
* ``warning`` — a warning the run issued or recorded;
* ``same_physics`` — two protocols of one sampler produced identical exact distributions (set by
  :func:`same_physics` in the comparison, which then shows them once).

>>> from qflow_core.experiments.attention import attention_map
>>> from qflow_core.models.attention import OneHotAttention
>>> run = attention_map(OneHotAttention.random(5, 8, seed=2), "enum", "boltzmann:beta=1", num_reads=500, seed=0)
>>> [flag.code for flag in physics_flags(run)]  # β = 1 leaves many reads off the one-hot states
['invalid_reads']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from qflow_core.experiments.attention import AttentionResult

__all__ = ["INVALID_THRESHOLD", "TIME_TOLERANCE", "Flag", "physics_flags", "same_physics"]

#: Fraction of non-one-hot reads above which a run is flagged.
INVALID_THRESHOLD = 0.25
#: Relative difference between executed and requested anneal time above which an anneal is flagged.
TIME_TOLERANCE = 0.05


@dataclass(frozen=True)
class Flag:
    """One physics flag: a short ``code`` and the ``message`` that explains it."""

    code: str
    message: str


def _notes(details: Any, path: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(details, dict):
        for key, value in details.items():
            yield from _notes(value, f"{path}{key}.")
    elif isinstance(details, str) and details.lower().startswith(("ignored", "not used")):
        yield path.rstrip("."), details


def physics_flags(run: AttentionResult, warnings: Iterable[str] = ()) -> list[Flag]:
    """The flags of one run (see the module docstring); ``warnings``: messages caught while it ran."""
    backend = run.info.get("backend", {}) if isinstance(run.info, dict) else {}
    flags: list[Flag] = []
    requested = run.protocol.get("time_us")
    effective = backend.get("effective_time_us")
    if run.protocol.get("protocol") == "anneal" and requested and effective is not None:
        if abs(effective - requested) > TIME_TOLERANCE * requested:
            flags.append(
                Flag(
                    "compressed_anneal",
                    f"executed anneal time {effective:.4g} µs differs from the requested {requested:.4g} µs",
                )
            )
    if backend.get("beta_reachable") is False:
        reached = backend.get("beta_hat", backend.get("pilot_beta_hat"))
        at = f" (β̂ ≈ {reached:.3g} at the largest energy scale)" if isinstance(reached, float) else ""
        flags.append(Flag("beta_unreachable", f"requested β = {run.protocol.get('beta')} was not reached{at}"))
    c = run.comparison
    if c is not None and (c.softmax.boundary or c.lorentzian.boundary):
        where = [
            f"β̂ = {c.softmax.beta}" if c.softmax.boundary else "",
            "γ̂ at its range end" if c.lorentzian.boundary else "",
        ]
        flags.append(Flag("fit_at_bound", "fit at a bound: " + ", ".join(w for w in where if w)))
    if run.invalid_fraction > INVALID_THRESHOLD:
        flags.append(
            Flag(
                "invalid_reads",
                f"{run.invalid_fraction:.1%} of reads violate the one-hot constraint (threshold "
                f"{INVALID_THRESHOLD:.0%}); the verdict rests on the other {1 - run.invalid_fraction:.1%}",
            )
        )
    if backend.get("converged") is False:
        flags.append(Flag("not_converged", "the backend reports that its evolution did not converge"))
    if run.protocol.get("regime") == "coherent" and backend.get("averaged") is not True:
        flags.append(
            Flag(
                "single_time_coherent",
                f"coherent leakage read at the single time t = {run.protocol.get('time')}: the populations oscillate "
                "in t; time-average them (backend option average=True) for a verdict that does not hinge on t",
            )
        )
    flags.extend(Flag("request_ignored", f"{key}: {note}") for key, note in _notes(backend))
    for message in dict.fromkeys([*run.warnings, *warnings]):
        flags.append(Flag("warning", message))
    return flags


def same_physics(a: AttentionResult, b: AttentionResult) -> bool:
    """True when two runs of one sampler have exact distributions equal to 1e-12 (one physics, two names)."""
    if a.sampler != b.sampler or a.exact_probabilities is None or b.exact_probabilities is None:
        return False
    return bool(np.allclose(a.exact_probabilities, b.exact_probabilities, rtol=0, atol=1e-12))
