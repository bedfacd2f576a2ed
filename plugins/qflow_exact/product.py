"""The TFIM product y = d∘x − Σ_b g_b X_b x, compiled: explicit SIMD blocks (LLVM vector code through numba
intrinsics) and the loops over tiles and high bits that call them.

Why compiled: the transverse field flips one bit per term, so y[k] = d[k]·x[k] − Σ_b g_b·x[k ⊕ 2^b]. scipy's
CSR product moves an index and a value per non-zero (n + 1 per row), and numpy needs one strided pass per bit.
This product moves no index arrays and writes each output once per stage:

* **tiles** of 2^``TILE_BITS`` numbers (aligned windows of x): for each block of 64 numbers, the diagonal and
  bits 0–5 are computed in vector registers (:func:`diagonal_block`), and each bit from 6 to the top of the tile
  adds one contiguous load of x per vector (the flipped block lies in the same tile, which stays in cache while
  its blocks are written). The bits of a tile thus cost one streaming pass over x, d and y;
* **high bits** (above the tile), in groups of at most ``GROUP_BITS`` bits: each group works on a set of
  2^group runs that together hold about 2^``CACHE_BITS`` numbers (cache-sized; a run is at least one block and
  at most the distance between runs; flipping a group bit maps the set onto itself) and adds the group's terms
  block by block (:func:`flip_block`), again one load per vector and bit.

So memory is streamed once for the tiles (read x and d, write y) and once per high group (read x, read and write
y). With the default sizes there is one group up to 2^21 float64 numbers and two up to 2^27 (a complex vector
has twice as many numbers as amplitudes). Small groups keep each run long (2^(``CACHE_BITS`` − group) numbers):
many short runs ran slower at n = 24–26 on the reference machine.

Why explicit vectors: LLVM leaves plain numba loops over the low bits scalar (bits 0–2 permute numbers inside
one vector register, and short runs never reach a vectorised loop body), and loops that apply a few bits per
pass re-read and re-write y on every pass. A block is 16 vectors ``<4 x double>``: bits 0 and 1 are lane
shuffles, bits 2–5 pick another of the block's vectors, and every higher bit moves the whole block, so its term
is one more load, accumulated in registers. The vectors are 256-bit: x86 CPUs with AVX and FMA3 run them
natively, others split them (and call libm's ``fma`` where the CPU has no fused multiply-add: correct, but slow).

Complex vectors are handled as interleaved float64 pairs (the Hamiltonian is real): the re/im position is one
more bit whose weight is 0, so one code path serves both (Lanczos for ground states uses real vectors). Each
output is one chain: the diagonal product, then one ``llvm.fma`` per bit in increasing bit order. ``llvm.fma`` is
a correctly rounded fused multiply-add on every target, so a product gives the same bits on every machine (in
the default floating-point environment: round to nearest, no flush-to-zero; numba's defaults). The product is
deliberately **single-threaded**: the solvers around it run many short BLAS calls, and a threaded kernel's
spinning workers slowed them by 10–30× on the 2-core reference machine.

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
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from qflow_core.errors import InvalidInputError

__all__ = ["BLOCK", "CACHE_BITS", "GROUP_BITS", "TILE_BITS", "apply_tfim", "diagonal_block", "flip_block"]

#: log2 of the tile length in float64 numbers (2^15 × 8 B = 256 KiB of x, read while the tile's blocks are written).
#: The three sizes are arguments of the compiled loops, so they can be changed at run time (tests do); BLOCK and
#: LOW_BITS are compiled in.
TILE_BITS = 15
#: The bits above a tile are applied in groups of at most this many bits.
GROUP_BITS = 6
#: log2 of the numbers (per array) a high-bit group works on at a time: 2^group runs of 2^(CACHE_BITS − group).
CACHE_BITS = 16

# The intrinsics live in this module, next to the loops that call them, because numba's cache keys on the file
# of the jitted function: an edit to either invalidates the cached product (intrinsics moved to another module
# would not).
#: Numbers per block (16 vectors of 4), and the bits applied inside a block (shuffles and vector choice).
BLOCK = 64
LOW_BITS = 6
_LANES = 4
_ROWS = BLOCK // _LANES

_F64 = ir.DoubleType()
_VEC = ir.VectorType(_F64, _LANES)
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)


def _mask(*lanes: int) -> ir.Constant:
    return ir.Constant(ir.VectorType(_I32, len(lanes)), list(lanes))


def _fma(builder: ir.IRBuilder) -> ir.Function:
    module = builder.module
    name = "llvm.fma.v4f64"
    return module.globals.get(name) or ir.Function(module, ir.FunctionType(_VEC, [_VEC] * 3), name)


def _negated_splat(builder: ir.IRBuilder, weights: ir.Value, bit: ir.Value) -> ir.Value:
    scalar = builder.fneg(builder.load(builder.gep(weights, [bit])))
    one = builder.insert_element(ir.Constant(_VEC, ir.Undefined), scalar, ir.Constant(_I32, 0))
    return builder.shuffle_vector(one, one, _mask(0, 0, 0, 0))


def _vector_at(builder: ir.IRBuilder, data: ir.Value, index: ir.Value) -> ir.Value:
    return builder.bitcast(builder.gep(data, [index]), _VEC.as_pointer())


def _load(builder: ir.IRBuilder, data: ir.Value, index: ir.Value) -> ir.Value:
    return builder.load(_vector_at(builder, data, index), align=8)


def _low_bits(builder, x, d, g, rows, shift):
    """The 16 vectors d∘x − Σ_{b<6} g_b X_b x of one block (``shift`` 1: d holds one number per pair)."""
    fma = _fma(builder)
    weights = [_negated_splat(builder, g, ir.Constant(_I64, b)) for b in range(LOW_BITS)]
    xs = [_load(builder, x, row) for row in rows]
    if shift == 0:
        ds = [_load(builder, d, row) for row in rows]
    else:  # interleaved complex: numbers 2k, 2k + 1 share d[k]; one vector of d serves two rows
        ds = []
        for q in range(0, _ROWS, 2):
            pair = _load(builder, d, builder.lshr(rows[q], ir.Constant(_I64, 1)))
            ds += [
                builder.shuffle_vector(pair, pair, _mask(0, 0, 1, 1)),
                builder.shuffle_vector(pair, pair, _mask(2, 2, 3, 3)),
            ]
    accs = []
    for q, a in enumerate(xs):
        partners = (
            builder.shuffle_vector(a, a, _mask(1, 0, 3, 2)),  # bit 0
            builder.shuffle_vector(a, a, _mask(2, 3, 0, 1)),  # bit 1
            xs[q ^ 1],  # bits 2–5: another vector of the block
            xs[q ^ 2],
            xs[q ^ 4],
            xs[q ^ 8],
        )
        acc = builder.fmul(ds[q], a)
        for weight, partner in zip(weights, partners, strict=True):
            acc = builder.call(fma, [weight, partner, acc])
        accs.append(acc)
    return accs


def _emit(builder, out, x, d, g, start, b_lo, b_hi, shift):
    """Block at ``start``: accumulate (the low bits when ``d`` is given, else ``out``), then bits [b_lo, b_hi)."""
    rows = [builder.add(start, ir.Constant(_I64, _LANES * q)) for q in range(_ROWS)]
    if d is not None:
        accs = _low_bits(builder, x, d, g, rows, shift)
    else:
        accs = [_load(builder, out, row) for row in rows]
    slots = [cgutils.alloca_once(builder, _VEC) for _ in rows]  # promoted to registers by LLVM
    for slot, acc in zip(slots, accs, strict=True):
        builder.store(acc, slot)
    fma = _fma(builder)
    with cgutils.for_range(builder, builder.sub(b_hi, b_lo), intp=_I64) as loop:
        bit = builder.add(b_lo, loop.index)
        weight = _negated_splat(builder, g, bit)
        partner = builder.xor(start, builder.shl(ir.Constant(_I64, 1), bit))
        for q, slot in enumerate(slots):
            flipped = _load(builder, x, builder.add(partner, ir.Constant(_I64, _LANES * q)))
            builder.store(builder.call(fma, [weight, flipped, builder.load(slot)]), slot)
    for slot, row in zip(slots, rows, strict=True):
        builder.store(builder.load(slot), _vector_at(builder, out, row), align=8)


def _is_float_vector(*arrays) -> bool:
    return all(
        isinstance(a, types.Array) and a.ndim == 1 and a.dtype == types.float64 and a.layout == "C" for a in arrays
    )


def _data(context, builder, array_type, value):
    return context.make_array(array_type)(context, builder, value).data


def _diagonal_typing(shift, out, x, d, g):
    if not _is_float_vector(out, x, d, g):
        return None

    def codegen(context, builder, signature, args):
        o, xs, ds, gs = (_data(context, builder, t, v) for t, v in zip(signature.args[:4], args[:4], strict=True))
        _emit(builder, o, xs, ds, gs, args[4], ir.Constant(_I64, LOW_BITS), args[5], shift)

    return types.void(out, x, d, g, types.intp, types.intp), codegen


@intrinsic
def diagonal_block(typingctx, out, x, d, g, start, b_hi):
    """``out[s:s+64] = d∘x − Σ_{b<b_hi} g_b X_b x`` on the block at ``s`` (real vectors). Unchecked: ``s`` is a
    multiple of 64, 6 ≤ ``b_hi`` ≤ log2(len(x)) and len(g) ≥ max(6, ``b_hi``)."""
    return _diagonal_typing(0, out, x, d, g)


@intrinsic
def diagonal_block_interleaved(typingctx, out, x, d, g, start, b_hi):
    """As :func:`diagonal_block` for interleaved complex numbers: ``d`` has one number per (re, im) pair, and
    ``g[0]``, the weight of the re/im bit, is 0."""
    return _diagonal_typing(1, out, x, d, g)


@intrinsic
def flip_block(typingctx, out, x, g, start, b_lo, b_hi):
    """``out[s:s+64] −= Σ_{b_lo≤b<b_hi} g_b X_b x`` on the block at ``s``. Unchecked: ``s`` is a multiple of 64,
    6 ≤ ``b_lo`` ≤ ``b_hi`` ≤ log2(len(x)) and len(g) ≥ ``b_hi``."""
    if not _is_float_vector(out, x, g):
        return None

    def codegen(context, builder, signature, args):
        o, xs, gs = (_data(context, builder, t, v) for t, v in zip(signature.args[:3], args[:3], strict=True))
        _emit(builder, o, xs, None, gs, args[3], args[4], args[5], 0)

    return types.void(out, x, g, types.intp, types.intp, types.intp), codegen


# -- the product ---------------------------------------------------------------------------------------------
@numba.njit(cache=True, nogil=True)
def _apply(x, d, g, out, shift, tile_bits, group_bits, cache_bits):  # pragma: no cover - compiled
    nb = g.shape[0]
    size = x.shape[0]
    t_bits = max(LOW_BITS, min(tile_bits, nb))
    for start in range(0, size, BLOCK):
        if shift == 0:
            diagonal_block(out, x, d, g, start, t_bits)
        else:
            diagonal_block_interleaved(out, x, d, g, start, t_bits)
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
        run = min(low, max(BLOCK, (1 << cache_bits) >> gsize))
        for base in range(0, size, span):
            for chunk in range(0, low, run):
                for offset in range(base + chunk, base + span, low):  # the 2^gsize runs of this set
                    for start in range(offset, offset + run, BLOCK):
                        flip_block(out, x, g, start, a, a + gsize)
        a += gsize


def _check_arguments(x: np.ndarray, d: np.ndarray, g: np.ndarray, out: np.ndarray) -> None:
    size = 1 << len(g)
    if x.dtype not in (np.float64, np.complex128) or out.dtype != x.dtype:
        raise InvalidInputError(
            f"apply_tfim: x and out must both be float64 or both complex128, got {x.dtype} and {out.dtype}"
        )
    if d.dtype != np.float64:
        raise InvalidInputError(f"apply_tfim: d must be float64, got {d.dtype}")
    for name, a in (("x", x), ("d", d), ("out", out)):
        if a.shape != (size,) or not a.flags.c_contiguous:
            raise InvalidInputError(
                f"apply_tfim: {name} must be contiguous of shape ({size},) for {len(g)} bits, got {a.shape}"
            )
    if np.may_share_memory(x, out) or np.may_share_memory(d, out) or np.may_share_memory(g, out):
        raise InvalidInputError("apply_tfim: out must not overlap x, d or g; pass a separate output array")


def apply_tfim(x: np.ndarray, d: np.ndarray, g: np.ndarray, out: np.ndarray) -> None:
    """Write d∘x − Σ_b g[b]·X_b x into ``out``.

    ``x`` and ``out``: contiguous, of one dtype (float64 or complex128), length 2^n with n = len(g), and not
    overlapping (every output reads n + 1 inputs); ``d``: contiguous float64 of length 2^n. Anything else raises
    :class:`~qflow_core.errors.InvalidInputError` (a ``ValueError``) before the compiled code, which does not check
    bounds, runs.
    """
    _check_arguments(x, d, g, out)
    complex_vector = x.dtype == np.complex128
    xf, of = x.view(np.float64), out.view(np.float64)
    weights = np.concatenate(([0.0], g)) if complex_vector else np.ascontiguousarray(g, dtype=np.float64)
    shift = int(complex_vector)
    if xf.size >= BLOCK:
        _apply(xf, d, weights, of, shift, TILE_BITS, GROUP_BITS, CACHE_BITS)
        return
    # fewer than 6 bits: zero-pad to one block (padded numbers and weights are 0, so the wanted outputs are unchanged)
    xp, dp, wp, padded = np.zeros(BLOCK), np.zeros(BLOCK >> shift), np.zeros(LOW_BITS), np.empty(BLOCK)
    xp[: xf.size], dp[: d.size], wp[: weights.size] = xf, d, weights
    _apply(xp, dp, wp, padded, shift, TILE_BITS, GROUP_BITS, CACHE_BITS)
    of[:] = padded[: of.size]
