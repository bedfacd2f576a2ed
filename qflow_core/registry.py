"""Plugin discovery through Python entry points (group ``"qflow"``) and pluggy.

>>> from qflow_core.registry import get_sampler, list_plugins
>>> sampler = get_sampler("sa")
>>> sampler.supports("boltzmann:beta=1")
'native'
>>> any(p.name == "sa" and p.error is None for p in list_plugins())
True
"""

from __future__ import annotations

import importlib.metadata as metadata
import threading
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any

import pluggy

from qflow_core import hookspecs
from qflow_core.errors import InvalidInputError, UnsupportedProtocolError
from qflow_core.protocols import Protocol, as_protocol
from qflow_core.sampler import Sampler

__all__ = [
    "PluginInfo",
    "Registry",
    "SamplerInfo",
    "available_samplers",
    "check_support",
    "default_registry",
    "get_sampler",
    "list_plugins",
    "resolve_sampler",
    "samplers_supporting",
]

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME


@dataclass(frozen=True)
class SamplerInfo:
    """One sampler a plugin provides: its name, aliases and ``{capability: fidelity}``."""

    name: str
    aliases: tuple[str, ...]
    capabilities: dict[str, str]
    summary: str = ""
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "capabilities": self.capabilities,
            "summary": self.summary,
            "parameters": self.parameters,
        }


@dataclass(frozen=True)
class PluginInfo:
    """A discovered plugin: entry-point name, distribution and version, its samplers, or its load error."""

    name: str
    distribution: str | None
    version: str | None
    samplers: tuple[SamplerInfo, ...] = ()
    error: str | None = None
    traceback: str | None = field(default=None, repr=False)

    @property
    def state(self) -> str:
        """One of ``ready``, ``missing extra`` (an optional dependency is absent: ``error`` has the pip line)
        or ``failed`` (the plugin raised while loading)."""
        if self.error is None:
            return "ready"
        return "missing extra" if self.error.startswith(("MissingExtraError", "ModuleNotFoundError")) else "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "distribution": self.distribution,
            "version": self.version,
            "samplers": [s.to_dict() for s in self.samplers],
            "error": self.error,
        }


