"""Emergent quantumness of learning ensembles: the grand-canonical circulation test, run on any Boltzmann sampler.

The claim (Katsnelson & Vanchurin, Found. Phys. 51, 94 (2021)): an ensemble of learning networks that exchange
hidden neurons with a reservoir at chemical potential μ has a free energy defined only modulo μ, and imposing
that multivaluedness turns its learning dynamics into a Schrödinger equation with ħ_eff = μ/2π. If that held
for noisy gradient learners, their stationary velocity field v = j/ρ would carry a quantised, loop-independent
circulation Γ = ∮v·dq = n γμ. This package computes Γ exactly for a small network and decides, by criteria
fixed in advance, whether the learners support the claim, fail it, or leave it undecided.

* :mod:`.model` — the network (hidden slots inactive/±1, trainable q ∈ ℝ², fugacity per active unit);
* :mod:`.sectors` — sector free energies F_N(q), Ω_μ and exchange rates by exact enumeration;
* :mod:`.generator` — the sparse master equation of learners on (grid × N) and its stationary state;
* :mod:`.loops`, :mod:`.spectrum` — circulation on square loops, ⟨q × q̇⟩, slow eigenvalues;
* :mod:`.oracle` — all of the above at one parameter point;
* :mod:`.particles` — R Langevin learners whose hidden averages come from a qflow sampler;
* :mod:`.calibration` — the same master equation with rates estimated by a sampler: a temperature test;
* :mod:`.sanity`, :mod:`.criteria` — the checks and the verdict; :mod:`.experiment` — :func:`emergent`.

>>> from qflow_core.experiments.emergent import EmergentModel, emergent
>>> callable(emergent), EmergentModel.random(3).m
(True, 3)
"""

from qflow_core.experiments.emergent.calibration import CalibrationCheck, sampler_calibration
from qflow_core.experiments.emergent.criteria import Criterion, Verdict
from qflow_core.experiments.emergent.experiment import emergent
from qflow_core.experiments.emergent.generator import Grid, LearnerDynamics
from qflow_core.experiments.emergent.model import EmergentModel
from qflow_core.experiments.emergent.oracle import OraclePoint, solve_oracle
from qflow_core.experiments.emergent.particles import ParticleRun, ParticleSettings, run_particles
from qflow_core.experiments.emergent.result import EmergentResult

__all__ = [
    "CalibrationCheck",
    "Criterion",
    "EmergentModel",
    "EmergentResult",
    "Grid",
    "LearnerDynamics",
    "OraclePoint",
    "ParticleRun",
    "ParticleSettings",
    "Verdict",
    "emergent",
    "run_particles",
    "sampler_calibration",
    "solve_oracle",
]
