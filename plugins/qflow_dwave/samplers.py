"""The ``dwave`` (real QPU) and ``dwave-mock`` (MockDWaveSampler) samplers: one code path, two children.

Every run goes through the same Ocean stack as a researcher's own script would::

    FixedEmbeddingComposite(SpinReversalTransformComposite(child), embedding)   # gauge batches
    EmbeddingComposite(...)                                                     # first call of a new graph

where ``child`` is ``dwave.system.DWaveSampler`` (connected lazily, on the first run) or
``dwave.system.testing.MockDWaveSampler`` with a thermal substitute (:mod:`qflow_dwave.mock`). The first
call on a problem graph embeds it with minorminer through ``EmbeddingComposite`` (seeded by
``embedding_seed``); the embedding is cached and later calls — other gauges, other runs on the same graph,
Boltzmann's pilot and main pass — use ``FixedEmbeddingComposite``. A user embedding (``embedding=``) is used
as given.

Protocol mapping (all times in µs, all energies in the BQM's units):

* ``Anneal("standard", time_us)`` → ``annealing_time=time_us``.
* ``Anneal("fast", time_us)`` → ``fast_anneal=True, annealing_time=time_us`` (``fast_anneal_time_range``);
  linear biases are moved onto couplings to one ancilla spin with
  :class:`qflow_core.transforms.LinearToAncilla` and each read is gauge-fixed by the ancilla.
* ``Survival(state, gamma, time, regime="dephased")`` → reverse anneal: ``initial_state`` = state (logical
  labels; EmbeddingComposite copies it onto every qubit of a chain), ``reinitialize_state=True``,
  ``anneal_schedule`` 1 → s_target → pause ``time`` µs → 1 at the maximum slope, ``auto_scale=False`` with the
  problem scaled by c (the largest factor fitting h_range/j_range and the chains), and s_target the
  point where A(s)/B(s) = c·Γ on the schedule (``schedule`` option, default
  :func:`qflow_core.schedules.default_schedule`). The bath is the QPU's own: ``beta`` is recorded, not set.
* ``Boltzmann(beta)`` → forward anneal with ``auto_scale=False``; a pilot pass at the largest scale c_max
  measures the effective β̂ by maximum pseudo-likelihood, the main pass rescales the problem by
  c = c_max·β/β̂ (capped at c_max: colder than the QPU's own temperature cannot be reached) and reports
  β̂ ± bootstrap error of the main pass.
* ``GroundState(gamma)`` → a standard anneal at the solver's default annealing time (Γ is not used).

Many initial states: :meth:`QPUSampler.run_many` with Survival protocols that differ only in their state
(e.g. one per stored pattern) runs them as one reverse-anneal batch through Ocean's
``ReverseBatchStatesComposite`` placed outside the embedding composite::

    ReverseBatchStatesComposite(_PlannedCalls(FixedEmbeddingComposite(child, embedding)))

The composite uses its ``num_reads`` as the number of initial states and calls its child once per state, so
each state is listed once per read batch and the small adapter ``_PlannedCalls`` gives every call its read
count and seed: the batch makes exactly the solver calls the individual runs would, on one embedding, and
``run_many(...)[i]`` equals ``run(bqm, protocols[i], seed=child_seed(seed, i))``.

Gauge averaging: ``num_spin_reversal_transforms`` (default 4; not with reverse anneals, whose
``initial_state`` the composite does not flip) splits the reads into that many calls, each with its own
random spin-reversal transform. Each call is retried on transient cloud failures (``max_retries``,
exponential backoff from ``retry_backoff_s``); a final failure raises BackendError whose ``partial`` holds
the calls already measured.
"""

from __future__ import annotations

import abc
import math
import time
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.parameters import Parameter
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Protocol, Survival, as_protocol
from qflow_core.sampler import Sampler, attach_details, spin_sampleset
from qflow_core.schedules import AnnealSchedule, default_schedule
from qflow_core.seeding import child_seed, resolve_seed
from qflow_core.transforms import LinearToAncilla
from qflow_dwave._ocean import ocean
from qflow_dwave.connection import call_with_retries, connect_qpu, registered_secrets, transient_errors
from qflow_dwave.mock import DEFAULT_MOCK_BETA, DEFAULT_SWEEPS, DEFAULT_SWEEPS_PER_US, ThermalSubstitute, build_mock
from qflow_dwave.physics import estimate_beta, reverse_schedule, turning_point
from qflow_dwave.solver_rules import check_call, max_reads_per_call, range_scale

