"""The sampler interface every backend plugin implements.

A :class:`Sampler` is a :class:`dimod.Sampler` (so it composes with Ocean) that also declares which physical
protocols it supports and how faithfully (``capabilities``), and runs them through :meth:`Sampler.run`.
Plugin authors subclass it, set ``name`` and ``capabilities`` and implement :meth:`Sampler._run`; the base
class validates the input, refuses unsupported protocols with an error naming the samplers that do support
them, resolves the seed, times the call and writes ``info["qflow"]``.

A complete sampler in a few lines (classical Boltzmann sampling by exact enumeration):

>>> import dimod, numpy as np
>>> from qflow_core.protocols import Boltzmann
>>> class Enumerate(Sampler):
...     name = "enumerate-doc"
...     capabilities = {"boltzmann": "exact"}
...     def _run(self, bqm, protocol, *, num_reads, seed, **options):
...         states = dimod.ExactSolver().sample(bqm)
...         p = np.exp(-protocol.beta * (states.record.energy - states.record.energy.min()))
...         rng = np.random.default_rng(seed)
...         rows = rng.choice(len(p), size=num_reads, p=p / p.sum())
...         return spin_sampleset(bqm, states.record.sample[rows])
>>> bqm = dimod.BQM({"a": 0.5}, {}, 0.0, "SPIN")
>>> ss = Enumerate().run(bqm, Boltzmann(beta=1.0), num_reads=10, seed=3)
>>> ss.info["qflow"]["fidelity"], int(ss.record.num_occurrences.sum())
('exact', 10)
"""

from __future__ import annotations

import abc
import copy
import functools
import importlib.metadata
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from qflow_core.dimod_interface import DimodSamplerInterface
from qflow_core.errors import InvalidInputError, UnsupportedProtocolError
from qflow_core.parameters import Parameter, check_options
from qflow_core.protocols import CAPABILITIES, FIDELITIES, Fidelity, Protocol, Survival, as_protocol
from qflow_core.samplesets import attach_details, check_plugin_output, spin_sampleset, validate_bqm
from qflow_core.seeding import child_seeds, resolve_seed
from qflow_core.validation import check_read_count, positive_int

if TYPE_CHECKING:  # dimod is imported where a run needs it: reading a sampler's declarations never loads it
    import dimod

__all__ = ["DEFAULT_TAGS", "Sampler", "attach_details", "check_plugin_output", "spin_sampleset", "validate_bqm"]

#: Tag keys and their defaults: whether one seed's samples equal another's, whether a run needs the network
#: or costs money, the largest problem it takes (None: no limit), whether its Boltzmann answer is an exact
#: reference, and whether one instance may run in several threads at once.
DEFAULT_TAGS: Mapping[str, Any] = {
    "deterministic": False,
    "requires_network": False,
    "costs_money": False,
    "max_variables": None,
    "exact_reference": False,
    "thread_safe": True,
}


class CheckedRun(NamedTuple):
    """One run's validated input: the BQM as given and as SPIN, the protocol, its fidelity, num_reads."""

    bqm: dimod.BinaryQuadraticModel
    spin_bqm: dimod.BinaryQuadraticModel
    protocol: Protocol
    fidelity: Fidelity
    num_reads: int


