"""No D-Wave token leaks through logs (any ``dwave`` logger, created before or after, any handler, tracebacks
of ``exc_info``) or through the exception chain of a BackendError, whether the token came from the
constructor, the environment or the configuration file; also with ``--debug`` and logging at DEBUG."""

import io
import json
import logging
import traceback

import pytest

pytest.importorskip("dwave.cloud")

from qflow_dwave.connection import call_with_retries, protect_logs

from qflow_core.cli import main
from qflow_core.errors import BackendError
from qflow_core.protocols import Anneal
from qflow_core.registry import get_sampler
from qflow_core.testing import small_test_bqm

TOKEN = "DEV-redactiontest-fedcba9876543210"
UNREACHABLE = "https://127.0.0.1:9/sapi/v2/"


def chain_text(error: BaseException) -> str:
    """Everything Python would print for ``error``, plus every exception reachable through cause/context."""
    texts, seen, stack = ["".join(traceback.format_exception(error))], set(), [error]
    while stack:
        exc = stack.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        texts += [repr(exc), str(exc), repr(getattr(exc, "args", ()))]
        stack += [exc.__cause__, exc.__context__]
    return "\n".join(texts)


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("DWAVE_"):
            monkeypatch.delenv(key)
    conf = tmp_path / "dwave.conf"
    conf.write_text("")
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(conf))
    return conf


def test_a_child_logger_created_later_and_its_own_handler_never_see_the_token(caplog):
    protect_logs([TOKEN])
    child = logging.getLogger("dwave.cloud.a_child_created_after_protect_logs")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    child.addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            child.debug("loaded config %r", {"token": TOKEN, "solver": "x"})
            logging.getLogger("dwave").info("token=%s", TOKEN)
            logging.getLogger("unrelated.library").warning("echo %s", TOKEN)
    finally:
        child.removeHandler(handler)
    assert TOKEN not in caplog.text and TOKEN not in stream.getvalue()
    assert caplog.text.count("***") == 3 and "'solver': 'x'" in stream.getvalue()


def test_exc_info_tracebacks_on_log_records_are_redacted(caplog):
    protect_logs([TOKEN])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("dwave.system.traceback_test")
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            try:
                raise ValueError(f"authentication failed for {TOKEN}")
            except ValueError:
                logger.debug("request failed", exc_info=True)
                logger.exception("request failed again")
    finally:
        logger.removeHandler(handler)
    for text in (caplog.text, stream.getvalue()):
        assert TOKEN not in text
        assert "Traceback" in text and "ValueError: authentication failed for ***" in text


def test_a_backend_error_keeps_no_raw_exception_in_its_chain():
    from dwave.cloud.exceptions import SolverAuthenticationError

    def rejected():
        raise SolverAuthenticationError(f"token {TOKEN} is not valid")

    def times_out():
        raise TimeoutError(f"timed out; request carried X-Auth-Token: {TOKEN}")

    for call, transient in ((rejected, ()), (times_out, (TimeoutError,))):
        with pytest.raises(BackendError) as caught:
            call_with_retries(call, what="call", max_retries=1, backoff_s=0.0, transient=transient, secrets=[TOKEN])
        error = caught.value
        assert error.__context__ is None and error.__cause__ is not None
        assert TOKEN not in chain_text(error) and "***" in str(error)


def write_config(path, **values):
    path.write_text("[defaults]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))


@pytest.mark.parametrize("source", ["constructor", "environment", "config file"])
def test_connection_failure_leaks_the_token_nowhere(clean_env, monkeypatch, caplog, source):
    options = {"endpoint": UNREACHABLE, "request_timeout": 2, "http_retry_total": 0}
    if source == "constructor":
        options["token"] = TOKEN
    elif source == "environment":
        monkeypatch.setenv("DWAVE_API_TOKEN", TOKEN)
    else:
        write_config(clean_env, token=TOKEN)
    sampler = get_sampler("dwave", **options)
    with caplog.at_level(logging.DEBUG), pytest.raises(BackendError, match="cannot connect") as caught:
        sampler.run(small_test_bqm(), Anneal(), num_reads=10, seed=0)
    assert any(record.name.startswith("dwave") for record in caplog.records)  # Ocean did log at DEBUG
    assert TOKEN not in chain_text(caught.value) and TOKEN not in caplog.text and TOKEN not in repr(sampler)


def test_debug_traceback_of_the_cli_leaks_no_token(clean_env, monkeypatch, tmp_path, caplog, capsys):
    write_config(clean_env, token=TOKEN, endpoint=UNREACHABLE, request_timeout=2, http_retry_total=0)
    bqm = tmp_path / "bqm.json"
    bqm.write_text(json.dumps(small_test_bqm().to_serializable()))
    argv = [
        "sample",
        "--sampler",
        "dwave",
        "--protocol",
        "anneal:kind=fast",
        "--bqm",
        str(bqm),
        "--reads",
        "5",
        "--yes",
    ]
    with caplog.at_level(logging.DEBUG):
        assert main(argv) == 1
        with pytest.raises(BackendError) as caught:
            main(["--debug", *argv])  # --debug re-raises: Python would print this chain
    captured = capsys.readouterr()
    assert "cannot connect" in captured.err
    for text in (chain_text(caught.value), caplog.text, captured.err, captured.out):
        assert TOKEN not in text
