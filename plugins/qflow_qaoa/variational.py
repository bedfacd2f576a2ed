"""Variational QAOA for ``GroundState(gamma=0)``: COBYLA over the 2p angles of a p-layer QAOA circuit.

Two engines, same optimiser (qiskit-optimization's ``COBYLA`` wrapper of scipy's COBYLA) from the same
explicit initial point:

* :func:`optimise_exact` — the objective ⟨ψ(β, γ)|H_C|ψ(β, γ)⟩ evaluated exactly on a numpy statevector
  (:mod:`qflow_qaoa.statevector`); deterministic, no shot noise;
* :func:`optimise_on_primitive` — qiskit-optimization's own ``QAOA`` (or ``SamplingVQE`` with the
  warm-start circuit) on a Qiskit SamplerV2 with a transpiling pass manager: the real circuits, with a
  shot-noise estimate of the objective.

The objective leaves out the BQM offset, as Qiskit's eigenvalue does. The default initial point is a
linear ramp (a short discretised anneal, see :mod:`qflow_qaoa.angles` for the sign convention), scaled by
the largest local field so that the first step is neither negligible nor wrapping around.

>>> import numpy as np
>>> diag = np.array([0.0, 1.0, 1.0, -2.0])  # a two-qubit cost, ground state '11'
>>> result, psi = optimise_exact(diag, n=2, reps=1, initial_point=ramp_initial_point(1, 2.0), maxiter=60)
>>> result.value < 0.0, len(result.trace) == result.nfev
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_qaoa.circuits import qaoa_circuit, thread_safe_pass_manager
from qflow_qaoa.extras import require
from qflow_qaoa.statevector import evolve, expectation, plus_state, product_state

__all__ = [
    "VariationalResult",
    "optimise_exact",
    "optimise_on_primitive",
    "ramp_initial_point",
    "warm_start_thetas",
]

#: Size of the linear-ramp initial point: Σ_k |β_k| = RAMP_ANGLE · p/2 and the same for γ_k · L.
RAMP_ANGLE = 0.6


@dataclass
class VariationalResult:
    """Outcome of a QAOA optimisation (angles in Qiskit's order ``[β_0..β_{p−1}, γ_0..γ_{p−1}]``)."""

    optimal_point: list[float]
    value: float
    nfev: int
    initial_point: list[float]
    trace: list[list[float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimal_point": self.optimal_point,
            "objective": self.value,
            "nfev": self.nfev,
            "initial_point": self.initial_point,
            "trace": self.trace,
        }


def ramp_initial_point(reps: int, field_scale: float) -> np.ndarray:
    """Linear-ramp angles: β_k = −a (1 − s_k), γ_k = a s_k / L with s_k = (k + ½)/p, a = RAMP_ANGLE."""
    s = (np.arange(reps) + 0.5) / reps
    scale = field_scale if field_scale > 0 else 1.0
    return np.concatenate([-RAMP_ANGLE * (1 - s), RAMP_ANGLE * s / scale])


def warm_start_thetas(values: Sequence[float], epsilon: float) -> np.ndarray:
    """RY angles θ_i = 2 arcsin √c_i with c_i = P(s_i = +1) = (1 + m_i)/2 clipped to [ε, 1 − ε].

    ``values`` are per-variable spins or magnetisations m_i ∈ [−1, 1] (e.g. a classical solution); ε > 0
    keeps the mixer able to move every qubit (Egger et al. 2021).
    """
    m = np.asarray(values, dtype=float)
    if m.ndim != 1 or not np.all(np.isfinite(m)) or np.any(np.abs(m) > 1):
        raise InvalidInputError("warm_start must be one spin or magnetisation in [-1, 1] per variable")
    if not 0 < epsilon <= 0.5:
        raise InvalidInputError(f"warm_start_epsilon must be in (0, 0.5], got {epsilon!r}")
    c = np.clip((1 + m) / 2, epsilon, 1 - epsilon)
    return 2 * np.arcsin(np.sqrt(c))


def _cobyla(maxiter: int, tol: float | None):
    return require("qiskit_optimization.optimizers").COBYLA(maxiter=maxiter, tol=tol)


def optimise_exact(
    diag: np.ndarray,
    *,
    n: int,
    reps: int,
    initial_point: np.ndarray,
    maxiter: int,
    tol: float | None = None,
    warm_thetas: np.ndarray | None = None,
) -> tuple[VariationalResult, np.ndarray]:
    """Minimise the exact ⟨H_C⟩ (``diag`` in Qiskit order); return the result and the optimal statevector."""
    start = plus_state(n) if warm_thetas is None else product_state(warm_thetas)
    trace: list[list[float]] = []

    def state(params: np.ndarray) -> np.ndarray:
        return evolve(start.copy(), diag, params[:reps], params[reps:], warm_thetas)

    def objective(params: np.ndarray) -> float:
        value = expectation(state(params), diag)
        trace.append([*map(float, params), value])
        return value

    outcome = _cobyla(maxiter, tol).minimize(fun=objective, x0=np.asarray(initial_point, dtype=float))
    point = np.asarray(outcome.x, dtype=float)
    result = VariationalResult(
        point.tolist(), float(outcome.fun), int(outcome.nfev), np.asarray(initial_point, dtype=float).tolist(), trace
    )
    return result, state(point)


def optimise_on_primitive(
    operator,
    sampler,
    *,
    reps: int,
    initial_point: np.ndarray,
    maxiter: int,
    tol: float | None = None,
    warm_thetas: np.ndarray | None = None,
    pass_manager=None,
) -> tuple[VariationalResult, Any]:
    """qiskit-optimization's QAOA on ``sampler``; return the result and the (untranspiled) optimal circuit."""
    solvers = require("qiskit_optimization.minimum_eigensolvers")
    trace: list[list[float]] = []

    def record(count: int, params: Sequence[float], value: float, metadata: Mapping[str, Any]) -> None:
        trace.append([*map(float, params), float(np.real(value))])

    common = {
        "initial_point": np.asarray(initial_point, dtype=float),
        "callback": record,
        "pass_manager": thread_safe_pass_manager(pass_manager),
    }
    if warm_thetas is None:
        solver = solvers.QAOA(sampler, _cobyla(maxiter, tol), reps=reps, **common)
    else:
        ansatz = qaoa_circuit(operator, reps, warm_thetas=warm_thetas)
        solver = solvers.SamplingVQE(sampler, ansatz, _cobyla(maxiter, tol), **common)
    outcome = solver.compute_minimum_eigenvalue(operator)
    point = np.asarray(outcome.optimal_point, dtype=float)
    result = VariationalResult(
        point.tolist(),
        float(np.real(outcome.eigenvalue)),
        int(outcome.cost_function_evals),
        np.asarray(initial_point, dtype=float).tolist(),
        trace,
    )
    return result, outcome.optimal_circuit
