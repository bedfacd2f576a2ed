"""Rules by name: ``parse_rule("softmax-hebbian:beta=4")`` (the CLI) and :func:`rule_from_description`.

>>> rule_from_description({"rule": "mpf"})
MinimumProbabilityFlow()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qflow_core.errors import InvalidInputError
from qflow_core.learning.rules.base import LearningRule
from qflow_core.learning.rules.flow import MeasuredFlowHebbian
from qflow_core.learning.rules.hebbian import Hebbian, MinimumProbabilityFlow, SoftmaxHebbian
from qflow_core.learning.rules.lorentzian import LorentzianHebbian

__all__ = ["parse_rule", "rule_from_description"]


_RULES: dict[str, type[LearningRule]] = {
    "hebb": Hebbian,
    "hebbian": Hebbian,
    "softmax-hebbian": SoftmaxHebbian,
    "softmax": SoftmaxHebbian,
    "lorentzian-hebbian": LorentzianHebbian,
    "lorentzian": LorentzianHebbian,
    "mpf": MinimumProbabilityFlow,
    "measured-flow": MeasuredFlowHebbian,
}


def parse_rule(text: str, *, protocol: Any = None, num_reads: int | None = None) -> LearningRule:
    """A rule from ``"name:key=value,..."``, e.g. ``"softmax-hebbian:beta=4,survival=true"`` or ``"mpf"``.

    Names: hebb/hebbian, softmax-hebbian (beta, survival; default beta 4), lorentzian-hebbian (gamma, sign),
    mpf, measured-flow (needs ``protocol``; optional beta, num_reads).

    >>> parse_rule("softmax-hebbian:beta=2,survival=true")
    SoftmaxHebbian(beta=2.0, survival=True)
    >>> parse_rule("lorentzian:gamma=0.3")
    LorentzianHebbian(gamma=0.3, sign='reflect')
    """
    head, _, tail = text.strip().partition(":")
    key = head.strip().lower().replace("_", "-")
    if key not in _RULES:
        raise InvalidInputError(f"unknown rule {head!r}; known: {', '.join(sorted(_RULES))}")
    kwargs: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in tail.split(","))):
        name, eq, value = item.partition("=")
        if not eq:
            raise InvalidInputError(f"cannot parse {item!r} in rule {text!r}: expected key=value")
        kwargs[name.strip()] = _rule_value(value.strip())
    cls = _RULES[key]
    if cls is SoftmaxHebbian:
        kwargs.setdefault("beta", 4.0)
    if cls is MeasuredFlowHebbian:
        if protocol is None:
            raise InvalidInputError(
                "the measured-flow rule needs a Survival protocol, e.g. "
                "--protocol survival:gamma=0.3,time=5,regime=dephased,beta=2"
            )
        kwargs["protocol"] = protocol
        if num_reads is not None:
            kwargs.setdefault("num_reads", num_reads)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise InvalidInputError(f"cannot build rule {key!r} from {kwargs}: {exc}") from None


def _rule_value(value: str) -> Any:
    if value.lower() in ("true", "yes", "on"):
        return True
    if value.lower() in ("false", "no", "off"):
        return False
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number


def rule_from_description(description: Mapping[str, Any]) -> LearningRule:
    """Rebuild a rule from :meth:`LearningRule.describe` output (closed-form and measured-flow rules)."""
    settings = dict(description)
    key = str(settings.pop("rule", ""))
    if key not in _RULES:
        raise InvalidInputError(f"unknown rule {key!r} in {description!r}")
    return _RULES[key](**settings)