__all__ = ["DWave", "DWaveMock", "QPUSampler"]

DEFAULT_GAUGES = 4
DEFAULT_PILOT_READS = 500
RUN_PARAMETERS = (
    Parameter("num_spin_reversal_transforms", int, None, "gauges per call (default: 4)", minimum=0),
    Parameter(
        "chain_strength",
        float,
        None,
        "chain coupling in BQM units (default: Ocean's)",
        minimum=0,
        exclusive_minimum=True,
    ),
    Parameter("embedding", object, None, "each variable's chain of qubits, e.g. {'a': (12, 13)}"),
    Parameter("schedule", object, None, "A(s), B(s) table or AnnealSchedule (default: the default schedule)"),
    Parameter("rescale", bool, True, "rescale the BQM into the solver's h, J ranges"),
    Parameter(
        "pilot_reads", int, DEFAULT_PILOT_READS, "reads of the β-estimating pilot run", minimum=2, optional=False
    ),
    Parameter("label", object, None, "problem label shown in the D-Wave dashboard"),
    Parameter("qpu_parameters", object, None, "other solver parameters, as a dict"),
)
RUN_OPTIONS = tuple(p.name for p in RUN_PARAMETERS)


class Secret(str):
    """A string (e.g. an API token) whose repr never shows its value."""

    def __repr__(self) -> str:
        return "'***'"


