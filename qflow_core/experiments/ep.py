"""Training a transverse-field Ising network by equilibrium propagation, the same call on every backend.

:func:`ep_train` runs gradient descent θ ← θ − η ĝ with ĝ from a :class:`~qflow_core.learning.ep.QuantumEP` or
:class:`~qflow_core.learning.ep.ThermalEP` rule on any sampler, and records per epoch: the loss the sampler's free phase
measures, the exact loss and the cosine similarity between ĝ and the exact gradient (central finite differences
of the exact loss, from the spectrum a ``SpectralBackend`` sampler gives), and the wall time of the EP step.
Γ is trained only where the backend measures ⟨X⟩ and is kept ≥ 0.

>>> import numpy as np
>>> from qflow_core.learning.ep import QuantumEP
>>> from qflow_core.models.network import SupervisedTask, TransverseIsingNetwork
>>> net = TransverseIsingNetwork(np.zeros((3, 3)), gamma=0.0, inputs=[0, 1], outputs=[2])
>>> result = ep_train(net, SupervisedTask.boolean("or"), QuantumEP(0.5, num_reads=50), "sa", epochs=2, lr=0.2,
...                   seed=0, exact_check=False)
>>> len(result.loss), result.sampler
(2, 'sa')
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.capabilities import SpectralBackend, basis_states, find_capability, x_expectations, z_probabilities
from qflow_core.errors import InvalidInputError
from qflow_core.io import to_jsonable
from qflow_core.learning.ep import QuantumEP, ThermalEP, phase_seeds
from qflow_core.learning.loop import EpochRun, run_epochs
from qflow_core.models.network import SupervisedTask, TransverseIsingNetwork
from qflow_core.registry import resolve_sampler
from qflow_core.results import ExperimentResult, new_figure, save_figure
from qflow_core.sampler import Sampler
from qflow_core.seeding import child_seed, resolve_seed

__all__ = ["EPTrainResult", "ep_train", "exact_gradient", "exact_loss", "plot_learning_curves"]

Rule = QuantumEP | ThermalEP


@dataclass
class EPTrainResult(ExperimentResult):
    """Per-epoch record of one :func:`ep_train` run (lists have one entry per epoch, before its update)."""

    sampler: str
    rule: str
    task: str
    epochs: int
    lr: float
    seed: int | None
    loss: list[float]
    exact_loss: list[float] | None
    cosine: list[float] | None
    step_time_s: list[float]
    num_matvecs: list[int]
    gradient_stderr: list[float]
    final_loss: float | None
    final_exact_loss: float | None
    gamma_trained: bool
    initial_parameters: list[float]
    final_parameters: list[float]
    notes: list[str] = field(default_factory=list)

    def plot(self, path: str | os.PathLike) -> Path:
        """Learning curve (exact loss where available, else the sampler's estimate)."""
        return plot_learning_curves([self], path)


def plot_learning_curves(results: Sequence[EPTrainResult], path: str | os.PathLike) -> Path:
    """One line per run: the exact loss (solid) or, without it, the sampler's own estimate (dashed)."""
    fig, (ax_loss, ax_cos) = new_figure(1, 2)
    for result in results:
        epochs = np.arange(len(result.loss))
        if result.exact_loss is not None:
            ax_loss.plot(epochs, result.exact_loss, label=f"{result.sampler} (exact loss)")
        else:
            ax_loss.plot(epochs, result.loss, "--", label=f"{result.sampler} (measured loss)")
        if result.cosine is not None:
            ax_cos.plot(epochs, result.cosine, label=result.sampler)
    ax_loss.set(xlabel="epoch", ylabel="loss  mean ⟨C⟩", title=f"EP training: {results[0].task}", yscale="log")
    ax_cos.set(xlabel="epoch", ylabel="cos(ĝ, exact gradient)", ylim=(-1.05, 1.05), title="gradient alignment")
    for ax in (ax_loss, ax_cos):
        if ax.lines:
            ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    return save_figure(fig, path)


def exact_loss(network: TransverseIsingNetwork, task: SupervisedTask, rule: Rule, backend: Any = None) -> float:
    """The loss the rule descends, computed exactly: mean ⟨C_p⟩ in the eigenstate (QuantumEP) or Gibbs state.

    The spectrum comes from ``backend`` if it implements :class:`~qflow_core.capabilities.SpectralBackend`, else
    from an installed sampler that does.
    """
    spectral = find_capability(SpectralBackend, backend)
    states = basis_states(network.n)
    total = 0.0
    for phase, cost in task.phases(network):
        gamma = np.abs(phase.gamma)  # H(−Γ_i) = Z_i H(|Γ_i|) Z_i: same z statistics, ⟨X_i⟩ changes sign
        if isinstance(rule, QuantumEP):
            state = spectral.eigenstate(phase.J, phase.h, gamma, level=rule.level).state
            probabilities, x = z_probabilities(state), x_expectations(state)
        else:
            gibbs = spectral.gibbs_state(phase.J, phase.h, gamma, 1.0 / rule.temperature)
            probabilities, x = gibbs.z_populations(), gibbs.x_expectations()
        total += cost.expectation(states, probabilities, np.where(phase.gamma < 0, -x, x))
    return total / len(task)


def exact_gradient(
    network: TransverseIsingNetwork, task: SupervisedTask, rule: Rule, *, step: float = 1e-5
) -> np.ndarray:
    """Central finite differences of :func:`exact_loss` in :meth:`parameter_vector` order."""
    theta = network.parameter_vector()
    grad = np.empty_like(theta)
    for k in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[k] += step
        down[k] -= step
        grad[k] = (
            exact_loss(network.with_parameters(up), task, rule) - exact_loss(network.with_parameters(down), task, rule)
        ) / (2 * step)
    return grad


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else 0.0


def ep_train(
    network: TransverseIsingNetwork,
    task: SupervisedTask,
    rule: Rule,
    sampler: Sampler | str,
    *,
    epochs: int = 50,
    lr: float = 0.5,
    seed: int | None = None,
    exact_check: bool = True,
    train_gamma: bool = True,
    progress: bool = False,
    callbacks: Iterable[Callable[[int, TransverseIsingNetwork], bool | None]] = (),
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 10,
) -> EPTrainResult:
    """Train ``network`` on ``task`` with ``rule`` on ``sampler`` for ``epochs`` full-batch steps.

    ``exact_check`` (needs the exact plugin, small n) records the exact loss and the cosine similarity between
    the estimated and the exact gradient (over the parameters the rule estimates) every epoch. The network
    passed in is not modified; the trained parameters are in the result. ``train_gamma=False`` keeps Γ fixed
    even where the backend measures ⟨X⟩. Epoch k measures its phases with the seed ``child_seed(seed, k)``.

    This is the training loop of :func:`~qflow_core.learning.loop.run_epochs`, as :func:`~qflow_core.learning.train`
    is: ``callbacks`` run after every epoch as ``callback(epochs_done, network)`` (True stops), and with
    ``checkpoint=path`` the run is saved atomically every ``checkpoint_every`` epochs and resumed from there,
    bit for bit (except wall times), when called again with the same settings.
    """
    sampler = resolve_sampler(sampler)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise InvalidInputError(f"epochs must be a positive integer, got {epochs!r}")
    if not np.isfinite(lr) or lr <= 0:
        raise InvalidInputError(f"lr must be a finite number > 0, got {lr!r}")
    if not isinstance(rule, (QuantumEP, ThermalEP)):
        raise InvalidInputError(f"rule must be QuantumEP or ThermalEP, got {type(rule).__name__}")
    task.costs(network)  # validates the task against the network before any sampling
    if isinstance(rule, QuantumEP):
        rule.reset()
    seed = resolve_seed(seed)  # drawn here when None, so the result records the seed the run really used
    run = _NetworkRun(network, task, rule, sampler, seed, bool(exact_check), bool(train_gamma), lr)
    run_epochs(
        run,
        epochs=int(epochs),
        seed=seed,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        callbacks=[lambda done, cb=cb: cb(done, run.network) for cb in callbacks],
        progress=progress,
        description=f"ep {sampler.name}",
    )
    network = run.network
    record = run.record
    final = rule.loss(network, task, sampler=sampler, seed=phase_seeds(child_seed(seed, int(epochs) - 1), 1)[0])
    return EPTrainResult(
        sampler=sampler.name,
        rule=repr(rule),
        task=task.name,
        epochs=int(epochs),
        lr=float(lr),
        seed=seed,
        loss=record["loss"],
        exact_loss=record["exact_loss"] if exact_check else None,
        cosine=record["cosine"] if exact_check else None,
        step_time_s=record["step_time_s"],
        num_matvecs=record["num_matvecs"],
        gradient_stderr=record["gradient_stderr"],
        final_loss=final,
        final_exact_loss=exact_loss(network, task, rule) if exact_check else None,
        gamma_trained=run.gamma_trained,
        initial_parameters=run.initial.tolist(),
        final_parameters=network.parameter_vector().tolist(),
        notes=run.notes,
    )


class _NetworkRun(EpochRun):
    """One :func:`ep_train` run for :func:`~qflow_core.learning.loop.run_epochs`: the network and its record."""

    state_keys = ("parameters", "record", "notes", "gamma_trained", "warm_start")
    _record_keys = ("loss", "exact_loss", "cosine", "step_time_s", "num_matvecs", "gradient_stderr")

    def __init__(
        self,
        network: TransverseIsingNetwork,
        task: SupervisedTask,
        rule: Rule,
        sampler: Sampler,
        seed: int,
        exact_check: bool,
        train_gamma: bool,
        lr: float,
    ) -> None:
        self.network, self.task, self.rule, self.sampler = network, task, rule, sampler
        self.seed, self.exact_check, self.train_gamma, self.lr = seed, exact_check, train_gamma, float(lr)
        self.initial = network.parameter_vector()
        self.gamma_slice = slice(len(self.initial) - network.n, None)
        self.record: dict[str, list] = {key: [] for key in self._record_keys}
        self.notes: list[str] = []
        self.gamma_trained = False
        self.config = to_jsonable(
            {
                "rule": repr(rule),
                "rule_settings": rule.describe(),
                "task": task.name,
                "task_inputs": np.asarray(task.inputs),
                "task_targets": np.asarray(task.targets),
                "network": network.parameter_vector(),
                "inputs": list(network.inputs),
                "outputs": list(network.outputs),
                "sampler": sampler.name,
                "seed": seed,
                "lr": self.lr,
                "exact_check": exact_check,
                "train_gamma": train_gamma,
            }
        )

    @property
    def epochs_done(self) -> int:
        return len(self.record["loss"])

    def epoch(self, epoch: int, rng: np.random.Generator) -> dict[str, str]:
        network, task, rule, record = self.network, self.task, self.rule, self.record
        start = time.perf_counter()
        grad = rule.gradient(network, task, self.sampler, seed=child_seed(self.seed, epoch))
        record["step_time_s"].append(time.perf_counter() - start)
        record["loss"].append(grad.loss)
        record["num_matvecs"].append(grad.num_matvecs)
        record["gradient_stderr"].append(float(np.linalg.norm(grad.stderr_vector())))
        for note in grad.notes:
            if note not in self.notes:
                self.notes.append(note)
        if self.exact_check:
            mask = grad.mask()
            record["exact_loss"].append(exact_loss(network, task, rule))
            if not self.train_gamma:
                mask[self.gamma_slice] = False
            record["cosine"].append(_cosine(grad.vector()[mask], exact_gradient(network, task, rule)[mask]))
        step = self.lr * grad.vector()
        if not self.train_gamma:
            step[self.gamma_slice] = 0.0
        theta = network.parameter_vector() - step
        theta[self.gamma_slice] = np.maximum(theta[self.gamma_slice], 0.0)
        self.gamma_trained = self.gamma_trained or (self.train_gamma and grad.gamma_available)
        self.network = network.with_parameters(theta)
        return {"loss": f"{grad.loss:.4g}"}

    def state(self) -> dict[str, Any]:
        warm = self.rule.warm_start_states() if isinstance(self.rule, QuantumEP) else {}
        return {
            "parameters": self.network.parameter_vector(),
            "record": self.record,
            "notes": self.notes,
            "gamma_trained": self.gamma_trained,
            "warm_start": warm,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.network = self.network.with_parameters(np.asarray(state["parameters"], dtype=float))
        self.record = {key: list(state["record"][key]) for key in self._record_keys}
        self.notes = list(state["notes"])
        self.gamma_trained = bool(state["gamma_trained"])
        if isinstance(self.rule, QuantumEP):
            self.rule.restore_warm_start_states(state["warm_start"])
