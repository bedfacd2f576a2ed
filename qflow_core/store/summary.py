"""Aggregating a store over seeds: verdict counts and fractions, and the spread of each statistic per group.

>>> rows = [{"sampler": "sa", "verdict": "softmax", "beta": b} for b in (1.0, 2.0, 3.0)]
>>> rows.append({"sampler": "sa", "verdict": "undecided", "beta": None})
>>> group = summarize(rows, by=["sampler"], statistics=["beta"])[0]
>>> group["n"], group["verdicts"], group["beta"]["mean"], group["beta"]["sd"], group["beta"]["n"]
(4, {'softmax': (3, 0.75), 'undecided': (1, 0.25)}, 2.0, 1.0, 3)
>>> round(group["beta"]["ci95"][1], 3)  # mean + t(0.975, 2) · sd / √3
4.484
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["DEFAULT_STATISTICS", "format_summary", "spread", "summarize"]

#: Statistics summarised when none are named: the softmax β̂ and the AIC difference.
DEFAULT_STATISTICS = ("beta", "delta_aic")


def spread(values: Iterable[Any]) -> dict[str, Any]:
    """Mean, sample s.d., and the 95 % Student-t confidence interval of the mean of the finite ``values``."""
    from scipy import stats

    data = np.array([float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)])
    if data.size == 0:
        return {"n": 0, "mean": None, "sd": None, "ci95": None}
    mean = float(data.mean())
    if data.size == 1:
        return {"n": 1, "mean": mean, "sd": None, "ci95": None}
    sd = float(data.std(ddof=1))
    half = float(stats.t.ppf(0.975, data.size - 1)) * sd / math.sqrt(data.size)
    return {"n": int(data.size), "mean": mean, "sd": sd, "ci95": (mean - half, mean + half)}


def summarize(
    rows: Sequence[Mapping[str, Any]], *, by: Sequence[str], statistics: Sequence[str] = DEFAULT_STATISTICS
) -> list[dict[str, Any]]:
    """One entry per distinct value of the ``by`` columns (in first-seen order): ``n`` rows, ``verdicts``
    ``{verdict: (count, fraction)}`` and :func:`spread` of each statistic."""
    known = {key for row in rows for key in row}
    for names, what in ((by, "to group by"), (statistics, "to summarise")):
        unknown = [name for name in names if name not in known] if rows else []
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidInputError(f"no column {unknown[0]!r} {what}{hint}; columns: {', '.join(sorted(known))}")
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(name) for name in by), []).append(row)
    summary = []
    for key, members in groups.items():
        entry: dict[str, Any] = {"group": dict(zip(by, key, strict=True)), "n": len(members)}
        verdicts = [m["verdict"] for m in members if m.get("verdict") is not None]
        entry["verdicts"] = {v: (verdicts.count(v), verdicts.count(v) / len(members)) for v in sorted(set(verdicts))}
        for name in statistics:
            entry[name] = spread(m.get(name) for m in members)
        summary.append(entry)
    return summary


def format_summary(summary: Sequence[Mapping[str, Any]], statistics: Sequence[str] = DEFAULT_STATISTICS) -> str:
    """The summary as an aligned text table."""
    lines = []
    for entry in summary:
        head = ", ".join(f"{k}={v}" for k, v in entry["group"].items())
        verdicts = ", ".join(f"{v} {c} ({f:.0%})" for v, (c, f) in entry["verdicts"].items()) or "no verdicts"
        lines.append(f"{head} | n = {entry['n']} | {verdicts}")
        for name in statistics:
            s = entry[name]
            if s["mean"] is None:
                lines.append(f"    {name}: no values")
            elif s["sd"] is None:
                lines.append(f"    {name}: {s['mean']:.4g} (one value)")
            else:
                low, high = s["ci95"]
                lines.append(
                    f"    {name}: {s['mean']:.4g} ± {s['sd']:.3g} (s.d.), 95% CI [{low:.4g}, {high:.4g}], n = {s['n']}"
                )
    return "\n".join(lines)
