"""A third-party SpectralBackend stands in for the exact plugin; the core never names or imports a plugin."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import qflow_core
import qflow_core.registry as registry_module
from qflow_core.capabilities import (
    SPECTRAL_RUN_PARAMETERS,
    Eigenstate,
    GibbsSpectrum,
    SpectralBackend,
    basis_states,
    find_capability,
    x_expectations,
)
from qflow_core.errors import MissingCapabilityError, QflowError
from qflow_core.experiments.ep import exact_loss
from qflow_core.hookspecs import hookimpl
from qflow_core.learning.ep import QuantumEP, ThermalEP
from qflow_core.models.memory import IsingMemory
from qflow_core.models.network import PauliObservable, SupervisedTask, TransverseIsingNetwork
from qflow_core.protocols import GroundState
from qflow_core.registry import Registry
from qflow_core.sampler import Sampler, attach_details, spin_sampleset


def dense_hamiltonian(J, h, gamma) -> np.ndarray:
    """H = diag(E) − Σ Γ_i X_i built independently of qflow_exact (site 0 = most significant bit)."""
    J, h = np.asarray(J, float), np.asarray(h, float)
    n = len(h)
    s = basis_states(n).astype(float)
    H = np.diag(-0.5 * np.einsum("ki,ij,kj->k", s, J, s) - s @ h)
    gamma = np.broadcast_to(np.asarray(gamma, float), (n,))
    index = np.arange(2**n)
    for i in range(n):
        H[index, index ^ (1 << (n - 1 - i))] -= gamma[i]
    return H


class DenseEigh(Sampler, SpectralBackend):
    """numpy eigh on the dense 2^n Hamiltonian; GroundState/Boltzmann by enumerating every basis state."""

    name = "dense-eigh"
    capabilities = {"ground_state": "exact", "boltzmann": "exact", "boltzmann:quantum": "exact"}
    default_protocol = GroundState(0.0)
    run_parameters = SPECTRAL_RUN_PARAMETERS

    def eigenstate(self, J, h, gamma, *, level=0, v0=None) -> Eigenstate:
        w, V = np.linalg.eigh(dense_hamiltonian(J, h, gamma))
        return Eigenstate(float(w[level]), V[:, level])

    def gibbs_state(self, J, h, gamma, beta) -> GibbsSpectrum:
        w, V = np.linalg.eigh(dense_hamiltonian(J, h, gamma))
        p = np.exp(-beta * (w - w[0]))
        return GibbsSpectrum(w, V, p / p.sum())

    def _run(self, bqm, protocol, *, num_reads, seed, **options):
        memory = IsingMemory.from_bqm(bqm)
        gamma = options.get("gamma_per_spin", protocol.gamma)
        details = {}
        if isinstance(protocol, GroundState):
            state = self.eigenstate(memory.J, memory.h, gamma, level=options.get("level", 0)).state
            probability = state**2
            details["x_expectation"] = x_expectations(state).tolist()
            if options.get("return_state"):
                details["state"] = state
        else:
            probability = self.gibbs_state(memory.J, memory.h, gamma, protocol.beta).z_populations()
        probability = probability / probability.sum()
        counts = np.random.default_rng(seed).multinomial(num_reads, probability)
        states = basis_states(bqm.num_variables)
        return attach_details(spin_sampleset(bqm, states, probability=probability, num_occurrences=counts), **details)


class DensePlugin:
    """A plugin object (as a third-party package's entry point would give) providing :class:`DenseEigh`."""

    @hookimpl
    def qflow_samplers(self):
        return [DenseEigh]


@pytest.fixture
def without_exact(monkeypatch):
    """The default registry holds only the third-party sampler: nothing can fall back to ``exact``."""
    registry = Registry(group="qflow.test-capabilities-none")
    registry.register(DensePlugin(), name="dense")
    monkeypatch.setattr(registry_module, "_default", registry)
    assert sorted(registry.sampler_classes()) == ["dense-eigh"]
    return registry


def network(n=4, seed=3):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(0, 1, (n, n)), 1)
    return TransverseIsingNetwork(J + J.T, rng.normal(0, 0.5, n), rng.uniform(0.5, 1.0, n), outputs=[n - 1])


X_TASK = SupervisedTask(
    np.zeros((1, 0)), [[1.0]], extra_cost=PauliObservable.from_terms(4, x={0: 1.0}, zz={(0, 3): 0.5})
)


