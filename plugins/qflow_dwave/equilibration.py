"""Fixed-β Metropolis sized by need: sweep until the reads' mean energy stops drifting, at most ``max_sweeps``.

The thermal model of ``dwave-mock`` samples Boltzmann at β by single-flip Metropolis (dwave-samplers SA) from
a random start. How many sweeps that takes depends on the problem: on the embedded M = 8 attention map of
``qflow compare`` (12 qubits) 200 sweeps already give the exact Boltzmann distribution within the sampling
error of 10⁴ reads, while a frustrated 18-qubit embedding still drifts at 800. So the sweeps come in
doublings — 50, then continuing the same reads to 100, 200, … up to ``max_sweeps`` — and stop after the first
doubling whose mean energy differs from the previous one by less than :data:`DRIFT_SIGMAS` standard errors:
a bias the run's own reads could not resolve. The test needs reads to be worth anything, so runs of fewer than
:data:`MIN_ADAPTIVE_READS` reads always make all ``max_sweeps`` sweeps (they are cheap). Each doubling is
seeded by :func:`~qflow_core.seeding.child_seed` of the call's seed, so a seed gives the same reads and the
same stopping point on any thread.

>>> import dimod
>>> bqm = dimod.BQM({"a": 0.2}, {("a", "b"): -1.0}, 0.0, "SPIN")
>>> ss, sweeps = equilibrated_metropolis(bqm, beta=1.0, max_sweeps=1000, num_reads=2000, seed=4)
>>> len(ss), sweeps < 1000
(2000, True)
>>> equilibrated_metropolis(bqm, beta=1.0, max_sweeps=1000, num_reads=10, seed=4)[1]
1000
"""

from __future__ import annotations

import dimod
import numpy as np
from dwave.samplers import SimulatedAnnealingSampler

from qflow_core.seeding import child_seed

__all__ = ["DRIFT_SIGMAS", "FIRST_SWEEPS", "MIN_ADAPTIVE_READS", "equilibrated_metropolis"]

#: Sweeps of the first stage; later stages double the total.
FIRST_SWEEPS = 50
#: Stop when the mean energy moved by less than this many standard errors over the last doubling.
DRIFT_SIGMAS = 2.0
#: Fewer reads than this cannot resolve a drift: such runs make all their sweeps.
MIN_ADAPTIVE_READS = 1000


def equilibrated_metropolis(
    bqm: dimod.BinaryQuadraticModel, *, beta: float, max_sweeps: int, num_reads: int, seed: int | None
) -> tuple[dimod.SampleSet, int]:
    """Metropolis reads of ``bqm`` at fixed ``beta`` from a random start, and the sweeps made (see module doc)."""
    sampler = SimulatedAnnealingSampler()
    fixed = {"beta_range": [beta, beta], "beta_schedule_type": "linear", "num_reads": num_reads}
    if num_reads < MIN_ADAPTIVE_READS or max_sweeps <= FIRST_SWEEPS:
        return sampler.sample(bqm, seed=seed, num_sweeps=max_sweeps, **fixed), max_sweeps
    done, stage, previous, state = 0, 0, None, {}
    while done < max_sweeps:
        sweeps = min(FIRST_SWEEPS if done == 0 else done, max_sweeps - done)
        stage_seed = None if seed is None else child_seed(seed, "metropolis stage", stage)
        result = sampler.sample(bqm, seed=stage_seed, num_sweeps=sweeps, **fixed, **state)
        done, stage = done + sweeps, stage + 1
        state = {"initial_states": (result.record.sample, list(result.variables)), "initial_states_generator": "none"}
        energies = np.repeat(result.record.energy, result.record.num_occurrences)
        current = (float(energies.mean()), float(energies.std()) / np.sqrt(energies.size))
        if previous is not None and abs(current[0] - previous[0]) < DRIFT_SIGMAS * np.hypot(current[1], previous[1]):
            break
        previous = current
    return result, done
