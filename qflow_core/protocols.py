"""Physical protocols: *what* process an experiment asks a sampler for, never *how* a backend does it.

Four frozen, validated dataclasses:

* :class:`Boltzmann` — samples from exp(−βE); with ``gamma > 0`` the z-basis diagonal of the quantum Gibbs
  state exp(−βH(Γ)), H(Γ) = E(σᶻ) − Γ Σσˣ.
* :class:`Anneal` — a forward anneal, ``kind`` "standard" (20 µs by default) or "fast" (20 ns by default), with
  an optional energy schedule table of rows (s, A(s) [GHz], B(s) [GHz]).
* :class:`Survival` — start in the classical state ``state``, open a transverse field ``gamma`` for ``time``
  and measure. ``regime="coherent"`` is unitary real-time dynamics (Lorentzian leakage);
  ``regime="dephased"`` is thermal, bath-driven hopping at inverse temperature ``beta`` (softmax leakage);
  ``regime="pure_dephasing"`` adds Lindblad dephasing √κ σᶻ_i on every spin (an
  infinite-temperature environment; Lorentzian hopping rates of width 2κ).
* :class:`GroundState` — measure the ground state of H(Γ) in the z basis.

Each protocol has a :attr:`~Protocol.capability` key (``"boltzmann"``, ``"boltzmann:quantum"``, ``"anneal"``,
``"survival:coherent"``, ``"survival:dephased"``, ``"survival:pure_dephasing"``, ``"ground_state"``) that samplers
declare support for, ``to_dict()``/:func:`from_dict` for JSON, and :func:`parse_protocol` reads CLI strings:

>>> parse_protocol("anneal:kind=fast,time_us=0.02")
Anneal(kind='fast', time_us=0.02, schedule=None)
>>> parse_protocol("survival:state=+-+,gamma=0.2,time=5,regime=dephased,beta=2").state
(1, -1, 1)
>>> from_dict(Boltzmann(beta=2).to_dict())
Boltzmann(beta=2.0, gamma=0.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.validation import anneal_schedule_table, positive_number

__all__ = [
    "CAPABILITIES",
    "FIDELITIES",
    "PHYSICS_CLASSES",
    "Anneal",
    "Boltzmann",
    "Fidelity",
    "GroundState",
    "Protocol",
    "Survival",
    "as_protocol",
    "example_protocols",
    "from_dict",
    "parse_protocol",
]

Fidelity = Literal["exact", "native", "approximate"]
FIDELITIES: tuple[str, ...] = ("exact", "native", "approximate")

#: Every capability key a sampler may declare, in display order.
CAPABILITIES: tuple[str, ...] = (
    "boltzmann",
    "boltzmann:quantum",
    "anneal",
    "survival:coherent",
    "survival:dephased",
    "survival:pure_dephasing",
    "ground_state",
)

#: What produced a run's samples, as :meth:`Sampler.physics_class` names it: a distribution built in by the
#: algorithm, unitary (Schrödinger) dynamics, a weak-coupling thermal bath, a path-integral Monte Carlo emulation of
#: quantum annealing, the ground state of H(Γ), a physical device, or not declared (e.g. a third-party plugin).
PHYSICS_CLASSES: tuple[str, ...] = (
    "thermal by construction",
    "coherent unitary",
    "thermal bath (Davies)",
    "path-integral emulation",
    "quantum ground state",
    "classical anneal",
    "hardware",
    "unspecified",
)

#: Default anneal durations in microseconds (D-Wave's default and its fast-anneal regime).
DEFAULT_ANNEAL_TIME_US = {"standard": 20.0, "fast": 0.02}


def _spin_state(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        value = _parse_state_string(value)
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError(f"state must be a non-empty 1-D sequence of ±1 spins, got shape {arr.shape}")
    if not np.all(np.isin(arr, (-1, 1))):
        bad = arr[~np.isin(arr, (-1, 1))][:3].tolist()
        raise InvalidInputError(f"state must contain only +1/-1 spins, found {bad}; map bits b to spins 2b-1")
    return tuple(int(v) for v in arr)


def _parse_state_string(text: str) -> list[int]:
    text = text.strip()
    if text and set(text) <= {"+", "-"}:
        return [1 if c == "+" else -1 for c in text]
    parts = text.replace(";", " ").replace("|", " ").split()
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise InvalidInputError(
            f"cannot read state {text!r}: write it as '+-+-' or as spins separated by ';', e.g. '1;-1;1'"
        ) from None


class Protocol:
    """Base of the protocol dataclasses. ``name`` is the CLI/JSON tag, ``capability`` the support key."""

    name: ClassVar[str]

    @property
    def capability(self) -> str:
        return self.name

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, tagged with ``"protocol"``; inverse of :func:`from_dict`."""
        out: dict[str, Any] = {"protocol": self.name}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[field.name] = value
        return out

    def __str__(self) -> str:
        args = ",".join(
            f"{k}={_format_value(v)}" for k, v in self.to_dict().items() if k != "protocol" and v is not None
        )
        return f"{self.name}:{args}" if args else self.name


