"""Connecting to D-Wave's cloud lazily, retrying transient failures, and keeping tokens out of every message.

``DWaveSampler`` contacts SAPI in its constructor, so :func:`connect_qpu` is only called on a sampler's first
run. Configuration follows Ocean's own resolution order (keyword arguments, then ``DWAVE_API_TOKEN`` /
``DWAVE_API_SOLVER`` / ... environment variables, then the dwave-cloud-client configuration file written by
``dwave setup``). A missing token is reported before any network access.

>>> redact("token DEV-abc123 rejected", ["DEV-abc123"])
'token *** rejected'
>>> calls = []
>>> def flaky():
...     calls.append(1)
...     if len(calls) < 3:
...         raise TimeoutError("transient")
...     return "ok"
>>> call_with_retries(flaky, what="sampling", max_retries=3, backoff_s=0.0, transient=(TimeoutError,))
'ok'
>>> len(calls)
3
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from qflow_core.errors import BackendError
from qflow_dwave._ocean import ocean

__all__ = [
    "SETUP_HINT",
    "call_with_retries",
    "connect_qpu",
    "protect_logs",
    "redact",
    "registered_secrets",
    "transient_errors",
]

T = TypeVar("T")

SETUP_HINT = (
    "configure Ocean with `dwave setup` (or `dwave config create`), set DWAVE_API_TOKEN, or pass "
    "get_sampler('dwave', token=..., solver=...); to work offline use get_sampler('dwave-mock')"
)
#: Longest wait between two attempts, in seconds.
MAX_BACKOFF_S = 30.0


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def transient_errors() -> tuple[type[BaseException], ...]:
    """Cloud failures worth retrying: timeouts, upload errors, an offline solver, server errors, lost connections."""
    exc = ocean("cloud_exceptions")
    api = ocean("cloud").api.exceptions
    import requests

    return (
        exc.RequestTimeout,
        exc.PollingTimeout,
        exc.ProblemUploadError,
        exc.SolverOfflineError,
        api.InternalServerError,
        api.ResourceLimitsExceededError,
        requests.ConnectionError,
        ConnectionError,
        TimeoutError,
    )


def call_with_retries(
    call: Callable[[], T],
    *,
    what: str,
    max_retries: int,
    backoff_s: float,
    transient: tuple[type[BaseException], ...],
    secrets: Iterable[str | None] = (),
    partial: object = None,
    hint: str = "",
) -> T:
    """Run ``call``; retry it up to ``max_retries`` times on ``transient`` errors, waiting ``backoff_s·2^k`` s.

    A non-transient error, or the last transient one, becomes a :class:`BackendError` naming ``what`` and the
    cause (tokens redacted) and carrying ``partial`` (whatever was measured before).
    """
    secrets = list(secrets)
    for attempt in range(max_retries + 1):
        try:
            return call()
        except transient as exc:
            if attempt == max_retries:
                raise _backend_error(
                    f"{what} failed after {attempt + 1} attempts", exc, secrets, partial, hint
                ) from _safe_cause(exc, secrets)
            time.sleep(min(MAX_BACKOFF_S, backoff_s * 2**attempt))
        except BackendError:
            raise
        except Exception as exc:
            if not _is_cloud_error(exc):
                raise
            raise _backend_error(f"{what} failed", exc, secrets, partial, hint) from _safe_cause(exc, secrets)
    raise AssertionError("unreachable")


class _RedactSecrets(logging.Filter):
    """Rewrites log records of Ocean's loggers with every registered secret replaced by ``***``.

    dwave-cloud-client logs its whole configuration, token included, at DEBUG level. ``secrets`` is replaced,
    never changed in place, so records logged from other threads always iterate a complete set.
    """

    def __init__(self) -> None:
        super().__init__("qflow-redact")
        self.secrets: frozenset[str] = frozenset()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = redact(message, self.secrets), ()
        return True


_REDACTOR = _RedactSecrets()
_REDACTOR_LOCK = threading.Lock()
OCEAN_LOGGERS = ("dwave.cloud", "dwave.system")


def protect_logs(secrets: Iterable[str | None]) -> None:
    """Keep ``secrets`` out of every record logged by Ocean's cloud and system loggers (existing ones)."""
    with _REDACTOR_LOCK:
        _REDACTOR.secrets = _REDACTOR.secrets | {s for s in secrets if s}
        names = [name for name in list(logging.Logger.manager.loggerDict) if name.startswith(OCEAN_LOGGERS)]
        for logger in map(logging.getLogger, [*OCEAN_LOGGERS, *names]):
            if _REDACTOR not in logger.filters:
                logger.addFilter(_REDACTOR)


def registered_secrets() -> list[str]:
    """Every secret registered with :func:`protect_logs` (tokens from arguments, environment or config file)."""
    return sorted(_REDACTOR.secrets)


def connect_qpu(config: Mapping[str, Any]) -> Any:
    """Create ``dwave.system.DWaveSampler(**config)``, turning every failure into one actionable BackendError."""
    system = ocean("system")
    secrets = [config.get("token")]
    protect_logs(secrets)
    try:  # the file (explicit, DWAVE_CONFIG_FILE or dwave setup's) and the environment; no network involved
        stored = ocean("cloud").config.load_config(config_file=config.get("config_file"), profile=config.get("profile"))
    except Exception as exc:
        raise _backend_error("cannot read the D-Wave configuration", exc, secrets, None, SETUP_HINT) from _safe_cause(
            exc, secrets
        )
    has_token = bool(config.get("token") or stored.get("token"))
    secrets.append(stored.get("token"))
    protect_logs(secrets)
    if not has_token:
        raise BackendError(f"no D-Wave API token found; {SETUP_HINT}")
    try:
        return system.DWaveSampler(**config)
    except Exception as exc:
        raise _backend_error("cannot connect to a D-Wave solver", exc, secrets, None, SETUP_HINT) from _safe_cause(
            exc, secrets
        )


def _is_cloud_error(exc: BaseException) -> bool:
    import requests

    module = type(exc).__module__
    return module.startswith(("dwave.cloud", "dwave.system")) or isinstance(exc, requests.RequestException)


def _backend_error(
    what: str, exc: BaseException, secrets: list[str | None], partial: object, hint: str
) -> BackendError:
    cause = redact(f"{type(exc).__name__}: {exc}", secrets)
    return BackendError(f"{what} ({cause})" + (f"; {hint}" if hint else ""), partial=partial)


def _safe_cause(exc: BaseException, secrets: list[str | None]) -> BaseException:
    """The exception itself, or a redacted RuntimeError copy when its text contains a secret."""
    text = f"{exc!r} {exc}"
    if any(secret and secret in text for secret in secrets):
        return RuntimeError(redact(f"{type(exc).__name__}: {exc}", secrets))
    return exc
