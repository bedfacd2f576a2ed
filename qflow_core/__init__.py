"""qflow — physics-derived learning rules for associative memories, run unchanged on any sampler.

The names below are imported on first use, so ``import qflow_core`` (and ``qflow --version``) stays fast.

>>> import qflow_core as qf
>>> mem = qf.IsingMemory([[0, 1.0], [1.0, 0]])
>>> ss = qf.get_sampler("sa").run(mem.to_bqm(), qf.Boltzmann(beta=2.0), num_reads=50, seed=0)
>>> ss.info["qflow"]["sampler"]
'sa'
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from qflow_core.errors import (
    BackendError,
    InvalidInputError,
    MissingExtraError,
    ProblemTooLargeError,
    QflowError,
    UnsupportedProtocolError,
)

if TYPE_CHECKING:  # the same names, imported lazily by __getattr__ below
    from qflow_core.models import IsingMemory, Memory, OneHotAttention, TransverseIsingNetwork
    from qflow_core.protocols import Anneal, Boltzmann, GroundState, Survival, parse_protocol
    from qflow_core.registry import get_sampler, list_plugins
    from qflow_core.sampler import Sampler

try:
    __version__ = version("qflow")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

#: Public name → the module that defines it (imported when the name is first used).
_LAZY = {
    **dict.fromkeys(("IsingMemory", "Memory", "OneHotAttention", "TransverseIsingNetwork"), "qflow_core.models"),
    **dict.fromkeys(("Anneal", "Boltzmann", "GroundState", "Survival", "parse_protocol"), "qflow_core.protocols"),
    **dict.fromkeys(("get_sampler", "list_plugins"), "qflow_core.registry"),
    "Sampler": "qflow_core.sampler",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'qflow_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Anneal",
    "BackendError",
    "Boltzmann",
    "GroundState",
    "InvalidInputError",
    "IsingMemory",
    "Memory",
    "MissingExtraError",
    "OneHotAttention",
    "ProblemTooLargeError",
    "QflowError",
    "Sampler",
    "Survival",
    "TransverseIsingNetwork",
    "UnsupportedProtocolError",
    "__version__",
    "get_sampler",
    "list_plugins",
    "parse_protocol",
]
