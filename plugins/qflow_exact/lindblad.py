"""Pure-dephasing survival: the Lindblad equation with jump operators √κ σᶻ_i, solved exactly in Liouville space.

    dρ/dt = −i[H, ρ] + κ Σ_i (σᶻ_i ρ σᶻ_i − ρ),   H = E(σᶻ) − Σ_i Γ_i σˣ_i.

In the z basis the dissipator is diagonal: (σᶻ_iρσᶻ_i)_xy = z_i(x)z_i(y)ρ_xy, so the entry ρ_xy decays at
2κ·(number of spins in which x and y differ); a coherence between a state and one single flip decays at γ = 2κ.
With ρ stored row-major as a vector of 4^n entries (index x·2^n + y) the generator is the sparse matrix

    L = −i (H ⊗ 1 − 1 ⊗ Hᵀ) − 2κ·diag(popcount(x XOR y)),

and ρ(t) = e^{Lt}ρ(0) comes from ``scipy.sparse.linalg.expm_multiply``. Populations change only through the
coherent term, so the probability current from the start state s into its channel k is exact at the final time,
I_k = 2 H_{s⁽ᵏ⁾s} Im ρ_{s s⁽ᵏ⁾} (``channel_current``), and ``channel_rates`` = I_k/(P_s − P_k) is the rate of an
incoherent hop s ⇄ s⁽ᵏ⁾ (the escape onwards from s⁽ᵏ⁾ into double flips does not enter it). Once t ≫ 1/γ, and
while Γ ≪ √(Δ_k² + γ²), that rate is the Lorentzian
golden-rule rate W_k = 2Γ_k²γ/(Δ_k² + γ²) (:func:`lorentzian_rates`): an infinite-temperature environment
does not know whether a channel lies above or below, so leakage is even in Δ and power-law, not softmax.

>>> import numpy as np
>>> ev = pure_dephasing_survival([[0.0]], [0.5], 0.01, [1], time=20.0, kappa=0.5)   # one spin: Δ = 1, γ = 1
>>> round(float(ev.channel_rates[0] / lorentzian_rates([1.0], 0.01, 0.5)[0]), 4)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply

from qflow_core.errors import InvalidInputError
from qflow_core.validation import positive_number
from qflow_exact.hamiltonian import basis_index, check_size, hamiltonian, spin_gammas

__all__ = [
    "PURE_DEPHASING_MAX_SPINS",
    "PureDephasingEvolution",
    "liouvillian",
    "liouvillian_bytes",
    "lorentzian_rates",
    "pure_dephasing_survival",
]

#: Largest n solved in Liouville space: 4^8 = 65 536 amplitudes, about 50 MB and a few seconds per unit of
#: ‖L‖·t (see :func:`liouvillian_bytes`); n = 9 would need about 0.25 GB.
PURE_DEPHASING_MAX_SPINS = 8


def liouvillian_bytes(n: int) -> float:
    """Memory of the sparse generator (≈ (2n + 1)·4^n entries of 16-byte values and 4-byte indices, twice while
    it is assembled) plus the vectors expm_multiply keeps (about eight of 4^n complex numbers)."""
    size = 4.0**n
    return 2 * 20 * size * (2 * n + 1) + 8 * 16 * size


@dataclass(frozen=True)
class PureDephasingEvolution:
    """z-basis ``populations`` (2^n,) at the final time and, for each single-flip channel k of the start state s,
    the current ``channel_current`` I_k from s into s⁽ᵏ⁾ and the hop rate ``channel_rates`` I_k/(P_s − P_k)."""

    populations: np.ndarray
    channel_current: np.ndarray
    channel_rates: np.ndarray
    gamma_decoherence: float


def liouvillian(J: Any, h: Any, gamma: Any, kappa: float) -> sp.csr_matrix:
    """The generator L (4^n × 4^n, complex CSR) acting on row-major vec(ρ); see the module docstring.

    >>> L = liouvillian([[0.0]], [0.5], 0.1, kappa=0.25)
    >>> L.diagonal().round(6).tolist()    # (x, y) = 00, 01, 10, 11: coherences decay at 2κ and rotate at E_x − E_y
    [0j, (-0.5+1j), (-0.5-1j), 0j]
    """
    kappa = positive_number("dephasing rate kappa", kappa)
    H = hamiltonian(J, h, gamma).tocsr()
    size = H.shape[0]
    n = int(np.log2(size))
    check_size(n, PURE_DEPHASING_MAX_SPINS, "the pure-dephasing Liouvillian (sparse 4^n × 4^n)", liouvillian_bytes(n))
    eye = sp.identity(size, format="csr")
    x, y = np.divmod(np.arange(size * size, dtype=np.int64), size)
    distance = np.bitwise_count(x ^ y)
    coherent = sp.kron(H, eye, format="csr") - sp.kron(eye, H.T, format="csr")
    return (-1j * coherent - sp.diags(2.0 * kappa * distance, format="csr")).tocsr()


def lorentzian_rates(gaps: Any, gamma: Any, kappa: float) -> np.ndarray:
    """W_k = 2Γ_k²γ/(Δ_k² + γ²) with γ = 2κ: the hop rate of each channel under pure dephasing, first order in Γ.

    >>> lorentzian_rates([0.0, 1.0], 0.1, 0.5).round(6).tolist()
    [0.02, 0.01]
    """
    d = np.asarray(gaps, dtype=float)
    g = np.broadcast_to(np.asarray(gamma, dtype=float), d.shape)
    rate = 2.0 * positive_number("dephasing rate kappa", kappa)
    return 2.0 * g**2 * rate / (d**2 + rate**2)


def pure_dephasing_survival(
    J: Any, h: Any, gamma: Any, state: Any, time: float, kappa: float
) -> PureDephasingEvolution:
    """Evolve ρ(0) = |state⟩⟨state| under the pure-dephasing Lindblad equation for ``time`` (n ≤ 8)."""
    time = positive_number("Survival time", time)
    n = np.asarray(h).size
    gammas = spin_gammas(gamma, n)
    L = liouvillian(J, h, gammas, kappa)
    size = 1 << n
    start = basis_index(state)
    if not 0 <= start < size:
        raise InvalidInputError(f"the start state has {len(state)} spins, the model {n}")
    rho0 = np.zeros(size * size, dtype=np.complex128)
    rho0[start * size + start] = 1.0
    rho = expm_multiply(L * time, rho0)
    diagonal = np.arange(size) * (size + 1)
    populations = np.clip(rho[diagonal].real, 0.0, None)
    channels = start ^ (1 << (n - 1 - np.arange(n)))
    current = -2.0 * gammas * rho[start * size + channels].imag  # H_{s^(k) s} = −Γ_k
    difference = populations[start] - populations[channels]
    rates = np.divide(current, difference, out=np.full(n, np.nan), where=difference != 0)  # nan once equalised
    return PureDephasingEvolution(populations / populations.sum(), current, rates, 2.0 * float(kappa))
