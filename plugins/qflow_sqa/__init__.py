"""qflow plugin ``sqa``: simulated quantum annealing by path-integral Monte Carlo (compiled with numba).

:mod:`qflow_sqa.kernel` sweeps many replicas of the imaginary-time spin ring, :mod:`qflow_sqa.couplings` turns a
protocol (β, Γ, an anneal schedule, a bath temperature) into per-sweep couplings, :mod:`qflow_sqa.options`
declares the run options and :class:`PathIntegralSampler` runs the protocols.

>>> import dimod
>>> from qflow_core.protocols import Anneal
>>> bqm = dimod.BQM({0: 0.5, 1: -0.5}, {(0, 1): -1.0}, 0.0, "SPIN")
>>> ss = PathIntegralSampler().run(bqm, Anneal("fast"), num_reads=20, seed=3)
>>> int(ss.record.num_occurrences.sum()), ss.info["qflow"]["backend"]["sweeps"]
(20, 10)
"""

from qflow_core.hookspecs import hookimpl
from qflow_sqa.sampler import PathIntegralSampler

__all__ = ["PathIntegralSampler", "qflow_samplers"]


@hookimpl
def qflow_samplers():
    return [PathIntegralSampler]
