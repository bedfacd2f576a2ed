"""The rows of ``qflow compare``: replicate summaries, the text table and the generated interpretation.

A :class:`CompareRow` summarises the replicates of one sampler × protocol: verdict counts, β̂ mean ± s.d. (the
fit's standard error when there is one replicate), the median Δℓ, Vuong z and p and each model's G-test p, the
effective β̂ of the reads, the physics class and the flags. :func:`interpretation` reads the rows and writes the
paragraph that ends the report: thermal-by-construction rows are **controls** (they must come out softmax; a
control that does not says the pipeline or the sampler's mixing is off), the others are **evidence**, read
against the claim "a standard anneal gives softmax, a fast or coherent one gives Lorentzian".

>>> row = CompareRow("sa", "anneal:kind=standard", "native", 1000, 7, physics_class="thermal by construction",
...                  verdicts={"softmax": 3}, replicates=3)
>>> row.verdict_text
'softmax 3/3'
>>> print(interpretation([row], 3))  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
Interpretation (3 replicates per row, generated from the rows). Controls ...: sa anneal:kind=standard softmax 3/3.
Every control came out softmax in every replicate. There is no evidence row: ...
"""

from __future__ import annotations

import math
import statistics
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from qflow_core.experiments.attention import AttentionResult
from qflow_core.protocols import Anneal, GroundState, as_protocol

__all__ = ["CompareRow", "interpretation", "rows_table"]

CONTROL_CLASS = "thermal by construction"
#: Rows that are neither controls nor evidence: classical annealing schedules (non-equilibrium, not quantum).
REFERENCE_CLASS = "classical anneal"
#: A row whose TV to Boltzmann at its effective β is within this factor of a thermal sampler's TV reads as thermal.
THERMAL_TV = 1.5
#: Line width of the interpretation paragraph.
WRAP = 116


@dataclass
class CompareRow:
    """One line of the table (see the module docstring); fit columns are None when the run failed."""

    sampler: str
    protocol: str
    fidelity: str | None
    num_reads: int
    seed: int
    physics_class: str = "unspecified"
    protocols: list[str] = field(default_factory=list)
    replicates: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    verdict: str = "error"
    reason: str | None = None
    beta: float | None = None
    beta_sd: float | None = None
    gamma: float | None = None
    delta_loglik: float | None = None
    delta_aic: float | None = None
    vuong_z: float | None = None
    vuong_p: float | None = None
    p_softmax: float | None = None
    p_lorentzian: float | None = None
    effective_beta: float | None = None
    effective_beta_interval: tuple[float, float] | None = None
    tv_boltzmann: float | None = None
    tv_floor: float | None = None
    invalid_fraction: float | None = None
    flags: list[dict[str, str]] = field(default_factory=list)
    wall_s: float | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        self.protocols = self.protocols or [self.protocol]

    @property
    def majority(self) -> str:
        """The most frequent verdict over the replicates (``verdict`` when there are none)."""
        return max(self.verdicts.items(), key=lambda kv: kv[1])[0] if self.verdicts else self.verdict

    def unanimous(self, verdict: str) -> bool:
        """Whether every replicate gave ``verdict``."""
        return bool(self.verdicts) and self.verdicts.get(verdict, 0) == sum(self.verdicts.values())

    @property
    def verdict_text(self) -> str:
        """``softmax 5/5`` (the most frequent verdict and its count), or the single replicate's verdict."""
        if not self.verdicts:
            return self.verdict
        best, count = max(self.verdicts.items(), key=lambda kv: (kv[1], kv[0] == self.verdict))
        return best if self.replicates == 1 else f"{best} {count}/{self.replicates}"

    @classmethod
    def from_runs(cls, runs: list[tuple[AttentionResult, list[Any]]], physics_class: str, alpha: float) -> CompareRow:
        """Summarise replicates ``(result, flags)`` of one sampler × protocol."""
        first = runs[0][0]
        fitted = [r for r, _ in runs if r.comparison is not None]
        verdicts = Counter(r.verdict for r, _ in runs)
        row = cls(
            sampler=first.sampler,
            protocol=first.protocol_label,
            fidelity=first.fidelity,
            num_reads=first.num_reads,
            seed=first.seed,
            physics_class=physics_class,
            replicates=len(runs),
            verdicts=dict(verdicts),
            verdict=verdicts.most_common(1)[0][0],
            invalid_fraction=statistics.fmean(r.invalid_fraction for r, _ in runs),
            wall_s=sum(r.timing.get("wall_s", 0.0) for r, _ in runs),
        )
        flags = {(f.code, f.message): None for _, fl in runs for f in fl}
        row.flags = [{"code": code, "message": message} for code, message in flags]
        if fitted:
            c0 = fitted[0].comparison
            assert c0 is not None
            row.reason = c0.reason if len(runs) == 1 else f"replicate 1: {c0.reason}"
            betas = [r.comparison.softmax.beta for r in fitted]  # type: ignore[union-attr]
            row.beta = statistics.fmean(betas)
            row.beta_sd = c0.softmax.se if len(fitted) == 1 else _sd(betas)
            row.gamma = statistics.median(r.comparison.lorentzian.gamma for r in fitted)  # type: ignore[union-attr]
            row.delta_loglik = statistics.median(r.comparison.delta_loglik for r in fitted)  # type: ignore[union-attr]
            row.delta_aic = 2 * row.delta_loglik
            row.vuong_z = _median([r.comparison.vuong_z for r in fitted])  # type: ignore[union-attr]
            row.vuong_p = _median([r.comparison.vuong_p for r in fitted])  # type: ignore[union-attr]
            row.p_softmax = _median([r.comparison.softmax_fit.pvalue for r in fitted])  # type: ignore[union-attr]
            row.p_lorentzian = _median([r.comparison.lorentzian_fit.pvalue for r in fitted])  # type: ignore[union-attr]
        estimates = [r.effective_beta for r, _ in runs if r.effective_beta is not None]
        if estimates:
            row.effective_beta = statistics.fmean(e.beta for e in estimates)
            row.effective_beta_interval = estimates[0].interval
            row.tv_boltzmann = estimates[0].tv
            row.tv_floor = estimates[0].tv_floor
        return row


