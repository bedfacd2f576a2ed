"""Reverse anneals on a D-Wave solver: Survival runs, one at a time or batched over initial states.

``Survival(state, gamma, time, regime="dephased")`` → ``initial_state`` = state (logical labels; the
embedding composite copies it onto every qubit of a chain), ``reinitialize_state=True``, ``anneal_schedule``
1 → s_target → pause ``time`` µs → 1 at the maximum slope, ``auto_scale=False`` with the problem scaled by c
(the largest factor fitting h_range/j_range and the chains), and s_target the point where A(s)/B(s) = c·Γ on
the schedule (``schedule`` option, default :func:`qflow_core.schedules.default_schedule`). The bath is the
solver's own: ``beta`` is recorded, not set. Spin-reversal transforms are refused (the composite does not
flip ``initial_state``).

Many initial states: :meth:`ReverseAnneals.run_many` with Survival protocols that differ only in their state
(e.g. one per stored pattern) runs them as one batch through Ocean's ``ReverseBatchStatesComposite`` placed
outside the embedding composite::

    ReverseBatchStatesComposite(PlannedCalls(FixedEmbeddingComposite(child, embedding)))

The composite uses its ``num_reads`` as the number of initial states and calls its child once per state, so
each state is listed once per read batch and the small adapter :class:`~qflow_dwave.batch.PlannedCalls` gives
every call its read count and seed: the batch makes exactly the solver calls the individual runs would, on one
embedding, and ``run_many(...)[i]`` equals ``run(bqm, protocols[i], seed=child_seed(seed, i))``.

>>> from qflow_core import Survival
>>> one_reverse_batch([Survival((1, -1), gamma=0.3, time=1.0, regime="dephased", beta=1.0),
...                    Survival((-1, 1), gamma=0.3, time=1.0, regime="dephased", beta=1.0)])
True
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.protocols import Protocol, Survival, as_protocol
from qflow_core.seeding import child_seed, resolve_seed
from qflow_dwave._ocean import ocean
from qflow_dwave.calls import SolverCalls
from qflow_dwave.options import RunOptions
from qflow_dwave.physics import reverse_schedule, turning_point
from qflow_dwave.qpu import QPUBase, Steps, scaled

if TYPE_CHECKING:
    import dimod

__all__ = ["ReverseAnneals", "one_reverse_batch"]


class ReverseAnneals(QPUBase):
    """Survival runs as reverse anneals, and :meth:`run_many` batching them over initial states."""

    def run_many(
        self,
        bqm: dimod.BinaryQuadraticModel,
        protocols: Sequence[Protocol | str],
        *,
        num_reads: int = 1000,
        seed: int | None = None,
        **backend_options: Any,
    ) -> list[dimod.SampleSet]:
        """Run several protocols on ``bqm``; Survival runs that differ only in their state form one batch.

        Such a batch goes through Ocean's ``ReverseBatchStatesComposite`` (see the module doc); anything else
        runs one by one. Either way run ``i`` equals ``run(bqm, protocols[i], seed=child_seed(seed, i))``,
        with the same ``info["qflow"]`` (plus ``backend["batch"]`` for a batch).
        """
        protocols = [as_protocol(protocol) for protocol in protocols]
        if not one_reverse_batch(protocols):
            return super().run_many(bqm, protocols, num_reads=num_reads, seed=seed, **backend_options)
        base = resolve_seed(seed)
        checked = [self._checked(bqm, protocol, num_reads) for protocol in protocols]
        seeds = [child_seed(base, i) for i in range(len(checked))]
        opts = RunOptions.parse(self.checked_options(backend_options))
        ocean("system")
        runs = self._survival_batch(
            checked[0].spin_bqm, [c.protocol for c in checked], opts, checked[0].num_reads, seeds
        )
        return [
            self._recorded(sampleset, run, seed=run_seed, wall_s=wall)
            for (sampleset, wall), run, run_seed in zip(runs, checked, seeds, strict=True)
        ]

    def _survival(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Survival, opts: RunOptions, num_reads: int, seed: int
    ) -> Steps:
        problem, qpu, chain_strength, notes = self._reverse_anneal(bqm, protocol, opts)
        qpu["initial_state"] = dict(zip(bqm.variables, protocol.state, strict=True))
        reads, details = yield self._start_pass(
            problem, qpu, opts, num_reads=num_reads, seed=seed, chain_strength=chain_strength
        )
        return self._finish(bqm, reads, details, notes)

    def _survival_batch(
        self,
        bqm: dimod.BinaryQuadraticModel,
        protocols: list[Survival],
        opts: RunOptions,
        num_reads: int,
        seeds: list[int],
    ) -> list[tuple[dimod.SampleSet, float]]:
        """Reverse anneals from each protocol's state (same Γ, pause, β): (SampleSet, seconds) per state."""
        problem, qpu, chain_strength, notes = self._reverse_anneal(bqm, protocols[0], opts)
        states = [dict(zip(bqm.variables, protocol.state, strict=True)) for protocol in protocols]
        batch = self._sample_states(
            problem, qpu, states, opts, num_reads=num_reads, seeds=seeds, chain_strength=chain_strength
        )
        results = []
        for index, (reads, details, seconds) in enumerate(batch):
            start = time.perf_counter()
            details["batch"] = {"composite": "ReverseBatchStatesComposite", "index": index, "size": len(states)}
            sampleset = self._finish(bqm, reads, details, notes)
            results.append((sampleset, seconds + time.perf_counter() - start))
        return results

    def _reverse_anneal(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Survival, opts: RunOptions
    ) -> tuple[dimod.BinaryQuadraticModel, dict[str, Any], float, dict[str, Any]]:
        """The programmed problem, QPU parameters (all but ``initial_state``), chain strength and notes of a
        reverse anneal realising ``protocol``'s Γ and pause (see the module doc)."""
        if opts.gauges(default=0):
            raise InvalidInputError(
                "spin-reversal transforms cannot be combined with reverse anneals (SpinReversalTransformComposite "
                "does not flip initial_state); drop num_spin_reversal_transforms"
            )
        props = self.child.properties
        chain_strength = opts.chain_strength or self._default_chain_strength(bqm)
        scale = self._range_scale(bqm, chain_strength)
        s_target = turning_point(opts.schedule, gamma=protocol.gamma, scale=scale)
        max_slope = 1.0 / props["annealing_time_range"][0]
        qpu = {
            "anneal_schedule": reverse_schedule(s_target, pause_us=protocol.time, max_slope=max_slope),
            "reinitialize_state": True,
            "auto_scale": False,
        }
        notes = {
            "s_target": s_target,
            "energy_scale": scale,
            "programmed_gamma": scale * protocol.gamma,
            "pause_us": protocol.time,
            "beta": "not set: the bath is the QPU's own (protocol beta recorded only)",
        }
        return scaled(bqm, scale), qpu, chain_strength * scale, notes

    def _sample_states(
        self,
        problem: dimod.BinaryQuadraticModel,
        qpu: dict[str, Any],
        states: list[dict[Hashable, int]],
        opts: RunOptions,
        *,
        num_reads: int,
        seeds: list[int],
        chain_strength: float,
    ) -> list[tuple[dimod.SampleSet, dict[str, Any], float]]:
        """Reverse anneals of ``problem`` from each state through ``ReverseBatchStatesComposite``.

        Returns (one row per read, details, seconds in its solver calls) per state; state ``i`` gets the calls,
        read counts and seeds :meth:`_sample` would give it with seed ``seeds[i]``.
        """
        calls = SolverCalls(self, problem, qpu, opts, num_reads=num_reads, chain_strength=chain_strength)
        for state in states:
            calls.check(initial_state=state)
        calls.embed()
        plan = [
            (index, reads, call_seed)
            for index, seed in enumerate(seeds)
            for reads, call_seed in zip(calls.reads_per_call, calls.seeds(seed), strict=True)
        ]
        from qflow_dwave.batch import PlannedCalls

        adapter = PlannedCalls(calls, states, plan)
        rows = np.array([[state[v] for v in problem.variables] for state in states], dtype=np.int8)
        starts = np.repeat(rows, len(calls.reads_per_call), axis=0)  # the composite: one child call per start
        ocean("system").ReverseBatchStatesComposite(adapter).sample(
            problem,
            initial_states=(starts, list(problem.variables)),
            initial_states_generator="none",
            num_reads=len(plan),
            **calls.qpu,
        )
        return [
            (*calls.outcome(adapter.results[index], initial_state=state), adapter.seconds[index])
            for index, state in enumerate(states)
        ]


def one_reverse_batch(protocols: list[Protocol]) -> bool:
    """Whether ``protocols`` are Survival runs differing only in their initial state (one reverse-anneal batch)."""
    if not protocols or not all(isinstance(protocol, Survival) for protocol in protocols):
        return False
    shared = [{k: v for k, v in protocol.to_dict().items() if k != "state"} for protocol in protocols]
    return all(fields == shared[0] for fields in shared)
