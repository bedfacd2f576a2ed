"""Compiled kernel of the exact backend: the TFIM matrix–vector product y = d∘x − Σ_b g_b X_b x.

Why a compiled kernel (numba): the transverse field flips one bit per term, so y[k] = d[k]·x[k] −
Σ_b g_b·x[k ⊕ 2^b]. scipy's CSR product moves 12 bytes of index and value per non-zero (n + 1 per row)
and numpy needs one strided pass per bit, whose cost explodes for the low bits (short contiguous blocks);
both run 15–60× above the memory-bandwidth floor (``/work/shared/notes/ed.md`` §D). This kernel streams the
vector once per *high* bit in cache-sized blocks and does all *low* bits inside a block that sits in L1/L2,
with no index arrays at all. It is generic over float64 and complex128 vectors (real Hamiltonian;
Lanczos for ground states uses the real version).

It is deliberately **single-threaded**: a ``prange`` version was no faster on the 2-core reference machine,
and its spinning worker threads slowed the surrounding ARPACK/BLAS work by 10–30× (thread oversubscription,
notes/ed.md "Things that are odd" 1).

``g`` is indexed by **bit position** b (bit b ↔ site n − 1 − b, THEORY §1).

>>> import numpy as np
>>> x = np.arange(4.0); d = np.array([1.0, 2.0, 3.0, 4.0]); g = np.array([0.5, 0.25])
>>> y = np.empty(4); apply_tfim(x, d, g, y)
>>> y.tolist()  # y[k] = d[k] x[k] − 0.5 x[k^1] − 0.25 x[k^2]
[-1.0, 1.25, 4.5, 10.75]
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["BLOCK_BITS", "apply_tfim"]

#: log2 of the block length: 2^11 complex numbers = 32 KiB stay in L1/L2 while the low bits are applied.
BLOCK_BITS = 11


@numba.njit(cache=True, nogil=True)
def _apply_blocked(x, d, g, out, block_bits):  # pragma: no cover - compiled
    num_bits = g.shape[0]
    size = x.shape[0]
    block = 1 << block_bits
    num_blocks = size >> block_bits
    for c in range(num_blocks):
        base = c * block
        for j in range(block):
            out[base + j] = d[base + j] * x[base + j]
        for b in range(block_bits, num_bits):
            gb = g[b]
            if gb == 0.0:
                continue
            partner = base ^ (1 << b)
            for j in range(block):
                out[base + j] -= gb * x[partner + j]
        for b in range(block_bits):
            gb = g[b]
            if gb == 0.0:
                continue
            half = 1 << b
            for j0 in range(base, base + block, 2 * half):
                for t in range(j0, j0 + half):
                    lo = x[t]
                    hi = x[t + half]
                    out[t] -= gb * hi
                    out[t + half] -= gb * lo


def apply_tfim(x: np.ndarray, d: np.ndarray, g: np.ndarray, out: np.ndarray) -> None:
    """Write d∘x − Σ_b g[b]·X_b x into ``out`` (length 2^len(g); float64 or complex128 ``x``/``out``)."""
    block_bits = min(BLOCK_BITS, g.shape[0])
    _apply_blocked(x, d, g, out, block_bits)
