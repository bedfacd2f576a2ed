"""Qiskit circuits of the QAOA form and running them on a SamplerV2 primitive (shot-based counts).

The circuits match :mod:`qflow_qaoa.statevector` exactly: parameters ``β[0..p−1], γ[0..p−1]`` (Qiskit's
sorted order), layer k = cost exp(−iγ_k H_C) then mixer exp(−iβ_k M).

* standard mixer: ``qiskit.circuit.library.qaoa_ansatz`` (the function; the ``QAOAAnsatz`` class is
  deprecated), optionally after X gates preparing a basis state;
* warm start (Egger et al. 2021): RY(θ_i)|0⟩ initial state and the per-qubit mixer
  RY(θ_i) RZ(2β) RY(−θ_i) = exp(−iβ(cos θ_i Z + sin θ_i X)), built here because ``qaoa_ansatz`` accepts no
  circuit mixer and an operator mixer would be Trotterised inexactly.

Circuits are transpiled with a pass manager before they run (Aer rejects untranspiled evolution gates and
``StatevectorSampler`` would build dense matrix exponentials). Qiskit's pass managers keep the state of a
run on themselves and are not re-entrant, so each thread gets its own default one and a user's pass manager
runs one circuit at a time (:func:`thread_safe_pass_manager`).

>>> from qiskit.quantum_info import SparsePauliOp
>>> op = SparsePauliOp.from_sparse_list([("ZZ", [0, 1], 1.0)], num_qubits=2)
>>> circuit = qaoa_circuit(op, reps=2, initial_spins=[1, -1])
>>> [p.name for p in circuit.parameters], circuit.num_clbits
(['β[0]', 'β[1]', 'γ[0]', 'γ[1]'], 2)
>>> counts = run_counts(make_primitive("statevector", seed=1, shots=8), circuit, [0, 0, 0, 0], shots=8)
>>> counts  # spins (+1, -1): qubit 0 is 1, the rightmost character
{'01': 8}
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from qflow_core.errors import BackendError, InvalidInputError
from qflow_qaoa.extras import require

__all__ = [
    "DEFAULT_BASIS_GATES",
    "SerialisedPassManager",
    "default_pass_manager",
    "make_primitive",
    "qaoa_circuit",
    "run_counts",
    "thread_safe_pass_manager",
]

#: Gates the default pass manager targets (enough for StatevectorSampler and Aer).
DEFAULT_BASIS_GATES = ("h", "x", "rx", "ry", "rz", "rzz", "cx", "sx")


_PER_THREAD = threading.local()


def default_pass_manager():
    """``generate_preset_pass_manager(optimization_level=1)`` onto :data:`DEFAULT_BASIS_GATES`, one per thread."""
    manager = getattr(_PER_THREAD, "pass_manager", None)
    if manager is None:
        transpiler = require("qiskit.transpiler")
        manager = transpiler.generate_preset_pass_manager(optimization_level=1, basis_gates=list(DEFAULT_BASIS_GATES))
        _PER_THREAD.pass_manager = manager
    return manager


class SerialisedPassManager:
    """A user's pass manager that several threads may share: its ``run`` calls are made one at a time."""

    _lock = threading.Lock()

    def __init__(self, pass_manager: Any) -> None:
        self.pass_manager = pass_manager

    def run(self, circuits: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return self.pass_manager.run(circuits, *args, **kwargs)


def thread_safe_pass_manager(pass_manager: Any = None) -> Any:
    """This thread's :func:`default_pass_manager` for None, else ``pass_manager`` wrapped in
    :class:`SerialisedPassManager`.

    >>> thread_safe_pass_manager() is default_pass_manager()
    True
    """
    if not pass_manager:  # None (or an empty pass manager, as before): the default
        return default_pass_manager()
    return pass_manager if isinstance(pass_manager, SerialisedPassManager) else SerialisedPassManager(pass_manager)


def make_primitive(spec: Any, *, seed: int, shots: int):
    """A SamplerV2 from ``spec``: ``"statevector"`` (Qiskit's StatevectorSampler), ``"aer"`` (Aer's
    SamplerV2), both seeded with ``seed``, or a user's ``BaseSamplerV2`` instance returned as is."""
    if isinstance(spec, str):
        if spec == "statevector":
            return require("qiskit.primitives").StatevectorSampler(default_shots=shots, seed=seed)
        if spec == "aer":
            return require("qiskit_aer.primitives", extra="aer").SamplerV2(default_shots=shots, seed=seed)
        raise InvalidInputError(
            f"unknown primitive {spec!r}; use 'exact' (default), 'statevector', 'aer' or a Qiskit SamplerV2 instance"
        )
    base = require("qiskit.primitives").BaseSamplerV2
    if not isinstance(spec, base):
        raise InvalidInputError(
            f"primitive must be a Qiskit SamplerV2 (qiskit.primitives.BaseSamplerV2), got {type(spec).__name__}; "
            "V1 samplers are not supported"
        )
    return spec


def _basis_state_circuit(spins: Sequence[int]):
    circuit = require("qiskit").QuantumCircuit(len(spins))
    for qubit, spin in enumerate(spins):
        if spin > 0:  # bit 1 ↔ spin +1
            circuit.x(qubit)
    return circuit


def qaoa_circuit(
    operator,
    reps: int,
    *,
    initial_spins: Sequence[int] | None = None,
    warm_thetas: Sequence[float] | None = None,
):
    """The parameterised QAOA circuit (with final measurements) for ``operator``, ``reps`` layers.

    Starts from H⊗ⁿ|0⟩, from the basis state ``initial_spins``, or (``warm_thetas``) from ⊗RY(θ_i)|0⟩ with
    the matching warm-start mixer.
    """
    qiskit = require("qiskit")
    library = require("qiskit.circuit.library")
    if warm_thetas is None:
        initial = None if initial_spins is None else _basis_state_circuit(initial_spins)
        circuit = library.qaoa_ansatz(operator, reps=reps, initial_state=initial)
    else:
        n = operator.num_qubits
        betas = qiskit.circuit.ParameterVector("β", reps)
        gammas = qiskit.circuit.ParameterVector("γ", reps)
        circuit = qiskit.QuantumCircuit(n)
        for qubit, theta in enumerate(warm_thetas):
            circuit.ry(float(theta), qubit)
        for k in range(reps):
            circuit.append(library.PauliEvolutionGate(operator, time=gammas[k]), range(n))
            for qubit, theta in enumerate(warm_thetas):
                circuit.ry(-float(theta), qubit)
                circuit.rz(2 * betas[k], qubit)
                circuit.ry(float(theta), qubit)
    circuit.measure_all()
    return circuit


def run_counts(sampler, circuit, values: Sequence[float], *, shots: int, pass_manager=None) -> Mapping[str, int]:
    """Transpile ``circuit``, run it once at parameter ``values`` with ``shots`` shots, return the counts."""
    transpiled = thread_safe_pass_manager(pass_manager).run(circuit)
    try:
        result = sampler.run([(transpiled, np.asarray(values, dtype=float))], shots=shots).result()[0]
    except Exception as exc:  # the primitive's own failure (device, simulator, bad circuit)
        raise BackendError(f"the Qiskit primitive {type(sampler).__name__} failed: {exc}") from exc
    register = transpiled.cregs[0].name
    return dict(getattr(result.data, register).get_counts())
