"""Start-up time of ``qflow --version``, ``qflow --help`` and ``qflow plugins`` (goal: each < 0.5 s).

Each command runs as a fresh ``python -m qflow_core.cli`` process, alternating with a bare ``python -c pass``
baseline in the same rounds so machine load hits both alike; printed are the median wall time of each command,
its median ratio to the bare interpreter, and the modules that dominate ``python -X importtime``.
Run: ``python benchmarks/bench_cli_startup.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from figures import save_figures

COMMANDS = (["--version"], ["--help"], ["plugins"])
ROUNDS = 5


def wall(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *argv], capture_output=True, check=True, env={**os.environ, "MPLBACKEND": "Agg"})
    return time.perf_counter() - t0


def heaviest(argv: list[str], count: int = 4) -> str:
    """The top-level imports with the largest cumulative time (``-X importtime``), in ms."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "qflow_core.cli", *argv], capture_output=True, text=True, check=True
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            rows.append((int(parts[1]), parts[2].strip()))
    return ", ".join(f"{name} {us / 1e3:.0f}" for us, name in sorted(rows, reverse=True)[:count])


def main() -> None:
    medians = {}
    for argv in COMMANDS:
        times, ratios = [], []
        for _ in range(ROUNDS):
            bare = wall(["-c", "pass"])
            spent = wall(["-m", "qflow_core.cli", *argv])
            times.append(spent)
            ratios.append(spent / bare)
        label = "qflow " + " ".join(argv)
        print(
            f"{label:16s} median {statistics.median(times):.3f} s ({statistics.median(ratios):.1f}x bare python)"
            f" | heaviest imports (ms): {heaviest(argv)}"
        )
        medians[label] = statistics.median(times)
    save_figures("cli_startup", {"median_s": medians, "rounds": ROUNDS})


if __name__ == "__main__":
    main()
