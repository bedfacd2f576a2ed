"""Ground states through the user path, ``get_sampler("exact").run(bqm, GroundState(0.5))``, against its peers.

Problem: dense J_ij ~ N(0,1)/√n, h_i ~ N(0,1), Γ = 0.5, seed 12345 + 1000·n (the same family as
bench_exact.py). Peers, each run in this process, interleaved, threads pinned to 1, **min of 3** CPU times
(``time.process_time``; the machine is shared, and CPU time is the least load-sensitive measure):

* ``scipy`` — scipy CSR (built with bit operations, :func:`qflow_exact.tfim.hamiltonian`) + ``eigsh(k=1,
  which="SA")`` — the fastest peer on the reference machine;
* ``quspin`` — ``hamiltonian.eigsh`` when QuSpin is importable (it is skipped, and the output says so, if not);
* ``direct`` — :func:`qflow_exact.tfim.ground_state` (our solver without the sampler around it).

Sections: (A) times and ratios sampler/scipy, direct/scipy; (B) H·v products of our Lanczos vs ARPACK on the
same operator (``tol=0``, and at a tolerance matched to ours); (C) one product at each n against the
memory-bandwidth floor (24 bytes per number for the real ground-state product: read x and d, write y, at the
streaming rate of ``np.multiply(x, d, out=y)`` measured here); (D) peak RSS of one call in a fresh process
(sampler vs direct vs scipy); (E, ``--scale``) time per product and total time at n = 22, 24, 26 for the
ground state and a short real-time evolution, with the factor per +2 spins (run it once: minutes, GiB).

Writes ``docs/performance.json``; ``benchmarks/make_performance_table.py`` turns it into
``docs/performance.md``. Run: ``python benchmarks/bench_exact_groundstate.py [--quick] [--scale [--26]]
[--rss-only] [--product-only]`` (the last three run one section only and update it in the results file).
"""

from __future__ import annotations

from figures import machine, pin_threads

pin_threads()

import itertools  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse.linalg as sla  # noqa: E402
from qflow_exact import lanczos, tfim  # noqa: E402
from qflow_exact.krylov import evolve  # noqa: E402

from qflow_core.models.memory import IsingMemory  # noqa: E402
from qflow_core.protocols import GroundState  # noqa: E402
from qflow_core.registry import get_sampler  # noqa: E402

GAMMA = 0.5
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "performance.json"


