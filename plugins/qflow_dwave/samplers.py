"""The ``dwave`` (real QPU) and ``dwave-mock`` (MockDWaveSampler) samplers: one code path, two children.

Every run goes through the same Ocean stack as a researcher's own script would (:mod:`qflow_dwave.calls`)::

    FixedEmbeddingComposite(SpinReversalTransformComposite(child), embedding)   # gauge batches

where ``child`` is ``dwave.system.DWaveSampler`` (connected lazily, on the first run) or
``dwave.system.testing.MockDWaveSampler`` with a thermal substitute (:mod:`qflow_dwave.mock`). The first
run on a problem graph embeds it with minorminer as ``EmbeddingComposite`` does (seeded by
``embedding_seed``); the embedding is cached and every call — all gauges, other runs on the same graph,
Boltzmann's pilot and main pass — uses ``FixedEmbeddingComposite``. A user embedding (``embedding=``) is used
as given.

Protocol mapping (all times in µs, all energies in the BQM's units): forward anneals — ``Anneal`` (standard
and fast), ``GroundState`` and ``Boltzmann`` — in :mod:`qflow_dwave.forward`; ``Survival`` as a reverse
anneal, and batches of them over many initial states (``run_many``), in :mod:`qflow_dwave.reverse`.

Non-blocking runs: :meth:`QPUSampler.submit` makes the run's solver calls at once through Ocean's
asynchronous ``sample`` (a SampleSet that resolves later) and returns a ``concurrent.futures.Future``; a small
waiting thread per run finishes it, so many problems are on the solver at once. :meth:`QPUSampler.run` is the
same two halves in one thread: a run's calls are all in flight before the first is waited for.

Gauge averaging: ``num_spin_reversal_transforms`` (default 4; not with reverse anneals, whose
``initial_state`` the composite does not flip) splits the reads into that many calls, each with its own
random spin-reversal transform. Each call is retried on transient cloud failures (``max_retries``,
exponential backoff from ``retry_backoff_s``); a final failure raises BackendError whose ``partial`` holds
the calls already measured.

Threads: one instance may serve many threads at once. A run keeps its options, seeds and calls to itself;
the connection and the embedding cache are shared and created under a lock, so seeded runs from a thread
pool give the serial results bit for bit.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from qflow_core.errors import InvalidInputError
from qflow_core.futures import in_flight
from qflow_core.parameters import Parameter
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Protocol, Survival, as_protocol
from qflow_dwave._ocean import ocean
from qflow_dwave.connection import connect_qpu, registered_secrets
from qflow_dwave.forward import ForwardAnneals
from qflow_dwave.options import (
    DEFAULT_MOCK_BETA,
    DEFAULT_MOCK_SWEEPS,
    DEFAULT_SWEEPS_PER_US,
    DEFAULT_TEMPERATURE_MK,
    RUN_PARAMETERS,
    SUBSTITUTE_SEED,
    RunOptions,
)
from qflow_dwave.qpu import started
from qflow_dwave.reverse import ReverseAnneals

if TYPE_CHECKING:  # dimod, dwave-samplers and the mock's models load with the first instance, not when listed
    import dimod

__all__ = ["SUBSTITUTES", "DWave", "DWaveMock", "QPUSampler"]

#: The physical models ``dwave-mock`` can sample with (``DWaveMock(sampler=...)``).
SUBSTITUTES = ("sa", "sqa")


class Secret(str):
    """A string (e.g. an API token) whose repr never shows its value."""

    def __repr__(self) -> str:
        return "'***'"


class QPUSampler(ForwardAnneals, ReverseAnneals):
    """Shared machinery of ``dwave`` and ``dwave-mock``: protocol mapping, embedding, gauges, retries."""

    default_protocol: ClassVar[Protocol] = Anneal("standard")
    run_parameters: ClassVar[tuple[Parameter, ...]] = RUN_PARAMETERS

    def submit(
        self,
        bqm: dimod.BinaryQuadraticModel,
        protocol: Protocol | str,
        *,
        num_reads: int = 1000,
        seed: int | None = None,
        client: Any = None,
        executor: Any = None,
        **backend_options: Any,
    ) -> concurrent.futures.Future:
        """:meth:`run` without waiting, on Ocean's asynchronous sampling: a ``concurrent.futures.Future`` of the
        SampleSet :meth:`run` would return.

        The input is checked, the problem embedded and the run's solver calls made here (``sample`` returns
        SampleSets that resolve when the solver answers); a small thread waits for them and finishes the run
        (unembedding, read stacking, ``info``), so many problems are in flight at once. Any error — bad input,
        or the solver's, as the :class:`~qflow_core.errors.BackendError` :meth:`run` raises — is the future's
        exception. ``client=`` (Dask) or ``executor=`` run the whole of :meth:`run` there instead.
        """
        kwargs = dict(backend_options, num_reads=num_reads, seed=seed)
        if client is not None or executor is not None:
            return super().submit(bqm, protocol, client=client, executor=executor, **kwargs)
        return in_flight(lambda: self._start(bqm, protocol, **kwargs))

    def _begin(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> Callable[[], dimod.SampleSet]:
        opts = RunOptions.parse(options)
        ocean("system")  # the extra must be installed before anything else happens
        if isinstance(protocol, Anneal):
            steps = self._anneal(bqm, protocol, opts, num_reads, seed)
        elif isinstance(protocol, Survival):
            steps = self._survival(bqm, protocol, opts, num_reads, seed)
        elif isinstance(protocol, Boltzmann):
            steps = self._boltzmann(bqm, protocol, opts, num_reads, seed)
        else:
            assert isinstance(protocol, GroundState)
            steps = self._ground_state(bqm, opts, num_reads, seed)
        return started(steps)

    def _run(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> dimod.SampleSet:
        return self._begin(bqm, protocol, num_reads=num_reads, seed=seed, **options)()


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
    tags: ClassVar[dict[str, Any]] = {"requires_network": True, "costs_money": True}
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
    """Offline D-Wave twin: MockDWaveSampler (Pegasus/Zephyr, minorminer embedding) with a physical model.

    It runs the ``dwave`` code path unchanged — same composites, embedding, chains, chain strength, auto-scaling,
    parameters, validation and info — on ``MockDWaveSampler`` whose substitute sampler models the QPU:

    * ``sampler="sa"`` (the default) — :class:`qflow_dwave.mock.ThermalSubstitute`: fixed-β Metropolis at
      ``beta`` in programmed units for forward anneals, thermal hopping from ``initial_state`` for reverse
      anneals. A classical thermal model with no transverse field: the standard and the fast anneal sample the
      same Boltzmann law (the fast anneal differs only through the couplings of its ancilla).
    * ``sampler="sqa"`` — :class:`qflow_dwave.quantum.PathIntegralSubstitute`: forward anneals (standard and
      fast) are path-integral Monte Carlo emulations of the QPU Hamiltonian −A(s)/2 Σσˣ + B(s)/2 E at the bath
      temperature ``temperature_mk``, so the reads freeze out along the schedule as a QPU's do (Monte Carlo
      sweeps stand for µs: see that module for the mapping and its limits); reverse anneals stay thermal. It
      needs the ``sqa`` plugin (``qflow[sqa]``), found through the registry.

    Why ``sa`` is the default (measured on the embedded M = 8 attention problem of ``qflow compare``, 12 qubits,
    ``benchmarks/bench_mock_sqa.py``): a 1000-read standard anneal takes 0.17 s on the thermal model and 3.6 s on
    the sqa substitute (21×); at the 10⁴ reads per run of the main job the mock's four rows would take about two
    minutes instead of 3 s, six times the whole ≤ 20 s budget of ``qflow compare``. The sqa substitute is the one
    whose standard and fast anneals differ physically (a late, cold freeze-out against an early, hot one, moving
    with bath temperature and anneal time): choose it whenever the anneal physics is the question
    (``docs/emulation.md``).

    Every capability is "approximate"; ``info["qflow"]["backend"]["physics"]`` says which model produced
    the samples. ``substitute_sampler`` replaces the model by any dimod sampler accepting the QPU keyword
    arguments and ``seed``; each solver call passes its own seed.

    >>> DWaveMock(topology="zephyr")
    DWaveMock(name='dwave-mock', topology='zephyr', shape=[6, 4], sampler='sa')
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
        num_sweeps: int = DEFAULT_MOCK_SWEEPS,
        sweeps_per_us: float = DEFAULT_SWEEPS_PER_US,
        sampler: str = "sa",
        temperature_mk: float = DEFAULT_TEMPERATURE_MK,
        substitute_sampler: dimod.Sampler | None = None,
        max_retries: int = 3,
        retry_backoff_s: float = 1.0,
        embedding_seed: int = 0,
    ) -> None:
        from qflow_dwave.mock import ThermalSubstitute
        from qflow_dwave.quantum import PathIntegralSubstitute

        super().__init__(max_retries=max_retries, retry_backoff_s=retry_backoff_s, embedding_seed=embedding_seed)
        if topology not in self.DEFAULT_SHAPES:
            raise InvalidInputError(f"dwave-mock topology must be 'pegasus' or 'zephyr', got {topology!r}")
        if not (beta > 0 and num_sweeps >= 1 and sweeps_per_us > 0):
            raise InvalidInputError("dwave-mock needs beta > 0, num_sweeps ≥ 1 and sweeps_per_us > 0")
        if sampler not in SUBSTITUTES:
            raise InvalidInputError(f"dwave-mock sampler must be one of {SUBSTITUTES}, got {sampler!r}")
        self.topology = topology
        self.topology_shape = list(topology_shape or self.DEFAULT_SHAPES[topology])
        self.sampler = sampler if substitute_sampler is None else "custom"
        thermal = ThermalSubstitute(beta=beta, num_sweeps=num_sweeps, sweeps_per_us=sweeps_per_us)
        if substitute_sampler is not None:
            self.substitute = substitute_sampler
        elif sampler == "sqa":
            self.substitute = PathIntegralSubstitute(temperature_mk=temperature_mk, reverse=thermal)
        else:
            self.substitute = thermal

    def _connect(self) -> Any:
        from qflow_dwave.mock import ThermalSubstitute, build_mock
        from qflow_dwave.quantum import PathIntegralSubstitute

        try:
            mock = build_mock(self.topology, self.topology_shape, self.substitute)
        except ValueError as exc:
            raise InvalidInputError(
                f"cannot build a {self.topology} mock of shape {self.topology_shape}: {exc}"
            ) from exc
        for model in (self.substitute, getattr(self.substitute, "reverse", None)):
            if isinstance(model, (ThermalSubstitute, PathIntegralSubstitute)):
                model.h_range = tuple(mock.properties["h_range"])
                model.j_range = tuple(mock.properties["j_range"])
        return mock

    def physics_class(self, protocol: Protocol | str) -> str:
        """Fixed-β Metropolis is thermal by construction; the path-integral substitute emulates forward anneals
        (reverse anneals go to its thermal model); another substitute sampler is not known to qflow."""
        from qflow_dwave.mock import ThermalSubstitute
        from qflow_dwave.quantum import PathIntegralSubstitute

        if isinstance(self.substitute, PathIntegralSubstitute):
            return (
                "thermal by construction" if isinstance(as_protocol(protocol), Survival) else "path-integral emulation"
            )
        return "thermal by construction" if isinstance(self.substitute, ThermalSubstitute) else "unspecified"

    def physics(self, *, reverse: bool) -> dict[str, Any]:
        """The model that produced a run's samples (``info["qflow"]["backend"]["physics"]``)."""
        describe = getattr(self.substitute, "describe", None)
        if describe is None:
            return {"model": f"user substitute sampler {type(self.substitute).__name__}"}
        return describe(reverse=reverse)

    def call_parameters(self, seed: int) -> dict[str, Any]:
        return {SUBSTITUTE_SEED: seed}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, topology={self.topology!r}, shape={self.topology_shape}, "
            f"sampler={self.sampler!r})"
        )
