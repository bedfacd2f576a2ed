"""Lazy access to the optional Ocean packages (extra ``qflow[dwave]``)."""

from __future__ import annotations

import importlib
from types import ModuleType

from qflow_core.errors import MissingExtraError

__all__ = ["ocean"]

_MODULES = {
    "system": ("dwave.system", "dwave-system"),
    "testing": ("dwave.system.testing", "dwave-system"),
    "temperatures": ("dwave.system.temperatures", "dwave-system"),
    "chain_strength": ("dwave.embedding.chain_strength", "dwave-system"),
    "embedding": ("dwave.embedding", "dwave-system"),
    "preprocessing": ("dwave.preprocessing", "dwave-preprocessing"),
    "cloud": ("dwave.cloud", "dwave-cloud-client"),
    "cloud_exceptions": ("dwave.cloud.exceptions", "dwave-cloud-client"),
    "minorminer": ("minorminer", "minorminer"),
}


def ocean(name: str) -> ModuleType:
    """Import one Ocean module by short name, or raise MissingExtraError naming its package.

    >>> ocean("system").__name__
    'dwave.system'
    """
    module, package = _MODULES[name]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(package, extra="dwave", feature="the dwave and dwave-mock samplers") from exc
