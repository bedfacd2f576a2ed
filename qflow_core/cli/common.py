"""Argument types and name checks shared by every subcommand: one way to spell a list, a protocol, a sampler.

List options (``--samplers``, ``--protocols``, ``--rules``) take a comma-separated list, a repeated flag, or
both; a protocol's own ``key=value`` fields stay with it:

>>> split_protocol_list("boltzmann:beta=2,anneal:kind=fast,time_us=0.02,ground_state")
['boltzmann:beta=2', 'anneal:kind=fast,time_us=0.02', 'ground_state']
>>> parser = argparse.ArgumentParser()
>>> add_list_argument(parser, "--samplers", help="sampler names")
>>> parser.parse_args(["--samplers", "sa,exact", "--samplers", "enum"]).samplers
['sa', 'exact', 'enum']

A misspelt name is refused with the closest match and the valid choices:

>>> try:
...     protocol_from_text("anneal:kind=fsat")
... except InvalidInputError as exc:
...     print(exc)
anneal field kind: unknown value 'fsat' (did you mean 'fast'?); choose one of: fast, standard
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import math
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from qflow_core.errors import InvalidInputError

if TYPE_CHECKING:
    from qflow_core.protocols import Protocol

__all__ = [
    "ListAction",
    "add_list_argument",
    "add_protocols_argument",
    "check_sampler_names",
    "closest",
    "norm_argument",
    "positive_float_argument",
    "protocol_argument",
    "protocol_from_text",
    "seed_argument",
    "split_comma_list",
    "split_protocol_list",
]


def closest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest of ``choices`` to ``word``, or ``''`` when none is near.

    >>> closest("exat", ["exact", "sa", "enum"])
    " (did you mean 'exact'?)"
    """
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _unknown(what: str, word: str, choices: Iterable[str]) -> InvalidInputError:
    choices = sorted(set(choices))
    return InvalidInputError(
        f"{what}: unknown value {word!r}{closest(word, choices)}; choose one of: {', '.join(choices)}"
    )


def protocol_from_text(text: str) -> Protocol:
    """Parse a CLI protocol (``anneal:kind=fast``), naming the closest valid protocol, field or value on a typo."""
    from qflow_core.protocols import Anneal, Boltzmann, GroundState, Survival, parse_protocol

    classes = {cls.name: cls for cls in (Boltzmann, Anneal, Survival, GroundState)}
    head, _, tail = text.strip().partition(":")
    name = head.strip().lower().replace("-", "_")
    if name == "groundstate":
        name = "ground_state"
    cls = classes.get(name)
    if cls is None:
        raise _unknown(f"protocol {text!r}", head.strip(), classes)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    for item in filter(None, (p.strip() for p in tail.split(","))):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq:
            raise InvalidInputError(f"cannot read {item!r} in protocol {text!r}: write key=value, e.g. {cls.name}:...")
        if key not in fields:
            raise _unknown(f"{cls.name} field", key, fields)
        allowed = typing.get_args(hints[key]) if typing.get_origin(hints[key]) is typing.Literal else ()
        if allowed and value not in allowed:
            raise _unknown(f"{cls.name} field {key}", value, allowed)
    return parse_protocol(text)


def protocol_argument(text: str) -> Protocol:
    """argparse ``type=``: a protocol in CLI form (``boltzmann:beta=2``); bad input is a usage error."""
    try:
        return protocol_from_text(text)
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def split_comma_list(text: str) -> list[str]:
    """``"a, b,,c"`` → ``['a', 'b', 'c']``."""
    return [part.strip() for part in text.split(",") if part.strip()]


def split_protocol_list(text: str) -> list[str]:
    """Split protocols on commas, keeping ``key=value`` pieces without a ``:`` with the protocol before them."""
    protocols: list[str] = []
    for part in split_comma_list(text):
        if protocols and "=" in part and ":" not in part:
            protocols[-1] += "," + part
        else:
            protocols.append(part)
    return protocols


class ListAction(argparse.Action):
    """Collect a list from comma-separated values and repeated flags; ``item`` converts each element."""

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        *,
        split: Callable[[str], list[str]] = split_comma_list,
        item: Callable[[str], Any] = str,
        **kwargs: Any,
    ) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.split, self.item = split, item

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        current = getattr(namespace, self.dest, None)
        items = [] if current is None or current is self.default else list(current)
        for piece in self.split(values):
            try:
                items.append(self.item(piece))
            except argparse.ArgumentTypeError as exc:
                parser.error(f"argument {option_string}: {exc}")
        if not items:
            parser.error(f"argument {option_string}: give at least one value")
        setattr(namespace, self.dest, items)


def add_list_argument(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    flag: str,
    *,
    help: str,
    default: list | None = None,
    split: Callable[[str], list[str]] = split_comma_list,
    item: Callable[[str], Any] = str,
    metavar: str | None = None,
) -> None:
    """A list option: ``--flag a,b`` and ``--flag a --flag b`` both give ``[a, b]`` (never eats positionals)."""
    parser.add_argument(
        flag,
        action=ListAction,
        default=default,
        split=split,
        item=item,
        metavar=metavar or flag.strip("-").upper()[:-1] + "[,...]",
        help=f"{help}; comma-separated or repeated",
    )


def add_protocols_argument(parser: argparse.ArgumentParser, *, help: str, default: list | None = None) -> None:
    """``--protocols``: protocols in CLI form, comma-separated or repeated, each validated with closest matches."""
    add_list_argument(
        parser, "--protocols", help=help, default=default, split=split_protocol_list, item=protocol_argument
    )


def check_sampler_names(names: Iterable[str]) -> list[str]:
    """Refuse sampler names that are not installed, with the closest match; plugins that failed say why.

    >>> check_sampler_names(["sa"])
    ['sa']
    >>> check_sampler_names(["exat"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qflow_core.errors.InvalidInputError: unknown sampler 'exat' (did you mean 'exact'?); installed samplers: ...
    """
    from qflow_core.registry import list_plugins

    plugins = list_plugins()
    known = {name for p in plugins for s in p.samplers for name in (s.name, *s.aliases)}
    broken = {p.name: p for p in plugins if p.error}
    names = list(names)
    for name in names:
        if name in known:
            continue
        if name in broken:
            raise InvalidInputError(f"sampler {name!r} is unavailable: {_plugin_problem(broken[name])}")
        raise InvalidInputError(
            f"unknown sampler {name!r}{closest(name, known)}; installed samplers: {', '.join(sorted(known))} "
            "(`qflow plugins` shows them all)"
        )
    return names


def _plugin_problem(plugin) -> str:
    message = plugin.error.partition(": ")[2] or plugin.error
    return message if plugin.state == "missing extra" else f"its plugin failed to load ({plugin.error})"


def seed_argument(text: str) -> int:
    """argparse ``type=``: a seed, an integer in [0, 2**31)."""
    from qflow_core.seeding import resolve_seed

    try:
        return resolve_seed(int(text))
    except (ValueError, InvalidInputError):
        raise argparse.ArgumentTypeError(f"a seed is an integer in [0, 2**31), got {text!r}") from None


def positive_float_argument(text: str) -> float:
    """argparse ``type=``: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def norm_argument(text: str) -> float | str | None:
    """argparse ``type=``: ``initial``, ``none`` or a finite number > 0 (the fixed parameter norm)."""
    lowered = text.strip().lower()
    if lowered in ("initial", "none"):
        return None if lowered == "none" else "initial"
    try:
        return positive_float_argument(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"--norm takes 'initial', 'none' or a number > 0, got {text!r}") from None
