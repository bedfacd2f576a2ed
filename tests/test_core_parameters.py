"""Declared run parameters: one check in the base class, close-match hints, ranges, describe(), the CLI."""

import json

import dimod
import numpy as np
import pytest
from qflow_exact import ExactSampler
from qflow_sa import SimulatedAnnealing

from qflow_core.cli import main
from qflow_core.errors import InvalidInputError
from qflow_core.parameters import Parameter, check_options
from qflow_core.protocols import Boltzmann, GroundState
from qflow_core.registry import default_registry

BQM = dimod.BQM({0: 0.3, 1: -0.2, 2: 0.0}, {(0, 1): -1.0, (1, 2): 0.5}, 0.0, "SPIN")
BUILT_IN = ("sa", "exact", "qaoa", "dwave-mock", "enum")


def sampler_classes():
    classes = default_registry().sampler_classes()
    return [classes[name] for name in BUILT_IN if name in classes]


def test_unknown_option_names_the_closest_match_and_the_valid_ones():
    with pytest.raises(InvalidInputError, match=r"option 'num_sweep' \(did you mean 'num_sweeps'\?\)") as info:
        SimulatedAnnealing().run(BQM, Boltzmann(1.0), num_reads=2, seed=0, num_sweep=5)
    assert "randomize_order" in str(info.value) and "beta_schedule_type" in str(info.value)


def test_unknown_option_without_a_close_match_has_no_hint():
    with pytest.raises(InvalidInputError) as info:
        ExactSampler().run(BQM, Boltzmann(1.0), num_reads=2, seed=0, xyzzy=1)
    assert "did you mean" not in str(info.value) and "valid options: gamma_per_spin, level" in str(info.value)


@pytest.mark.parametrize(
    ("sampler", "options", "message"),
    [
        ("exact", {"eta": -1.0}, r"eta must be a number > 0, got -1.0"),
        ("exact", {"level": 1.5}, r"level must be an integer ≥ 0, got 1.5"),
        ("sa", {"num_sweeps": 0}, r"num_sweeps must be an integer ≥ 1, got 0"),
        ("sa", {"proposal_acceptance_criteria": "Glauber"}, r"one of 'Metropolis', 'Gibbs', got 'Glauber'"),
        ("qaoa", {"warm_start_epsilon": 0.6}, r"warm_start_epsilon must be a number in \(0, 0.5\], got 0.6"),
    ],
)
def test_out_of_range_value_says_the_range(sampler, options, message):
    with pytest.raises(InvalidInputError, match=message):
        default_registry().get(sampler).run(BQM, GroundState(), num_reads=2, seed=0, **options)


def test_parameter_bounds_types_and_choices():
    p = Parameter("x", float, 0.5, "a fraction", minimum=0, maximum=1, exclusive_minimum=True)
    assert p.check(1) == 1.0 and isinstance(p.check(1), float) and p.check(np.float32(0.25)) == 0.25
    for bad in (0.0, 1.0001, float("nan"), True, "0.5"):
        with pytest.raises(InvalidInputError, match=r"x must be a number in \(0, 1\]"):
            p.check(bad)
    n = Parameter("n", int, 1, minimum=1, optional=False)
    assert n.check(np.int64(3)) == 3
    for bad in (None, True, 2.0):
        with pytest.raises(InvalidInputError, match="n must be an integer ≥ 1"):
            n.check(bad)
    order = Parameter("order", int, 2, choices=(1, 2))
    assert order.check(1) == 1
    with pytest.raises(InvalidInputError, match="order must be one of 1, 2, got True"):
        order.check(True)  # True == 1, but a bool is not an order
    assert check_options({}, (n,), owner="t") == {}  # defaults are not filled in


@pytest.mark.parametrize("cls", sampler_classes(), ids=lambda c: c.name)
def test_declared_defaults_are_accepted(cls):
    defaults = {p.name: p.default for p in cls.run_parameters}
    assert cls.checked_options(defaults) == defaults
    assert len(defaults) == len(cls.run_parameters), "parameter names must be unique"
    assert set(cls().parameters) == {"protocol", "num_reads", "seed", *defaults}


@pytest.mark.parametrize(("cls", "protocol"), [(SimulatedAnnealing, Boltzmann(0.7)), (ExactSampler, GroundState(0.4))])
def test_running_with_every_default_spelt_out_changes_nothing(cls, protocol):
    plain = cls().run(BQM, protocol, num_reads=50, seed=11)
    spelt = cls().run(BQM, protocol, num_reads=50, seed=11, **{p.name: p.default for p in cls.run_parameters})
    assert np.array_equal(plain.record.sample, spelt.record.sample)
    assert np.array_equal(plain.record.num_occurrences, spelt.record.num_occurrences)


@pytest.mark.parametrize("cls", sampler_classes(), ids=lambda c: c.name)
def test_describe_is_json(cls):
    described = json.loads(json.dumps(cls.describe()))
    assert described["name"] == cls.name and described["capabilities"] == dict(cls.capabilities)
    assert list(described["parameters"]) == [p.name for p in cls.run_parameters]
    for entry in described["parameters"].values():
        assert set(entry) == {"type", "default", "range", "doc"} and entry["doc"]


def test_plugins_verbose_lists_parameters(capsys):
    assert main(["plugins", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "sa run parameters:" in out
    assert "num_sweeps (int, default None; an integer ≥ 1)" in out
    assert "eta (float, default 0.01; a number > 0)" in out
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    sa = next(p for p in data if p["name"] == "sa")["samplers"][0]
    assert sa["parameters"]["num_sweeps"]["range"] == "an integer ≥ 1"