def test_quantum_ep_with_x_costs_matches_exact(without_exact):
    exact = Registry().get("exact")
    rule = QuantumEP(nudge=0.05, num_reads=100)
    ours = rule.gradient(network(), X_TASK, DenseEigh(), seed=1)
    reference = rule.gradient(network(), X_TASK, exact, seed=1)
    assert ours.gamma is not None and ours.sampler == "dense-eigh"
    np.testing.assert_allclose(ours.vector(), reference.vector(), atol=1e-8)
    assert ours.loss == pytest.approx(reference.loss, abs=1e-10)


def test_kubo_mori_thermal_ep_matches_exact(without_exact):
    exact = Registry().get("exact")
    rule = ThermalEP(temperature=0.7)
    ours_sampler = DenseEigh()
    assert rule.resolved_estimator(network(), ours_sampler) == "kubo-mori"
    ours = rule.gradient(network(), X_TASK, ours_sampler, seed=2)
    reference = rule.gradient(network(), X_TASK, exact, seed=2)
    assert ours.estimator == reference.estimator == "kubo-mori" and ours.sampler == "dense-eigh"
    np.testing.assert_allclose(ours.vector(), reference.vector(), atol=1e-8)
    assert rule.loss(network(), X_TASK, sampler=ours_sampler) == pytest.approx(reference.loss, abs=1e-10)


def test_registry_lookup_finds_the_third_party_backend(without_exact):
    assert isinstance(find_capability(SpectralBackend), DenseEigh)
    sa = Registry().get("sa")
    assert isinstance(find_capability(SpectralBackend, sa), DenseEigh)  # sa is not spectral: fall back
    teacher = TransverseIsingNetwork(network().J, network().h, 0.4, inputs=[0, 1], outputs=[3])
    ours = SupervisedTask.from_teacher(teacher, rounded=False)
    reference = SupervisedTask.from_teacher(teacher, rounded=False, backend=Registry().get("exact"))
    np.testing.assert_allclose(ours.targets, reference.targets, atol=1e-10)
    for rule in (QuantumEP(0.1), ThermalEP(0.7)):  # exact_loss falls back to the registry's spectral backend
        assert exact_loss(network(), X_TASK, rule) == pytest.approx(
            exact_loss(network(), X_TASK, rule, backend=Registry().get("exact")), abs=1e-10
        )


def test_missing_capability_names_the_interface_and_the_provider(monkeypatch):
    empty = Registry(group="qflow.test-capabilities-none")
    monkeypatch.setattr(registry_module, "_default", empty)
    with pytest.raises(MissingCapabilityError, match=r"SpectralBackend.*exact plugin") as info:
        find_capability(SpectralBackend)
    assert isinstance(info.value, QflowError) and "SpectralBackend" in info.value.interface
    teacher = TransverseIsingNetwork(np.zeros((3, 3)), gamma=0.3, inputs=[0], outputs=[2])
    with pytest.raises(MissingCapabilityError, match="SpectralBackend"):
        SupervisedTask.from_teacher(teacher)


def test_exact_plugin_implements_the_interface():
    exact = Registry().get("exact")
    assert isinstance(exact, SpectralBackend)
    net = network()
    H = dense_hamiltonian(net.J, net.h, net.gamma)
    w = np.linalg.eigvalsh(H)
    assert exact.eigenstate(net.J, net.h, net.gamma, level=1).energy == pytest.approx(w[1], abs=1e-9)
    gibbs = exact.gibbs_state(net.J, net.h, net.gamma, 2.0)
    np.testing.assert_allclose(gibbs.energies, w, atol=1e-10)
    rho = gibbs.vectors @ np.diag(gibbs.weights) @ gibbs.vectors.T
    from scipy.linalg import expm

    truth = expm(-2.0 * H)
    np.testing.assert_allclose(rho, truth / np.trace(truth), atol=1e-10)
    np.testing.assert_allclose(gibbs.z_populations(), np.diag(rho), atol=1e-12)
    X0 = -dense_hamiltonian(np.zeros((4, 4)), np.zeros(4), [1.0, 0, 0, 0])  # σˣ on site 0
    assert gibbs.x_expectations()[0] == pytest.approx(np.trace(rho @ X0), abs=1e-12)


def test_core_never_imports_or_names_a_plugin():
    root = Path(qflow_core.__file__).parent
    imports = re.compile(r"^\s*(from|import)\s+qflow_(exact|sa|dwave|qaoa)\b", re.M)
    names = re.compile(r"""(sampler|self)\.name\s*[!=]=\s*["']|\.name\s*[!=]=\s*["']exact["']|EXACT_SAMPLER""")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if imports.search(text := path.read_text(encoding="utf-8")) or names.search(text)
    ]
    assert offenders == []