def _sd(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return statistics.stdev(finite) if len(finite) > 1 else math.nan


def _median(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return statistics.median(finite) if finite else math.nan


def _num(x: float | None, spec: str = ".4g") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(x, spec)


def rows_table(rows: list[CompareRow], replicates: int) -> str:
    """Fixed-width table: sampler, protocol, class, verdict, β̂ (± s.d. or SE), effective β̂ [interval], TV,
    γ̂, ΔAIC, Vuong z and p, G-test p of softmax and Lorentzian, invalid reads, flags, wall seconds."""
    spread = "SE" if replicates == 1 else "sd"
    header = ["sampler", "protocol", "class", "verdict", f"beta ± {spread}", "eff. beta [95%]", "TV (floor)"]
    header += ["gamma", "dAIC", "Vuong z", "p Vuong", "p soft", "p Lor", "invalid", "flags", "wall s"]
    cells = []
    for r in rows:
        interval = r.effective_beta_interval
        cells.append(
            [
                r.sampler,
                r.protocol,
                r.physics_class,
                r.verdict_text,
                "-" if r.beta is None else f"{_num(r.beta)} ± {_num(r.beta_sd, '.2g')}",
                "-"
                if r.effective_beta is None
                else f"{_num(r.effective_beta, '.3g')} [{_num(interval[0], '.3g')}, {_num(interval[1], '.3g')}]"
                if interval
                else _num(r.effective_beta, ".3g"),
                "-" if r.tv_boltzmann is None else f"{r.tv_boltzmann:.3f} ({_num(r.tv_floor, '.3f')})",
                _num(r.gamma),
                _num(r.delta_aic, "+.4g"),
                _num(r.vuong_z, "+.3g"),
                _num(r.vuong_p, ".2g"),
                _num(r.p_softmax, ".2g"),
                _num(r.p_lorentzian, ".2g"),
                "-" if r.invalid_fraction is None else f"{r.invalid_fraction:.1%}",
                ",".join(dict.fromkeys(f["code"] for f in r.flags)) or "-",
                _num(r.wall_s, ".2f"),
            ]
        )
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    text = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *cells]]
    text.insert(1, "  ".join("-" * w for w in widths))
    label = (
        "1 replicate per row (no spread across seeds: rerun with --replicates K)"
        if replicates == 1
        else (f"{replicates} replicates per row (independent seeds): verdict counts, beta mean ± sd, median p-values")
    )
    return "\n".join([label, *text])


def _describe(rows: list[CompareRow]) -> str:
    return "; ".join(f"{r.sampler} {r.protocol} {r.verdict_text}" + (" [flagged]" if r.flags else "") for r in rows)


