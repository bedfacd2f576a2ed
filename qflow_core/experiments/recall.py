"""Recall experiment: corrupt stored patterns, let the memory clean them up, report overlaps.

For each pattern ξ^μ and trial, a fraction ρ of its bits (chosen uniformly without replacement) is flipped.
The corrupted cue is then recovered either by **zero-temperature asynchronous dynamics** (default): spins are
visited in a fresh random order every sweep and set to sgn(u_i) (kept when u_i = 0) until a full sweep changes
nothing (a fixed point) or ``max_sweeps``; or by a **sampler**: a ``Survival`` protocol started in the cue
(thermal relaxation on ``sa``, reverse anneal on ``dwave``, unitary or dephased evolution on ``exact``), of
whose reads the lowest-energy one (``read="lowest"``) or the bitwise majority (``read="majority"``, ties keep
the cue's bit) is taken. The overlap m = (1/N) Σ_i ξ_i s_i is averaged over patterns and trials;
success means m ≥ 0.9, exact recall m = 1.

>>> import numpy as np
>>> from qflow_core.learning.rules import Hebbian
>>> xi = np.random.default_rng(0).choice([-1, 1], size=(3, 64))
>>> result = recall(Hebbian.store(xi), xi, flip_fraction=0.1, trials=4, seed=1)
>>> result.mean_overlap, result.success_fraction
(1.0, 1.0)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules import classify_reads, survival_template
from qflow_core.models.memory import IsingMemory, as_spin_states
from qflow_core.protocols import Protocol, Survival
from qflow_core.registry import resolve_sampler
from qflow_core.results import ExperimentResult, new_figure, save_figure
from qflow_core.seeding import MAX_SEED

__all__ = ["DynamicsResult", "RecallResult", "corrupt", "recall", "zero_temperature_dynamics"]

#: Overlap above which a recall counts as successful.
SUCCESS_OVERLAP = 0.9


@dataclass
class DynamicsResult:
    """Final states (B, N), sweeps run per state, whether each reached a fixed point, optional trajectory.

    ``trajectory`` (with ``record=True``) has shape (steps + 1, B, N): the states before the first update and
    after every single-spin update (all B states update one spin of their own random order per step).
    """

    states: np.ndarray
    sweeps: np.ndarray
    converged: np.ndarray
    trajectory: np.ndarray | None = None


def zero_temperature_dynamics(
    memory: IsingMemory,
    states: Any,
    *,
    rng: np.random.Generator | int | None = None,
    max_sweeps: int = 100,
    record: bool = False,
) -> DynamicsResult:
    """Asynchronous zero-T dynamics s_i ← sgn(u_i) (kept when u_i = 0) on many states at once.

    Every sweep visits the spins of each state in its own random order; local fields are recomputed exactly
    at the start of each sweep and updated incrementally after each flip (ties within 1e-12 of zero count as
    u_i = 0). For symmetric J with zero diagonal the energy never increases.

    >>> memory = IsingMemory([[0, 1.0], [1.0, 0]])
    >>> zero_temperature_dynamics(memory, [[1, -1]], rng=0).states.tolist() in ([[1, 1]], [[-1, -1]])
    True
    """
    if not isinstance(memory, IsingMemory):
        raise InvalidInputError(f"zero-temperature dynamics needs an IsingMemory, got {type(memory).__name__}")
    s = as_spin_states(states, memory.n, name="states")
    s = (s[None, :] if s.ndim == 1 else s).copy()
    if isinstance(max_sweeps, bool) or not isinstance(max_sweeps, (int, np.integer)) or max_sweeps < 1:
        raise InvalidInputError(f"max_sweeps must be a positive integer, got {max_sweeps!r}")
    rng = np.random.default_rng(rng)
    batch, n = s.shape
    J, h = memory.J, memory.h
    tol = 1e-12 * max(1.0, float(np.abs(J).sum(axis=1).max() + np.abs(h).max()))
    rows = np.arange(batch)
    sweeps = np.zeros(batch, dtype=int)
    converged = np.zeros(batch, dtype=bool)
    trajectory = [s.copy()] if record else None
    for _ in range(max_sweeps):
        fields = s @ J + h
        order = rng.permuted(np.tile(np.arange(n), (batch, 1)), axis=1)
        changed = np.zeros(batch, dtype=bool)
        for step in range(n):
            k = order[:, step]
            flip = s[rows, k] * fields[rows, k] < -tol
            if flip.any():
                r, kk = rows[flip], k[flip]
                s[r, kk] = -s[r, kk]
                fields[r] += 2.0 * s[r, kk][:, None] * J[kk]
                changed[r] = True
            if record:
                trajectory.append(s.copy())
        sweeps[~converged] += 1
        converged |= ~changed
        if converged.all():
            break
    return DynamicsResult(s, sweeps, converged, np.array(trajectory) if record else None)


def corrupt(patterns: np.ndarray, flip_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Copies of ``patterns`` (B, N) with round(ρN) bits each flipped, chosen uniformly without replacement."""
    patterns = np.asarray(patterns, dtype=float)
    batch, n = patterns.shape
    flips = round(flip_fraction * n)
    chosen = np.argsort(rng.random((batch, n)), axis=1)[:, :flips]
    cues = patterns.copy()
    cues[np.arange(batch)[:, None], chosen] *= -1
    return cues