def problem(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(12345 + 1000 * n)
    J = np.triu(rng.normal(size=(n, n)) / np.sqrt(n), 1)
    return J + J.T, rng.normal(size=n)


def quspin_eigsh() -> Callable | None:
    try:
        from quspin.basis import spin_basis_1d
        from quspin.operators import hamiltonian
    except ImportError:
        return None

    def solve(J, h):
        n = h.size
        basis = spin_basis_1d(n, pauli=1)  # its state index equals ours (up = bit 0 ↔ site 0 most significant)
        zz = [[-J[i, j], i, j] for i in range(n) for j in range(i + 1, n)]
        static = [["zz", zz], ["z", [[-h[i], i] for i in range(n)]], ["x", [[-GAMMA, i] for i in range(n)]]]
        kw = {"check_herm": False, "check_symm": False, "check_pcon": False}
        return float(hamiltonian(static, [], basis=basis, dtype=np.float64, **kw).eigsh(k=1, which="SA")[0][0])

    return solve


def methods_for(n: int) -> dict[str, Callable[[], float]]:
    J, h = problem(n)
    bqm = IsingMemory(J, h).to_bqm()
    sampler = get_sampler("exact")
    out = {
        "sampler": lambda: sampler.run(bqm, GroundState(GAMMA), num_reads=1000, seed=1).info["qflow"]["backend"][
            "energy"
        ],
        "direct": lambda: tfim.ground_state(J, h, GAMMA).energy,
        "scipy": lambda: float(sla.eigsh(tfim.hamiltonian(J, h, GAMMA), k=1, which="SA")[0][0]),
    }
    qs = quspin_eigsh()
    if qs is not None:
        out["quspin"] = lambda: qs(J, h)
    return out


def min_cpu(methods: dict[str, Callable[[], float]], repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    """Round-robin ``repeats`` times; (min CPU seconds, last result) per method."""
    cpu = {k: [] for k in methods}
    result = {}
    for _ in range(repeats):
        for name, fn in methods.items():
            c0 = time.process_time()
            result[name] = fn()
            cpu[name].append(time.process_time() - c0)
    return {k: min(v) for k, v in cpu.items()}, result


def section_a(sizes: list[int]) -> list[dict]:
    print("\nA. ground state, CPU s (min of 3, interleaved); ratio = ours / scipy CSR + eigsh")
    if quspin_eigsh() is None:
        print("   QuSpin is not importable here: its column is left out")
    rows = []
    for n in sizes:
        cpu, res = min_cpu(methods_for(n), 3)
        d_e = max(abs(res[k] - res["scipy"]) for k in res)
        row = {"n": n, **{f"{k}_s": v for k, v in cpu.items()}, "max_abs_dE": d_e}
        row["sampler_over_scipy"] = cpu["sampler"] / cpu["scipy"]
        row["direct_over_scipy"] = cpu["direct"] / cpu["scipy"]
        if "quspin" in cpu:
            row["sampler_over_quspin"] = cpu["sampler"] / cpu["quspin"]
        rows.append(row)
        qs = f" quspin {cpu['quspin']:8.3f}" if "quspin" in cpu else ""
        print(
            f"   n={n:>2}: sampler {cpu['sampler']:8.3f} direct {cpu['direct']:8.3f} scipy {cpu['scipy']:8.3f}{qs}"
            f" | sampler/scipy {row['sampler_over_scipy']:.2f} direct/scipy {row['direct_over_scipy']:.2f}"
            f" | |dE| {d_e:.1e}"
        )
    return rows


def section_b(sizes: list[int]) -> list[dict]:
    print("\nB. H·v products for E0 and the ground state: our Lanczos (gap=False) vs ARPACK k=1 on the same operator")
    rows = []
    for n in sizes:
        J, h = problem(n)
        d, g = tfim.diagonal_energies(J, h), np.full(n, GAMMA)
        _, _, ours = lanczos.lean_ground_state(d, g, 0.0, gap=False)
        w0, _, arpack0 = lanczos.arpack_eigenpairs(d, g, 1, None, 0.0)
        lo, hi = tfim.TFIMOperator(d, g).spectral_bounds()
        matched = lanczos.LEAN_RESIDUAL * max(abs(lo), abs(hi)) / abs(w0[0])  # ARPACK: ‖r‖ ≤ tol·|θ|
        _, _, arpack_m = lanczos.arpack_eigenpairs(d, g, 1, None, matched)
        rows.append({"n": n, "ours": ours, "arpack_tol0": arpack0, "arpack_matched": arpack_m})
        print(
            f"   n={n:>2}: ours {ours:>4}  ARPACK tol=0 {arpack0:>4} (ratio {ours / arpack0:.2f})  "
            f"ARPACK tol={matched:.1e} {arpack_m:>4} (ratio {ours / arpack_m:.2f})"
        )
    return rows


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * min(times)


def section_c(sizes: list[int]) -> list[dict]:
    print("\nC. one real product H·x against the bandwidth floor (24 B/number at the rate of np.multiply here)")
    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        x, d = rng.normal(size=2**n), rng.normal(size=2**n)
        y, xc, yc = np.empty_like(x), x + 1j * x, np.empty(2**n, dtype=complex)
        op = tfim.TFIMOperator(d, np.full(n, GAMMA))
        csr = tfim.hamiltonian(np.zeros((n, n)), np.zeros(n), GAMMA)
        repeats = 9 if n <= 20 else 3
        floor = best_ms(lambda x=x, d=d, y=y: np.multiply(x, d, out=y), repeats)
        product = best_ms(lambda x=x, y=y, op=op: op.apply(x, out=y), repeats)
        complex_product = best_ms(lambda xc=xc, yc=yc, op=op: op.apply(xc, out=yc), repeats)
        csr_ms = best_ms(lambda csr=csr, x=x: csr @ x, repeats)
        rows.append({"n": n, "floor_ms": floor, "real_ms": product, "complex_ms": complex_product, "csr_ms": csr_ms})
        print(
            f"   n={n:>2}: floor {floor:7.2f} ms  ours real {product:7.2f} ms ({product / floor:.1f}x floor)  "
            f"complex {complex_product:7.2f} ms  scipy CSR real {csr_ms:7.2f} ms"
        )
    return rows


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM; unlike ``ru_maxrss`` it is not inherited across fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_child(method: str, n: int) -> None:
    """One call of ``method`` at size n after a warm-up at n = 8; prints the peak RSS in MiB."""
    methods_for(8)[method]()
    base = peak_rss_mib()
    methods_for(n)[method]()
    print(json.dumps({"peak_mib": peak_rss_mib(), "before_mib": base}))


def section_d(sizes: list[int]) -> list[dict]:
    print("\nD. peak RSS of one call in a fresh process (MiB; in brackets: after imports and warm-up)")
    rows = []
    for n in sizes:
        row = {"n": n}
        for method in ("sampler", "direct", "scipy"):
            out = subprocess.run(
                [sys.executable, __file__, "--rss", method, str(n)], capture_output=True, text=True, check=True
            )
            row[method] = json.loads(out.stdout.strip().splitlines()[-1])
        row["sampler_over_direct"] = row["sampler"]["peak_mib"] / row["direct"]["peak_mib"]
        rows.append(row)
        cells = "  ".join(
            f"{m} {row[m]['peak_mib']:.0f} ({row[m]['before_mib']:.0f})" for m in ("sampler", "direct", "scipy")
        )
        print(f"   n={n:>2}: {cells}  sampler/direct {row['sampler_over_direct']:.2f}")
    return rows


def section_e(sizes: list[int], evolve_time: float, save: Callable[[list[dict]], None]) -> list[dict]:
    print(f"\nE. large n, matrix-free: ground state (gap=False) and evolution to t = {evolve_time} from |0…0⟩ (wall s)")
    rows = []
    for n in sizes:
        J, h = problem(n)
        t0 = time.perf_counter()
        products = tfim.ground_state(J, h, GAMMA).num_matvecs  # the state is dropped before the evolution
        gs = time.perf_counter() - t0
        op = tfim.TFIMOperator(tfim.diagonal_energies(J, h), np.full(n, GAMMA))
        psi0 = np.zeros(2**n)  # real: evolve makes its own complex copy
        psi0[0] = 1.0
        t0 = time.perf_counter()
        ev_products = evolve(op, psi0, evolve_time).num_matvecs
        ev_s = time.perf_counter() - t0
        del psi0, op
        peak = peak_rss_mib() / 1024
        row = {
            "n": n,
            "ground_s": gs,
            "ground_products": products,
            "ground_ms_per_product": 1e3 * gs / products,
            "evolve_s": ev_s,
            "evolve_products": ev_products,
            "evolve_ms_per_product": 1e3 * ev_s / ev_products,
            "peak_rss_gib": peak,
        }
        rows.append(row)
        print(
            f"   n={n:>2}: ground state {gs:8.1f} s, {products} products, {row['ground_ms_per_product']:.0f} ms each;"
            f" evolution {ev_s:8.1f} s, {ev_products} products, {row['evolve_ms_per_product']:.0f} ms each;"
            f" peak RSS {peak:.1f} GiB",
            flush=True,
        )
        save(rows)  # a long run keeps what it measured so far
    for a, b in itertools.pairwise(rows):
        if b["n"] == a["n"] + 2:
            b["factor_ground"] = b["ground_s"] / a["ground_s"]
            b["factor_product"] = b["ground_ms_per_product"] / a["ground_ms_per_product"]
            print(
                f"   n={a['n']}→{b['n']}: total ×{b['factor_ground']:.1f}, per product ×{b['factor_product']:.1f} "
                "(4× expected from the vector length)"
            )
    return rows


def main(argv: list[str]) -> int:
    if argv[:1] == ["--rss"]:
        rss_child(argv[1], int(argv[2]))
        return 0
    quick = "--quick" in argv
    methods_for(8)["sampler"]()  # warm-up: imports, numba cache, first ARPACK call
    methods_for(8)["scipy"]()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    key = {"--scale": "scale_machine", "--rss-only": "rss_machine", "--product-only": "product_machine"}.get(
        next((a for a in argv if a in ("--scale", "--rss-only", "--product-only")), ""), "machine"
    )
    results[key] = machine()  # each kind of run records its own machine state (load, date)
    if "--rss-only" in argv:
        results["rss"] = section_d([18, 20])
    elif "--product-only" in argv:
        results["product_time"] = section_c([16, 18, 20, 22])
    elif "--scale" in argv:

        def save(rows: list[dict]) -> None:
            RESULTS.write_text(json.dumps({**results, "scale": rows}, indent=1, default=float))

        results["scale"] = section_e([22, 24, 26] if "--26" in argv else [22, 24], 0.1, save)
    else:
        sizes = [8, 10, 12, 14] if quick else [8, 10, 12, 14, 16, 18, 20]
        results["ground_state"] = section_a(sizes)
        results["products"] = section_b(sizes[-3:])
        results["product_time"] = section_c([16, 18, 20] if not quick else [12, 14])
        results["rss"] = section_d([18, 20] if not quick else [12])
        results["peers"] = ["scipy CSR + eigsh (ARPACK)"] + (["QuSpin eigsh"] if quspin_eigsh() else [])
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, default=float))
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
