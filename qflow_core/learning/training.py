"""Training loop for learning rules: :func:`train` → :class:`History`, with norm control and checkpoint/resume.

Each epoch computes the rule's :class:`~qflow_core.learning.rules.Update` at the current parameters and steps
θ ← θ + lr·(Update − weight_decay·θ) (the update is already the descent direction). Then, by default, the
parameters are rescaled to a fixed norm: the leakage free energy F_β (and MPF, Hebb, the survival loss) decreases
without bound when (J, h) → c(J, h) with all gaps positive (the scale pitfall), so without a constraint
training mostly grows the scale. ``norm="initial"`` holds sqrt(‖J‖_F² + ‖h‖²) at its initial value (the
capacity experiment holds ‖J‖_F at the Hebb value; with ``train_fields=False`` h is frozen and only ‖J‖_F is
held), a number holds it at that value, ``None`` switches the constraint off (then use ``weight_decay`` or few epochs).

The :class:`History` records, at the parameters after 0, 1, …, E epochs (E + 1 entries): the loss, the minimum
single-flip gap min_k Δ_k(ξ^μ) of every pattern and the fraction of patterns that are strict fixed points
(all Δ_k > 0); plus the wall time of every epoch and the rule's per-epoch summary (e.g. measured multi-flip
mass). With ``checkpoint=path`` the memory, the history and the random state are written atomically every
``checkpoint_every`` epochs; calling :func:`train` again with the same path and settings resumes where it
stopped and reproduces an uninterrupted run bit for bit (except wall times).

>>> import numpy as np
>>> from qflow_core.learning.rules import Hebbian, SoftmaxHebbian
>>> xi = np.random.default_rng(0).choice([-1, 1], size=(6, 16))
>>> history = train(Hebbian.store(xi), xi, SoftmaxHebbian(beta=4), epochs=30, lr=0.05, seed=1)
>>> history.stable_fraction[0] < history.stable_fraction[-1] == 1.0
True
>>> J, h = history.memory.J, history.memory.h
>>> bool(np.isclose(np.hypot(np.linalg.norm(J), np.linalg.norm(h)), np.linalg.norm(Hebbian.store(xi).J)))
True
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.io import to_jsonable
from qflow_core.learning.loop import CHECKPOINT_FORMAT, EpochRun, run_epochs
from qflow_core.learning.rules import LearningRule
from qflow_core.models.memory import IsingMemory, as_spin_states
from qflow_core.registry import resolve_sampler
from qflow_core.results import ExperimentResult, new_figure, save_figure
from qflow_core.seeding import resolve_seed
from qflow_core.validation import check_memory, finite_number, nonnegative_int

__all__ = ["CHECKPOINT_FORMAT", "Callback", "History", "train"]


#: ``callback(epoch, memory, history)`` after every epoch (``epoch`` = epochs completed); return True to stop.
Callback = Callable[[int, IsingMemory, "History"], bool | None]


@dataclass
class History(ExperimentResult):
    """What :func:`train` measured. Lists indexed by epochs completed (0 … ``epochs``), except ``wall_time``
    and ``rule_info`` (one entry per epoch run). ``memory`` is the trained memory; ``to_dict`` stores its J, h.
    """

    rule: dict[str, Any]
    lr: float
    seed: int
    norm: float | None
    weight_decay: float
    train_fields: bool
    loss: list[float] = field(default_factory=list)
    min_gap: list[list[float]] = field(default_factory=list)
    stable_fraction: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)
    rule_info: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False
    resumed_from: int | None = None
    memory: IsingMemory | None = field(default=None, repr=False)

    @property
    def epochs(self) -> int:
        """Epochs completed."""
        return len(self.wall_time)

    @property
    def final_loss(self) -> float:
        return self.loss[-1]

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "memory"}
        data["epochs"] = self.epochs
        if self.memory is not None:
            data["J"] = self.memory.J
            data["h"] = self.memory.h
        return to_jsonable(data)

    def plot(self, path: str | os.PathLike) -> Path:
        """Loss, fraction of stable patterns and min/mean of the per-pattern minimum gap vs epoch."""
        fig, axes = new_figure(1, 3)
        epochs = np.arange(len(self.loss))
        axes[0].plot(epochs, self.loss)
        axes[0].set(xlabel="epoch", ylabel="loss", title=f"{self.rule.get('rule', 'rule')} (lr {self.lr:g})")
        axes[1].plot(epochs, self.stable_fraction)
        axes[1].set(xlabel="epoch", ylabel="fraction of patterns that are fixed points", ylim=(-0.02, 1.02))
        gaps = np.asarray(self.min_gap)
        axes[2].plot(epochs, gaps.min(axis=1), label="worst pattern")
        axes[2].plot(epochs, gaps.mean(axis=1), label="mean over patterns")
        axes[2].axhline(0.0, color="0.6", lw=0.8)
        axes[2].set(xlabel="epoch", ylabel="min_k Δ_k(ξ)")
        axes[2].legend()
        return save_figure(fig, path)


def train(
    memory: IsingMemory,
    patterns: Any,
    rule: LearningRule,
    *,
    epochs: int,
    lr: float,
    sampler: Any = None,
    norm: float | str | None = "initial",
    weight_decay: float = 0.0,
    train_fields: bool = True,
    callbacks: Iterable[Callback] = (),
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 10,
    progress: bool = False,
    seed: int | None = None,
) -> History:
    """Train ``memory`` on ``patterns`` with ``rule`` for ``epochs`` epochs of step ``lr``; see the module doc.

    ``sampler`` (a name or a Sampler) is passed to rules that measure (``rule.requires_sampler``); their runs
    draw seeds from a generator seeded with ``seed`` (drawn and recorded when None). ``callbacks`` run after
    every epoch as ``callback(epochs_done, memory, history)``; returning True stops training (the checkpoint
    is still written). The input memory is not modified; the trained one is ``history.memory``.
    """
    if not isinstance(rule, LearningRule):
        raise InvalidInputError(f"rule must be a qflow_core.learning.rules.LearningRule, got {type(rule).__name__}")
    if not isinstance(memory, IsingMemory):
        raise InvalidInputError(f"train needs an IsingMemory, got {type(memory).__name__}")
    xi = as_spin_states(patterns, memory.n, name="patterns")
    xi = xi[None, :] if xi.ndim == 1 else xi
    n = memory.n  # a step holds the update, the new couplings and the rule's temporaries beside J: ~4 n×n arrays
    check_memory("training", n=n, required_bytes=4.0 * n * n * 8 + 8.0 * xi.size, fix="train fewer spins")
    epochs = nonnegative_int("epochs", epochs)
    checkpoint_every = nonnegative_int("checkpoint_every", checkpoint_every) or 1
    lr = finite_number("lr", lr)
    weight_decay = finite_number("weight_decay", weight_decay)
    if rule.requires_sampler:
        sampler = resolve_sampler(sampler, purpose=f"rule {rule.name!r} measures on a sampler")
    seed = resolve_seed(seed)
    target = _norm_target(memory, norm, train_fields)
    config = to_jsonable(
        {
            "rule": rule.describe(),
            "lr": lr,
            "seed": seed,
            "norm": target,
            "weight_decay": weight_decay,
            "train_fields": bool(train_fields),
            "patterns_sha256": hashlib.sha256(np.ascontiguousarray(xi, dtype=np.int8).tobytes()).hexdigest(),
            "patterns_shape": list(xi.shape),
            "sampler": getattr(sampler, "name", None),
        }
    )
    history = History(
        rule=config["rule"], lr=lr, seed=seed, norm=target, weight_decay=weight_decay, train_fields=bool(train_fields)
    )
    run = _MemoryRun(config, memory, xi, rule, sampler, history, lr, weight_decay, bool(train_fields), target)
    callbacks = list(callbacks)
    outcome = run_epochs(
        run,
        epochs=epochs,
        seed=seed,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        callbacks=[lambda done, cb=cb: cb(done, run.memory, history) for cb in callbacks],
        progress=progress,
        description=f"train {rule.name}",
    )
    history.stopped_early = outcome.stopped_early
    history.resumed_from = outcome.resumed_from
    memory = run.memory
    _record(history, memory, xi, rule.loss(memory, xi, sampler=sampler, rng=outcome.rng))
    history.memory = memory
    return history


class _MemoryRun(EpochRun):
    """One :func:`train` run for :func:`~qflow_core.learning.loop.run_epochs`: the memory and its History."""

    state_keys = ("J", "h", "history")
    _history_keys = ("loss", "min_gap", "stable_fraction", "wall_time", "rule_info")

    def __init__(
        self,
        config: dict[str, Any],
        memory: IsingMemory,
        xi: np.ndarray,
        rule: LearningRule,
        sampler: Any,
        history: History,
        lr: float,
        weight_decay: float,
        train_fields: bool,
        target: float | None,
    ) -> None:
        self.config, self.memory, self.xi, self.rule, self.sampler, self.history = (
            config,
            memory,
            xi,
            rule,
            sampler,
            history,
        )
        self.lr, self.weight_decay, self.train_fields, self.target = lr, weight_decay, train_fields, target

    @property
    def epochs_done(self) -> int:
        return self.history.epochs

    def epoch(self, epoch: int, rng: np.random.Generator) -> dict[str, str]:
        began = time.perf_counter()
        memory, xi, rule, sampler, history = self.memory, self.xi, self.rule, self.sampler, self.history
        update = rule.update(memory, xi, sampler=sampler, rng=rng)
        loss = update.loss if update.loss is not None else rule.loss(memory, xi, sampler=sampler, rng=rng)
        _record(history, memory, xi, loss)
        self.memory = _step(memory, update, self.lr, self.weight_decay, self.train_fields, self.target)
        history.wall_time.append(time.perf_counter() - began)
        history.rule_info.append(to_jsonable(dict(update.info.get("summary", {}))))
        return {"loss": f"{loss:.4g}", "stable": f"{history.stable_fraction[-1]:.2f}"}

    def state(self) -> dict[str, Any]:
        memory = self.memory
        return {
            "J": memory.J,
            "h": memory.h,
            "extra": {k: getattr(memory, k) for k in ("gamma",) if hasattr(memory, k)},
            "history": {k: getattr(self.history, k) for k in self._history_keys},
        }

    def restore(self, state: dict[str, Any]) -> None:
        J = np.asarray(state["J"], dtype=float)
        if J.shape != (self.memory.n, self.memory.n):
            raise InvalidInputError(f"it holds couplings of shape {J.shape}, the memory has {self.memory.n} spins")
        resumed = copy.copy(self.memory)
        resumed.J, resumed.h = J, np.asarray(state["h"], dtype=float)
        for name, value in state.get("extra", {}).items():
            setattr(resumed, name, np.asarray(value, dtype=float))
        for key, values in state["history"].items():
            setattr(self.history, key, list(values))
        self.memory = resumed


# -- steps and metrics --------------------------------------------------------------------------------------
def _record(history: History, memory: IsingMemory, xi: np.ndarray, loss: float) -> None:
    gaps = memory.flip_gaps(xi).min(axis=1)
    history.loss.append(float(loss))
    history.min_gap.append(gaps.tolist())
    history.stable_fraction.append(float(np.mean(gaps > 0)))


def _parameter_norm(J: np.ndarray, h: np.ndarray, with_fields: bool) -> float:
    return math.sqrt(float(np.sum(J * J)) + (float(h @ h) if with_fields else 0.0))


def _norm_target(memory: IsingMemory, norm: float | str | None, train_fields: bool) -> float | None:
    if norm is None:
        return None
    if isinstance(norm, str):
        if norm != "initial":
            raise InvalidInputError(f"norm must be 'initial', a positive number or None; got {norm!r}")
        value = _parameter_norm(memory.J, memory.h, train_fields)
        if value == 0:
            raise InvalidInputError(
                "norm='initial' needs a non-zero initial memory (J, h are all zero); start from "
                "Hebbian.store(patterns), pass norm=<value>, or norm=None with weight_decay"
            )
        return value
    value = finite_number("norm", norm)
    if value <= 0:
        raise InvalidInputError(f"norm must be > 0, got {norm!r}")
    return value


def _step(
    memory: IsingMemory, update: Any, lr: float, weight_decay: float, train_fields: bool, target: float | None
) -> IsingMemory:
    J = memory.J + lr * (update.dJ - weight_decay * memory.J)
    h = memory.h + lr * (update.dh - weight_decay * memory.h) if train_fields else memory.h.copy()
    if target is not None:
        current = _parameter_norm(J, h, train_fields)
        if current > 0:
            J *= target / current
            if train_fields:
                h *= target / current
    new = copy.copy(memory)  # keeps subclasses (and their other parameters) intact
    new.J, new.h = J, h
    for name, delta in update.extra.items():
        if not hasattr(new, name):
            raise InvalidInputError(f"the update trains {name!r} but {type(memory).__name__} has no such parameter")
        setattr(new, name, np.asarray(getattr(new, name), dtype=float) + lr * delta)
    if not (np.all(np.isfinite(J)) and np.all(np.isfinite(h))):
        raise InvalidInputError("training diverged (non-finite couplings); lower lr or use a norm constraint")
    return new
