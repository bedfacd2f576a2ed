"""Each error class carries an actionable message; a test per class, triggered through the public API."""

import dimod
import pytest

from qflow_core import Boltzmann, GroundState, IsingMemory, get_sampler
from qflow_core.errors import (
    BackendError,
    InvalidInputError,
    MissingExtraError,
    ProblemTooLargeError,
    QflowError,
    UnsupportedProtocolError,
    format_bytes,
)
from qflow_core.protocols import Survival
from qflow_core.registry import check_support, samplers_supporting


def test_invalid_input_nan_bias():
    bqm = dimod.BQM({0: float("nan"), 1: 0.0}, {(0, 1): 1.0}, 0.0, "SPIN")
    with pytest.raises(InvalidInputError, match="NaN or infinite linear biases"):
        get_sampler("sa").run(bqm, Boltzmann(beta=1), num_reads=10)


def test_invalid_input_is_a_value_error():
    with pytest.raises(ValueError, match="symmetric"):
        IsingMemory([[0, 1], [0, 0]])


def test_unsupported_protocol_names_supporting_samplers():
    with pytest.raises(UnsupportedProtocolError) as info:
        check_support(get_sampler("enum"), GroundState(0.5))
    assert "sampler 'enum' does not support ground_state:gamma=0.5" in str(info.value)
    assert "sa" in info.value.supporters and "enum" not in info.value.supporters
    assert str(info.value).endswith(", ".join(info.value.supporters))
    coherent = Survival((1, 1), gamma=0.1, time=1.0)
    with pytest.raises(UnsupportedProtocolError) as info:
        check_support(get_sampler("sa"), coherent)
    assert info.value.supporters == samplers_supporting(coherent)


def test_a_sampler_run_alone_refuses_without_consulting_the_registry():
    bqm = IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm()
    with pytest.raises(UnsupportedProtocolError, match="qflow plugins") as info:
        get_sampler("enum").run(bqm, GroundState(0.5), num_reads=10)
    assert info.value.supporters is None


def test_unsupported_protocol_message_when_nobody_supports_it():
    err = UnsupportedProtocolError("sa", Boltzmann(beta=1, gamma=0.3), [])
    assert str(err).endswith("no installed sampler supports it")


def test_missing_extra_gives_pip_line():
    err = MissingExtraError("qiskit", extra="qaoa", feature="the qaoa sampler")
    assert isinstance(err, ImportError)
    assert 'pip install "qflow[qaoa]"' in str(err)


def test_problem_too_large_states_memory():
    bqm = dimod.BQM({i: 0.1 for i in range(20)}, {}, 0.0, "SPIN")
    with pytest.raises(ProblemTooLargeError, match=r"would need about 28\.0 MiB") as info:
        get_sampler("enum").run(bqm, Boltzmann(beta=1), num_reads=10)
    assert isinstance(info.value, MemoryError) and info.value.n == 20
    assert format_bytes(3 * 2**30) == "3.0 GiB"


def test_backend_error_keeps_cause_and_partial_results():
    try:
        try:
            raise ConnectionError("socket closed")
        except ConnectionError as cause:
            raise BackendError("solver failed after 3 retries", partial=["first batch"]) from cause
    except QflowError as err:
        assert isinstance(err, RuntimeError)
        assert isinstance(err.__cause__, ConnectionError)
        assert err.partial == ["first batch"]


class _Liar:
    """Sampler factories whose _run breaks one clause of the contract each."""

    @staticmethod
    def make(kind):
        import dimod
        import numpy as np

        from qflow_core.sampler import Sampler, spin_sampleset

        class Liar(Sampler):
            name = f"liar-{kind}"
            capabilities = {"boltzmann": "exact"}

            def _run(self, bqm, protocol, *, num_reads, seed, **options):
                if kind == "variables":
                    other = dimod.BQM({"x": 1.0, "y": 0.0, "z": 0.0}, {}, 0.0, "SPIN")
                    return spin_sampleset(other, np.ones((3, 3)))
                if kind == "reads":
                    return spin_sampleset(bqm, np.ones((3, bqm.num_variables)))
                good = spin_sampleset(bqm, np.ones((num_reads, bqm.num_variables)))
                return dimod.SampleSet.from_samples(
                    (good.record.sample, list(good.variables)),
                    "SPIN",
                    energy=good.record.energy + 1.0,
                    num_occurrences=good.record.num_occurrences,
                )

        return Liar()


@pytest.mark.parametrize(
    ("kind", "message"),
    [("variables", "variables"), ("reads", "500 reads were asked for but 3"), ("energies", "energies")],
)
def test_the_base_class_refuses_output_that_breaks_the_contract(kind, message):
    from qflow_core.errors import PluginError

    bqm = IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm()
    with pytest.raises(PluginError, match=message) as info:
        _Liar.make(kind).run(bqm, Boltzmann(beta=1.0), num_reads=500, seed=0)
    assert f"liar-{kind}" in str(info.value)
