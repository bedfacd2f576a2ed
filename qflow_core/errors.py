"""The exceptions qflow raises.

Every error a user can trigger derives from :class:`QflowError`, so one ``except QflowError`` catches
them all; each subclass also derives from the matching built-in (``ValueError``, ``ImportError``,
``RuntimeError``, ``MemoryError``) so generic handlers keep working. Messages say what was wrong and how to
fix it.

>>> from qflow_core.errors import MissingExtraError
>>> print(MissingExtraError("qiskit", extra="qaoa", feature="the qaoa sampler"))
the qaoa sampler needs the optional dependency 'qiskit'; install it with: pip install "qflow[qaoa]"
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BackendError",
    "InvalidInputError",
    "MissingCapabilityError",
    "MissingExtraError",
    "PluginError",
    "ProblemTooLargeError",
    "QflowError",
    "UnsupportedProtocolError",
]


class QflowError(Exception):
    """Base class of every error raised by qflow."""


class InvalidInputError(QflowError, ValueError):
    """An argument has the wrong shape, type or value (NaN biases, non-±1 spins, asymmetric J, ...)."""


class UnsupportedProtocolError(QflowError):
    """A sampler was asked for a physical protocol it does not implement.

    When raised through the registry (:func:`qflow_core.registry.check_support`, which every experiment calls
    before it runs anything) the message names the installed samplers that do support the protocol
    (``supporters``); a sampler's own :meth:`~qflow_core.sampler.Sampler.run` does not consult the registry and
    points to ``qflow plugins`` instead.
    """

    def __init__(
        self, sampler: str, protocol: object, supporters: Iterable[str] | None = None, *, reason: str | None = None
    ) -> None:
        self.sampler = sampler
        self.protocol = protocol
        self.supporters = None if supporters is None else sorted(set(supporters))
        self.reason = reason
        if self.supporters is None:
            where = "`qflow plugins` lists the samplers that support each protocol"
        elif self.supporters:
            where = "installed samplers that support it: " + ", ".join(self.supporters)
        else:
            where = "no installed sampler supports it"
        why = f" ({reason})" if reason else ""
        super().__init__(f"sampler {sampler!r} does not support {protocol}{why}; {where}")


class MissingCapabilityError(QflowError):
    """No sampler at hand (nor any installed one) implements an optional interface such as ``SpectralBackend``."""

    def __init__(self, interface: str, *, providers: str) -> None:
        self.interface = interface
        super().__init__(f"no installed sampler implements {interface}; {providers}")


class MissingExtraError(QflowError, ImportError):
    """An optional dependency is not installed; the message gives the exact ``pip install`` line."""

    def __init__(self, package: str, *, extra: str, feature: str | None = None):
        self.package = package
        self.extra = extra
        what = feature or f"this feature of qflow[{extra}]"
        super().__init__(
            f'{what} needs the optional dependency {package!r}; install it with: pip install "qflow[{extra}]"'
        )


class ProblemTooLargeError(QflowError, MemoryError):
    """A computation would need more memory than the backend allows; the message states how much."""

    def __init__(self, what: str, *, n: int, required_bytes: float, limit: str | None = None, fix: str | None = None):
        self.n = n
        self.required_bytes = float(required_bytes)
        hint = f" ({limit})" if limit else ""
        fix = fix or "use fewer spins or a sampler that scales (e.g. 'sa')"
        super().__init__(
            f"{what} for n = {n} spins would need about {format_bytes(required_bytes)} of memory{hint}; {fix}"
        )


class PluginError(QflowError, RuntimeError):
    """A plugin broke the sampler contract (e.g. returned samples over other variables); names the plugin."""

    def __init__(self, sampler: str, problem: str) -> None:
        self.sampler = sampler
        super().__init__(f"sampler {sampler!r} broke the qflow sampler contract: {problem}; report it to its authors")


class BackendError(QflowError, RuntimeError):
    """A backend (cloud service, simulator, library) failed; ``__cause__`` keeps the original exception.

    ``partial`` holds whatever was measured before the failure (e.g. a list of SampleSets), so nothing a
    user computed is lost.
    """

    def __init__(self, message: str, *, partial: object = None):
        self.partial = partial
        super().__init__(message)


def format_bytes(n: float) -> str:
    """Human-readable byte count, e.g. ``format_bytes(3 * 2**30) == '3.0 GiB'``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    raise AssertionError("unreachable")
