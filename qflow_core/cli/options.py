"""``--option KEY=VALUE``: a sampler's declared run options on the command line.

A sampler declares what its runs accept (``run_parameters``, see ``qflow plugins --verbose``); ``--option``
passes them, comma-separated or repeated like every list flag. With several samplers, ``SAMPLER:KEY=VALUE``
gives an option to one of them and ``KEY=VALUE`` to every selected sampler that declares ``KEY``. Each value is
read as the declared type and checked against the declared range before anything runs:

>>> split_option_list("num_sweeps=50,beta_range=0.1,3,sa:randomize_order=true")
['num_sweeps=50', 'beta_range=0.1,3', 'sa:randomize_order=true']
>>> sampler_options(["num_sweeps=50", "sa:beta_range=0.1,3"], ["sa", "exact"])
{'sa': {'num_sweeps': 50, 'beta_range': [0.1, 3.0]}}
>>> try:
...     sampler_options(["num_sweep=50"], ["sa"])
... except InvalidInputError as exc:
...     print(exc)  # doctest: +ELLIPSIS
--option num_sweep=50: sa does not declare 'num_sweep' (did you mean 'num_sweeps'?); sa options: ...
>>> try:
...     sampler_options(["num_sweeps=0"], ["sa"])
... except InvalidInputError as exc:
...     print(exc)
--option num_sweeps=0: sa option 'num_sweeps' must be an integer ≥ 1, got '0'
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from qflow_core.cli.common import add_list_argument, closest, split_comma_list
from qflow_core.errors import InvalidInputError

if TYPE_CHECKING:
    from qflow_core.parameters import Parameter

__all__ = [
    "add_options_argument",
    "option_item",
    "options_for_one",
    "options_from_args",
    "sampler_options",
    "split_option_list",
]

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def split_option_list(text: str) -> list[str]:
    """Split ``KEY=VALUE`` items on commas; a piece without ``=`` belongs to the value before it (``0.1,3``)."""
    items: list[str] = []
    for part in split_comma_list(text):
        if items and "=" not in part:
            items[-1] += "," + part
        else:
            items.append(part)
    return items


def option_item(text: str) -> str:
    """argparse ``type=``: one ``KEY=VALUE`` or ``SAMPLER:KEY=VALUE`` (checked against the samplers later)."""
    key, eq, _ = text.partition("=")
    if not eq or not key.rpartition(":")[2].strip():
        raise argparse.ArgumentTypeError(f"write KEY=VALUE or SAMPLER:KEY=VALUE, got {text!r}")
    return text.strip()


def add_options_argument(parser: argparse.ArgumentParser, *, several: bool = False) -> None:
    """``--option``: the samplers' run options (``several``: the command runs more than one sampler)."""
    target = (
        "; SAMPLER:KEY=VALUE gives it to one sampler, KEY=VALUE to every selected sampler that declares KEY"
        if several
        else ""
    )
    add_list_argument(
        parser,
        "--option",
        metavar="[SAMPLER:]KEY=VALUE[,...]" if several else "KEY=VALUE[,...]",
        split=split_option_list,
        item=option_item,
        help="a run option the sampler declares (`qflow plugins --verbose` lists them; e.g. num_sweeps=200 for "
        f"sa), read as its declared type and checked against its range{target}",
    )


def options_from_args(args: argparse.Namespace, samplers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The checked options of ``args.option`` by sampler name; ``args.option`` becomes that mapping (None when
    no option was given), so the run's configuration (its record and the hash of its run directory) holds the
    values as the samplers get them.
    """
    options = sampler_options(args.option or [], samplers)
    args.option = options or None
    return options


def options_for_one(args: argparse.Namespace, sampler: str) -> dict[str, Any]:
    """:func:`options_from_args` for a command that runs the one sampler ``sampler``: its options."""
    return next(iter(options_from_args(args, [sampler]).values()), {})


def sampler_options(items: Iterable[str], samplers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{sampler name: {option: checked value}}`` from ``--option`` items, for the selected ``samplers``.

    Unknown sampler, undeclared option or bad value → :class:`InvalidInputError` naming what was given, the
    closest valid name and what is allowed.
    """
    from qflow_core.registry import default_registry

    classes = {}  # every name a sampler answers to → its class
    for cls in default_registry().sampler_classes().values():
        for name in (cls.name, *cls.aliases):
            classes[name] = cls
    chosen_classes = [classes[name] for name in samplers if name in classes]
    selected = {cls.name: cls for cls in chosen_classes}
    by_alias = {alias: cls.name for cls in chosen_classes for alias in (cls.name, *cls.aliases)}
    options: dict[str, dict[str, Any]] = {}
    for item in items:
        head, _, text = item.partition("=")
        target, colon, key = head.rpartition(":")
        key, target, text = key.strip(), target.strip(), text.strip()
        if colon:
            if target not in by_alias:
                raise InvalidInputError(
                    f"--option {item}: {target!r} is not a selected sampler{closest(target, by_alias)}; "
                    f"selected: {', '.join(selected) or 'none'}"
                )
            chosen = [by_alias[target]]
            declared = {p.name: p for p in selected[chosen[0]].run_parameters}
            if key not in declared:
                raise InvalidInputError(
                    f"--option {item}: {chosen[0]} does not declare {key!r}{closest(key, declared)}; "
                    f"{_listing({chosen[0]: selected[chosen[0]]})}"
                )
        else:
            chosen = [name for name, cls in selected.items() if any(p.name == key for p in cls.run_parameters)]
            if not chosen:
                every = {p.name for cls in selected.values() for p in cls.run_parameters}
                single = len(selected) == 1
                who = f"{next(iter(selected))} does not declare" if single else "no selected sampler declares"
                raise InvalidInputError(f"--option {item}: {who} {key!r}{closest(key, every)}; {_listing(selected)}")
        for name in chosen:
            parameter = next(p for p in selected[name].run_parameters if p.name == key)
            options.setdefault(name, {})[key] = _value(parameter, text, name, item)
    return options


def _listing(selected: dict[str, Any]) -> str:
    return "; ".join(
        f"{name} options: {', '.join(p.name for p in cls.run_parameters) or 'none'}" for name, cls in selected.items()
    )


def _value(parameter: Parameter, text: str, sampler: str, item: str) -> Any:
    """``text`` read as ``parameter``'s type, then checked by it; a bad value names option, value and range."""
    hint = closest(text, [str(c) for c in parameter.choices]) if parameter.choices else ""
    bad = InvalidInputError(
        f"--option {item}: {sampler} option {parameter.name!r} must be {parameter.range_text()}, got {text!r}{hint}"
    )
    try:
        value = _read(parameter, text)
        return parameter.check(value)
    except (InvalidInputError, ValueError):
        raise bad from None


def _read(parameter: Parameter, text: str) -> Any:
    lowered = text.lower()
    if lowered in ("none", "null") and parameter.optional:
        return None
    if parameter.type is bool:
        if lowered in _TRUE + _FALSE:
            return lowered in _TRUE
        raise ValueError(text)
    if parameter.type is int:
        return int(text)
    if parameter.type is float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value
    if parameter.type is object:
        return _json_or_list(text)
    return text


def _json_or_list(text: str) -> Any:
    """A JSON value (``[0.1, 3]``, ``2.5``), else a comma list of them (``0.1,3``), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    if "," in text:
        return [_json_or_list(part.strip()) for part in text.split(",")]
    return text
