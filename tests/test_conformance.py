"""Every built-in sampler and the third-party example pass the conformance kit, one test per check."""

import sys
from pathlib import Path

from qflow_dwave import DWaveMock, PathIntegralSubstitute
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


# the quantum substitute with fewer slices and sweeps than its defaults, to keep the kit fast
QUANTUM_MOCK = DWaveMock(
    substitute_sampler=PathIntegralSubstitute(trotter_slices=8, sweeps_per_us=5), topology_shape=[4]
)


@parametrize_with_checks([QUANTUM_MOCK], num_reads=20)
def test_conformance_of_the_quantum_mock(sampler, check):
    check(sampler)
