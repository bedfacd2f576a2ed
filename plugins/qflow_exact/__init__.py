"""qflow plugin ``exact``: exact enumeration and exact diagonalization of the transverse-field Ising model.

Numerics live in modules by job: :mod:`qflow_exact.hamiltonian` (basis, diagonal, Hamiltonian),
:mod:`qflow_exact.eigen` and :mod:`qflow_exact.lanczos` (ground states and excited levels),
:mod:`qflow_exact.observables`, :mod:`qflow_exact.thermal` (Gibbs states) — their public names gathered in
:mod:`qflow_exact.tfim` — and :mod:`qflow_exact.krylov` (real-time evolution), :mod:`qflow_exact.davies`
(dephased master equation), :mod:`qflow_exact.anneal` (schedule evolution); :class:`ExactSampler` runs the
protocols.

>>> from qflow_core import IsingMemory, Boltzmann, get_sampler
>>> bqm = IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm()
>>> ss = get_sampler("exact").run(bqm, Boltzmann(beta=1.0), num_reads=100, seed=1)
>>> len(ss), int(ss.record.num_occurrences.sum()), round(float(ss.record.probability.sum()), 12)
(4, 100, 1.0)
"""

from qflow_core.hookspecs import hookimpl
from qflow_exact.sampler import ExactSampler

__all__ = ["ExactSampler", "qflow_samplers"]


@hookimpl
def qflow_samplers():
    return [ExactSampler]
