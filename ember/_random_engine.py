"""Bit-exact NumPy reproduction of PyTorch 2.13's CPU random generator.

This module is self-contained (NumPy, plus ``ml_dtypes`` for bfloat16, imported on first use); it does
not import torch or anything from ember.  It follows the 2.13 sources
(``ATen/core/DistributionsHelper.h``, ``ATen/core/TransformationHelper.h``,
``ATen/native/DistributionTemplates.h``, ``ATen/native/cpu/DistributionTemplates.h``)
for torch 2.13.0+cpu on x86-64 (AVX2 / AVX-512 machines, which run the AVX2
distribution kernels).

Engine
------
MT19937 seeded with the low 32 bits of the 64-bit seed (``init_genrand``).
Raw 32-bit outputs come from NumPy's ``np.random.MT19937`` (same algorithm, same
twist) with its key/pos set from torch's state; torch's ``left``/``next``
counters are tracked arithmetically so that :meth:`CPUGeneratorEngine.get_state`
returns the same 5056 bytes as ``torch.get_rng_state()``.

Floating point
--------------
* float32 ``fma`` is emulated exactly (product exact in float64, sum rounded
  to odd when a float32 double-rounding hazard is detected).  Inside the
  ``log256``/``sincos256`` polynomials the plain "float64 then round" form is
  used: it was checked against the exact form on *all* 2**24 possible inputs
  of each routine (0 differences).
* float64 ``fma`` uses Dekker's exact product + Boldo-Melquiond round-to-odd.
* float64 ``log``/``log1p`` use Python's ``math`` (= glibc libm, like torch);
  NumPy's float64 log/log1p differ from libm on AVX-512 machines.  ``sin`` and
  ``cos`` use NumPy when a one-time self check (run on the first float64 normal) shows it
  agrees with libm.
  float64 normals therefore match torch only where the C library matches the
  one torch uses (glibc on x86-64 here).

Fill order for non-contiguous targets (checked against torch 2.13)
------------------------------------------------------------------
All element-wise random fills (``uniform_``, ``normal_`` scalar path,
``random_``, ``bernoulli_(p)``) are *serial* and visit the elements in the
order TensorIterator chooses: dimensions sorted by stride (smallest stride
innermost, i.e. **memory order**).  For ``torch.empty(4, 5).t()`` the values
land in storage order, so ``t.normal_()`` equals
``engine.normal((4, 5), f32, contiguous=False).T``; for a strided slice such as
``x[:, ::2]`` (strides still decreasing) the order is plain row-major of the
view.  :func:`fill_order` computes this permutation and
:meth:`CPUGeneratorEngine.fill_strided` returns values for a strided target in
logical (C-order) layout.  ``normal_`` uses the 16-wide vector path only when
``numel >= 16`` **and** the target ``is_contiguous()`` (torch's definition,
see :func:`is_contiguous`); every other target (channels_last, transposed,
sliced, numel < 16) takes the scalar Box-Muller path with the cached normal.

``normal(..., contiguous=False)`` returns the scalar-path values in *draw
order* (reshaped C-order to ``shape``); place them with :func:`fill_order`.
"""

from __future__ import annotations

import math
import struct
import sys
import warnings

import numpy as np


__all__ = [
    "DEFAULT_GENERATOR_SEED",
    "STATE_SIZE",
    "CPUGeneratorEngine",
    "fill_order",
    "is_contiguous",
    "init_genrand",
]

DEFAULT_GENERATOR_SEED = 67280421310721
STATE_SIZE = 5056
_N = 624

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_BOOL = np.dtype(np.bool_)
_I64 = np.dtype(np.int64)

_f32 = np.float32
_U64_MASK = (1 << 64) - 1
_MASK24 = np.uint32(0xFFFFFF)
_MASK24_W = np.uint64(0xFFFFFF)  # for the uint64 words of MT19937.random_raw
_MASK53 = np.uint64((1 << 53) - 1)
_TWO_M24 = _f32(2.0 ** -24)
_TWO_M53 = 2.0 ** -53
_TWO_M21 = 2.0 ** -21
_TWO_PI_D = 6.283185307179586  # (double)(2.0f * pi<double>) == 2.0 * pi<double>
_NORMAL_SMALL = 32  # normal's scalar path on Python floats up to this many draws (see _normal_scalar)
_PERM_SMALL = 32  # randperm up to this n by torch's own loop (see randperm)
_PERM_CHUNK = 1 << 14  # the most steps _fisher_yates replays at once (of 2**13..2**17, fastest at 4M)
_PERM_BLOCK = 4096  # the smallest cell block of _fisher_yates_sorted
_PERM_LAST = 1 << 15  # _fisher_yates' last cells (see there)
_RAW_SMALL = 16384  # up to this many words per draw through MT19937.random_raw (see _words)
_REWIND = 1 << 18  # draws of more words move the bit generator back over the words fetched ahead (see _raw32)
_NO_WORDS = np.empty(0, dtype=np.uint64)
_HI32 = 1 if sys.byteorder == "little" else 0  # the high 32-bit word of an int64 (see _fisher_yates)
_SIGN32 = np.int32(-(1 << 31))  # marks a cell in _fisher_yates (cell values are below 2**31)
_LOW31 = np.int32((1 << 31) - 1)


class SeedOverflowError(ValueError, RuntimeError):
    """torch raises ``ValueError('Overflow when unpacking long long')`` for seeds
    outside [-2**63, 2**64-1]; this class is also a RuntimeError."""


# ----------------------------------------------------------------------------
# dtype helpers
# ----------------------------------------------------------------------------

_TORCH_NAME = {
    "float16": "Half", "float32": "Float", "float64": "Double", "bfloat16": "BFloat16",
    "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "uint8": "Byte", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
    "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}
# caffe2::TypeMeta names used in "... is out of bounds for <name>"
_META_NAME = {
    "float16": "c10::Half", "float32": "float", "float64": "double", "bfloat16": "c10::BFloat16",
    "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
    "uint8": "unsigned char", "uint16": "short unsigned int", "uint32": "unsigned int",
    "uint64": "long unsigned int", "bool": "bool",
}
# std::numeric_limits<T>::digits for the floating types
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _dt(dtype) -> np.dtype:
    if isinstance(dtype, str) and dtype == "bfloat16":
        import ml_dtypes  # imported on first use: its import is slow (up to a second for 0.7.0)
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(dtype)


def _is_bf16(dt: np.dtype) -> bool:
    """ml_dtypes' bfloat16 (a kind 'V' dtype), recognised without importing ml_dtypes."""
    return dt.kind == "V" and dt.name == "bfloat16"


def _tname(dt: np.dtype) -> str:
    return _TORCH_NAME.get(dt.name, dt.name)


def _is_float(dt: np.dtype) -> bool:
    return dt in (_F16, _F32, _F64) or _is_bf16(dt)


def _is_reduced(dt: np.dtype) -> bool:
    return dt == _F16 or _is_bf16(dt)


def _not_impl(kernel: str, dt: np.dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_tname(dt)}\'')


def _shape(shape) -> tuple:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _numel(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _cfmt(x) -> str:
    """Format a number the way ``std::ostream << double`` does (precision 6)."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return "%g" % x


def _float_limits(dt: np.dtype):
    if dt == _F16:
        return -65504.0, 65504.0
    if dt == _F32:
        m = float(np.finfo(np.float32).max)
        return -m, m
    if dt == _F64:
        m = float(np.finfo(np.float64).max)
        return -m, m
    import ml_dtypes
    m = float(ml_dtypes.finfo(dt).max)
    return -m, m


def _to_reduced(x32: np.ndarray, dt: np.dtype) -> np.ndarray:
    """float32 -> float16/bfloat16, round to nearest even (c10::Half / c10::BFloat16)."""
    return np.asarray(x32, dtype=np.float32).astype(dt)


def _from_double(x64: np.ndarray, dt: np.dtype) -> np.ndarray:
    """``static_cast<scalar_t>(double)``: Half/BFloat16 go through float first."""
    if dt == _F64:
        return np.asarray(x64, dtype=np.float64)
    if dt == _F32:
        return np.asarray(x64, dtype=np.float64).astype(np.float32)
    if _is_float(dt):
        return np.asarray(x64, dtype=np.float64).astype(np.float32).astype(dt)
    return np.asarray(x64).astype(dt)


def _from_int64(v: np.ndarray, dt: np.dtype) -> np.ndarray:
    """``static_cast<scalar_t>(int64_t)`` (wrap for integers, via float for half types)."""
    if dt == _BOOL:
        return v != 0
    if _is_reduced(dt):
        return v.astype(np.float32).astype(dt)
    return v.astype(dt)


# ----------------------------------------------------------------------------
# exact floating point helpers
# ----------------------------------------------------------------------------

def _fma32(a, b, c) -> np.ndarray:
    """Correctly rounded float32 fma(a, b, c) for float32 inputs (arrays/scalars)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    p = a * b  # exact: 24 x 24 bits
    s = p + c
    s = np.array(s, dtype=np.float64, copy=True, ndmin=1) if s.ndim == 0 else s
    bits = s.view(np.uint64)
    # Double rounding f64 -> f32 can only go wrong when s sits exactly on a
    # float32 rounding midpoint, or when the result is a float32 subnormal.
    sus = (bits & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    with np.errstate(invalid="ignore"):
        sus |= np.abs(s) < 2.0 ** -125
    if sus.any():
        idx = np.nonzero(sus)
        pp = np.broadcast_to(p, s.shape)[idx]
        cc = np.broadcast_to(c, s.shape)[idx]
        ss = s[idx]
        bb = ss - pp
        err = (pp - (ss - bb)) + (cc - bb)
        fix = (err != 0) & ((ss.view(np.uint64) & np.uint64(1)) == 0)
        if fix.any():
            ss = np.where(fix, np.nextafter(ss, np.copysign(np.inf, err)), ss)
            s[idx] = ss
    with np.errstate(over="ignore"):
        return s.astype(np.float32)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def _split(a):
    t = 134217729.0 * a
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a, b, c) -> np.ndarray:
    """Correctly rounded float64 fma (Dekker exact product + Boldo-Melquiond
    round-to-odd).  Valid away from overflow/underflow of the product."""
    a, b, c = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                                  np.asarray(c, dtype=np.float64))
    shape = a.shape
    a = a.ravel()
    b = b.ravel()
    c = c.ravel()
    with np.errstate(all="ignore"):
        uh = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
        th, tl = _two_sum(c, uh)
        v, e = _two_sum(tl, ul)
        fix = (e != 0) & ((v.view(np.uint64) & np.uint64(1)) == 0)
        if fix.any():
            v = np.where(fix, np.nextafter(v, np.copysign(np.inf, e)), v)
        r = th + v
        special = ~np.isfinite(uh) | (uh == 0) | ~np.isfinite(c)
        if special.any():  # exact zero / non-finite product: plain arithmetic is exact
            r = np.where(special, uh + c, r)
    return r.reshape(shape)


