"""The sweep spec: an experiment, fixed arguments, axes and seed replicates, from TOML or from Python.

A spec file::

    name = "attention-map"
    experiment = "attention"
    seed = 0                 # base seed: every task's seed is child_seed(seed, experiment, its arguments, replicate)
    seeds = 4                # replicates per point
    zip = [["num_keys", "dim"]]          # axes that vary together (equal lengths)

    [fixed]
    protocol = "boltzmann:beta=2"
    num_reads = 2000

    [axes]
    sampler = ["sa", "exact"]
    num_keys = [4, 6, 8]
    dim = [8, 12, 16]
    "protocol.beta" = {start = 1.0, stop = 3.0, num = 3}   # a range: num points inclusive, or step (exclusive stop)

Tasks are the product of the axes (zipped groups move as one axis) in the order written, replicates innermost.
Everything is checked before anything runs — unknown keys and experiments, unknown fields, empty axes, ranges,
zip lengths, every value (counts, each point's protocol built with its axis values, sampler options against
the sampler's declared parameters, the experiment's other arguments), samplers that do not support the
protocol — and the error names the file line at fault and the value. Each distinct value is checked once,
not once per seed replicate.

>>> sweep = Sweep("attention", fixed={"protocol": "boltzmann:beta=2"}, axes={"sampler": ["sa"],
...               "num_keys": {"start": 3, "stop": 6, "step": 1}}, seeds=2, seed=5)
>>> [(t.args["num_keys"], t.replicate) for t in sweep.tasks()]
[(3, 0), (3, 1), (4, 0), (4, 1), (5, 0), (5, 1)]
>>> sweep.tasks()[0].config_hash == Sweep("attention", fixed={"protocol": "boltzmann:beta=2"},
...     axes={"num_keys": [3, 4, 5], "sampler": ["sa"]}, seeds=2, seed=5).tasks()[0].config_hash
True
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError, QflowError
from qflow_core.records import canonical_json, config_hash
from qflow_core.seeding import child_seed, resolve_seed
from qflow_core.sweeps.catalog import get_experiment
from qflow_core.sweeps.experiment import SweepExperiment

__all__ = ["Sweep", "Task", "load_sweep"]

TOP_LEVEL_KEYS = ("name", "description", "experiment", "seed", "seeds", "zip", "fixed", "axes")


@dataclass(frozen=True)
class Task:
    """One run of a sweep: its arguments, seed, replicate number and the hash of its configuration."""

    index: int
    experiment: str
    args: dict[str, Any]
    seed: int
    replicate: int
    config: dict[str, Any]
    config_hash: str

    @property
    def label(self) -> str:
        """A short human-readable description, e.g. ``sampler=sa num_keys=4 #1``."""
        parts = [f"{k}={v}" for k, v in self.args.items() if not isinstance(v, (list, dict))]
        return " ".join([*parts, f"#{self.replicate}"])


