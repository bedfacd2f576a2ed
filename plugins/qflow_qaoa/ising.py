"""A SPIN BQM as a qubit Hamiltonian: BQM → QuadraticProgram → Ising ``SparsePauliOp``, and its diagonal.

Conventions (pinned by ``tests/test_qaoa_ising.py``):

* variable ``bqm.variables[i]`` is qubit ``i``; Qiskit is little-endian, so it is the **rightmost**
  character ``i`` of a bitstring and bit ``i`` of the basis index ``k``;
* bit 1 ↔ spin +1 (the QuadraticProgram's x = (1 + s)/2), so after ``to_ising`` the spin operator is
  s_i = −Z_i: linear terms change sign, couplings do not;
* the Ising operator leaves the BQM offset out; :func:`diagonal_energies` includes it, so
  ``diagonal_energies(bqm)[k]`` is ``bqm.energy`` of the spins of basis state ``k``.

>>> import dimod
>>> bqm = dimod.BQM({"a": 1.0, "b": -0.5}, {("a", "b"): 0.25}, 2.0, "SPIN")
>>> op, offset = ising_operator(bqm)
>>> sorted(zip(op.paulis.to_labels(), op.coeffs.real.round(3)))
[('IZ', np.float64(-1.0)), ('ZI', np.float64(0.5)), ('ZZ', np.float64(0.25))]
>>> basis_spins(2)[1].tolist(), float(diagonal_energies(bqm)[1])  # k = 1 = '01': a = +1, b = -1
([1, -1], 3.25)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qflow_qaoa.extras import require

if TYPE_CHECKING:
    import dimod

__all__ = ["basis_spins", "bqm_to_quadratic_program", "diagonal_energies", "ising_operator", "local_field_scale"]


def bqm_to_quadratic_program(bqm: dimod.BinaryQuadraticModel):
    """``QuadraticProgram`` (minimise) over binaries ``x0 … x{n−1}`` whose objective is ``bqm.energy``.

    ``x_i`` is ``bqm.variables[i]`` with x = (1 + s)/2 for SPIN models.
    """
    QuadraticProgram = require("qiskit_optimization").QuadraticProgram
    import dimod

    binary = bqm.change_vartype(dimod.BINARY, inplace=False)
    index = {v: i for i, v in enumerate(bqm.variables)}
    program = QuadraticProgram("qflow_bqm")
    names = [f"x{i}" for i in range(bqm.num_variables)]
    for name in names:
        program.binary_var(name)
    program.minimize(
        constant=float(binary.offset),
        linear={names[index[v]]: float(c) for v, c in binary.linear.items()},
        quadratic={(names[index[u]], names[index[v]]): float(c) for (u, v), c in binary.quadratic.items()},
    )
    return program


def ising_operator(bqm: dimod.BinaryQuadraticModel):
    """``(SparsePauliOp, offset)`` with ``diag(op) + offset`` equal to the BQM energies (see module doc)."""
    operator, offset = bqm_to_quadratic_program(bqm).to_ising()
    return operator, float(offset)


def basis_spins(n: int) -> np.ndarray:
    """``(2**n, n)`` int8 array: row k holds the spins of basis state k (bit i of k = 1 ↔ s_i = +1)."""
    k = np.arange(2**n, dtype=np.int64)[:, None]
    bits = (k >> np.arange(n, dtype=np.int64)) & 1
    return (2 * bits - 1).astype(np.int8)


def diagonal_energies(bqm: dimod.BinaryQuadraticModel) -> np.ndarray:
    """``bqm.energy`` of every basis state, in Qiskit's basis order (offset included)."""
    return np.asarray(bqm.energies((basis_spins(bqm.num_variables), list(bqm.variables))), dtype=float)


def local_field_scale(bqm: dimod.BinaryQuadraticModel) -> float:
    """max_i (|h_i| + Σ_j |J_ij|): the largest single-qubit rotation rate of the cost Hamiltonian."""
    scale = {v: abs(float(bias)) for v, bias in bqm.linear.items()}
    for (u, v), bias in bqm.quadratic.items():
        scale[u] += abs(float(bias))
        scale[v] += abs(float(bias))
    return max(scale.values(), default=0.0)
