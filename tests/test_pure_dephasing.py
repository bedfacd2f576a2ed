"""Survival(regime="pure_dephasing"): Lindblad √κ σᶻ_i, exact in Liouville space, against independent solutions."""

import numpy as np
import pytest
import scipy.linalg
from qflow_exact.lindblad import PURE_DEPHASING_MAX_SPINS, lorentzian_rates, pure_dephasing_survival

from qflow_core import IsingMemory
from qflow_core.errors import ProblemTooLargeError, UnsupportedProtocolError
from qflow_core.protocols import Survival
from qflow_core.registry import available_samplers, check_support, default_registry, get_sampler

PAULI_Z = np.diag([1.0, -1.0])
PAULI_X = np.array([[0.0, 1.0], [1.0, 0.0]])


def site_operator(op, i, n):
    out = np.eye(1)
    for k in range(n):
        out = np.kron(out, op if k == i else np.eye(2))
    return out


def instance_i2() -> tuple[IsingMemory, np.ndarray]:
    """Gaps (0.6, 1.4, 2.2, 3.0) at s = (1, 1, 1, 1)."""
    J = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 0.2, (1, 2): -0.15, (2, 3): 0.1, (0, 3): 0.05}.items():
        J[i, j] = J[j, i] = v
    return IsingMemory(J, h=[0.05, 0.65, 1.15, 1.35]), np.ones(4)


def small_instance(n=3):
    rng = np.random.default_rng(4)
    J = np.triu(rng.uniform(-0.4, 0.4, (n, n)), 1)
    return IsingMemory(J + J.T, h=rng.uniform(-0.5, 0.5, n)), np.array([1, -1, 1][:n])


def dense_populations(memory, s, gamma, kappa, time):
    """Column-stacked vec: vec(AρB) = (Bᵀ ⊗ A)vec(ρ); L = −i(1⊗H − Hᵀ⊗1) + κΣ(Z⊗Z − 1); dense scipy expm."""
    n = memory.n
    Z = [site_operator(PAULI_Z, i, n) for i in range(n)]
    H = -sum(memory.h[i] * Z[i] + gamma * site_operator(PAULI_X, i, n) for i in range(n))
    for i in range(n):
        for j in range(i + 1, n):
            H = H - memory.J[i, j] * Z[i] @ Z[j]
    eye = np.eye(2**n)
    L = -1j * (np.kron(eye, H) - np.kron(H.T, eye))
    L += kappa * sum(np.kron(z.conj(), z) - np.kron(eye, eye) for z in Z)
    index = int(sum(((1 - v) // 2) << (n - 1 - i) for i, v in enumerate(s)))
    rho0 = np.zeros((2**n, 2**n))
    rho0[index, index] = 1.0
    rho = (scipy.linalg.expm(L * time) @ rho0.reshape(-1, order="F")).reshape(2**n, 2**n, order="F")
    return np.real(np.diag(rho))


def test_populations_match_a_dense_superoperator():
    memory, s = small_instance()
    ev = pure_dephasing_survival(memory.J, memory.h, 0.3, s, time=3.0, kappa=0.2)
    np.testing.assert_allclose(ev.populations, dense_populations(memory, s, 0.3, 0.2, 3.0), atol=1e-10)
    assert ev.populations.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("gamma", "kappa", "time"), [(0.01, 0.5, 20.0), (0.005, 1.0, 10.0), (0.003, 0.1, 150.0), (0.01, 0.5, 200.0)]
)
def test_leakage_rates_match_the_lorentzian_closed_form(gamma, kappa, time):
    """Γ ≪ √(Δ² + γ²), t ≫ 1/γ: hop rates 2Γ²γ/(Δ² + γ²) with γ = 2κ to 1e-3, through the exact sampler."""
    memory, s = instance_i2()
    protocol = Survival(tuple(int(v) for v in s), gamma=gamma, time=time, regime="pure_dephasing", kappa=kappa)
    info = get_sampler("exact").run(memory.to_bqm(), protocol, num_reads=10, seed=0).info["qflow"]["backend"]
    predicted = lorentzian_rates(memory.flip_gaps(s), gamma, kappa)
    np.testing.assert_allclose(info["channel_rates"], predicted, rtol=1e-3)
    assert info["decoherence_rate"] == 2 * kappa


def test_one_spin_rate_off_resonance_and_on_it():
    for gap, kappa in ((0.6, 0.2), (0.0, 0.3), (2.0, 0.05)):
        ev = pure_dephasing_survival([[0.0]], [gap / 2], 0.005, [1], time=40 / kappa, kappa=kappa)
        assert ev.channel_rates[0] == pytest.approx(lorentzian_rates([gap], 0.005, kappa)[0], rel=1e-3)


def test_agrees_with_qutip_mesolve():
    qutip = pytest.importorskip("qutip")
    memory, s = small_instance()
    n, gamma, kappa, time = memory.n, 0.3, 0.2, 3.0
    Z = [qutip.tensor([qutip.sigmaz() if k == i else qutip.qeye(2) for k in range(n)]) for i in range(n)]
    X = [qutip.tensor([qutip.sigmax() if k == i else qutip.qeye(2) for k in range(n)]) for i in range(n)]
    H = -sum(memory.h[i] * Z[i] + gamma * X[i] for i in range(n))
    for i in range(n):
        for j in range(i + 1, n):
            H = H - memory.J[i, j] * Z[i] * Z[j]
    psi0 = qutip.tensor([qutip.basis(2, 0 if v > 0 else 1) for v in s])
    result = qutip.mesolve(
        H, psi0 * psi0.dag(), [0.0, time], [np.sqrt(kappa) * z for z in Z], options={"atol": 1e-12, "rtol": 1e-10}
    )
    expected = np.real(np.diag(result.states[-1].full()))
    ev = pure_dephasing_survival(memory.J, memory.h, gamma, s, time=time, kappa=kappa)
    np.testing.assert_allclose(ev.populations, expected, atol=1e-7)


def test_too_many_spins_is_refused_with_the_memory_figure():
    n = PURE_DEPHASING_MAX_SPINS + 1
    memory = IsingMemory(np.zeros((n, n)), h=np.ones(n))
    protocol = Survival((1,) * n, gamma=0.1, time=1.0, regime="pure_dephasing", kappa=0.5)
    with pytest.raises(ProblemTooLargeError, match=r"would need about [\d.]+ [MG]iB") as info:
        get_sampler("exact").run(memory.to_bqm(), protocol, num_reads=1, seed=0)
    assert info.value.n == n and info.value.required_bytes > 1e8


def test_only_exact_declares_pure_dephasing_and_others_refuse():
    protocol = Survival((1, -1, 1), gamma=0.1, time=1.0, regime="pure_dephasing", kappa=0.5)
    classes = default_registry().sampler_classes()
    assert {name for name, cls in classes.items() if cls.supports(protocol) is not None} == {"exact"}
    assert "sa" in available_samplers()
    sa = get_sampler("sa")
    with pytest.raises(UnsupportedProtocolError):
        sa.run(IsingMemory(np.zeros((3, 3))).to_bqm(), protocol, num_reads=5, seed=0)
    with pytest.raises(UnsupportedProtocolError, match="exact"):
        check_support(sa, protocol)
