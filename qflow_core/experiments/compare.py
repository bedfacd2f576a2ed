"""The attention map on several samplers × protocols: replicated verdicts, fit quality, physics flags, one report.

Every (sampler, protocol) pair the sampler supports is run ``replicates`` times with :func:`attention_map` (each
replicate its own seed); unsupported pairs are skipped with the reason, and a run that raises is recorded as a row
with its error while the others go on; a sampler whose *first* run raises
:class:`~qflow_core.errors.BackendError` (no credentials, service unreachable) is listed as unavailable, with the
message, and not tried again. Each row carries the verdict counts over replicates (``softmax 3/3``), β̂ mean ± s.d.,
the median p-values of Vuong's test and of each model's G-test, the effective β̂ of the reads (pseudo-likelihood,
with its bootstrap interval and TV distance to Boltzmann), the sampler's physics class and the physics flags of
:mod:`qflow_core.experiments.flags`. Two protocols of one sampler that produced the same exact distribution are
shown once, with both names. With ``checkpoint=path`` the partial result is saved (atomically) after every row;
an interruption (Ctrl-C) stops the loop and returns the finished rows with ``interrupted=True``. Replicate 0 of a
row uses :func:`run_seed`; replicate r > 0 its child ``child_seed(run_seed, r)``, so adding a sampler or
replicates never changes another run's numbers.

>>> from qflow_core.models.attention import OneHotAttention
>>> memory = OneHotAttention.random(num_keys=5, dim=8, seed=2)
>>> result = compare(memory, ["enum"], ["boltzmann:beta=1", "anneal:kind=fast"], num_reads=2000, seed=0,
...                  progress=False)
>>> [(row.sampler, row.protocol, row.replicates) for row in result.rows]
[('enum', 'boltzmann:beta=1.0,gamma=0.0', 1)]
>>> [(s.sampler, s.reason) for s in result.skipped]
[('enum', 'enum does not support anneal')]
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.errors import BackendError, MissingExtraError
from qflow_core.experiments.attention import AttentionResult, attention_map
from qflow_core.experiments.compare_report import CompareRow, interpretation, rows_table
from qflow_core.experiments.flags import Flag, physics_flags, same_physics
from qflow_core.io import atomic_write_json
from qflow_core.models.attention import OneHotAttention
from qflow_core.protocols import Protocol, as_protocol
from qflow_core.registry import default_registry, resolve_sampler
from qflow_core.results import ExperimentResult
from qflow_core.sampler import DEFAULT_TAGS, Sampler, distribution_of
from qflow_core.seeding import child_seed

__all__ = ["CompareResult", "CompareRow", "SkippedRun", "builtin_instance", "compare", "default_samplers", "run_seed"]

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
class SkippedRun:
    """A pair that was not run, and why (e.g. the sampler does not support the protocol)."""

    sampler: str
    protocol: str
    reason: str


@dataclass
class CompareResult(ExperimentResult):
    """Rows of the table, skipped pairs, the :class:`AttentionResult` of every successful run, the flag
    ``warnings`` ("sampler protocol: message", never empty when a row is flagged) and the generated
    ``interpretation``; ``interrupted`` when Ctrl-C stopped the loop."""

    scores: np.ndarray
    penalty: float
    seed: int
    replicates: int = 1
    alpha: float = 0.05
    rows: list[CompareRow] = field(default_factory=list)
    skipped: list[SkippedRun] = field(default_factory=list)
    runs: list[AttentionResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interpretation: str = ""
    interrupted: bool = False

    def table(self) -> str:
        """The fixed-width table, errors, skipped pairs, flags and the interpretation paragraph."""
        text = [rows_table(self.rows, self.replicates)]
        text += [f"error   {r.sampler} {r.protocol}: {r.error}" for r in self.rows if r.error]
        grouped: dict[tuple[str, str], list[str]] = {}  # one line per sampler and reason, however many protocols
        for s in self.skipped:
            grouped.setdefault((s.sampler, s.reason), []).append(s.protocol)
        text += [f"skipped {name} {', '.join(protocols)}: {reason}" for (name, reason), protocols in grouped.items()]
        text += [f"flag    {w}" for w in self.warnings]
        if self.interrupted:
            text.append("interrupted: the table holds the rows finished before Ctrl-C")
        text += ["", self.interpretation]
        return "\n".join(text)

    def plot(self, path: str | os.PathLike) -> Path:
        """The summary grid (samplers × protocols) of :func:`qflow_core.experiments.compare_figure.summary_figure`."""
        from qflow_core.experiments.compare_figure import summary_figure

        return summary_figure(self, path)

    def finish(self) -> CompareResult:
        """Merge same-physics rows, collect the flag warnings and write the interpretation (idempotent)."""
        _merge_same_physics(self)
        self.warnings = [f"{r.sampler} {r.protocol}: {f['message']}" for r in self.rows for f in r.flags]
        self.interpretation = interpretation(self.rows, self.replicates)
        return self


def builtin_instance(*, scale: float | None = None, penalty: float | None = None) -> OneHotAttention:
    """The seeded demo instance: :meth:`OneHotAttention.random` with M = 8 keys in d = 16, seed 0."""
    return OneHotAttention.random(BUILTIN_NUM_KEYS, BUILTIN_DIM, seed=BUILTIN_SEED, scale=scale, penalty=penalty)


def default_samplers(all_installed: bool = False) -> list[str]:
    """Installed samplers that need no network and cost nothing; only qflow's own unless ``all_installed``."""
    ours = distribution_of(Sampler)["name"]
    names = []
    for name, cls in sorted(default_registry().sampler_classes().items()):
        tags = {**DEFAULT_TAGS, **(getattr(cls, "tags", {}) or {})}
        if tags["requires_network"] or tags["costs_money"]:
            continue
        if all_installed or distribution_of(cls)["name"] == ours:
            names.append(name)
    return names


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
    replicates: int = 1,
    alpha: float = 0.05,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    backend_options: Mapping[str, Mapping[str, Any]] | None = None,
    jobs: int = 1,
    client: Any = None,
) -> CompareResult:
    """Run :func:`attention_map` ``replicates`` times for every sampler × protocol; see the module docstring.

    ``samplers``: instances or names (default: :func:`default_samplers`, the offline, free qflow samplers).
    ``protocols``: a list used for every sampler, or ``{sampler name: list}`` (default:
    :data:`DEFAULT_PROTOCOLS`). ``num_reads``: an int or ``{sampler name: reads}`` (others get
    :data:`DEFAULT_READS`). ``backend_options``: ``{sampler name: options}`` forwarded to :meth:`Sampler.run`.
    ``progress`` shows a tqdm bar on stderr. ``jobs``: rows run concurrently in that many threads (seeds are per
    row, so the numbers do not depend on it; a sampler not tagged ``thread_safe`` runs as a copy per row); a
    sampler's first row runs before its others, so one that is unreachable is tried once. ``client``: a
    ``distributed.Client``; the replicates of every row then run as tasks on that Dask cluster (the sweep engine's),
    with the same seeds and so the same numbers as in this process.
    """
    from tqdm.auto import tqdm

    result = CompareResult(memory.scores.copy(), memory.penalty, seed, replicates=max(1, int(replicates)), alpha=alpha)
    plan = _plan(result, samplers, protocols, num_reads)
    options = backend_options or {}
    by_sampler: dict[str, list[int]] = {}  # plan indices of each sampler, in order
    for k, (sampler, _, _) in enumerate(plan):
        by_sampler.setdefault(sampler.name, []).append(k)
    rows: dict[int, CompareRow] = {}
    runs: dict[int, AttentionResult] = {}
    router = _WarningRouter(warnings.showwarning)

    def task(k: int) -> list[tuple[AttentionResult, list[Flag]]]:
        sampler, protocol, reads = plan[k]
        worker = sampler.for_worker() if jobs > 1 else sampler  # a copy when the sampler is not thread-safe
        return _replicates(memory, worker, protocol, reads, seed, result, options.get(sampler.name, {}), router, client)

    def record() -> None:
        result.rows = [rows[k] for k in sorted(rows)]
        result.runs = [runs[k] for k in sorted(runs)]
        result.finish()

    bar = tqdm(total=len(plan), desc="attention map", unit="row", disable=not progress, file=sys.stderr, leave=True)
    with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        warnings.simplefilter("always")
        warnings.showwarning = router.show
        futures = {pool.submit(task, ks[0]): ks[0] for ks in by_sampler.values()}  # first runs first
        try:
            while futures:
                for future in wait(futures, return_when=FIRST_COMPLETED).done:
                    k = futures.pop(future)
                    sampler, protocol, reads = plan[k]
                    is_first = k == by_sampler[sampler.name][0]
                    later = by_sampler[sampler.name][1:] if is_first else []
                    try:
                        done = future.result()
                    except BackendError as exc:
                        if not is_first:
                            rows[k] = _error_row(sampler, protocol, reads, seed, exc)
                        else:  # e.g. no credentials or service unreachable: the sampler is unavailable, not broken
                            result.skipped.append(SkippedRun(sampler.name, str(protocol), f"unavailable: {exc}"))
                            why = (
                                f"not attempted: {sampler.name} is unavailable (its first run failed with BackendError)"
                            )
                            result.skipped.extend(SkippedRun(sampler.name, str(plan[j][1]), why) for j in later)
                            later = []
                    except MissingExtraError as exc:  # not a failure of the run: said once per sampler in the table
                        result.skipped.append(SkippedRun(sampler.name, str(protocol), str(exc)))
                    except Exception as exc:  # record and keep going: finished runs are never lost
                        rows[k] = _error_row(sampler, protocol, reads, seed, exc)
                    else:
                        runs[k] = done[0][0]
                        rows[k] = CompareRow.from_runs(done, sampler.physics_class(protocol), alpha)
                    futures.update({pool.submit(task, j): j for j in later})
                    bar.update(1)
                    if checkpoint is not None:
                        record()
                        atomic_write_json(checkpoint, result.to_dict())
        except KeyboardInterrupt:
            result.interrupted = True
            pool.shutdown(wait=False, cancel_futures=True)
        finally:
            bar.close()
    record()
    return result


