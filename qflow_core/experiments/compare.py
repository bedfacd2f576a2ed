"""The attention map on several samplers × protocols: one table, one figure, nothing lost on failure.

Every (sampler, protocol) pair the sampler supports is run with :func:`attention_map`; unsupported pairs
are skipped with the reason, and a run that raises is recorded as a row with its error while the others
go on; a sampler whose *first* run raises :class:`~qflow_core.errors.BackendError` (no credentials, service
unreachable) is listed as unavailable, with the message, and not tried again. With ``checkpoint=path`` the
partial result is saved (atomically) after every run, so an interruption keeps the finished runs. Each
run's seed is derived from ``seed`` and the run's sampler and protocol, so adding a sampler never changes
the numbers of the others.

>>> from qflow_core.models.attention import OneHotAttention
>>> memory = OneHotAttention.random(num_keys=5, dim=8, seed=2)
>>> result = compare(memory, ["enum"], ["boltzmann:beta=1", "anneal:kind=fast"], num_reads=2000, seed=0,
...                  progress=False)
>>> [(row.sampler, row.protocol, row.verdict) for row in result.rows]  # doctest: +ELLIPSIS
[('enum', 'boltzmann:beta=1.0,gamma=0.0', '...')]
>>> [(s.sampler, s.reason) for s in result.skipped]
[('enum', 'enum does not support anneal')]
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.errors import BackendError
from qflow_core.experiments.attention import AttentionResult, attention_map, draw_attention
from qflow_core.io import atomic_write_json
from qflow_core.models.attention import OneHotAttention
from qflow_core.protocols import Protocol, as_protocol
from qflow_core.registry import available_samplers, resolve_sampler
from qflow_core.results import ExperimentResult, new_figure, save_figure
from qflow_core.sampler import Sampler
from qflow_core.seeding import child_seed

__all__ = ["CompareResult", "CompareRow", "SkippedRun", "builtin_instance", "compare", "run_seed"]

#: Reads per run when ``num_reads`` does not name the sampler.
DEFAULT_READS = 10000

#: What ``qflow compare`` asks every sampler for: Boltzmann at β = 2, the standard (20 µs) and fast (20 ns)
#: anneals, and the ground state of H(Γ) at Γ = 0.5 (in score units).
DEFAULT_PROTOCOLS: tuple[str, ...] = (
    "boltzmann:beta=2",
    "anneal:kind=standard",
    "anneal:kind=fast",
    "ground_state:gamma=0.5",
)

#: The built-in instance of ``qflow compare`` / ``qflow attention``: M keys in d dimensions, seeded.
BUILTIN_NUM_KEYS, BUILTIN_DIM, BUILTIN_SEED = 8, 16, 0

ProtocolsArg = Sequence[Protocol | str] | Mapping[str, Sequence[Protocol | str]]


@dataclass
class CompareRow:
    """One line of the table; the fit columns are None when the run failed or had no one-hot read."""

    sampler: str
    protocol: str
    fidelity: str | None
    num_reads: int
    seed: int
    beta: float | None = None
    beta_se: float | None = None
    gamma: float | None = None
    delta_loglik: float | None = None
    vuong_z: float | None = None
    vuong_p: float | None = None
    verdict: str = "error"
    invalid_fraction: float | None = None
    wall_s: float | None = None
    error: str | None = None

    @classmethod
    def from_result(cls, result: AttentionResult) -> CompareRow:
        c = result.comparison
        return cls(
            sampler=result.sampler,
            protocol=result.protocol_label,
            fidelity=result.fidelity,
            num_reads=result.num_reads,
            seed=result.seed,
            beta=c.softmax.beta if c else None,
            beta_se=c.softmax.se if c else None,
            gamma=c.lorentzian.gamma if c else None,
            delta_loglik=c.delta_loglik if c else None,
            vuong_z=c.vuong_z if c else None,
            vuong_p=c.vuong_p if c else None,
            verdict=result.verdict,
            invalid_fraction=result.invalid_fraction,
            wall_s=result.timing["wall_s"],
        )


@dataclass
class SkippedRun:
    """A pair that was not run, and why (e.g. the sampler does not support the protocol)."""

    sampler: str
    protocol: str
    reason: str


@dataclass
class CompareResult(ExperimentResult):
    """Rows of the table, skipped pairs, the full :class:`AttentionResult` of every successful run."""

    scores: np.ndarray
    penalty: float
    seed: int
    rows: list[CompareRow] = field(default_factory=list)
    skipped: list[SkippedRun] = field(default_factory=list)
    runs: list[AttentionResult] = field(default_factory=list)

    def table(self) -> str:
        """Fixed-width text table (sampler, protocol, fidelity, β̂±SE, γ̂, Δℓ, Vuong z, verdict, invalid, s)."""
        header = ["sampler", "protocol", "fidelity", "beta ± SE", "gamma", "dloglik", "Vuong z", "verdict", "invalid"]
        header.append("wall s")
        cells = []
        for r in self.rows:
            cells.append(
                [
                    r.sampler,
                    r.protocol,
                    r.fidelity or "-",
                    "-" if r.beta is None else f"{_num(r.beta)} ± {_num(r.beta_se, '.2g')}",
                    _num(r.gamma),
                    _num(r.delta_loglik, "+.4g"),
                    _num(r.vuong_z, "+.3g"),
                    r.verdict,
                    "-" if r.invalid_fraction is None else f"{r.invalid_fraction:.1%}",
                    _num(r.wall_s, ".2f"),
                ]
            )
        widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
        text = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *cells]]
        text.insert(1, "  ".join("-" * w for w in widths))
        for r in self.rows:
            if r.error:
                text.append(f"error   {r.sampler} {r.protocol}: {r.error}")
        for s in self.skipped:
            text.append(f"skipped {s.sampler} {s.protocol}: {s.reason}")
        return "\n".join(text)

    def plot(self, path: str | os.PathLike) -> Path:
        """One figure, one panel per successful run (observed bars, both fits, verdict in each title)."""
        n = len(self.runs)
        ncols = min(3, max(n, 1))
        nrows = max(1, math.ceil(n / ncols))
        fig, axes = new_figure(nrows, ncols, figsize=(5.6 * ncols, 4.4 * nrows), squeeze=False)
        for ax in axes.flat[n:]:
            ax.axis("off")
        for ax, run in zip(axes.flat, self.runs, strict=False):
            draw_attention(ax, run, compact=True)
        if n == 0:
            axes.flat[0].text(0.5, 0.5, "no successful runs", ha="center", va="center", fontsize=14)
        fig.suptitle(f"One-hot attention map: softmax vs Lorentzian (M = {len(self.scores)} keys)", fontsize=13)
        return save_figure(fig, path)


def _num(x: float | None, spec: str = ".4g") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(x, spec)


def builtin_instance(*, scale: float | None = None, penalty: float | None = None) -> OneHotAttention:
    """The seeded demo instance: :meth:`OneHotAttention.random` with M = 8 keys in d = 16, seed 0."""
    return OneHotAttention.random(BUILTIN_NUM_KEYS, BUILTIN_DIM, seed=BUILTIN_SEED, scale=scale, penalty=penalty)


def run_seed(seed: int, sampler: str, protocol: Protocol | str) -> int:
    """The seed of one row: :func:`~qflow_core.seeding.child_seed` of ``seed`` keyed by sampler and protocol."""
    return child_seed(seed, f"{sampler}|{as_protocol(protocol)}")


def compare(
    memory: OneHotAttention,
    samplers: Sequence[Sampler | str] | None = None,
    protocols: ProtocolsArg | None = None,
    *,
    num_reads: int | Mapping[str, int] = DEFAULT_READS,
    seed: int = 0,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    backend_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> CompareResult:
    """Run :func:`attention_map` for every sampler × protocol; see the module docstring.

    ``samplers``: instances or names (default: every installed sampler). ``protocols``: a list used for
    every sampler, or ``{sampler name: list}`` (default: :data:`DEFAULT_PROTOCOLS`). ``num_reads``: an int or
    ``{sampler name: reads}`` (others get :data:`DEFAULT_READS`). ``backend_options``: ``{sampler name:
    options}`` forwarded to :meth:`Sampler.run`. ``progress`` shows a tqdm bar on stderr.
    """
    from tqdm.auto import tqdm

    names = list(samplers) if samplers is not None else available_samplers()
    protocols = DEFAULT_PROTOCOLS if protocols is None else protocols
    result = CompareResult(scores=memory.scores.copy(), penalty=memory.penalty, seed=seed)
    plan: list[tuple[Sampler, Protocol, int]] = []
    for entry in names:
        label = entry if isinstance(entry, str) else entry.name
        wanted = [as_protocol(p) for p in _for_sampler(protocols, label, default=DEFAULT_PROTOCOLS)]
        try:
            sampler = resolve_sampler(entry)
        except Exception as exc:  # a sampler that cannot be built must not stop the others
            result.skipped.extend(SkippedRun(label, str(p), f"cannot load: {exc}") for p in wanted)
            continue
        reads = num_reads if isinstance(num_reads, int) else int(num_reads.get(sampler.name, DEFAULT_READS))
        for protocol in wanted:
            if sampler.supports(protocol) is None:
                reason = f"{sampler.name} does not support {protocol.capability}"
                if protocol.capability in sampler.capabilities:  # declared, but not with these parameters
                    reason = f"{sampler.name} does not support {protocol} (only other {protocol.capability} settings)"
                result.skipped.append(SkippedRun(sampler.name, str(protocol), reason))
            else:
                plan.append((sampler, protocol, reads))

    options = backend_options or {}
    unreachable: dict[str, str] = {}  # sampler → error of its first run, when that was a BackendError
    attempted: set[str] = set()
    bar = tqdm(plan, desc="attention map", unit="run", disable=not progress, file=sys.stderr, leave=True)
    for sampler, protocol, reads in bar:
        bar.set_postfix_str(f"{sampler.name} {protocol.name}")
        if sampler.name in unreachable:
            reason = f"not attempted: {sampler.name} is unavailable ({unreachable[sampler.name]})"
            result.skipped.append(SkippedRun(sampler.name, str(protocol), reason))
            continue
        first_attempt = sampler.name not in attempted
        attempted.add(sampler.name)
        seed_run = run_seed(seed, sampler.name, protocol)
        try:
            run = attention_map(
                memory, sampler, protocol, num_reads=reads, seed=seed_run, **options.get(sampler.name, {})
            )
        except BackendError as exc:
            if not first_attempt:
                result.rows.append(_error_row(sampler, protocol, reads, seed_run, exc))
            else:  # e.g. no credentials or service unreachable: the sampler is unavailable, not broken
                unreachable[sampler.name] = "its first run failed with BackendError"
                result.skipped.append(SkippedRun(sampler.name, str(protocol), f"unavailable: {exc}"))
        except Exception as exc:  # record and keep going: finished runs are never lost
            result.rows.append(_error_row(sampler, protocol, reads, seed_run, exc))
        else:
            result.runs.append(run)
            result.rows.append(CompareRow.from_result(run))
        if checkpoint is not None:
            atomic_write_json(checkpoint, result.to_dict())
    bar.close()
    return result


def _error_row(sampler: Sampler, protocol: Protocol, reads: int, seed: int, exc: Exception) -> CompareRow:
    row = CompareRow(sampler.name, str(protocol), sampler.supports(protocol), reads, seed)
    row.error = f"{type(exc).__name__}: {exc}"
    return row


def _for_sampler(value: Any, name: str, *, default: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get(name, default)
    return value
