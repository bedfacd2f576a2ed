"""Equilibrium propagation on the exact backend at n = 12: Lanczos matrix-vector products per EP step, warm vs cold.

An EP step (centered estimator) runs, for each of the 4 examples of the AND task, a free phase and the two nudged
phases H ± bC. Warm start: the nudged phases start Lanczos from this step's free state, the free phase from the
previous step's free state of the same example, the −b phase from 2ψ₀ − ψ_{+b}.
Cold: every phase starts from ARPACK's default random vector.

Two measurements, same phase sequence, same parameters (5 training steps, lr = 0.2, b = 0.01):

1. through the rule and the ``exact`` sampler (``QuantumEP(warm_start=True/False)``) — what users get;
2. at the Lanczos level (``qflow_exact.tfim.ground_state`` with and without ``v0``, only the eigenpair EP needs) —
   what the warm start itself saves.

Goal: ≥ 3× fewer matvecs per step with warm start. Run: ``.venv/bin/python benchmarks/bench_ep.py``.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from qflow_core import get_sampler
from qflow_core.learning.ep import QuantumEP, extrapolated_start
from qflow_core.models.network import SupervisedTask, TransverseIsingNetwork

N, STEPS, LR, NUDGE, GAMMA = 12, 5, 0.2, 0.01, 0.8


def problem() -> tuple[TransverseIsingNetwork, SupervisedTask]:
    rng = np.random.default_rng(12345)
    J = np.triu(rng.normal(0.0, 1.0 / np.sqrt(N), (N, N)), 1)
    net = TransverseIsingNetwork(J + J.T, rng.normal(0.0, 0.3, N), GAMMA, inputs=[0, 1], outputs=[N - 1])
    return net, SupervisedTask.boolean("and")


def through_the_rule(warm: bool) -> tuple[list[int], float, list[np.ndarray]]:
    """Matvecs per step, wall seconds per step and the gradients of STEPS training steps via QuantumEP + exact."""
    net, task = problem()
    sampler = get_sampler("exact")
    rule = QuantumEP(NUDGE, warm_start=warm, num_reads=100)
    matvecs, grads = [], []
    start = time.perf_counter()
    for step in range(STEPS):
        grad = rule.gradient(net, task, sampler, seed=step)
        matvecs.append(grad.num_matvecs)
        grads.append(grad.vector())
        net = net.with_parameters(net.parameter_vector() - LR * grad.vector())
    return matvecs, (time.perf_counter() - start) / STEPS, grads


def at_the_lanczos_level(warm: bool, parameters: list[np.ndarray]) -> list[int]:
    """The same phases with ``tfim.ground_state``: warm runs compute only the eigenpair EP needs (no gap)."""
    from qflow_exact import tfim

    base, task = problem()
    previous: dict[int, np.ndarray] = {}
    per_step = []
    for theta in parameters:
        net = base.with_parameters(theta)
        total = 0
        for index, (phase, cost) in enumerate(task.phases(net)):
            free = tfim.ground_state(phase.J, phase.h, phase.gamma, v0=previous.get(index) if warm else None)
            total += free.num_matvecs
            if warm:
                previous[index] = free.state
            start = free.state if warm else None
            for b in (NUDGE, -NUDGE):
                nudged = phase.nudged(cost, b)
                res = tfim.ground_state(nudged.J, nudged.h, nudged.gamma, v0=start)
                total += res.num_matvecs
                start = extrapolated_start(free.state, res.state) if warm else None  # as QuantumEP does for −b
        per_step.append(total)
    return per_step


def main() -> None:
    cold, cold_time, cold_grads = through_the_rule(warm=False)
    warm, warm_time, warm_grads = through_the_rule(warm=True)
    agreement = max(float(np.abs(a - b).max()) for a, b in zip(cold_grads, warm_grads, strict=True))
    thetas = []
    net, _ = problem()
    for grad in cold_grads:
        thetas.append(net.parameter_vector())
        net = net.with_parameters(net.parameter_vector() - LR * grad)
    lanczos_cold = at_the_lanczos_level(False, thetas)
    lanczos_warm = at_the_lanczos_level(True, thetas)
    phases = 4 * 3
    print(f"EP on exact, n = {N}, AND task (4 examples × 3 phases = {phases} ground states per step), {STEPS} steps")
    print(f"max |gradient(warm) − gradient(cold)| = {agreement:.2e}")
    print()
    print(f"{'measurement':44s} {'cold':>8s} {'warm':>8s} {'ratio':>7s}   per-step matvecs (warm)")
    rows = [
        ("rule + exact sampler: matvecs / step", np.mean(cold), np.mean(warm), warm),
        ("Lanczos level (eigenpair only): matvecs / step", np.mean(lanczos_cold), np.mean(lanczos_warm), lanczos_warm),
    ]
    for label, c, w, series in rows:
        print(f"{label:44s} {c:8.0f} {w:8.0f} {c / w:6.2f}×   {series}")
    print(f"{'rule + exact sampler: wall ms / step':44s} {cold_time * 1e3:8.0f} {warm_time * 1e3:8.0f} "
          f"{cold_time / warm_time:6.2f}×")  # fmt: skip
    # step 1 has no previous free state, so its free phases start cold: steady state = steps 2…
    steady_rule = np.mean(cold[1:]) / np.mean(warm[1:])
    steady_lanczos = np.mean(lanczos_cold[1:]) / np.mean(lanczos_warm[1:])
    print(f"steady state (steps 2–{STEPS}): rule + sampler {steady_rule:.2f}×, Lanczos level {steady_lanczos:.2f}×")
    print()
    for label, ratio in (("rule + exact sampler", np.mean(cold) / np.mean(warm)), ("Lanczos level", steady_lanczos)):
        print(f"goal ≥ 3× fewer matvecs with warm start, {label}: {'met' if ratio >= 3 else 'NOT met'} ({ratio:.2f}×)")


if __name__ == "__main__":
    main()
