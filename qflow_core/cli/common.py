"""Argument types shared by the subcommands."""

from __future__ import annotations

import argparse

from qflow_core.errors import InvalidInputError
from qflow_core.protocols import Protocol, parse_protocol

__all__ = ["protocol_argument"]


def protocol_argument(text: str) -> Protocol:
    """argparse ``type=``: a protocol in CLI form (``boltzmann:beta=2``); bad input is a usage error."""
    try:
        return parse_protocol(text)
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
