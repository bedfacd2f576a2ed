"""Write docs/performance.md and the README's performance table from the benchmarks' own output.

Reads ``docs/performance.json`` (written by ``bench_exact_groundstate.py``; its ``--scale`` run adds the
large-n section) and the headline figures the other benchmarks leave in ``benchmarks/results/`` (see
:mod:`figures`), and writes both pages — machine, threads, dates and every peer named — so no number in them
is typed by hand. The README's table sits between two marker comments and is replaced in place. Run:
``python benchmarks/make_performance_table.py [--print | --check]`` (``--print``: the page to stdout;
``--check``: exit 1 if either file differs from what the results give).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from figures import load_figures

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "performance.json"
OUTPUT = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"
BEGIN = "<!-- performance table: written by benchmarks/make_performance_table.py, do not edit -->"
END = "<!-- end of performance table -->"


def _s(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _load(machine: dict) -> str:
    load = machine.get("load_average")
    return "not recorded" if not load else f"{load[0]:.1f}"


def ground_state_table(rows: list[dict], peers: list[str]) -> list[str]:
    quspin = any("quspin_s" in r for r in rows)
    head = '| n | `get_sampler("exact").run` | solver direct | scipy CSR + `eigsh` |'
    rule = "|---|---|---|---|"
    if quspin:
        head += " QuSpin `eigsh` |"
        rule += "---|"
    head += " sampler / scipy | direct / scipy | max abs ΔE |"
    rule += "---|---|---|"
    lines = [head, rule]
    for r in rows:
        cells = [str(r["n"]), _s(r["sampler_s"]), _s(r["direct_s"]), _s(r["scipy_s"])]
        if quspin:
            cells.append(_s(r["quspin_s"]) if "quspin_s" in r else "—")
        cells += [f"**{r['sampler_over_scipy']:.2f}**", f"{r['direct_over_scipy']:.2f}", f"{r['max_abs_dE']:.1e}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def products_table(rows: list[dict]) -> list[str]:
    lines = ["| n | ours (Lanczos, E0 + state) | ARPACK `tol=0` | ratio | ARPACK, matched tolerance | ratio |"]
    lines.append("|---|---|---|---|---|---|")
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['ours']} | {r['arpack_tol0']} | {r['ours'] / r['arpack_tol0']:.2f} | "
            f"{r['arpack_matched']} | {r['ours'] / r['arpack_matched']:.2f} |"
        )
    return lines


def product_time_table(rows: list[dict]) -> list[str]:
    lines = ["| n | floor (24 B/number) | ours, real | × floor | ours, complex | scipy CSR, real |"]
    lines.append("|---|---|---|---|---|---|")
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['floor_ms']:.2f} ms | {r['real_ms']:.2f} ms | {r['real_ms'] / r['floor_ms']:.1f} | "
            f"{r['complex_ms']:.2f} ms | {r['csr_ms']:.2f} ms |"
        )
    return lines


def rss_table(rows: list[dict]) -> list[str]:
    lines = ["| n | through the sampler | solver direct | scipy CSR + `eigsh` | sampler / direct |"]
    lines.append("|---|---|---|---|---|")
    for r in rows:
        cells = [f"{r[m]['peak_mib']:.0f} MiB" for m in ("sampler", "direct", "scipy")]
        lines.append(f"| {r['n']} | " + " | ".join(cells) + f" | {r['sampler_over_direct']:.2f} |")
    return lines


def scale_table(rows: list[dict]) -> list[str]:
    lines = [
        "| n | ground state | products | time / product | × per +2 spins | evolution t = 0.1 | products "
        "| time / product | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        factor = f"{r['factor_ground']:.1f} (product {r['factor_product']:.1f})" if "factor_ground" in r else "—"
        lines.append(
            f"| {r['n']} | {_s(r['ground_s'])} | {r['ground_products']} | {r['ground_ms_per_product']:.0f} ms | "
            f"{factor} | {_s(r['evolve_s'])} | {r['evolve_products']} | {r['evolve_ms_per_product']:.0f} ms | "
            f"{r['peak_rss_gib']:.1f} GiB |"
        )
    return lines


def _x(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio < 1 else f"{ratio:.1f}×"


def _span(values: list[float], unit: str = " s") -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.1f}{unit}" if f"{lo:.1f}" == f"{hi:.1f}" else f"{lo:.1f}–{hi:.1f}{unit}"


def exact_rows(results: dict) -> list[list[str]]:
    by_n = {r["n"]: r for r in results["ground_state"]}
    big = [by_n[n] for n in (18, 20) if n in by_n]
    cells = [f"**{_x(r['sampler_over_scipy'])}** at n = {r['n']}" for r in big]
    last = big[-1]
    cells[-1] += f" ({_s(last['sampler_s'])} vs {_s(last['scipy_s'])})"
    if "quspin_s" in last:
        cells.append(f"**{_x(last['sampler_s'] / last['quspin_s'])}** QuSpin's at n = {last['n']}")
    worst = max(r["sampler_over_scipy"] for r in results["ground_state"] if r["n"] >= 8)
    cells.append(f"at most {_x(worst)} scipy's from n = 8")
    rss = max(r["sampler_over_direct"] for r in results["rss"])
    products = max(r["ours"] / r["arpack_matched"] for r in results["products"])
    floor = {r["n"]: r["real_ms"] / r["floor_ms"] for r in results["product_time"]}
    cells += [f"peak memory {rss:.2f}× the direct solver's", f"products ≤ {products:.2f}× ARPACK's"]
    if 20 in floor:
        cells.append(f"one product {floor[20]:.1f}× the memory-bandwidth floor at n = 20")
    peers = "scipy CSR + ARPACK `eigsh`" + ("; QuSpin `eigsh`" if "quspin_s" in last else "")
    rows = [['ground state through `get_sampler("exact").run` (`bench_exact_groundstate.py`)', peers, "; ".join(cells)]]
    if "scale" in results:
        scale = results["scale"]
        sizes = ", ".join(str(r["n"]) for r in scale)
        ground = " / ".join(f"{r['ground_s']:.3g}" for r in scale) + " s"
        evolve = " / ".join(f"{r['evolve_s']:.3g}" for r in scale) + " s"
        factors = ", ".join(f"×{r['factor_ground']:.1f}" for r in scale if "factor_ground" in r)
        rows.append(
            [
                f"ground state / evolution at n = {sizes} (`--scale`)",
                "4× per +2 spins",
                f"ground state {ground} ({factors} per +2 spins), evolution to t = 0.1 {evolve}; "
                f"peak {scale[-1]['peak_rss_gib']:.1f} GiB",
            ]
        )
    return rows


def other_rows() -> list[list[str]]:
    rows = []
    if sqa := load_figures("sqa"):
        f = sqa["figures"]
        same = ", ".join(f"**{_x(v)}** (n = {n})" for n, v in f["throughput_over_openjij"]["qflow"].items())
        rows.append(
            [
                "`sqa` slice-spin updates (`bench_sqa.py`)",
                "OpenJij `SQASampler`, same moves",
                f"{same}; {_x(f['time_to_accuracy_over_openjij'])} faster to equilibrium accuracy",
            ]
        )
    if mock := load_figures("mock_sqa"):
        f = mock["figures"]
        standard = f["seconds"]["standard"]
        rows.append(
            [
                f"`dwave-mock`, {f['reads']} reads of the embedded M = 8 map (`bench_mock_sqa.py`)",
                "thermal vs sqa substitute",
                f"{standard['sa']:.2f} s vs {standard['sqa']:.2f} s (standard anneal)",
            ]
        )
    if sweep := load_figures("sweep"):
        f = sweep["figures"]
        rss = f["client_rss_mib"]
        rows.append(
            [
                "64-task SA sweep on Dask (`bench_sweep.py`)",
                "1 worker; a plain loop",
                f"2 workers **{_x(f['speedup_2_over_1'])}** faster than 1 ({f['cores_obtained_2']:.2f} cores "
                f"obtained); 1 worker {f['workers_s']['1'] / f['loop_s']:.2f}× the loop's time; "
                f"{f['overhead_ms_per_task']:.2f} ms overhead per task; client peak RSS {rss['64']:.0f} MiB for 64 "
                f"and {rss['1024']:.0f} MiB for 1024 tasks; BLAS unpinned {_x(f['unpinned_over_pinned'])} slower",
            ]
        )
    if cli := load_figures("cli_startup"):
        medians = cli["figures"]["median_s"]
        rows.append(
            [
                "start-up (`bench_cli_startup.py`)",
                "budget 0.5 s",
                " · ".join(f"`{label}` {seconds:.3f} s" for label, seconds in medians.items()),
            ]
        )
    if job := load_figures("main_job"):
        f = job["figures"]
        rows.append(
            [
                "the main job, `qflow compare` (`bench_main_job.py`)",
                "budget 20 s",
                f"**{_span(f['wall_s'])}** wall, {_span(f['cpu_s'])} CPU ({len(f['wall_s'])} runs)",
            ]
        )
    return rows


def summary_table(results: dict) -> list[str]:
    """The README's table: one row per benchmark, its peer, and the figures it measured; then where and when."""
    lines = ["| what | against | measured |", "|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in exact_rows(results) + other_rows()]
    records = [load_figures(name) for name in ("sqa", "mock_sqa", "sweep", "cli_startup", "main_job")]
    machines = [results["machine"], *(r["machine"] for r in records if r)]
    dates = sorted({m["date"] for m in machines})
    m = results["machine"]
    lines += [
        "",
        f"Measured on {m['cpu']}, {m['cores']} cores, threads pinned to one, "
        f"{dates[0] if len(dates) == 1 else dates[0] + ' to ' + dates[-1]}; load averages at the start "
        f"{min(mm['load_average'][0] for mm in machines):.1f}–{max(mm['load_average'][0] for mm in machines):.1f}.",
    ]
    return lines


def render(results: dict) -> str:
    m = results["machine"]
    peers = results.get("peers", ["scipy CSR + eigsh (ARPACK)"])
    threads = ", ".join(f"{k}={v}" for k, v in m["threads"].items())
    out = [
        "# Performance of the exact backend",
        "",
        "Generated by `benchmarks/make_performance_table.py` from the output of",
        "`benchmarks/bench_exact_groundstate.py` — regenerate both rather than editing this page.",
        "",
        f"* **Machine:** {m['cpu']}, {m['cores']} cores (shared with other jobs; load average at the start "
        f"{_load(m)}); Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}.",
        f"* **Threads:** pinned to one ({threads}).",
        f"* **Date:** {m['date']}.",
        f"* **Peers:** {', '.join(peers)}"
        + ("" if any("QuSpin" in p for p in peers) else "; QuSpin was not installed, so it is not compared")
        + ".",
        "* **Problem:** dense J_ij ~ N(0,1)/√n, h_i ~ N(0,1), Γ = 0.5 (seed 12345 + 1000·n); every time is the "
        "minimum CPU time of 3 interleaved runs in one process.",
        "",
    ]
    out += [f"* **Remark:** {remark}" for remark in results.get("remarks", [])]
    out += [""] if results.get("remarks") else []
    if "ground_state" in results:
        out += ["## Ground state through the user path", ""]
        out += ground_state_table(results["ground_state"], peers)
        out += [
            "",
            '`get_sampler("exact").run(bqm, GroundState(0.5), num_reads=1000)` returns all 2^n states with their',
            "probabilities; the peer computes the ground-state energy and vector only.",
            "",
        ]
    if "products" in results:
        out += ["## Matrix–vector products per ground state", "", *products_table(results["products"]), ""]
    if "product_time" in results:
        out += ["## One product H·x", "", *product_time_table(results["product_time"])]
        out += [
            "",
            "The floor is the time of `np.multiply(x, d, out=y)` on the same vectors: it moves the 24 bytes per",
            "number that a real product must move at least (read x and the diagonal, write y).",
            "",
        ]
    if "rss" in results:
        out += ["## Peak memory of one call (fresh process, includes the interpreter and imports)", ""]
        out += [*rss_table(results["rss"]), ""]
    out += ["## Every benchmark's headline figures (the README's table)", "", *summary_table(results), ""]
    if "scale" in results:
        sm = results.get("scale_machine", m)
        out += [
            "## Large n, matrix-free (wall time, one run each)",
            "",
            f"Run on {sm['date']} (load average at the start {_load(sm)}); the ground state skips the",
            "gap, the evolution runs to t = 0.1 from |0…0⟩ with the default Krylov dimension (30) and tolerance.",
            "",
            *scale_table(results["scale"]),
            "",
        ]
    return "\n".join(out)


def readme_with_table(readme: str, results: dict) -> str:
    """``readme`` with the text between the two markers replaced by :func:`summary_table`."""
    head, found, rest = readme.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"README.md has no performance-table markers: put {BEGIN!r} and {END!r} where it goes")
    return head + BEGIN + "\n" + "\n".join(summary_table(results)) + "\n" + END + tail


def main(argv: list[str]) -> int:
    results = json.loads(RESULTS.read_text())
    page, readme = render(results), readme_with_table(README.read_text(), results)
    if "--print" in argv:
        print(page)
        return 0
    if "--check" in argv:
        stale = [p.name for p, text in ((OUTPUT, page), (README, readme)) if p.read_text() != text]
        if stale:
            print(f"out of date: {', '.join(stale)}; run python benchmarks/make_performance_table.py")
        return 1 if stale else 0
    for path, text in ((OUTPUT, page), (README, readme)):
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
