"""Quantum and thermal EP gradients against finite differences of an independent dense ED (numpy kron + eigh)."""

import warnings
from functools import reduce

import numpy as np
import pytest

from qflow_core import get_sampler
from qflow_core.errors import InvalidInputError
from qflow_core.learning.ep import QuantumEP, QuantumThermalBiasWarning, ThermalEP
from qflow_core.models.network import PauliObservable, SupervisedTask, TransverseIsingNetwork
from qflow_core.protocols import Boltzmann
from qflow_core.sampler import Sampler, spin_sampleset

Z = np.diag([1.0, -1.0])
X = np.array([[0.0, 1.0], [1.0, 0.0]])


def site(op, i, n):
    return reduce(np.kron, [op if k == i else np.eye(2) for k in range(n)])


def dense_h(J, h, gamma):
    n = len(h)
    H = np.zeros((2**n, 2**n))
    for i in range(n):
        H -= h[i] * site(Z, i, n) + gamma[i] * site(X, i, n)
        for j in range(i + 1, n):
            H -= J[i, j] * site(Z, i, n) @ site(Z, j, n)
    return H


def dense_cost(obs: PauliObservable):
    n = obs.n
    C = obs.constant * np.eye(2**n)
    for i in range(n):
        C += obs.z[i] * site(Z, i, n) + obs.x[i] * site(X, i, n)
        for j in range(i + 1, n):
            C += obs.zz[i, j] * site(Z, i, n) @ site(Z, j, n)
    return C


def reference_loss(network, task, *, level=0, temperature=None):
    total = 0.0
    for phase, cost in task.phases(network):
        w, v = np.linalg.eigh(dense_h(phase.J, phase.h, phase.gamma))
        C = dense_cost(cost)
        if temperature is None:
            total += v[:, level] @ C @ v[:, level]
        else:
            p = np.exp(-(w - w[0]) / temperature)
            total += np.sum(p * np.einsum("km,kl,lm->m", v, C, v)) / p.sum()
    return total / len(task)


def reference_gradient(network, task, step=1e-5, **kwargs):
    theta = network.parameter_vector()
    grad = np.empty_like(theta)
    for k in range(len(theta)):
        e = np.zeros_like(theta)
        e[k] = step
        up = reference_loss(network.with_parameters(theta + e), task, **kwargs)
        down = reference_loss(network.with_parameters(theta - e), task, **kwargs)
        grad[k] = (up - down) / (2 * step)
    return grad


def instance_i4():
    """THEORY §7 I4: J, h of I1, Γ_i = 0.7, cost (Z₃ + 1)²/2 (target y₃ = −1)."""
    J = np.zeros((4, 4))
    for (i, j), v in {(0, 1): 1.0, (0, 2): -0.5, (0, 3): 0.2, (1, 2): 0.3, (1, 3): -0.4, (2, 3): 0.8}.items():
        J[i, j] = J[j, i] = v
    net = TransverseIsingNetwork(J, [0.1, -0.2, 0.05, 0.3], 0.7, outputs=[3])
    return net, SupervisedTask(np.zeros((1, 0)), [[-1.0]], name="I4")


def random_tfim(n, seed, *, outputs=None):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(0, 1, (n, n)), 1)
    outputs = [n - 1] if outputs is None else outputs
    net = TransverseIsingNetwork(J + J.T, rng.normal(0, 0.5, n), rng.uniform(0.5, 1.0, n), outputs=outputs)
    return net, rng


@pytest.fixture(scope="module")
def exact():
    return get_sampler("exact")


def test_bias_order_a26(exact):
    """Halving b divides the max error by 2 ± 0.3 (one-sided) and 4 ± 0.5 (centered) on I4 (THEORY A26)."""
    net, task = instance_i4()
    fd = reference_gradient(net, task)
    for estimator, expected, tol in (("one-sided", 2.0, 0.3), ("centered", 4.0, 0.5)):
        errors = [
            np.abs(QuantumEP(b, estimator).gradient(net, task, exact, seed=0).vector() - fd).max()
            for b in (0.1, 0.05, 0.025, 0.0125)
        ]
        ratios = np.array(errors[:-1]) / np.array(errors[1:])
        assert np.all(np.abs(ratios - expected) < tol), (estimator, ratios)


@pytest.mark.parametrize("n", [4, 5])
@pytest.mark.parametrize("cost", ["z", "x"])
def test_quantum_ep_matches_fd_on_random_tfims(exact, n, cost):
    net, rng = random_tfim(n, seed=10 + n)
    extra = PauliObservable.from_terms(n, x={0: 1.0}, zz={(0, n - 1): 0.5}) if cost == "x" else None
    task = SupervisedTask(np.zeros((1, 0)), [[rng.choice([-1.0, 1.0])]], extra_cost=extra)
    fd = reference_gradient(net, task)
    grad = QuantumEP(1e-3).gradient(net, task, exact, seed=1)
    assert grad.gamma_available
    np.testing.assert_allclose(grad.vector(), fd, atol=5e-5)
    assert grad.loss == pytest.approx(reference_loss(net, task), abs=1e-10)


