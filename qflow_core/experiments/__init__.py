"""Experiments written once against Memory / LearningRule / Sampler, runnable on any capable sampler.

Each returns a result dataclass with ``to_dict()``, ``save(path)`` (atomic JSON) and ``plot(path)``. Names are
imported lazily so that importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "attention_map": "attention",
    "AttentionResult": "attention",
    "compare": "compare",
    "CompareResult": "compare",
    "recall": "recall",
    "RecallResult": "recall",
    "capacity": "capacity",
    "CapacityResult": "capacity",
    "leakage": "leakage",
    "LeakageResult": "leakage",
    "ep_train": "ep",
    "EPTrainResult": "ep",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
