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
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn, TypeVar

from qflow_core.errors import BackendError
from qflow_dwave._ocean import ocean

__all__ = [
    "SETUP_HINT",
    "call_with_retries",
    "connect_qpu",
    "protect_logs",
    "raise_redacted",
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
        failure: tuple[str, BaseException] | None = None
        try:
            return call()
        except transient as exc:
            if attempt == max_retries:
                failure = (f"{what} failed after {attempt + 1} attempts", exc)
        except BackendError:
            raise
        except Exception as exc:
            if not _is_cloud_error(exc):
                raise
            failure = (f"{what} failed", exc)
        if failure is not None:  # raised outside the handler, so no __context__ keeps the raw exception
            raise_redacted(*failure, secrets, partial=partial, hint=hint)
        time.sleep(min(MAX_BACKOFF_S, backoff_s * 2**attempt))
    raise AssertionError("unreachable")


class _RedactSecrets:
    """Rewrites every log record that carries a registered secret, whatever logger, handler or formatter sees it.

    dwave-cloud-client logs its whole configuration, token included, at DEBUG level, from loggers of the
    ``dwave`` hierarchy created at any time. A logger's filter only sees records logged on that very logger
    (not on its children) and a handler's filter only the handlers that exist, so the redaction is done where
    every record is born: a wrapper around :func:`logging.getLogRecordFactory`. The message (with its
    arguments), the formatted traceback of ``exc_info`` (kept as ``exc_text``; the raw exception is dropped)
    and ``stack_info`` are redacted. ``secrets`` is replaced, never changed in place, so records created in
    other threads always iterate a complete set.
    """

    def __init__(self) -> None:
        self.secrets: frozenset[str] = frozenset()
        self.installed = False
        self._previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def install(self) -> None:
        if not self.installed:
            self._previous = logging.getLogRecordFactory()
            logging.setLogRecordFactory(self)
            self.installed = True

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self._previous(*args, **kwargs)
        secrets = self.secrets
        if secrets:
            self.scrub(record, secrets)
        return record

    @staticmethod
    def scrub(record: logging.LogRecord, secrets: frozenset[str]) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as it would
            return
        if any(secret in message for secret in secrets):
            record.msg, record.args = redact(message, secrets), ()
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            if any(secret in text for secret in secrets):
                record.exc_text = redact(text.rstrip("\n"), secrets)
                record.exc_info = None
        if record.stack_info and any(secret in record.stack_info for secret in secrets):
            record.stack_info = redact(record.stack_info, secrets)


_REDACTOR = _RedactSecrets()
_REDACTOR_LOCK = threading.Lock()
OCEAN_LOGGERS = ("dwave",)


def protect_logs(secrets: Iterable[str | None]) -> None:
    """Keep ``secrets`` out of every log record from now on: message, arguments, traceback and stack.

    Covers the whole ``dwave`` logger hierarchy — loggers created later included — and every other logger and
    handler, since records are redacted when they are created.
    """
    with _REDACTOR_LOCK:
        _REDACTOR.secrets = _REDACTOR.secrets | {s for s in secrets if s}
        _REDACTOR.install()


def registered_secrets() -> list[str]:
    """Every secret registered with :func:`protect_logs` (tokens from arguments, environment or config file)."""
    return sorted(_REDACTOR.secrets)


def connect_qpu(config: Mapping[str, Any]) -> Any:
    """Create ``dwave.system.DWaveSampler(**config)``, turning every failure into one actionable BackendError."""
    system = ocean("system")
    secrets = [config.get("token")]
    protect_logs(secrets)
    failure: BaseException | None = None
    try:  # the file (explicit, DWAVE_CONFIG_FILE or dwave setup's) and the environment; no network involved
        stored = ocean("cloud").config.load_config(config_file=config.get("config_file"), profile=config.get("profile"))
    except Exception as exc:
        failure = exc
    if failure is not None:
        raise_redacted("cannot read the D-Wave configuration", failure, secrets, hint=SETUP_HINT)
    has_token = bool(config.get("token") or stored.get("token"))
    secrets.append(stored.get("token"))
    protect_logs(secrets)
    if not has_token:
        raise BackendError(f"no D-Wave API token found; {SETUP_HINT}")
    try:
        return system.DWaveSampler(**config)
    except Exception as exc:
        failure = exc
    raise_redacted("cannot connect to a D-Wave solver", failure, secrets, hint=SETUP_HINT)


def _is_cloud_error(exc: BaseException) -> bool:
    import requests

    module = type(exc).__module__
    return module.startswith(("dwave.cloud", "dwave.system")) or isinstance(exc, requests.RequestException)


def raise_redacted(
    what: str, exc: BaseException, secrets: Iterable[str | None], *, partial: object = None, hint: str = ""
) -> NoReturn:
    """Raise a :class:`BackendError` for ``exc`` that carries no secret anywhere in its chain.

    The message names ``what`` and the redacted cause; ``__cause__`` is ``exc`` itself when no secret appears in
    its whole chain (messages, causes, contexts, tracebacks), else a redacted RuntimeError copy. Call it outside
    the ``except`` block: raised inside one, Python would keep the raw exception as ``__context__``.

    >>> try:
    ...     raise_redacted("connecting", ValueError("bad token DEV-x1"), ["DEV-x1"])
    ... except BackendError as error:
    ...     print(error, "|", error.__cause__, "|", error.__context__)
    connecting (ValueError: bad token ***) | ValueError: bad token *** | None
    """
    secrets = [s for s in secrets if s]
    cause = redact(f"{type(exc).__name__}: {exc}", secrets)
    error = BackendError(f"{what} ({cause})" + (f"; {hint}" if hint else ""), partial=partial)
    raise error from _safe_cause(exc, secrets)


def _safe_cause(exc: BaseException, secrets: list[str]) -> BaseException:
    """The exception itself, or a redacted RuntimeError copy when its chain mentions a secret anywhere."""
    text = "".join(traceback.format_exception(exc)) + f"{exc!r}"
    if any(secret in text for secret in secrets):
        return RuntimeError(redact(f"{type(exc).__name__}: {exc}", secrets))
    return exc