def _affine64(x: np.ndarray, std: float, mean: float) -> np.ndarray:
    if std == 1.0 or mean == 0.0:
        return x * std + mean
    return _fma64(x, std, mean)


# ----------------------------------------------------------------------------
# libm access for float64 transcendental functions
# ----------------------------------------------------------------------------

def _map_libm(fn, x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float64)
    return np.fromiter(map(fn, x.ravel().tolist()), dtype=np.float64, count=x.size).reshape(x.shape)


_TRIG_OK = None


def _numpy_trig_is_libm() -> bool:
    """NumPy's float64 sin/cos call libm on x86-64 Linux; verify once."""
    global _TRIG_OK
    if _TRIG_OK is None:
        rng = np.random.default_rng(12345)
        x = np.concatenate([
            rng.integers(0, 1 << 53, 4096).astype(np.float64) * (_TWO_M53 * _TWO_PI_D),
            _TWO_PI_D * np.arange(0, 1 << 12, dtype=np.float64) / 4096.0,
        ])
        _TRIG_OK = bool(
            np.array_equal(np.sin(x), _map_libm(math.sin, x))
            and np.array_equal(np.cos(x), _map_libm(math.cos, x))
        )
    return _TRIG_OK


def _sin64(x):
    return np.sin(x) if _numpy_trig_is_libm() else _map_libm(math.sin, x)


def _cos64(x):
    return np.cos(x) if _numpy_trig_is_libm() else _map_libm(math.cos, x)


def _log64(x):
    return _map_libm(math.log, x)


def _log1p64(x):
    return _map_libm(math.log1p, x)


# ----------------------------------------------------------------------------
# avx_mathfun.h log256_ps / sincos256_ps (as compiled into torch 2.13, with FMA)
# ----------------------------------------------------------------------------

def _c32(h: int) -> np.float32:
    return np.array([h], dtype=np.uint32).view(np.float32)[0]


_LOG_P = [_c32(h) for h in (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A, 0xBDFE5D4F, 0x3E11E9BF,
                            0xBE2AAE50, 0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)]
_LOG_P64 = [float(p) for p in _LOG_P]
_Q1 = _c32(0xB95E8083)
_Q2 = _c32(0x3F318000)
_SQRTHF_BITS = 0x3F3504F3  # cephes_SQRTHF, float32 sqrt(1/2)
_FOPI = _c32(0x3FA2F983)
_MDP1 = _c32(0xBF490000)
_MDP2 = _c32(0xB97DA000)
_MDP3 = _c32(0xB3222169)
_S0, _S1, _S2 = _c32(0xB94CA1F9), _c32(0x3C08839E), _c32(0xBE2AAAA3)
_C0, _C1, _C2 = _c32(0x37CCF5CE), _c32(0xBAB6061A), _c32(0x3D2AAAA5)
_TWO_PI_F = _c32(0x40C90FDB)


_BM_PAIRS = 1 << 16  # Box-Muller pairs per chunk (4 MB of buffers; 1 << 15: 5-7% slower on 4M draws)
_V32 = np.dtype((np.void, 32))  # 8 words of 4 bytes: half a block of NormalFill16
_TWO_PI_F_M24 = _f32(float(_TWO_PI_F) * 2.0 ** -24)  # 2pi_f * 2**-24, exact
# y * (DP1 + DP2 + DP3) for y = 2 * jj in sincos256_ps's range reduction: the sum of the three float32 constants
# and its products by 0..4 are exact in float64
_DP_SUM2 = 2.0 * (float(_MDP1) + float(_MDP2) + float(_MDP3))


class _BMWork:
    """Preallocated buffers for the float32 Box-Muller kernel (avoids large temporaries)."""

    def __init__(self, k: int):
        f = lambda: np.empty(k, dtype=np.float32)  # noqa: E731
        i = lambda: np.empty(k, dtype=np.int32)  # noqa: E731
        d = lambda: np.empty(k, dtype=np.float64)  # noqa: E731
        self.A, self.E, self.Y, self.Z, self.X, self.C, self.S, self.W = (f() for _ in range(8))
        self.K, self.J = i(), i()
        self.D0, self.D1, self.T = d(), d(), d()

    def take(self, k: int):
        return {name: buf[:k] for name, buf in vars(self).items()}


# Literal emulation of log256_ps / sincos256_ps (avx_mathfun.h) as compiled, with FMA contraction, into torch 2.13.
# Each fma of float32 operands is a float64 product (exact: 24 x 24 bits) and sum rounded to float32: that double
# rounding equals the fused result on all 2**24 possible inputs of each routine. Mixed float32/float64 operands are
# converted by copyto first: a ufunc casting its inputs itself runs 3-5x slower.
def _bm_radius(w):
    """sqrt(-2 * log256_ps(u1)) into w['A'] for u1 = 1 - k * 2**-24, k the low 24 bits of the raw words in w['K']."""
    K, A, E, Y, Z, W, D0, D1, T = (w[c] for c in ("K", "A", "E", "Y", "Z", "W", "D0", "D1", "T"))
    i32 = np.int32
    unsafe = "unsafe"
    np.bitwise_or(K, i32(-1 << 24), out=K)  # k - 2**24
    np.copyto(A, K, casting=unsafe)
    np.negative(A, out=A)  # N = 2**24 - k = u1 * 2**24, exact
    # log256_ps's fields: u1 = m * 2**e, m in [0.5, 1); below sqrt(1/2) m doubles (x = 2m - 1, exact) and e drops.
    # Adding 2**23 - mantissa(sqrt(1/2)) to N's bits carries into the exponent exactly when m >= sqrt(1/2)
    ix = A.view(i32)
    np.add(ix, i32(0x800000 - (_SQRTHF_BITS & 0x7FFFFF)), out=ix)
    np.right_shift(ix, i32(23), out=K)
    np.subtract(K, i32(151), out=K)  # 127 + 24 (u1 = N * 2**-24) - 1 (the carry's increment is log256_ps's e + 1)
    np.copyto(E, K, casting=unsafe)  # e
    np.bitwise_and(ix, i32(0x7FFFFF), out=ix)
    np.add(ix, i32(_SQRTHF_BITS), out=ix)  # the carried mantissa in [sqrt(1/2), sqrt(2))
    np.subtract(A, _f32(1.0), out=A)  # x, exact
    np.copyto(D0, A)
    np.multiply(A, A, out=Z)  # z
    np.multiply(D0, _LOG_P64[0], out=T)
    np.add(T, _LOG_P64[1], out=T)
    np.copyto(Y, T, casting=unsafe)
    for pk in _LOG_P64[2:]:
        np.copyto(T, Y)
        np.multiply(T, D0, out=T)
        np.add(T, pk, out=T)
        np.copyto(Y, T, casting=unsafe)
    np.multiply(Y, A, out=Y)  # y = y * x
    np.copyto(T, Y)
    np.copyto(D1, Z)
    np.multiply(T, D1, out=T)
    np.multiply(E, _Q1, out=W)
    np.copyto(D0, W)
    np.add(T, D0, out=T)
    np.copyto(Y, T, casting=unsafe)  # fma(y, z, e*Q1)
    np.multiply(Z, _f32(-0.5), out=Z)
    np.add(Y, Z, out=Y)  # fma(-z, 0.5, y): exact product
    np.add(A, Y, out=A)  # r = x + y
    np.multiply(E, _Q2, out=E)
    np.add(A, E, out=A)  # fma(e, Q2, r): exact product
    np.multiply(A, _f32(-2.0), out=A)
    np.sqrt(A, out=A)
    return A