@dataclass
class RecallResult(ExperimentResult):
    """Overlaps (trials, P) before (``initial_overlaps``) and after recall, with summary statistics."""

    n: int
    num_patterns: int
    trials: int
    flip_fraction: float
    method: str
    read: str | None
    seed: int
    overlaps: np.ndarray
    initial_overlaps: np.ndarray
    mean_overlap: float
    success_fraction: float
    exact_fraction: float
    sweeps: np.ndarray | None = None
    converged_fraction: float | None = None
    protocol: dict[str, Any] | None = None
    multi_flip_reads: float | None = None
    sampler_info: dict[str, Any] = field(default_factory=dict, repr=False)

    def plot(self, path: str | os.PathLike) -> Path:
        """Histogram of the final overlaps, and final against initial overlap per cue."""
        fig, (left, right) = new_figure(1, 2)
        final = np.asarray(self.overlaps).ravel()
        left.hist(final, bins=np.linspace(-1, 1, 41), color="C0")
        left.axvline(SUCCESS_OVERLAP, color="C3", ls="--", label=f"success m ≥ {SUCCESS_OVERLAP}")
        left.set(
            xlabel="overlap m after recall",
            ylabel="cues",
            title=f"{self.method}: ⟨m⟩ = {self.mean_overlap:.3f}, success {self.success_fraction:.2f}",
        )
        left.legend()
        right.scatter(np.asarray(self.initial_overlaps).ravel(), final, s=10, alpha=0.6)
        right.plot([-1, 1], [-1, 1], color="0.6", lw=0.8)
        right.set(
            xlabel="overlap of the cue m₀", ylabel="overlap after recall m", xlim=(-1.05, 1.05), ylim=(-1.05, 1.05)
        )
        return save_figure(fig, path)


