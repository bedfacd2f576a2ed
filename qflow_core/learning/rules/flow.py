"""The measured-flow rule: channel weights counted from a sampler's ``Survival`` runs started in each pattern.

>>> rule = MeasuredFlowHebbian("survival:gamma=0.1,time=1,regime=dephased,beta=2", num_reads=10)
>>> rule.beta, rule.protocol["regime"]
(2.0, 'dephased')
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules.base import LearningRule, Update, _check_memory, _check_patterns, gap_update
from qflow_core.models.memory import IsingMemory
from qflow_core.protocols import Protocol, Survival, as_protocol, from_dict
from qflow_core.registry import resolve_sampler
from qflow_core.seeding import MAX_SEED
from qflow_core.validation import positive_number

__all__ = ["ChannelMeasurement", "MeasuredFlowHebbian", "classify_reads", "measure_channels", "survival_template"]


@dataclass(frozen=True)
class ChannelMeasurement:
    """Where the reads of one ``Survival`` run from ``pattern`` ended up.

    ``survival`` P̂(return), ``channels[k]`` P̂(single flip of spin k), ``multi_flip`` P̂(two or more flips);
    they sum to 1. ``exact`` says the probabilities came from a SampleSet ``probability`` field (else from
    ``num_occurrences`` over ``num_reads`` reads). ``counts`` are (returns, per-channel, multi-flip) read
    counts (expected counts num_reads × probability when exact). ``protocol`` holds the Survival fields
    other than the state.
    """

    pattern: np.ndarray
    survival: float
    channels: np.ndarray
    multi_flip: float
    num_reads: int
    exact: bool
    counts: dict[str, Any]
    protocol: dict[str, Any] = field(default_factory=dict)
    sampler_info: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def channel_weights(self) -> np.ndarray:
        """p̂_k = n_k / Σ_l n_l (zeros when no read left through a single flip)."""
        total = self.channels.sum()
        return self.channels / total if total > 0 else np.zeros_like(self.channels)

    def survival_loss(self) -> float:
        """−log P̂_surv; with counts and no return at all, P̂_surv is floored at ½ read (−log(0.5/N))."""
        floor = 0.0 if self.exact else 0.5 / self.num_reads
        p = max(self.survival, floor)
        return math.inf if p <= 0 else -math.log(p)


def survival_template(protocol: Any) -> dict[str, Any]:
    """Validate a Survival protocol (or its fields without ``state``) and return its fields minus the state."""
    if isinstance(protocol, Mapping) and "state" not in protocol:
        fields = {k: v for k, v in protocol.items() if k != "protocol"}
        protocol = from_dict({"protocol": "survival", "state": (1,), **fields})
    elif isinstance(protocol, str) and "state=" not in protocol and protocol.strip().lower().startswith("survival"):
        head, _, tail = protocol.partition(":")
        protocol = as_protocol(f"{head}:state=+{',' + tail if tail else ''}")
    else:
        protocol = as_protocol(protocol)
    if not isinstance(protocol, Survival):
        raise InvalidInputError(
            f"measured-flow rules need a Survival protocol (start in the pattern, open the transverse field, "
            f"measure), got {protocol}; e.g. 'survival:gamma=0.3,time=5,regime=dephased,beta=2'"
        )
    return {k: v for k, v in protocol.to_dict().items() if k not in ("protocol", "state")}


def measure_channels(
    memory: IsingMemory,
    pattern: Any,
    sampler: Any,
    protocol: Any,
    *,
    num_reads: int = 1000,
    seed: int | None = None,
    **backend_options: Any,
) -> ChannelMeasurement:
    """Run ``protocol`` (a Survival protocol; its ``state`` is replaced by ``pattern``) and classify the reads.

    Reads equal to the pattern are returns, reads at Hamming distance 1 single-flip escapes into channel k,
    farther reads multi-flip escapes (counted, never dropped). With a ``probability`` field (exact backends) the
    exact probabilities are used; otherwise ``num_occurrences``. ``backend_options`` go to ``sampler.run``.

    >>> from qflow_core.learning.rules.hebbian import Hebbian
    >>> from qflow_core.registry import get_sampler
    >>> memory = Hebbian.store([[1, 1, -1, -1]])
    >>> m = measure_channels(memory, [1, 1, -1, -1], get_sampler("sa"),
    ...                      "survival:gamma=0.1,time=1,regime=dephased,beta=1", num_reads=200, seed=1)
    >>> round(float(m.survival + m.channels.sum() + m.multi_flip), 12), m.num_reads
    (1.0, 200)
    """
    memory = _check_memory(memory)
    xi = _check_patterns(pattern, memory.n)
    if xi.shape[0] != 1:
        raise InvalidInputError(f"measure_channels takes one pattern of length {memory.n}, got {xi.shape[0]}")
    xi = xi[0]
    sampler = resolve_sampler(sampler, purpose="this rule measures on a sampler")
    template = survival_template(protocol)
    survival = Survival(state=tuple(int(v) for v in xi), **template)
    sampleset = sampler.run(memory.to_bqm(), survival, num_reads=num_reads, seed=seed, **backend_options)
    return dataclasses.replace(classify_reads(sampleset, xi, memory.labels, num_reads), protocol=template)


def classify_reads(sampleset: dimod.SampleSet, pattern: np.ndarray, labels: list, num_reads: int) -> ChannelMeasurement:
    """Returns / single-flip channels / multi-flip mass of a SampleSet relative to ``pattern`` (labels order)."""
    variables = list(sampleset.variables)
    try:
        order = [variables.index(v) for v in labels]
    except ValueError:
        raise InvalidInputError(f"sample variables {variables} do not match the memory labels {labels}") from None
    samples = np.asarray(sampleset.record.sample)[:, order]
    if sampleset.vartype is dimod.BINARY:
        samples = 2 * samples - 1
    names = sampleset.record.dtype.names
    exact = "probability" in names
    weights = np.asarray(sampleset.record.probability if exact else sampleset.record.num_occurrences, dtype=float)
    total = weights.sum()
    if total <= 0:
        raise InvalidInputError("the SampleSet holds no reads")
    flipped = samples != pattern
    distance = flipped.sum(axis=1)
    single = distance == 1
    channel_of = np.argmax(flipped[single], axis=1)
    channels = np.bincount(channel_of, weights=weights[single], minlength=pattern.size) / total
    survival = float(weights[distance == 0].sum() / total)
    multi = float(weights[distance >= 2].sum() / total)
    counts = {
        "returns": survival * num_reads,
        "channels": channels * num_reads,
        "multi_flip": multi * num_reads,
    }
    return ChannelMeasurement(
        pattern.astype(float),
        survival,
        channels,
        multi,
        int(num_reads),
        exact,
        counts,
        sampler_info=dict(sampleset.info.get("qflow", {})),
    )


class MeasuredFlowHebbian(LearningRule):
    """The hardware-native rule: the softmax-weighted update with channel weights *measured* on a sampler.

    For each pattern ξ^μ the sampler runs ``protocol`` (a :class:`~qflow_core.protocols.Survival`, started in
    ξ^μ; the regime — coherent or dephased — is the protocol's) for ``num_reads`` reads. Returns give P̂_surv^μ,
    single-flip escapes give p̂^μ_k = n_k / Σ_l n_l, multi-flip escapes are counted and reported in ``info``.
    The loss is the measured survival loss L = mean_μ −log P̂_surv^μ and the update

        δJ_ij = (2β/P) Σ_μ (1 − P̂_surv^μ)(p̂^μ_i + p̂^μ_j) ξ_i ξ_j,   δh_i = (2β/P) Σ_μ (1 − P̂_surv^μ) p̂^μ_i ξ_i.

    This is exactly −∇L when the device's channel ratios are Boltzmann at inverse temperature β in the star
    model — the dephased picture; in any other regime it is the model-free stability-driven Hebbian
    update. ``beta`` defaults to the protocol's bath β (dephased) and to 1 (coherent). The same code runs
    on every sampler that supports the protocol (exact, sa, dwave, dwave-mock, qaoa, ...), as one
    ``sampler.run_many`` batch per step whose seed is drawn from ``rng`` (pass one for reproducible training);
    ``backend_options`` go to every run.
    """

    name: ClassVar[str] = "measured-flow"
    requires_sampler: ClassVar[bool] = True

    def __init__(
        self,
        protocol: Protocol | str | Mapping[str, Any],
        *,
        num_reads: int = 1000,
        beta: float | None = None,
        backend_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.protocol = survival_template(protocol)
        self.backend_options = dict(backend_options or {})
        if isinstance(num_reads, bool) or not isinstance(num_reads, (int, np.integer)) or num_reads < 1:
            raise InvalidInputError(f"num_reads must be a positive integer, got {num_reads!r}")
        self.num_reads = int(num_reads)
        default = self.protocol.get("beta") or 1.0
        self.beta = positive_number("MeasuredFlowHebbian beta", default if beta is None else beta)

    def measure(
        self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None
    ) -> list[ChannelMeasurement]:
        """One :class:`ChannelMeasurement` per pattern, from one ``sampler.run_many`` batch of Survival runs.

        The batch seed is drawn from ``rng`` and run μ is seeded ``child_seed(seed, μ)``, so results do not
        depend on whether the backend batches (dwave samplers reverse-anneal all patterns as one batch).
        """
        memory = _check_memory(memory)
        xi = _check_patterns(patterns, memory.n)
        sampler = resolve_sampler(sampler, purpose="this rule measures on a sampler")
        rng = rng if rng is not None else np.random.default_rng()
        seed = int(rng.integers(0, MAX_SEED))
        protocols = [Survival(state=tuple(int(v) for v in pattern), **self.protocol) for pattern in xi]
        samplesets = sampler.run_many(
            memory.to_bqm(), protocols, num_reads=self.num_reads, seed=seed, **self.backend_options
        )
        return [
            dataclasses.replace(
                classify_reads(ss, pattern, memory.labels, self.num_reads), protocol=dict(self.protocol)
            )
            for ss, pattern in zip(samplesets, xi, strict=True)
        ]

    def update(
        self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None
    ) -> Update:
        memory = _check_memory(memory)
        xi = _check_patterns(patterns, memory.n)
        measured = self.measure(memory, xi, sampler=sampler, rng=rng)
        survival = np.array([m.survival for m in measured])
        channels = np.array([m.channels for m in measured])
        weights = np.array([m.channel_weights for m in measured])
        multi = np.array([m.multi_flip for m in measured])
        losses = np.array([m.survival_loss() for m in measured])
        q = (self.beta * (1.0 - survival))[:, None] * weights  # Q_μk = β (1 − P̂_surv) p̂_k
        summary = {
            "survival_mean": float(survival.mean()),
            "multi_flip_mean": float(multi.mean()),
            "multi_flip_max": float(multi.max()),
        }
        return gap_update(
            xi,
            q,
            loss=float(losses.mean()),
            survival=survival,
            channels=channels,
            channel_weights=weights,
            multi_flip=multi,
            exact=all(m.exact for m in measured),
            summary=summary,
        )

    def loss(self, memory: Any, patterns: Any, *, sampler: Any = None, rng: np.random.Generator | None = None) -> float:
        measured = self.measure(memory, patterns, sampler=sampler, rng=rng)
        return float(np.mean([m.survival_loss() for m in measured]))
