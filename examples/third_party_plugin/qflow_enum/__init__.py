"""A complete third-party qflow plugin in one file.

It registers the sampler ``enum``: exact classical Boltzmann sampling of small models by enumerating all
2^n states with :class:`dimod.ExactSolver`. The package's ``pyproject.toml`` declares the entry point
``[project.entry-points.qflow] enum = "qflow_enum"``; qflow finds it once the package is installed.

>>> from qflow_core import get_sampler, Boltzmann, IsingMemory
>>> sampler = get_sampler("enum")
>>> ss = sampler.run(IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm(), Boltzmann(beta=1.0), num_reads=5, seed=0)
>>> round(float(ss.record.probability.sum()), 12)
1.0
"""

from __future__ import annotations

import numpy as np

from qflow_core.errors import ProblemTooLargeError
from qflow_core.hookspecs import hookimpl
from qflow_core.sampler import Sampler, attach_details, spin_sampleset

MAX_SPINS = 16


class EnumerationSampler(Sampler):
    """Exact classical Boltzmann distribution by enumeration (n ≤ 16), sampled with a seeded generator."""

    name = "enum"
    capabilities = {"boltzmann": "exact"}
    tags = {"exact_reference": True, "max_variables": MAX_SPINS}

    def physics_class(self, protocol):
        """What produces the samples, for comparisons: a control (exact Boltzmann), not evidence."""
        return "thermal by construction"

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        if bqm.num_variables > MAX_SPINS:
            raise ProblemTooLargeError(
                "enumeration",
                n=bqm.num_variables,
                required_bytes=2.0**bqm.num_variables * (bqm.num_variables + 8),
                limit=f"enum stops at {MAX_SPINS} spins",
            )
        import dimod  # imported where it is used, so listing the plugin (`qflow plugins`) stays fast

        states = dimod.ExactSolver().sample(bqm)
        energies = states.record.energy
        weights = np.exp(-protocol.beta * (energies - energies.min()))
        probability = weights / weights.sum()
        counts = np.random.default_rng(seed).multinomial(num_reads, probability)
        sampleset = spin_sampleset(bqm, states.record.sample, num_occurrences=counts, probability=probability)
        return attach_details(sampleset, states=len(probability))


@hookimpl
def qflow_samplers():
    return [EnumerationSampler]
