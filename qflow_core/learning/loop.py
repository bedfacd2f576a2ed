"""The one training loop: epochs, callbacks, early stop, a progress bar and checkpoint-and-resume, for any rule.

:func:`train` (Hebbian family, measured flow) and :func:`~qflow_core.experiments.ep.ep_train` (equilibrium
propagation) differ only in what one epoch does; both hand :func:`run_epochs` an :class:`EpochRun` — the object
that holds the parameters and the history, does one epoch, and turns its state into JSON and back. The loop owns
everything else:

* one ``numpy.random.Generator`` seeded with the run's seed, handed to every epoch (rules that measure draw the
  seeds of their sampler runs from it; runs may also derive per-epoch seeds with ``child_seed(seed, epoch)``);
* ``callbacks`` after every epoch as ``callback(epochs_done)``; one returning True stops training;
* with ``checkpoint=path``, an atomic JSON checkpoint (the run's state, its settings and the generator's state)
  every ``checkpoint_every`` epochs, at the end and when a callback stops the run. Calling the loop again with
  the same path and settings resumes where it stopped and reproduces an uninterrupted run bit for bit (except
  wall times); a checkpoint written with other settings is refused, naming the settings that differ.

>>> class Count(EpochRun):
...     config = {"what": "count"}
...     state_keys = ("values",)
...     def __init__(self):
...         self.values = []
...     @property
...     def epochs_done(self):
...         return len(self.values)
...     def epoch(self, epoch, rng):
...         self.values.append(int(rng.integers(10)))
...         return {}
...     def state(self):
...         return {"values": self.values}
...     def restore(self, state):
...         self.values = list(state["values"])
>>> straight = Count()
>>> _ = run_epochs(straight, epochs=4, seed=3)
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "count.json"
>>> halfway = run_epochs(Count(), epochs=4, seed=3, checkpoint=path, callbacks=[lambda done: done == 2])
>>> halfway.stopped_early, halfway.epochs_done
(True, 2)
>>> resumed = Count()
>>> outcome = run_epochs(resumed, epochs=4, seed=3, checkpoint=path)
>>> resumed.values == straight.values, outcome.resumed_from
(True, 2)
"""

from __future__ import annotations

import abc
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.io import atomic_write_json, to_jsonable

__all__ = ["CHECKPOINT_FORMAT", "EpochRun", "LoopOutcome", "run_epochs"]

CHECKPOINT_FORMAT = "qflow-train-checkpoint/1"


class EpochRun(abc.ABC):
    """What :func:`run_epochs` trains: the parameters, the history, one epoch, and the state as JSON.

    ``config`` (JSON-ready) holds every setting that changes the numbers: a checkpoint written with another
    config is not resumed. ``state_keys`` names the keys :meth:`state` writes (a checkpoint missing one is
    refused as incomplete).
    """

    config: dict[str, Any]
    state_keys: ClassVar[tuple[str, ...]] = ()

    @property
    @abc.abstractmethod
    def epochs_done(self) -> int:
        """Epochs completed so far (after a resume, those of the checkpoint)."""

    @abc.abstractmethod
    def epoch(self, epoch: int, rng: np.random.Generator) -> dict[str, str]:
        """Run epoch ``epoch`` (0-based): one step of the parameters, recorded in the history.

        Returns what the progress bar shows (name → formatted value).
        """

    @abc.abstractmethod
    def state(self) -> dict[str, Any]:
        """The parameters and the history, JSON-ready (numpy arrays allowed), with the keys ``state_keys``."""

    @abc.abstractmethod
    def restore(self, state: dict[str, Any]) -> None:
        """Take the parameters and the history back from a checkpoint's :meth:`state`."""


@dataclass
class LoopOutcome:
    """How :func:`run_epochs` ended: epochs completed, whether a callback stopped it, where it resumed from, and
    the generator in the state the last epoch left it (for measurements after training)."""

    epochs_done: int
    rng: np.random.Generator
    stopped_early: bool = False
    resumed_from: int | None = None


def run_epochs(
    run: EpochRun,
    *,
    epochs: int,
    seed: int,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 10,
    callbacks: Iterable[Callable[[int], bool | None]] = (),
    progress: bool = False,
    description: str = "train",
) -> LoopOutcome:
    """Run ``run`` up to ``epochs`` epochs (see the module doc); ``run`` holds the result afterwards."""
    rng = np.random.default_rng(seed)
    path = Path(checkpoint) if checkpoint is not None else None
    outcome = LoopOutcome(epochs_done=run.epochs_done, rng=rng)
    if path is not None and path.exists():
        outcome.resumed_from = _resume(path, run, rng)
    callbacks = list(callbacks)
    every = max(int(checkpoint_every), 1)

    from tqdm.auto import tqdm

    start = run.epochs_done
    bar = tqdm(
        total=epochs, initial=min(start, epochs), disable=not progress, desc=description, unit="epoch", leave=False
    )
    try:
        for epoch in range(start, epochs):
            shown = run.epoch(epoch, rng)
            bar.update(1)
            bar.set_postfix(shown, refresh=False)
            stop = any(bool(callback(epoch + 1)) for callback in callbacks)
            if path is not None and ((epoch + 1) % every == 0 or epoch + 1 == epochs or stop):
                _save(path, run, rng)
            if stop:
                outcome.stopped_early = True
                break
    finally:
        bar.close()
    outcome.epochs_done = run.epochs_done
    return outcome


def _save(path: Path, run: EpochRun, rng: np.random.Generator) -> None:
    state = {
        "format": CHECKPOINT_FORMAT,
        "config": run.config,
        "epochs_done": run.epochs_done,
        **run.state(),
        "rng": rng.bit_generator.state,
    }
    atomic_write_json(path, state)


def _resume(path: Path, run: EpochRun, rng: np.random.Generator) -> int:
    try:
        state = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"cannot read the checkpoint {path}: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InvalidInputError(f"{path} is not a qflow training checkpoint ({CHECKPOINT_FORMAT})")
    missing = [k for k in ("config", *run.state_keys, "epochs_done", "rng") if k not in state]
    if missing:
        raise InvalidInputError(
            f"the checkpoint {path} is incomplete (no {', '.join(missing)}); delete it or pass another "
            "checkpoint path to start afresh"
        )
    saved, config = state["config"], json.loads(json.dumps(to_jsonable(run.config)))
    if saved != config:
        differ = sorted(k for k in set(saved) | set(config) if saved.get(k) != config.get(k))
        raise InvalidInputError(
            f"the checkpoint {path} was written with different settings ({', '.join(differ)}); "
            "use the same settings (rule, lr, seed, data) to resume, or another checkpoint path"
        )
    try:
        run.restore(state)
        rng.bit_generator.state = state["rng"]
        return int(state["epochs_done"])
    except InvalidInputError as exc:
        raise InvalidInputError(f"the checkpoint {path} cannot be resumed: {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidInputError(
            f"the checkpoint {path} is damaged ({type(exc).__name__}: {exc}); delete it or pass another checkpoint "
            "path to start afresh"
        ) from None