def test_inputs_enter_as_fields_and_average_over_examples(exact):
    net, _ = random_tfim(4, seed=3, outputs=[3])
    net = TransverseIsingNetwork(net.J, net.h, net.gamma, inputs=[0, 1], outputs=[3], input_field=1.5)
    task = SupervisedTask.boolean("xor")
    grad = QuantumEP(1e-3).gradient(net, task, exact, seed=2)
    np.testing.assert_allclose(grad.vector(), reference_gradient(net, task), atol=5e-5)


@pytest.mark.parametrize("level", [1, 2])
def test_excited_state_ep(exact, level):
    """THEORY Eq. 35: the same rule on the level-th eigenstate (b small against the neighbouring gaps)."""
    net, _ = random_tfim(4, seed=7)
    task = SupervisedTask(np.zeros((1, 0)), [[1.0]], extra_cost=PauliObservable.from_terms(4, x={0: 0.3}))
    fd = reference_gradient(net, task, level=level)
    grad = QuantumEP(1e-4, level=level).gradient(net, task, exact, seed=0)
    np.testing.assert_allclose(grad.vector(), fd, atol=1e-5)
    assert grad.loss == pytest.approx(reference_loss(net, task, level=level), abs=1e-9)
    assert np.abs(grad.vector() - reference_gradient(net, task)).max() > 1e-2  # really not the ground state


def test_shot_noise_standard_error_is_calibrated(exact):
    """Eq. 34 note: the SD of N-shot centered estimates matches the reported SE (N = 2000, 150 repetitions)."""
    net, task = instance_i4()
    rule = QuantumEP(0.2, num_reads=2000, use_probabilities=False, warm_start=False)
    draws = [rule.gradient(net, task, exact, seed=s) for s in range(150)]
    values = np.array([g.vector() for g in draws])
    predicted = np.mean([g.stderr_vector() for g in draws], axis=0)
    measured = values.std(axis=0, ddof=1)
    zz_h = slice(0, 10)  # J and h components (Γ from ⟨X⟩ is exact here: no X-basis shots are simulated)
    np.testing.assert_allclose(measured[zz_h], predicted[zz_h], rtol=0.2)
    exact_grad = QuantumEP(0.2, num_reads=2000).gradient(net, task, exact, seed=0)
    assert exact_grad.stderr_vector()[:10] == pytest.approx(predicted[:10], rel=0.05)


# -- thermal ----------------------------------------------------------------------------------------------------
def thermal_setup(gamma):
    rng = np.random.default_rng(5)
    n = 4
    J = np.triu(rng.normal(0, 0.8, (n, n)), 1)
    net = TransverseIsingNetwork(J + J.T, rng.normal(0, 0.4, n), gamma, outputs=[2, 3])
    return net, SupervisedTask(np.zeros((1, 0)), [[1.0, -1.0]])


def test_thermal_covariance_classical_is_exact(exact):
    """Γ = 0: −(1/T)Cov(C, ∂E/∂θ) from the free phase alone equals the FD gradient (Eq. 36)."""
    net, task = thermal_setup(0.0)
    T = 0.8
    grad = ThermalEP(T).gradient(net, task, exact, seed=0)
    fd = reference_gradient(net, task, temperature=T)
    assert grad.estimator == "covariance" and grad.nudge is None
    np.testing.assert_allclose(grad.vector()[:10], fd[:10], atol=1e-8)
    assert grad.loss == pytest.approx(reference_loss(net, task, temperature=T), abs=1e-10)


