"""Experiments written once against Memory / LearningRule / Sampler, runnable on any capable sampler.

Each returns a result dataclass with ``to_dict()``, ``save(path)`` (atomic JSON) and ``plot(path)``
(matplotlib is imported only when plotting). The functions are bound here eagerly: several share their
submodule's name (``recall``, ``capacity``, ``leakage``, ``compare``, ``emergent``), and binding them after the
submodule imports makes ``qflow_core.experiments.recall`` the function, never the module.

>>> from qflow_core.experiments import recall, capacity
>>> callable(recall) and callable(capacity)
True
"""

from qflow_core.experiments.attention import AttentionResult, attention_map
from qflow_core.experiments.capacity import CapacityResult, capacity
from qflow_core.experiments.compare import CompareResult, compare
from qflow_core.experiments.emergent import EmergentResult, emergent
from qflow_core.experiments.ep import EPTrainResult, ep_train
from qflow_core.experiments.leakage import LeakageResult, leakage
from qflow_core.experiments.recall import RecallResult, recall

__all__ = [
    "AttentionResult",
    "CapacityResult",
    "CompareResult",
    "EPTrainResult",
    "EmergentResult",
    "LeakageResult",
    "RecallResult",
    "attention_map",
    "capacity",
    "compare",
    "emergent",
    "ep_train",
    "leakage",
    "recall",
]