class Registry:
    """A plugin manager over one entry-point group; loads lazily and isolates failing plugins."""

    def __init__(self, group: str = ENTRY_POINT_GROUP) -> None:
        self.group = group
        self._lock = threading.Lock()
        self._loaded = False
        self._manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._manager.add_hookspecs(hookspecs)
        self._plugins: dict[str, PluginInfo] = {}
        self._classes: dict[str, type[Sampler]] = {}
        self._factories: dict[type[Sampler], Any] = {}
        self._claims: dict[str, list[tuple[str, str | None, type[Sampler]]]] = {}

    # -- loading ------------------------------------------------------------------------------------------
    def load(self) -> None:
        """Import every entry point of the group once (idempotent, thread-safe)."""
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            for entry_point in sorted(metadata.entry_points(group=self.group), key=lambda ep: ep.name):
                dist = getattr(entry_point, "dist", None)
                dist_name = dist.metadata["Name"] if dist is not None else None
                version = dist.version if dist is not None else None
                try:
                    plugin = entry_point.load()
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # a broken plugin (even one calling sys.exit) never stops the others
                    self._plugins[entry_point.name] = PluginInfo(
                        entry_point.name,
                        dist_name,
                        version,
                        error=_describe(exc),
                        traceback=traceback.format_exc(),
                    )
                    continue
                self._add(entry_point.name, plugin, dist_name, version)

    def register(self, plugin: object, name: str | None = None) -> PluginInfo:
        """Register an in-process plugin object (a module or object with hook implementations)."""
        self.load()
        with self._lock:
            name = name or getattr(plugin, "__name__", None) or repr(plugin)
            return self._add(name, plugin, None, None)

    def _add(self, name: str, plugin: object, dist_name: str | None, version: str | None) -> PluginInfo:
        try:
            self._manager.register(plugin, name=name)
            self._manager.check_pending()  # a misspelt hook implementation is an error, not silence
            hook = self._manager.subset_hook_caller(
                "qflow_samplers", remove_plugins=[p for p in self._manager.get_plugins() if p is not plugin]
            )
            provided = [item for result in hook() for item in result]
            infos = tuple(self._add_class(item, name, dist_name) for item in provided)
        except Exception as exc:
            if self._manager.is_registered(plugin):
                self._manager.unregister(plugin)
            info = PluginInfo(name, dist_name, version, error=_describe(exc), traceback=traceback.format_exc())
        else:
            info = PluginInfo(name, dist_name, version, samplers=infos)
        self._plugins[name] = info
        return info

    def _add_class(self, provided: Any, plugin_name: str, dist_name: str | None) -> SamplerInfo:
        """Record a Sampler subclass, or a zero-argument factory returning a Sampler (called once here)."""
        if isinstance(provided, type) and issubclass(provided, Sampler):
            cls = provided
        elif callable(provided) and not isinstance(provided, type):
            instance = provided()
            if not isinstance(instance, Sampler):
                raise TypeError(
                    f"plugin {plugin_name!r} gave the factory {provided!r}, which returned {instance!r}, "
                    "not a qflow Sampler"
                )
            cls = type(instance)
            self._factories[cls] = provided
        else:
            raise TypeError(
                f"plugin {plugin_name!r} returned {provided!r}, which is not a qflow Sampler subclass "
                "(nor a zero-argument factory returning a Sampler)"
            )
        for key in (cls.name, *cls.aliases):
            claims = self._claims.setdefault(key, [])
            if all(claimed is not cls for _, _, claimed in claims):
                claims.append((plugin_name, dist_name, cls))
            self._classes.setdefault(key, cls)
        doc = (cls.__doc__ or "").strip().splitlines()
        parameters = cls.describe()["parameters"]
        return SamplerInfo(cls.name, tuple(cls.aliases), dict(cls.capabilities), doc[0] if doc else "", parameters)

    # -- queries ------------------------------------------------------------------------------------------
    def plugins(self) -> list[PluginInfo]:
        self.load()
        return sorted(self._plugins.values(), key=lambda p: p.name)

    def sampler_classes(self) -> dict[str, type[Sampler]]:
        """Primary name → class (aliases excluded)."""
        self.load()
        return {name: cls for name, cls in self._classes.items() if cls.name == name}

    def get(self, name: str, *, plugin: str | None = None, **config: Any) -> Sampler:
        """Instantiate sampler ``name``; ``plugin`` (entry-point or distribution name) picks among claimants.

        A name claimed by two plugins is never resolved silently: without ``plugin`` it is an error that
        names both.
        """
        self.load()
        cls = self._pick(name, plugin)
        if cls is None:
            failed = [p.name for p in self._plugins.values() if p.error]
            hint = f"; plugins that failed to load: {', '.join(failed)} (see `qflow plugins`)" if failed else ""
            raise InvalidInputError(
                f"no sampler named {name!r}; installed samplers: {', '.join(sorted(self._classes)) or 'none'}{hint}"
            )
        if name != cls.name:
            warnings.warn(
                f"sampler name {name!r} is a deprecated alias of {cls.name!r}; use {cls.name!r}",
                DeprecationWarning,
                stacklevel=3,
            )
        factory = self._factories.get(cls)
        if factory is not None:
            if config:
                raise InvalidInputError(
                    f"sampler {cls.name!r} is built by a zero-argument factory; it takes no configuration, "
                    f"got {sorted(config)}"
                )
            return factory()
        return cls(**config)

    def _pick(self, name: str, plugin: str | None) -> type[Sampler] | None:
        claims = self._claims.get(name, [])
        if plugin is not None:
            chosen = [cls for entry, dist, cls in claims if plugin in (entry, dist)]
            if not chosen:
                owners = ", ".join(f"{entry!r} ({dist or 'in-process'})" for entry, dist, _ in claims) or "none"
                raise InvalidInputError(f"no plugin {plugin!r} provides sampler {name!r}; it is provided by: {owners}")
            return chosen[0]
        if len(claims) > 1:
            owners = " and ".join(
                f"plugin {entry!r} of distribution {dist or 'in-process'!r}" for entry, dist, _ in claims
            )
            raise InvalidInputError(
                f"sampler name {name!r} is claimed by {owners}; pick one explicitly, e.g. "
                f"get_sampler({name!r}, plugin={claims[0][1] or claims[0][0]!r}), or uninstall the other"
            )
        return self._classes.get(name)

    def supporting(self, protocol: Protocol | str) -> list[str]:
        protocol = as_protocol(protocol)
        return sorted(name for name, cls in self.sampler_classes().items() if cls.supports(protocol) is not None)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry over the installed ``"qflow"`` entry points."""
    global _default
    if _default is None:
        _default = Registry()
    return _default


def get_sampler(name: str, *, plugin: str | None = None, **config: Any) -> Sampler:
    """Instantiate the installed sampler ``name`` with backend ``config`` (e.g. ``solver=...`` for dwave).

    ``plugin`` (an entry-point or distribution name, e.g. ``"qflow"``) picks the provider when two installed
    plugins claim the same name.
    """
    return default_registry().get(name, plugin=plugin, **config)


def resolve_sampler(sampler: Sampler | str | None, *, purpose: str = "this experiment runs on a sampler") -> Sampler:
    """A Sampler instance from a Sampler or an installed sampler's name.

    >>> resolve_sampler("sa").name
    'sa'
    """
    if isinstance(sampler, Sampler):
        return sampler
    if isinstance(sampler, str):
        return get_sampler(sampler)
    if sampler is None:
        raise InvalidInputError(f"{purpose}: pass sampler=... (an installed sampler's name like 'sa', or a Sampler)")
    raise InvalidInputError(f"sampler must be a qflow Sampler or an installed sampler's name, got {sampler!r}")


def list_plugins() -> list[PluginInfo]:
    """Every discovered plugin with its samplers and their capabilities, or its load error."""
    return default_registry().plugins()


def available_samplers() -> list[str]:
    """Names of the samplers that loaded."""
    return sorted(default_registry().sampler_classes())


def samplers_supporting(protocol: Protocol | str) -> list[str]:
    """Names of installed samplers that declare support for ``protocol``."""
    return default_registry().supporting(protocol)


def check_support(sampler: Sampler, protocol: Protocol | str) -> str:
    """The fidelity with which ``sampler`` runs ``protocol``; else UnsupportedProtocolError naming who does.

    >>> check_support(get_sampler("sa"), "anneal:kind=standard")
    'native'
    """
    protocol = as_protocol(protocol)
    fidelity = sampler.supports(protocol)
    if fidelity is None:
        raise UnsupportedProtocolError(
            sampler.name, protocol, samplers_supporting(protocol), reason=sampler.unsupported_reason(protocol)
        )
    return fidelity
