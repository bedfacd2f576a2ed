"""The experiments a sweep can run: the built-in ones and those registered by plugins.

A :class:`SweepExperiment` turns one task's arguments and seed into an experiment result, lists the argument
names it accepts (so a spec's misspelt field is refused before anything runs) and picks the scalar results
(verdict, β̂, ΔAIC, losses …) that become columns of the results store. Plugins add experiments through the
entry-point group ``qflow.experiments``: each entry point names a :class:`SweepExperiment` object::

    [project.entry-points."qflow.experiments"]
    my-experiment = "my_package.sweep:EXPERIMENT"

and in-process code calls :func:`register_experiment`.

>>> get_experiment("attention").name, "sampler" in get_experiment("attention").fields
('attention', True)
>>> {"attention", "leakage", "capacity", "train", "ep", "emergent"} <= set(experiment_names())
True
"""

from __future__ import annotations

import importlib.metadata as metadata
import threading
import warnings

from qflow_core.errors import InvalidInputError
from qflow_core.sweeps.experiment import SweepExperiment

__all__ = ["ENTRY_POINT_GROUP", "SweepExperiment", "experiment_names", "get_experiment", "register_experiment"]

ENTRY_POINT_GROUP = "qflow.experiments"


_lock = threading.Lock()
_experiments: dict[str, SweepExperiment] = {}
_loaded = False


def register_experiment(experiment: SweepExperiment) -> SweepExperiment:
    """Make ``experiment`` available to sweeps under its name (a later registration replaces an earlier one)."""
    if not isinstance(experiment, SweepExperiment):
        raise InvalidInputError(f"register_experiment takes a SweepExperiment, got {experiment!r}")
    _load()
    with _lock:
        _experiments[experiment.name] = experiment
    return experiment


def get_experiment(name: str) -> SweepExperiment:
    """The experiment called ``name``; InvalidInputError listing the known ones otherwise."""
    _load()
    try:
        return _experiments[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown experiment {name!r}; sweeps can run: {', '.join(sorted(_experiments))}"
        ) from None


def experiment_names() -> list[str]:
    """Names of every experiment a sweep can run."""
    _load()
    return sorted(_experiments)


def _load() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        _loaded = True
        from qflow_core.sweeps.builtin import BUILTIN_EXPERIMENTS

        _experiments.update({e.name: e for e in BUILTIN_EXPERIMENTS})
        for entry_point in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
            try:
                experiment = entry_point.load()
            except Exception as exc:  # a broken plugin experiment is unavailable, never fatal to the others
                warnings.warn(f"sweep experiment {entry_point.name!r} failed to load: {exc!r}", stacklevel=3)
                continue
            if isinstance(experiment, SweepExperiment):
                _experiments[experiment.name] = experiment
            else:
                warnings.warn(
                    f"entry point {entry_point.name!r} is not a SweepExperiment: {experiment!r}", stacklevel=3
                )
