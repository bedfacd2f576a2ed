"""Anneal schedules A(s), B(s) in the D-Wave form H(s) = −A(s)/2 Σσˣ + B(s)/2 E(σᶻ) (GHz).

Dividing by B(s)/2 gives our Hamiltonian H(Γ) = E(σᶻ) − Γ Σσˣ with **Γ(s) = A(s)/B(s)** (energies in units of
B(s)/2), which is how a transverse field Γ maps to an anneal fraction s (e.g. the turning point of a reverse
anneal).

:func:`default_schedule` is a smooth table *shaped like* a D-Wave Advantage QPU schedule (A falls from about
6.4 GHz to ~0, B rises from about 0.1 to 10.9 GHz); it is not any solver's published data. Pass a solver's
own table (rows s, A, B) where accuracy matters.

>>> sched = default_schedule()
>>> round(sched.A(0.0), 2), round(sched.B(1.0), 2)
(6.4, 10.9)
>>> s = sched.s_for_gamma(1.0); round(sched.gamma(s), 6)
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_core.validation import anneal_schedule_table

__all__ = ["DEFAULT_SCHEDULE_TABLE", "K_B_OVER_H_GHZ_PER_K", "AnnealSchedule", "bath_beta_per_ghz", "default_schedule"]

#: (s, A(s) GHz, B(s) GHz): Advantage-like shape (A decays roughly exponentially, B grows roughly linearly).
DEFAULT_SCHEDULE_TABLE: tuple[tuple[float, float, float], ...] = (
    (0.0, 6.40, 0.13),
    (0.1, 4.60, 0.39),
    (0.2, 3.20, 0.81),
    (0.3, 2.10, 1.40),
    (0.4, 1.30, 2.20),
    (0.5, 0.72, 3.20),
    (0.6, 0.36, 4.40),
    (0.7, 0.15, 5.80),
    (0.8, 0.050, 7.30),
    (0.9, 0.012, 9.00),
    (1.0, 0.0003, 10.90),
)


@dataclass(frozen=True)
class AnnealSchedule:
    """A(s), B(s) interpolated from a table: log-linear in A (it spans decades), linear in B."""

    s: np.ndarray
    a_ghz: np.ndarray
    b_ghz: np.ndarray

    @classmethod
    def from_table(cls, table: Sequence[Sequence[float]]) -> AnnealSchedule:
        """Checked by :func:`~qflow_core.validation.anneal_schedule_table`: A, B ≥ 0 and never both zero."""
        arr = anneal_schedule_table(table)
        return cls(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy())

    def A(self, s: float | np.ndarray) -> np.ndarray | float:
        """Driver energy A(s) in GHz: log-linear between positive table values, linear next to a zero."""
        positive = self.a_ghz > 0
        log_linear = np.exp(np.interp(s, self.s, np.log(np.where(positive, self.a_ghz, 1.0))))
        if positive.all():
            return _plain(log_linear)
        left = np.clip(np.searchsorted(self.s, s, side="right") - 1, 0, len(self.s) - 2)
        both = positive[left] & positive[left + 1]
        return _plain(np.where(both, log_linear, np.interp(s, self.s, self.a_ghz)))

    def B(self, s: float | np.ndarray) -> np.ndarray | float:
        """Problem energy B(s) in GHz."""
        return _plain(np.interp(s, self.s, self.b_ghz))

    def gamma(self, s: float | np.ndarray) -> np.ndarray | float:
        """Transverse field in problem units, Γ(s) = A(s)/B(s) (infinite where B(s) = 0)."""
        with np.errstate(divide="ignore"):
            return _plain(np.divide(self.A(s), self.B(s)))

    def s_for_gamma(self, gamma: float) -> float:
        """The anneal fraction where A(s)/B(s) = Γ (Γ(s) decreases monotonically)."""
        from scipy.optimize import brentq  # imported here: scipy.optimize alone costs ~0.25 s at start-up

        lo, hi = float(self.gamma(1.0)), float(self.gamma(0.0))
        if not lo <= gamma <= hi:
            raise InvalidInputError(f"Γ = {gamma} is outside the schedule's range [{lo:.3g}, {hi:.3g}]")
        if np.all(self.b_ghz > 0):
            return float(brentq(lambda s: float(self.gamma(s)) - gamma, 0.0, 1.0, xtol=1e-12))
        return float(brentq(lambda s: float(self.A(s)) - gamma * float(self.B(s)), 0.0, 1.0, xtol=1e-12))

    def to_table(self) -> list[list[float]]:
        return np.column_stack([self.s, self.a_ghz, self.b_ghz]).tolist()


def _plain(value: np.ndarray) -> np.ndarray | float:
    return float(value) if np.ndim(value) == 0 else value


def default_schedule() -> AnnealSchedule:
    """The Advantage-shaped default schedule used by simulators when a protocol gives none."""
    return AnnealSchedule.from_table(DEFAULT_SCHEDULE_TABLE)


#: Boltzmann's constant over Planck's, in GHz per kelvin: a temperature as an energy E/h in the schedule's units.
K_B_OVER_H_GHZ_PER_K = 20.83661912


def bath_beta_per_ghz(temperature_mk: float) -> float:
    """Inverse bath temperature in GHz⁻¹ for energies E/h in GHz (as A(s), B(s)): β = 1/(k_B T/h).

    >>> round(bath_beta_per_ghz(12.0), 3)  # a QPU's 12 mK
    3.999
    """
    return 1.0 / (K_B_OVER_H_GHZ_PER_K * temperature_mk * 1e-3)
