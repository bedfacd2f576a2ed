"""Optional interfaces a sampler can advertise beyond sampling, and how the core finds one.

Sampling a protocol is what every :class:`~qflow_core.sampler.Sampler` does. Some backends can do more — give the
eigenstates of the transverse-field Ising Hamiltonian or its full Gibbs spectrum. Such a backend says so by
deriving from :class:`SpectralBackend`; code that needs the extra ability asks :func:`find_capability` for it
instead of asking for a sampler by name, so any plugin that implements the interface can stand in.

The Hamiltonian is H(Γ) = E(σᶻ) − Σ_i Γ_i σˣ_i with E(s) = −Σ_{i<j} J_ij s_i s_j − Σ_i h_i s_i and one Γ_i per
spin (a scalar means the same Γ for every spin). State vectors live in the z basis of 2^n entries, **site 0 the
most significant bit of the index, bit value 0 ↔ Z = +1** (so index 0 is all spins up); :func:`basis_states`
lists the ±1 rows in that order.

>>> psi = np.full(4, 0.5)  # |+⟩|+⟩
>>> basis_states(2).tolist(), z_probabilities(psi).tolist(), x_expectations(psi).round(12).tolist()
([[1, 1], [1, -1], [-1, 1], [-1, -1]], [0.25, 0.25, 0.25, 0.25], [1.0, 1.0])
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from qflow_core.errors import InvalidInputError, MissingCapabilityError
from qflow_core.parameters import Parameter
from qflow_core.registry import Registry, default_registry
from qflow_core.sampler import Sampler

__all__ = [
    "SPECTRAL_RUN_PARAMETERS",
    "Eigenstate",
    "GibbsSpectrum",
    "ImaginaryTimeBackend",
    "ImaginaryTimeLeakage",
    "SpectralBackend",
    "basis_states",
    "find_capability",
    "x_expectations",
    "z_probabilities",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Eigenstate:
    """One eigenpair of H(Γ): its ``energy``, the normalised real ``state`` (2^n,) and the ``num_matvecs`` spent."""

    energy: float
    state: np.ndarray
    num_matvecs: int = 0


@dataclass(frozen=True)
class GibbsSpectrum:
    """Full spectrum of H(Γ) with Gibbs weights: ``energies`` (N,) ascending, ``vectors`` (N, N) eigenvectors
    in columns (z basis), ``weights`` (N,) = e^{−βE_a}/Z."""

    energies: np.ndarray
    vectors: np.ndarray
    weights: np.ndarray

    def z_populations(self) -> np.ndarray:
        """⟨x|ρ|x⟩ for every basis state x (sums to 1)."""
        return np.sum(np.abs(self.vectors) ** 2 * self.weights, axis=1)

    def x_expectations(self) -> np.ndarray:
        """Tr(ρ σˣ_i) for every site i."""
        n = int(np.log2(len(self.energies)))
        index = np.arange(len(self.energies))
        return np.array(
            [
                np.real(np.sum(self.vectors.conj() * self.vectors[index ^ (1 << (n - 1 - i))] * self.weights))
                for i in range(n)
            ]
        )


#: The run options a spectral backend's GroundState/Boltzmann runs accept (declare them in ``run_parameters``).
SPECTRAL_RUN_PARAMETERS = (
    Parameter("gamma_per_spin", object, None, "per-spin transverse fields Γ_i (Anneal: driver weights w_i)"),
    Parameter("level", int, 0, "GroundState: return eigenstate number level", minimum=0, optional=False),
    Parameter("v0", object, None, "GroundState: Lanczos warm-start vector"),
    Parameter("return_state", bool, False, "put the state vector in info (a numpy array, not JSON)"),
)


class SpectralBackend(abc.ABC):
    """A sampler that can diagonalize H(Γ) (see the module docstring for H and the basis convention).

    Implementations take ``J`` (n, n) symmetric with zero diagonal, ``h`` (n,) and ``gamma`` (scalar or (n,),
    Γ_i ≥ 0) in the network's spin order. A spectral backend's ``GroundState`` and ``Boltzmann`` runs also accept
    the run options ``gamma_per_spin`` ((n,) array replacing the protocol's Γ), ``level`` (GroundState: return
    eigenstate number ``level``), ``v0`` (GroundState: warm-start vector) and ``return_state`` (GroundState), and
    report ``x_expectation`` (⟨σˣ_i⟩ list), ``state`` (the vector, when asked) and ``num_matvecs`` in
    ``sampleset.info["qflow"]["backend"]``; every run returns exact ``probability`` per row.
    """

    @abc.abstractmethod
    def eigenstate(self, J: Any, h: Any, gamma: Any, *, level: int = 0, v0: np.ndarray | None = None) -> Eigenstate:
        """Eigenstate number ``level`` (0 = ground state) of H(Γ), optionally warm-started from ``v0``."""

    @abc.abstractmethod
    def gibbs_state(self, J: Any, h: Any, gamma: Any, beta: float) -> GibbsSpectrum:
        """Every eigenpair of H(Γ) and the Gibbs weights at inverse temperature ``beta``."""


@dataclass(frozen=True)
class ImaginaryTimeLeakage:
    """Leakage out of a classical state s under imaginary-time evolution e^{−τH}|s⟩, per single-flip channel k.

    With r_k(τ) = ⟨s⁽ᵏ⁾|e^{−τH}|s⟩ / ⟨s|e^{−τH}|s⟩ (the channel amplitude relative to the return amplitude):

    * ``flux`` j_k = ∂_τ r_k, the rate at which amplitude flows into channel k, next to ``flux_prediction``
      Γ_k e^{−τΔ_k} (first order in Γ). Normalised, the flux is **softmax-weighted**, j_k/Σj = softmax(−τΔ)_k:
      the imaginary-time extent τ plays the inverse temperature β.
    * ``survival_loss`` K_s = ∂²_τ log⟨s|e^{−τH}|s⟩ ≥ 0 (the energy variance of the spectral measure of |s⟩ tilted
      by e^{−τE}; at τ = 0 it is Var_s(H) = ΣΓ_k², the t² coefficient of real-time leakage), next to
      ``survival_loss_prediction`` Σ_k Γ_k² e^{−τΔ_k}.
    * ``populations`` P_k/P_s = r_k² of the normalised pure state, next to ``population_prediction``
      Γ_k²(1 − e^{−τΔ_k})²/Δ_k². These are **not** softmax-weighted: they tend to the power law Γ²/Δ_k² (the
      ground-state admixture) once τΔ_k ≫ 1; only the approach to that limit is exponential.

    ``gaps`` are Δ_k = E(s⁽ᵏ⁾) − E(s), ``gamma`` the per-spin Γ_k; ``return_probability`` is |⟨s|ψ⟩|² and
    ``multi_flip_probability`` the weight beyond the single flips in the normalised state ψ ∝ e^{−τH}|s⟩. The
    first-order predictions hold while s is the classical ground state (or lower states do not matter by time τ)
    and Γ ≪ Δ.

    >>> it = ImaginaryTimeLeakage(np.array([1.0, 2.0]), np.array([0.1, 0.1]), 1.0, np.array([0.2, 0.1]),
    ...                           np.array([0.2, 0.1]), 0.0, 0.0, np.zeros(2), np.zeros(2), 1.0, 0.0)
    >>> it.flux_weights().round(4).tolist()
    [0.6667, 0.3333]
    """

    gaps: np.ndarray
    gamma: np.ndarray
    tau: float
    flux: np.ndarray
    flux_prediction: np.ndarray
    survival_loss: float
    survival_loss_prediction: float
    populations: np.ndarray
    population_prediction: np.ndarray
    return_probability: float
    multi_flip_probability: float

    def flux_weights(self) -> np.ndarray:
        """j_k / Σ_l j_l: the channel weights that are softmax(−τΔ) to first order."""
        return self.flux / self.flux.sum()

    def population_weights(self) -> np.ndarray:
        """(P_k/P_s) / Σ_l (P_l/P_s): the pure-state channel populations normalised (not softmax)."""
        return self.populations / self.populations.sum()


class ImaginaryTimeBackend(abc.ABC):
    """A sampler that can evolve a classical state in imaginary time and report its leakage channels exactly."""

    @abc.abstractmethod
    def imaginary_time_leakage(self, memory: Any, pattern: Any, gamma: Any, tau: float) -> ImaginaryTimeLeakage:
        """Leakage of ``pattern`` (±1 spins) under e^{−τH}, H = E_memory(σᶻ) − Σ Γ_k σˣ_k (see
        :class:`ImaginaryTimeLeakage`); ``memory`` has ``J`` and ``h``, ``gamma`` is a scalar or (n,)."""


#: What to tell a user when no installed sampler implements an interface.
_PROVIDERS = {
    SpectralBackend: "install the exact plugin (its sampler 'exact' implements it) or any plugin whose sampler does",
    ImaginaryTimeBackend: "install the exact plugin (its sampler 'exact' implements it) or any plugin whose sampler "
    "does",
}


def find_capability(interface: type[T], prefer: Sampler | None = None, *, registry: Registry | None = None) -> T:
    """``prefer`` if it implements ``interface``, else an instance of the first installed sampler that does.

    >>> from qflow_core.registry import Registry
    >>> try:
    ...     find_capability(SpectralBackend, registry=Registry(group="no.such.plugins"))
    ... except MissingCapabilityError as exc:
    ...     print(exc.interface)
    qflow_core.capabilities.SpectralBackend
    """
    if prefer is not None and isinstance(prefer, interface):
        return prefer
    registry = default_registry() if registry is None else registry
    for name, cls in sorted(registry.sampler_classes().items()):
        if issubclass(cls, interface):
            return registry.get(name)
    hint = _PROVIDERS.get(interface, "install a plugin whose sampler implements it")
    raise MissingCapabilityError(f"{interface.__module__}.{interface.__qualname__}", providers=hint)


def basis_states(n: int) -> np.ndarray:
    """All 2^n spin rows (int8 ±1) in basis-index order: site 0 most significant, bit 0 ↔ +1."""
    if n < 0:
        raise InvalidInputError(f"the number of spins must be ≥ 0, got {n}")
    bits = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1
    return (1 - 2 * bits).astype(np.int8)


def z_probabilities(state: np.ndarray) -> np.ndarray:
    """Born-rule probabilities |ψ_k|² of a state vector, normalised to sum 1."""
    p = np.abs(np.asarray(state)) ** 2
    return p / p.sum()


def x_expectations(state: np.ndarray) -> np.ndarray:
    """⟨σˣ_i⟩ for every site i of a state vector of length 2^n."""
    psi = np.asarray(state)
    n = int(np.log2(psi.size))
    if 1 << n != psi.size:
        raise InvalidInputError(f"a state vector has length 2^n, got {psi.size}")
    out = np.array([2.0 * np.real(np.vdot(b[:, 0], b[:, 1])) for b in (psi.reshape(1 << i, 2, -1) for i in range(n))])
    return out / np.vdot(psi, psi).real
