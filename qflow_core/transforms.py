"""Exact problem transforms: rewrite a BQM before sampling, map the samples back afterwards.

:class:`LinearToAncilla` moves every linear bias onto a coupling to one extra *ancilla* spin a. In dimod's
form E(s) = Σ_i h_i s_i + Σ_{i<j} J_ij s_i s_j + c (``bqm.linear`` = h, so h = −h_qflow):

    E'(s, a) = Σ_i h_i s_i a + Σ_{i<j} J_ij s_i s_j + c.

E' has no linear biases (what D-Wave's fast-anneal protocol requires) and is invariant under the global flip
(s, a) → (−s, −a), with E'(s, +1) = E(s) and E'(s, −1) = E(−s). Gauge-fixing each read by the ancilla's sign,
s ← a·s, is therefore exact for every sampler whose statistics depend on energies only (Boltzmann at any β,
ground states, any Z₂-symmetric process):

    P(x) = P'(x, +1) + P'(−x, −1) = 2 e^{−βE(x)} / (2Z).

Quantum dynamics are not mapped one-to-one (the ancilla's own transverse field flips all spins at once in the
gauge-fixed frame), so on a quantum annealer the transform is exact for the classical energy landscape and
an approximation for the dynamics.

>>> import dimod
>>> bqm = dimod.BQM({"x": 0.5, "y": -0.25}, {("x", "y"): 1.0}, 0.1, "SPIN")
>>> t = LinearToAncilla()
>>> moved = t.transform(bqm)
>>> float(moved.get_quadratic("x", "__ancilla__")), float(moved.get_quadratic("y", "__ancilla__"))
(0.5, -0.25)
>>> bool(all(bias == 0 for bias in moved.linear.values()))
True
>>> back = t.restore(dimod.ExactSolver().sample(moved))
>>> len(back), list(back.variables), bool((back.record.energy == bqm.energies(back)).all())
(4, ['x', 'y'], True)
"""

from __future__ import annotations

from collections.abc import Hashable

import dimod
import numpy as np

from qflow_core.errors import InvalidInputError

__all__ = ["LinearToAncilla"]

#: Data vectors that add up when identical restored reads are merged; other numeric vectors are averaged
#: with ``num_occurrences`` weights (e.g. ``chain_break_fraction``).
ADDITIVE_VECTORS = ("num_occurrences", "probability")


class LinearToAncilla:
    """Move linear biases onto couplings to one ancilla spin; undo it on the samples (exact, see module doc).

    ``transform(bqm)`` returns the SPIN BQM with zero linear biases plus the ancilla (label ``ancilla``,
    made unique if the BQM already uses it); ``restore(sampleset)`` maps samples of that BQM back to the
    BQM last transformed, with energies recomputed from it. Binary BQMs are converted to SPIN first and
    restored in their own vartype.
    """

    def __init__(self, ancilla: Hashable = "__ancilla__") -> None:
        self.ancilla_label = ancilla
        self.source: dimod.BinaryQuadraticModel | None = None
        self.ancilla: Hashable | None = None

    def transform(self, bqm: dimod.BinaryQuadraticModel) -> dimod.BinaryQuadraticModel:
        """Return the ancilla form of ``bqm`` (all linear biases zero) and remember ``bqm`` for restore."""
        if not isinstance(bqm, dimod.BinaryQuadraticModel):
            raise InvalidInputError(f"LinearToAncilla.transform expects a dimod BQM, got {type(bqm).__name__}")
        spin = bqm if bqm.vartype is dimod.SPIN else bqm.change_vartype(dimod.SPIN, inplace=False)
        ancilla = self.ancilla_label
        while ancilla in spin.variables:
            ancilla = f"{ancilla}_"
        moved = dimod.BinaryQuadraticModel(dimod.SPIN)
        moved.add_variables_from((v, 0.0) for v in spin.variables)
        moved.add_variable(ancilla, 0.0)
        moved.add_quadratic_from((u, v, bias) for (u, v), bias in spin.quadratic.items())
        moved.add_quadratic_from((v, ancilla, bias) for v, bias in spin.linear.items() if bias != 0)
        moved.offset = spin.offset
        self.source, self.ancilla = bqm, ancilla
        return moved

    def restore(self, sampleset: dimod.SampleSet, *, aggregate: bool = True) -> dimod.SampleSet:
        """Gauge-fix every read by the ancilla's sign and drop the ancilla.

        Returns a SampleSet over the transformed BQM's original variables (in its vartype), energies from
        that BQM. With ``aggregate`` (default) identical restored rows are merged: the
        ``num_occurrences`` and ``probability`` vectors add up, other numeric vectors are averaged with
        ``num_occurrences`` weights. ``info`` is kept.
        """
        if self.source is None:
            raise InvalidInputError("LinearToAncilla.restore called before transform(bqm)")
        source, ancilla = self.source, self.ancilla
        columns = list(sampleset.variables)
        if ancilla not in columns or set(columns) - {ancilla} != set(source.variables):
            raise InvalidInputError(
                f"the sampleset's variables {columns[:8]}... are not those of the last transformed BQM plus the "
                f"ancilla {ancilla!r}; call restore on samples of the BQM returned by transform"
            )
        samples = np.asarray(sampleset.record.sample)
        if sampleset.vartype is dimod.BINARY:
            samples = 2 * samples - 1
        order = [columns.index(v) for v in source.variables]
        spins = samples[:, order] * samples[:, [columns.index(ancilla)]]
        vectors = {
            name: np.asarray(sampleset.record[name])
            for name in sampleset.record.dtype.names
            if name not in ("sample", "energy")
        }
        if aggregate and len(spins):
            spins, vectors = _merge_rows(spins, vectors)
        if source.vartype is dimod.BINARY:
            spins = (spins + 1) // 2
        return dimod.SampleSet.from_samples_bqm(
            (spins.astype(np.int8), list(source.variables)), source, info=dict(sampleset.info), **vectors
        )


def _merge_rows(spins: np.ndarray, vectors: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    unique, first, inverse = np.unique(spins, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    weights = vectors.get("num_occurrences", np.ones(len(spins)))
    total_weight = np.bincount(inverse, weights=weights, minlength=len(unique))
    merged: dict[str, np.ndarray] = {}
    for name, values in vectors.items():
        if values.ndim != 1 or not np.issubdtype(values.dtype, np.number):
            merged[name] = values[first]
            continue
        if name in ADDITIVE_VECTORS:
            summed = np.bincount(inverse, weights=values, minlength=len(unique))
            merged[name] = summed.astype(values.dtype) if np.issubdtype(values.dtype, np.integer) else summed
        else:
            merged[name] = np.bincount(inverse, weights=values * weights, minlength=len(unique)) / total_weight
    return unique, merged
