"""The quantum substitute of ``dwave-mock``: forward anneals emulated by path-integral Monte Carlo (``sqa``).

:class:`PathIntegralSubstitute` receives the embedded problem exactly as the QPU would — physical qubits,
chains at the chain strength, biases auto-scaled into ``h_range``/``j_range`` — and anneals it with the
installed ``sqa`` sampler (obtained through the registry: plugins never import each other) under the QPU's own
Hamiltonian H(s) = −A(s)/2 Σσˣ + B(s)/2 E_prog(σᶻ), A and B in GHz, at the bath temperature ``temperature_mk``
(β = 1/(k_B T/h): 4.0 GHz⁻¹ at 12 mK). A read is slice 0 of an imaginary-time ring of ``trotter_slices``
copies of the qubits; as s grows the tunnelling A(s) dies out and the problem energy B(s) grows until the
Monte Carlo dynamics can no longer cross the barriers — the reads *freeze out* at some s*, as a QPU's do,
and sample roughly the quantum Boltzmann state of H(s*) at the bath temperature.

**Time mapping.** Sweep t of an anneal runs at s = t/(sweeps − 1); an anneal of τ µs gets
``sweeps = max(min_sweeps, round(sweeps_per_us · τ))`` sweeps — by default the ``sqa`` sampler's own mapping,
50 per µs and at least 10: 1000 sweeps for the 20 µs standard anneal, 10 for the 20 ns fast anneal. Monte
Carlo sweeps are not physical time: the emulation is an incoherent, stochastic dynamics through
quasi-equilibrium states; only the order of the two anneals (many sweeps → a late, cold freeze-out; few sweeps
→ an early, hot one) is physical. The freeze-out point itself depends on the sweep count (on the embedded
M = 8 attention map β̂ = 1.43 at 200 sweeps, 1.52 at 1000, ± 0.03) and on P (β̂ grows by 8–15 % per doubling of
P from 16 to 64). A real 20 ns anneal is nearly coherent (diabatic Landau–Zener transitions, no time for the
bath to act); the 10-sweep emulation instead quenches incoherently, which is the part of the mapping least to
be trusted. The fast anneal runs on the same A(s), B(s) table as the standard one (the QPU's fast-anneal
schedule differs in shape).

**Trotter error.** With P slices the imaginary-time step is Δτ = β/P and the slice statistics carry an error
of order (Δτ·A(s)/2)²; at the default P = 32 and 12 mK the step is Δτ·A/2 = 0.4 at s = 0 (where nothing has
frozen yet) and below 0.13 from s ≈ 0.3 on, where the freeze-out happens.

Reverse anneals (``initial_state``) are not emulated quantum-mechanically: they are delegated to the
thermal substitute (:class:`qflow_dwave.mock.ThermalSubstitute`), and the sample set's ``info`` says so.

>>> import dimod
>>> sub = PathIntegralSubstitute(trotter_slices=4)
>>> bqm = dimod.BQM({"a": 0.5}, {("a", "b"): -1.0}, 0.0, "SPIN")
>>> ss = sub.sample(bqm, num_reads=8, seed=1, annealing_time=0.1)
>>> len(ss), ss.info["physics"]["model"], ss.info["physics"]["sweeps"]
(8, 'path-integral Monte Carlo (sqa)', 10)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dimod

from qflow_core.errors import InvalidInputError, MissingExtraError
from qflow_core.protocols import Anneal
from qflow_core.registry import get_sampler
from qflow_core.sampler import Sampler
from qflow_core.schedules import AnnealSchedule, bath_beta_per_ghz
from qflow_dwave.mock import QPU_PARAMETERS, ThermalSubstitute, programmed_problem
from qflow_dwave.options import DEFAULT_TEMPERATURE_MK

__all__ = [
    "DEFAULT_MIN_SWEEPS",
    "DEFAULT_SQA_SLICES",
    "DEFAULT_SQA_SWEEPS_PER_US",
    "DEFAULT_TEMPERATURE_MK",
    "PathIntegralSubstitute",
    "sqa_sampler",
]

DEFAULT_SQA_SLICES = 32
DEFAULT_SQA_SWEEPS_PER_US = 50.0
DEFAULT_MIN_SWEEPS = 10
SQA_MODEL = "path-integral Monte Carlo (sqa)"


def sqa_sampler() -> Sampler:
    """The installed ``sqa`` sampler, from the registry; MissingExtraError when no plugin provides it."""
    try:
        return get_sampler("sqa")
    except InvalidInputError as exc:
        raise MissingExtraError(
            "qflow_sqa", extra="sqa", feature="dwave-mock's quantum substitute (sampler='sqa')"
        ) from exc


class PathIntegralSubstitute(dimod.Sampler):
    """Quantum stand-in for a QPU's forward anneals, used as ``MockDWaveSampler(substitute_sampler=...)``.

    See the module doc for the physics, the time mapping and its limits. ``reverse`` samples reverse anneals
    (default: a :class:`~qflow_dwave.mock.ThermalSubstitute`). ``sampler`` is the ``sqa`` sampler (default:
    the installed one, :func:`sqa_sampler`).
    """

    def __init__(
        self,
        *,
        temperature_mk: float = DEFAULT_TEMPERATURE_MK,
        trotter_slices: int = DEFAULT_SQA_SLICES,
        sweeps_per_us: float = DEFAULT_SQA_SWEEPS_PER_US,
        min_sweeps: int = DEFAULT_MIN_SWEEPS,
        schedule: AnnealSchedule | None = None,
        h_range: Sequence[float] = (-4.0, 4.0),
        j_range: Sequence[float] = (-1.0, 1.0),
        reverse: dimod.Sampler | None = None,
        sampler: Sampler | None = None,
    ) -> None:
        if not (temperature_mk > 0 and trotter_slices >= 2 and sweeps_per_us > 0 and min_sweeps >= 1):
            raise InvalidInputError(
                "the sqa substitute needs temperature_mk > 0, trotter_slices ≥ 2, sweeps_per_us > 0 and "
                f"min_sweeps ≥ 1; got {temperature_mk}, {trotter_slices}, {sweeps_per_us}, {min_sweeps}"
            )
        self.sqa = sampler if sampler is not None else sqa_sampler()
        self.temperature_mk = float(temperature_mk)
        self.trotter_slices = int(trotter_slices)
        self.sweeps_per_us = float(sweeps_per_us)
        self.min_sweeps = int(min_sweeps)
        self.schedule = schedule
        self.h_range = tuple(h_range)
        self.j_range = tuple(j_range)
        self.reverse = reverse if reverse is not None else ThermalSubstitute(schedule=schedule)

    @property
    def parameters(self) -> dict[str, list]:
        return {name: [] for name in QPU_PARAMETERS}

    @property
    def properties(self) -> dict[str, Any]:
        return {
            "temperature_mk": self.temperature_mk,
            "trotter_slices": self.trotter_slices,
            "sweeps_per_us": self.sweeps_per_us,
            "min_sweeps": self.min_sweeps,
        }

    def sweeps(self, annealing_time: float) -> int:
        """Monte Carlo sweeps of an anneal of ``annealing_time`` µs (see the module doc).

        >>> sub = PathIntegralSubstitute()
        >>> sub.sweeps(20.0), sub.sweeps(0.02)
        (1000, 10)
        """
        return max(self.min_sweeps, round(self.sweeps_per_us * annealing_time))

    def describe(self, *, reverse: bool) -> dict[str, Any]:
        """The model of a forward (``reverse=False``) or reverse anneal, for a run's ``info``."""
        if reverse:
            return {**self.reverse.describe(reverse=True), "note": "reverse anneals are not emulated by sqa"}
        return {
            "model": SQA_MODEL,
            "hamiltonian": "H(s) = -A(s)/2 sum X + B(s)/2 E_programmed(Z), A, B in GHz",
            "temperature_mk": self.temperature_mk,
            "beta_per_ghz": bath_beta_per_ghz(self.temperature_mk),
            "trotter_slices": self.trotter_slices,
            "time_mapping": f"sweep t at s = t/(sweeps-1); sweeps = max({self.min_sweeps}, "
            f"round({self.sweeps_per_us:g} per µs · annealing_time)); Monte Carlo sweeps are not physical time",
        }

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        num_reads: int = 1,
        seed: int | None = None,
        auto_scale: bool = True,
        annealing_time: float = 20.0,
        fast_anneal: bool = False,
        anneal_schedule: Sequence[Sequence[float]] | None = None,
        initial_state: Mapping[Any, int] | None = None,
        **qpu_parameters: Any,
    ) -> dimod.SampleSet:
        """Anneal ``bqm`` (SPIN, physical qubits) by path-integral Monte Carlo; reverse anneals thermally.

        QPU parameters the emulation does not depend on (``answer_mode``, ``label``, thermalization times,
        ...) are accepted and have no effect.
        """
        if initial_state is not None:
            sampleset = self.reverse.sample(
                bqm,
                num_reads=num_reads,
                seed=seed,
                auto_scale=auto_scale,
                anneal_schedule=anneal_schedule,
                initial_state=initial_state,
                **qpu_parameters,
            )
            sampleset.info["physics"] = self.describe(reverse=True)
            return sampleset
        if anneal_schedule is not None:
            raise InvalidInputError(
                "the sqa substitute emulates forward anneals by annealing_time (linear in s); a forward "
                "anneal_schedule with pauses or quenches is not emulated — use annealing_time"
            )
        _, programmed, scale = programmed_problem(bqm, auto_scale, self.h_range, self.j_range)
        sweeps = self.sweeps(annealing_time)
        table = None if self.schedule is None else self.schedule.to_table()
        protocol = Anneal("fast" if fast_anneal else "standard", time_us=annealing_time, schedule=table)
        result = self.sqa.run(
            programmed,
            protocol,
            num_reads=num_reads,
            seed=seed,
            trotter_slices=self.trotter_slices,
            sweeps=sweeps,
            temperature_mk=self.temperature_mk,
        )
        sampleset = dimod.SampleSet.from_samples_bqm((result.record.sample, list(result.variables)), bqm)
        backend = result.info["qflow"]["backend"]
        sampleset.info["physics"] = {
            **self.describe(reverse=False),
            "sweeps": sweeps,
            "max_trotter_step": backend["max_trotter_step"],
            "programmed_scale": scale,
        }
        return sampleset
