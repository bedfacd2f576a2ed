"""Imaginary-time leakage (flux, survival loss, populations) against dense scipy.linalg.expm and first order."""

import numpy as np
import pytest
import scipy.linalg
from qflow_exact.imaginary_time import imaginary_time_leakage

from qflow_core import IsingMemory
from qflow_core.capabilities import ImaginaryTimeBackend, find_capability
from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules import channel_weights

PAULI_Z = np.diag([1.0, -1.0])
PAULI_X = np.array([[0.0, 1.0], [1.0, 0.0]])


def site_operator(op: np.ndarray, i: int, n: int) -> np.ndarray:
    """op on site i (site 0 the most significant factor), identity elsewhere."""
    out = np.eye(1)
    for k in range(n):
        out = np.kron(out, op if k == i else np.eye(2))
    return out


def dense_hamiltonian(J: np.ndarray, h: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    n = h.size
    Z = [site_operator(PAULI_Z, i, n) for i in range(n)]
    H = -sum(h[i] * Z[i] + gamma[i] * site_operator(PAULI_X, i, n) for i in range(n))
    for i in range(n):
        for j in range(i + 1, n):
            H = H - J[i, j] * Z[i] @ Z[j]
    return H


def reference(J, h, gamma, s, tau):
    """r_k, j_k = ∂_τ r_k and K_s = ∂²_τ log G_s from M = expm(−τ(H − E_s)) and its τ-derivatives −HM, H²M."""
    n = s.size
    H = dense_hamiltonian(J, h, gamma)
    index = int(sum(((1 - v) // 2) << (n - 1 - i) for i, v in enumerate(s)))
    H = H - H[index, index] * np.eye(2**n)
    M = scipy.linalg.expm(-tau * H)
    HM = H @ M
    HHM = H @ HM
    channels = [index ^ (1 << (n - 1 - k)) for k in range(n)]
    G, dG, ddG = M[index, index], -HM[index, index], HHM[index, index]
    r = M[channels, index] / G
    flux = (-HM[channels, index] * G - M[channels, index] * dG) / G**2
    survival_loss = ddG / G - (dG / G) ** 2
    return r, flux, survival_loss


def ground_state_instance(n: int, seed: int):
    """Weak random J and fields making s = (+1…+1) the unique classical ground state, gaps spread over [0.6, 3]."""
    rng = np.random.default_rng(seed)
    J = rng.uniform(-0.05, 0.05, (n, n))
    J = np.triu(J, 1) + np.triu(J, 1).T
    s = np.ones(n)
    target = np.linspace(0.6, 3.0, n)
    h = target / 2 - J @ s  # Δ_k = 2 s_k (J s + h)_k
    return IsingMemory(J, h), s


@pytest.mark.parametrize("n", [3, 5, 8])
def test_exact_against_dense_expm(n):
    memory, s = ground_state_instance(n, 10 + n)
    rng = np.random.default_rng(n)
    gamma = rng.uniform(0.05, 0.3, n)  # per-spin fields, not small: the comparison is exact, not first order
    s = s * np.where(rng.random(n) < 0.3, -1, 1)  # not necessarily the ground state either
    for tau in (0.3, 1.7):
        it = imaginary_time_leakage(memory, s, gamma, tau)
        r, flux, loss = reference(memory.J, memory.h, gamma, s.astype(int), tau)
        np.testing.assert_allclose(it.flux, flux, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(it.populations, r**2, rtol=1e-9, atol=1e-16)
        assert it.survival_loss == pytest.approx(loss, rel=1e-9)
        np.testing.assert_allclose(it.gaps, memory.flip_gaps(s), atol=1e-12)


def test_flux_is_the_tau_derivative_and_loss_the_second_log_derivative():
    """Central differences of r_k(τ) and log G_s(τ) from dense expm (independent of the derivative formulas)."""
    memory, s = ground_state_instance(4, 3)
    gamma, tau, eps = np.full(4, 0.2), 1.0, 1e-3
    H = dense_hamiltonian(memory.J, memory.h, gamma)
    index, channels = 0, [1 << (3 - k) for k in range(4)]
    M = {d: scipy.linalg.expm(-(tau + d) * (H - H[0, 0] * np.eye(16))) for d in (-eps, 0.0, eps)}
    r = {d: M[d][channels, index] / M[d][index, index] for d in M}
    logG = {d: np.log(M[d][index, index]) for d in M}
    it = imaginary_time_leakage(memory, s, gamma, tau)
    np.testing.assert_allclose(it.flux, (r[eps] - r[-eps]) / (2 * eps), rtol=1e-5)
    assert it.survival_loss == pytest.approx((logG[eps] - 2 * logG[0.0] + logG[-eps]) / eps**2, rel=1e-5)


def test_flux_weights_are_softmax_and_populations_are_not():
    """n = 6, Γ = 0.05, τ = 2: flux weights = softmax(−τΔ) to first order; populations follow the power law."""
    memory, s = ground_state_instance(6, 16)
    tau, gamma = 2.0, 0.05
    it = imaginary_time_leakage(memory, s, gamma, tau)
    np.testing.assert_allclose(it.flux_weights(), channel_weights(it.gaps, tau), atol=2e-3)
    np.testing.assert_allclose(it.flux, it.flux_prediction, rtol=5e-2)  # weak channels carry O(Γ²e^{τΔ}) error
    assert it.survival_loss == pytest.approx(it.survival_loss_prediction, rel=2e-2)
    np.testing.assert_allclose(it.populations, it.population_prediction, rtol=1e-2)
    population_weights = it.population_weights()
    assert np.max(np.abs(population_weights - channel_weights(it.gaps, tau))) > 0.1  # not softmax at β = τ
    power_law = (1 - np.exp(-tau * it.gaps)) ** 2 / it.gaps**2
    np.testing.assert_allclose(population_weights, power_law / power_law.sum(), atol=2e-3)


def test_zero_time_limits():
    """τ → 0: K_s → Var_s(H) = Σ Γ_k² (the t² coefficient of real-time leakage) and j_k → Γ_k."""
    memory, s = ground_state_instance(4, 1)
    gamma = np.array([0.1, 0.2, 0.05, 0.15])
    it = imaginary_time_leakage(memory, s, gamma, 1e-7)
    assert it.survival_loss == pytest.approx(np.sum(gamma**2), rel=1e-5)
    np.testing.assert_allclose(it.flux, gamma, rtol=1e-5)


def test_found_through_the_capability_and_bad_input():
    backend = find_capability(ImaginaryTimeBackend)
    memory, s = ground_state_instance(3, 2)
    np.testing.assert_allclose(
        backend.imaginary_time_leakage(memory, s, 0.1, 1.0).flux, imaginary_time_leakage(memory, s, 0.1, 1.0).flux
    )
    with pytest.raises(InvalidInputError, match="tau"):
        imaginary_time_leakage(memory, s, 0.1, -1.0)
    with pytest.raises(InvalidInputError, match="IsingMemory"):
        imaginary_time_leakage(memory.J, s, 0.1, 1.0)
    with pytest.raises(InvalidInputError):
        imaginary_time_leakage(memory, [1, 1], 0.1, 1.0)
