"""Where the benchmarks leave their headline figures: one JSON file per benchmark in ``benchmarks/results/``.

Each file holds the figures a benchmark measured, the machine it ran on (CPU, cores, thread pins, load average,
date) and the command line, so that ``make_performance_table.py`` writes the README's performance table and
``docs/performance.md`` from measurements only — no number in either is typed by hand.

>>> sorted(machine())
['cores', 'cpu', 'date', 'load_average', 'numpy', 'python', 'scipy', 'threads']
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def pin_threads() -> None:
    """Pin BLAS, OpenMP and numba to one thread unless the caller chose otherwise (call before importing them)."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def machine() -> dict:
    """What the figures were measured on: CPU model, cores, versions, thread pins, load average and date."""
    import numpy as np  # here, not at the top: importing this module must not load BLAS before pin_threads
    import scipy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "threads": {k: os.environ.get(k) for k in THREAD_VARIABLES},
        "date": datetime.date.today().isoformat(),
        "load_average": os.getloadavg(),
    }


def save_figures(benchmark: str, figures: dict) -> Path:
    """Write ``results/<benchmark>.json`` (figures, machine, command) atomically; returns its path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{benchmark}.json"
    record = {"figures": figures, "machine": machine(), "command": " ".join(["python", *sys.argv])}
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(record, indent=1, default=float) + "\n")
    os.replace(partial, path)
    print(f"wrote {path}")
    return path


def load_figures(benchmark: str) -> dict | None:
    """The record ``save_figures`` wrote for ``benchmark``, or None when that benchmark has not been run."""
    path = RESULTS_DIR / f"{benchmark}.json"
    return json.loads(path.read_text()) if path.exists() else None
