"""qflow — physics-derived learning rules for associative memories, run unchanged on any sampler.

>>> import qflow_core as qf
>>> mem = qf.IsingMemory([[0, 1.0], [1.0, 0]])
>>> ss = qf.get_sampler("sa").run(mem.to_bqm(), qf.Boltzmann(beta=2.0), num_reads=50, seed=0)
>>> ss.info["qflow"]["sampler"]
'sa'
"""

from importlib.metadata import PackageNotFoundError, version

from qflow_core.errors import (
    BackendError,
    InvalidInputError,
    MissingExtraError,
    ProblemTooLargeError,
    QflowError,
    UnsupportedProtocolError,
)
from qflow_core.models import IsingMemory, Memory, OneHotAttention, TransverseIsingNetwork
from qflow_core.protocols import Anneal, Boltzmann, GroundState, Survival, parse_protocol
from qflow_core.registry import get_sampler, list_plugins
from qflow_core.sampler import Sampler

try:
    __version__ = version("qflow")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

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
