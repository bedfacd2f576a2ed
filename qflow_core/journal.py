"""The output file of a multi-run command as its own checkpoint: finished runs survive a crash, ``--resume`` goes on.

A :class:`RunJournal` writes the output JSON atomically after every finished run, marked ``"complete": false``
until :meth:`RunJournal.finish` marks it ``true``. Ctrl-C or a later run's error (an offline backend, say)
therefore leaves every finished run on disk. Opened again with ``resume=True`` and the same settings, the
journal hands back the finished runs, the command runs only the rest, and the file it ends with is the one an
uninterrupted run writes (the finished runs are read back from JSON exactly as they were written). A file
written with other settings is refused, naming the settings that differ, so no run is mixed into a file it
does not belong to.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "runs.json"
>>> journal = RunJournal(path, {"seed": 1}, kind="demo")
>>> journal.record("0:sa", {"loss": 0.5})
>>> json.loads(path.read_text())["complete"]
False
>>> again = RunJournal(path, {"seed": 1}, kind="demo", resume=True)
>>> again.finished("0:sa"), again.finished("1:exact")
({'loss': 0.5}, None)
>>> again.record("1:exact", {"loss": 0.25})
>>> _ = again.finish()
>>> data = json.loads(path.read_text())
>>> data["complete"], [run["loss"] for run in data["runs"]]
(True, [0.5, 0.25])
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qflow_core.errors import InvalidInputError
from qflow_core.io import atomic_write_json, to_jsonable
from qflow_core.records import result_record

__all__ = ["RunJournal"]


class RunJournal:
    """Finished runs of one command, keyed by a stable run key (e.g. ``"0:exact"``), saved after each run.

    ``config`` holds every setting that changes the numbers (JSON-ready); ``kind`` names the command. The file
    holds ``{"kind", **fields, "complete", "config", "keys": [...], runs_key: [...]}``; ``fields`` are written
    with it (e.g. the task name) and ``runs_key`` names the list of runs (default ``"runs"``).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        config: Mapping[str, Any],
        *,
        kind: str,
        resume: bool = False,
        fields: Mapping[str, Any] | None = None,
        runs_key: str = "runs",
    ) -> None:
        self.path = Path(path)
        self.runs_key = runs_key
        self.kind = kind
        self.config = json.loads(json.dumps(to_jsonable(dict(config))))
        self.fields = to_jsonable(dict(fields or {}))
        self._runs: dict[str, Any] = {}
        if resume:
            self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return  # nothing written yet: resuming starts from the beginning
        try:
            data = json.loads(self.path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInputError(f"cannot resume from {self.path}: {exc}; remove it or drop --resume") from None
        if not isinstance(data, dict) or data.get("kind") != self.kind or "config" not in data:
            raise InvalidInputError(
                f"{self.path} is not the output of a `qflow {self.kind}` run; pass another --out or drop --resume"
            )
        saved = data["config"]
        if saved != self.config:
            differ = sorted(k for k in set(saved) | set(self.config) if saved.get(k) != self.config.get(k))
            raise InvalidInputError(
                f"{self.path} was written with other settings ({', '.join(differ)}); resume with the same "
                "settings, or pass another --out to start afresh"
            )
        keys, runs = data.get("keys", []), data.get(self.runs_key, [])
        if not isinstance(keys, list) or not isinstance(runs, list) or len(keys) != len(runs):
            raise InvalidInputError(f"{self.path} is damaged (runs and their keys disagree); remove it to start afresh")
        self._runs = dict(zip(keys, runs, strict=True))

    def finished(self, key: str) -> Any:
        """The saved data of run ``key`` if it finished before (resume), else None."""
        return self._runs.get(key)

    def record(self, key: str, data: Any) -> None:
        """Add the finished run ``key`` and rewrite the file atomically, still ``"complete": false``."""
        self._runs[key] = json.loads(json.dumps(to_jsonable(data)))
        self._write(complete=False)

    def finish(self, **fields: Any) -> Path:
        """Mark the file complete (every run finished), adding ``fields`` (e.g. a total wall time)."""
        self.fields.update(to_jsonable(fields))
        return self._write(complete=True)

    @property
    def runs(self) -> list[Any]:
        """The finished runs in the order they were recorded."""
        return list(self._runs.values())

    def _write(self, *, complete: bool) -> Path:
        return atomic_write_json(
            self.path,
            {
                "kind": self.kind,
                **self.fields,
                "complete": complete,
                "config": self.config,
                "keys": list(self._runs),
                self.runs_key: list(self._runs.values()),
                "record": result_record({}, kind=self.kind, config=self.config),
            },
        )
