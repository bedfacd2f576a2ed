"""Compiled path-integral Monte Carlo kernel: many independent replicas (reads) of a P-slice Ising world-line model.

Each read is a ring of P copies ("Trotter slices") of the spins. Its log-weight is

    log W(s) = Σ_k [ −a · E(s^k) + j⊥ · Σ_i s_i^k s_i^{k+1} ],    slices periodic (s^P ≡ s^0),

with E(s) = Σ_i h_i s_i + Σ_{i<j} J_ij s_i s_j the BQM's energy (dimod sign convention, offset dropped). The two
numbers ``a`` (energy weight per slice) and ``j⊥`` (slice coupling, ≥ 0) are given **per sweep**, so one kernel
serves fixed-temperature sampling, anneals and temperature ramps. One sweep is

1. single-spin Metropolis: every spin of every slice in turn (slice-major, P·n proposals);
2. optionally one world-line flip per spin: s_i^k → −s_i^k for all k at once. It leaves the slice coupling
   unchanged, so its Metropolis ratio is exp(−a Σ_k ΔE_k); it lets reads mix when j⊥ is large (weak field), where
   single-slice flips that break a world line are almost never accepted.

How it is fast. The loops over reads, sweeps, slices and spins all run compiled; reads go in blocks of
:data:`BLOCK` that share the per-sweep set-up. Local fields f_i^k = h_i + Σ_j J_ij s_j^k are kept up to date
through a symmetric CSR adjacency (O(degree) per accepted flip, so dense and sparse models cost what they must).
Most proposals need neither the local field nor an exponential: the Metropolis log-ratio is
Δ = 2 s (a f − j⊥ (s_below + s_above)), whose coupling part takes three values and whose field part is bounded by
m_i = 2 a (|h_i| + Σ_j |J_ij|), so a uniform u above the per-sweep bound e^{coupling part + m_i} is a rejection
— the same decision as u < e^Δ, with a safety margin on the bound. Each read draws one uniform per proposal from
its own stream (:mod:`qflow_sqa.streams`), held in registers, so read r's result is the same bits whichever
block or batch it runs in.

>>> import numpy as np
>>> from qflow_sqa.streams import seed_states
>>> indptr, indices, weights = np.array([0, 1, 2]), np.array([1, 0], np.int32), np.array([-1.0, -1.0])
>>> out = np.empty((3, 2), np.int8); accepted = np.zeros(2, np.int64)
>>> sweep_replicas(indptr, indices, weights, np.zeros(2), np.full(50, 4.0), np.zeros(50), 1,
...                np.empty((0, 2), np.int8), seed_states(5, 3), True, out, accepted)
>>> bool((out[:, 0] == out[:, 1]).all())  # a strongly ferromagnetic pair ends aligned
True
"""

from __future__ import annotations

import numba
import numpy as np

from qflow_sqa.streams import uniform

__all__ = ["BLOCK", "sweep_replicas"]

#: Reads that share one per-sweep set-up (the exponential bounds); their states stay cache-resident for small n.
BLOCK = 8
_SLACK = 1e-12  # relative and absolute margin on the bounds: far above rounding error, far below any physics


@numba.njit(cache=True, nogil=True, inline="always")
def _flip(spins, fields, k, i, indptr, indices, weights):  # pragma: no cover - compiled
    """Flip spin i of slice k and update the local fields of its neighbours in that slice."""
    delta = -2.0 * spins[k, i]
    spins[k, i] = -spins[k, i]
    for p in range(indptr[i], indptr[i + 1]):
        fields[k, indices[p]] += weights[p] * delta


@numba.njit(cache=True, nogil=True)
def _start(spins, fields, initial, state, indptr, indices, weights, h):  # pragma: no cover - compiled
    """Initial slices (random, or all equal to ``initial[0]``) and their local fields; advances ``state``."""
    num_slices, n = spins.shape
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for k in range(num_slices):
        for i in range(n):
            if initial.shape[0] == 1:
                spins[k, i] = initial[0, i]
            else:
                u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
                spins[k, i] = 1 if u < 0.5 else -1
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    for k in range(num_slices):
        for i in range(n):
            f = h[i]
            for p in range(indptr[i], indptr[i + 1]):
                f += weights[p] * spins[k, indices[p]]
            fields[k, i] = f


@numba.njit(cache=True, nogil=True)
def _sweep(spins, fields, a, jp, ceiling, state, world_lines, indptr, indices, weights):  # pragma: no cover
    """One sweep of one read; returns the accepted (single-spin, world-line) flips."""
    num_slices, n = spins.shape
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    singles = 0
    for k in range(num_slices):
        below = k - 1 if k > 0 else num_slices - 1
        above = k + 1 if k < num_slices - 1 else 0
        for i in range(n):
            u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
            si = spins[k, i]
            c = si * (spins[below, i] + spins[above, i])  # 2, 0 or -2
            if u < ceiling[i, 1 - (c >> 1)]:
                x = 2.0 * (a * si * fields[k, i] - jp * c)
                if x >= 0.0 or u < np.exp(x):
                    _flip(spins, fields, k, i, indptr, indices, weights)
                    singles += 1
    lines = 0
    if world_lines:
        for i in range(n):
            total = 0.0
            for k in range(num_slices):
                total += spins[k, i] * fields[k, i]
            u, s0, s1, s2, s3 = uniform(s0, s1, s2, s3)
            x = 2.0 * a * total
            if x >= 0.0 or u < np.exp(x):
                for k in range(num_slices):
                    _flip(spins, fields, k, i, indptr, indices, weights)
                lines += 1
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return singles, lines


@numba.njit(cache=True, nogil=True)
def sweep_replicas(
    indptr, indices, weights, h, e_scale, j_perp, num_slices, initial, rng, world_lines, out, accepted
):  # pragma: no cover - compiled
    """Run every read through the sweep schedule and write its slice 0 into ``out`` (reads, n) int8.

    ``initial`` is (0, n) for a uniformly random start of every slice, or (1, n) to start every slice of every
    read in that state. ``rng`` (reads, 4) uint64 holds each read's stream (advanced in place);
    ``accepted`` (2,) int64 accumulates accepted single-spin and world-line flips.
    """
    num_reads, n = out.shape
    spins = np.empty((BLOCK, num_slices, n), dtype=np.int8)
    fields = np.empty((BLOCK, num_slices, n))
    bound = np.empty(n)
    for i in range(n):
        bound[i] = abs(h[i])
        for p in range(indptr[i], indptr[i + 1]):
            bound[i] += abs(weights[p])
    ceiling = np.empty((n, 3))  # e^{coupling part + m_i} for c = 2, 0, -2
    for start in range(0, num_reads, BLOCK):
        size = min(BLOCK, num_reads - start)
        for r in range(size):
            _start(spins[r], fields[r], initial, rng[start + r], indptr, indices, weights, h)
        for t in range(e_scale.shape[0]):
            a, jp = e_scale[t], j_perp[t]
            for i in range(n):
                m = 2.0 * a * bound[i] * (1.0 + _SLACK) + _SLACK
                ceiling[i, 0], ceiling[i, 1], ceiling[i, 2] = np.exp(m - 4.0 * jp), np.exp(m), np.exp(m + 4.0 * jp)
            for r in range(size):
                singles, lines = _sweep(
                    spins[r], fields[r], a, jp, ceiling, rng[start + r], world_lines, indptr, indices, weights
                )
                accepted[0] += singles
                accepted[1] += lines
        for r in range(size):
            out[start + r] = spins[r, 0]
