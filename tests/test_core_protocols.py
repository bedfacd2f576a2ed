"""Protocols: validation, round trips through dicts and CLI strings, capability keys."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qflow_core.errors import InvalidInputError
from qflow_core.protocols import (
    CAPABILITIES,
    Anneal,
    Boltzmann,
    GroundState,
    Survival,
    as_protocol,
    example_protocols,
    from_dict,
    parse_protocol,
)

ALL = [
    Boltzmann(beta=2.0),
    Boltzmann(beta=0.5, gamma=0.3),
    Anneal(),
    Anneal("fast", time_us=0.05),
    Anneal("standard", schedule=[(0, 5.0, 0.1), (0.5, 1.0, 2.0), (1, 0.01, 10.0)]),
    Survival((1, -1, 1), gamma=0.2, time=3.0),
    Survival((1, 1), gamma=0.0, time=10.0, regime="dephased", beta=2.0),
    Survival((1, -1), gamma=0.1, time=4.0, regime="pure_dephasing", kappa=0.25),
    GroundState(),
    GroundState(gamma=0.7),
]


@pytest.mark.parametrize("protocol", ALL, ids=str)
def test_dict_and_string_round_trip(protocol):
    assert from_dict(protocol.to_dict()) == protocol
    if protocol.name != "anneal" or protocol.schedule is None:  # tables have no CLI form
        assert parse_protocol(str(protocol)) == protocol
    assert as_protocol(protocol) is protocol


def test_protocols_are_frozen_and_hashable():
    p = Boltzmann(beta=1.0)
    with pytest.raises(AttributeError):
        p.beta = 2.0
    assert len({Boltzmann(beta=1.0), Boltzmann(beta=1)}) == 1


def test_capability_keys():
    assert [p.capability for p in ALL] == [
        "boltzmann",
        "boltzmann:quantum",
        "anneal",
        "anneal",
        "anneal",
        "survival:coherent",
        "survival:dephased",
        "survival:pure_dephasing",
        "ground_state",
        "ground_state",
    ]
    for key in CAPABILITIES:
        assert {p.capability for p in example_protocols(key, 3)} == {key}


def test_kappa_only_in_pure_dephasing_json():
    """Other regimes keep their JSON as before (no ``kappa`` key); pure dephasing carries it."""
    assert "kappa" not in Survival((1, -1), gamma=0.1, time=1.0).to_dict()
    assert Survival((1,), gamma=0.1, time=1.0, regime="pure_dephasing", kappa=0.5).to_dict()["kappa"] == 0.5
    assert parse_protocol("survival:state=+-,gamma=0.1,time=2,regime=pure_dephasing,kappa=0.5").kappa == 0.5


def test_anneal_defaults_follow_kind():
    assert Anneal().time_us == 20.0 and Anneal("fast").time_us == 0.02


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: Boltzmann(beta=0), "beta must be a finite number > 0"),
        (lambda: Boltzmann(beta=math.nan), "beta must be"),
        (lambda: Boltzmann(beta=math.inf), "beta must be"),
        (lambda: Boltzmann(beta="hot"), "must be a number"),
        (lambda: Boltzmann(beta=1, gamma=-0.1), "gamma must be a finite number ≥ 0"),
        (lambda: Anneal("slow"), "'standard' or 'fast'"),
        (lambda: Anneal(time_us=-1), "time_us"),
        (lambda: Anneal(schedule=[(0, 1, 1)]), "shape"),
        (lambda: Anneal(schedule=[(0.1, 1, 1), (1, 0, 1)]), "from 0 to 1"),
        (lambda: Survival((1, 0, 1), gamma=0.1, time=1), "only +1/-1"),
        (lambda: Survival((), gamma=0.1, time=1), "non-empty"),
        (lambda: Survival((1, -1), gamma=0.1, time=0), "time"),
        (lambda: Survival((1, -1), gamma=0.1, time=1, regime="dephased"), "needs the bath inverse temperature"),
        (lambda: Survival((1, -1), gamma=0.1, time=1, beta=2.0), "drop it or use regime='dephased'"),
        (lambda: Survival((1, -1), gamma=0.1, time=1, regime="lindblad"), "'coherent', 'dephased' or 'pure_dephasing'"),
        (lambda: Survival((1, -1), gamma=0.1, time=1, regime="pure_dephasing"), "needs the dephasing rate kappa"),
        (lambda: Survival((1, -1), gamma=0.1, time=1, regime="pure_dephasing", kappa=-1), "kappa must be"),
        (lambda: Survival((1, -1), gamma=0.1, time=1, regime="pure_dephasing", kappa=0), "kappa must be"),
        (lambda: Survival((1, -1), gamma=0.1, time=1, kappa=0.5), "drop it or use regime='pure_dephasing'"),
        (
            lambda: Survival((1, -1), gamma=0.1, time=1, regime="pure_dephasing", kappa=0.5, beta=1.0),
            "drop it or use regime='dephased'",
        ),
        (lambda: parse_protocol("boltzman:beta=1"), "unknown or missing protocol"),
        (lambda: parse_protocol("boltzmann:beta"), "expected key=value"),
        (lambda: parse_protocol("boltzmann:beta=1,temperature=3"), "no field(s) ['temperature']"),
        (lambda: parse_protocol("survival:state=+x+,gamma=1,time=1"), "cannot read state"),
        (lambda: as_protocol(42), "expected a qflow protocol"),
    ],
)
def test_bad_fields_raise_actionable_errors(build, fragment):
    with pytest.raises(InvalidInputError, match=None) as info:
        build()
    assert fragment in str(info.value)


def test_state_string_forms():
    assert parse_protocol("survival:state=1;-1;-1,gamma=0.1,time=1").state == (1, -1, -1)
    assert parse_protocol("survival:state=+--,gamma=0.1,time=1").state == (1, -1, -1)
    assert parse_protocol("ground-state:gamma=0.25") == GroundState(0.25)


@given(beta=st.floats(1e-6, 1e6), gamma=st.floats(0, 1e3))
def test_boltzmann_round_trip_property(beta, gamma):
    p = Boltzmann(beta=beta, gamma=gamma)
    assert parse_protocol(str(p)) == p


def test_a_missing_required_field_names_it_and_shows_a_complete_form():
    with pytest.raises(InvalidInputError, match=r"Survival needs state, gamma .*e\.g\. survival:state="):
        parse_protocol("survival:regime=dephased,time=5")
