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

Local fields f_i^k = h_i + Σ_j J_ij s_j^k are kept up to date (O(degree) per accepted flip), the couplings are
stored as a symmetric CSR adjacency, so dense and sparse models both cost what they must.

Random numbers come from one xoshiro256+ stream per read (:func:`seed_states`: the run seed's state jumped r·2^128
draws ahead for read r), so read ``r`` is the same bits however many reads are run alongside it.

The kernel is serial: replicas are looped inside the compiled code (no Python per read), on one thread.

>>> import numpy as np
>>> indptr, indices, weights = np.array([0, 1, 2]), np.array([1, 0], np.int32), np.array([-1.0, -1.0])
>>> h = np.zeros(2); rng = seed_states(5, 3)
>>> out = np.empty((3, 2), np.int8); accepted = np.zeros(2, np.int64)
>>> sweep_replicas(indptr, indices, weights, h, np.full(50, 4.0), np.zeros(50), 1, np.empty((0, 2), np.int8),
...                rng, True, out, accepted)
>>> bool((out[:, 0] == out[:, 1]).all())  # a strongly ferromagnetic pair ends aligned
True
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["seed_states", "sweep_replicas"]

_U17, _U45, _U19, _U11 = np.uint64(17), np.uint64(45), np.uint64(19), np.uint64(11)
_TO_UNIT = 2.0**-53


def seed_states(seed: int, num_reads: int) -> np.ndarray:
    """xoshiro256+ states (num_reads, 4) uint64, one non-overlapping stream per read.

    Read 0 starts from 256 bits of ``numpy.random.SeedSequence(seed)``; read r from that state advanced by r
    jumps of 2^128 draws (the generator's own jump polynomial), so read r is the same stream however many reads
    are run, and no two reads' streams overlap.

    >>> a = seed_states(3, 4); b = seed_states(3, 2)
    >>> bool((a[:2] == b).all()), len({tuple(row) for row in a.tolist()})
    (True, 4)
    """
    base = np.random.SeedSequence(seed).generate_state(4, dtype=np.uint64)
    if not base.any():  # xoshiro's one forbidden state; probability 2^-256
        base[0] = 1
    states = np.empty((num_reads, 4), dtype=np.uint64)
    _jumped(base, states)
    return states


@numba.njit(cache=True, nogil=True, inline="always")
def _uniform(state):  # pragma: no cover - compiled
    """Next double in [0, 1) of the xoshiro256+ stream held in ``state`` (4 uint64, updated in place)."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = s0 + s3
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return (result >> _U11) * _TO_UNIT


_JUMP = np.array([0x180EC6D33CFD0ABA, 0xD5A61266F0C9392C, 0xA9582618E03FC9AA, 0x39ABDC4529B1661C], dtype=np.uint64)


@numba.njit(cache=True, nogil=True)
def _jumped(base, states):  # pragma: no cover - compiled
    """states[r] = base advanced by r jumps of 2^128 draws."""
    state = base.copy()
    one = np.uint64(1)
    for r in range(states.shape[0]):
        states[r] = state
        acc = np.zeros(4, dtype=np.uint64)
        for word in range(4):
            for bit in range(64):
                if _JUMP[word] & (one << np.uint64(bit)):
                    for w in range(4):
                        acc[w] ^= state[w]
                _uniform(state)
        state[:] = acc


@numba.njit(cache=True, nogil=True)
def _flip(spins, fields, k, i, indptr, indices, weights):  # pragma: no cover - compiled
    """Flip spin i of slice k and update the local fields of its neighbours in that slice."""
    delta = -2.0 * spins[k, i]
    spins[k, i] = -spins[k, i]
    for p in range(indptr[i], indptr[i + 1]):
        fields[k, indices[p]] += weights[p] * delta


@numba.njit(cache=True, nogil=True)
def _one_read(indptr, indices, weights, h, e_scale, j_perp, spins, fields, state, world_lines, accepted):
    # pragma: no cover - compiled
    num_slices, n = spins.shape
    for k in range(num_slices):
        for i in range(n):
            f = h[i]
            for p in range(indptr[i], indptr[i + 1]):
                f += weights[p] * spins[k, indices[p]]
            fields[k, i] = f
    for t in range(e_scale.shape[0]):
        a, jp = e_scale[t], j_perp[t]
        for k in range(num_slices):
            below = k - 1 if k > 0 else num_slices - 1
            above = k + 1 if k < num_slices - 1 else 0
            for i in range(n):
                si = spins[k, i]
                # flipping s -> -s changes −a·E by 2a·s·f and the slice coupling by −2 j⊥ s (s_below + s_above)
                dlogw = 2.0 * si * (a * fields[k, i] - jp * (spins[below, i] + spins[above, i]))
                if dlogw >= 0.0 or _uniform(state) < np.exp(dlogw):
                    _flip(spins, fields, k, i, indptr, indices, weights)
                    accepted[0] += 1
        if world_lines:
            for i in range(n):
                total = 0.0
                for k in range(num_slices):
                    total += spins[k, i] * fields[k, i]
                dlogw = 2.0 * a * total
                if dlogw >= 0.0 or _uniform(state) < np.exp(dlogw):
                    for k in range(num_slices):
                        _flip(spins, fields, k, i, indptr, indices, weights)
                    accepted[1] += 1


@numba.njit(cache=True, nogil=True)
def sweep_replicas(
    indptr, indices, weights, h, e_scale, j_perp, num_slices, initial, rng, world_lines, out, accepted
):  # pragma: no cover - compiled
    """Run every read through the sweep schedule and write its slice 0 into ``out`` (reads, n) int8.

    ``initial`` is (0, n) for a uniformly random start of every slice, or (1, n) to start every slice of every
    read in that state. ``rng`` (reads, 4) uint64 holds each read's stream (see :func:`seed_states`);
    ``accepted`` (2,) int64 accumulates accepted single-spin and world-line flips.
    """
    num_reads, n = out.shape
    spins = np.empty((num_slices, n), dtype=np.int8)
    fields = np.empty((num_slices, n), dtype=np.float64)
    for r in range(num_reads):
        state = rng[r]
        for k in range(num_slices):
            for i in range(n):
                if initial.shape[0] == 1:
                    spins[k, i] = initial[0, i]
                else:
                    spins[k, i] = 1 if _uniform(state) < 0.5 else -1
        _one_read(indptr, indices, weights, h, e_scale, j_perp, spins, fields, state, world_lines, accepted)
        for i in range(n):
            out[r, i] = spins[0, i]
