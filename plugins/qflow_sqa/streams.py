"""Random streams of the sqa kernel: one xoshiro256+ generator per read.

xoshiro256+ (Blackman & Vigna) is a 256-bit linear generator whose top 53 bits make uniform doubles; its *jump*
polynomial advances a state by 2^128 draws, which gives non-overlapping streams from one seed. Read 0 starts from
256 bits of ``numpy.random.SeedSequence(seed)``, read r from that state jumped r times, so a read's stream does not
depend on how many reads run beside it. :func:`uniform` is one step on a state held in local variables (registers).

>>> states = seed_states(3, 4)
>>> bool((states[:2] == seed_states(3, 2)).all()), len({tuple(row) for row in states.tolist()})
(True, 4)
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["seed_states", "uniform"]

_JUMP = np.array([0x180EC6D33CFD0ABA, 0xD5A61266F0C9392C, 0xA9582618E03FC9AA, 0x39ABDC4529B1661C], dtype=np.uint64)
_U17, _U45, _U19, _U11 = np.uint64(17), np.uint64(45), np.uint64(19), np.uint64(11)
_TO_UNIT = 2.0**-53


def seed_states(seed: int, num_reads: int) -> np.ndarray:
    """xoshiro256+ states (num_reads, 4) uint64: read r's state is the seed's state jumped r·2^128 draws."""
    base = np.random.SeedSequence(seed).generate_state(4, dtype=np.uint64)
    if not base.any():  # xoshiro's one forbidden state; probability 2^-256
        base[0] = 1
    states = np.empty((num_reads, 4), dtype=np.uint64)
    _jumped(base, states)
    return states


@numba.njit(cache=True, nogil=True, inline="always")
def _step(s0, s1, s2, s3):  # pragma: no cover - compiled
    """One xoshiro256+ step on a state held in four local variables: (64-bit output, s0, s1, s2, s3)."""
    result = s0 + s3
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    return result, s0, s1, s2, (s3 << _U45) | (s3 >> _U19)


@numba.njit(cache=True, nogil=True)
def _next(state):  # pragma: no cover - compiled
    """One xoshiro256+ step of ``state`` (4 uint64, in place); returns the 64-bit output."""
    result, state[0], state[1], state[2], state[3] = _step(state[0], state[1], state[2], state[3])
    return result


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
                _next(state)
        state[:] = acc


@numba.njit(cache=True, nogil=True, inline="always")
def uniform(s0, s1, s2, s3):  # pragma: no cover - compiled
    """One xoshiro256+ step on a state held in four local variables: (double in [0, 1), s0, s1, s2, s3)."""
    result, s0, s1, s2, s3 = _step(s0, s1, s2, s3)
    return (result >> _U11) * _TO_UNIT, s0, s1, s2, s3