def _bm_sincos(w):
    """cos and sin of theta = 2pi_f * k * 2**-24 (sincos256_ps), k the low 24 bits of the raw words in w['J'], into
    w['C'] and w['S']; theta >= +0, so the input's sign bit is 0."""
    J, K, X, Z, C, S, W, D0, D1, T = (w[c] for c in ("J", "K", "X", "Z", "C", "S", "W", "D0", "D1", "T"))
    i32 = np.int32
    unsafe = "unsafe"
    np.bitwise_and(J, i32(0xFFFFFF), out=J)
    np.copyto(X, J, casting=unsafe)
    np.multiply(X, _TWO_PI_F_M24, out=X)  # theta (scaling by 2**-24 is exact)
    np.multiply(X, _FOPI, out=W)
    np.copyto(J, W, casting=unsafe)  # cvttps: truncation
    np.add(J, i32(1), out=J)
    np.right_shift(J, i32(1), out=J)  # jj = ((j + 1) & ~1) / 2, in 0..4
    # x + y*DP1 + y*DP2 (two float32 steps) is exact (Sterbenz, then a multiple of 2**-24 below 1), and so is the
    # float64 sum with y*DP3 (48 bits): one rounding to float32, the fma's
    np.copyto(T, J)
    np.multiply(T, _DP_SUM2, out=T)
    np.copyto(D0, X)
    np.add(T, D0, out=T)
    np.copyto(X, T, casting=unsafe)
    np.multiply(X, X, out=Z)  # z
    np.copyto(D1, Z)
    np.copyto(D0, X)
    # sine polynomial
    np.multiply(D1, float(_S0), out=T)
    np.add(T, float(_S1), out=T)
    np.copyto(S, T, casting=unsafe)
    np.copyto(T, S)
    np.multiply(T, D1, out=T)
    np.add(T, float(_S2), out=T)
    np.copyto(S, T, casting=unsafe)
    np.multiply(S, Z, out=S)
    np.copyto(T, S)
    np.multiply(T, D0, out=T)
    np.add(T, D0, out=T)
    np.copyto(S, T, casting=unsafe)  # fma(x, s, x)
    # cosine polynomial
    np.multiply(D1, float(_C0), out=T)
    np.add(T, float(_C1), out=T)
    np.copyto(C, T, casting=unsafe)
    np.copyto(T, C)
    np.multiply(T, D1, out=T)
    np.add(T, float(_C2), out=T)
    np.copyto(C, T, casting=unsafe)
    np.multiply(C, Z, out=C)
    np.copyto(T, C)
    np.multiply(T, D1, out=T)
    np.multiply(D1, -0.5, out=D0)  # -(z*0.5), exact
    np.add(T, D0, out=T)
    np.copyto(C, T, casting=unsafe)  # fma(z, c, -(z*0.5))
    np.add(C, _f32(1.0), out=C)
    # octant: odd jj swaps the two polynomials (poly_mask = (j & 2) == 0); sin < 0 for jj in {2, 3} (j & 4), cos < 0
    # for jj in {1, 2} (~(j - 2) & 4). torch's "+ 0" on the selected values changes nothing: neither is ever -0
    Ci, Si, Wi = C.view(i32), S.view(i32), W.view(i32)
    np.bitwise_and(J, i32(1), out=K)
    np.negative(K, out=K)
    np.bitwise_xor(Ci, Si, out=Wi)
    np.bitwise_and(Wi, K, out=Wi)
    np.bitwise_xor(Ci, Wi, out=Ci)
    np.bitwise_xor(Si, Wi, out=Si)
    np.bitwise_and(J, i32(2), out=K)
    np.left_shift(K, i32(30), out=K)
    np.bitwise_xor(Si, K, out=Si)
    np.add(J, i32(1), out=J)
    np.bitwise_and(J, i32(2), out=J)
    np.left_shift(J, i32(30), out=J)
    np.bitwise_xor(Ci, J, out=Ci)
    return C, S


def _affine32_into(x, std, mean, out, T):
    """out[...] = fma(x, std, mean) in float32 (x float32, std/mean float32 scalars)."""
    if std == 1.0 or mean == 0.0:
        # one of the two roundings is exact: fma == mul then add
        if std != 1.0:
            np.multiply(x, std, out=x)
        np.add(x, mean, out=out)
        return
    np.copyto(T, x)
    np.multiply(T, float(std), out=T)
    np.add(T, float(mean), out=T)
    bits = T.view(np.uint64)
    sus = ((bits & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)) | (np.abs(T) < 2.0 ** -125)
    if sus.any():  # possible double rounding: redo those exactly
        T[sus] = _fma32(x[sus], std, mean).astype(np.float64)
    with np.errstate(over="ignore"):
        np.copyto(out, T, casting="unsafe")


def _affine32_array(x: np.ndarray, b: np.float32, c: np.float32) -> np.ndarray:
    """float32 fma(x, b, c) for a float32 array x and float32 scalars, chunked in place."""
    x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
    out = np.empty_like(x)
    step = 1 << 15
    T = np.empty(min(x.size, step), dtype=np.float64)
    for i in range(0, x.size, step):
        k = min(step, x.size - i)
        _affine32_into(x[i:i + k], b, c, out[i:i + k], T[:k])
    return out


def _box_muller16_f32(draw, nb: int, mean: np.float32, std: np.float32, out=None) -> np.ndarray:
    """NormalFill16<float> (AVX2 kernel) on nb consecutive blocks of 16 raw 32-bit draws.

    ``draw(k)`` returns the next k raw ``random()`` words as uint32 (uniform d = (r & 0xFFFFFF) * 2**-24); it is
    called once per chunk of blocks, so the words are used while they are in cache and no array of all the draws
    is made. Returns (or writes into ``out``) ``nb * 16`` float32 normals."""
    if out is None:
        out = np.empty(nb * 16, dtype=np.float32)
    if nb == 0:
        return out
    step = max(1, _BM_PAIRS // 8)
    work = _BMWork(min(nb, step) * 8)
    # each block's two halves of 8 words as one 32-byte item: the halves are moved in and the results out by
    # 1-D copies of those items, and the arithmetic runs on contiguous arrays (elementwise ops on the (blocks, 8)
    # strided views ran NumPy's inner loop once per 8 elements: a third of the kernel's time)
    ov = out.view(_V32).reshape(nb, 2)
    for b0 in range(0, nb, step):
        b1 = min(nb, b0 + step)
        rv = draw((b1 - b0) * 16).view(_V32).reshape(b1 - b0, 2)
        w = work.take((b1 - b0) * 8)
        np.copyto(w["K"].view(_V32), rv[:, 0])
        np.copyto(w["J"].view(_V32), rv[:, 1])
        radius = _bm_radius(w)
        cs, sn = _bm_sincos(w)
        np.multiply(cs, radius, out=cs)  # n1
        np.multiply(sn, radius, out=sn)  # n2
        _affine32_into(cs, std, mean, cs, w["T"])
        _affine32_into(sn, std, mean, sn, w["T"])
        np.copyto(ov[b0:b1, 0], cs.view(_V32))
        np.copyto(ov[b0:b1, 1], sn.view(_V32))
    return out


def _box_muller16_f64(d: np.ndarray, mean: float, std: float) -> np.ndarray:
    """NormalFill16<double> (generic template, std::log/cos/sin, std::fma)."""
    nb = d.size // 16
    blk = d[: nb * 16].reshape(nb, 2, 8)
    u1 = 1.0 - blk[:, 0, :]
    u2 = blk[:, 1, :]
    radius = np.sqrt(-2.0 * _log64(u1))
    theta = _TWO_PI_D * u2
    out = np.empty((nb, 2, 8), dtype=np.float64)
    out[:, 0, :] = _affine64(radius * _cos64(theta), std, mean)
    out[:, 1, :] = _affine64(radius * _sin64(theta), std, mean)
    return out.reshape(-1)


# ----------------------------------------------------------------------------
# strided targets
# ----------------------------------------------------------------------------

def is_contiguous(shape, strides) -> bool:
    """torch's ``Tensor.is_contiguous()`` (default memory format); strides in elements."""
    shape = _shape(shape)
    strides = _shape(strides)
    if _numel(shape) == 0:
        return True
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def _non_overlapping_and_dense(shape, strides) -> bool:
    nd = len(shape)
    if nd == 1:
        return shape[0] < 2 or strides[0] == 1
    perm = sorted(range(nd), key=lambda i: (shape[i] < 2, strides[i] if shape[i] >= 2 else 0))
    need = 1
    for i in perm:
        if shape[i] < 2:
            return True
        if strides[i] != need:
            return False
        need *= shape[i]
    return True


def iteration_order(shape, strides) -> list:
    """Dimensions from outermost to innermost in the order torch's serial kernels visit a tensor (strides in
    elements). Dense tensors (TensorIterator's fast set-up) are visited in memory order; others by
    TensorIterator's ``reorder_dimensions`` insertion sort (smallest stride innermost; 0 strides keep
    their place)."""
    shape = _shape(shape)
    strides = _shape(strides)
    nd = len(shape)
    if nd <= 1:
        return list(range(nd))
    if _non_overlapping_and_dense(shape, strides):
        big = sorted((i for i in range(nd) if shape[i] > 1), key=lambda i: -strides[i])
        ones = [i for i in range(nd) if shape[i] <= 1]
        return ones + big
    perm = list(range(nd - 1, -1, -1))  # perm[0] is the innermost dimension

    def should_swap(d0, d1):
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 < s1:
            return -1
        if s0 > s1:
            return 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, nd):
        dim1 = i
        for dim0 in range(i - 1, -1, -1):
            cmp = should_swap(perm[dim0], perm[dim1])
            if cmp > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif cmp < 0:
                break
    return perm[::-1]


