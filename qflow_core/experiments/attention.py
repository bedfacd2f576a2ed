"""The attention-map experiment: sample the one-hot QUBO, histogram the keys, fit softmax vs Lorentzian.

One run = one sampler × one protocol on a :class:`~qflow_core.models.attention.OneHotAttention` memory. Non-one-hot
reads are discarded (and counted); the one-hot histogram is fitted by both models (softmax and Lorentzian) and the
verdict weighs Vuong's test and each model's G-test at 5 % (:func:`qflow_core.fitting.compare_models`).

>>> from qflow_core.models.attention import OneHotAttention
>>> memory = OneHotAttention.random(num_keys=6, dim=8, seed=1)
>>> result = attention_map(memory, "enum", "boltzmann:beta=2", num_reads=20000, seed=5)
>>> result.verdict, abs(result.comparison.softmax.beta - 2) < 3 * result.comparison.softmax.se
('softmax', True)
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.fitting import ModelComparison, compare_models, fit_lorentzian, fit_softmax
from qflow_core.io import to_jsonable
from qflow_core.models.attention import OneHotAttention
from qflow_core.protocols import Boltzmann, Protocol, as_protocol, from_dict
from qflow_core.registry import check_support, resolve_sampler
from qflow_core.results import ExperimentResult, new_figure, save_figure
from qflow_core.sampler import Sampler
from qflow_core.temperature import BetaEstimate, pseudolikelihood_beta

__all__ = ["AttentionResult", "attention_map", "draw_attention"]


@dataclass
class AttentionResult(ExperimentResult):
    """One attention-map run.

    ``counts[m]``: one-hot reads on key m; ``num_invalid`` / ``invalid_fraction``: discarded reads;
    ``effective_beta``: the maximum pseudo-likelihood β̂ of all reads on the full QUBO with its bootstrap interval and
    TV distance to Boltzmann (:func:`qflow_core.temperature.pseudolikelihood_beta`; with ``calibrate=True``);
    ``exact_probabilities``: P(key m | one-hot) when the backend reports exact probabilities, with the
    N-independent fits ``exact_beta`` / ``exact_gamma`` to them; ``comparison``: both fits and the
    model selection on the counts (None when no read was one-hot); ``timing``: wall seconds of sampling,
    fitting and the whole run; ``info``: the sampler's ``info["qflow"]``; ``warnings``: e.g. a frozen penalty.
    """

    sampler: str
    protocol: dict[str, Any]
    fidelity: str
    num_reads: int
    seed: int
    scores: np.ndarray
    penalty: float
    counts: np.ndarray
    num_invalid: int
    invalid_fraction: float
    comparison: ModelComparison | None
    exact_probabilities: np.ndarray | None = None
    exact_beta: float | None = None
    exact_gamma: float | None = None
    timing: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    effective_beta: BetaEstimate | None = None

    @property
    def verdict(self) -> str:
        """ "softmax", "lorentzian", "neither", "undecided", or "no one-hot reads"."""
        return self.comparison.verdict if self.comparison is not None else "no one-hot reads"

    @property
    def protocol_label(self) -> str:
        """The protocol in CLI form, e.g. ``boltzmann:beta=2.0,gamma=0.0``."""
        return str(from_dict(self.protocol))

    @property
    def frequencies(self) -> np.ndarray:
        """Observed P(key m | one-hot)."""
        total = self.counts.sum()
        return self.counts / total if total else np.zeros(len(self.counts))

    def summary(self) -> str:
        """A short human-readable report of the run."""
        lines = [
            f"{self.sampler} | {self.protocol_label} | fidelity {self.fidelity} | {self.num_reads} reads, "
            f"seed {self.seed} | invalid {self.invalid_fraction:.2%} | {self.timing.get('wall_s', math.nan):.3g} s"
        ]
        c = self.comparison
        if c is not None:
            lines.append(
                f"softmax beta = {_fmt(c.softmax.beta)} ± {_fmt(c.softmax.se)}  |  Lorentzian gamma = "
                f"{_fmt(c.lorentzian.gamma)}  |  dloglik = {c.delta_loglik:+.4g} (dAIC {c.delta_aic:+.4g})"
            )
            lines.append(
                f"KL(p||softmax) = {c.kl_softmax:.3g}, KL(p||Lorentzian) = {c.kl_lorentzian:.3g}  |  Vuong z = "
                f"{_fmt(c.vuong_z, '.3g')}, p = {_fmt(c.vuong_p, '.3g')}  |  G-test p: softmax "
                f"{_fmt(c.softmax_fit.pvalue, '.3g')}, Lorentzian {_fmt(c.lorentzian_fit.pvalue, '.3g')}"
            )
        if self.exact_beta is not None:
            lines.append(f"exact probabilities: beta = {_fmt(self.exact_beta)}, gamma = {_fmt(self.exact_gamma)}")
        lines.append(f"verdict: {self.verdict}" + (f" ({c.reason})" if c is not None else ""))
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def plot(self, path: str | os.PathLike) -> Path:
        """Bar chart of the observed P(key | one-hot) with both fitted curves; verdict in the title."""
        fig, ax = new_figure(figsize=(7.5, 4.8))
        draw_attention(ax, self)
        return save_figure(fig, path)


def _fmt(x: float | None, spec: str = ".4g") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return format(x, spec)


def attention_map(
    memory: OneHotAttention,
    sampler: Sampler | str,
    protocol: Protocol | str,
    *,
    num_reads: int = 10000,
    seed: int | None = None,
    calibrate: bool = False,
    **backend_options: Any,
) -> AttentionResult:
    """Run ``protocol`` on ``memory.to_bqm()`` with ``sampler``, decode the keys, fit and compare the models.

    ``sampler`` is a :class:`~qflow_core.sampler.Sampler` or an installed sampler's name; ``backend_options``
    go to :meth:`Sampler.run`. For Boltzmann sampling on a non-exact backend the penalty is checked for
    freezing (:meth:`OneHotAttention.warn_if_frozen`): the warning is issued and recorded.
    ``calibrate=True`` also estimates the effective β of the reads (``effective_beta``).
    """
    if not isinstance(memory, OneHotAttention):
        raise InvalidInputError(f"attention_map needs a OneHotAttention memory, got {type(memory).__name__}")
    sampler = resolve_sampler(sampler)
    protocol = as_protocol(protocol)
    start = time.perf_counter()
    notes: list[str] = []
    fidelity = check_support(sampler, protocol)
    if isinstance(protocol, Boltzmann) and protocol.gamma == 0 and fidelity not in (None, "exact"):
        if memory.warn_if_frozen(protocol.beta, stacklevel=3):
            notes.append(
                f"penalty {memory.penalty:.4g} freezes single-flip samplers at beta = {protocol.beta:g} "
                f"(beta*B = {protocol.beta * memory.mixing_barrier:.3g}); the histogram need not be softmax"
            )
    bqm = memory.to_bqm()
    sampleset = sampler.run(bqm, protocol, num_reads=num_reads, seed=seed, **backend_options)
    sampled = time.perf_counter()
    decoded = memory.decode(sampleset)
    comparison = compare_models(decoded.counts, memory.scores) if decoded.num_valid else None
    exact_beta = exact_gamma = None
    if decoded.probabilities is not None and np.all(np.isfinite(decoded.probabilities)):
        exact_beta = fit_softmax(decoded.probabilities, memory.scores).beta
        exact_gamma = fit_lorentzian(decoded.probabilities, memory.scores).gamma
    info = sampleset.info.get("qflow", {})
    effective = pseudolikelihood_beta(bqm, sampleset, seed=int(info.get("seed", 0))) if calibrate else None
    done = time.perf_counter()
    return AttentionResult(
        sampler=sampler.name,
        protocol=protocol.to_dict(),
        fidelity=str(info.get("fidelity", fidelity)),
        num_reads=num_reads,
        seed=int(info.get("seed", -1)),
        scores=memory.scores.copy(),
        penalty=memory.penalty,
        counts=decoded.counts,
        num_invalid=decoded.num_invalid,
        invalid_fraction=decoded.invalid_fraction,
        comparison=comparison,
        exact_probabilities=decoded.probabilities,
        exact_beta=exact_beta,
        exact_gamma=exact_gamma,
        timing={"sample_s": sampled - start, "fit_s": done - sampled, "wall_s": done - start},
        info=json.loads(json.dumps(to_jsonable(info), default=str)),
        warnings=notes,
        effective_beta=effective,
    )


def draw_attention(ax: Any, result: AttentionResult, *, compact: bool = False) -> None:
    """Draw one run on a matplotlib axis: observed bars, softmax and Lorentzian fits, exact markers (log y)."""
    from matplotlib.ticker import NullFormatter

    order = np.argsort(-result.scores, kind="stable")
    x = np.arange(order.size)
    observed = result.frequencies[order]
    ax.bar(x, observed, color="#9ecae1", edgecolor="#3182bd", label=f"observed (N = {int(result.counts.sum())})")
    c = result.comparison
    positive = [observed[observed > 0]]
    if c is not None:
        s, lor = c.softmax, c.lorentzian
        ax.plot(
            x,
            s.probabilities[order],
            "o-",
            color="#d95f02",
            lw=2,
            ms=5,
            label=f"softmax  β̂ = {_fmt(s.beta, '.3g')} ± {_fmt(s.se, '.2g')}",
        )
        ax.plot(
            x,
            lor.probabilities[order],
            "s--",
            color="#1b9e77",
            lw=2,
            ms=5,
            label=f"Lorentzian  γ̂ = {_fmt(lor.gamma, '.3g')}",
        )
        positive += [s.probabilities[s.probabilities > 0], lor.probabilities]
    if result.exact_probabilities is not None:
        exact = result.exact_probabilities[order]
        ax.plot(x, exact, "k_", ms=14, mew=2, label="exact P(key | one-hot)")
        positive.append(exact[exact > 0])
    ax.set_yscale("log", nonpositive="clip")
    ax.yaxis.set_minor_formatter(NullFormatter())
    values = np.concatenate(positive) if positive else np.array([1.0])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:  # nothing below a fifth of one read's probability is resolved by the data
        floor = 0.2 / max(int(result.counts.sum()), 1)
        ax.set_ylim(max(values.min() / 3, floor), min(2.0, values.max() * 3))
    ax.set_xticks(x)
    ax.set_xticklabels([f"{result.scores[m]:.2f}" for m in order], rotation=0 if order.size <= 10 else 60)
    ax.set_xlabel("key score a_m (best first)")
    ax.set_ylabel("P(key | one-hot)")
    head = f"{result.sampler} · {result.protocol_label}"
    if c is not None:
        stats = f"z = {_fmt(c.vuong_z, '.3g')}, p = {_fmt(c.vuong_p, '.2g')}, Δℓ = {c.delta_loglik:+.3g}"
    else:
        stats = "no one-hot reads"
    title = f"{head}\nverdict: {result.verdict.upper()}  ({stats})"
    ax.set_title(title, fontsize=9 if compact else 11)
    ax.legend(
        loc="upper right",
        fontsize=7 if compact else 9,
        title=f"{result.fidelity} · invalid reads {result.invalid_fraction:.1%}",
        title_fontsize=7 if compact else 9,
        framealpha=0.9,
    )
