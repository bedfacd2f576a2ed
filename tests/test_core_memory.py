"""IsingMemory against THEORY A1/A2, brute force and dimod."""

import dimod
import numpy as np
import pytest

from qflow_core.errors import InvalidInputError
from qflow_core.models.memory import IsingMemory


def instance_i1() -> IsingMemory:
    J = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 1.0, (0, 2): -0.5, (0, 3): 0.2, (1, 2): 0.3, (1, 3): -0.4, (2, 3): 0.8}.items():
        J[i, j] = J[j, i] = v
    return IsingMemory(J, [0.1, -0.2, 0.05, 0.3])


def random_memory(n: int, rng: np.random.Generator) -> IsingMemory:
    A = rng.normal(size=(n, n))
    J = (A + A.T) / 2
    np.fill_diagonal(J, 0)
    return IsingMemory(J, rng.normal(size=n))


def all_states(n: int) -> np.ndarray:
    return np.array([[1 - 2 * ((k >> (n - 1 - i)) & 1) for i in range(n)] for k in range(2**n)])


def test_a1_energy_and_gaps():
    mem, s = instance_i1(), np.array([1, 1, -1, 1])
    assert mem.energy(s) == pytest.approx(-0.35, abs=1e-12)
    np.testing.assert_allclose(mem.flip_gaps(s), [3.6, 0.2, -1.3, -1.4], atol=1e-12)
    flipped = np.tile(s, (4, 1)) * (1 - 2 * np.eye(4))
    np.testing.assert_allclose(mem.energy(flipped) - mem.energy(s), mem.flip_gaps(s), atol=1e-12)


@pytest.mark.parametrize("n", [2, 5, 8])
def test_a2_gap_after_flip(n):
    rng = np.random.default_rng(n)
    mem = random_memory(n, rng)
    states = all_states(n)
    gaps = mem.flip_gaps(states)
    for k in range(n):
        flipped = states.copy()
        flipped[:, k] *= -1
        expected = gaps - 4 * mem.J[:, k] * states * states[:, [k]]
        expected[:, k] = -gaps[:, k]
        np.testing.assert_allclose(mem.flip_gaps(flipped), expected, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_bqm_round_trip_energies_agree_with_dimod(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    mem = random_memory(n, rng)
    bqm = mem.to_bqm()
    states = all_states(n)
    np.testing.assert_allclose(bqm.energies((states, list(range(n)))), mem.energy(states), atol=1e-12)
    for i in range(n):
        assert bqm.linear[i] == -mem.h[i]
    back = IsingMemory.from_bqm(bqm)
    np.testing.assert_array_equal(back.J, mem.J)
    np.testing.assert_array_equal(back.h, mem.h)


def test_from_bqm_keeps_labels_offset_and_converts_binary():
    bqm = dimod.BQM({"a": 1.0, "b": -0.5}, {("a", "b"): 2.0}, 0.75, dimod.BINARY)
    mem = IsingMemory.from_bqm(bqm)
    assert mem.labels == ["a", "b"]
    for x in ([0, 0], [0, 1], [1, 0], [1, 1]):
        s = 2 * np.array(x) - 1
        assert mem.energy(s) == pytest.approx(bqm.energy(dict(zip("ab", x, strict=True))), abs=1e-12)
    assert mem.to_bqm().energy({"a": 1, "b": -1}) == pytest.approx(mem.energy([1, -1]), abs=1e-12)


def test_vectorised_shapes():
    mem = instance_i1()
    assert isinstance(mem.energy([1, 1, 1, 1]), float)
    assert mem.energy(np.ones((3, 4))).shape == (3,)
    assert mem.flip_gaps(np.ones((5, 4))).shape == (5, 4)


@pytest.mark.parametrize(
    ("J", "h", "fragment"),
    [
        ([[0, 1], [2, 0]], None, "symmetric"),
        ([[1, 0], [0, 0]], None, "zero diagonal"),
        ([[0, np.nan], [np.nan, 0]], None, "NaN"),
        ([[0, 1, 2]], None, "square"),
        ([[0, 1], [1, 0]], [1, 2, 3], "shape (2,)"),
        ([[0, 1], [1, 0]], [np.inf, 0], "NaN or infinite"),
    ],
)
def test_invalid_memory(J, h, fragment):
    with pytest.raises(InvalidInputError, match=None) as info:
        IsingMemory(J, h)
    assert fragment in str(info.value)


def test_invalid_states():
    mem = instance_i1()
    with pytest.raises(InvalidInputError, match=r"only \+1/-1"):
        mem.energy([1, 0, 1, 1])
    with pytest.raises(InvalidInputError, match=r"shape \(4,\)"):
        mem.flip_gaps([1, 1, 1])
