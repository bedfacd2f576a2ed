"""Memories: the Ising (Hopfield) memory, the one-hot attention map, the transverse-field network, harmonic.

>>> from qflow_core.models import IsingMemory
>>> IsingMemory([[0, 1.0], [1.0, 0]]).n
2
"""

from qflow_core.models.attention import OneHotAttention
from qflow_core.models.memory import IsingMemory, Memory, as_spin_states
from qflow_core.models.network import OutputCost, PauliObservable, SupervisedTask, TransverseIsingNetwork

__all__ = [
    "IsingMemory",
    "Memory",
    "OneHotAttention",
    "OutputCost",
    "PauliObservable",
    "SupervisedTask",
    "TransverseIsingNetwork",
    "as_spin_states",
]