@dataclass
class Sweep:
    """A sweep spec (see the module doc); :meth:`tasks` validates it and lists its tasks."""

    experiment: str
    fixed: dict[str, Any] = field(default_factory=dict)
    axes: dict[str, Any] = field(default_factory=dict)
    zip: list[list[str]] = field(default_factory=list)
    seeds: int = 1
    seed: int = 0
    name: str = "sweep"
    description: str = ""
    path: Path | None = None
    source: str | None = field(default=None, repr=False)

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> Sweep:
        """Read a spec file; the sweep's name defaults to the file's stem."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise InvalidInputError(f"cannot read the sweep spec {path}: {exc.strerror or exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInputError(f"{path}: not valid TOML: {exc}") from None
        locate = _Locator(path, text)
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                raise locate.error(None, key, f"unknown key {key!r}; a sweep spec has: {', '.join(TOP_LEVEL_KEYS)}")
        for key in ("fixed", "axes"):
            if not isinstance(data.get(key, {}), dict):
                raise locate.error(None, key, f"{key!r} must be a table ([{key}])")
        return cls(
            experiment=data.get("experiment", ""),
            fixed=data.get("fixed", {}),
            axes=data.get("axes", {}),
            zip=data.get("zip", []),
            seeds=data.get("seeds", 1),
            seed=data.get("seed", 0),
            name=str(data.get("name", path.stem)),
            description=str(data.get("description", "")),
            path=path,
            source=text,
        )

    # -- validation and expansion -------------------------------------------------------------------------
    def get_experiment(self) -> SweepExperiment:
        locate = self._locator()
        if not self.experiment:
            raise locate.error(None, "experiment", 'the spec names no experiment (experiment = "attention", …)')
        with locate.at(None, "experiment"):
            return get_experiment(self.experiment)

    def tasks(self) -> list[Task]:
        """Every task of the sweep, after validating the whole spec (nothing runs when it is invalid)."""
        locate = self._locator()
        experiment = self.get_experiment()
        for table, names in (("fixed", self.fixed), ("axes", self.axes)):
            for name in names:
                with locate.at(table, name):
                    experiment.check_fields([name])
                if table == "axes" and name in self.fixed:
                    raise locate.error("axes", name, f"{name!r} is both fixed and an axis; keep one")
        with locate.at(None, "experiment"):
            experiment.check_fields([*self.fixed, *self.axes], complete=True)
        with locate.at(None, "seeds"):
            if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
                raise InvalidInputError(f"seeds (replicates per point) must be an integer ≥ 1, got {self.seeds!r}")
        with locate.at(None, "seed"):
            base_seed = resolve_seed(self.seed)
        values = {name: self._axis_values(name, spec, locate) for name, spec in self.axes.items()}
        dimensions = self._dimensions(values, locate)
        tasks: list[Task] = []
        points: dict[str, dict[str, Any]] = {}
        checked: set[str] = set()
        for combo in itertools.product(*dimensions):
            point = {name: value for group in combo for name, value in group}
            args = {**self.fixed, **{name: point[name] for name in self.axes}}
            for name in experiment.count_fields(args):  # a value that cannot run, refused before anything runs
                raise locate.error(
                    "axes" if name in self.axes else "fixed",
                    name,
                    f"{name} must be a positive integer, got {args[name]!r}",
                )
            self._check_values(experiment, args, checked, locate)
            identity = self._identity(experiment, args, locate)
            key = canonical_json(identity)
            if key in points:  # e.g. a value listed twice, or beta = 2 and 2.0: one run, not two
                axis = next(iter(self.axes), "experiment")
                raise locate.error(
                    "axes" if self.axes else None,
                    axis,
                    f"two points of the sweep are the same run ({points[key]} and {point}); remove the repeat",
                )
            points[key] = point
            for replicate in range(self.seeds):
                seed = child_seed(base_seed, self.experiment, key, replicate)
                config = {"experiment": self.experiment, "args": identity, "seed": seed}
                tasks.append(Task(len(tasks), self.experiment, args, seed, replicate, config, config_hash(config)))
        self._check_samplers(experiment, tasks, locate)
        return tasks

    def _check_values(
        self, experiment: SweepExperiment, args: dict[str, Any], checked: set[str], locate: _Locator
    ) -> None:
        """Each argument value through its field's check, once per distinct (field, value) of the sweep."""
        for name, value in args.items():
            check = experiment.checks.get(name)
            key = canonical_json([name, value])
            if check is None or key in checked:
                continue
            with locate.at("axes" if name in self.axes else "fixed", name):
                check(name, value)
            checked.add(key)

    def _identity(self, experiment: SweepExperiment, args: dict[str, Any], locate: _Locator) -> dict[str, Any]:
        """What makes a task the run it is: its arguments with the protocol in canonical form (``protocol`` plus
        ``protocol.<field>`` axes become the one protocol they build), so equal physics hashes alike."""
        keys = [k for k in args if k == "protocol" or k.startswith("protocol.")]
        if not keys or experiment.protocol is None:
            return args
        where = next((k for k in keys if k in self.axes), "protocol")
        with locate.at("axes" if where in self.axes else "fixed", where):
            protocol = str(experiment.protocol(args))
        return {**{k: v for k, v in args.items() if k not in keys}, "protocol": protocol}

    def _locator(self) -> _Locator:
        return _Locator(self.path, self.source)

    @staticmethod
    def _axis_values(name: str, spec: Any, locate: _Locator) -> list[Any]:
        with locate.at("axes", name):
            if isinstance(spec, dict):
                values = _range_values(spec)
            elif isinstance(spec, (list, tuple)):
                values = list(spec)
            else:
                raise InvalidInputError(f"axis {name!r} must be a list or a range table, got {spec!r}")
            if not values:
                raise InvalidInputError(f"axis {name!r} is empty; give it at least one value")
        return values

    def _dimensions(self, values: dict[str, list[Any]], locate: _Locator) -> list[list[list[tuple[str, Any]]]]:
        """One entry per independent axis: a list of points, each a list of (name, value) pairs."""
        with locate.at(None, "zip"):
            if not isinstance(self.zip, (list, tuple)) or not all(isinstance(g, (list, tuple)) for g in self.zip):
                raise InvalidInputError(f"zip must be a list of lists of axis names, got {self.zip!r}")
            group_of: dict[str, int] = {}
            for number, group in enumerate(self.zip):
                for name in group:
                    if name not in values:
                        raise InvalidInputError(f"zip names {name!r}, which is not an axis")
                    if name in group_of:
                        raise InvalidInputError(f"axis {name!r} is in two zip groups")
                    group_of[name] = number
                lengths = {name: len(values[name]) for name in group}
                if len(set(lengths.values())) > 1:
                    raise InvalidInputError(f"zipped axes must have equal lengths, got {lengths}")
        dimensions, done = [], set()
        for name in values:
            if name in done:
                continue
            group = self.zip[group_of[name]] if name in group_of else [name]
            done.update(group)
            dimensions.append(
                [list(zip(group, point, strict=True)) for point in zip(*(values[g] for g in group), strict=True)]
            )
        return dimensions

    def _check_samplers(self, experiment: SweepExperiment, tasks: list[Task], locate: _Locator) -> None:
        """Every (sampler, protocol, options) is checked once: the sampler exists, takes the options (its
        ``run_parameters``: names, types, ranges) and supports the protocol."""
        from qflow_core.registry import check_support, get_sampler

        seen: set[str] = set()
        for task in tasks:
            if not isinstance(task.args.get("sampler"), str):
                continue
            protocol_keys = {k: v for k, v in task.args.items() if k == "protocol" or k.startswith("protocol.")}
            key = canonical_json([task.args["sampler"], protocol_keys, task.args.get("options")])
            if key in seen:
                continue
            seen.add(key)
            sampler_table = "axes" if "sampler" in self.axes else "fixed"
            with locate.at(sampler_table, "sampler"):
                sampler = get_sampler(task.args["sampler"])
            if isinstance(task.args.get("options"), dict):  # backend options, checked as run() checks them
                with locate.at("axes" if "options" in self.axes else "fixed", "options"):
                    sampler.checked_options(task.args["options"])
            if not protocol_keys or experiment.protocol is None:
                continue
            where = next((k for k in protocol_keys if k in self.axes), "protocol")
            with locate.at("axes" if where in self.axes else "fixed", where):
                protocol = experiment.protocol(task.args)
            with locate.at(sampler_table, "sampler"):
                check_support(sampler, protocol)


