"""The exact statistics of the discretised path integral the ``sqa`` sampler samples, for validation.

With P slices, Δτ = β/P and the symmetric split S = e^{−ΔτE/2} e^{ΔτΓΣX} e^{−ΔτE/2}, the z-basis statistics
of one slice are diag(S^P)/Tr(S^P). Comparing samples with this (not with the exact quantum Gibbs state) separates
Monte Carlo error from Trotter error. Dense 2^n × 2^n matrices: small n only.

>>> from qflow_core.testing import small_test_bqm
>>> p = trotter_populations(small_test_bqm(3), beta=1.0, gamma=0.5, slices=8)
>>> p.shape, round(float(p.sum()), 12)
((8,), 1.0)
"""

from __future__ import annotations

import dimod
import numpy as np

__all__ = ["trotter_populations"]


def trotter_populations(bqm: dimod.BinaryQuadraticModel, beta: float, gamma: float, slices: int) -> np.ndarray:
    """Slice statistics of the P-slice path integral, over basis states in index order (site 0 the most
    significant bit, bit 0 meaning spin +1)."""
    n, dtau = bqm.num_variables, beta / slices
    bits = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)[None, :]) & 1
    energies = bqm.energies((1 - 2 * bits, list(bqm.variables)))
    c, s = np.cosh(dtau * gamma), np.sinh(dtau * gamma)
    transfer = np.ones((1, 1))
    for _ in range(n):
        transfer = np.kron(transfer, np.array([[c, s], [s, c]]))
    half = np.exp(-dtau * (energies - energies.min()) / 2)
    step = half[:, None] * transfer * half[None, :]
    power = np.linalg.matrix_power(step / np.linalg.norm(step, 2), slices)
    return np.diag(power) / np.trace(power)