def _format_value(value: Any) -> str:
    if isinstance(value, list) and value and all(v in (-1, 1) for v in value):
        return "".join("+" if v > 0 else "-" for v in value)
    return str(value)


@dataclass(frozen=True)
class Boltzmann(Protocol):
    """Samples from P(s) ∝ exp(−β E(s)); with ``gamma > 0`` from the z diagonal of exp(−β H(Γ))/Z.

    >>> Boltzmann(beta=2).capability, Boltzmann(beta=2, gamma=0.5).capability
    ('boltzmann', 'boltzmann:quantum')
    """

    name: ClassVar[str] = "boltzmann"
    beta: float
    gamma: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "beta", positive_number("Boltzmann beta", self.beta))
        object.__setattr__(self, "gamma", positive_number("Boltzmann gamma", self.gamma, allow_zero=True))

    @property
    def capability(self) -> str:
        return "boltzmann:quantum" if self.gamma > 0 else "boltzmann"


@dataclass(frozen=True)
class Anneal(Protocol):
    """A forward anneal H(s) = −A(s)/2 Σσˣ + B(s)/2 H_ising (D-Wave form; GHz, µs).

    ``time_us`` defaults to 20 µs ("standard") or 0.02 µs ("fast"). ``schedule``, if given, is a table of
    rows (s, A(s), B(s)) with s increasing from 0 to 1 and A, B in GHz; simulators use it instead of their
    default QPU-like schedule.

    >>> Anneal().time_us, Anneal("fast").time_us
    (20.0, 0.02)
    """

    name: ClassVar[str] = "anneal"
    kind: Literal["standard", "fast"] = "standard"
    time_us: float | None = None
    schedule: tuple[tuple[float, float, float], ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in DEFAULT_ANNEAL_TIME_US:
            raise InvalidInputError(f"Anneal kind must be 'standard' or 'fast', got {self.kind!r}")
        time_us = DEFAULT_ANNEAL_TIME_US[self.kind] if self.time_us is None else self.time_us
        object.__setattr__(self, "time_us", positive_number("Anneal time_us", time_us))
        if self.schedule is not None:
            object.__setattr__(self, "schedule", _schedule_table(self.schedule))


def _schedule_table(table: Any) -> tuple[tuple[float, float, float], ...]:
    arr = anneal_schedule_table(table)
    return tuple(tuple(float(x) for x in row) for row in arr)  # type: ignore[misc]


@dataclass(frozen=True)
class Survival(Protocol):
    """Start in the basis state ``state`` (±1 spins), switch on the transverse field Γ for ``time``, measure.

    ``regime="coherent"``: unitary evolution exp(−iH t) (Lorentzian leakage).
    ``regime="dephased"``: weak-coupling thermal bath at inverse temperature ``beta`` (softmax leakage);
    ``beta`` is required there and meaningless in the other regimes.
    ``regime="pure_dephasing"``: the Lindblad equation with jump operators √κ σᶻ_i on every spin, so every
    coherence between states that differ in one spin decays at γ = 2κ; once t ≫ 1/γ the pattern leaks into
    channel k at the Lorentzian rate 2Γ²γ/(Δ_k² + γ²). ``kappa`` > 0 is required there and only there.

    >>> Survival((1, -1), gamma=0.1, time=3).capability
    'survival:coherent'
    >>> Survival((1, -1), gamma=0.1, time=3, regime="pure_dephasing", kappa=0.5).capability
    'survival:pure_dephasing'
    """

    name: ClassVar[str] = "survival"
    state: tuple[int, ...]
    gamma: float
    time: float
    regime: Literal["coherent", "dephased", "pure_dephasing"] = "coherent"
    beta: float | None = None
    kappa: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", _spin_state(self.state))
        object.__setattr__(self, "gamma", positive_number("Survival gamma", self.gamma, allow_zero=True))
        object.__setattr__(self, "time", positive_number("Survival time", self.time))
        if self.regime not in ("coherent", "dephased", "pure_dephasing"):
            raise InvalidInputError(
                f"Survival regime must be 'coherent', 'dephased' or 'pure_dephasing', got {self.regime!r}"
            )
        if self.regime == "dephased":
            if self.beta is None:
                raise InvalidInputError("Survival(regime='dephased') needs the bath inverse temperature beta")
            object.__setattr__(self, "beta", positive_number("Survival beta", self.beta))
        elif self.beta is not None:
            raise InvalidInputError(
                "beta is the bath temperature of the dephased regime; drop it or use regime='dephased'"
            )
        if self.regime == "pure_dephasing":
            if self.kappa is None:
                raise InvalidInputError(
                    "Survival(regime='pure_dephasing') needs the dephasing rate kappa (jump operators √κ σᶻ_i)"
                )
            object.__setattr__(self, "kappa", positive_number("Survival kappa", self.kappa))
        elif self.kappa is not None:
            raise InvalidInputError(
                "kappa is the dephasing rate of the pure-dephasing regime; drop it or use regime='pure_dephasing'"
            )

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`Protocol.to_dict`; ``kappa`` is left out outside the pure-dephasing regime (where it is None)."""
        out = super().to_dict()
        if out["kappa"] is None:
            del out["kappa"]
        return out

    @property
    def capability(self) -> str:
        return f"survival:{self.regime}"


@dataclass(frozen=True)
class GroundState(Protocol):
    """Measure the ground state of H(Γ) = E(σᶻ) − Γ Σσˣ in the z basis (Born rule).

    >>> GroundState(0.5)
    GroundState(gamma=0.5)
    """

    name: ClassVar[str] = "ground_state"
    gamma: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", positive_number("GroundState gamma", self.gamma, allow_zero=True))


_PROTOCOLS: dict[str, type[Protocol]] = {
    "boltzmann": Boltzmann,
    "anneal": Anneal,
    "survival": Survival,
    "ground_state": GroundState,
    "groundstate": GroundState,
    "ground-state": GroundState,
}


def from_dict(data: Mapping[str, Any]) -> Protocol:
    """Rebuild a protocol from :meth:`Protocol.to_dict` output (validating it again)."""
    data = dict(data)
    try:
        cls = _PROTOCOLS[str(data.pop("protocol")).lower()]
    except KeyError:
        raise InvalidInputError(
            f"unknown or missing protocol tag in {data!r}; expected one of boltzmann, anneal, survival, ground_state"
        ) from None
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - known
    if unknown:
        raise InvalidInputError(f"{cls.__name__} has no field(s) {sorted(unknown)}; valid fields: {sorted(known)}")
    required = [
        f.name
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.name not in data
    ]
    if required:
        raise InvalidInputError(
            f"{cls.__name__} needs {', '.join(required)} (given: {', '.join(sorted(data)) or 'nothing'}); "
            f"e.g. {EXAMPLES.get(cls.__name__, cls.__name__.lower())}"
        )
    try:
        return cls(**data)
    except TypeError as exc:
        raise InvalidInputError(f"cannot build {cls.__name__} from {data!r}: {exc}") from None


#: One complete CLI form per protocol, quoted when a required field is missing.
EXAMPLES = {
    "Boltzmann": "boltzmann:beta=2",
    "Anneal": "anneal:kind=standard",
    "Survival": "survival:state=+-+,gamma=0.2,time=5,regime=dephased,beta=2",
    "GroundState": "ground_state:gamma=0.5",
}


def parse_protocol(text: str) -> Protocol:
    """Parse ``"name:key=value,key=value"``, e.g. ``"boltzmann:beta=2"`` or ``"ground_state:gamma=0.5"``.

    States are written ``state=+-+-`` (or ``state=1;-1;1``); numbers are read as floats.
    """
    head, _, tail = text.strip().partition(":")
    fields: dict[str, Any] = {"protocol": head.strip()}
    for item in filter(None, (p.strip() for p in tail.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise InvalidInputError(f"cannot parse {item!r} in protocol {text!r}: expected key=value")
        fields[key.strip()] = _parse_scalar(value.strip())
    return from_dict(fields)


def _parse_scalar(value: str) -> Any:
    if value.lower() in ("none", "null"):
        return None
    try:
        return float(value)
    except ValueError:
        return value


def as_protocol(protocol: Protocol | str | Mapping[str, Any]) -> Protocol:
    """Accept a protocol object, a CLI string or a dict, and return the protocol object."""
    if isinstance(protocol, Protocol):
        return protocol
    if isinstance(protocol, str):
        return parse_protocol(protocol)
    if isinstance(protocol, Mapping):
        return from_dict(protocol)
    raise InvalidInputError(f"expected a qflow protocol, a string like 'boltzmann:beta=1' or a dict; got {protocol!r}")


def example_protocols(capability: str, n: int) -> list[Protocol]:
    """Representative protocols for one capability key on ``n`` spins (used by the conformance kit)."""
    state = tuple(1 if i % 2 == 0 else -1 for i in range(n))
    examples: dict[str, list[Protocol]] = {
        "boltzmann": [Boltzmann(beta=1.0)],
        "boltzmann:quantum": [Boltzmann(beta=1.0, gamma=0.5)],
        "anneal": [Anneal("standard"), Anneal("fast")],
        "survival:coherent": [Survival(state, gamma=0.5, time=2.0)],
        "survival:dephased": [Survival(state, gamma=0.5, time=5.0, regime="dephased", beta=1.0)],
        "survival:pure_dephasing": [Survival(state, gamma=0.5, time=2.0, regime="pure_dephasing", kappa=0.5)],
        "ground_state": [GroundState(gamma=0.0), GroundState(gamma=0.5)],
    }
    if capability not in examples:
        raise InvalidInputError(f"unknown capability {capability!r}; known: {', '.join(CAPABILITIES)}")
    return examples[capability]
