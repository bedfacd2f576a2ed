"""dwave: lazy connection, configuration errors, bounded failure on an unreachable endpoint, no token leaks."""

import logging
import threading

import pytest
import qflow_dwave._ocean as ocean_module
from qflow_dwave.connection import call_with_retries, redact

from qflow_core.errors import BackendError, MissingExtraError
from qflow_core.protocols import Anneal
from qflow_core.registry import get_sampler, list_plugins
from qflow_core.testing import small_test_bqm

TOKEN = "DEV-qflowtest-0123456789abcdef"
UNREACHABLE = "https://127.0.0.1:9/sapi/v2/"


@pytest.fixture
def no_ocean_config(tmp_path, monkeypatch):
    """An empty dwave.conf and no DWAVE_* environment: nothing configured."""
    import os

    for key in list(os.environ):
        if key.startswith("DWAVE_"):
            monkeypatch.delenv(key)
    empty = tmp_path / "dwave.conf"
    empty.write_text("")
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(empty))
    return empty


def run_bounded(call, limit_s=120):
    """Run ``call`` in a thread; fail (instead of hanging the suite) if it does not return."""
    outcome = {}

    def target():
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit_s)
    assert not thread.is_alive(), "the call hung instead of raising"
    return outcome


def test_plugin_is_listed_and_construction_does_not_connect(no_ocean_config):
    info = next(p for p in list_plugins() if p.name == "dwave")
    assert info.error is None and {s.name for s in info.samplers} == {"dwave", "dwave-mock"}
    sampler = get_sampler("dwave", solver={"topology__type": "pegasus"}, token=TOKEN)
    assert sampler._child is None
    assert TOKEN not in repr(sampler) and TOKEN not in repr(vars(sampler))
    assert sampler.supports(Anneal("fast")) == "native"


def test_missing_token_is_one_clear_error_without_network(no_ocean_config):
    with pytest.raises(BackendError, match="no D-Wave API token") as caught:
        get_sampler("dwave").run(small_test_bqm(), Anneal(), num_reads=10, seed=0)
    message = str(caught.value)
    assert "dwave setup" in message and "DWAVE_API_TOKEN" in message and "dwave-mock" in message


def test_unreachable_endpoint_fails_in_bounded_time_without_leaking_the_token(no_ocean_config, caplog):
    sampler = get_sampler("dwave", token=TOKEN, endpoint=UNREACHABLE, request_timeout=2, http_retry_total=0)
    with caplog.at_level(logging.DEBUG):
        outcome = run_bounded(lambda: sampler.run(small_test_bqm(), Anneal(), num_reads=10, seed=0))
    error = outcome.get("error")
    assert isinstance(error, BackendError), f"expected BackendError, got {error!r}"
    assert "cannot connect to a D-Wave solver" in str(error) and "dwave-mock" in str(error)
    texts = [str(error), repr(error), str(error.__cause__), repr(error.__cause__), repr(sampler), caplog.text]
    assert all(TOKEN not in text for text in texts)
    assert error.__cause__ is not None


def test_malformed_configuration_is_a_backend_error(no_ocean_config):
    with pytest.raises(BackendError, match="cannot read the D-Wave configuration"):
        get_sampler("dwave", token=TOKEN, config_file="/nonexistent/dwave.conf").run(
            small_test_bqm(), Anneal(), num_reads=10, seed=0
        )


def test_missing_extra_raises_missing_extra_error(monkeypatch):
    def refuse(name):
        raise ImportError(f"No module named {name!r}", name=name)

    monkeypatch.setattr(ocean_module.importlib, "import_module", refuse)
    with pytest.raises(MissingExtraError, match=r'pip install "qflow\[dwave\]"'):
        get_sampler("dwave-mock").run(small_test_bqm(), Anneal(), num_reads=10, seed=0)


def test_retries_are_bounded_and_redacted():
    attempts = []

    def always_times_out():
        attempts.append(1)
        raise TimeoutError(f"timed out talking to SAPI with token {TOKEN}")

    with pytest.raises(BackendError, match="failed after 3 attempts") as caught:
        call_with_retries(
            always_times_out,
            what="solver call 1 of 1",
            max_retries=2,
            backoff_s=0.0,
            transient=(TimeoutError,),
            secrets=[TOKEN],
            partial=["done"],
        )
    assert len(attempts) == 3 and caught.value.partial == ["done"]
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.__cause__)


def test_non_transient_cloud_errors_are_not_retried():
    from dwave.cloud.exceptions import SolverAuthenticationError

    attempts = []

    def rejected():
        attempts.append(1)
        raise SolverAuthenticationError("Invalid token or access denied")

    with pytest.raises(BackendError, match="SolverAuthenticationError"):
        call_with_retries(rejected, what="call", max_retries=5, backoff_s=0.0, transient=(TimeoutError,))
    assert len(attempts) == 1


def test_redact_replaces_every_secret():
    assert redact(f"a {TOKEN} b {TOKEN}", [TOKEN, None, ""]) == "a *** b ***"
