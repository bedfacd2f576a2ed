"""The solver calls of one sampling pass: read split, seeds, embedding and spin-reversal composition, retries.

Each call goes through the Ocean stack a researcher's own script would use::

    FixedEmbeddingComposite(SpinReversalTransformComposite(child, seed=call_seed), embedding)

The embedding of a new problem graph is found first, as ``EmbeddingComposite`` finds it (minorminer,
``embedding_seed``), and kept in the sampler's :class:`EmbeddingCache`, so later calls — other gauges, other
runs on the same graph, Boltzmann's pilot and main pass — reuse it. The cache is shared by threads: the first
run on a graph holds that graph's lock while it embeds, so concurrent runs on one graph wait for it and then
make exactly the calls a serial run would.

A call is made without waiting (:meth:`SolverCalls.start`: Ocean's ``sample`` returns a SampleSet that
resolves when the solver answers), so all the calls of a pass are in flight together and are waited for in
order; a transient failure, whether raised making the call or answering it, is retried then.

>>> cache = EmbeddingCache()
>>> with cache.first_embedding("graph") as found:
...     found is None
True
>>> cache.store("graph", {"a": (0, 4)}); cache.get("graph"), len(cache)
({'a': (0, 4)}, 1)
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.seeding import child_seed
from qflow_dwave._ocean import ocean
from qflow_dwave.connection import call_with_retries, transient_errors
from qflow_dwave.options import RunOptions
from qflow_dwave.solver_rules import check_call, max_reads_per_call

if TYPE_CHECKING:
    import dimod

__all__ = ["EmbeddingCache", "SolverCalls", "graph_key", "stack_reads"]

Embedding = dict[Hashable, tuple]


class SolverHost(Protocol):
    """What the solver calls need from the sampler that makes them (``qflow_dwave.qpu.QPUBase`` provides it)."""

    child: dimod.Sampler
    embedding_seed: int
    max_retries: int
    retry_backoff_s: float
    _embeddings: EmbeddingCache

    def call_parameters(self, seed: int) -> dict[str, Any]: ...

    def _secrets(self) -> Any: ...


class EmbeddingCache:
    """Embeddings found by minorminer, one per problem graph, shared by every run of one sampler (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[Hashable, Embedding] = {}
        self._graph_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> Embedding | None:
        """The embedding stored for graph ``key``, or None."""
        with self._lock:
            return self._found.get(key)

    def store(self, key: Hashable, embedding: Embedding) -> None:
        """Keep ``embedding`` for graph ``key``."""
        with self._lock:
            self._found[key] = embedding

    @contextmanager
    def first_embedding(self, key: Hashable) -> Iterator[Embedding | None]:
        """Hold graph ``key``'s lock (one thread embeds a graph at a time); yield what is stored by then."""
        with self._lock:
            graph_lock = self._graph_locks.setdefault(key, threading.Lock())
        with graph_lock:
            yield self.get(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._found)

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {"found": dict(self._found)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()
        self._found.update(state["found"])


class SolverCalls:
    """The solver calls sampling one programmed problem: read split, seeds, embedding, retries, details."""

    def __init__(
        self,
        sampler: SolverHost,
        problem: dimod.BinaryQuadraticModel,
        qpu: Mapping[str, Any],
        opts: RunOptions,
        *,
        num_reads: int,
        chain_strength: float,
        gauges: int = 0,
    ) -> None:
        self.sampler, self.child, self.problem = sampler, sampler.child, problem
        self.qpu = {**opts.qpu_parameters, **qpu}
        if opts.label is not None:
            self.qpu["label"] = opts.label
        self.chain_strength = chain_strength
        self.gauges = min(gauges, num_reads)  # every call takes at least one read
        max_reads = max(1, max_reads_per_call(self.child.properties, self.qpu))
        calls = max(1, self.gauges, math.ceil(num_reads / max_reads))
        self.reads_per_call = [num_reads // calls + (i < num_reads % calls) for i in range(calls)]
        if opts.embedding is not None:
            _verify_embedding(opts.embedding, problem, self.child)
        self._key = graph_key(problem)
        self.embedding = opts.embedding if opts.embedding is not None else sampler._embeddings.get(self._key)
        #: every call measured so far (BackendError.partial when a later one fails)
        self.done: list[dimod.SampleSet] = []

    def check(self, **qpu: Any) -> None:
        """Reject what the solver would reject (:func:`check_call`) before any call is made."""
        parameters = {**self.qpu, **qpu, "num_reads": max(self.reads_per_call), "answer_mode": "raw"}
        check_call(self.child, self.problem, parameters)

    def seeds(self, seed: int) -> list[int]:
        """One seed per call of a run seeded ``seed``."""
        return [child_seed(seed, i) for i in range(len(self.reads_per_call))]

    def embed(self) -> None:
        """Find the problem's embedding unless it is known (given, or cached for this graph).

        minorminer runs as ``EmbeddingComposite`` runs it (its ``find_embedding`` on the solver's working graph,
        ``random_seed=embedding_seed``), once per graph: concurrent runs on the graph wait for it and reuse it.
        Every call is then made through ``FixedEmbeddingComposite``, so all of a run's calls can be in flight.
        """
        if self.embedding is not None:
            return
        with self.sampler._embeddings.first_embedding(self._key) as found:
            if found is None:
                found = _find_embedding(self.child, self.problem, self.sampler.embedding_seed)
                self.sampler._embeddings.store(self._key, found)
            self.embedding = found

    def start(self, reads: int, seed: int, qpu: Mapping[str, Any], *, what: str) -> Callable[[], dimod.SampleSet]:
        """Make one solver call of ``reads`` reads now; return the call that waits for its answer.

        Ocean's ``sample`` returns at once a SampleSet that resolves when the solver answers; the returned call
        resolves it, and retries the solver call on transient failures (made or answered), so a retried call
        repeats the same gauge and seed. Call :meth:`embed` first.
        """
        kwargs = dict(
            qpu, num_reads=reads, answer_mode="raw", chain_strength=self.chain_strength, return_embedding=True
        )
        if self.gauges:
            kwargs["num_spin_reversal_transforms"] = 1
        kwargs.update(self.sampler.call_parameters(seed))
        preprocessing, system = ocean("preprocessing"), ocean("system")

        def submit() -> dimod.SampleSet | Exception:
            # a fresh stack per attempt; an error making the call is raised when it is waited for
            inner = preprocessing.SpinReversalTransformComposite(self.child, seed=seed) if self.gauges else self.child
            try:
                return system.FixedEmbeddingComposite(inner, self.embedding).sample(self.problem, **kwargs)
            except Exception as exc:
                return exc

        in_flight = [submit()]

        def attempt() -> dimod.SampleSet:
            sampleset = in_flight.pop() if in_flight else submit()
            if isinstance(sampleset, Exception):
                raise sampleset
            sampleset.resolve()
            return sampleset

        def wait() -> dimod.SampleSet:
            result = call_with_retries(
                attempt,
                what=what,
                max_retries=self.sampler.max_retries,
                backoff_s=self.sampler.retry_backoff_s,
                transient=transient_errors(),
                secrets=self.sampler._secrets(),
                partial=self.done,
                hint="the calls measured before the failure are in BackendError.partial",
            )
            self.done.append(result)
            return result

        return wait

    def call(self, reads: int, seed: int, qpu: Mapping[str, Any], *, what: str) -> dimod.SampleSet:
        """One solver call, waited for (:meth:`start` then its answer)."""
        return self.start(reads, seed, qpu, what=what)()

    def outcome(self, results: list[dimod.SampleSet], **qpu: Any) -> tuple[dimod.SampleSet, dict[str, Any]]:
        """The reads of ``results`` stacked (one row per read) and the details for ``info``."""
        parameters = {**self.qpu, **qpu}
        details = _call_details(
            self.child, parameters, results, self.embedding, self.chain_strength, self.gauges, self.problem
        )
        return stack_reads(self.problem, results), details


def graph_key(bqm: dimod.BinaryQuadraticModel) -> Hashable:
    """The problem graph of ``bqm`` (variables and couplings) as a hashable key."""
    return frozenset(bqm.variables), frozenset(frozenset(edge) for edge in bqm.quadratic)


def stack_reads(problem: dimod.BinaryQuadraticModel, samplesets: list[dimod.SampleSet]) -> dimod.SampleSet:
    """One SampleSet over ``problem``'s variables with one row per read (chain-break fractions kept)."""
    import dimod

    rows, breaks = [], []
    for ss in samplesets:
        order = [list(ss.variables).index(v) for v in problem.variables]
        counts = ss.record.num_occurrences
        rows.append(np.repeat(ss.record.sample[:, order], counts, axis=0))
        breaks.append(np.repeat(ss.record.chain_break_fraction, counts))
    return dimod.SampleSet.from_samples_bqm(
        (np.concatenate(rows), list(problem.variables)), problem, chain_break_fraction=np.concatenate(breaks)
    )


def _find_embedding(child: Any, problem: dimod.BinaryQuadraticModel, seed: int) -> Embedding:
    """The embedding ``EmbeddingComposite(child, embedding_parameters={"random_seed": seed})`` finds for ``problem``."""
    composite = ocean("system").EmbeddingComposite(child, embedding_parameters={"random_seed": seed})
    source = list(problem.quadratic) + [(v, v) for v in problem.linear]  # self-loops keep isolated variables
    found = composite.find_embedding(source, composite.target_structure.edgelist, **composite.embedding_parameters)
    if problem.num_variables and not found:
        raise ValueError("no embedding found")
    return {v: tuple(chain) for v, chain in found.items()}


def _verify_embedding(embedding: Mapping, problem: dimod.BinaryQuadraticModel, child: Any) -> None:
    import networkx as nx

    source = nx.Graph()
    source.add_nodes_from(problem.variables)
    source.add_edges_from(problem.quadratic)
    try:
        ocean("embedding").verify_embedding(embedding, source, child.edgelist)
    except Exception as exc:
        raise InvalidInputError(
            f"the embedding is not valid for this problem on the solver's working graph: {exc}"
        ) from None


def _call_details(
    child: Any,
    qpu: Mapping[str, Any],
    samplesets: list[dimod.SampleSet],
    embedding: Mapping,
    chain_strength: float,
    gauges: int,
    problem: dimod.BinaryQuadraticModel,
) -> dict[str, Any]:
    props = child.properties
    timings = [dict(ss.info.get("timing", {})) for ss in samplesets]
    breaks = np.concatenate([np.repeat(ss.record.chain_break_fraction, ss.record.num_occurrences) for ss in samplesets])
    chain_lengths = [len(chain) for chain in embedding.values()]
    parameters = {k: _jsonable(v, problem) for k, v in qpu.items()}
    return {
        "solver": {"chip_id": props.get("chip_id"), "topology": props.get("topology")},
        "qpu_parameters": parameters,
        "num_calls": len(samplesets),
        "reads_per_call": [int(ss.record.num_occurrences.sum()) for ss in samplesets],
        "num_spin_reversal_transforms": gauges,
        "chain_strength": float(chain_strength),
        "chain_break_fraction": float(breaks.mean()) if breaks.size else 0.0,
        "embedding": {
            "num_qubits": int(sum(chain_lengths)),
            "max_chain_length": int(max(chain_lengths)),
            "mean_chain_length": float(np.mean(chain_lengths)),
            "chains": [[_jsonable(v, problem), [int(q) for q in chain]] for v, chain in embedding.items()],
        },
        "qpu_timing": timings,
        "qpu_access_time_us": float(sum(t.get("qpu_access_time", 0.0) for t in timings)),
    }


def _jsonable(value: Any, problem: dimod.BinaryQuadraticModel) -> Any:
    """JSON-friendly copy; a mapping over the problem's variables (initial_state) becomes a list in their order."""
    if isinstance(value, Mapping):
        return [int(value[v]) for v in problem.variables]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, problem) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
