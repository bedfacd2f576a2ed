"""Lazy imports of the optional Qiskit stack, turned into :class:`~qflow_core.errors.MissingExtraError`.

The plugin module itself imports only numpy and dimod, so ``qflow plugins`` lists ``qaoa`` even where
Qiskit is not installed; the first run that needs Qiskit raises an error with the exact ``pip`` line.

>>> require("qiskit").__name__
'qiskit'
>>> require("qflownosuchmodule")
Traceback (most recent call last):
...
qflow_core.errors.MissingExtraError: the qaoa sampler needs ... 'qflownosuchmodule'; ... pip install "qflow[qaoa]"
"""

from __future__ import annotations

import importlib
from types import ModuleType

from qflow_core.errors import MissingExtraError

__all__ = ["require"]


def require(module: str, *, extra: str = "qaoa") -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the ``qflow[extra]`` to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0].replace("_", "-")
        raise MissingExtraError(package, extra=extra, feature="the qaoa sampler") from exc
