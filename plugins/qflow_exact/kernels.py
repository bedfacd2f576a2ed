"""Compiled kernel of the exact backend: the TFIM matrix–vector product y = d∘x − Σ_b g_b X_b x.

Why a compiled kernel (numba): the transverse field flips one bit per term, so y[k] = d[k]·x[k] −
Σ_b g_b·x[k ⊕ 2^b]. scipy's CSR product moves 12 bytes of index and value per non-zero (n + 1 per row)
and numpy needs one strided pass per bit, whose cost explodes for the low bits (short contiguous blocks);
both run 15–60× above the memory-bandwidth floor. This kernel streams the
vector once per *high* bit in cache-sized blocks and does all *low* bits inside a block that sits in L1/L2,
with no index arrays at all; its loops are written so that LLVM vectorises them (contiguous half-blocks,
unrolled unit strides): 5 ms per real and 10 ms per complex product at n = 20 on the reference machine.
Complex vectors are handled as interleaved float64 pairs (the Hamiltonian is real), so one code path serves
both (Lanczos for ground states uses the real version).

It is deliberately **single-threaded**: a ``prange`` version was no faster on the 2-core reference machine,
and its spinning worker threads slowed the surrounding ARPACK/BLAS work by 10–30× (thread oversubscription).

``g`` is indexed by **bit position** b (bit b ↔ site n − 1 − b, the basis convention of :mod:`qflow_exact.hamiltonian`).

>>> import numpy as np
>>> x = np.arange(4.0); d = np.array([1.0, 2.0, 3.0, 4.0]); g = np.array([0.5, 0.25])
>>> y = np.empty(4); apply_tfim(x, d, g, y)
>>> y.tolist()  # y[k] = d[k] x[k] − 0.5 x[k^1] − 0.25 x[k^2]
[-1.0, 1.25, 4.5, 10.75]
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["BLOCK_BITS", "apply_tfim", "split_sweeps"]

#: log2 of the block length in float64 numbers: 2^13 × 8 B = 64 KiB stay in L1/L2 while the low bits are applied.
BLOCK_BITS = 13
_FLAGS = {"contract"}  # FMA contraction only: no reassociation (results stay reproducible and exact)


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _diagonal_block(out, x, d, base, size, comp):  # pragma: no cover - compiled
    o, xb = out[base : base + size], x[base : base + size]
    if comp == 1:
        db = d[base : base + size]
        for t in range(size):
            o[t] = db[t] * xb[t]
    else:
        db = d[base // 2 : (base + size) // 2]
        for t in range(size // 2):
            o[2 * t] = db[t] * xb[2 * t]
            o[2 * t + 1] = db[t] * xb[2 * t + 1]


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _partner_block(out, x, base, partner, size, g):  # pragma: no cover - compiled
    o, p = out[base : base + size], x[partner : partner + size]
    for t in range(size):
        o[t] -= g * p[t]


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _flip_stride1(out, x, base, stop, g):  # pragma: no cover - compiled
    for t in range((stop - base) // 2):
        i = base + 2 * t
        out[i] -= g * x[i + 1]
        out[i + 1] -= g * x[i]


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _flip_stride2(out, x, base, stop, g):  # pragma: no cover - compiled
    for t in range((stop - base) // 4):
        i = base + 4 * t
        a0, a1, b0, b1 = x[i], x[i + 1], x[i + 2], x[i + 3]
        out[i] -= g * b0
        out[i + 1] -= g * b1
        out[i + 2] -= g * a0
        out[i + 3] -= g * a1


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _flip_stride(out, x, base, stop, stride, g):  # pragma: no cover - compiled
    for j0 in range(base, stop, 2 * stride):
        lo_out, hi_out = out[j0 : j0 + stride], out[j0 + stride : j0 + 2 * stride]
        lo_x, hi_x = x[j0 : j0 + stride], x[j0 + stride : j0 + 2 * stride]
        for t in range(stride):
            lo_out[t] -= g * hi_x[t]
            hi_out[t] -= g * lo_x[t]


@numba.njit(cache=True, nogil=True)
def _apply_blocked(x, d, g, out, comp, block):  # pragma: no cover - compiled
    """x, out: float64 views (comp = 1 real, 2 complex: re/im interleaved); bit b of the basis index is the
    float stride comp·2^b. Per block: diagonal, then the high bits as partner blocks streamed from memory,
    then the low bits inside the block (unit strides vectorised with unrolled loops)."""
    num_bits = g.shape[0]
    for base in range(0, x.shape[0], block):
        _diagonal_block(out, x, d, base, block, comp)
        for b in range(num_bits):
            stride = comp << b
            if stride >= block and g[b] != 0.0:
                _partner_block(out, x, base, base ^ stride, block, g[b])
        for b in range(num_bits):
            stride = comp << b
            if stride >= block or g[b] == 0.0:
                continue
            if stride == 1:
                _flip_stride1(out, x, base, base + block, g[b])
            elif stride == 2:
                _flip_stride2(out, x, base, base + block, g[b])
            else:
                _flip_stride(out, x, base, base + block, stride, g[b])


def apply_tfim(x: np.ndarray, d: np.ndarray, g: np.ndarray, out: np.ndarray) -> None:
    """Write d∘x − Σ_b g[b]·X_b x into ``out`` (length 2^len(g); contiguous float64 or complex128 ``x``/``out``)."""
    comp = 2 if x.dtype == np.complex128 else 1
    xf, of = x.view(np.float64), out.view(np.float64)
    _apply_blocked(xf, d, g, of, comp, min(1 << BLOCK_BITS, xf.shape[0]))


# -- split-operator anneal kernels -----------------------------------------------------------------------------
# exp(−iφE) needs one complex exponential per basis state and stage; libm's sin/cos do not vectorise in numba
# (no SVML), so the phase is computed branch-free: reduce x = −φE mod 2π (two-constant Cody–Waite), evaluate
# the Taylor series of cos/sin at x/16 (|x/16| ≤ π/16, truncation < 1e-19) and square four times. Relative error
# ≈ 1e-15 per factor (tested against numpy), and it is ~10× faster than libm on the reference machine.
_TWO_PI_HI = 6.28125  # 2π = _TWO_PI_HI + _TWO_PI_LO; k·_TWO_PI_HI is exact for |k| < 2^44
_TWO_PI_LO = 0.0019353071795864769
_INV_TWO_PI = 0.15915494309189535


@numba.njit(cache=True, nogil=True, fastmath={"contract"}, inline="always")
def _unit_phase(x):  # pragma: no cover - compiled
    """(cos x, sin x) for any finite x, branch-free (see above)."""
    k = np.floor(x * _INV_TWO_PI + 0.5)
    t = ((x - k * _TWO_PI_HI) - k * _TWO_PI_LO) * 0.0625
    t2 = t * t
    c = 1.0 + t2 * (-0.5 + t2 * (1 / 24 + t2 * (-1 / 720 + t2 * (1 / 40320 + t2 * (-1 / 3628800 + t2 / 479001600)))))
    s = t * (1.0 + t2 * (-1 / 6 + t2 * (1 / 120 + t2 * (-1 / 5040 + t2 * (1 / 362880 + t2 * (-1 / 39916800))))))
    for _ in range(4):
        c, s = c * c - s * s, 2.0 * c * s
    return c, s


# The X rotations work on separate real and imaginary arrays (SoA), so that LLVM vectorises them: bits ≥ 3
# through contiguous half-blocks, bits 0–2 through explicitly unrolled interleaved groups (about 3× faster
# than a complex-array loop on the reference machine).
@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _rotate_bit0(re, im, c, s):  # pragma: no cover - compiled
    for t in range(re.shape[0] // 2):
        i = 2 * t
        a, b, x, y = re[i], im[i], re[i + 1], im[i + 1]
        re[i], im[i], re[i + 1], im[i + 1] = c * a - s * y, c * b + s * x, c * x - s * b, c * y + s * a


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _rotate_bit1(re, im, c, s):  # pragma: no cover - compiled
    for t in range(re.shape[0] // 4):
        i = 4 * t
        a0, b0, a1, b1 = re[i], im[i], re[i + 1], im[i + 1]
        x0, y0, x1, y1 = re[i + 2], im[i + 2], re[i + 3], im[i + 3]
        re[i], im[i], re[i + 1], im[i + 1] = c * a0 - s * y0, c * b0 + s * x0, c * a1 - s * y1, c * b1 + s * x1
        re[i + 2], im[i + 2], re[i + 3], im[i + 3] = c * x0 - s * b0, c * y0 + s * a0, c * x1 - s * b1, c * y1 + s * a1


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _rotate_bit2(re, im, c, s):  # pragma: no cover - compiled
    for t in range(re.shape[0] // 8):
        i = 8 * t
        for k in range(4):
            a, b, x, y = re[i + k], im[i + k], re[i + k + 4], im[i + k + 4]
            re[i + k], im[i + k] = c * a - s * y, c * b + s * x
            re[i + k + 4], im[i + k + 4] = c * x - s * b, c * y + s * a


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _rotate_high_bit(re, im, half, c, s):  # pragma: no cover - compiled
    for j0 in range(0, re.shape[0], 2 * half):
        lo_re, lo_im = re[j0 : j0 + half], im[j0 : j0 + half]
        hi_re, hi_im = re[j0 + half : j0 + 2 * half], im[j0 + half : j0 + 2 * half]
        for t in range(half):
            a, b, x, y = lo_re[t], lo_im[t], hi_re[t], hi_im[t]
            lo_re[t], lo_im[t] = c * a - s * y, c * b + s * x
            hi_re[t], hi_im[t] = c * x - s * b, c * y + s * a


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _phase(re, im, energies, phi):  # pragma: no cover - compiled
    for j in range(re.shape[0]):
        c, s = _unit_phase(-phi * energies[j])
        a, b = re[j], im[j]
        re[j], im[j] = a * c - b * s, a * s + b * c


@numba.njit(cache=True, nogil=True)
def _split_sweeps(psi, energies, phases, angles, weights):  # pragma: no cover - compiled
    re = psi.real.copy()
    im = psi.imag.copy()
    num_bits = weights.shape[0]
    for stage in range(phases.shape[0]):
        if phases[stage] != 0.0:
            _phase(re, im, energies, phases[stage])
        for b in range(num_bits):
            theta = angles[stage] * weights[b]
            if theta == 0.0:
                continue
            c, s = np.cos(theta), np.sin(theta)
            if b == 0:
                _rotate_bit0(re, im, c, s)
            elif b == 1:
                _rotate_bit1(re, im, c, s)
            elif b == 2:
                _rotate_bit2(re, im, c, s)
            else:
                _rotate_high_bit(re, im, 1 << b, c, s)
    for j in range(psi.shape[0]):
        psi[j] = complex(re[j], im[j])


def split_sweeps(
    psi: np.ndarray, energies: np.ndarray, phases: np.ndarray, angles: np.ndarray, weights: np.ndarray
) -> None:
    """In place: for each stage k, ψ ← Π_b exp(i·angles[k]·weights[b]·X_b) · exp(−i·phases[k]·E) ψ.

    ``psi`` complex128 (2^n,), ``energies`` float64 (2^n,), ``weights`` (n,) indexed by **bit position**.
    Both factors are exact unitaries (up to rounding): the diagonal phase per basis state, the X rotations
    cos θ·1 + i sin θ·X_b per bit (vectorised loops on separate real and imaginary parts).

    >>> psi = np.array([1.0 + 0j, 0.0]); split_sweeps(psi, np.zeros(2), np.zeros(1), np.array([np.pi / 2]), np.ones(1))
    >>> np.round(psi, 12).tolist()  # exp(iπ/2·X)|0⟩ = i|1⟩
    [0j, 1j]
    """
    _split_sweeps(psi, energies, phases, angles, weights)
