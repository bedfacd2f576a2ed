"""qflow_exact.tfim against independent truth: brute-force energies, kron-built dense H, numpy eigh, expm."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from qflow_exact import lanczos, tfim

from qflow_core.errors import InvalidInputError, ProblemTooLargeError
from qflow_core.models.memory import IsingMemory

SX = np.array([[0.0, 1.0], [1.0, 0.0]])
SZ = np.diag([1.0, -1.0])


def random_model(n: int, seed: int):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)), 1)
    return J + J.T, rng.normal(size=n), rng.uniform(0.2, 0.9, size=n)


def site_op(op: np.ndarray, i: int, n: int) -> np.ndarray:
    """Kronecker-product embedding; site 0 is the leftmost factor (most significant bit)."""
    out = np.eye(1)
    for k in range(n):
        out = np.kron(out, op if k == i else np.eye(2))
    return out


def dense_h(J, h, gammas) -> np.ndarray:
    n = len(h)
    H = np.zeros((2**n, 2**n))
    for i in range(n):
        H -= h[i] * site_op(SZ, i, n) + gammas[i] * site_op(SX, i, n)
        for j in range(i + 1, n):
            H -= J[i, j] * site_op(SZ, i, n) @ site_op(SZ, j, n)
    return H


def test_basis_and_diagonal_match_brute_force_and_acceptance_a1():
    J, h, _ = random_model(5, 1)
    states = tfim.basis_states(5)
    assert np.array_equal(states[0], np.ones(5)) and np.array_equal(states[1], [1, 1, 1, 1, -1])
    expected = IsingMemory(J, h, offset=0.7).energy(states)
    assert np.allclose(tfim.diagonal_energies(J, h, 0.7), expected, atol=1e-12)
    # THEORY A1, instance I1: E(s) = -0.35 at s = (1, 1, -1, 1)
    J1 = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 1.0, (0, 2): -0.5, (0, 3): 0.2, (1, 2): 0.3, (1, 3): -0.4, (2, 3): 0.8}.items():
        J1[i, j] = J1[j, i] = v
    energies = tfim.diagonal_energies(J1, [0.1, -0.2, 0.05, 0.3])
    assert energies[tfim.basis_index([1, 1, -1, 1])] == pytest.approx(-0.35, abs=1e-12)


def test_hamiltonian_matches_kron_construction_with_per_spin_fields():
    J, h, g = random_model(5, 2)
    assert np.allclose(tfim.hamiltonian(J, h, g).toarray(), dense_h(J, h, g), atol=1e-13)


@pytest.mark.parametrize("n", [3, 13])
def test_matrix_free_operator_matches_csr_for_real_and_complex_vectors(n):
    J, h, g = random_model(n, 3)
    H = tfim.hamiltonian(J, h, g)
    op = tfim.TFIMOperator(tfim.diagonal_energies(J, h), g)
    rng = np.random.default_rng(0)
    x = rng.normal(size=2**n)
    z = x + 1j * rng.normal(size=2**n)
    assert np.allclose(op @ x, H @ x, atol=1e-12)
    assert np.allclose(op.apply(z), H @ z, atol=1e-12)
    assert op.num_matvecs == 2


def test_lanczos_levels_match_dense_eigh():
    J, h, g = random_model(8, 4)
    w, U = np.linalg.eigh(dense_h(J, h, g))
    for level in (0, 1, 2):
        res = tfim.ground_state(J, h, g, level=level)
        assert res.energy == pytest.approx(w[level], abs=1e-10)
        assert abs(abs(res.state @ U[:, level]) - 1) < 1e-9
        assert res.gap == pytest.approx(w[level + 1] - w[level], abs=1e-10)
        assert np.allclose(res.energies, w[: level + 2], atol=1e-10)
        assert res.num_matvecs > 0


def test_warm_start_needs_fewer_matvecs_and_defers_the_gap():
    J, h, g = random_model(10, 5)
    cold = tfim.ground_state(J, h, g)
    J2 = J.copy()
    J2[0, 1] = J2[1, 0] = J[0, 1] + 1e-4
    ref = tfim.ground_state(J2, h, g)
    warm = tfim.ground_state(J2, h, g, v0=cold.state)
    assert warm.energy == pytest.approx(ref.energy, abs=1e-10)
    assert abs(abs(warm.state @ ref.state) - 1) < 1e-9
    spent = warm.num_matvecs
    assert spent < ref.num_matvecs
    assert warm.gap == pytest.approx(ref.gap, abs=1e-9)
    assert warm.num_matvecs > spent  # the deferred gap was paid for when read


def test_zero_field_degenerate_ground_state_is_uniform_over_minima():
    J = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    res = tfim.ground_state(J, np.zeros(3), 0.0)
    p = tfim.z_probabilities(res.state)
    assert res.gap == 0.0 and res.energy == pytest.approx(-2.0)
    assert p[0] == pytest.approx(0.5) and p[7] == pytest.approx(0.5)


def test_x_expectations_match_dense_operators():
    J, h, g = random_model(5, 6)
    psi = tfim.ground_state(J, h, g).state
    expected = [psi @ site_op(SX, i, 5) @ psi for i in range(5)]
    assert np.allclose(tfim.x_expectations(psi), expected, atol=1e-12)


def test_gibbs_populations_match_matrix_exponential():
    J, h, g = random_model(4, 7)
    rho = scipy.linalg.expm(-1.3 * dense_h(J, h, g))
    state = tfim.gibbs(J, h, g, beta=1.3)
    assert np.allclose(state.z_populations(), np.diag(rho) / np.trace(rho), atol=1e-13)


def test_kubo_mori_covariance_gives_the_exact_gradient():
    """THEORY Eq. 38: dL/dθ = −β[⟨A;C⟩_KM − ⟨A⟩⟨C⟩] for θ = h_0 (A = ∂H/∂h_0 = −Z_0), L = ⟨Z_3⟩."""
    J, h, g = random_model(4, 8)
    beta, eps = 1.25, 1e-5
    z3 = tfim.basis_states(4)[:, 3].astype(float)
    z0 = tfim.basis_states(4)[:, 0].astype(float)

    def loss(h0):
        return tfim.gibbs(J, np.r_[h0, h[1:]], g, beta).expectation(z3)

    fd = (loss(h[0] + eps) - loss(h[0] - eps)) / (2 * eps)
    km = tfim.gibbs(J, h, g, beta).kubo_mori_covariance(-z0, z3)
    assert -beta * km == pytest.approx(fd, abs=1e-8)


def test_gibbs_channel_ratios_follow_theory_eq10():
    """Instance I2, Γ = 0.05: R_k = e^{−βΔ_k} + Γ²(1 − (1+βΔ_k)e^{−βΔ_k})/Δ_k² to O(Γ²β/Δ)."""
    J = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 0.2, (1, 2): -0.15, (2, 3): 0.1, (0, 3): 0.05}.items():
        J[i, j] = J[j, i] = v
    h = np.array([0.05, 0.65, 1.15, 1.35])
    gamma, delta = 0.05, np.array([0.6, 1.4, 2.2, 3.0])
    for beta in (2.0, 8.0):
        p = tfim.gibbs(J, h, gamma, beta).z_populations()
        ratios = np.array([p[1 << (3 - k)] / p[0] for k in range(4)])
        theory = np.exp(-beta * delta) + gamma**2 * (1 - (1 + beta * delta) * np.exp(-beta * delta)) / delta**2
        assert np.max(np.abs(ratios / theory - 1)) < 3e-2


def test_bad_input_and_size_limits():
    with pytest.raises(InvalidInputError):
        tfim.diagonal_energies([[0.0, np.nan], [np.nan, 0.0]], [0.0, 0.0])
    with pytest.raises(InvalidInputError):
        tfim.ground_state(np.zeros((3, 3)), np.zeros(3), [0.1, 0.2])
    with pytest.raises(InvalidInputError):
        tfim.basis_index([1, 0, -1])
    with pytest.raises(ProblemTooLargeError, match="GiB"):
        tfim.gibbs(np.zeros((13, 13)), np.zeros(13), 0.5, 1.0)
    with pytest.raises(ProblemTooLargeError, match="GiB"):
        tfim.ground_state(np.zeros((27, 27)), np.zeros(27), 0.5)


def test_lean_lanczos_matches_dense_diagonalization_including_a_near_degenerate_pair():
    """The three-pass Lanczos used for cold ground states at n ≥ 14, checked at n = 9 against numpy eigh."""
    J, h, g = random_model(9, 21)
    w, U = np.linalg.eigh(dense_h(J, h, g))
    energies, state, matvecs = lanczos.lean_ground_state(tfim.diagonal_energies(J, h), g, 0.0)
    assert np.allclose(energies, w[:2], atol=1e-12) and matvecs > 0
    assert abs(abs(state @ U[:, 0]) - 1) < 1e-12
    ferro = np.ones((9, 9)) / 9 - np.eye(9) / 9  # h = 0: E1 − E0 ≈ 1e-10 at Γ = 0.05 (Z2 tunnelling splitting)
    w, _ = np.linalg.eigh(dense_h(ferro, np.zeros(9), np.full(9, 0.05)))
    energies, _, _ = lanczos.lean_ground_state(tfim.diagonal_energies(ferro, np.zeros(9)), np.full(9, 0.05), 0.0)
    assert np.allclose(energies, w[:2], atol=1e-12)


def test_ground_state_at_n14_agrees_with_arpack():
    J, h, g = random_model(14, 22)
    res = tfim.ground_state(J, h, g)  # lean Lanczos path
    w, U, _ = lanczos.arpack_eigenpairs(tfim.diagonal_energies(J, h), g, 2, None, 0.0)
    assert np.allclose(res.energies, w, atol=1e-11) and res.gap == pytest.approx(w[1] - w[0], abs=1e-11)
    assert abs(abs(res.state @ U[:, 0]) - 1) < 1e-11


@pytest.mark.parametrize("max_steps", [80, 10])  # 10: the warm Lanczos gives up and ARPACK takes over
def test_warm_lanczos_and_its_arpack_fallback_agree_with_dense_eigh(max_steps, monkeypatch):
    monkeypatch.setattr(lanczos, "WARM_MAX_STEPS", max_steps)
    J, h, g = random_model(10, 23)
    w, U = np.linalg.eigh(tfim.hamiltonian(J, h, g).toarray())  # CSR vs kron-built H: tested above
    v0 = U[:, 0] + 1e-3 * np.random.default_rng(0).normal(size=1024)
    res = tfim.ground_state(J, h, g, v0=v0)
    assert res.num_matvecs > 10 if max_steps == 10 else res.num_matvecs < 80
    assert res.energy == pytest.approx(w[0], abs=1e-11) and abs(abs(res.state @ U[:, 0]) - 1) < 1e-11
    assert not res.has_gap and res.known_energies.tolist() == [res.energy]
    assert res.gap == pytest.approx(w[1] - w[0], abs=1e-11) and res.has_gap


@pytest.mark.parametrize("complex_vector", [False, True])
@pytest.mark.parametrize(
    ("n", "tile", "group", "cache"),
    [(1, 15, 6, 16), (2, 15, 6, 16), (5, 15, 6, 16), (6, 15, 6, 16), (16, 15, 6, 16), (17, 15, 6, 16), (11, 6, 2, 7)],
)
def test_product_kernel_matches_the_bit_flip_definition(monkeypatch, n, tile, group, cache, complex_vector):
    """y[k] = d[k] x[k] − Σ_b g_b x[k ⊕ 2^b]: below one block (zero-padded), one block, one and two high-bit
    groups, and tiny tiles with short runs so that several groups and sets are used."""
    from qflow_exact import product

    for name, value in (("TILE_BITS", tile), ("GROUP_BITS", group), ("CACHE_BITS", cache)):
        monkeypatch.setattr(product, name, value)
    rng = np.random.default_rng(n)
    d, g, x = rng.normal(size=2**n), rng.normal(size=n), rng.normal(size=2**n)
    if complex_vector:
        x = x + 1j * rng.normal(size=2**n)
    k = np.arange(2**n)
    expected = d * x - sum(g[b] * x[k ^ (1 << b)] for b in range(n))
    out = np.empty_like(x)
    product.apply_tfim(x, d, g, out)
    assert np.allclose(out, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("complex_vector", [False, True])
def test_product_is_one_correctly_rounded_fma_chain_per_output(monkeypatch, complex_vector):
    """Bit for bit: y[k] = fl(d x), then y ← fma(−g_b, x[k ⊕ 2^b], y) for b = 0, 1, … (exact rational arithmetic,
    rounded once per step); the same bits whatever the tile, group and cache sizes."""
    from fractions import Fraction

    from qflow_exact import product

    n = 8
    rng = np.random.default_rng(5)
    d, g, x = rng.normal(size=2**n), rng.normal(size=n), rng.normal(size=2**n)
    if complex_vector:
        x = x + 1j * rng.normal(size=2**n)
    flat = x.view(np.float64)
    weights = np.concatenate(([0.0], g)) if complex_vector else g
    shift = int(complex_vector)
    expected = np.empty_like(flat)
    for k in range(flat.size):
        acc = d[k >> shift] * flat[k]
        for b, w in enumerate(weights):
            acc = float(Fraction(float(-w)) * Fraction(float(flat[k ^ (1 << b)])) + Fraction(acc))
        expected[k] = acc
    for tile, group, cache in ((15, 6, 16), (6, 1, 7), (7, 2, 8)):
        for name, value in (("TILE_BITS", tile), ("GROUP_BITS", group), ("CACHE_BITS", cache)):
            monkeypatch.setattr(product, name, value)
        out = np.empty_like(x)
        product.apply_tfim(x, d, g, out)
        assert np.array_equal(out.view(np.float64), expected), (tile, group, cache)


@pytest.mark.parametrize(
    ("x", "d", "g", "out", "match"),
    [
        (np.ones(128), np.ones(128), np.ones(7), None, "must not overlap"),  # out is x
        (np.ones(128), np.ones(128), np.ones(7), np.empty(128, complex), "got float64 and complex128"),
        (
            np.ones(128, np.float32),
            np.ones(128),
            np.ones(7),
            np.empty(128, np.float32),
            "must both be float64 or both complex128",
        ),
        (np.ones(128), np.ones(128, np.float32), np.ones(7), np.empty(128), "d must be float64"),
        (np.ones(100), np.ones(100), np.ones(7), np.empty(100), r"x must be contiguous of shape \(128,\)"),
        (np.ones(128), np.ones(128), np.ones(6), np.empty(128), r"shape \(64,\) for 6 bits"),
        (np.ones(256)[::2], np.ones(128), np.ones(7), np.empty(128), "x must be contiguous"),
        (np.ones(128), np.ones(64), np.ones(7), np.empty(128), "d must be contiguous"),
    ],
)
def test_product_kernel_refuses_inputs_it_would_read_or_write_out_of_bounds(x, d, g, out, match):
    """The compiled loops do not check bounds, so every shape, dtype and overlap is checked before them."""
    from qflow_exact import product

    with pytest.raises(InvalidInputError, match=match):
        product.apply_tfim(x, d, g, x if out is None else out)
