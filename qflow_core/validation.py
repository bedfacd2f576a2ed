"""Argument checks shared across qflow, raising :class:`~qflow_core.errors.InvalidInputError`.

>>> positive_number("beta", "2")
2.0
>>> positive_int("num_reads", 0)
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: num_reads must be a positive integer, got 0
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from qflow_core.errors import InvalidInputError, ProblemTooLargeError, format_bytes

__all__ = [
    "anneal_schedule_table",
    "check_memory",
    "check_read_count",
    "finite_number",
    "memory_limit_bytes",
    "nonnegative_int",
    "positive_int",
    "positive_number",
]


def positive_number(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (≥ 0 with ``allow_zero``)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        bound = "a finite number ≥ 0" if allow_zero else "a finite number > 0"
        raise InvalidInputError(f"{name} must be {bound}, got {value!r}")
    return x


def finite_number(name: str, value: Any) -> float:
    """``value`` as a finite float (any sign)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise InvalidInputError(f"{name} must be finite, got {value!r}")
    return x


def nonnegative_int(name: str, value: Any) -> int:
    """``value`` as an int ≥ 0 (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InvalidInputError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int ≥ 1 (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def anneal_schedule_table(table: Any) -> np.ndarray:
    """``table`` as an (rows, 3) float array of (s, A(s) GHz, B(s) GHz), checked.

    The anneal fraction s rises strictly from 0 to 1. The driver energy A(s) and the problem energy B(s) are
    amplitudes of the two parts of the Hamiltonian, so each may vanish (a pure problem Hamiltonian at s = 1, a pure
    driver at s = 0) but neither may be negative, and not both at once: H(s) = 0 has no dynamics and no
    transverse field A/B. Rows with A + B > 0 keep the sum positive between rows too (both interpolate
    monotonically between their end values).

    >>> anneal_schedule_table([(0, 1.0, 0.0), (1, 0.0, 1.0)]).shape
    (2, 3)
    >>> anneal_schedule_table([(0, 1.0, 0.5), (0.5, 0.0, 0.0), (1, 0.0, 1.0)])
    Traceback (most recent call last):
    ...
    qflow_core.errors.InvalidInputError: schedule A(s) and B(s) are both zero at s = 0.5; one must be > 0 at every s
    """
    try:
        arr = np.asarray(table, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError("a schedule must be a table of numeric rows (s, A_GHz, B_GHz)") from None
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] < 2:
        raise InvalidInputError(f"a schedule table has rows (s, A_GHz, B_GHz), at least 2; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError("the schedule contains NaN or infinite values")
    s, a, b = arr.T
    if s[0] != 0.0 or s[-1] != 1.0 or np.any(np.diff(s) <= 0):
        raise InvalidInputError("schedule s must increase strictly from 0 to 1")
    if np.any(a < 0) or np.any(b < 0):
        raise InvalidInputError("schedule A(s) and B(s) must be ≥ 0 GHz")
    both = np.flatnonzero((a == 0) & (b == 0))
    if both.size:
        raise InvalidInputError(
            f"schedule A(s) and B(s) are both zero at s = {s[both[0]]:g}; one must be > 0 at every s"
        )
    return arr


def memory_limit_bytes() -> int:
    """The physical memory of this machine: the most one computation may plan to hold (2**63 if unknown)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - platforms without sysconf
        return 2**63


def check_memory(what: str, *, n: int, required_bytes: float, fix: str | None = None) -> None:
    """Raise :class:`ProblemTooLargeError` (with the figure) before allocating more than the machine holds.

    >>> check_memory("a tiny table", n=2, required_bytes=64)
    >>> try:
    ...     check_memory("10**15 reads", n=2, required_bytes=1.6e16, fix="ask for fewer reads")
    ... except ProblemTooLargeError as exc:
    ...     print(exc)
    10**15 reads for n = 2 spins would need about 14551.9 TiB of memory (this machine has ...); ask for fewer reads
    """
    limit = memory_limit_bytes()
    if required_bytes > limit:
        raise ProblemTooLargeError(
            what, n=n, required_bytes=required_bytes, limit=f"this machine has {format_bytes(limit)}", fix=fix
        )


def check_read_count(sampler: str, num_variables: int, num_reads: int, *, stores_every_read: bool = True) -> None:
    """Refuse, before any work, a read count whose counts overflow 64 bits or whose samples exceed memory.

    A sampler that keeps one row per read (``stores_every_read``) needs about (n + 2) × 8 bytes per read (the
    spins, the energy and the count); one that returns a distribution over states does not.

    >>> check_read_count("sa", 4, 1000)
    >>> check_read_count("exact", 4, 10**20, stores_every_read=False)
    Traceback (most recent call last):
    ...
    qflow_core.errors.InvalidInputError: num_reads = 100000000000000000000 does not fit the 64-bit read counts; ...
    """
    if num_reads >= 2**63:
        raise InvalidInputError(
            f"num_reads = {num_reads} does not fit the 64-bit read counts; ask for fewer than 2**63 reads"
        )
    if stores_every_read:
        check_memory(
            f"{num_reads} reads on {sampler!r}",
            n=num_variables,
            required_bytes=float(num_reads) * (num_variables + 2) * 8,
            fix="ask for fewer reads (num_reads / --reads)",
        )
