"""qflow plugin ``dwave``: D-Wave quantum annealers through Ocean (``dwave``) and an offline twin (``dwave-mock``).

Importing this package never imports dwave-system (it is the optional extra ``qflow[dwave]``), so the plugin
is always listable by ``qflow plugins``; the samplers raise :class:`~qflow_core.errors.MissingExtraError`
with the ``pip install`` line when they are used without it.

>>> from qflow_core import get_sampler, Anneal, IsingMemory
>>> mock = get_sampler("dwave-mock")
>>> bqm = IsingMemory([[0, 1.0], [1.0, 0]], h=[0.2, 0.0]).to_bqm()
>>> ss = mock.run(bqm, Anneal("standard"), num_reads=20, seed=1)
>>> int(ss.record.num_occurrences.sum()), ss.info["qflow"]["backend"]["qpu_parameters"]["annealing_time"]
(20, 20.0)
"""

from typing import Any

from qflow_core.hookspecs import hookimpl
from qflow_dwave.samplers import DWave, DWaveMock

__all__ = ["DWave", "DWaveMock", "PathIntegralSubstitute", "qflow_samplers"]


@hookimpl
def qflow_samplers():
    return [DWave, DWaveMock]


def __getattr__(name: str) -> Any:
    """``PathIntegralSubstitute`` is imported on first use: its module loads dimod, which listing never needs."""
    if name == "PathIntegralSubstitute":
        from qflow_dwave.quantum import PathIntegralSubstitute

        return PathIntegralSubstitute
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
