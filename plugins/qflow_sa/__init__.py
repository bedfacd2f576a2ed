"""qflow plugin ``sa``: simulated annealing on dwave-samplers (``neal`` is a deprecated alias).

>>> from qflow_core import IsingMemory, Boltzmann, get_sampler
>>> bqm = IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm()
>>> ss = get_sampler("sa").run(bqm, Boltzmann(beta=1.0), num_reads=100, seed=1)
>>> int(ss.record.num_occurrences.sum())
100
"""

from qflow_core.hookspecs import hookimpl
from qflow_sa.sampler import SimulatedAnnealing

__all__ = ["SimulatedAnnealing", "qflow_samplers"]


@hookimpl
def qflow_samplers():
    return [SimulatedAnnealing]
