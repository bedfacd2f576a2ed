"""The core shared by every D-Wave protocol: the lazily connected Ocean child and one sampling pass.

:class:`QPUBase` owns what all runs of one sampler share — the structured Ocean sampler (``DWaveSampler`` or
the mock, created on the first run) and the :class:`~qflow_dwave.calls.EmbeddingCache` — and keeps nothing
else between runs: every run's options, seeds and calls live in that run's own objects, so one instance can
be used from many threads. Creating and closing the child is guarded by a lock (one connection per
instance, however many threads make the first run at once).

>>> import dimod
>>> bqm = dimod.BQM({"a": 0.5}, {("a", "b"): -2.0}, 0.0, "SPIN")
>>> float(scaled(bqm, 0.5).quadratic[("a", "b")]), float(bqm.quadratic[("a", "b")])
(-1.0, -2.0)
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.sampler import Sampler, attach_details, spin_sampleset
from qflow_dwave._ocean import ocean
from qflow_dwave.calls import EmbeddingCache, SolverCalls
from qflow_dwave.options import RunOptions
from qflow_dwave.solver_rules import range_scale

if TYPE_CHECKING:
    import dimod

__all__ = ["QPUBase", "Steps", "scaled", "started"]


class QPUBase(Sampler):
    """The Ocean child (connected on first use, thread-safely), the embedding cache and one sampling pass."""

    #: Prefactor of Ocean's ``uniform_torque_compensation`` for the default chain strength.
    chain_strength_prefactor: ClassVar[float] = 1.414

    def __init__(self, *, max_retries: int = 3, retry_backoff_s: float = 1.0, embedding_seed: int = 0) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidInputError(f"max_retries must be an integer ≥ 0, got {max_retries!r}")
        if not retry_backoff_s >= 0:
            raise InvalidInputError(f"retry_backoff_s must be ≥ 0 seconds, got {retry_backoff_s!r}")
        self.max_retries = max_retries
        self.retry_backoff_s = float(retry_backoff_s)
        self.embedding_seed = int(embedding_seed)
        self._child: Any = None
        self._child_lock = threading.Lock()
        self._embeddings = EmbeddingCache()

    # -- the Ocean child ----------------------------------------------------------------------------------
    @property
    def child(self) -> Any:
        """The structured Ocean sampler (created on first use, once however many threads ask)."""
        child = self._child
        if child is None:
            with self._child_lock:
                if self._child is None:
                    self._child = self._connect()
                child = self._child
        return child

    @abc.abstractmethod
    def _connect(self) -> Any:
        """Build the structured Ocean sampler (``DWaveSampler`` or the mock)."""

    def call_parameters(self, seed: int) -> dict[str, Any]:
        """Extra keyword arguments of one solver call seeded ``seed`` (the mock passes the seed to its model)."""
        return {}

    def physics(self, *, reverse: bool) -> dict[str, Any]:
        """The model that produced a run's samples (``info["qflow"]["backend"]["physics"]``)."""
        return {"model": "the quantum annealing processor"}

    def _secrets(self) -> list[str | None]:
        return []

    def close(self) -> None:
        """Release the cloud client's resources (a later run reconnects)."""
        with self._child_lock:
            child, self._child = self._child, None
        if child is not None and hasattr(child, "close"):
            child.close()

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the configuration and embeddings; the connection and the lock are made anew after loading."""
        state = dict(self.__dict__)
        state["_child"], state["_child_lock"] = None, None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _child_lock=threading.Lock())

    # -- one sampling pass --------------------------------------------------------------------------------
    def _start_pass(
        self,
        problem: dimod.BinaryQuadraticModel,
        qpu: dict[str, Any],
        opts: RunOptions,
        *,
        num_reads: int,
        seed: int,
        chain_strength: float,
        gauges: int = 0,
    ) -> Callable[[], tuple[dimod.SampleSet, dict[str, Any]]]:
        """Put every solver call of a pass over ``problem`` in flight (gauge/read batches); return the call that
        waits for them: one row per read over the problem's variables, and the details."""
        calls = SolverCalls(self, problem, qpu, opts, num_reads=num_reads, chain_strength=chain_strength, gauges=gauges)
        calls.check()
        calls.embed()
        seeds = calls.seeds(seed)
        waits = [
            calls.start(reads, call_seed, calls.qpu, what=f"solver call {i + 1} of {len(seeds)}")
            for i, (reads, call_seed) in enumerate(zip(calls.reads_per_call, seeds, strict=True))
        ]
        return lambda: calls.outcome([wait() for wait in waits])

    def _finish(
        self,
        bqm: dimod.BinaryQuadraticModel,
        reads: dimod.SampleSet,
        details: dict[str, Any],
        notes: dict[str, Any],
    ) -> dimod.SampleSet:
        order = [list(reads.variables).index(v) for v in bqm.variables]
        spins = np.repeat(reads.record.sample[:, order], reads.record.num_occurrences, axis=0)
        physics = self.physics(reverse="initial_state" in details["qpu_parameters"])
        return attach_details(spin_sampleset(bqm, spins), **details, **notes, physics=physics)

    def _default_chain_strength(self, bqm: dimod.BinaryQuadraticModel) -> float:
        strength = ocean("chain_strength").uniform_torque_compensation(bqm, prefactor=self.chain_strength_prefactor)
        return float(strength) if strength > 0 else 1.0

    def _range_scale(self, bqm: dimod.BinaryQuadraticModel, chain_strength: float) -> float:
        props = self.child.properties
        linear, (_, _, quadratic), _ = bqm.to_numpy_vectors()
        needs_chains = len(bqm.quadratic) > 0
        return range_scale(
            linear, quadratic, props["h_range"], props["j_range"], chain_strength if needs_chains else 0.0
        )


#: A run as steps: it yields the wait of each pass it puts in flight, is sent that pass's answer, and returns
#: the run's SampleSet (a Boltzmann run waits for its pilot pass before it starts the main one).
Steps = Generator[Callable[[], Any], Any, "dimod.SampleSet"]


def started(steps: Steps) -> Callable[[], dimod.SampleSet]:
    """Advance ``steps`` to its first wait (its first solver calls are then in flight); return the call that
    waits for them and makes the rest of the run."""
    pending = next(steps)

    def rest() -> dimod.SampleSet:
        nonlocal pending
        while True:
            try:
                pending = steps.send(pending())
            except StopIteration as stop:
                return stop.value

    return rest


def scaled(bqm: dimod.BinaryQuadraticModel, scale: float) -> dimod.BinaryQuadraticModel:
    """A copy of ``bqm`` with every bias and the offset multiplied by ``scale``."""
    copy = bqm.copy()
    copy.scale(scale)
    return copy
