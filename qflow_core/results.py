"""Common behaviour of experiment results: ``to_dict()``, atomic ``save(path)``, ``plot(path)``.

>>> from dataclasses import dataclass
>>> @dataclass
... class Demo(ExperimentResult):
...     value: float
...     def plot(self, path):
...         fig, ax = new_figure()
...         ax.bar([0], [self.value])
...         return save_figure(fig, path)
>>> Demo(1.5).to_dict()
{'value': 1.5}
>>> import json, tempfile
>>> saved = json.loads(Demo(1.5).save(Path(tempfile.mkdtemp()) / "demo.json").read_text())
>>> saved["value"], saved["record"]["config"]
(1.5, {'experiment': 'Demo'})
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from qflow_core.io import atomic_output, atomic_write_json, to_jsonable
from qflow_core.records import result_record

__all__ = ["ExperimentResult", "load", "new_figure", "save_figure"]


class ExperimentResult:
    """Mixin for result dataclasses: JSON-ready ``to_dict``, atomic ``save`` and an abstract ``plot``."""

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]

    def save(self, path: str | os.PathLike, *, record: dict[str, Any] | None = None) -> Path:
        """Write ``to_dict()`` and a ``"record"`` of how the run was made as JSON, atomically (a crash never
        leaves a truncated file). ``record`` defaults to :func:`qflow_core.records.result_record` of the result
        (software versions, platform, configuration and its hash, command line under the CLI)."""
        data = self.to_dict()
        if record is None:
            record = result_record(data, kind=type(self).__name__)
        return atomic_write_json(path, {**data, "record": record})

    def plot(self, path: str | os.PathLike) -> Path:  # pragma: no cover - each result implements it
        raise NotImplementedError


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any):
    """A matplotlib figure on the non-interactive Agg backend (safe on machines without a display)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    kwargs.setdefault("figsize", (6.4 * ncols, 4.2 * nrows))
    kwargs.setdefault("constrained_layout", True)
    return plt.subplots(nrows, ncols, **kwargs)


def save_figure(fig, path: str | os.PathLike) -> Path:
    """Save ``fig`` (format from the suffix: PNG, SVG, PDF) through :func:`atomic_output`, then close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    try:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, dpi=130)
    finally:
        plt.close(fig)
    return path


def load(store: str | os.PathLike, *, sweep: str | None = None) -> Any:
    """A sweep's results store as a pandas DataFrame, one row per task (see :func:`qflow_core.store.load`)."""
    from qflow_core.store import load as load_store

    return load_store(store, sweep=sweep)