def fill_order(shape, strides) -> np.ndarray:
    """Logical (C-order) flat indices in the order torch's serial kernels fill a
    tensor of ``shape``/``strides`` (strides in elements).

    ``values[k]`` (the k-th value drawn) belongs at ``out.flat[order[k]]``.
    """
    shape = _shape(shape)
    n = _numel(shape)
    if len(shape) <= 1 or n == 0:
        return np.arange(n, dtype=np.int64)
    idx = np.arange(n, dtype=np.int64).reshape(shape)
    return np.ascontiguousarray(idx.transpose(iteration_order(shape, strides))).reshape(-1)


_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers to a "
                "single memory location. Please clone() the tensor before performing the operation.")


# ----------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------

def init_genrand(seed32: int) -> np.ndarray:
    """MT19937 ``init_genrand``: the 624-word key for a 32-bit seed."""
    key = [0] * _N
    key[0] = s = seed32 & 0xFFFFFFFF
    for j in range(1, _N):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        key[j] = s
    return np.array(key, dtype=np.uint32)


class CPUGeneratorEngine:
    """State and samplers of ``at::CPUGeneratorImpl`` (torch 2.13, x86-64)."""

    def __init__(self, seed: int = DEFAULT_GENERATOR_SEED):
        self._bg = np.random.MT19937(0)
        self._gen = np.random.Generator(self._bg)
        self.manual_seed(seed)

    # ------------------------------------------------------------ seeding/state
    def manual_seed(self, seed: int) -> None:
        if isinstance(seed, (bool, np.bool_)):
            raise RuntimeError("manual_seed expected a long, but got bool")
        if not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if seed < -(1 << 63) or seed > _U64_MASK:
            raise SeedOverflowError("Overflow when unpacking long long")
        seed &= _U64_MASK
        self._initial_seed = seed
        self._set_engine(init_genrand(seed & 0xFFFFFFFF), left=1, next_=0)
        self._normal_cache = None  # next_double_normal_sample_
        self._float_cache = None  # next_float_normal_sample_ (never used on CPU)

    def initial_seed(self) -> int:
        return self._initial_seed

    def seed(self) -> int:
        """Re-seed from a non-deterministic source (like ``torch.Generator.seed()``)."""
        import secrets  # imported here: it costs ~4 ms at start-up

        s = secrets.randbits(64)
        self.manual_seed(s)
        return s

    def _set_engine(self, key: np.ndarray, left: int, next_: int) -> None:
        self._clear_ahead()
        self._left = int(left)
        self._next = int(next_)
        pos = _N if self._left == 1 else self._next
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    def get_state(self) -> np.ndarray:
        buf = bytearray(STATE_SIZE)
        struct.pack_into("<QiiQ", buf, 0, self._initial_seed, self._left, 1, self._next)
        key = np.asarray(self._bg.state["state"]["key"], dtype=np.uint32)
        buf[24:24 + 8 * _N] = key.astype("<u8").tobytes()
        if self._normal_cache is not None:
            struct.pack_into("<d", buf, 5024, self._normal_cache)
            struct.pack_into("<i", buf, 5040, 1)
        if self._float_cache is not None:
            struct.pack_into("<f", buf, 5048, self._float_cache)
            buf[5052] = 1
        return np.frombuffer(bytes(buf), dtype=np.uint8).copy()

    def set_state(self, state) -> None:
        if isinstance(state, (bytes, bytearray, memoryview)):
            state = np.frombuffer(bytes(state), dtype=np.uint8)
        state = np.asarray(state)
        if state.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if state.size != STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input RNG "
                f"state size to be {state.size}")
        buf = np.ascontiguousarray(state).reshape(-1).tobytes()
        seed, left, seeded, next64 = struct.unpack_from("<QiiQ", buf, 0)
        next_ = next64 & 0xFFFFFFFF  # static_cast<uint32_t>
        if not (seeded != 0 and 0 < left <= _N and next_ <= _N):
            raise RuntimeError("Invalid mt19937 state")
        key = np.frombuffer(buf, dtype="<u8", count=_N, offset=24).astype(np.uint32)  # truncation
        normal_y, = struct.unpack_from("<d", buf, 5024)
        normal_valid, = struct.unpack_from("<i", buf, 5040)
        float_sample, = struct.unpack_from("<f", buf, 5048)
        float_valid = buf[5052] != 0
        if left != 1 and left + next_ > _N + 1:
            # torch would read past the state array (undefined); clamp to a twist.
            left = _N + 1 - next_
        self._initial_seed = seed
        self._set_engine(key, left, next_)
        self._normal_cache = float(normal_y) if normal_valid else None
        self._float_cache = float(float_sample) if float_valid else None

    # ------------------------------------------------------------ raw draws
    # Draws of up to _RAW_SMALL words take them from _ahead: the rest of the current block of 624 words, fetched from
    # the bit generator in one call when a draw first needs it (MT19937.random_raw's per-call cost is the most of a
    # few-word draw), of which _ahead[_ahead_at:] are the next words of torch's stream; the bit generator continues
    # after them. They never reach past the block's end, so the bit generator's key is the state of the stream's
    # position, the one get_state reads. Empty in an irregular state (set_state), whose draws go through _raw32.
    def _clear_ahead(self) -> None:
        self._ahead = _NO_WORDS
        self._ahead_at = 0

    def _raw32(self, n: int) -> np.ndarray:
        n = int(n)
        if n <= 0:
            return np.empty(0, dtype=np.uint32)
        if self._left != 1 and self._left + self._next != _N + 1:
            # irregular state from set_state: left-1 words from state[next:], then twist
            k = min(n, self._left - 1)
            head = self._words(k).astype(np.uint32)
            self._left -= k
            self._next += k
            if self._left == 1:
                key = self._bg.state["state"]["key"]
                self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N}}
            if k == n:
                return head
            return np.concatenate([head, self._raw32(n - k)])
        if n <= _RAW_SMALL:
            return self._raw_small(n).astype(np.uint32)
        ahead = self._ahead.size - self._ahead_at
        if ahead:
            if n > _REWIND:  # resetting the bit generator's position (~60 us) costs less than copying the draw
                self._rewind()
            else:
                return np.concatenate((self._raw_small(ahead).astype(np.uint32), self._raw32(n - ahead)))
        out = self._words(n)
        self._advance(n)
        return out

    def _raw_small(self, n: int) -> np.ndarray:
        """_raw32(n) as uint64 words (a view of _ahead: not to be written) for 0 < n <= _RAW_SMALL in a regular
        state."""
        at = self._ahead_at
        end = at + n
        if end <= self._ahead.size:  # before the block's end: left + next stays N + 1
            self._ahead_at = end
            self._next += n
            self._left -= n
            return self._ahead[at:end]
        head = self._ahead[at:]
        need = n - head.size
        pos = (_N if self._left == 1 else self._next) + head.size  # the bit generator's
        if pos == _N:
            pos = 0  # its next output twists
        if need <= _N - pos:  # the draw ends in this block: fetch the block's rest
            words = self._bg.random_raw(_N - pos)
            self._ahead = words
            self._ahead_at = need
            words = words[:need]
        else:
            words = self._bg.random_raw(need)
            self._clear_ahead()
        self._advance(n)
        return np.concatenate((head, words)) if head.size else words

    def _rewind(self) -> None:
        """Moves the bit generator back to the stream's position, before the words fetched ahead, which are
        dropped. They lie before the block's end, so the stream's position is _next."""
        key = self._bg.state["state"]["key"]
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": self._next}}
        self._clear_ahead()

    def _raw_list(self, n: int) -> list:
        """_raw32(n) as a list of Python ints, for a few draws (n <= _RAW_SMALL) used one by one."""
        if self._left == 1 or self._left + self._next == _N + 1:
            return self._raw_small(n).tolist()
        return self._raw32(n).tolist()

    def _words(self, n: int) -> np.ndarray:
        """n raw outputs of the bit generator (no counter update): uint64 words holding 32-bit values when n is
        small (MT19937.random_raw costs a third of Generator.integers' per call), uint32 otherwise (integers'
        full-range uint32 draws are these same outputs, written without the 8-byte intermediate)."""
        if n <= _RAW_SMALL:
            return self._bg.random_raw(n)
        return self._gen.integers(0, 1 << 32, size=n, dtype=np.uint32)

    def _advance(self, n: int) -> None:
        """torch's left/next counters after n regular draws."""
        p = _N if self._left == 1 else self._next
        avail = _N - p
        if n <= avail:
            p += n
        else:
            p = (n - avail - 1) % _N + 1
        self._next = p
        self._left = _N + 1 - p

    def _raw64(self, n: int) -> np.ndarray:
        n = 2 * int(n)
        if 0 < n <= _RAW_SMALL and (self._left == 1 or self._left + self._next == _N + 1):
            u = self._raw_small(n)  # already uint64: no cast
        else:
            u = self._raw32(n).astype(np.uint64)
        u = u.reshape(-1, 2)
        return (u[:, 0] << np.uint64(32)) | u[:, 1]

    def random_u32(self, n: int) -> np.ndarray:
        """``n`` outputs of ``generator->random()``."""
        return self._raw32(n)

    def random_u64(self, n: int) -> np.ndarray:
        """``n`` outputs of ``generator->random64()`` = ``(a << 32) | b``."""
        return self._raw64(n)

    def _u24(self, n: int) -> np.ndarray:
        """``uniform_real_distribution<float>(0, 1)``: float32 in [0, 1), 24 bits."""
        if 0 < n <= _RAW_SMALL and (self._left == 1 or self._left + self._next == _N + 1):
            x = (self._raw_small(n) & _MASK24_W).astype(np.float32)  # a view of the words ahead: not masked in place
        else:
            r = self._raw32(n)
            r &= _MASK24
            x = r.astype(np.float32)
        x *= _TWO_M24
        return x

    def _u53(self, n: int) -> np.ndarray:
        """``uniform_real_distribution<double>(0, 1)``: float64 in [0, 1), 53 bits."""
        r = self._raw64(n)
        r &= _MASK53
        x = r.astype(np.float64)
        x *= _TWO_M53
        return x

    # ------------------------------------------------------------ uniform
    def uniform(self, shape, dtype, low=0.0, high=1.0) -> np.ndarray:
        """``torch.rand`` / ``Tensor.uniform_(low, high)`` on a fresh contiguous tensor."""
        shape = _shape(shape)
        dt = _dt(dtype)
        self._check_uniform(dt, low, high)
        return self._uniform_flat(_numel(shape), dt, float(low), float(high)).reshape(shape)

    @staticmethod
    def _check_uniform(dt, low, high):
        if not _is_float(dt):
            raise _not_impl("check_uniform_bounds", dt)
        lo, hi = _float_limits(dt)
        low = float(low)
        high = float(high)
        meta = _META_NAME[dt.name]
        if not (lo <= low <= hi):
            raise RuntimeError(f"from is out of bounds for {meta}")
        if not (lo <= high <= hi):
            raise RuntimeError(f"to is out of bounds for {meta}")
        if not (low <= high):
            raise RuntimeError(
                f"uniform_ expects to return a [from, to) range, but found from={_cfmt(low)} > to={_cfmt(high)}")
        if not (high - low <= hi):
            raise RuntimeError(
                f"uniform_ expects to-from <= std::numeric_limits<{_tname(dt)}>::max(), but found "
                f"to={_cfmt(high)} and from={_cfmt(low)} which result in to-from to exceed the limit")

    def _uniform_flat(self, n: int, dt: np.dtype, low: float, high: float) -> np.ndarray:
        if n == 0:
            return np.empty(0, dtype=dt)
        unit = low == 0.0 and high == 1.0  # [0, 1): every value is below `to`, none is replaced
        if dt == _F64:
            x = self._u53(n)
            if unit:
                return x
            rng = high - low
            if not (low == 0.0 and rng == 1.0):
                x = _fma64(x, rng, low)
            if high == high:
                x[x == high] = low
            return x
        x = self._u24(n)
        if unit and dt == _F32:
            return x
        f = _f32(low)
        t = _f32(high)
        with np.errstate(over="ignore"):
            rng = _f32(t - f)
        if not (f == 0.0 and rng == 1.0):
            x = _affine32_array(x, rng, f)
        if dt == _F32:
            x[x == t] = f
            return x
        v = _to_reduced(x, dt)
        to_s = _from_double(np.float64(high), dt)
        from_s = _from_double(np.float64(low), dt)
        v[v == to_s] = from_s
        return v

    # ------------------------------------------------------------ normal
    @staticmethod
    def _check_normal(dt, std):
        if not (float(std) >= 0.0):
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_cfmt(std)}")
        if not _is_float(dt):
            raise _not_impl("normal_kernel_cpu", dt)

    def normal(self, shape, dtype, mean=0.0, std=1.0, contiguous=True) -> np.ndarray:
        """``torch.randn`` / ``Tensor.normal_(mean, std)``.

        ``contiguous=True``: a fresh contiguous tensor (16-wide vector path when
        numel >= 16).  ``contiguous=False``: torch's scalar path as used for
        non-contiguous targets; values are returned in draw order (= memory
        order of the target, see :func:`fill_order`), reshaped to ``shape``.
        """
        shape = _shape(shape)
        dt = _dt(dtype)
        self._check_normal(dt, std)
        n = _numel(shape)
        return self._normal_flat(n, dt, float(mean), float(std), contiguous).reshape(shape)

    def _normal_flat(self, n, dt, mean, std, contiguous=True) -> np.ndarray:
        if n == 0:
            return np.empty(0, dtype=dt)
        if n >= 16 and contiguous:
            return self._normal_vector(n, dt, mean, std)
        if n <= _NORMAL_SMALL and (std == 1.0 or mean == 0.0) and (dt is _F32 or dt is _F64):
            return np.array(self._normal_small(n, mean, std), dt)  # float32: static_cast<float>(double)
        return _from_double(self._normal_scalar(n, mean, std), dt)

    def _normal_vector(self, n, dt, mean, std) -> np.ndarray:
        nb = n // 16
        tail = n % 16
        if dt == _F64:
            d = self._u53(n)
            out = np.empty(n, dtype=np.float64)
            out[: nb * 16] = _box_muller16_f64(d[: nb * 16], mean, std)
            if tail:
                out[n - 16:] = _box_muller16_f64(self._u53(16), mean, std)
            return out
        m32 = _f32(mean)
        s32 = _f32(std)
        raw = self._raw32
        if dt == _F32:
            out = np.empty(n, dtype=np.float32)
            _box_muller16_f32(raw, nb, m32, s32, out=out[: nb * 16])
            if tail:  # all n uniforms are drawn first (the last n % 16 are wasted), then 16 fresh ones for the last
                raw(tail)  # (overlapping) block
                out[n - 16:] = _box_muller16_f32(raw, 1, m32, s32)
            return out
        # float16 / bfloat16: 16 uniforms per block, no up-front fill
        out = np.empty(n, dtype=dt)
        out[: nb * 16] = _to_reduced(_box_muller16_f32(raw, nb, m32, s32), dt)
        if tail:
            out[n - 16:] = _to_reduced(_box_muller16_f32(raw, 1, m32, s32), dt)
        return out

    def _normal_small(self, n, mean, std) -> list:
        """_normal_scalar for 0 < n <= _NORMAL_SMALL with std == 1.0 or mean == 0.0 (x * std + mean is then one
        rounding, torch's fma), as a list of Python floats: the same double arithmetic without NumPy's per-call
        cost. u = (hi & (2**21 - 1)) * 2**-21 + lo * 2**-53 is the 53-bit uniform exactly; math.cos/sin/log1p are
        libm's, as torch's std:: calls (NumPy's sin/cos equal them where _sin64 uses NumPy)."""
        seq = []
        if self._normal_cache is not None:
            seq.append(self._normal_cache)
            self._normal_cache = None
        it = iter(self._raw_list(4 * ((n - len(seq) + 1) // 2)))
        log1p, sqrt, cos, sin, add = math.log1p, math.sqrt, math.cos, math.sin, seq.append
        for a, b, c, d in zip(it, it, it, it):
            r = sqrt(-2.0 * log1p(-((c & 0x1FFFFF) * _TWO_M21 + d * _TWO_M53)))
            theta = _TWO_PI_D * ((a & 0x1FFFFF) * _TWO_M21 + b * _TWO_M53)
            add(r * cos(theta))
            add(r * sin(theta))
        if len(seq) > n:
            self._normal_cache = seq.pop()
        if std == 1.0 and mean == 0.0 and 0.0 not in seq:
            return seq  # x * 1.0 + 0.0 is x, except -0.0 (+0.0)
        return [x * std + mean for x in seq]

    def _normal_scalar(self, n, mean, std) -> np.ndarray:
        """``normal_distribution<double>`` n times (float64 results, before the cast)."""
        if 0 < n <= _NORMAL_SMALL and (std == 1.0 or mean == 0.0):
            return np.array(self._normal_small(n, mean, std), _F64)
        out = np.empty(n, dtype=np.float64)
        i = 0
        if self._normal_cache is not None and n > 0:
            out[0] = _affine64(np.array([self._normal_cache]), std, mean)[0]
            self._normal_cache = None
            i = 1
        m = n - i
        if m > 0:
            g = (m + 1) // 2
            u = self._u53(2 * g).reshape(g, 2)
            u1 = u[:, 0]
            u2 = u[:, 1]
            r = np.sqrt(-2.0 * _log1p64(-u2))
            theta = _TWO_PI_D * u1
            pair = np.empty((g, 2), dtype=np.float64)
            pair[:, 0] = r * _cos64(theta)
            pair[:, 1] = r * _sin64(theta)
            seq = pair.reshape(-1)
            out[i:] = _affine64(seq[:m], std, mean)
            if m % 2:
                self._normal_cache = float(pair[-1, 1])
        return out

    def normal_tensor(self, mean, std, dtype=None) -> np.ndarray:
        """``torch.normal(mean, std)`` with tensor mean and/or std (ndarrays).

        * ``normal(Tensor mean, float std)``: out = empty_like(mean); out.normal_(0, std); out += mean
        * ``normal(float mean, Tensor std)``: out = empty_like(std); out.normal_(0, 1);
          out *= std; out += full((), mean)
        * ``normal(Tensor mean, Tensor std)``: out = empty(broadcast, mean.dtype); out.normal_(0, 1);
          out *= std; out += mean
        ``dtype`` overrides the output dtype (``out=`` tensor dtype).
        """
        mt = isinstance(mean, np.ndarray)
        st = isinstance(std, np.ndarray)
        if not mt and not st:
            raise TypeError("normal_tensor needs an ndarray mean and/or std; use normal() for floats")
        if st:
            if std.size and not (std.min() >= 0):
                raise RuntimeError("normal expects all elements of std >= 0.0")
        else:
            if not (float(std) >= 0.0):
                raise RuntimeError(f"normal expects std >= 0.0, but found std {_cfmt(std)}")
        if mt and not st:
            dt = _dt(dtype) if dtype is not None else mean.dtype
            out = self._normal_flat(mean.size, dt, 0.0, float(std)).reshape(mean.shape)
            return _inplace(out, mean, np.add)
        if st and not mt:
            dt = _dt(dtype) if dtype is not None else std.dtype
            out = self._normal_flat(std.size, dt, 0.0, 1.0).reshape(std.shape)
            out = _inplace(out, std, np.multiply)
            mean_t = _from_double(np.float64(mean), dt).reshape(())
            return _inplace(out, mean_t, np.add)
        shape = _broadcast_shape(mean.shape, std.shape)
        dt = _dt(dtype) if dtype is not None else mean.dtype
        out = self._normal_flat(_numel(shape), dt, 0.0, 1.0).reshape(shape)
        out = _inplace(out, std, np.multiply)
        return _inplace(out, mean, np.add)

    # ------------------------------------------------------------ integers
    def random_int(self, shape, dtype, low, high=None) -> np.ndarray:
        """``torch.randint(low, high, shape, dtype=...)`` / ``Tensor.random_(low, high)``.

        ``high=None`` is ``random_(from=low, to=None)``: [low, max] of the dtype
        (for floats [low, 2**digits]); ``low=-2**63, high=None`` is the full 64-bit range.
        """
        shape = _shape(shape)
        dt = _dt(dtype)
        n = _numel(shape)
        rng, base, full = self._check_random(dt, int(low), None if high is None else int(high))
        if n == 0:
            return np.empty(shape, dtype=dt)
        if full:
            v = self._raw64(n).view(np.int64)
        elif rng >= (1 << 28):
            v = ((self._raw64(n) % np.uint64(rng)) + np.uint64(base & _U64_MASK)).view(np.int64)
        else:
            r = self._raw32(n).astype(np.uint64)
            v = ((r % np.uint64(rng)) + np.uint64(base & _U64_MASK)).view(np.int64)
        return _from_int64(v, dt).reshape(shape)

    @staticmethod
    def _check_random(dt, low, high):
        """random_from_to_impl's checks; returns (range, base, full_range)."""
        if not (_is_float(dt) or dt.kind in "iub"):
            raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
        if high is not None:
            if not low < high:
                raise RuntimeError(
                    f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
            if _is_float(dt):
                low = _update_from(low, dt)
                high = _update_to(high, dt)
                if not low < high:
                    raise RuntimeError(
                        "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, "
                        f"but got from={low} >= to={high}")
            _check_from_to_in_range(low, high - 1, dt)
            return (high - low) & _U64_MASK, low, False
        if low != -(1 << 63):
            if _is_float(dt):
                to_inc = min(1 << _DIGITS[dt.name], (1 << 63) - 1)
                low = _update_from(low, dt)
                if not low < to_inc:
                    raise RuntimeError(
                        "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                        f"casted to dtype, but got from={low} > to_inc={to_inc}")
            elif dt == _BOOL:
                to_inc = 1
            elif dt.name == "uint64":
                to_inc = -1  # static_cast<int64_t>(UINT64_MAX): always out of bounds, as in torch
            else:
                to_inc = int(np.iinfo(dt).max)
            _check_from_to_in_range(low, to_inc, dt)
            return (to_inc - low + 1) & _U64_MASK, low, False
        if not (dt in (_I64, _F64, _F32) or _is_bf16(dt)):
            if dt.kind in "iub" or _is_float(dt):
                raise RuntimeError(
                    "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16")
        return 0, 0, True

    def random_default(self, shape, dtype) -> np.ndarray:
        """``Tensor.random_()`` with no arguments."""
        shape = _shape(shape)
        dt = _dt(dtype)
        n = _numel(shape)
        if not (_is_float(dt) or dt.name in ("int8", "int16", "int32", "int64", "uint8", "bool")):
            raise _not_impl("random_kernel_cpu", dt)
        if n == 0:
            return np.empty(shape, dtype=dt)
        if dt == _I64:
            v = self._raw64(n) % np.uint64(1 << 63)
            return v.astype(np.int64).reshape(shape)
        if dt == _F64:
            v = self._raw64(n) % np.uint64((1 << 53) + 1)
            return v.astype(np.float64).reshape(shape)
        r = self._raw32(n)
        if dt == _BOOL:
            return (r & np.uint32(1)).astype(np.bool_).reshape(shape)
        if _is_float(dt):
            v = r % np.uint32((1 << _DIGITS[dt.name]) + 1)
            if dt == _F32:
                return v.astype(np.float32).reshape(shape)
            return v.astype(np.float32).astype(dt).reshape(shape)
        v = r % np.uint32(int(np.iinfo(dt).max) + 1)
        return v.astype(dt).reshape(shape)

    def randperm(self, n, dtype=np.int64) -> np.ndarray:
        """``torch.randperm(n, dtype=...)``."""
        n = int(n)
        dt = _dt(dtype)
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
        _check_randperm(n, dt)
        if n < 0xFFFFFFFF // 20:
            if 1 < n <= _PERM_SMALL:
                res = self.randperm_small(n)
            elif n > 1:
                res = _fisher_yates(self._raw32(n - 1), n)
            else:
                res = np.arange(n, dtype=np.int64)
        else:  # inside-out Fisher-Yates with random64 (not exercised by the tests)
            r = self._raw64(n)
            z = (r % np.arange(1, n + 1, dtype=np.uint64)).astype(np.int64).tolist()
            a = [0] * n
            for i, zi in enumerate(z):
                a[i] = a[zi]
                a[zi] = i
            res = np.array(a, dtype=np.int64)
        return res if dt is _I64 else _from_int64(res, dt)

    def randperm_small(self, n: int) -> np.ndarray:
        """randperm(n) in int64 for 1 < n <= _PERM_SMALL: torch's loop itself (randperm_cpu: swap a[i] and
        a[i + random() % (n - i)]) on a Python list. For a few elements its n - 1 steps cost less than the ~25
        NumPy calls of the vectorised swap chains (_fisher_yates); n is bounded, so this never scales."""
        a = list(range(n))
        for i, v, k in zip(range(n - 1), self._raw_list(n - 1), range(n, 1, -1)):
            z = i + v % k
            a[i], a[z] = a[z], a[i]
        return np.array(a, dtype=_I64)

    # ------------------------------------------------------------ bernoulli / dropout
    def bernoulli_scalar(self, shape, p, dtype) -> np.ndarray:
        """``torch.empty(shape, dtype=dtype).bernoulli_(p)`` with a Python float ``p``."""
        shape = _shape(shape)
        dt = _dt(dtype)
        p = float(p)
        if not (0.0 <= p <= 1.0):
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_cfmt(p)}")
        if not (_is_float(dt) or dt.name in ("int8", "int16", "int32", "int64", "uint8", "bool")):
            raise _not_impl("bernoulli_scalar_cpu_", dt)
        n = _numel(shape)
        if n == 0:
            return np.empty(shape, dtype=dt)
        hit = self._u53(n) < p
        return hit.astype(dt).reshape(shape)

    def bernoulli_tensor(self, probs: np.ndarray, dtype=None, shape=None) -> np.ndarray:
        """``torch.bernoulli(probs)`` (``dtype=None``: probs.dtype) or
        ``torch.empty(shape, dtype).bernoulli_(probs)`` (probs broadcast to ``shape``).

        float64 probs: one random64 per element, ``U53 < p``; other float probs:
        one random() per element, ``float(U24) < float(p)``.  Raises like torch
        on p outside [0, 1] after consuming the draws of the elements before it.
        """
        probs = np.asarray(probs)
        dt = _dt(dtype) if dtype is not None else probs.dtype
        shape = probs.shape if shape is None else _shape(shape)
        if not (_is_float(dt) or dt.name in ("int8", "int16", "int32", "int64", "uint8", "bool")):
            raise _not_impl("bernoulli_tensor_cpu_self_", dt)
        n = _numel(shape)
        if n == 0:
            return np.empty(shape, dtype=dt)
        if not _is_float(probs.dtype):
            raise _not_impl("bernoulli_tensor_cpu_p_", probs.dtype)
        p = np.broadcast_to(probs, shape).reshape(-1)
        if probs.dtype == _F64:
            pv = p
        else:
            pv = p.astype(np.float32)
        bad = ~((pv >= 0) & (pv <= 1))
        if bad.any():
            first = int(np.argmax(bad))
            (self._raw64 if probs.dtype == _F64 else self._raw32)(first)
            raise RuntimeError(
                "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                "be improved?  If so, please report an enhancement request to PyTorch.)")
        if probs.dtype == _F64:
            hit = self._u53(n) < pv
        else:
            hit = self._u24(n) < pv
        return hit.astype(dt).reshape(shape)

    def dropout_mask(self, shape, p, dtype, train: bool = True) -> np.ndarray:
        """Values of ``F.dropout(torch.ones(shape, dtype), p, training=train)`` on CPU:
        ``bernoulli_(1-p)`` then ``div_(1-p)`` (float32: ``1.0f / float(1-p)``).
        p == 0, not training, or numel == 0: ones, no draws.  p == 1: zeros, no draws.
        (``F.dropout2d``: use the feature shape ``(N, C, 1, 1)`` and broadcast.)"""
        shape = _shape(shape)
        dt = _dt(dtype)
        p = float(p)
        if not (0.0 <= p <= 1.0):
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        n = _numel(shape)
        if p == 0.0 or not train or n == 0:
            return np.ones(shape, dtype=dt)
        if p == 1.0:
            return np.zeros(shape, dtype=dt)
        q = 1.0 - p
        noise = self.bernoulli_scalar(shape, q, dt)
        if dt == _F64:
            return noise / q
        if dt == _F32:
            return (noise / _f32(q)).astype(np.float32)
        if _is_reduced(dt):
            return (noise.astype(np.float32) / _f32(q)).astype(dt)
        raise _not_impl("div_cpu", dt)

    # ------------------------------------------------------------ strided targets
    def fill_strided(self, kind, shape, strides, dtype, *args, **kwargs) -> np.ndarray:
        """Values torch writes into a (possibly non-contiguous) target with the
        given ``shape`` and ``strides`` (elements), returned in logical C-order.

        ``kind``: "uniform" (low, high), "normal" (mean, std), "random_int"
        (low, high), "random_default", "bernoulli_scalar" (p).
        """
        shape = _shape(shape)
        strides = _shape(strides)
        dt = _dt(dtype)
        n = _numel(shape)
        if any(sz > 1 and st == 0 for sz, st in zip(shape, strides)):
            raise RuntimeError(_OVERLAP_MSG)
        if kind == "normal":
            mean = float(args[0]) if len(args) > 0 else float(kwargs.get("mean", 0.0))
            std = float(args[1]) if len(args) > 1 else float(kwargs.get("std", 1.0))
            self._check_normal(dt, std)
            vals = self._normal_flat(n, dt, mean, std, contiguous=is_contiguous(shape, strides))
        elif kind == "uniform":
            vals = self.uniform((n,), dt, *args, **kwargs)
        elif kind == "random_int":
            vals = self.random_int((n,), dt, *args, **kwargs)
        elif kind == "random_default":
            vals = self.random_default((n,), dt)
        elif kind == "bernoulli_scalar":
            vals = self.bernoulli_scalar((n,), *args, dtype=dt, **kwargs)
        else:
            raise ValueError(f"unknown fill kind {kind!r}")
        out = np.empty(n, dtype=vals.dtype)
        out[fill_order(shape, strides)] = vals
        return out.reshape(shape)


# ----------------------------------------------------------------------------
# helpers used by the samplers
# ----------------------------------------------------------------------------

def _broadcast_shape(a, b):
    a = tuple(a)
    b = tuple(b)
    nd = max(len(a), len(b))
    a = (1,) * (nd - len(a)) + a
    b = (1,) * (nd - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                f"dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _inplace(out: np.ndarray, other: np.ndarray, op) -> np.ndarray:
    """``out.op_(other)``: computed in torch's promoted type, cast back to out.dtype."""
    other = np.asarray(other)
    if other.dtype == out.dtype:
        return op(out, other).astype(out.dtype, copy=False)
    if other.ndim == 0 and (_is_float(out.dtype) or out.dtype.kind == other.dtype.kind):
        ct = out.dtype  # a 0-dim tensor of the same category does not promote
        return op(out, other.astype(ct)).astype(out.dtype, copy=False)
    if _is_reduced(out.dtype) and _is_reduced(other.dtype):
        ct = _F32
    else:
        ct = np.result_type(out.dtype, other.dtype)
    return op(out.astype(ct), other.astype(ct)).astype(out.dtype)


def _roundtrip_int64(v: int, dt: np.dtype) -> int:
    """``static_cast<int64_t>(static_cast<scalar_t>(v))`` on x86-64 (out of range -> INT64_MIN)."""
    v = ((v + (1 << 63)) % (1 << 64)) - (1 << 63)  # int64 wrap of the C++ expression
    with np.errstate(over="ignore", invalid="ignore"):
        f = float(_from_int64(np.array([v], dtype=np.int64), dt).astype(np.float64)[0])
    if not math.isfinite(f) or not (-(2.0 ** 63) <= f < 2.0 ** 63):
        return -(1 << 63)
    return int(f)


def _update_from(frm: int, dt: np.dtype) -> int:
    fp1 = _roundtrip_int64(frm + 1, dt)
    if fp1 < frm:
        v = abs(frm + 1)
        k = v.bit_length() - 1 if v else 0
        frm = fp1 + (1 << (k - _DIGITS[dt.name] + 1))
    return frm


def _update_to(to: int, dt: np.dtype) -> int:
    tm1 = _roundtrip_int64(to - 1, dt)
    if tm1 >= to:
        v = abs(to - 1)
        k = v.bit_length() - 1 if v else 0
        to = tm1 - (1 << (k - _DIGITS[dt.name] + 1))
    return to


def _check_from_to_in_range(frm: int, to_inc: int, dt: np.dtype) -> None:
    meta = _META_NAME.get(dt.name, dt.name)
    if _is_float(dt):
        lo, hi = _float_limits(dt)
        if not (lo <= float(frm) <= hi):
            raise RuntimeError(f"from is out of bounds for {meta}")
        if not (lo <= float(to_inc) <= hi):
            raise RuntimeError(f"to - 1 is out of bounds for {meta}")
        digits = _DIGITS[dt.name]
        for var, name in ((frm, "from"), (to_inc, "to - 1")):
            if var < -(1 << digits) or var > (1 << digits):
                warnings.warn(
                    f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
                    f"{meta} can support discrete uniform distribution only within this range. This "
                    "warning will become an error in version 1.7 release, please fix the code in advance",
                    UserWarning, stacklevel=4)
        return
    if dt.name == "uint64":
        lo, hi = 0, (1 << 63) - 1
    elif dt == _BOOL:
        lo, hi = 0, 1
    else:
        info = np.iinfo(dt)
        lo, hi = int(info.min), int(info.max)
    if not (lo <= frm <= hi):
        raise RuntimeError(f"from is out of bounds for {meta}")
    if not (lo <= to_inc <= hi):
        raise RuntimeError(f"to - 1 is out of bounds for {meta}")


def _check_randperm(n: int, dt: np.dtype) -> None:
    if dt is _I64 and n <= 1 << 63:
        return  # the default: nothing to check (np.iinfo below costs microseconds)
    if dt == _F16:
        if n > 2049:
            raise RuntimeError("n cannot be greater than 2049 for Half type.")
    elif dt == _F32:
        if n > (1 << 24) + 1:
            raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    elif dt == _F64:
        if n > (1 << 53) + 1:
            raise RuntimeError("n cannot be greater than 2^53+1 for Double type.")
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        if n > 0 and n - 1 > int(info.max):
            cname = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
                     "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t",
                     "uint64": "uint64_t"}[dt.name]
            raise RuntimeError(f"value cannot be converted to type {cname} without overflow")
    if not (_is_float(dt) or dt.name in ("int8", "int16", "int32", "int64", "uint8")):
        raise _not_impl("randperm", dt)


def _fisher_yates(r, n):
    """The permutation torch's randperm builds from the raw draws r (n - 1 uint32 words): for i = 0..n-2 it swaps
    a[i] with a[j_i], j_i = i + r[i] % (n - i) (randperm_cpu, aten/src/ATen/native/TensorFactories.cpp), replayed
    chunk by chunk (steps i0..i1-1) on the live cells, without a Python loop over the swaps. Position i never
    changes after step i: the final a[i] is what stood at j_i just before step i. For most steps of a chunk that is
    the value at j_i when the chunk starts, and j_i gets the value at i when the chunk starts: one gather and one
    scatter over the chunk. The others, special, are the steps whose target lies inside the chunk (j_i < i1) or
    is hit by another step of the chunk: about b / m of a chunk of b steps with m cells left (chunks are at most
    m / 8). Their cells are marked (sign bit) before the gather, which finds them; they are grouped by target with
    one small sort of (j << 32) | i. w(c), the value at cell c before step c, is the value at c when the chunk
    starts, or the w of P[c], the latest step of the chunk below c that targeted c (pointer jumping to the first
    cell of the chain); a special step gets the w of the previous step of its target, a cell past the chunk the w
    of its last step. The last _PERM_LAST cells (all of them for a smaller n) are the permutation of
    _fisher_yates_sorted of the last draws. The live cells sit in the top half of the result's bytes: the result
    is written from the bottom, 8 bytes a position, and has reached byte 8 * i1 when cell i1 sits at byte
    4 * (n + i1)."""
    if n <= _PERM_LAST:
        return _fisher_yates_sorted(r, n)
    out = np.empty(n, np.int64)
    cells = out.view(np.int32)[n:]
    ramp = np.arange(_PERM_CHUNK, dtype=np.int32)
    for lo in range(0, n, _PERM_CHUNK):  # cells = arange(n), without a temporary
        np.add(ramp[:n - lo], np.int32(lo), out=cells[lo:lo + _PERM_CHUNK])
    tgt = np.empty(_PERM_CHUNK, np.int32)
    tgt_idx = np.empty(_PERM_CHUNK, np.intp)  # NumPy's take and put convert other indices to intp first
    got = np.empty(_PERM_CHUNK, np.int32)  # the value at the target when the chunk starts, then the result
    w = np.empty(_PERM_CHUNK, np.int32)
    mask = np.empty(_PERM_CHUNK, np.bool_)
    parent = np.arange(_PERM_CHUNK, dtype=np.int32)
    i0 = 0
    while n - i0 > _PERM_LAST:
        left = n - i0
        b = min(_PERM_CHUNK, left // 8)
        i1 = i0 + b
        j = tgt[:b]
        d = j.view(np.uint32)
        np.subtract(np.uint32(left), ramp[:b].view(np.uint32), out=d)
        np.remainder(r[i0:i1], d, out=d)
        j += ramp[:b]
        j += np.int32(i0)
        j_idx = tgt_idx[:b]
        np.copyto(j_idx, j)
        j.sort()  # the steps' order stays in j_idx
        inside = int(j.searchsorted(np.int32(i1)))
        # the special steps' cells: targets inside the chunk, targets hit more than once
        marked = np.concatenate((j[:inside], j[1:][np.equal(j[1:], j[:-1], out=mask[:b - 1])]))
        val = got[:b]
        cells[marked] |= _SIGN32
        cells.take(j_idx, out=val, mode="clip")  # in range; mode "raise" would gather into a buffer first
        special = np.flatnonzero(np.less(val, 0, out=mask[:b]))
        val[special] &= _LOW31
        wc = w[:b]
        # unmarked here; the marked cells past the chunk are targets: the scatter below rewrites them
        np.bitwise_and(cells[i0:i1], _LOW31, out=wc)
        key = j_idx.take(special)
        key <<= 32
        key |= special
        key.sort()
        words = key.view(np.int32)
        kt = words[_HI32::2]  # targets, grouped, ascending
        ks = words[1 - _HI32::2]  # their steps (local), ascending in a group
        same = np.equal(kt[1:], kt[:-1])  # key t + 1 has the previous step of its target at t
        inside = int(kt.searchsorted(np.int32(i1)))
        if inside:
            c = kt[:inside] - np.int32(i0)
            s = ks[:inside]
            below = s < c
            latest = below.copy()  # per cell c, P[c]: the last key of its group with s < c
            latest[:-1] &= ~(same[:inside - 1] & below[1:])
            sel = np.flatnonzero(latest)
            if sel.size:
                c = c.take(sel)
                up = s.take(sel)
                parent[c] = up
                while True:  # pointer jumping: each round halves the chains
                    root = up
                    up = parent.take(root)
                    if np.array_equal(up, root):
                        break
                    parent[c] = up
                wc[c] = wc.take(root)
                parent[c] = c
        cells.put(j_idx, wc, mode="clip")  # ~6% faster than cells[j_idx] = wc
        sel = np.flatnonzero(same)
        if sel.size:
            prev = ks.take(sel)
            nxt = ks.take(sel + 1)
            val[nxt] = wc.take(prev)
            last = np.empty(sel.size, np.bool_)  # the last pair of each group
            last[-1] = True
            np.not_equal(sel[1:], sel[:-1] + 1, out=last[:-1])
            sel = sel[last]
            c = kt.take(sel)
            past = c >= i1  # a cell past the chunk hit more than once: the w of its last step
            cells[c[past]] = wc.take(nxt[last][past])
        out[i0:i1] = val
        i0 = i1
    out[i0:] = cells[i0:].take(_fisher_yates_sorted(r[i0:], n - i0))
    return out


def _fisher_yates_sorted(r, n):
    """The permutation torch's randperm builds from the raw draws r (n - 1 uint32 words) by swapping a[i] with
    a[j_i], j_i = i + r[i] % (n - i), for i = 0..n-2 (randperm_cpu), without a Python loop over the swaps.
    Position i never changes after step i, so the final a[i] is what stood at j_i just before step i: j_i itself
    if no earlier step swapped into that cell, else w(p) for p the latest earlier step with the same target, where
    w(c) (the value at c just before step c) is c, or w(P[c]) for P[c] the latest step before c that swapped into
    cell c. One sort of the keys (j_i << 32) | i groups the steps by target in step order (each step's p is its
    neighbour in the sorted keys, each cell's P the last of its group below the cell). w is resolved cell block by
    cell block, ascending: P[c] < c, so a P in an earlier block already holds its w (one read), and only the P
    inside c's own block need pointer jumping. _fisher_yates' form up to _PERM_LAST cells and for its last cells
    (fewer NumPy calls than its chunks there); on 4M elements it takes 0.19 s, _fisher_yates 0.08 s."""
    d = np.arange(n, 1, -1, dtype=np.uint32)
    np.remainder(r, d, out=d)  # j_i - i (< n < 2**30: the high word below never carries)
    # (i << 32) | i plus bit 62: read as float64 the keys are positive normal numbers in the same order, and
    # NumPy sorts float64 faster than int64
    key = np.arange(1 << 62, (1 << 62) + n * 0x100000001, 0x100000001, dtype=np.int64)
    words = key.view(np.int32)
    words[_HI32:2 * n - 2:2] += d.view(np.int32)  # high words i -> j_i; a last step n - 1 targeting itself (a
    # no-op) makes every position a step
    key.view(np.float64).sort()
    tgt = np.subtract(words[_HI32::2], np.int32(1 << 30))
    src = key
    src &= 0xFFFFFFFF
    same = tgt[1:] == tgt[:-1]  # key t + 1 has the previous step of its target at t
    below = src < tgt
    last = below.copy()  # per cell, the latest step below it: the last key of its group with src < tgt
    last[:-1] &= ~(same & below[1:])
    sel = np.flatnonzero(last)
    act = tgt.take(sel)  # the cells c that have a P[c], ascending
    pa = src.take(sel)
    par = np.arange(n, dtype=np.int32)  # half the bytes of int64: the random reads below stay in cache more
    par[act] = pa
    bounds = [0]  # cell blocks of an eighth of the cells left: about 1/16 of the P fall inside their own block
    while bounds[-1] < n:
        bounds.append(bounds[-1] + max(_PERM_BLOCK, (n - bounds[-1]) // 8))
    cut = np.searchsorted(act, np.array(bounds, dtype=act.dtype)).tolist()
    for lo, i0, i1 in zip(bounds, cut, cut[1:]):
        if i1 > i0:
            a = act[i0:i1]
            p = pa[i0:i1]
            v = par.take(p)  # w(P[c]) where P[c] < lo
            par[a] = v
            inb = np.flatnonzero(p >= lo)
            if inb.size:  # P[c] in this block: follow the chain up to its first step
                a = a.take(inb)
                p = v.take(inb)
                while a.size:
                    v = par.take(p)
                    par[a] = v
                    moved = np.flatnonzero(v != p)
                    a = a.take(moved)
                    p = v.take(moved)
    sel = np.flatnonzero(same)
    tgt[1:].put(sel, par.take(src.take(sel)))  # w(p) where a previous step p exists, else j_i
    res = np.empty(n, np.int32)  # int32 scattered, then widened: less memory traffic than an int64 scatter
    res[src] = tgt
    return res.astype(np.int64)