@pytest.mark.parametrize("gamma", [0.3, 1.0])
def test_quantum_thermal_bias_is_real_and_handled(exact, gamma):
    """THEORY §5.3 table: the plain covariance is off by ~1e-2 (Γ=0.3) / ~1e-1 (Γ=1); Kubo–Mori and nudged are exact."""
    net, task = thermal_setup(gamma)
    T = 0.8
    fd = reference_gradient(net, task, temperature=T)
    with pytest.warns(QuantumThermalBiasWarning):
        plain = ThermalEP(T, quantum="plain").gradient(net, task, exact, seed=0)
    plain_error = np.abs(plain.vector()[:10] - fd[:10]).max()
    assert plain_error > (3e-3 if gamma < 0.5 else 3e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kubo_mori = ThermalEP(T).gradient(net, task, exact, seed=0)
    assert kubo_mori.estimator == "kubo-mori"
    np.testing.assert_allclose(kubo_mori.vector(), fd, atol=1e-8)  # J, h and Γ
    nudged = ThermalEP(T, "nudged", nudge=1e-3).gradient(net, task, exact, seed=0)
    np.testing.assert_allclose(nudged.vector()[:10], fd[:10], atol=1e-5)
    assert plain_error > 100 * np.abs(nudged.vector()[:10] - fd[:10]).max()


class QuantumGibbsDevice(Sampler):
    """A stand-in quantum device: z-basis samples of exp(−βH(Γ)) (by dense ED), no ⟨X⟩, not named 'exact'."""

    name = "gibbs-device"
    capabilities = {"boltzmann": "approximate", "boltzmann:quantum": "approximate"}

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        from qflow_exact import tfim

        from qflow_core.models.memory import IsingMemory

        memory = IsingMemory.from_bqm(bqm)
        p = tfim.gibbs(memory.J, memory.h, protocol.gamma, protocol.beta).z_populations()
        counts = np.random.default_rng(seed).multinomial(num_reads, p / p.sum())
        keep = counts > 0
        return spin_sampleset(bqm, tfim.basis_states(memory.n)[keep], num_occurrences=counts[keep])


def test_thermal_rule_switches_to_nudged_where_kubo_mori_is_unavailable():
    net, task = thermal_setup(1.0)
    T = 0.8
    device = QuantumGibbsDevice()
    assert device.supports(Boltzmann(1 / T, 1.0)) == "approximate"
    rule = ThermalEP(T, nudge=0.15, num_reads=200_000)
    assert rule.resolved_estimator(net, device) == "nudged"
    with pytest.warns(QuantumThermalBiasWarning, match="switched to the nudged"):
        grad = rule.gradient(net, task, device, seed=4)
    assert grad.estimator == "nudged" and grad.gamma is None
    fd = reference_gradient(net, task, temperature=T)
    plain = ThermalEP(T, quantum="plain", num_reads=200_000)
    with pytest.warns(QuantumThermalBiasWarning):
        biased = plain.gradient(net, task, device, seed=4)
    # the nudged estimate beats the biased covariance despite its O(b²) bias and shot noise
    assert np.abs(grad.vector()[:10] - fd[:10]).max() < 0.5 * np.abs(biased.vector()[:10] - fd[:10]).max()
    assert np.all(np.abs(grad.vector()[:10] - fd[:10]) < 4 * grad.stderr_vector()[:10] + 0.03)


def test_thermal_covariance_from_sa_samples():
    """Classical thermal EP from SA Boltzmann samples: within a few standard errors of the exact gradient."""
    net, task = thermal_setup(0.0)
    T = 1.3
    grad = ThermalEP(T, num_reads=4000).gradient(net, task, get_sampler("sa"), seed=3)
    fd = reference_gradient(net, task, temperature=T)
    z = np.abs(grad.vector()[:10] - fd[:10]) / grad.stderr_vector()[:10]
    assert np.all(z < 4.5), z


# -- approximate backends and refusals --------------------------------------------------------------------------
def test_quantum_ep_on_sa_reports_gamma_unavailable():
    net, _ = random_tfim(4, seed=1)
    net = TransverseIsingNetwork(net.J, net.h, 0.5, outputs=[3])
    task = SupervisedTask(np.zeros((1, 0)), [[1.0]])
    grad = QuantumEP(0.5, num_reads=200).gradient(net, task, get_sampler("sa"), seed=0)
    assert grad.gamma is None and not grad.mask()[-4:].any()
    assert np.all(np.isfinite(grad.vector())) and np.any(grad.stderr_vector()[:10] > 0)
    assert any("⟨X⟩" in note for note in grad.notes)


def test_refusals_name_the_way_out():
    sa = get_sampler("sa")
    net, _ = random_tfim(3, seed=2)  # per-spin Γ
    task = SupervisedTask(np.zeros((1, 0)), [[1.0]])
    with pytest.raises(InvalidInputError, match="uniform Γ"):
        QuantumEP(0.1).gradient(net, task, sa, seed=0)
    uniform = TransverseIsingNetwork(net.J, net.h, 0.5, outputs=[2])
    with pytest.raises(InvalidInputError, match="exact sampler"):
        QuantumEP(0.1, level=1).gradient(uniform, task, sa, seed=0)
    x_task = SupervisedTask(np.zeros((1, 0)), [[1.0]], extra_cost=PauliObservable.from_terms(3, x={0: 1.0}))
    with pytest.raises(InvalidInputError, match="X terms"):
        QuantumEP(0.1).gradient(uniform, x_task, sa, seed=0)
    for bad in ({"nudge": 0}, {"nudge": float("nan")}, {"estimator": "two-sided"}, {"level": -1}):
        with pytest.raises(InvalidInputError):
            QuantumEP(**bad)
    for bad in ({"temperature": 0}, {"temperature": 1, "estimator": "kubo"}, {"temperature": 1, "quantum": "x"}):
        with pytest.raises(InvalidInputError):
            ThermalEP(**bad)
    with pytest.raises(InvalidInputError, match="2 outputs"):
        QuantumEP(0.1).gradient(uniform, SupervisedTask(np.zeros((1, 0)), [[1.0, 1.0]]), sa, seed=0)


def test_seeded_estimates_reproduce():
    net, _ = random_tfim(4, seed=1)
    net = TransverseIsingNetwork(net.J, net.h, 0.5, outputs=[3])
    task = SupervisedTask(np.zeros((1, 0)), [[1.0]])
    sa = get_sampler("sa")
    a = QuantumEP(0.5, num_reads=100).gradient(net, task, sa, seed=9)
    b = QuantumEP(0.5, num_reads=100).gradient(net, task, sa, seed=9)
    np.testing.assert_array_equal(a.vector(), b.vector())


def test_x_nudge_through_zero_field(exact):
    """An X cost on a spin with Γ_i = 0 makes the nudged Γ_i = ∓b·x negative; run as |Γ_i| with ⟨X_i⟩ mapped back."""
    net, _ = random_tfim(4, seed=4)
    net = TransverseIsingNetwork(net.J, net.h, [0.0, 0.7, 0.6, 0.8], outputs=[3])
    task = SupervisedTask(np.zeros((1, 0)), [[1.0]], extra_cost=PauliObservable.from_terms(4, x={0: 1.0}))
    grad = QuantumEP(1e-3).gradient(net, task, exact, seed=0)
    np.testing.assert_allclose(grad.vector(), reference_gradient(net, task), atol=5e-5)
    assert abs(grad.gamma[0]) > 0.1  # dL/dΓ_0 at Γ_0 = 0 is first order in an X cost


def test_kubo_mori_with_a_non_diagonal_cost(exact):
    net, _ = thermal_setup(0.7)
    extra = PauliObservable.from_terms(4, x={0: 1.0}, zz={(0, 3): 0.5})
    task = SupervisedTask(np.zeros((1, 0)), [[1.0, -1.0]], extra_cost=extra)
    T = 0.8
    grad = ThermalEP(T).gradient(net, task, exact, seed=0)
    np.testing.assert_allclose(grad.vector(), reference_gradient(net, task, temperature=T), atol=1e-8)
    assert ThermalEP(T).loss(net, task, sampler=exact) == pytest.approx(reference_loss(net, task, temperature=T))
    with pytest.raises(InvalidInputError, match="Kubo–Mori"):
        ThermalEP(T, "nudged").gradient(net, task, exact, seed=0)


def test_plain_covariance_is_exact_when_the_cost_commutes_with_h(exact):
    """C = H(θ₀) (X terms included) commutes with H(θ₀): plain covariance = Kubo–Mori = finite differences."""
    rng = np.random.default_rng(11)
    n, T = 3, 0.8
    J = np.triu(rng.uniform(-1, 1, (n, n)), 1)
    net = TransverseIsingNetwork(J + J.T, rng.uniform(-0.5, 0.5, n), rng.uniform(0.3, 0.9, n))
    cost = PauliObservable(n, 0.0, -net.h, -net.J, -net.gamma)  # the Hamiltonian itself as an observable
    task = SupervisedTask(np.zeros((1, 0)), np.zeros((1, 0)), extra_cost=cost)
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantumThermalBiasWarning)  # exact here: no bias warning
        plain = ThermalEP(T, quantum="plain").gradient(net, task, exact, seed=0)
    kubo_mori = ThermalEP(T).gradient(net, task, exact, seed=0)
    assert plain.estimator == "plain-covariance" and kubo_mori.estimator == "kubo-mori"
    np.testing.assert_allclose(plain.vector(), kubo_mori.vector(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(plain.vector(), reference_gradient(net, task, temperature=T), atol=1e-7)
    assert np.max(np.abs(plain.vector())) > 0.05


def test_plain_covariance_with_a_non_commuting_x_cost_is_refused_with_the_reason(exact):
    net, _ = thermal_setup(0.7)
    task = SupervisedTask(np.zeros((1, 0)), [[1.0, -1.0]], extra_cost=PauliObservable.from_terms(4, x={0: 1.0}))
    with pytest.raises(InvalidInputError, match=r"commutes with H.*‖\[C, H\]‖_F"):
        ThermalEP(0.8, quantum="plain").gradient(net, task, exact, seed=0)
