"""Capacity experiment: how many random patterns each learning rule keeps stable, vs load α = P/N.

For every load α and trial, P = round(αN) random ±1 patterns (the same patterns for every rule) are stored:
the Hebb matrix for :class:`~qflow_core.learning.rules.Hebbian`, and for any other rule the Hebb matrix
trained with that rule for ``epochs`` steps of ``lr`` with ‖J‖_F held at the Hebb value and h = 0 (the capacity
protocol; ``train_fields=True`` trains h too, under the joint norm). Reported per rule and load, averaged over
trials: the fraction of patterns that are strict fixed points (all gaps Δ_k > 0), the mean minimum gap, and
the recall overlap of zero-temperature dynamics from the uncorrupted pattern and from cues with a fraction
``flip_fraction`` of flipped bits. The Hebb rule fails near α ≈ 0.14 (α_c = 0.138 for N → ∞); the
softmax-Hebbian rule keeps every pattern a fixed point far beyond.

>>> result = capacity(["hebb", "softmax-hebbian"], n=40, loads=[0.3], trials=1, epochs=100, seed=0)
>>> [(row["rule"], row["stable_fraction"]) for row in result.rows]
[('hebbian', 0.583...), ('softmax-hebbian(beta=4.0,survival=False)', 1.0)]
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.experiments.recall import recall
from qflow_core.journal import RunJournal
from qflow_core.learning.rules import Hebbian, LearningRule, parse_rule
from qflow_core.learning.training import train
from qflow_core.results import ExperimentResult, new_figure, save_figure

__all__ = ["CapacityResult", "capacity", "rule_label", "split_rule_list"]

#: Literature value of the Hopfield capacity (Amit–Gutfreund–Sompolinsky 1985), drawn on the plot.
HOPFIELD_ALPHA_C = 0.138


def rule_label(rule: LearningRule) -> str:
    """Short readable name, e.g. ``softmax-hebbian(beta=4.0,survival=False)``."""
    settings = {k: v for k, v in rule.describe().items() if k != "rule"}
    inner = ",".join(f"{k}={v}" for k, v in settings.items())
    return f"{rule.name}({inner})" if inner else rule.name


def split_rule_list(text: str) -> list[str]:
    """Split ``"hebb,softmax-hebbian:beta=4,survival=true,mpf"`` into rule specs (``key=value`` stays attached).

    >>> split_rule_list("hebb,softmax-hebbian:beta=4,survival=true,mpf")
    ['hebb', 'softmax-hebbian:beta=4,survival=true', 'mpf']
    """
    specs: list[str] = []
    for token in filter(None, (t.strip() for t in text.split(","))):
        if "=" in token and ":" not in token and specs:
            specs[-1] += "," + token
        else:
            specs.append(token)
    return specs


@dataclass
class CapacityResult(ExperimentResult):
    """One row per (rule, load): means over trials, plus the per-trial fixed-point fractions."""

    n: int
    loads: list[float]
    rules: list[str]
    trials: int
    epochs: int
    lr: float
    flip_fraction: float
    seed: int
    train_fields: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    def series(self, rule: str, key: str) -> np.ndarray:
        """Values of column ``key`` for ``rule`` in load order."""
        return np.array([row[key] for row in self.rows if row["rule"] == rule])

    def table(self) -> str:
        """A fixed-width text table of the rows."""
        header = f"{'rule':<44} {'alpha':>6} {'P':>4} {'fixed pts':>9} {'min gap':>8} {'m(ρ=0)':>7} {'m(ρ)':>6}"
        lines = [header, "-" * len(header)]
        for r in self.rows:
            lines.append(
                f"{r['rule']:<44} {r['load']:>6.3f} {r['num_patterns']:>4d} {r['stable_fraction']:>9.3f} "
                f"{r['min_gap']:>+8.3f} {r['overlap_clean']:>7.3f} {r['overlap']:>6.3f}"
            )
        return "\n".join(lines)

    def plot(self, path: str | os.PathLike) -> Path:
        """Fixed-point fraction and recall overlap vs α, one line per rule, α_c ≈ 0.138 marked."""
        fig, (left, right) = new_figure(1, 2)
        for i, rule in enumerate(self.rules):
            loads = self.series(rule, "load")
            left.plot(loads, self.series(rule, "stable_fraction"), "o-", color=f"C{i}", label=rule)
            right.plot(loads, self.series(rule, "overlap"), "o-", color=f"C{i}", label=rule)
        for ax in (left, right):
            ax.axvline(HOPFIELD_ALPHA_C, color="0.6", ls="--", lw=0.8)
            ax.set_xlabel("load α = P / N")
        left.set(
            ylabel="fraction of patterns that are fixed points",
            ylim=(-0.02, 1.02),
            title=f"N = {self.n}, {self.trials} trial(s)",
        )
        right.set(
            ylabel=f"recall overlap m from {self.flip_fraction:.0%} flips",
            ylim=(-0.02, 1.02),
            title="zero-temperature recall",
        )
        left.legend(fontsize="small")
        return save_figure(fig, path)


def capacity(
    rules: Sequence[LearningRule | str],
    n: int,
    loads: Sequence[float],
    *,
    trials: int = 3,
    epochs: int = 300,
    lr: float = 0.05,
    flip_fraction: float = 0.1,
    recall_trials: int = 1,
    train_fields: bool = False,
    seed: int = 0,
    progress: bool = False,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
) -> CapacityResult:
    """Store random patterns with each rule at each load; see the module doc. Rules may be specs like ``"mpf"``.

    Closed-form rules only (measured rules would need a sampler run per pattern and epoch; use :func:`train`).
    With ``checkpoint=path`` the result is written there (atomically, ``"complete": false`` until the end)
    after every finished (rule, load) row; ``resume=True`` keeps the rows a previous run with the same
    settings wrote there and computes only the others, ending with the file an uninterrupted run writes.
    """
    rules = [parse_rule(r) if isinstance(r, str) else r for r in rules]
    for rule in rules:
        if not isinstance(rule, LearningRule):
            raise InvalidInputError(f"rules must be LearningRule objects or specs like 'mpf', got {rule!r}")
        if rule.requires_sampler:
            raise InvalidInputError(f"capacity runs closed-form rules only; {rule.name!r} measures on a sampler")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise InvalidInputError(f"n must be an integer ≥ 2, got {n!r}")
    loads = [float(a) for a in loads]
    if not loads or any(not 0 < a for a in loads):
        raise InvalidInputError(f"loads must be positive numbers α = P/N, got {loads!r}")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise InvalidInputError(f"trials must be a positive integer, got {trials!r}")
    labels = [rule_label(rule) for rule in rules]
    if len(set(labels)) != len(labels):
        raise InvalidInputError(f"rules must be distinct, got {labels}")
    result = CapacityResult(
        n=int(n),
        loads=loads,
        rules=labels,
        trials=int(trials),
        epochs=int(epochs),
        lr=float(lr),
        flip_fraction=float(flip_fraction),
        seed=int(seed),
        train_fields=bool(train_fields),
    )
    from tqdm.auto import tqdm

    journal = None
    if checkpoint is not None:
        header = {k: v for k, v in result.to_dict().items() if k not in ("rows", "wall_s")}
        journal = RunJournal(checkpoint, {**header, "recall_trials": int(recall_trials)}, kind="capacity",
                             resume=resume, fields=header, runs_key="rows")  # fmt: skip
    started = time.perf_counter()
    jobs = [(rule, label, a) for rule, label in zip(rules, labels, strict=True) for a in loads]
    for rule, label, alpha in tqdm(jobs, disable=not progress, desc="capacity", leave=False):
        key = f"{label}@{alpha!r}"
        if journal is not None and journal.finished(key) is not None:
            result.rows.append(journal.finished(key))
            continue
        num_patterns = max(1, round(alpha * n))
        per_trial = []
        for trial in range(trials):
            patterns = np.random.default_rng([seed, trial, num_patterns]).choice([-1, 1], size=(num_patterns, n))
            memory = Hebbian.store(patterns)
            if not isinstance(rule, Hebbian):
                memory = train(
                    memory, patterns, rule, epochs=epochs, lr=lr, norm="initial", train_fields=train_fields, seed=seed
                ).memory
            gaps = memory.flip_gaps(patterns).min(axis=1)
            clean = recall(memory, patterns, flip_fraction=0.0, trials=1, seed=seed + trial)
            noisy = recall(memory, patterns, flip_fraction=flip_fraction, trials=recall_trials, seed=seed + trial)
            per_trial.append(
                (np.mean(gaps > 0), gaps.mean(), clean.mean_overlap, noisy.mean_overlap, noisy.success_fraction)
            )
        stats = np.array(per_trial)
        result.rows.append(
            {
                "rule": label,
                "load": alpha,
                "num_patterns": num_patterns,
                "stable_fraction": float(stats[:, 0].mean()),
                "stable_fraction_trials": stats[:, 0].tolist(),
                "min_gap": float(stats[:, 1].mean()),
                "overlap_clean": float(stats[:, 2].mean()),
                "overlap": float(stats[:, 3].mean()),
                "success_fraction": float(stats[:, 4].mean()),
            }
        )
        if journal is not None:
            journal.record(key, result.rows[-1])
    result.wall_s = time.perf_counter() - started
    if journal is not None:
        journal.finish(wall_s=result.wall_s)
    return result