def load_sweep(spec: str | os.PathLike | Sweep) -> Sweep:
    """A Sweep from a spec file path, or the Sweep itself."""
    return spec if isinstance(spec, Sweep) else Sweep.from_toml(spec)


def _range_values(spec: dict[str, Any]) -> list[Any]:
    keys = set(spec)
    if keys == {"start", "stop", "num"}:
        num = spec["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise InvalidInputError(f"a range's num must be an integer ≥ 1, got {num!r}")
        return [float(x) for x in np.linspace(float(spec["start"]), float(spec["stop"]), num)]
    if keys == {"start", "stop", "step"}:
        start, stop, step = spec["start"], spec["stop"], spec["step"]
        if not step or (stop - start) * step < 0:
            raise InvalidInputError(f"range step {step!r} never goes from {start!r} to {stop!r}")
        if all(isinstance(v, int) for v in (start, stop, step)):
            return list(range(start, stop, step))
        count = int(np.ceil((stop - start) / step - 1e-12))
        return [float(start + i * step) for i in range(count)]
    raise InvalidInputError(f"a range is {{start, stop, num}} or {{start, stop, step}}, got keys {sorted(keys)}")


class _Locator:
    """Turns an error about a spec key into one naming the file and line that hold the key."""

    def __init__(self, path: Path | None, text: str | None) -> None:
        self.path, self.lines = path, (text or "").splitlines()

    def line_of(self, table: str | None, key: str) -> int | None:
        current: str | None = None
        pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
        for number, line in enumerate(self.lines, 1):
            header = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", line)
            if header:
                current = header.group(1)
                continue
            if current == table and pattern.match(line):
                return number
        return None

    def error(self, table: str | None, key: str, message: str) -> InvalidInputError:
        where = f"[{table}] {key}" if table else key
        if self.path is None:
            return InvalidInputError(f"sweep spec, {where}: {message}")
        line = self.line_of(table, key)
        place = f"{self.path}:{line}" if line else str(self.path)
        return InvalidInputError(f"{place} ({where}): {message}")

    @contextlib.contextmanager
    def at(self, table: str | None, key: str) -> Iterator[None]:
        """A context in which any qflow error is re-raised as InvalidInputError naming ``[table] key``."""
        try:
            yield
        except QflowError as exc:
            if getattr(exc, "located", False):
                raise
            located = self.error(table, key, str(exc))
            located.located = True  # type: ignore[attr-defined]
            raise located from None
