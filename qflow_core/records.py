"""Run records: how a result was made, and a stable hash of the configuration that made it.

A configuration is any JSON-ready mapping (experiment, instance, sampler and its options, protocol, reads).
Its canonical JSON sorts keys and writes floats with ``repr`` precision, so the hash does not depend on dict
order, on the process or on the machine:

>>> config_hash({"sampler": "sa", "num_reads": 100}) == config_hash({"num_reads": 100, "sampler": "sa"})
True
>>> len(config_hash({"sampler": "sa"}))
16
>>> canonical_json({"b": 1, "a": (0.5, None)})
'{"a":[0.5,null],"b":1}'

A run record adds the software (qflow and the scientific packages actually imported), the machine, the seed,
the sampler's ``properties`` and the times:

>>> record = run_record({"sampler": "sa"}, seed=3, started=0.0, ended=1.5, wall_s=1.5, cpu_s=1.2)
>>> record["config_hash"] == config_hash({"sampler": "sa"}), record["seed"], record["started"]
(True, 3, '1970-01-01T00:00:00+00:00')
>>> "numpy" in record["versions"]
True
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata as metadata
import json
import math
import platform
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from qflow_core.errors import InvalidInputError

__all__ = [
    "RECORD_FORMAT",
    "TRACKED_DISTRIBUTIONS",
    "canonical_json",
    "cli_command_line",
    "config_hash",
    "environment",
    "properties_snapshot",
    "result_record",
    "run_record",
]

#: Version tag of the record layout, bumped when a field changes meaning.
RECORD_FORMAT = "qflow-run-record/1"

#: Import name → distribution name of the packages whose versions a record lists when they are imported.
TRACKED_DISTRIBUTIONS = {
    "numpy": "numpy",
    "scipy": "scipy",
    "dimod": "dimod",
    "dwave.samplers": "dwave-samplers",
    "dwave.system": "dwave-system",
    "dwave.cloud": "dwave-cloud-client",
    "numba": "numba",
    "pyqubo": "pyqubo",
    "qiskit": "qiskit",
    "qiskit_aer": "qiskit-aer",
    "qiskit_optimization": "qiskit-optimization",
    "openjij": "openjij",
    "dask": "dask",
    "distributed": "distributed",
    "pluggy": "pluggy",
}

#: Properties bigger than this (as JSON characters) are summarised: a QPU's topology runs to megabytes.
MAX_PROPERTY_CHARS = 2000


def canonical_json(config: Any) -> str:
    """``config`` as compact JSON with sorted keys; tuples become lists, numpy scalars plain numbers.

    Non-finite floats and objects JSON cannot hold are refused with :class:`InvalidInputError`."""
    try:
        return json.dumps(_plain(config), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"a run configuration must be plain JSON data (finite numbers): {exc}") from None


def config_hash(config: Any) -> str:
    """The first 16 hex digits of the SHA-256 of :func:`canonical_json` of ``config``."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r}")
    return value


def environment(*, command_line: list[str] | None = None) -> dict[str, Any]:
    """qflow's version, the versions of the tracked packages imported in this process, Python and platform.

    >>> env = environment(command_line=["qflow", "sweep", "run", "a.toml"])
    >>> env["command_line"], env["python"] == platform.python_version()
    (['qflow', 'sweep', 'run', 'a.toml'], True)
    """
    return {
        "format": RECORD_FORMAT,
        "qflow": _version("qflow"),
        "versions": {dist: _version(dist) for name, dist in TRACKED_DISTRIBUTIONS.items() if name in sys.modules},
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "command_line": list(command_line) if command_line is not None else None,
    }


def properties_snapshot(sampler: Any) -> dict[str, Any]:
    """A JSON-safe copy of ``sampler.properties``; values longer than a couple of thousand JSON characters
    (a QPU's qubit and coupler lists) are replaced by their size and a SHA-256 prefix of their JSON.

    >>> properties_snapshot(None)
    {}
    >>> big = type("S", (), {"properties": {"name": "qpu", "couplers": [[i, i + 1] for i in range(5000)]}})()
    >>> snap = properties_snapshot(big)
    >>> snap["name"], snap["couplers"]["length"]
    ('qpu', 5000)
    """
    if sampler is None:
        return {}
    try:
        properties = dict(sampler.properties)
    except Exception as exc:  # a backend that cannot answer offline is recorded, never fatal
        return {"error": f"{type(exc).__name__}: {exc}"}
    snapshot: dict[str, Any] = {}
    for key, value in properties.items():
        text = json.dumps(value, sort_keys=True, default=str)
        if len(text) <= MAX_PROPERTY_CHARS:
            snapshot[str(key)] = json.loads(text)
        else:
            length = len(value) if hasattr(value, "__len__") else None
            snapshot[str(key)] = {"length": length, "sha256": hashlib.sha256(text.encode()).hexdigest()[:16]}
    return snapshot


def run_record(
    config: Mapping[str, Any],
    *,
    seed: int | None,
    sampler: Any = None,
    started: float,
    ended: float,
    wall_s: float,
    cpu_s: float,
    command_line: list[str] | None = None,
) -> dict[str, Any]:
    """The record of one run: :func:`environment`, the configuration and its hash, the seed, the sampler's
    :func:`properties_snapshot`, UTC start/end (from POSIX times ``started``/``ended``), wall and CPU seconds."""
    return {
        **environment(command_line=command_line),
        "config": json.loads(canonical_json(config)),
        "config_hash": config_hash(config),
        "seed": seed,
        "sampler_properties": properties_snapshot(sampler),
        "started": _utc(started),
        "ended": _utc(ended),
        "wall_s": float(wall_s),
        "cpu_s": float(cpu_s),
    }


def result_record(data: Mapping[str, Any], *, kind: str, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The record :meth:`ExperimentResult.save` writes when the run left none: the environment, the
    configuration fields found in the result (``sampler``, ``protocol``, ``num_reads``, ``seed``…) and their
    hash, and the time of saving. ``config`` (e.g. every option of a CLI command) replaces the fields found.

    >>> rec = result_record({"sampler": "sa", "seed": 4, "counts": [1, 2]}, kind="AttentionResult")
    >>> rec["config"], rec["seed"]
    ({'experiment': 'AttentionResult', 'sampler': 'sa', 'seed': 4}, 4)
    """
    found = {key: data[key] for key in CONFIG_FIELDS if key in data} if config is None else dict(config)
    config = {"experiment": kind, **found}
    try:
        digest = config_hash(config)
    except InvalidInputError:
        digest = None
    return {
        **environment(command_line=cli_command_line()),
        "config": json.loads(json.dumps(config, default=str)),
        "config_hash": digest,
        "seed": data.get("seed"),
        "saved": datetime.now(UTC).isoformat(),
    }


#: Result fields that describe how a run was configured (copied into a saved result's record).
CONFIG_FIELDS = ("sampler", "protocol", "fidelity", "num_reads", "seed", "rule", "rules", "n", "loads", "epochs", "lr")


def cli_command_line() -> list[str] | None:
    """``sys.argv`` when this process is the ``qflow`` command (console script or ``python -m qflow_core.cli``),
    else None."""
    argv = list(getattr(sys, "argv", []) or [])
    if not argv:
        return None
    head = argv[0].replace("\\", "/")
    if head.rsplit("/", 1)[-1] == "qflow" or head.endswith("qflow_core/cli/__main__.py"):
        return argv
    return None


def _utc(posix: float) -> str:
    return datetime.fromtimestamp(posix, tz=UTC).isoformat()


@functools.cache
def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