def recall(
    memory: IsingMemory,
    patterns: Any,
    *,
    flip_fraction: float,
    sampler: Any = None,
    protocol: Protocol | str | Mapping[str, Any] | None = None,
    trials: int = 10,
    seed: int = 0,
    max_sweeps: int = 100,
    num_reads: int = 100,
    read: Literal["lowest", "majority"] = "lowest",
) -> RecallResult:
    """Corrupt each pattern ``trials`` times and recover it; see the module doc for the two methods.

    With a ``sampler`` (name or instance), ``protocol`` must be a ``Survival`` protocol (its ``state`` is
    replaced by each cue), e.g. ``"survival:gamma=0.1,time=50,regime=dephased,beta=10"`` on ``sa``; each cue is
    one sampler run of ``num_reads`` reads.
    """
    if not isinstance(memory, IsingMemory):
        raise InvalidInputError(f"recall needs an IsingMemory, got {type(memory).__name__}")
    xi = as_spin_states(patterns, memory.n, name="patterns")
    xi = xi[None, :] if xi.ndim == 1 else xi
    if not 0 <= float(flip_fraction) <= 1:
        raise InvalidInputError(f"flip_fraction must lie in [0, 1], got {flip_fraction!r}")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise InvalidInputError(f"trials must be a positive integer, got {trials!r}")
    if read not in ("lowest", "majority"):
        raise InvalidInputError(f"read must be 'lowest' or 'majority', got {read!r}")
    rng = np.random.default_rng(seed)
    targets = np.tile(xi, (trials, 1))  # row t·P + μ is pattern μ in trial t
    cues = corrupt(targets, float(flip_fraction), rng)
    common = {
        "n": memory.n,
        "num_patterns": xi.shape[0],
        "trials": int(trials),
        "flip_fraction": float(flip_fraction),
        "seed": seed,
    }
    if sampler is None:
        if protocol is not None:
            raise InvalidInputError("a protocol needs a sampler; pass sampler=... or drop protocol for zero-T dynamics")
        dynamics = zero_temperature_dynamics(memory, cues, rng=rng, max_sweeps=max_sweeps)
        final = dynamics.states
        extra: dict[str, Any] = {
            "method": "zero-temperature",
            "read": None,
            "sweeps": dynamics.sweeps.reshape(trials, -1),
            "converged_fraction": float(dynamics.converged.mean()),
        }
    else:
        final, extra = _sampler_recall(
            memory, cues, resolve_sampler(sampler, purpose="recall on a sampler"), protocol, rng, num_reads, read
        )
    overlaps = (final * targets).mean(axis=1).reshape(trials, -1)
    initial = (cues * targets).mean(axis=1).reshape(trials, -1)
    return RecallResult(
        **common,
        overlaps=overlaps,
        initial_overlaps=initial,
        mean_overlap=float(overlaps.mean()),
        success_fraction=float(np.mean(overlaps >= SUCCESS_OVERLAP)),
        exact_fraction=float(np.mean(overlaps == 1.0)),
        **extra,
    )


def _sampler_recall(
    memory: IsingMemory,
    cues: np.ndarray,
    sampler: Any,
    protocol: Any,
    rng: np.random.Generator,
    num_reads: int,
    read: str,
) -> tuple[np.ndarray, dict[str, Any]]:
    if protocol is None:
        raise InvalidInputError(
            "sampler recall needs a Survival protocol started in each cue, e.g. "
            "protocol='survival:gamma=0.1,time=50,regime=dephased,beta=10' (sa) or a reverse anneal on dwave"
        )
    template = survival_template(protocol)
    bqm = memory.to_bqm()
    seeds = rng.integers(0, MAX_SEED, size=cues.shape[0])
    final = np.empty_like(cues)
    multi = []
    info: dict[str, Any] = {}
    for row, (cue, seed) in enumerate(zip(cues, seeds, strict=True)):
        run = Survival(state=tuple(int(v) for v in cue), **template)
        sampleset = sampler.run(bqm, run, num_reads=num_reads, seed=int(seed))
        info = dict(sampleset.info.get("qflow", {}))
        multi.append(classify_reads(sampleset, cue, memory.labels, num_reads).multi_flip)
        order = [list(sampleset.variables).index(v) for v in memory.labels]
        samples = np.asarray(sampleset.record.sample, dtype=float)[:, order]
        counts = np.asarray(sampleset.record.num_occurrences, dtype=float)
        seen = counts > 0
        if read == "lowest":
            energies = np.asarray(memory.energy(samples[seen]))
            final[row] = samples[seen][int(np.argmin(energies))]
        else:
            vote = counts @ samples
            final[row] = np.where(vote > 0, 1.0, np.where(vote < 0, -1.0, cue))
    extra = {
        "method": f"sampler:{sampler.name}",
        "read": read,
        "protocol": {"protocol": "survival", **template},
        "multi_flip_reads": float(np.mean(multi)),
        "sampler_info": info,
    }
    return final, extra
