"""What a D-Wave QPU solver would reject, checked in qflow before any call (the mock validates none of it).

Rules (from the solver properties and D-Wave's solver-parameter documentation):

* every parameter must be one the solver lists in ``parameters``;
* ``annealing_time`` lies in ``annealing_time_range`` — or in ``fast_anneal_time_range`` with
  ``fast_anneal=True`` — and is not combined with ``anneal_schedule``;
* ``anneal_schedule`` passes ``DWaveSampler.validate_anneal_schedule`` (2 to ``max_anneal_schedule_points``
  points, times increasing, first s = 0 (forward) or 1 (reverse), last s = 1, slope ≤ 1/min annealing time,
  total time ≤ max annealing time);
* ``initial_state`` needs a reverse schedule (first s = 1);
* the fast-anneal protocol forbids linear biases (h = 0), ``initial_state``, ``h_gain_schedule`` and
  schedules with more than 2 points (no pauses, no reverse anneal);
* ``num_reads`` lies in ``num_reads_range``, ``readout_thermalization`` / ``programming_thermalization`` in
  their ranges;
* the problem run duration, (anneal time + readout_thermalization)·num_reads + programming_thermalization
  (D-Wave's QMI runtime limit; the anneal time is a schedule's last time point), lies in
  ``problem_run_duration_range`` — :func:`max_reads_per_call` is the largest ``num_reads`` that fits;
* with ``auto_scale=False`` every bias lies in ``h_range`` / ``j_range``.

>>> from dwave.system.testing import MockDWaveSampler
>>> import dimod
>>> mock = MockDWaveSampler(topology_type="pegasus", topology_shape=[2])
>>> bqm = dimod.BQM({0: 0.5}, {}, 0.0, "SPIN")
>>> check_call(mock, bqm, {"fast_anneal": True, "annealing_time": 0.01, "num_reads": 10})
Traceback (most recent call last):
...
qflow_core.errors.InvalidInputError: the fast-anneal protocol requires zero linear biases (h = 0) ...
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from qflow_core.errors import InvalidInputError
from qflow_dwave._ocean import ocean

if TYPE_CHECKING:
    import dimod

__all__ = ["check_call", "max_reads_per_call", "range_scale", "run_duration_us"]

FAST_ANNEAL_FORBIDDEN = ("initial_state", "h_gain_schedule")


def check_call(solver: Any, bqm: dimod.BinaryQuadraticModel, parameters: Mapping[str, Any]) -> None:
    """Raise InvalidInputError if ``solver`` would reject sampling ``bqm`` (logical) with ``parameters``.

    ``bqm`` is the logical problem as programmed (after any scaling qflow applies); embedding only splits
    biases over chains, so range checks on it are conservative.
    """
    props = solver.properties
    accepted = set(solver.parameters)
    unknown = sorted(set(parameters) - accepted)
    if unknown:
        raise InvalidInputError(
            f"the solver does not accept parameter(s) {unknown}; it accepts: {', '.join(sorted(accepted))}"
        )
    fast = bool(parameters.get("fast_anneal", False))
    if "annealing_time" in parameters:
        key = "fast_anneal_time_range" if fast else "annealing_time_range"
        _check_in_range("annealing_time (µs)", parameters["annealing_time"], props.get(key), key)
        if "anneal_schedule" in parameters:
            raise InvalidInputError("annealing_time and anneal_schedule cannot both be given; use one of them")
    schedule = parameters.get("anneal_schedule")
    if schedule is not None:
        try:
            ocean("system").DWaveSampler.validate_anneal_schedule(solver, [list(p) for p in schedule])
        except (ValueError, TypeError, RuntimeError) as exc:
            raise InvalidInputError(f"the solver would reject anneal_schedule {schedule}: {exc}") from None
    if "initial_state" in parameters and (schedule is None or schedule[0][1] != 1):
        raise InvalidInputError("initial_state is only valid for reverse anneals: anneal_schedule must start at s = 1")
    if fast:
        _check_fast_anneal(bqm, parameters)
    if "num_reads" in parameters:
        _check_in_range("num_reads", parameters["num_reads"], props.get("num_reads_range"), "num_reads_range")
    for key in ("readout_thermalization", "programming_thermalization"):
        if key in parameters:
            _check_in_range(f"{key} (µs)", parameters[key], props.get(f"{key}_range"), f"{key}_range")
    _check_run_duration(props, parameters)
    if parameters.get("auto_scale", True) is False:
        linear, (_, _, quadratic), _ = bqm.to_numpy_vectors()
        _check_biases("linear bias", linear, props.get("h_range"), "h_range")
        _check_biases("quadratic bias", quadratic, props.get("j_range"), "j_range")


def _check_fast_anneal(bqm: dimod.BinaryQuadraticModel, parameters: Mapping[str, Any]) -> None:
    linear = np.asarray(bqm.to_numpy_vectors()[0], dtype=float)
    if np.any(linear != 0):
        raise InvalidInputError(
            "the fast-anneal protocol requires zero linear biases (h = 0) but the problem has "
            f"{int(np.count_nonzero(linear))}; move them onto an ancilla with qflow_core.transforms.LinearToAncilla"
        )
    forbidden = sorted(k for k in FAST_ANNEAL_FORBIDDEN if k in parameters)
    if forbidden:
        raise InvalidInputError(f"the fast-anneal protocol does not allow {forbidden}")
    schedule = parameters.get("anneal_schedule")
    if schedule is not None and len(schedule) > 2:
        raise InvalidInputError("the fast-anneal protocol allows anneal schedules of at most 2 points (no pauses)")


def run_duration_us(properties: Mapping[str, Any], parameters: Mapping[str, Any]) -> float:
    """SAPI's problem run duration in µs: (anneal + readout_thermalization)·num_reads + programming_thermalization.

    The anneal time is ``annealing_time``, a schedule's last time point, or the solver's default; unset
    thermalization times take the solver's defaults (D-Wave's "QMI runtime limit" formula).

    >>> props = {"default_annealing_time": 20.0, "default_programming_thermalization": 1000.0}
    >>> run_duration_us(props, {"anneal_schedule": [[0, 1], [2, 0.5], [12, 0.5], [14, 1]], "num_reads": 100})
    2400.0
    """
    per_read = _anneal_us(properties, parameters) + _thermalization_us(properties, parameters, "readout")
    return per_read * parameters.get("num_reads", 1) + _thermalization_us(properties, parameters, "programming")


def max_reads_per_call(properties: Mapping[str, Any], parameters: Mapping[str, Any]) -> int:
    """Most reads one solver call may take with ``parameters``: ``num_reads_range`` and the run-duration limit.

    0 when not even one read fits the duration limit (:func:`check_call` then says why).

    >>> props = {"num_reads_range": [1, 10000], "problem_run_duration_range": [0, 1e6],
    ...          "default_annealing_time": 20.0, "default_programming_thermalization": 1000.0}
    >>> max_reads_per_call(props, {"annealing_time": 2000.0})
    499
    """
    limit = int(properties.get("num_reads_range", [1, 2**31])[1])
    bounds = properties.get("problem_run_duration_range")
    if bounds is None:
        return limit
    fixed = run_duration_us(properties, {**parameters, "num_reads": 0})
    per_read = run_duration_us(properties, {**parameters, "num_reads": 1}) - fixed
    return min(limit, max(0, math.floor((bounds[1] - fixed) / per_read))) if per_read > 0 else limit


def _anneal_us(properties: Mapping[str, Any], parameters: Mapping[str, Any]) -> float:
    if parameters.get("anneal_schedule") is not None:
        return float(parameters["anneal_schedule"][-1][0])
    return float(parameters.get("annealing_time", properties.get("default_annealing_time", 0.0)))


def _thermalization_us(properties: Mapping[str, Any], parameters: Mapping[str, Any], kind: str) -> float:
    key = f"{kind}_thermalization"
    return float(parameters.get(key, properties.get(f"default_{key}", 0.0)))


def _check_run_duration(properties: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
    bounds = properties.get("problem_run_duration_range")
    if bounds is None:
        return
    duration = run_duration_us(properties, parameters)
    lo, hi = bounds
    if not lo <= duration <= hi:
        raise InvalidInputError(
            f"the problem run duration (anneal {_anneal_us(properties, parameters):g} µs + readout_thermalization "
            f"{_thermalization_us(properties, parameters, 'readout'):g} µs) × {parameters.get('num_reads', 1)} reads "
            f"+ programming_thermalization {_thermalization_us(properties, parameters, 'programming'):g} µs = "
            f"{duration:g} µs is outside the solver's problem_run_duration_range [{lo}, {hi}] µs; "
            "shorten the anneal or the thermalization times (qflow already splits reads over calls)"
        )


def _check_in_range(what: str, value: Any, bounds: Any, key: str) -> None:
    if bounds is None:
        return
    lo, hi = bounds
    if not lo <= value <= hi:
        raise InvalidInputError(f"{what} = {value} is outside the solver's {key} [{lo}, {hi}]")


def _check_biases(what: str, values: np.ndarray, bounds: Any, key: str) -> None:
    if bounds is None or len(values) == 0:
        return
    lo, hi = bounds
    bad = values[(values < lo) | (values > hi)]
    if bad.size:
        raise InvalidInputError(
            f"with auto_scale=False every {what} must lie in the solver's {key} [{lo}, {hi}]; found {bad[:3]}"
        )


def range_scale(
    linear: np.ndarray, quadratic: np.ndarray, h_range: Any, j_range: Any, chain_strength: float = 0.0
) -> float:
    """Largest factor c with c·h in ``h_range``, c·J in ``j_range`` and −c·chain_strength ≥ min(``j_range``).

    This is how the QPU's ``auto_scale`` stretches a problem over the available ranges (chains being the
    strongest ferromagnetic couplers).

    >>> range_scale(np.array([2.0, -0.5]), np.array([0.5, -0.25]), [-4, 4], [-1, 1], chain_strength=0.8)
    1.25
    """
    limits = []
    for values, (lo, hi) in ((np.asarray(linear, float), h_range), (np.asarray(quadratic, float), j_range)):
        if values.size and values.max() > 0:
            limits.append(hi / values.max())
        if values.size and values.min() < 0:
            limits.append(lo / values.min())
    if chain_strength > 0:
        limits.append(-j_range[0] / chain_strength)
    if not limits:
        return 1.0
    return float(min(limits))
