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
from qflow_core.protocols import Anneal, Boltzmann, GroundState
from qflow_core.registry import default_registry
from qflow_core.schedules import AnnealSchedule

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
    with pytest.raises(InvalidInputError, match="label must be a string, got 3"):
        Parameter("label", str).check(3)


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


# -- the anneal schedule rule: A(s) ≥ 0, B(s) ≥ 0, never both zero (one helper for protocols and schedules) --
ZERO_A_AT_END = [(0.0, 2.0, 0.5), (0.5, 1.0, 1.0), (1.0, 0.0, 2.0)]  # pure problem Hamiltonian at s = 1
ZERO_B_AT_START = [(0.0, 2.0, 0.0), (0.5, 1.0, 1.0), (1.0, 0.5, 2.0)]  # pure driver at s = 0


@pytest.mark.parametrize("table", [ZERO_A_AT_END, ZERO_B_AT_START], ids=["A=0", "B=0"])
def test_schedule_with_one_energy_zero_is_allowed_everywhere(table):
    assert Anneal(schedule=table).schedule == tuple(tuple(row) for row in table)
    sched = AnnealSchedule.from_table(table)
    assert np.allclose(sched.to_table(), table)
    s = np.linspace(0, 1, 41)
    a, b = np.asarray(sched.A(s)), np.asarray(sched.B(s))
    assert np.all(np.isfinite(a)) and np.all(a >= 0) and np.all(b >= 0) and np.all(a + b > 0)
    # nodes are reproduced; next to a zero A is linear: halfway between A=1 and A=0 is 0.5
    assert np.allclose(sched.A(np.array([0.0, 0.5, 1.0])), [row[1] for row in table])
    if table is ZERO_A_AT_END:
        assert sched.A(0.75) == pytest.approx(0.5) and sched.A(0.25) == pytest.approx(np.sqrt(2.0))
        assert sched.gamma(1.0) == 0.0
    else:
        assert sched.gamma(0.0) == np.inf
    # Γ(s) = A/B is hit where A(s) − Γ·B(s) = 0
    s_half = sched.s_for_gamma(1.0)
    assert sched.A(s_half) == pytest.approx(sched.B(s_half), rel=1e-9)


def test_schedule_with_both_energies_zero_is_refused_by_protocol_and_schedule():
    table = [(0.0, 2.0, 0.5), (0.5, 0.0, 0.0), (1.0, 0.0, 2.0)]
    message = r"A\(s\) and B\(s\) are both zero at s = 0.5"
    with pytest.raises(InvalidInputError, match=message):
        Anneal(schedule=table)
    with pytest.raises(InvalidInputError, match=message):
        AnnealSchedule.from_table(table)
    with pytest.raises(InvalidInputError, match=r"must be ≥ 0 GHz"):
        Anneal(schedule=[(0.0, 1.0, 1.0), (1.0, -0.1, 1.0)])


def test_positive_schedules_keep_log_linear_driver():
    sched = AnnealSchedule.from_table([(0.0, 4.0, 1.0), (1.0, 1.0, 1.0)])
    assert sched.A(0.5) == pytest.approx(2.0)  # geometric mean of the end values
