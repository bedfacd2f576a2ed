"""Exact numerics of the transverse-field Ising model H = E(σᶻ) − Σ_i Γ_i σˣ_i, in one namespace.

The functions live in modules by job; this module gathers their public names:

* :mod:`qflow_exact.hamiltonian` — :func:`basis_states`, :func:`basis_index`, :func:`diagonal_energies`
  (chunked), :func:`hamiltonian` (scipy CSR), :class:`TFIMOperator` (matrix-free), :func:`spin_gammas`,
  :func:`check_size`;
* :mod:`qflow_exact.eigen` — :func:`ground_state` (Lanczos for the ground state or the k-th eigenstate,
  with warm starts; the solvers are in :mod:`qflow_exact.lanczos`), :func:`eigenpair` (the same from a
  precomputed diagonal) and :class:`EigenResult`;
* :mod:`qflow_exact.observables` — :func:`x_expectations`, :func:`z_probabilities` of a state vector;
* :mod:`qflow_exact.thermal` — :func:`gibbs`, the dense quantum Gibbs state exp(−βH)/Z for n ≤ 12
  (z populations, expectations, Kubo–Mori covariances).

>>> import numpy as np
>>> J = np.array([[0.0, 1.0], [1.0, 0.0]]); h = np.array([0.5, 0.0])
>>> diagonal_energies(J, h).tolist()  # states ++, +-, -+, --
[-1.5, 0.5, 1.5, -0.5]
>>> res = ground_state(J, h, 0.3)
>>> round(res.energy, 6), round(float(x_expectations(res.state).sum()), 6) > 0
(-1.577794, True)
"""

from qflow_exact.eigen import DENSE_MAX_SPINS, EigenResult, eigenpair, ground_state
from qflow_exact.hamiltonian import (
    MAX_SPINS,
    TFIMOperator,
    basis_index,
    basis_states,
    check_size,
    diagonal_energies,
    hamiltonian,
    spin_gammas,
)
from qflow_exact.observables import x_expectations, z_probabilities
from qflow_exact.thermal import GIBBS_MAX_SPINS, GibbsState, gibbs

__all__ = [
    "DENSE_MAX_SPINS",
    "GIBBS_MAX_SPINS",
    "MAX_SPINS",
    "EigenResult",
    "GibbsState",
    "TFIMOperator",
    "basis_index",
    "basis_states",
    "check_size",
    "diagonal_energies",
    "eigenpair",
    "gibbs",
    "ground_state",
    "hamiltonian",
    "spin_gammas",
    "x_expectations",
    "z_probabilities",
]
