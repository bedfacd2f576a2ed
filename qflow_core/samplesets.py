"""SampleSets as the sampler contract wants them: a validated input BQM, ±1 rows with their energies, backend
details under ``info["qflow"]["backend"]``, and the check of a backend's output against the question asked.

>>> import dimod
>>> bqm = dimod.BQM({"a": 0.5}, {}, 0.0, "SPIN")
>>> ss = attach_details(spin_sampleset(bqm, [[1], [-1], [1]]), sweeps=10)
>>> sorted(zip(ss.record.sample[:, 0].tolist(), ss.record.num_occurrences.tolist())), ss.info["qflow"]["backend"]
([(-1, 1), (1, 2)], {'sweeps': 10})
>>> check_plugin_output("demo", ss, bqm, num_reads=3) is ss
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from qflow_core.errors import InvalidInputError, PluginError

if TYPE_CHECKING:  # dimod is imported where it is used, so listing plugins never loads it
    import dimod

__all__ = ["CHECKED_ROWS", "attach_details", "check_plugin_output", "spin_sampleset", "validate_bqm"]


def check_plugin_output(
    sampler: str, sampleset: Any, bqm: dimod.BinaryQuadraticModel, num_reads: int
) -> dimod.SampleSet:
    """Refuse a backend's output that does not answer the question asked (raises :class:`PluginError`).

    The SampleSet must be over exactly the BQM's variables, SPIN, hold ``num_reads`` reads (unless it carries
    exact ``probability`` weights) and have energies equal to the BQM's within 1e-6 relative (all rows up to
    ``CHECKED_ROWS``, evenly spaced rows beyond).
    """
    import dimod

    if not isinstance(sampleset, dimod.SampleSet):
        raise PluginError(sampler, f"_run returned {type(sampleset).__name__}, not a dimod.SampleSet")
    if set(sampleset.variables) != set(bqm.variables) or len(sampleset.variables) != bqm.num_variables:
        raise PluginError(
            sampler,
            f"the samples are over the variables {list(sampleset.variables)[:8]}… but the BQM has "
            f"{list(bqm.variables)[:8]}… ({bqm.num_variables} variables)",
        )
    if sampleset.vartype is not dimod.SPIN:
        raise PluginError(sampler, f"_run must return SPIN samples, got {sampleset.vartype.name}")
    fields = sampleset.record.dtype.names
    if "probability" not in fields:
        reads = int(np.sum(sampleset.record.num_occurrences))
        if reads != num_reads:
            raise PluginError(sampler, f"{num_reads} reads were asked for but {reads} came back")
    if len(sampleset):
        rows = _checked_rows(len(sampleset))
        samples = sampleset.record.sample if rows is None else sampleset.record.sample[rows]
        expected = bqm.energies((samples, list(sampleset.variables)))
        returned = sampleset.record.energy if rows is None else sampleset.record.energy[rows]
        scale = 1.0 + float(np.max(np.abs(expected)))
        if not np.allclose(returned, expected, rtol=1e-6, atol=1e-6 * scale):
            raise PluginError(sampler, "the energies of the returned samples differ from the BQM's energies")
    return sampleset


#: Up to this many rows every energy is checked; larger SampleSets (an exact backend's 2^n rows) are checked on
#: this many evenly spaced rows, first and last included.
CHECKED_ROWS = 4096


def _checked_rows(num_rows: int) -> np.ndarray | None:
    return None if num_rows <= CHECKED_ROWS else np.linspace(0, num_rows - 1, CHECKED_ROWS).astype(np.int64)


def validate_bqm(bqm: Any) -> dimod.BinaryQuadraticModel:
    """Check that ``bqm`` is a non-empty dimod BQM with finite biases; return it."""
    import dimod

    if not isinstance(bqm, dimod.BinaryQuadraticModel):
        raise InvalidInputError(
            f"expected a dimod.BinaryQuadraticModel, got {type(bqm).__name__}; "
            "build one with dimod.BQM(...) or IsingMemory(J, h).to_bqm()"
        )
    if bqm.num_variables == 0:
        raise InvalidInputError("the BQM has no variables")
    linear, (_, _, quadratic), offset = bqm.to_numpy_vectors(sort_indices=False)
    for what, values in (("linear biases", linear), ("quadratic biases", quadratic), ("offset", [offset])):
        values = np.asarray(values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise InvalidInputError(f"the BQM has NaN or infinite {what}; every bias must be a finite number")
    with np.errstate(over="ignore"):
        bound = float(np.abs(linear).sum()) + float(np.abs(quadratic).sum()) + abs(float(offset))
    if not math.isfinite(bound):
        raise InvalidInputError(
            "the BQM's biases are so large that an energy can overflow a float (the sum of their magnitudes "
            "exceeds 1.8e308); rescale the model, e.g. divide every bias by the largest one"
        )
    return bqm


def spin_sampleset(
    bqm: dimod.BinaryQuadraticModel,
    spins: np.ndarray,
    *,
    aggregate: bool = True,
    energy: np.ndarray | None = None,
    **vectors: Any,
) -> dimod.SampleSet:
    """SampleSet of ±1 rows (columns in ``bqm.variables`` order) with energies computed from ``bqm``.

    ``energy``: the rows' energies when the backend already has them (e.g. all 2^n basis-state energies of an
    exact solver), so they are not computed again; :func:`check_plugin_output` still compares them with the
    BQM's. Extra keyword arrays become data vectors (e.g. ``probability=...``, ``num_occurrences=...``). With
    ``aggregate=True`` (default) identical rows are merged and ``num_occurrences`` summed.
    """
    import dimod

    spins = np.asarray(spins, dtype=np.int8)
    if energy is None:
        sampleset = dimod.SampleSet.from_samples_bqm((spins, list(bqm.variables)), bqm, **vectors)
    else:
        sampleset = dimod.SampleSet.from_samples((spins, list(bqm.variables)), bqm.vartype, energy, **vectors)
    return sampleset.aggregate() if aggregate and "probability" not in vectors else sampleset


def attach_details(sampleset: dimod.SampleSet, **details: Any) -> dimod.SampleSet:
    """Record backend details in ``sampleset.info["qflow"]["backend"]`` (JSON-friendly values please)."""
    sampleset.info.setdefault("qflow", {}).setdefault("backend", {}).update(details)
    return sampleset