class Sampler(DimodSamplerInterface, abc.ABC):
    """Base class of qflow samplers.

    Every instance is a :class:`dimod.Sampler` (``isinstance`` holds, ``sample_ising``, ``sample_qubo`` and
    the context-manager protocol work as for any Ocean sampler), but the class is registered with dimod only
    when the first instance is made, so importing a plugin to read its declarations does not import dimod.

    Class attributes a subclass sets:

    * ``name`` — the registered name (``get_sampler(name)``);
    * ``aliases`` — other names it answers to (e.g. ``"neal"`` for ``"sa"``);
    * ``capabilities`` — ``{capability key: fidelity}`` with keys from
      :data:`qflow_core.protocols.CAPABILITIES` and fidelities ``"exact" | "native" | "approximate"``;
    * ``default_protocol`` — what :meth:`sample` runs when called the plain dimod way;
    * ``tags`` — facts the conformance kit reads (:data:`DEFAULT_TAGS` lists the keys and defaults); a subclass
      states only those that differ, e.g. ``tags = {"deterministic": True}``.
    * ``run_parameters`` — the backend options :meth:`run` accepts, as :class:`~qflow_core.parameters.Parameter`
      declarations; the base class refuses any other option and checks each value's range before ``_run``.
    * ``stores_every_read`` — True (default) when the SampleSet holds one row per read, so the base class
      refuses, before any work, a read count whose samples would not fit in memory; False for a sampler that
      returns a distribution over states (e.g. exact probabilities with counts).
    """

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[Mapping[str, Fidelity]] = {}
    default_protocol: ClassVar[Protocol | None] = None
    tags: ClassVar[Mapping[str, Any]] = {}
    run_parameters: ClassVar[tuple[Parameter, ...]] = ()
    stores_every_read: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for key, fidelity in cls.capabilities.items():
            if key not in CAPABILITIES or fidelity not in FIDELITIES:
                raise TypeError(
                    f"{cls.__name__}.capabilities has {key!r}: {fidelity!r}; keys must be in {CAPABILITIES} "
                    f"and fidelities in {FIDELITIES}"
                )

    # -- capability declaration ---------------------------------------------------------------------------
    @classmethod
    def supports(cls, protocol: Protocol | str) -> Fidelity | None:
        """Fidelity with which this sampler runs ``protocol`` ("exact", "native", "approximate"), or None.

        A classmethod, so the registry can ask without instantiating. Override it (as a classmethod) to refine
        the declaration by protocol fields, and :meth:`unsupported_reason` to say why.
        """
        return cls.capabilities.get(as_protocol(protocol).capability)

    @classmethod
    def unsupported_reason(cls, protocol: Protocol) -> str | None:
        """Why ``protocol`` is refused (appended to the UnsupportedProtocolError message), if there is more to
        say than "not declared"."""
        return None

    def physics_class(self, protocol: Protocol | str) -> str:
        """What produces the samples of ``protocol``, one of :data:`qflow_core.protocols.PHYSICS_CLASSES` (default:
        "hardware" when tagged ``costs_money``, else "unspecified"); plugins override it."""
        return "hardware" if self.tags.get("costs_money") else "unspecified"

    # -- running ------------------------------------------------------------------------------------------
    def run(
        self,
        bqm: dimod.BinaryQuadraticModel,
        protocol: Protocol | str,
        *,
        num_reads: int = 1000,
        seed: int | None = None,
        **backend_options: Any,
    ) -> dimod.SampleSet:
        """Run ``protocol`` on ``bqm`` and return the samples, in the BQM's vartype and labels.

        ``info["qflow"]`` records sampler, protocol (as a dict), fidelity, the seed actually used (drawn
        and recorded when ``seed`` is None, so every run can be repeated), ``num_reads``, wall time and the
        backend's own details. Survival states are ±1 spins in ``bqm.variables`` order.
        """
        return self._start(bqm, protocol, num_reads=num_reads, seed=seed, **backend_options)()

    def _start(
        self,
        bqm: dimod.BinaryQuadraticModel,
        protocol: Protocol | str,
        *,
        num_reads: int = 1000,
        seed: int | None = None,
        **backend_options: Any,
    ) -> Callable[[], dimod.SampleSet]:
        """:meth:`run` in two halves: check the input and start the work (:meth:`_begin`) now, and return the
        call that waits for it and records it. :meth:`run` calls both at once; a backend whose solver answers
        later makes its ``submit`` start here and wait on another thread."""
        checked = self._checked(bqm, protocol, num_reads)
        options = self.checked_options(backend_options)
        seed = resolve_seed(seed)
        start = time.perf_counter()
        pending = self._begin(checked.spin_bqm, checked.protocol, num_reads=checked.num_reads, seed=seed, **options)

        def finish() -> dimod.SampleSet:
            return self._recorded(pending(), checked, seed=seed, wall_s=time.perf_counter() - start)

        return finish

    def _begin(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> Callable[[], dimod.SampleSet]:
        """Start the backend work of a validated run and return the call that waits for its SampleSet.

        The default starts nothing: all the work is :meth:`_run`, made when the call is made."""
        return functools.partial(self._run, bqm, protocol, num_reads=num_reads, seed=seed, **options)

    def run_many(
        self,
        bqm: dimod.BinaryQuadraticModel,
        protocols: Sequence[Protocol | str],
        *,
        num_reads: int = 1000,
        seed: int | None = None,
        **backend_options: Any,
    ) -> list[dimod.SampleSet]:
        """Run several protocols on the same BQM (e.g. one Survival per stored pattern).

        Run ``i`` uses the seed :func:`child_seed` ``(seed, i)``, so results do not depend on batching. The
        default runs them one by one; backends with a batch mechanism (e.g. reverse annealing from many
        initial states) override it and must return the same list, in order.
        """
        seeds = child_seeds(resolve_seed(seed), len(protocols))
        return [
            self.run(bqm, protocol, num_reads=num_reads, seed=child, **backend_options)
            for protocol, child in zip(protocols, seeds, strict=True)
        ]

    def submit(self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol | str, **kwargs: Any) -> Any:
        """:meth:`run` without waiting: a ``concurrent.futures.Future`` of the SampleSet (thread pool, or a Dask
        cluster with ``client=``); see :func:`qflow_core.futures.submit`."""
        from qflow_core.futures import submit

        return submit(self, bqm, protocol, **kwargs)

    @classmethod
    def checked_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        """``options`` checked against ``run_parameters`` (unknown name or bad value → InvalidInputError).

        Only the options given are returned (defaults are not filled in: ``_run`` applies its own).
        """
        return check_options(options, cls.run_parameters, owner=cls.name)

    def _checked(self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol | str, num_reads: int) -> CheckedRun:
        """Validate one run's input (BQM, a supported protocol, num_reads, a Survival state's length).

        With :meth:`_recorded`, the hooks a :meth:`run_many` override uses to keep :meth:`run`'s contract.
        """
        protocol = as_protocol(protocol)
        bqm = validate_bqm(bqm)
        fidelity = self.supports(protocol)
        if fidelity is None:
            raise UnsupportedProtocolError(self.name, protocol, reason=self.unsupported_reason(protocol))
        num_reads = positive_int("num_reads", num_reads)
        check_read_count(self.name, bqm.num_variables, num_reads, stores_every_read=self.stores_every_read)
        if isinstance(protocol, Survival) and len(protocol.state) != bqm.num_variables:
            raise InvalidInputError(
                f"Survival state has {len(protocol.state)} spins but the BQM has {bqm.num_variables} variables; "
                "give one ±1 value per variable, in bqm.variables order"
            )
        import dimod

        spin_bqm = bqm if bqm.vartype is dimod.SPIN else bqm.change_vartype(dimod.SPIN, inplace=False)
        return CheckedRun(bqm, spin_bqm, protocol, fidelity, num_reads)

    def _recorded(
        self, sampleset: dimod.SampleSet, checked: CheckedRun, *, seed: int, wall_s: float
    ) -> dimod.SampleSet:
        """``_run``'s SampleSet in the BQM's vartype, with ``info["qflow"]`` written (see :meth:`run`)."""
        import dimod

        check_plugin_output(self.name, sampleset, checked.spin_bqm, checked.num_reads)
        if checked.bqm.vartype is not dimod.SPIN:
            sampleset = sampleset.change_vartype(checked.bqm.vartype, inplace=False)
        record = sampleset.info.setdefault("qflow", {})
        details = record.pop("backend", {})
        record.update(
            sampler=self.name,
            protocol=checked.protocol.to_dict(),
            fidelity=checked.fidelity,
            seed=seed,
            num_reads=checked.num_reads,
            timing={"wall_s": wall_s, **record.pop("timing", {})},
            distribution=distribution_of(type(self)),
            backend=details,
        )
        return sampleset

    @abc.abstractmethod
    def _run(
        self, bqm: dimod.BinaryQuadraticModel, protocol: Protocol, *, num_reads: int, seed: int, **options: Any
    ) -> dimod.SampleSet:
        """Backend work: ``bqm`` is a validated SPIN BQM, ``protocol`` supported, ``seed`` an int.

        Return a SampleSet over ``bqm.variables`` (build it with :func:`spin_sampleset`); put backend details
        in ``info["qflow"]["backend"]`` with :func:`attach_details`.
        """

    # -- dimod.Sampler ------------------------------------------------------------------------------------
    @property
    def parameters(self) -> dict[str, list]:
        """dimod's parameter listing: the base ``protocol``, ``num_reads``, ``seed`` and ``run_parameters``."""
        return {"protocol": [], "num_reads": [], "seed": [], **{p.name: [] for p in self.run_parameters}}

    @property
    def properties(self) -> dict[str, Any]:
        return {"name": self.name, "capabilities": dict(self.capabilities)}

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        protocol: Protocol | str | None = None,
        num_reads: int = 1000,
        seed: int | None = None,
        **kwargs: Any,
    ) -> dimod.SampleSet:
        """dimod entry point: :meth:`run` with ``protocol`` defaulting to ``default_protocol``.

        An empty BQM gives an empty SampleSet, as it does for every Ocean sampler (:meth:`run` refuses it).
        """
        import dimod

        if isinstance(bqm, dimod.BinaryQuadraticModel) and bqm.num_variables == 0:
            return dimod.SampleSet.from_samples(([], []), bqm.vartype, energy=[])
        protocol = protocol if protocol is not None else self.default_protocol
        if protocol is None:
            raise InvalidInputError(f"sampler {self.name!r} has no default protocol; pass protocol=...")
        return self.run(bqm, protocol, num_reads=num_reads, seed=seed, **kwargs)

    def for_worker(self) -> Sampler:
        """The instance one concurrent worker (a thread of a pool, a sweep job) should run.

        ``self`` when the sampler is tagged ``thread_safe`` (the default: per-call state only, so one instance
        serves every thread); otherwise an independent deep copy (what a process worker would get from a
        pickle), so workers never share the state the sampler keeps between calls.

        >>> from qflow_sa import SimulatedAnnealing
        >>> sampler = SimulatedAnnealing()
        >>> sampler.for_worker() is sampler
        True
        """
        if {**DEFAULT_TAGS, **self.tags}["thread_safe"]:
            return self
        return copy.deepcopy(self)

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """JSON-ready summary: name, aliases, capabilities and each run parameter's type, default, range, doc."""
        return {
            "name": cls.name,
            "aliases": list(cls.aliases),
            "capabilities": dict(cls.capabilities),
            "parameters": {p.name: p.to_dict() for p in cls.run_parameters},
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distribution_of(cls: type) -> dict[str, str | None]:
    """``{"name", "version"}`` of the installed distribution that ships ``cls``'s top-level package.

    >>> distribution_of(Sampler)["name"]
    'qflow'
    """
    return dict(_distribution_of_package(cls.__module__.split(".")[0]))


@functools.cache
def _distribution_of_package(top: str) -> tuple[tuple[str, str | None], ...]:
    """Looked up once per package: reading the metadata costs milliseconds, more than a small exact run."""
    names = _distributions().get(top)
    if not names:
        return (("name", None), ("version", None))
    try:
        return (("name", names[0]), ("version", importlib.metadata.version(names[0])))
    except importlib.metadata.PackageNotFoundError:
        return (("name", names[0]), ("version", None))
