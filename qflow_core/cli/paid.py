"""Samplers that cost money (tagged ``costs_money``, e.g. a real QPU) run only after the user agreed.

Every command that can run a named sampler asks the same way: it prints a rough QPU access-time estimate and asks
for confirmation on a terminal; scripts pass ``--yes``; without a terminal and without ``--yes`` it refuses.

>>> from qflow_core.protocols import Anneal
>>> round(estimated_qpu_access_s([Anneal("standard")], reads=1000, replicates=1), 3)
0.2
>>> confirm_paid(["sa"], [Anneal("standard")], 1000, yes=False)  # free samplers: nothing to ask
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from qflow_core.errors import InvalidInputError

__all__ = ["add_yes_argument", "confirm_paid", "estimated_qpu_access_s"]

#: A rough QPU cost model: programming per solver call, readout and delay per read, solver calls per run.
PROGRAMMING_US, PER_READ_OVERHEAD_US, GAUGE_CALLS = 15000.0, 120.0, 4


def add_yes_argument(parser: argparse.ArgumentParser) -> None:
    """``--yes``: do not ask before running a sampler that costs money."""
    parser.add_argument("--yes", action="store_true", help="do not ask before running a sampler that costs money")


def estimated_qpu_access_s(protocols: Sequence[Any], reads: int, replicates: int = 1) -> float:
    """A rough QPU access time (s) for ``protocols`` × ``replicates`` runs of ``reads`` reads each."""
    total_us = 0.0
    for protocol in protocols:
        anneal_us = float(getattr(protocol, "time_us", 20.0) or 20.0)
        total_us += GAUGE_CALLS * PROGRAMMING_US + reads * (anneal_us + PER_READ_OVERHEAD_US)
    return total_us * replicates / 1e6


def confirm_paid(
    samplers: Sequence[str], protocols: Sequence[Any], reads: int, replicates: int = 1, *, yes: bool
) -> None:
    """Refuse (``InvalidInputError``) to run a ``costs_money`` sampler unless the user confirms or passed ``yes``."""
    from qflow_core.registry import default_registry

    classes = default_registry().sampler_classes()
    paid = [s for s in samplers if (getattr(classes.get(s), "tags", {}) or {}).get("costs_money")]
    if not paid:
        return
    seconds = estimated_qpu_access_s(protocols, reads, replicates)
    verb = "costs" if len(paid) == 1 else "cost"
    print(f"{', '.join(paid)} {verb} money: estimated QPU access time about {seconds:.2f} s per sampler (rough)")
    if yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInputError(f"{', '.join(paid)} would be charged QPU time; pass --yes to confirm")
    if input("run on the QPU? [y/N] ").strip().lower() not in ("y", "yes"):
        raise InvalidInputError("not confirmed: nothing was run on the QPU")
