"""TransverseIsingNetwork, cost observables and supervised tasks."""

import dimod
import numpy as np
import pytest

from qflow_core import TransverseIsingNetwork as ReExported
from qflow_core.errors import InvalidInputError
from qflow_core.models.memory import IsingMemory
from qflow_core.models.network import OutputCost, PauliObservable, SupervisedTask, TransverseIsingNetwork


def network():
    J = np.array([[0, 0.5, -0.3], [0.5, 0, 0.2], [-0.3, 0.2, 0]])
    return TransverseIsingNetwork(J, [0.1, 0.0, -0.2], [0.4, 0.5, 0.6], inputs=["a"], outputs=["c"], labels="abc")


def test_is_an_ising_memory_with_transverse_fields():
    net = network()
    assert ReExported is TransverseIsingNetwork and isinstance(net, IsingMemory)
    assert net.inputs == (0,) and net.outputs == (2,) and net.uniform_gamma is None
    bqm = net.to_bqm()
    states = np.array([[s0, s1, s2] for s0 in (-1, 1) for s1 in (-1, 1) for s2 in (-1, 1)])
    energies = [bqm.energy(dict(zip("abc", s, strict=True))) for s in states]
    np.testing.assert_allclose(energies, net.energy(states), atol=1e-12)
    assert bqm.vartype is dimod.SPIN


def test_parameter_vector_round_trip():
    net = network()
    theta = net.parameter_vector()
    assert theta.shape == (net.num_parameters,) == (9,)
    np.testing.assert_array_equal(theta, [0.5, -0.3, 0.2, 0.1, 0.0, -0.2, 0.4, 0.5, 0.6])
    other = net.with_parameters(theta * 2)
    np.testing.assert_array_equal(other.J, 2 * net.J)
    assert other.labels == net.labels and other.outputs == net.outputs
    np.testing.assert_array_equal(net.copy().gamma, net.gamma)


def test_nudge_of_an_output_cost_is_fields_and_a_constant():
    """H + bC with C = ½Σ(Z_o − y_o)²: h_o → h_o + b·y_o, offset + b·½Σ(1 + y_o²); Γ and J untouched."""
    net = network()
    cost = OutputCost([-1.0]).observable(net)
    assert cost.is_diagonal
    nudged = net.nudged(cost, 0.25)
    np.testing.assert_array_equal(nudged.h, net.h + np.array([0, 0, -0.25]))
    np.testing.assert_array_equal(nudged.J, net.J)
    np.testing.assert_array_equal(nudged.gamma, net.gamma)
    assert nudged.offset == pytest.approx(0.25)
    states = np.array([[1, 1, 1], [1, 1, -1], [-1, 1, 1]])
    np.testing.assert_allclose(cost.diagonal(states), 0.5 * (states[:, 2] + 1) ** 2)
    np.testing.assert_allclose(nudged.energy(states), net.energy(states) + 0.25 * cost.diagonal(states))


def test_general_observable_nudges_couplings_and_transverse_fields():
    net = network()
    C = PauliObservable.from_terms(3, constant=1.0, z={1: 2.0}, zz={(0, 2): 0.5}, x={1: 1.0})
    nudged = net.nudged(C, 0.1)
    assert nudged.J[0, 2] == pytest.approx(net.J[0, 2] - 0.05) and nudged.gamma[1] == pytest.approx(0.4)
    assert not C.is_diagonal
    with pytest.raises(InvalidInputError, match="⟨X_i⟩"):
        C.expectation([[1, 1, 1]], [1.0])
    assert C.expectation([[1, 1, 1]], [1.0], x_expectation=[0, 0.5, 0]) == pytest.approx(1 + 2 + 0.5 + 0.5)


def test_inputs_are_fields_and_tasks_validate():
    net = network()
    np.testing.assert_array_equal(net.with_inputs([-1]).h, net.h + np.array([-2.0, 0, 0]))
    task = SupervisedTask([[1], [-1]], [[1], [-1]], name="copy")
    phases = task.phases(net)
    assert len(phases) == 2 and phases[1][0].h[0] == pytest.approx(0.1 - 2.0)
    assert SupervisedTask.boolean("xor").targets[:, 0].tolist() == [-1, 1, 1, -1]
    with pytest.raises(InvalidInputError, match="Boolean"):
        SupervisedTask.boolean("implies")
    with pytest.raises(InvalidInputError, match="same number"):
        SupervisedTask([[1], [1]], [[1]])
    with pytest.raises(InvalidInputError, match="inputs"):
        SupervisedTask.boolean("and").phases(net)


def test_teacher_task_labels_inputs_by_the_teacher_ground_state():
    J = np.zeros((3, 3))
    J[0, 2] = J[2, 0] = 1.0  # output copies input 0
    J[1, 2] = J[2, 1] = -0.3
    teacher = TransverseIsingNetwork(J, gamma=0.3, inputs=[0, 1], outputs=[2])
    task = SupervisedTask.from_teacher(teacher)
    np.testing.assert_array_equal(task.targets[:, 0], task.inputs[:, 0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma": -0.1}, "≥ 0"),
        ({"gamma": [0.1, 0.2]}, "shape"),
        ({"inputs": [0], "outputs": [0]}, "different"),
        ({"outputs": [5]}, "not spin labels"),
        ({"input_field": -1.0}, "input_field"),
    ],
)
def test_bad_networks(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        TransverseIsingNetwork(np.zeros((3, 3)), **kwargs)
