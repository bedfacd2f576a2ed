"""Forward anneals on a D-Wave solver: the standard and fast anneal kinds, ground states and Boltzmann sampling.

* ``Anneal("standard", time_us)`` → ``annealing_time=time_us``.
* ``Anneal("fast", time_us)`` → ``fast_anneal=True, annealing_time=time_us``; linear biases (which the
  fast-anneal protocol forbids) are moved onto couplings to one ancilla spin with
  :class:`qflow_core.transforms.LinearToAncilla`, and each read is gauge-fixed by the ancilla.
* ``GroundState(gamma)`` → a standard anneal at the solver's default annealing time (Γ is not used).
* ``Boltzmann(beta)`` → forward anneal with ``auto_scale=False``: a pilot pass at the largest scale c_max
  measures the effective β̂ by maximum pseudo-likelihood, the main pass rescales the problem by
  c = c_max·β/β̂ (capped at c_max: colder than the solver's own temperature cannot be reached) and reports
  β̂ ± bootstrap error of the main pass.

>>> from qflow_core import Anneal, IsingMemory
>>> from qflow_dwave import DWaveMock
>>> bqm = IsingMemory([[0, 1.0], [1.0, 0]], h=[0.3, 0.0]).to_bqm()
>>> ss = DWaveMock(topology_shape=[4]).run(bqm, Anneal("fast", 0.02), num_reads=8, seed=0)
>>> ss.info["qflow"]["backend"]["qpu_parameters"]["fast_anneal"], len(ss.variables)
(True, 2)
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from qflow_core.protocols import Anneal, Boltzmann
from qflow_core.seeding import child_seed
from qflow_dwave.options import RunOptions
from qflow_dwave.physics import estimate_beta
from qflow_dwave.qpu import QPUBase, Steps, scaled

if TYPE_CHECKING:
    import dimod

__all__ = ["ForwardAnneals"]


class ForwardAnneals(QPUBase):
    """Anneal (standard, fast), GroundState and Boltzmann runs: forward anneals of the programmed problem."""

    def _anneal(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Anneal, opts: RunOptions, num_reads: int, seed: int
    ) -> Steps:
        qpu: dict[str, Any] = {"annealing_time": protocol.time_us}
        notes: dict[str, Any] = {}
        if protocol.kind == "fast":
            qpu["fast_anneal"] = True
        if protocol.schedule is not None:
            warnings.warn(
                "the QPU anneals with its own A(s), B(s); the protocol's energy schedule table is not used",
                UserWarning,
                stacklevel=6,
            )
            notes["schedule"] = "ignored: the QPU's own A(s), B(s)"
        return (yield from self._forward(bqm, qpu, opts, num_reads, seed, notes))

    def _ground_state(self, bqm: dimod.BinaryQuadraticModel, opts: RunOptions, num_reads: int, seed: int) -> Steps:
        notes = {"gamma": "not used: a standard anneal to the classical ground state"}
        return (yield from self._forward(bqm, {}, opts, num_reads, seed, notes))

    def _forward(
        self,
        bqm: dimod.BinaryQuadraticModel,
        qpu: dict[str, Any],
        opts: RunOptions,
        num_reads: int,
        seed: int,
        notes: dict[str, Any],
    ) -> Steps:
        problem, transform = bqm, None
        if qpu.get("fast_anneal") and any(bias != 0 for bias in bqm.linear.values()):
            from qflow_core.transforms import LinearToAncilla

            transform = LinearToAncilla()
            problem = transform.transform(bqm)
            notes["linear_biases"] = f"moved onto couplings to ancilla {transform.ancilla!r} (LinearToAncilla)"
        chain_strength = opts.chain_strength or self._default_chain_strength(problem)
        reads, details = yield self._start_pass(
            problem, qpu, opts, num_reads=num_reads, seed=seed, chain_strength=chain_strength, gauges=opts.gauges()
        )
        if transform is not None:
            reads = transform.restore(reads, aggregate=False)
        return self._finish(bqm, reads, details, notes)

    def _boltzmann(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Boltzmann, opts: RunOptions, num_reads: int, seed: int
    ) -> Steps:
        chain_strength = opts.chain_strength or self._default_chain_strength(bqm)
        max_scale = self._range_scale(bqm, chain_strength)
        pilot_seed, main_seed = child_seed(seed, 0), child_seed(seed, 1)
        notes: dict[str, Any] = {"beta_requested": protocol.beta, "max_energy_scale": max_scale}
        scale = max_scale
        if opts.rescale:
            pilot_reads = min(num_reads, opts.pilot_reads)
            pilot, _ = yield self._start_pass(
                scaled(bqm, max_scale),
                {"auto_scale": False},
                opts,
                num_reads=pilot_reads,
                seed=pilot_seed,
                chain_strength=chain_strength * max_scale,
                gauges=min(opts.gauges(), pilot_reads),
            )
            pilot_beta, pilot_err = estimate_beta(bqm, pilot, seed=pilot_seed)
            scale = min(max_scale, max_scale * protocol.beta / pilot_beta)
            notes.update(pilot_reads=pilot_reads, pilot_beta_hat=pilot_beta, pilot_beta_hat_err=pilot_err)
            if protocol.beta > pilot_beta:
                warnings.warn(
                    f"β = {protocol.beta} is colder than the solver reaches for this problem (β̂ ≈ {pilot_beta:.3g} "
                    "at the largest energy scale); sampling at the largest scale",
                    UserWarning,
                    stacklevel=5,
                )
        reads, details = yield self._start_pass(
            scaled(bqm, scale),
            {"auto_scale": False},
            opts,
            num_reads=num_reads,
            seed=main_seed,
            chain_strength=chain_strength * scale,
            gauges=opts.gauges(),
        )
        beta_hat, beta_err = estimate_beta(bqm, reads, seed=main_seed)
        notes.update(
            energy_scale=scale,
            beta_hat=beta_hat,
            beta_hat_err=beta_err,
            beta_reachable=bool(opts.rescale and protocol.beta <= notes.get("pilot_beta_hat", math.inf)),
        )
        return self._finish(bqm, reads, details, notes)
