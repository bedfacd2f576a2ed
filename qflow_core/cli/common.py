"""Argument types shared by the subcommands."""

from __future__ import annotations

import argparse
import math

from qflow_core.errors import InvalidInputError
from qflow_core.protocols import Protocol, parse_protocol
from qflow_core.seeding import resolve_seed

__all__ = ["norm_argument", "positive_float_argument", "protocol_argument", "seed_argument"]


def protocol_argument(text: str) -> Protocol:
    """argparse ``type=``: a protocol in CLI form (``boltzmann:beta=2``); bad input is a usage error."""
    try:
        return parse_protocol(text)
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seed_argument(text: str) -> int:
    """argparse ``type=``: a seed, an integer in [0, 2**31)."""
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