class _WarningRouter:
    """``warnings.showwarning`` that hands each worker thread's warnings to that thread's open collector."""

    def __init__(self, fallback: Any) -> None:
        self.fallback = fallback
        self.local = threading.local()

    def show(self, message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        sink = getattr(self.local, "sink", None)
        if sink is None:
            self.fallback(message, category, filename, lineno, file, line)
        else:
            sink.append(str(message))

    @contextlib.contextmanager
    def collect(self) -> Iterator[list[str]]:
        self.local.sink = []
        try:
            yield self.local.sink
        finally:
            self.local.sink = None


def _plan(
    result: CompareResult, samplers: Sequence[Sampler | str] | None, protocols: ProtocolsArg | None, num_reads: Any
) -> list[tuple[Sampler, Protocol, int]]:
    names = list(samplers) if samplers is not None else default_samplers()
    protocols = DEFAULT_PROTOCOLS if protocols is None else protocols
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
    return plan


def _replicates(
    memory: OneHotAttention,
    sampler: Sampler,
    protocol: Protocol,
    reads: int,
    seed: int,
    result: CompareResult,
    options: Mapping[str, Any],
    router: _WarningRouter,
    client: Any = None,
) -> list[tuple[AttentionResult, list[Flag]]]:
    """Every replicate of one row, each with its flags (warnings it issued are caught and become flags); on
    ``client`` (a Dask client) the replicates run as cluster tasks."""
    first = run_seed(seed, sampler.name, protocol)
    seeds = [first if r == 0 else child_seed(first, r) for r in range(result.replicates)]
    if client is not None:
        futures = [
            client.submit(replicate_run, memory, sampler, protocol, reads, s, dict(options), pure=False) for s in seeds
        ]
        return [(run, physics_flags(run, caught)) for run, caught in client.gather(futures)]
    runs = []
    for s in seeds:
        with router.collect() as caught:
            run = attention_map(memory, sampler, protocol, num_reads=reads, seed=s, calibrate=True, **options)
        runs.append((run, physics_flags(run, caught)))
    return runs


def replicate_run(
    memory: OneHotAttention, sampler: Sampler, protocol: Protocol, reads: int, seed: int, options: Mapping[str, Any]
) -> tuple[AttentionResult, list[str]]:
    """One replicate as a cluster task: the run and the messages of the warnings it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = attention_map(memory, sampler, protocol, num_reads=reads, seed=seed, calibrate=True, **options)
    return run, list(dict.fromkeys(str(w.message) for w in caught))


def _merge_same_physics(result: CompareResult) -> None:
    """Show two protocols of a sampler that produced one exact distribution as one row with both names."""
    by_key = {(r.sampler, r.protocol_label): r for r in result.runs}
    kept: list[CompareRow] = []
    for row in result.rows:
        twin = next(
            (
                k
                for k in kept
                if k.sampler == row.sampler
                and not row.error
                and not k.error
                and (k.sampler, k.protocols[0]) in by_key
                and (row.sampler, row.protocols[0]) in by_key
                and same_physics(by_key[(k.sampler, k.protocols[0])], by_key[(row.sampler, row.protocols[0])])
            ),
            None,
        )
        if twin is None:
            kept.append(row)
            continue
        if row.protocols[0] not in twin.protocols:
            twin.protocols.append(row.protocols[0])
            twin.protocol = " = ".join(twin.protocols)
            twin.flags.append(
                {
                    "code": "same_physics",
                    "message": f"{' and '.join(twin.protocols)} ran as the same physics (identical exact "
                    "distributions); shown once",
                }
            )
    result.rows = kept


def _error_row(sampler: Sampler, protocol: Protocol, reads: int, seed: int, exc: Exception) -> CompareRow:
    row = CompareRow(
        sampler.name, str(protocol), sampler.supports(protocol), reads, run_seed(seed, sampler.name, protocol)
    )
    row.physics_class = sampler.physics_class(protocol)
    row.error = f"{type(exc).__name__}: {exc}"
    return row


def _for_sampler(value: Any, name: str, *, default: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get(name, default)
    return value
