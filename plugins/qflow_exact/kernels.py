"""Compiled kernels of the exact backend: the TFIM product y = d∘x − Σ_b g_b X_b x, and the split-operator sweeps.

Why a compiled product (numba): the transverse field flips one bit per term, so y[k] = d[k]·x[k] −
Σ_b g_b·x[k ⊕ 2^b]. scipy's CSR product moves 12 bytes of index and value per non-zero (n + 1 per row) and
numpy needs one strided pass per bit, whose cost explodes for the low bits (short contiguous blocks). This
kernel moves no index arrays and touches each number a few times only:

* the vector is cut into tiles of 2^``TILE_BITS`` numbers (128 KiB, cache-resident); per tile one pass writes
  d∘x together with the flips of bits 0–2 (within groups of 8), then radix-8 passes apply three more bits
  each (eight contiguous streams, vectorised by LLVM);
* the bits above the tile are applied in groups of at most ``GROUP_BITS`` bits: each group works on a
  cache-sized set of 2^group contiguous runs (``CACHE_BITS``), again three bits per radix-8 pass.

So memory is streamed once for the tiles and once per high group (one group up to n = 24, two at n = 25–26),
instead of once per bit. Larger groups would save a sweep but touch 2^group pages per tile; at n = 26 a 12-bit
group ran 1.3× slower than two 6-bit groups on the reference machine (TLB misses).

Complex vectors are handled as interleaved float64 pairs (the Hamiltonian is real): the re/im position is one
more bit whose weight is 0, so one code path serves both (Lanczos for ground states uses real vectors).
Each output is accumulated in a fixed order (diagonal, then bits in increasing order), so results do not depend
on the machine. It is deliberately **single-threaded**: the solvers around it run many short BLAS calls, and a
threaded kernel's spinning workers slowed them by 10–30× on the 2-core reference machine.

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

__all__ = ["CACHE_BITS", "GROUP_BITS", "TILE_BITS", "apply_tfim", "split_sweeps", "three_term_update"]

#: log2 of the tile length in float64 numbers (2^14 × 8 B = 128 KiB per array, in L2 with x, d and y).
TILE_BITS = 14
#: The bits above a tile are applied in groups of at most this many bits.
GROUP_BITS = 10
#: log2 of the numbers (per array) a high-bit group works on at a time: 2^group runs of 2^(CACHE_BITS − group).
CACHE_BITS = 20
_FLAGS = {"contract"}  # FMA contraction only: no reassociation (results stay reproducible and exact)


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _first_three(out, x, d, base, size, shift, g0, g1, g2):  # pragma: no cover - compiled
    """out = d∘x − Σ_{b<3} g_b X_b x on [base, base + size), as rows of 8 (LLVM vectorises across rows)."""
    rows = size // 8
    xs = x[base : base + size].reshape(rows, 8)
    os = out[base : base + size].reshape(rows, 8)
    if shift == 0:
        ds = d[base : base + size].reshape(rows, 8)
        for t in range(rows):
            a, o, e = xs[t], os[t], ds[t]
            for q in range(8):
                o[q] = e[q] * a[q] - g0 * a[q ^ 1] - g1 * a[q ^ 2] - g2 * a[q ^ 4]
    else:  # complex: numbers 2k and 2k + 1 are one amplitude, with diagonal d[k]
        ds = d[base // 2 : (base + size) // 2].reshape(rows, 4)
        for t in range(rows):
            a, o, e = xs[t], os[t], ds[t]
            for q in range(8):
                o[q] = e[q >> 1] * a[q] - g0 * a[q ^ 1] - g1 * a[q ^ 2] - g2 * a[q ^ 4]


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _radix8(out, x, i0, s, run, g0, g1, g2):  # pragma: no cover - compiled
    o0, o1, o2, o3 = (
        out[i0 : i0 + run],
        out[i0 + s : i0 + s + run],
        out[i0 + 2 * s : i0 + 2 * s + run],
        out[i0 + 3 * s : i0 + 3 * s + run],
    )
    o4, o5, o6, o7 = (
        out[i0 + 4 * s : i0 + 4 * s + run],
        out[i0 + 5 * s : i0 + 5 * s + run],
        out[i0 + 6 * s : i0 + 6 * s + run],
        out[i0 + 7 * s : i0 + 7 * s + run],
    )
    y0, y1, y2, y3 = (
        x[i0 : i0 + run],
        x[i0 + s : i0 + s + run],
        x[i0 + 2 * s : i0 + 2 * s + run],
        x[i0 + 3 * s : i0 + 3 * s + run],
    )
    y4, y5, y6, y7 = (
        x[i0 + 4 * s : i0 + 4 * s + run],
        x[i0 + 5 * s : i0 + 5 * s + run],
        x[i0 + 6 * s : i0 + 6 * s + run],
        x[i0 + 7 * s : i0 + 7 * s + run],
    )
    for t in range(run):
        x0, x1, x2, x3, x4, x5, x6, x7 = y0[t], y1[t], y2[t], y3[t], y4[t], y5[t], y6[t], y7[t]
        o0[t] = o0[t] - g0 * x1 - g1 * x2 - g2 * x4
        o1[t] = o1[t] - g0 * x0 - g1 * x3 - g2 * x5
        o2[t] = o2[t] - g0 * x3 - g1 * x0 - g2 * x6
        o3[t] = o3[t] - g0 * x2 - g1 * x1 - g2 * x7
        o4[t] = o4[t] - g0 * x5 - g1 * x6 - g2 * x0
        o5[t] = o5[t] - g0 * x4 - g1 * x7 - g2 * x1
        o6[t] = o6[t] - g0 * x7 - g1 * x4 - g2 * x2
        o7[t] = o7[t] - g0 * x6 - g1 * x5 - g2 * x3


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _radix4(out, x, i0, s, run, g0, g1):  # pragma: no cover - compiled
    o0, o1, o2, o3 = (
        out[i0 : i0 + run],
        out[i0 + s : i0 + s + run],
        out[i0 + 2 * s : i0 + 2 * s + run],
        out[i0 + 3 * s : i0 + 3 * s + run],
    )
    y0, y1, y2, y3 = (
        x[i0 : i0 + run],
        x[i0 + s : i0 + s + run],
        x[i0 + 2 * s : i0 + 2 * s + run],
        x[i0 + 3 * s : i0 + 3 * s + run],
    )
    for t in range(run):
        x0, x1, x2, x3 = y0[t], y1[t], y2[t], y3[t]
        o0[t] = o0[t] - g0 * x1 - g1 * x2
        o1[t] = o1[t] - g0 * x0 - g1 * x3
        o2[t] = o2[t] - g0 * x3 - g1 * x0
        o3[t] = o3[t] - g0 * x2 - g1 * x1


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _radix2(out, x, i0, s, run, g0):  # pragma: no cover - compiled
    o0, o1 = out[i0 : i0 + run], out[i0 + s : i0 + s + run]
    y0, y1 = x[i0 : i0 + run], x[i0 + s : i0 + s + run]
    for t in range(run):
        x0, x1 = y0[t], y1[t]
        o0[t] = o0[t] - g0 * x1
        o1[t] = o1[t] - g0 * x0


@numba.njit(cache=True, nogil=True)
def _bits_pass(out, x, g, b, r, base, span, low, chunk, run):  # pragma: no cover - compiled
    """Bits b … b+r−1 on the tile {base + o + m + c + t}: o over span in steps 2^(b+r), m over [0, 2^b) in steps
    ``low`` (bits between the tile's contiguous part and b), t < run."""
    s = 1 << b
    for o in range(0, span, s << r):
        for m in range(0, s, low):
            i0 = base + o + m + chunk
            if r == 3:
                _radix8(out, x, i0, s, run, g[b], g[b + 1], g[b + 2])
            elif r == 2:
                _radix4(out, x, i0, s, run, g[b], g[b + 1])
            else:
                _radix2(out, x, i0, s, run, g[b])


@numba.njit(cache=True, nogil=True)
def _apply(x, d, g, out, shift, tile_bits, group_bits, cache_bits):  # pragma: no cover - compiled
    nb = g.shape[0]
    size = x.shape[0]
    if nb < 3:
        for i in range(size):
            acc = d[i >> shift] * x[i]
            for b in range(nb):
                acc -= g[b] * x[i ^ (1 << b)]
            out[i] = acc
        return
    t_bits = min(tile_bits, nb)
    tile = 1 << t_bits
    for base in range(0, size, tile):
        _first_three(out, x, d, base, tile, shift, g[0], g[1], g[2])
        for b in range(3, t_bits, 3):
            r = min(3, t_bits - b)
            _bits_pass(out, x, g, b, r, base, tile, 1 << b, 0, 1 << b)
    high = nb - t_bits
    if high <= 0:
        return
    groups = (high + group_bits - 1) // group_bits
    width = (high + groups - 1) // groups
    a = t_bits
    while a < nb:
        gsize = min(width, nb - a)
        span = 1 << (a + gsize)
        low = 1 << a
        run = min(low, max(8, (1 << cache_bits) >> gsize))
        for base in range(0, size, span):
            for chunk in range(0, low, run):
                for b in range(a, a + gsize, 3):
                    r = min(3, a + gsize - b)
                    _bits_pass(out, x, g, b, r, base, span, low, chunk, run)
        a += gsize


def apply_tfim(x: np.ndarray, d: np.ndarray, g: np.ndarray, out: np.ndarray) -> None:
    """Write d∘x − Σ_b g[b]·X_b x into ``out`` (length 2^len(g); contiguous float64 or complex128 ``x``/``out``)."""
    complex_vector = x.dtype == np.complex128
    xf, of = x.view(np.float64), out.view(np.float64)
    weights = np.concatenate(([0.0], g)) if complex_vector else np.ascontiguousarray(g, dtype=np.float64)
    _apply(xf, d, weights, of, int(complex_vector), TILE_BITS, GROUP_BITS, CACHE_BITS)


@numba.njit(cache=True, nogil=True, fastmath=_FLAGS)
def _three_term(w, v, v_prev, alpha, beta_prev):  # pragma: no cover - compiled
    total = 0.0
    for i in range(w.shape[0]):
        r = w[i] - alpha * v[i] - beta_prev * v_prev[i]
        w[i] = r
        total += r * r
    return total


def three_term_update(w: np.ndarray, v: np.ndarray, v_prev: np.ndarray, alpha: float, beta_prev: float) -> float:
    """In place w ← w − α·v − β_prev·v_prev (the Lanczos three-term step, real vectors); returns ‖w‖.

    One pass instead of two axpys and a norm (each a full sweep over the vectors); the sum of squares runs in
    index order, so the result does not depend on the machine.

    >>> w = np.array([3.0, 4.0]); three_term_update(w, np.array([1.0, 0.0]), np.zeros(2), 3.0, 0.0), w.tolist()
    (4.0, [0.0, 4.0])
    """
    return float(np.sqrt(_three_term(w, v, v_prev, alpha, beta_prev)))


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