class QPUSampler(Sampler):
    """Shared machinery of ``dwave`` and ``dwave-mock``: protocol mapping, embedding, gauges, retries."""

    default_protocol: ClassVar[Protocol] = Anneal("standard")
    run_parameters: ClassVar[tuple[Parameter, ...]] = RUN_PARAMETERS
    #: Prefactor of Ocean's ``uniform_torque_compensation`` for the default chain strength.
    chain_strength_prefactor: ClassVar[float] = 1.414

    def __init__(self, *, max_retries: int = 3, retry_backoff_s: float = 1.0, embedding_seed: int = 0) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidInputError(f"max_retries must be an integer ≥ 0, got {max_retries!r}")
        if not retry_backoff_s >= 0:
            raise InvalidInputError(f"retry_backoff_s must be ≥ 0 seconds, got {retry_backoff_s!r}")
        self.max_retries = max_retries
        self.retry_backoff_s = float(retry_backoff_s)
        self.embedding_seed = int(embedding_seed)
        self._child: Any = None
        self._embeddings: dict[Hashable, dict[Hashable, tuple]] = {}

    # -- the Ocean child ----------------------------------------------------------------------------------
    @property
    def child(self) -> Any:
        """The structured Ocean sampler (created on first use)."""
        if self._child is None:
            self._child = self._connect()
        return self._child

    @abc.abstractmethod
    def _connect(self) -> Any:
        """Build the structured Ocean sampler (``DWaveSampler`` or the mock)."""

    def _before_call(self, seed: int) -> None:
        """Hook run before each solver call with that call's seed (the mock seeds its substitute)."""

    def _secrets(self) -> list[str | None]:
        return []

    def close(self) -> None:
        """Release the cloud client's resources (a later run reconnects)."""
        child, self._child = self._child, None
        if child is not None and hasattr(child, "close"):
            child.close()

    # -- many runs ----------------------------------------------------------------------------------------
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
        if not _one_reverse_batch(protocols):
            return super().run_many(bqm, protocols, num_reads=num_reads, seed=seed, **backend_options)
        base = resolve_seed(seed)
        checked = [self._checked(bqm, protocol, num_reads) for protocol in protocols]
        seeds = [child_seed(base, i) for i in range(len(checked))]
        opts = _RunOptions.parse(self.checked_options(backend_options))
        ocean("system")
        runs = self._survival_batch(
            checked[0].spin_bqm, [c.protocol for c in checked], opts, checked[0].num_reads, seeds
        )
        return [
            self._recorded(sampleset, run, seed=run_seed, wall_s=wall)
            for (sampleset, wall), run, run_seed in zip(runs, checked, seeds, strict=True)
        ]

    # -- protocols ----------------------------------------------------------------------------------------
    def _run(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> dimod.SampleSet:
        opts = _RunOptions.parse(options)
        ocean("system")  # the extra must be installed before anything else happens
        if isinstance(protocol, Anneal):
            return self._anneal(bqm, protocol, opts, num_reads, seed)
        if isinstance(protocol, Survival):
            return self._survival(bqm, protocol, opts, num_reads, seed)
        if isinstance(protocol, Boltzmann):
            return self._boltzmann(bqm, protocol, opts, num_reads, seed)
        assert isinstance(protocol, GroundState)
        notes = {"gamma": "not used: a standard anneal to the classical ground state"}
        return self._forward(bqm, {}, opts, num_reads, seed, notes)

    def _anneal(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Anneal, opts: _RunOptions, num_reads: int, seed: int
    ) -> dimod.SampleSet:
        qpu: dict[str, Any] = {"annealing_time": protocol.time_us}
        notes: dict[str, Any] = {}
        if protocol.kind == "fast":
            qpu["fast_anneal"] = True
        if protocol.schedule is not None:
            warnings.warn(
                "the QPU anneals with its own A(s), B(s); the protocol's energy schedule table is not used",
                UserWarning,
                stacklevel=5,
            )
            notes["schedule"] = "ignored: the QPU's own A(s), B(s)"
        return self._forward(bqm, qpu, opts, num_reads, seed, notes)

    def _forward(
        self,
        bqm: dimod.BinaryQuadraticModel,
        qpu: dict[str, Any],
        opts: _RunOptions,
        num_reads: int,
        seed: int,
        notes: dict[str, Any],
    ) -> dimod.SampleSet:
        problem, transform = bqm, None
        if qpu.get("fast_anneal") and any(bias != 0 for bias in bqm.linear.values()):
            transform = LinearToAncilla()
            problem = transform.transform(bqm)
            notes["linear_biases"] = f"moved onto couplings to ancilla {transform.ancilla!r} (LinearToAncilla)"
        chain_strength = opts.chain_strength or self._default_chain_strength(problem)
        reads, details = self._sample(
            problem, qpu, opts, num_reads=num_reads, seed=seed, chain_strength=chain_strength, gauges=opts.gauges()
        )
        if transform is not None:
            reads = transform.restore(reads, aggregate=False)
        return self._finish(bqm, reads, details, notes)

    def _survival(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Survival, opts: _RunOptions, num_reads: int, seed: int
    ) -> dimod.SampleSet:
        problem, qpu, chain_strength, notes = self._reverse_anneal(bqm, protocol, opts)
        qpu["initial_state"] = dict(zip(bqm.variables, protocol.state, strict=True))
        reads, details = self._sample(problem, qpu, opts, num_reads=num_reads, seed=seed, chain_strength=chain_strength)
        return self._finish(bqm, reads, details, notes)

    def _survival_batch(
        self,
        bqm: dimod.BinaryQuadraticModel,
        protocols: list[Survival],
        opts: _RunOptions,
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
        self, bqm: dimod.BinaryQuadraticModel, protocol: Survival, opts: _RunOptions
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
        return _scaled(bqm, scale), qpu, chain_strength * scale, notes

    def _boltzmann(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Boltzmann, opts: _RunOptions, num_reads: int, seed: int
    ) -> dimod.SampleSet:
        chain_strength = opts.chain_strength or self._default_chain_strength(bqm)
        max_scale = self._range_scale(bqm, chain_strength)
        pilot_seed, main_seed = child_seed(seed, 0), child_seed(seed, 1)
        notes: dict[str, Any] = {"beta_requested": protocol.beta, "max_energy_scale": max_scale}
        scale = max_scale
        if opts.rescale:
            pilot_reads = min(num_reads, opts.pilot_reads)
            pilot, _ = self._sample(
                _scaled(bqm, max_scale),
                {"auto_scale": False},
                opts,
                num_reads=pilot_reads,
                seed=pilot_seed,
                chain_strength=chain_strength * max_scale,
                gauges=min(opts.gauges(), pilot_reads),
            )
            pilot_beta, pilot_err = estimate_beta(bqm, pilot, seed=pilot_seed)
            # every pilot read a local minimum (β̂ = ∞, e.g. one spin): no estimate to rescale by, keep the largest
            scale = min(max_scale, max_scale * protocol.beta / pilot_beta) if np.isfinite(pilot_beta) else max_scale
            notes.update(pilot_reads=pilot_reads, pilot_beta_hat=pilot_beta, pilot_beta_hat_err=pilot_err)
            if protocol.beta > pilot_beta:
                warnings.warn(
                    f"β = {protocol.beta} is colder than the solver reaches for this problem (β̂ ≈ {pilot_beta:.3g} "
                    "at the largest energy scale); sampling at the largest scale",
                    UserWarning,
                    stacklevel=5,
                )
        reads, details = self._sample(
            _scaled(bqm, scale),
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

    # -- sampling -----------------------------------------------------------------------------------------
    def _sample(
        self,
        problem: dimod.BinaryQuadraticModel,
        qpu: dict[str, Any],
        opts: _RunOptions,
        *,
        num_reads: int,
        seed: int,
        chain_strength: float,
        gauges: int = 0,
    ) -> tuple[dimod.SampleSet, dict[str, Any]]:
        """Sample ``problem`` in gauge/read batches; return one row per read over its variables, and details."""
        calls = _SolverCalls(
            self, problem, qpu, opts, num_reads=num_reads, chain_strength=chain_strength, gauges=gauges
        )
        calls.check()
        seeds = calls.seeds(seed)
        results = [
            calls.call(reads, call_seed, calls.qpu, what=f"solver call {i + 1} of {len(seeds)}")
            for i, (reads, call_seed) in enumerate(zip(calls.reads_per_call, seeds, strict=True))
        ]
        return calls.outcome(results)

    def _sample_states(
        self,
        problem: dimod.BinaryQuadraticModel,
        qpu: dict[str, Any],
        states: list[dict[Hashable, int]],
        opts: _RunOptions,
        *,
        num_reads: int,
        seeds: list[int],
        chain_strength: float,
    ) -> list[tuple[dimod.SampleSet, dict[str, Any], float]]:
        """Reverse anneals of ``problem`` from each state through ``ReverseBatchStatesComposite``.

        Returns (one row per read, details, seconds in its solver calls) per state; state ``i`` gets the calls,
        read counts and seeds :meth:`_sample` would give it with seed ``seeds[i]``.
        """
        calls = _SolverCalls(self, problem, qpu, opts, num_reads=num_reads, chain_strength=chain_strength)
        for state in states:
            calls.check(initial_state=state)
        plan = [
            (index, reads, call_seed)
            for index, seed in enumerate(seeds)
            for reads, call_seed in zip(calls.reads_per_call, calls.seeds(seed), strict=True)
        ]
        adapter = _PlannedCalls(calls, states, plan)
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

    def _finish(
        self,
        bqm: dimod.BinaryQuadraticModel,
        reads: dimod.SampleSet,
        details: dict[str, Any],
        notes: dict[str, Any],
    ) -> dimod.SampleSet:
        order = [list(reads.variables).index(v) for v in bqm.variables]
        spins = np.repeat(reads.record.sample[:, order], reads.record.num_occurrences, axis=0)
        return attach_details(spin_sampleset(bqm, spins), **details, **notes)

    def _default_chain_strength(self, bqm: dimod.BinaryQuadraticModel) -> float:
        strength = ocean("chain_strength").uniform_torque_compensation(bqm, prefactor=self.chain_strength_prefactor)
        return float(strength) if strength > 0 else 1.0

    def _range_scale(self, bqm: dimod.BinaryQuadraticModel, chain_strength: float) -> float:
        props = self.child.properties
        linear, (_, _, quadratic), _ = bqm.to_numpy_vectors()
        needs_chains = len(bqm.quadratic) > 0
        return range_scale(
            linear, quadratic, props["h_range"], props["j_range"], chain_strength if needs_chains else 0.0
        )


class _RunOptions:
    """Validated backend options of one run (see :data:`RUN_OPTIONS` and the README)."""

    def __init__(self, **values: Any) -> None:
        self.num_spin_reversal_transforms: int | None = values.get("num_spin_reversal_transforms")
        self.chain_strength: float | None = values.get("chain_strength")
        self.embedding: dict | None = values.get("embedding")
        self.schedule: AnnealSchedule = values.get("schedule") or default_schedule()
        self.rescale: bool = values.get("rescale", True)
        self.pilot_reads: int = values.get("pilot_reads", DEFAULT_PILOT_READS)
        self.label: str | None = values.get("label")
        self.qpu_parameters: dict[str, Any] = dict(values.get("qpu_parameters") or {})

    def gauges(self, default: int = DEFAULT_GAUGES) -> int:
        return default if self.num_spin_reversal_transforms is None else self.num_spin_reversal_transforms

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> _RunOptions:
        values = dict(options)  # names and ranges already checked against RUN_PARAMETERS
        if values.get("embedding") is not None and not isinstance(values["embedding"], Mapping):
            raise InvalidInputError("embedding must map each variable to its chain of qubits, e.g. {'a': (12, 13)}")
        if values.get("schedule") is not None and not isinstance(values["schedule"], AnnealSchedule):
            values["schedule"] = AnnealSchedule.from_table(values["schedule"])
        extra = values.get("qpu_parameters") or {}
        clash = sorted(set(extra) & {"num_reads", "answer_mode", "chain_strength", "initial_state", "fast_anneal"})
        if clash:
            raise InvalidInputError(f"qpu_parameters may not set {clash}: qflow sets them from the protocol")
        return cls(**values)


class _SolverCalls:
    """The solver calls sampling one programmed problem: read split, seeds, embedding, retries, details."""

    def __init__(
        self,
        sampler: QPUSampler,
        problem: dimod.BinaryQuadraticModel,
        qpu: Mapping[str, Any],
        opts: _RunOptions,
        *,
        num_reads: int,
        chain_strength: float,
        gauges: int = 0,
    ) -> None:
        self.sampler, self.child, self.problem = sampler, sampler.child, problem
        self.qpu = {**opts.qpu_parameters, **qpu}
        if opts.label is not None:
            self.qpu["label"] = opts.label
        self.chain_strength = chain_strength
        self.gauges = min(gauges, num_reads)  # every call takes at least one read
        max_reads = max(1, max_reads_per_call(self.child.properties, self.qpu))
        calls = max(1, self.gauges, math.ceil(num_reads / max_reads))
        self.reads_per_call = [num_reads // calls + (i < num_reads % calls) for i in range(calls)]
        if opts.embedding is not None:
            _verify_embedding(opts.embedding, problem, self.child)
        self._key = _graph_key(problem)
        self.embedding = opts.embedding if opts.embedding is not None else sampler._embeddings.get(self._key)
        #: every call measured so far (BackendError.partial when a later one fails)
        self.done: list[dimod.SampleSet] = []

    def check(self, **qpu: Any) -> None:
        """Reject what the solver would reject (:func:`check_call`) before any call is made."""
        parameters = {**self.qpu, **qpu, "num_reads": max(self.reads_per_call), "answer_mode": "raw"}
        check_call(self.child, self.problem, parameters)

    def seeds(self, seed: int) -> list[int]:
        """One seed per call of a run seeded ``seed``."""
        return [child_seed(seed, i) for i in range(len(self.reads_per_call))]

    def call(self, reads: int, seed: int, qpu: Mapping[str, Any], *, what: str) -> dimod.SampleSet:
        """One solver call of ``reads`` reads, retried on transient failures; embeds on the first call."""
        system, preprocessing = ocean("system"), ocean("preprocessing")
        kwargs = dict(
            qpu, num_reads=reads, answer_mode="raw", chain_strength=self.chain_strength, return_embedding=True
        )
        if self.gauges:
            kwargs["num_spin_reversal_transforms"] = 1
        embedding = self.embedding

        def attempt() -> dimod.SampleSet:
            # a fresh stack per attempt: a retried call repeats the same gauge and seed
            inner = preprocessing.SpinReversalTransformComposite(self.child, seed=seed) if self.gauges else self.child
            if embedding is None:
                parameters = {"random_seed": self.sampler.embedding_seed}
                composite = system.EmbeddingComposite(inner, embedding_parameters=parameters)
            else:
                composite = _fixed_embedding(system, inner, embedding)
            self.sampler._before_call(seed)
            return _resolved(composite.sample(self.problem, **kwargs))

        result = call_with_retries(
            attempt,
            what=what,
            max_retries=self.sampler.max_retries,
            backoff_s=self.sampler.retry_backoff_s,
            transient=transient_errors(),
            secrets=self.sampler._secrets(),
            partial=self.done,
            hint="the calls measured before the failure are in BackendError.partial",
        )
        if self.embedding is None:  # found by minorminer: cached for later calls on this graph
            self.embedding = {v: tuple(chain) for v, chain in result.info["embedding_context"]["embedding"].items()}
            self.sampler._embeddings[self._key] = self.embedding
        self.done.append(result)
        return result

    def outcome(self, results: list[dimod.SampleSet], **qpu: Any) -> tuple[dimod.SampleSet, dict[str, Any]]:
        """The reads of ``results`` stacked (one row per read) and the details for ``info``."""
        parameters = {**self.qpu, **qpu}
        details = _call_details(
            self.child, parameters, results, self.embedding, self.chain_strength, self.gauges, self.problem
        )
        return _stack(self.problem, results), details


class _PlannedCalls(dimod.Sampler):
    """Child of ``ReverseBatchStatesComposite`` making its k-th call as the k-th planned solver call.

    The composite consumes ``num_reads`` (as its number of initial states) and calls its child once per
    state with ``initial_state`` and the shared parameters; this adapter adds that call's read count and
    seed from ``plan`` (state index, reads, seed) and makes it through :class:`_SolverCalls`, keeping each
    result and the time spent with its state.
    """

    properties: ClassVar[dict[str, Any]] = {}

    def __init__(self, calls: _SolverCalls, states: list[dict[Hashable, int]], plan: list[tuple[int, int, int]]):
        self._calls, self._states, self._plan = calls, states, plan
        self.results: list[list[dimod.SampleSet]] = [[] for _ in states]
        self.seconds = [0.0] * len(states)

    @property
    def parameters(self) -> dict[str, list]:
        # no answer_mode: the solver answers raw, as in single runs (the composite gets a histogram back)
        return {"initial_state": [], **{name: [] for name in self._calls.qpu}}

    def sample(self, bqm: dimod.BinaryQuadraticModel, *, initial_state: Mapping, **qpu: Any) -> dimod.SampleSet:
        done = sum(map(len, self.results))
        index, reads, seed = self._plan[done]
        state = {v: int(initial_state[v]) for v in bqm.variables}
        if state != self._states[index]:
            raise RuntimeError(
                f"ReverseBatchStatesComposite made call {done + 1} from another initial state than planned"
            )
        start = time.perf_counter()
        what = f"solver call {done + 1} of {len(self._plan)} (initial state {index + 1} of {len(self._states)})"
        result = self._calls.call(reads, seed, {**qpu, "initial_state": state}, what=what)
        self.seconds[index] += time.perf_counter() - start
        self.results[index].append(result)
        return _histogram(bqm, result, state)


class DWave(QPUSampler):
    """A D-Wave quantum annealer through Ocean's DWaveSampler (Leap account needed; connects on first run).

    Configuration follows Ocean: ``get_sampler("dwave", solver=..., token=..., **ocean_config)`` where
    ``ocean_config`` is any ``dwave.cloud.Client.from_config`` option (``profile``, ``config_file``,
    ``region``, ``endpoint``, ``request_timeout``, ...); unset values come from the environment
    (``DWAVE_API_TOKEN``, ``DWAVE_API_SOLVER``, ...) and the file written by ``dwave setup``.

    >>> sampler = DWave(token="DEV-not-a-real-token", solver={"topology__type": "pegasus"})
    >>> sampler
    DWave(name='dwave', solver={'topology__type': 'pegasus'})
    """

    name: ClassVar[str] = "dwave"
    capabilities: ClassVar[dict[str, str]] = {
        "boltzmann": "approximate",
        "anneal": "native",
        "survival:dephased": "native",
        "ground_state": "approximate",
    }
    tags: ClassVar[dict[str, Any]] = {"requires_network": True, "costs_money": True}

    def __init__(
        self,
        *,
        solver: Any = None,
        token: str | None = None,
        max_retries: int = 3,
        retry_backoff_s: float = 1.0,
        embedding_seed: int = 0,
        **ocean_config: Any,
    ) -> None:
        super().__init__(max_retries=max_retries, retry_backoff_s=retry_backoff_s, embedding_seed=embedding_seed)
        config = {"solver": solver, "token": Secret(token) if token else None, **ocean_config}
        self._config = {k: v for k, v in config.items() if v is not None}

    def _connect(self) -> Any:
        config = {k: (str.__str__(v) if isinstance(v, Secret) else v) for k, v in self._config.items()}
        return connect_qpu(config)

    def _secrets(self) -> list[str | None]:
        token = self._config.get("token")
        return [*registered_secrets(), *([str.__str__(token)] if token else [])]

    def __repr__(self) -> str:
        solver = self._config.get("solver")
        return f"{type(self).__name__}(name={self.name!r}" + (f", solver={solver!r})" if solver else ")")


class DWaveMock(QPUSampler):
    """Offline D-Wave twin: MockDWaveSampler (Pegasus/Zephyr, minorminer embedding) with a thermal model.

    It runs the ``dwave`` code path unchanged — same composites, parameters, validation and info — on
    ``MockDWaveSampler`` whose substitute sampler is :class:`qflow_dwave.mock.ThermalSubstitute`
    (fixed-β Metropolis at ``beta`` in programmed units for forward anneals, thermal hopping from
    ``initial_state`` for reverse anneals). It emulates the interface and a thermal model, not quantum
    dynamics, so every capability is "approximate". ``substitute_sampler`` replaces the thermal model by any
    dimod sampler accepting the QPU keyword arguments and ``seed``.
    """

    name: ClassVar[str] = "dwave-mock"
    capabilities: ClassVar[dict[str, str]] = {
        "boltzmann": "approximate",
        "anneal": "approximate",
        "survival:dephased": "approximate",
        "ground_state": "approximate",
    }
    chain_strength_prefactor: ClassVar[float] = 2.0
    DEFAULT_SHAPES: ClassVar[dict[str, list[int]]] = {"pegasus": [16], "zephyr": [6, 4]}

    def __init__(
        self,
        *,
        topology: str = "pegasus",
        topology_shape: list[int] | None = None,
        beta: float = DEFAULT_MOCK_BETA,
        num_sweeps: int = DEFAULT_SWEEPS,
        sweeps_per_us: float = DEFAULT_SWEEPS_PER_US,
        substitute_sampler: dimod.Sampler | None = None,
        max_retries: int = 3,
        retry_backoff_s: float = 1.0,
        embedding_seed: int = 0,
    ) -> None:
        super().__init__(max_retries=max_retries, retry_backoff_s=retry_backoff_s, embedding_seed=embedding_seed)
        if topology not in self.DEFAULT_SHAPES:
            raise InvalidInputError(f"dwave-mock topology must be 'pegasus' or 'zephyr', got {topology!r}")
        if not (beta > 0 and num_sweeps >= 1 and sweeps_per_us > 0):
            raise InvalidInputError("dwave-mock needs beta > 0, num_sweeps ≥ 1 and sweeps_per_us > 0")
        self.topology = topology
        self.topology_shape = list(topology_shape or self.DEFAULT_SHAPES[topology])
        self.substitute = substitute_sampler or ThermalSubstitute(
            beta=beta, num_sweeps=num_sweeps, sweeps_per_us=sweeps_per_us
        )

    def _connect(self) -> Any:
        try:
            mock = build_mock(self.topology, self.topology_shape, self.substitute)
        except ValueError as exc:
            raise InvalidInputError(
                f"cannot build a {self.topology} mock of shape {self.topology_shape}: {exc}"
            ) from exc
        if isinstance(self.substitute, ThermalSubstitute):
            self.substitute.h_range = tuple(mock.properties["h_range"])
            self.substitute.j_range = tuple(mock.properties["j_range"])
        return mock

    def _before_call(self, seed: int) -> None:
        self.child.substitute_kwargs = {"seed": seed}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, topology={self.topology!r}, shape={self.topology_shape})"


# -- helpers --------------------------------------------------------------------------------------------------
def _one_reverse_batch(protocols: list[Protocol]) -> bool:
    """Whether ``protocols`` are Survival runs differing only in their initial state (one reverse-anneal batch)."""
    if not protocols or not all(isinstance(protocol, Survival) for protocol in protocols):
        return False
    shared = [{k: v for k, v in protocol.to_dict().items() if k != "state"} for protocol in protocols]
    return all(fields == shared[0] for fields in shared)


def _histogram(
    bqm: dimod.BinaryQuadraticModel, reads: dimod.SampleSet, start: Mapping[Hashable, int]
) -> dimod.SampleSet:
    """``reads`` as the histogram ``ReverseBatchStatesComposite`` asks its child for, with its ``initial_state``
    field filled (numpy, not dimod's row-by-row ``aggregate``/``append_data_vectors``)."""
    variables = list(reads.variables)
    rows = np.repeat(reads.record.sample, reads.record.num_occurrences, axis=0)
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    starts = np.tile(np.array([start[v] for v in variables], dtype=distinct.dtype), (len(distinct), 1))
    return dimod.SampleSet.from_samples(
        (distinct, variables),
        reads.vartype,
        energy=bqm.energies((distinct, variables)),
        num_occurrences=counts,
        initial_state=starts,
    )


def _scaled(bqm: dimod.BinaryQuadraticModel, scale: float) -> dimod.BinaryQuadraticModel:
    scaled = bqm.copy()
    scaled.scale(scale)
    return scaled


def _graph_key(bqm: dimod.BinaryQuadraticModel) -> Hashable:
    return frozenset(bqm.variables), frozenset(frozenset(edge) for edge in bqm.quadratic)


def _verify_embedding(embedding: Mapping, problem: dimod.BinaryQuadraticModel, child: Any) -> None:
    import networkx as nx

    source = nx.Graph()
    source.add_nodes_from(problem.variables)
    source.add_edges_from(problem.quadratic)
    try:
        ocean("embedding").verify_embedding(embedding, source, child.edgelist)
    except Exception as exc:
        raise InvalidInputError(
            f"the embedding is not valid for this problem on the solver's working graph: {exc}"
        ) from None


def _fixed_embedding(system: Any, inner: Any, embedding: Mapping) -> Any:
    return system.FixedEmbeddingComposite(inner, embedding)


def _resolved(sampleset: dimod.SampleSet) -> dimod.SampleSet:
    sampleset.resolve()
    return sampleset


def _stack(problem: dimod.BinaryQuadraticModel, samplesets: list[dimod.SampleSet]) -> dimod.SampleSet:
    """One SampleSet over ``problem``'s variables with one row per read (chain-break fractions kept)."""
    rows, breaks = [], []
    for ss in samplesets:
        order = [list(ss.variables).index(v) for v in problem.variables]
        counts = ss.record.num_occurrences
        rows.append(np.repeat(ss.record.sample[:, order], counts, axis=0))
        breaks.append(np.repeat(ss.record.chain_break_fraction, counts))
    return dimod.SampleSet.from_samples_bqm(
        (np.concatenate(rows), list(problem.variables)), problem, chain_break_fraction=np.concatenate(breaks)
    )


def _call_details(
    child: Any,
    qpu: Mapping[str, Any],
    samplesets: list[dimod.SampleSet],
    embedding: Mapping,
    chain_strength: float,
    gauges: int,
    problem: dimod.BinaryQuadraticModel,
) -> dict[str, Any]:
    props = child.properties
    timings = [dict(ss.info.get("timing", {})) for ss in samplesets]
    breaks = np.concatenate([np.repeat(ss.record.chain_break_fraction, ss.record.num_occurrences) for ss in samplesets])
    chain_lengths = [len(chain) for chain in embedding.values()]
    parameters = {k: _jsonable(v, problem) for k, v in qpu.items()}
    return {
        "solver": {"chip_id": props.get("chip_id"), "topology": props.get("topology")},
        "qpu_parameters": parameters,
        "num_calls": len(samplesets),
        "reads_per_call": [int(ss.record.num_occurrences.sum()) for ss in samplesets],
        "num_spin_reversal_transforms": gauges,
        "chain_strength": float(chain_strength),
        "chain_break_fraction": float(breaks.mean()) if breaks.size else 0.0,
        "embedding": {
            "num_qubits": int(sum(chain_lengths)),
            "max_chain_length": int(max(chain_lengths)),
            "mean_chain_length": float(np.mean(chain_lengths)),
            "chains": [[_jsonable(v, problem), [int(q) for q in chain]] for v, chain in embedding.items()],
        },
        "qpu_timing": timings,
        "qpu_access_time_us": float(sum(t.get("qpu_access_time", 0.0) for t in timings)),
    }


def _jsonable(value: Any, problem: dimod.BinaryQuadraticModel) -> Any:
    """JSON-friendly copy; a mapping over the problem's variables (initial_state) becomes a list in their order."""
    if isinstance(value, Mapping):
        return [int(value[v]) for v in problem.variables]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, problem) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