def interpretation(rows: list[CompareRow], replicates: int) -> str:
    """The plain-language reading of the rows (see the module docstring)."""
    done = [r for r in rows if not r.error]
    head = f"Interpretation ({replicates} replicate{'s' if replicates != 1 else ''} per row, generated from the rows)."
    if not done:
        return textwrap.fill(f"{head} No row finished, so there is nothing to read.", width=WRAP)
    controls = [r for r in done if r.physics_class == CONTROL_CLASS]
    references = [r for r in done if r.physics_class == REFERENCE_CLASS]
    evidence = [r for r in done if r.physics_class not in (CONTROL_CLASS, REFERENCE_CLASS)]
    parts = [head]
    if controls:
        bad = [r for r in controls if not r.unanimous("softmax")]
        parts.append(
            f"Controls (thermal by construction, expected softmax; they test the pipeline, not the claim): "
            f"{_describe(controls)}."
        )
        parts.append(
            "Every control came out softmax in every replicate."
            if not bad
            else f"{len(bad)} of {len(controls)} controls did not come out softmax ({_describe(bad)}): there the "
            "sampler did not reach its target distribution (e.g. too few sweeps, a frozen penalty, an unreachable "
            "beta) or the data cannot tell the models apart; read the flags and p-values before any evidence."
        )
    if references:
        parts.append(
            "Classical references (simulated annealing schedules: not thermal by construction and not quantum, so "
            f"neither controls nor evidence): {_describe(references)}."
        )
    thermal = [
        r for r in done if r.tv_boltzmann is not None and r.tv_floor and r.tv_boltzmann <= THERMAL_TV * r.tv_floor
    ]
    if thermal:
        parts.append(
            "Reads indistinguishable from Boltzmann at their own effective beta (TV within "
            f"{THERMAL_TV:g}x of a thermal sampler's): "
            + "; ".join(f"{r.sampler} {r.protocol} (beta-hat {r.effective_beta:.3g})" for r in thermal)
            + "."
        )
    hardware = [r for r in evidence if r.physics_class == "hardware"]
    if evidence:
        parts.append(
            f"Evidence rows (what produced the samples is not thermal by construction): {_describe(evidence)}."
        )
        standard, coherent = claim_groups(evidence)
        if standard or coherent:
            parts.append(_claim(standard, coherent))
        else:
            parts.append("No evidence row is an anneal, a ground state or a coherent run: the claim is not tested.")
    else:
        parts.append("There is no evidence row: every row is a control, so this report cannot test the claim.")
    if evidence and not hardware:
        parts.append(
            "No row ran on hardware: every evidence row is an exact or emulated model of the physics, so the report "
            "tests what those models predict, not what a quantum annealer does."
        )
    if any(r.flags for r in done):
        parts.append("Flagged rows ran physics that differs from the request; their verdicts describe what ran.")
    return textwrap.fill(" ".join(parts), width=WRAP, break_on_hyphens=False)


def claim_groups(rows: list[CompareRow]) -> tuple[list[CompareRow], list[CompareRow]]:
    """The rows the claim speaks of, by the protocols they ran (not their labels): standard anneals, and fast
    anneals, ground states and coherent runs. Boltzmann rows are not part of the claim; a row that ran a
    standard and a fast anneal as one physics (compressed) counts with the fast ones, which is what ran.

    >>> from types import SimpleNamespace as Row
    >>> groups = claim_groups([Row(protocols=["anneal:kind=standard"]), Row(protocols=["boltzmann:beta=2"]),
    ...                        Row(protocols=["anneal:kind=standard", "anneal:kind=fast"])])
    >>> [len(g) for g in groups]
    [1, 1]
    """
    standard, coherent = [], []
    for row in rows:
        ran = [as_protocol(p) for p in row.protocols]
        if all(isinstance(p, Anneal) and p.kind == "standard" for p in ran):
            standard.append(row)
        elif any(isinstance(p, (Anneal, GroundState)) or getattr(p, "regime", None) == "coherent" for p in ran):
            coherent.append(row)
    return standard, coherent


def _claim(standard: list[CompareRow], coherent: list[CompareRow]) -> str:
    """What the evidence says about 'standard anneal → softmax, fast/coherent → Lorentzian'."""

    def tally(rows: list[CompareRow], want: str) -> str:
        hits = [r for r in rows if r.majority == want]
        clean = [r for r in hits if not r.flags]
        return f"{len(hits)} of {len(rows)} {want} ({len(clean)} of them unflagged)"

    pieces = []
    if standard:
        pieces.append(f"standard anneals: {tally(standard, 'softmax')} (claim: softmax)")
    if coherent:
        pieces.append(
            f"fast anneals, ground states and coherent runs: {tally(coherent, 'lorentzian')} (claim: Lorentzian)"
        )
    supported = all(r.majority == "softmax" for r in standard) and all(r.majority == "lorentzian" for r in coherent)
    mixed = [r for r in [*standard, *coherent] if r.majority in ("neither", "undecided")]
    verdict = (
        "The evidence agrees with the claim."
        if supported
        else "The evidence does not uniformly agree with the claim"
        + (f"; {len(mixed)} rows fit neither model or cannot tell them apart." if mixed else ".")
    )
    return "On the claim — " + "; ".join(pieces) + ". " + verdict
