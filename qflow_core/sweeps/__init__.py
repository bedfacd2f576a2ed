"""Sweeps: one spec, many tasks, run on Dask (a laptop's cores or a cluster), results in one SQLite store.

>>> from qflow_core.sweeps import Sweep
>>> sweep = Sweep("attention", fixed={"protocol": "boltzmann:beta=2", "num_reads": 200},
...               axes={"sampler": ["sa", "enum"], "num_keys": [3, 4]}, seeds=2)
>>> len(sweep.tasks())
8
"""

from qflow_core.sweeps.catalog import experiment_names, get_experiment, register_experiment
from qflow_core.sweeps.experiment import SweepExperiment
from qflow_core.sweeps.runner import SweepReport, run_sweep
from qflow_core.sweeps.spec import Sweep, Task, load_sweep

__all__ = [
    "Sweep",
    "SweepExperiment",
    "SweepReport",
    "Task",
    "experiment_names",
    "get_experiment",
    "load_sweep",
    "register_experiment",
    "run_sweep",
]
