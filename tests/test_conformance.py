"""Every built-in sampler and the third-party example pass the conformance kit, one test per check."""

import sys
from pathlib import Path

from qflow_dwave import DWaveMock
from qflow_exact import ExactSampler
from qflow_qaoa import QAOASampler
from qflow_sa import SimulatedAnnealing
from qflow_sqa import PathIntegralSampler

from qflow_core.testing import parametrize_with_checks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "third_party_plugin"))
from qflow_enum import EnumerationSampler

SAMPLERS = [
    SimulatedAnnealing(),
    ExactSampler(),
    DWaveMock(),
    (QAOASampler(), {"reps": 1, "maxiter": 20}),
    PathIntegralSampler(),
    EnumerationSampler(),
]


@parametrize_with_checks(SAMPLERS, num_reads=20)
def test_conformance(sampler, check):
    check(sampler)


@parametrize_with_checks([DWaveMock(sampler="sqa", topology_shape=[4])], num_reads=20)
def test_conformance_of_the_quantum_mock(sampler, check):
    check(sampler)
