"""Learning: Hebbian-family rules (closed forms and measured on a sampler), equilibrium propagation, training.

>>> from qflow_core.learning import Hebbian, SoftmaxHebbian, train
>>> memory = Hebbian.store([[1, -1, 1, 1], [1, 1, -1, 1]])
>>> history = train(memory, [[1, -1, 1, 1], [1, 1, -1, 1]], SoftmaxHebbian(beta=2.0), epochs=2, lr=0.1, seed=0)
>>> history.epochs
2
"""

from qflow_core.learning.ep import EPGradient, PhaseMeasurement, QuantumEP, QuantumThermalBiasWarning, ThermalEP
from qflow_core.learning.loop import EpochRun, run_epochs
from qflow_core.learning.rules import (
    ChannelMeasurement,
    GapRule,
    Hebbian,
    LearningRule,
    LorentzianHebbian,
    MeasuredFlowHebbian,
    MinimumProbabilityFlow,
    SoftmaxHebbian,
    Update,
    channel_weights,
    leakage_free_energy,
    lorentzian_leakage,
    measure_channels,
    parse_rule,
    survival_probability,
)
from qflow_core.learning.training import History, train

__all__ = [
    "ChannelMeasurement",
    "EPGradient",
    "EpochRun",
    "GapRule",
    "Hebbian",
    "History",
    "LearningRule",
    "LorentzianHebbian",
    "MeasuredFlowHebbian",
    "MinimumProbabilityFlow",
    "PhaseMeasurement",
    "QuantumEP",
    "QuantumThermalBiasWarning",
    "SoftmaxHebbian",
    "ThermalEP",
    "Update",
    "channel_weights",
    "leakage_free_energy",
    "lorentzian_leakage",
    "measure_channels",
    "parse_rule",
    "run_epochs",
    "survival_probability",
    "train",
]
