"""Benchmark of the ``exact`` backend against QuSpin and QuTiP, side by side in one process.

Problem (as in /work/shared/notes/ed.md): dense J_ij ~ N(0,1)/√n, h_i ~ N(0,1), Γ = 0.5,
seed 12345 + 1000·n. Sections:

A. ground state (build + solve): ours (matrix-free + ARPACK, lowest *two* levels for the gap) vs QuSpin
   (``hamiltonian.eigsh``, k=1) and QuTiP (``groundstate(sparse=True)``); plus Lanczos warm starts
   (matvecs cold vs warm after a 1e-3 nudge of h_0, as in equilibrium propagation).
B. real-time evolution to t = 10 from |0…0⟩: ours (restarted Lanczos) vs QuSpin ``expm_multiply_parallel``
   and QuTiP ``sesolve`` (defaults), with the error of each against ours at tol 1e-13.
C. anneal, n = 14: H(s) = (1−s)(−ΣX)/2 + s·H_p/2 over T = 10 (the notes' anchor; in qflow units a schedule
   table A = 1−s, B = s and time_us = 10/(2π·10³)), ours (CF4) vs QuTiP ``sesolve``; error of both against
   ours at 4× the steps.

Competitors run single-threaded (OMP/OpenBLAS = 1, set below before any import), which the notes found to
be their fastest setting on this 2-core machine; ours limits BLAS itself. Needs ``pip install "qflow[bench]"``.
Run: ``.venv/bin/python benchmarks/bench_exact.py`` (about 5 minutes).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
from qflow_exact import tfim  # noqa: E402
from qflow_exact.anneal import anneal  # noqa: E402
from qflow_exact.krylov import evolve  # noqa: E402

from qflow_core.schedules import AnnealSchedule  # noqa: E402

GAMMA = 0.5


def problem(n: int):
    rng = np.random.default_rng(12345 + 1000 * n)
    J = np.triu(rng.normal(size=(n, n)) / np.sqrt(n), 1)
    return J + J.T, rng.normal(size=n)


def timed(fn):
    """(result, wall seconds) of one call."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def traced_peak(fn) -> float:
    """Peak bytes of numpy/Python allocations during a second, untimed call (tracemalloc slows the call)."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def quspin_hamiltonian(J, h, dtype=np.float64):
    from quspin.basis import spin_basis_1d
    from quspin.operators import hamiltonian

    n = h.size
    basis = spin_basis_1d(n, pauli=1)  # quspin site 0 is the most significant bit, "z" eigenvalue +1 ↔ up = bit 1
    zz = [[-J[i, j], i, j] for i in range(n) for j in range(i + 1, n)]
    static = [["zz", zz], ["z", [[-h[i], i] for i in range(n)]], ["x", [[-GAMMA, i] for i in range(n)]]]
    kw = {"check_herm": False, "check_symm": False, "check_pcon": False}
    return hamiltonian(static, [], basis=basis, dtype=dtype, **kw)


def qutip_hamiltonian(J, h):
    import qutip

    n = h.size
    ops = {
        name: [qutip.tensor([op if k == i else qutip.qeye(2) for k in range(n)]) for i in range(n)]
        for name, op in (("x", qutip.sigmax()), ("z", qutip.sigmaz()))
    }
    H = sum(-GAMMA * ops["x"][i] - h[i] * ops["z"][i] for i in range(n))
    for i in range(n):
        for j in range(i + 1, n):
            H = H - J[i, j] * ops["z"][i] * ops["z"][j]
    return H.to("CSR")


def section_a(sizes, qutip_sizes):

    print("\nA. ground state, build + solve [s] (ratio = ours / best competitor)")
    print(f"{'n':>3} {'ours':>8} {'quspin':>8} {'qutip':>8} {'ratio':>6} {'|dE|':>9} {'ours peak':>10} {'matvecs':>8}")
    for n in sizes:
        J, h = problem(n)
        ours, t_ours = timed(lambda J=J, h=h: tfim.ground_state(J, h, GAMMA))
        peak = traced_peak(lambda J=J, h=h: tfim.ground_state(J, h, GAMMA))
        (e_qs, _), t_qs = timed(lambda J=J, h=h: quspin_hamiltonian(J, h).eigsh(k=1, which="SA"))
        times = {"quspin": t_qs}
        e_ref = float(e_qs[0])
        t_qt = float("nan")
        if n in qutip_sizes:
            _, t_qt = timed(lambda J=J, h=h: qutip_hamiltonian(J, h).groundstate(sparse=True))
            times["qutip"] = t_qt
        ratio = t_ours / min(times.values())
        print(
            f"{n:>3} {t_ours:8.2f} {t_qs:8.2f} {t_qt:8.2f} {ratio:6.2f} {abs(ours.energy - e_ref):9.1e} "
            f"{peak / 2**20:8.0f}Mi {ours.num_matvecs:>8}"
        )
    print("   warm starts (h_0 nudged by 1e-3; warm = state only, gap deferred):")
    for n in sizes:
        J, h = problem(n)
        free = tfim.ground_state(J, h, GAMMA)
        nudged = h.copy()
        nudged[0] += 1e-3
        cold = tfim.ground_state(J, nudged, GAMMA)
        warm = tfim.ground_state(J, nudged, GAMMA, v0=free.state)
        print(
            f"   n={n}: cold {cold.num_matvecs} matvecs, warm {warm.num_matvecs} "
            f"({cold.num_matvecs / warm.num_matvecs:.1f}x fewer), |dE| = {abs(cold.energy - warm.energy):.1e}"
        )


def section_b(sizes):
    import qutip
    from quspin.tools.evolution import expm_multiply_parallel

    print("\nB. real-time evolution to t = 10 [s] (ratio = ours / best competitor; errors vs ours at tol 1e-13)")
    header = f"{'n':>3} {'ours':>8} {'quspin':>8} {'qutip':>8} {'ratio':>6} {'err ours':>9} {'err qs':>9}"
    print(header + f" {'err qt':>9} {'ours peak':>10}")
    for n in sizes:
        J, h = problem(n)
        psi0 = np.zeros(2**n, dtype=complex)
        psi0[0] = 1.0

        def ours_run(J=J, h=h, psi0=psi0, n=n):
            return evolve(tfim.TFIMOperator(tfim.diagonal_energies(J, h), np.full(n, GAMMA)), psi0, 10.0).state

        ref = evolve(tfim.TFIMOperator(tfim.diagonal_energies(J, h), np.full(n, GAMMA)), psi0, 10.0, tol=1e-13).state
        psi, t_ours = timed(ours_run)
        peak = traced_peak(ours_run)

        def quspin_run(J=J, h=h, psi0=psi0):
            H = quspin_hamiltonian(J, h, np.complex128).tocsr()
            return expm_multiply_parallel(H, a=-10j).dot(psi0.copy())

        psi_qs, t_qs = timed(quspin_run)

        def qutip_run(J=J, h=h, psi0=psi0, n=n):
            H = qutip_hamiltonian(J, h)
            ket = qutip.Qobj(psi0, dims=[[2] * n, [1] * n])
            return qutip.sesolve(H, ket, [0, 10.0], options={"nsteps": 10**9}).states[-1].full().ravel()

        psi_qt, t_qt = timed(qutip_run)
        ratio = t_ours / min(t_qs, t_qt)
        errs = [np.linalg.norm(x - ref) for x in (psi, psi_qs, psi_qt)]
        print(
            f"{n:>3} {t_ours:8.2f} {t_qs:8.2f} {t_qt:8.2f} {ratio:6.2f} "
            + " ".join(f"{e:9.1e}" for e in errs)
            + f" {peak / 2**20:8.0f}Mi"
        )


def section_c(n):
    import qutip

    print(f"\nC. anneal n = {n}: H(s) = (1−s)(−ΣX)/2 + s·H_p/2, T = 10 [s]")
    J, h = problem(n)
    s_grid = np.linspace(0, 1, 101)
    table = np.column_stack([s_grid, np.maximum(1 - s_grid, 1e-9), np.maximum(s_grid, 1e-9)])
    schedule = AnnealSchedule.from_table(table)
    time_us = 10 / (2 * np.pi * 1e3)
    energies = tfim.diagonal_energies(J, h)
    res, t_ours = timed(lambda: anneal(energies, schedule, time_us))
    peak = traced_peak(lambda: anneal(energies, schedule, time_us))
    fine = anneal(energies, schedule, time_us, steps=4 * res.steps)

    def qutip_run():
        X = qutip_hamiltonian(np.zeros_like(J), np.zeros(n))  # −Γ Σ X with Γ = 0.5 → (−ΣX)/2
        Hp = qutip.Qobj(np.diag(energies), dims=[[2] * n, [2] * n]).to("CSR")
        H = qutip.QobjEvo([[X, lambda t: 1 - t / 10], [0.5 * Hp, lambda t: t / 10]])
        plus = qutip.Qobj(np.full(2**n, 2 ** (-n / 2), dtype=complex), dims=[[2] * n, [1] * n])
        return qutip.sesolve(H, plus, [0, 10.0], options={"nsteps": 10**9}).states[-1].full().ravel()

    psi_qt, t_qt = timed(qutip_run)
    err_ours = np.abs(np.abs(res.state) ** 2 - np.abs(fine.state) ** 2).max()
    err_qt = np.abs(np.abs(psi_qt) ** 2 - np.abs(fine.state) ** 2).max()
    print(
        f"   ours {t_ours:.2f} s ({res.steps} CF4 steps, {res.num_matvecs} matvecs, peak {peak / 2**20:.0f} MiB), "
        f"qutip sesolve {t_qt:.2f} s, ratio {t_ours / t_qt:.2f}"
    )
    print(f"   max population error vs ours at 4x steps: ours {err_ours:.1e}, qutip {err_qt:.1e}")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    warm_j, warm_h = problem(8)  # untimed warm-up: imports, numba cache load, first ARPACK call
    tfim.ground_state(warm_j, warm_h, GAMMA)
    evolve(tfim.TFIMOperator(tfim.diagonal_energies(warm_j, warm_h), GAMMA), np.eye(256)[0], 1.0)
    section_a([14, 16] if quick else [16, 18, 20], [14, 16] if quick else [16, 18])
    section_b([12, 14] if quick else [16, 18])
    section_c(10 if quick else 14)
    print(
        f"\nprocess peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB "
        "(includes QuSpin/QuTiP); 'ours peak' = numpy allocations traced by tracemalloc"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
