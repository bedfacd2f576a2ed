"""The child that lets Ocean's ``ReverseBatchStatesComposite`` make a batch's planned solver calls.

Kept apart from :mod:`qflow_dwave.reverse` because it is a :class:`dimod.Sampler` subclass: defining it imports
dimod, which :mod:`qflow_dwave.reverse` leaves to the first run (listing the plugin reads declarations only).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import dimod
import numpy as np

from qflow_dwave.calls import SolverCalls

__all__ = ["PlannedCalls"]


class PlannedCalls(dimod.Sampler):
    """Child of ``ReverseBatchStatesComposite`` making its k-th call as the k-th planned solver call.

    The composite consumes ``num_reads`` (as its number of initial states) and calls its child once per
    state with ``initial_state`` and the shared parameters; this adapter adds that call's read count and
    seed from ``plan`` (state index, reads, seed) and makes it through :class:`~qflow_dwave.calls.SolverCalls`,
    keeping each result and the time spent with its state. One adapter serves one batch (one run).
    """

    properties: ClassVar[dict[str, Any]] = {}

    def __init__(self, calls: SolverCalls, states: list[dict[Hashable, int]], plan: list[tuple[int, int, int]]):
        self._calls, self._states, self._plan = calls, states, plan
        self.results: list[list[dimod.SampleSet]] = [[] for _ in states]
        self.seconds = [0.0] * len(states)

    @property
    def parameters(self) -> dict[str, list]:
        # no answer_mode: the solver answers raw, as in single runs (the composite gets a histogram back)
        return {"initial_state": [], **{name: [] for name in self._calls.qpu}}

    def sample(self, bqm: dimod.BinaryQuadraticModel, *, initial_state: Mapping, **qpu: Any) -> dimod.SampleSet:
        done = sum(map(len, self.results))
        index, reads, seed = self._plan[done]
        state = {v: int(initial_state[v]) for v in bqm.variables}
        if state != self._states[index]:
            raise RuntimeError(
                f"ReverseBatchStatesComposite made call {done + 1} from another initial state than planned"
            )
        start = time.perf_counter()
        what = f"solver call {done + 1} of {len(self._plan)} (initial state {index + 1} of {len(self._states)})"
        result = self._calls.call(reads, seed, {**qpu, "initial_state": state}, what=what)
        self.seconds[index] += time.perf_counter() - start
        self.results[index].append(result)
        return _histogram(bqm, result, state)


def _histogram(
    bqm: dimod.BinaryQuadraticModel, reads: dimod.SampleSet, start: Mapping[Hashable, int]
) -> dimod.SampleSet:
    """``reads`` as the histogram ``ReverseBatchStatesComposite`` asks its child for, with its ``initial_state``
    field filled (numpy, not dimod's row-by-row ``aggregate``/``append_data_vectors``)."""
    variables = list(reads.variables)
    rows = np.repeat(reads.record.sample, reads.record.num_occurrences, axis=0)
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    starts = np.tile(np.array([start[v] for v in variables], dtype=distinct.dtype), (len(distinct), 1))
    return dimod.SampleSet.from_samples(
        (distinct, variables),
        reads.vartype,
        energy=bqm.energies((distinct, variables)),
        num_occurrences=counts,
        initial_state=starts,
    )
