"""Test helpers for code that runs on ``dwave-mock``: see exactly what reaches the (mock) solver.

>>> from qflow_core import Anneal, IsingMemory
>>> from qflow_dwave import DWaveMock
>>> solver = RecordingSubstitute(num_sweeps=10)
>>> sampler = DWaveMock(substitute_sampler=solver)
>>> _ = sampler.run(IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm(), Anneal(time_us=50), num_reads=8, seed=0)
>>> {kwargs["annealing_time"] for _, kwargs in solver.calls}
{50.0}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dimod

from qflow_dwave.mock import ThermalSubstitute

__all__ = ["RecordingSubstitute"]


class RecordingSubstitute(ThermalSubstitute):
    """The thermal substitute, remembering every (programmed BQM, keyword arguments) the mock QPU received.

    ``fail_on`` holds 1-based call numbers that raise a transient ``RequestTimeout`` instead, to exercise
    retries and the ``partial`` results of a :class:`~qflow_core.errors.BackendError`.
    """

    def __init__(self, fail_on: Iterable[int] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[tuple[dimod.BinaryQuadraticModel, dict[str, Any]]] = []
        self.fail_on = set(fail_on)

    def sample(self, bqm: dimod.BinaryQuadraticModel, **kwargs: Any) -> dimod.SampleSet:
        from dwave.cloud.exceptions import RequestTimeout

        self.calls.append((bqm.copy(), dict(kwargs)))
        if len(self.calls) in self.fail_on:
            raise RequestTimeout("API request timed out")
        return super().sample(bqm, **kwargs)
