"""qflow plugin ``qaoa``: gate-model QAOA through Qiskit and qiskit-optimization (extra ``qflow[qaoa]``).

Importing this package needs only numpy and dimod; Qiskit is imported on the first run, so ``qflow
plugins`` lists ``qaoa`` even without the extra and a run then raises ``MissingExtraError`` with the
``pip install "qflow[qaoa]"`` line.

>>> from qflow_core import Survival, get_sampler
>>> from qflow_core.testing import small_test_bqm
>>> ss = get_sampler("qaoa").run(small_test_bqm(3), Survival((1, -1, 1), gamma=0.2, time=1.0), num_reads=200, seed=0)
>>> ss.info["qflow"]["backend"]["primitive"], int(ss.record.num_occurrences.sum())
('exact', 200)
"""

from qflow_core.hookspecs import hookimpl
from qflow_qaoa.sampler import QAOASampler

__all__ = ["QAOASampler", "qflow_samplers"]


@hookimpl
def qflow_samplers():
    return [QAOASampler]
