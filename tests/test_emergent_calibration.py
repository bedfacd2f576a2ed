"""Negative control: a sampler whose temperature is off by 20 % makes Γ ≠ 0 at nominal T_q = T."""

from typing import ClassVar

import dimod
import numpy as np
import pytest

from qflow_core.experiments.emergent import EmergentModel, Grid, LearnerDynamics, sampler_calibration
from qflow_core.protocols import Boltzmann
from qflow_core.registry import get_sampler
from qflow_core.sampler import Sampler


class Miscalibrated(Sampler):
    """The exact sampler run at β·factor while claiming β: an effective temperature off by 1/factor."""

    name = "miscalibrated-test"
    capabilities: ClassVar[dict[str, str]] = {"boltzmann": "exact"}
    stores_every_read = False  # one row per state, like the exact sampler it wraps

    def __init__(self, factor: float = 1.2, expectations: bool = False) -> None:
        self.inner, self.factor, self.expectations = get_sampler("exact"), factor, expectations

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        if not self.expectations:
            return self.inner.run(bqm, Boltzmann(beta=protocol.beta * self.factor), num_reads=num_reads, seed=seed)
        # counts proportional to the exact probabilities (largest remainders, summing to num_reads): averages
        # without sampling noise
        ss = self.inner.run(bqm, Boltzmann(beta=protocol.beta * self.factor), num_reads=1, seed=seed)
        share = ss.record.probability * num_reads
        counts = np.floor(share).astype(np.int64)
        counts[np.argsort(counts - share)[: num_reads - counts.sum()]] += 1
        return dimod.SampleSet.from_samples_bqm((ss.record.sample, list(ss.variables)), bqm, num_occurrences=counts)


MODEL = EmergentModel.random(3, seed=0)
GRID = Grid(9, 2.0)
NOMINAL = LearnerDynamics(mu=2.0, tq_ratio=1.0)
INNER = (2, 3)
EXPECTATION_READS = 10**15


def _gamma(sampler, reads=10**10):
    return sampler_calibration(MODEL, sampler, GRID, NOMINAL, num_reads=reads, seed=5, half_sizes=INNER).circulation


def test_calibrated_expectations_close_every_cycle():
    assert np.abs(_gamma(Miscalibrated(1.0, expectations=True), reads=EXPECTATION_READS)).max() < 1e-10


@pytest.mark.parametrize("factor", [1.2, 1 / 1.2])
def test_miscalibrated_expectations_give_a_circulation(factor):
    assert np.abs(_gamma(Miscalibrated(factor, expectations=True), reads=EXPECTATION_READS)).min() > 5e-5


def test_miscalibrated_sampler_is_caught_through_its_reads():
    floor = np.abs(_gamma("exact")).max()
    hot, cold = _gamma(Miscalibrated(1 / 1.2)), _gamma(Miscalibrated(1.2))
    assert np.abs(hot).min() > 10 * floor and np.abs(cold).min() > 10 * floor, (floor, hot, cold)
    assert np.all(np.sign(hot) == -np.sign(cold))  # too hot and too cold circulate opposite ways
