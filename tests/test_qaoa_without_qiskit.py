"""What the ``qaoa`` sampler does without the ``qflow[qaoa]`` extra (Qiskit hidden from the import system).

The default ``primitive="exact"`` path of ``Anneal`` and coherent ``Survival`` is plain numpy, so it runs
without Qiskit; the variational ``GroundState`` (qiskit-optimization's optimiser) and every Qiskit primitive need
the extra and say so with the pip line. The README's qaoa section states exactly this.
"""

import sys

import dimod
import pytest

from qflow_core import Anneal, GroundState, Survival, get_sampler
from qflow_core.errors import MissingExtraError

QISKIT = ("qiskit", "qiskit_optimization", "qiskit_aer", "qiskit_algorithms")


@pytest.fixture
def no_qiskit(monkeypatch):
    """Make every ``import qiskit...`` fail, as on a machine without the extra (imported modules included)."""
    for name in [*QISKIT, *(m for m in list(sys.modules) if m.split(".")[0] in QISKIT)]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError):
        import qiskit  # noqa: F401


BQM = dimod.BQM({0: 0.5, 1: -0.3}, {(0, 1): -1.0}, 0.0, "SPIN")


@pytest.mark.parametrize("protocol", [Anneal("fast"), Survival((1, -1), gamma=0.3, time=1.0)])
def test_exact_statevector_protocols_run_without_qiskit(no_qiskit, protocol):
    ss = get_sampler("qaoa").run(BQM, protocol, num_reads=50, seed=0)
    assert int(ss.record.num_occurrences.sum()) == 50
    assert abs(float(ss.record.probability.sum()) - 1.0) < 1e-9


@pytest.mark.parametrize(
    ("protocol", "options"),
    [(GroundState(), {}), (Anneal("fast"), {"primitive": "statevector"})],
)
def test_variational_ground_state_and_qiskit_primitives_need_the_extra(no_qiskit, protocol, options):
    with pytest.raises(MissingExtraError, match=r'pip install "qflow\[qaoa\]"'):
        get_sampler("qaoa").run(BQM, protocol, num_reads=50, seed=0, **options)
