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

Gauge averaging: ``num_spin_reversal_transforms`` (default 4; not with reverse anneals, whose
``initial_state`` the composite does not flip) splits the reads into that many calls, each with its own
random spin-reversal transform. Each call is retried on transient cloud failures (``max_retries``,
exponential backoff from ``retry_backoff_s``); a final failure raises BackendError whose ``partial`` holds
the calls already measured.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Protocol, Survival
from qflow_core.sampler import MAX_SEED, Sampler, attach_details, spin_sampleset
from qflow_core.schedules import AnnealSchedule, default_schedule
from qflow_core.transforms import LinearToAncilla
from qflow_dwave._ocean import ocean
from qflow_dwave.connection import call_with_retries, connect_qpu, registered_secrets, transient_errors
from qflow_dwave.mock import DEFAULT_MOCK_BETA, DEFAULT_SWEEPS, DEFAULT_SWEEPS_PER_US, ThermalSubstitute, build_mock
from qflow_dwave.physics import estimate_beta, reverse_schedule, turning_point
from qflow_dwave.solver_rules import check_call, range_scale

__all__ = ["DWave", "DWaveMock", "QPUSampler"]

DEFAULT_GAUGES = 4
DEFAULT_PILOT_READS = 500
RUN_OPTIONS = (
    "num_spin_reversal_transforms",
    "chain_strength",
    "embedding",
    "schedule",
    "rescale",
    "pilot_reads",
    "label",
    "qpu_parameters",
)


class Secret(str):
    """A string (e.g. an API token) whose repr never shows its value."""

    def __repr__(self) -> str:
        return "'***'"


class QPUSampler(Sampler):
    """Shared machinery of ``dwave`` and ``dwave-mock``: protocol mapping, embedding, gauges, retries."""

    default_protocol: ClassVar[Protocol] = Anneal("standard")
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

    def _connect(self) -> Any:
        raise NotImplementedError

    def _before_call(self, seed: int) -> None:
        """Hook run before each solver call with that call's seed (the mock seeds its substitute)."""

    def _secrets(self) -> list[str | None]:
        return []

    def close(self) -> None:
        """Release the cloud client's resources (a later run reconnects)."""
        child, self._child = self._child, None
        if child is not None and hasattr(child, "close"):
            child.close()

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
            "initial_state": dict(zip(bqm.variables, protocol.state, strict=True)),
            "reinitialize_state": True,
            "auto_scale": False,
        }
        reads, details = self._sample(
            _scaled(bqm, scale), qpu, opts, num_reads=num_reads, seed=seed, chain_strength=chain_strength * scale
        )
        notes = {
            "s_target": s_target,
            "energy_scale": scale,
            "programmed_gamma": scale * protocol.gamma,
            "pause_us": protocol.time,
            "beta": "not set: the bath is the QPU's own (protocol beta recorded only)",
        }
        return self._finish(bqm, reads, details, notes)

    def _boltzmann(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Boltzmann, opts: _RunOptions, num_reads: int, seed: int
    ) -> dimod.SampleSet:
        chain_strength = opts.chain_strength or self._default_chain_strength(bqm)
        max_scale = self._range_scale(bqm, chain_strength)
        pilot_seed, main_seed = (int(s) for s in np.random.SeedSequence(seed).generate_state(2) % MAX_SEED)
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
            scale = min(max_scale, max_scale * protocol.beta / pilot_beta)
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
        system, preprocessing = ocean("system"), ocean("preprocessing")
        child = self.child
        qpu = {**opts.qpu_parameters, **qpu}
        if opts.label is not None:
            qpu["label"] = opts.label
        max_reads = int(child.properties.get("num_reads_range", [1, num_reads])[1])
        calls = max(1, gauges, math.ceil(num_reads / max_reads))
        reads_per_call = [num_reads // calls + (i < num_reads % calls) for i in range(calls)]
        check_call(child, problem, {**qpu, "num_reads": max(reads_per_call), "answer_mode": "raw"})
        seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(calls) % MAX_SEED]
        key = _graph_key(problem)
        if opts.embedding is not None:
            _verify_embedding(opts.embedding, problem, child)
        embedding = opts.embedding if opts.embedding is not None else self._embeddings.get(key)
        done: list[dimod.SampleSet] = []
        for i, (reads, call_seed) in enumerate(zip(reads_per_call, seeds, strict=True)):
            kwargs = dict(qpu, num_reads=reads, answer_mode="raw", chain_strength=chain_strength, return_embedding=True)
            if gauges:
                kwargs["num_spin_reversal_transforms"] = 1

            def attempt(call_seed=call_seed, kwargs=kwargs, embedding=embedding) -> dimod.SampleSet:
                # a fresh stack per attempt: a retried call repeats the same gauge and seed
                inner = preprocessing.SpinReversalTransformComposite(child, seed=call_seed) if gauges else child
                if embedding is None:
                    parameters = {"random_seed": self.embedding_seed}
                    composite = system.EmbeddingComposite(inner, embedding_parameters=parameters)
                else:
                    composite = _fixed_embedding(system, inner, embedding)
                self._before_call(call_seed)
                return _resolved(composite.sample(problem, **kwargs))

            result = call_with_retries(
                attempt,
                what=f"solver call {i + 1} of {calls}",
                max_retries=self.max_retries,
                backoff_s=self.retry_backoff_s,
                transient=transient_errors(),
                secrets=self._secrets(),
                partial=done,
                hint="the calls measured before the failure are in BackendError.partial",
            )
            if embedding is None:
                embedding = {v: tuple(chain) for v, chain in result.info["embedding_context"]["embedding"].items()}
                if opts.embedding is None:
                    self._embeddings[key] = embedding
            done.append(result)
        return _stack(problem, done), _call_details(child, qpu, done, embedding, chain_strength, gauges, problem)

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
        unknown = sorted(set(options) - set(RUN_OPTIONS))
        if unknown:
            raise InvalidInputError(
                f"dwave samplers do not understand option(s) {unknown}; valid options: {', '.join(RUN_OPTIONS)}; "
                "pass other solver parameters as qpu_parameters={...}"
            )
        values = dict(options)
        srt = values.get("num_spin_reversal_transforms")
        if srt is not None and (isinstance(srt, bool) or not isinstance(srt, (int, np.integer)) or srt < 0):
            raise InvalidInputError(f"num_spin_reversal_transforms must be an integer ≥ 0, got {srt!r}")
        strength = values.get("chain_strength")
        if strength is not None and not (isinstance(strength, (int, float)) and strength > 0):
            raise InvalidInputError(f"chain_strength must be a number > 0 (BQM units), got {strength!r}")
        if values.get("embedding") is not None and not isinstance(values["embedding"], Mapping):
            raise InvalidInputError("embedding must map each variable to its chain of qubits, e.g. {'a': (12, 13)}")
        if values.get("schedule") is not None and not isinstance(values["schedule"], AnnealSchedule):
            values["schedule"] = AnnealSchedule.from_table(values["schedule"])
        pilot = values.get("pilot_reads", DEFAULT_PILOT_READS)
        if isinstance(pilot, bool) or not isinstance(pilot, (int, np.integer)) or pilot < 2:
            raise InvalidInputError(f"pilot_reads must be an integer ≥ 2, got {pilot!r}")
        extra = values.get("qpu_parameters") or {}
        clash = sorted(set(extra) & {"num_reads", "answer_mode", "chain_strength", "initial_state", "fast_anneal"})
        if clash:
            raise InvalidInputError(f"qpu_parameters may not set {clash}: qflow sets them from the protocol")
        return cls(**values)


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
