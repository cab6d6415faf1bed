"""Pointwise special functions and the pointwise ops torch adds around them: erf/erfc/erfinv, lgamma/digamma/
polygamma/mvlgamma, i0, sinc, logit, xlogy, atan2, hypot, copysign, nextafter, logaddexp(2), gcd/lcm, heaviside,
isclose/allclose, deg2rad/rad2deg, positive, signbit, isreal, the bit shifts, and the `ember.special` namespace
(torch.special: erfcx, i0e/i1/i1e, ndtr/ndtri/log_ndtr, entr, xlog1py, zeta, and aliases of ops declared elsewhere).

The numerics live in ember/ops/_special_math.py (float64 array kernels, NumPy-vectorised ports of the algorithms
torch uses, see its docstring); this module holds the ops: dtype rules (integers are promoted to the default
float dtype where torch promotes them), torch's errors, and each op's backward in tensor ops right below it,
so double backward works."""
import math

import numpy as np
from .._dtype import check_kernel_of as _uint_check

from .. import _dtype
from .._backend import as_array, is_array, xp as _xp
from .._tensor import Tensor
from ._registry import (Node, SavedTensor, _torch_type_name as _torch_name, _write_out, binary_dtype,
                        broadcast_error, ensure_tensor, fp_ignore, inplace, record, same_device, state, wrap)
from ._table import declare
from . import elementwise as ew
from .elementwise import _unary, exp, log, where, sin, cos

_F64 = np.dtype(np.float64)
_2_SQRTPI = 1.1283791670955126  # 2 / sqrt(pi)
_SQRT_2PI = 2.5066282746310002  # sqrt(2 pi)
_NUMBER = (int, float, bool)


def _math():
    from . import _special_math  # its tables and series coefficients are built on first use, not at import
    return _special_math


def _no_complex(a, kernel):
    """torch's NotImplementedError for a kernel without complex support (a: an array or a dtype)."""
    dt = getattr(a, "dtype", a)
    if dt.kind == "c":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_name(dt)}'")


def _no_low(dt, kernel):
    """torch's NotImplementedError for kernels without float16/bfloat16 (erfcx, ndtri, log_ndtr, zeta)."""
    if dt in _dtype.OPMATH_NP:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_name(dt)}'")


def _in_double(name, kernel, low=True):
    """A forward for `_unary`: the float64 kernel `_special_math.<name>` on an array of any float dtype, rounded
    once to that dtype (torch computes float16/bfloat16 in float32 and rounds once too); low=False: torch has no
    float16/bfloat16 kernel."""
    def fwd(a):
        _no_complex(a, kernel)
        if not low:
            _no_low(a.dtype, kernel)
        r = getattr(_math(), name)(a.astype(_F64, copy=False))
        return as_array(r).astype(a.dtype, copy=False)
    fwd.__name__ = name
    return fwd


def _unary_op(name, kernel, grad_fn, save="input", node=None, namespace="", method=True, inplace_ok=True,
              fwd=None, aliases=(), low=True):
    f = _unary(name, fwd or _in_double(name, kernel, low), grad_fn, save=save)
    if node is not None:
        f.node_cls.__name__ = f.node_cls.__qualname__ = node
    declare(f, f"{name}(Tensor input, *, Tensor out=None)", method=method, inplace=inplace_ok,
            namespace=namespace, aliases=aliases)
    return f


# ---- erf family ----------------------------------------------------------------------------------------------------
erf = _unary_op("erf", "erf_vml_cpu", lambda g, x, r: g * (exp(-(x * x)) * _2_SQRTPI))
erfc = _unary_op("erfc", "erfc_vml_cpu", lambda g, x, r: g * (exp(-(x * x)) * -_2_SQRTPI))
# tools/autograd/derivatives.yaml: 0.5 * sqrt(pi) * exp(erfinv(x)^2) * grad (erfinv(x) is the saved result)
erfinv = _unary_op("erfinv", "erfinv_vml_cpu", lambda g, x, r: g * (exp(r * r) * (0.5 * math.sqrt(math.pi))),
                   save="result")

# ---- gamma family --------------------------------------------------------------------------------------------------
lgamma = _unary_op("lgamma", "lgamma_vml_cpu", lambda g, x, r: g * digamma(x))
digamma = _unary_op("digamma", "digamma", lambda g, x, r: g * polygamma(1, x))


class PolygammaBackward0(Node):
    __slots__ = ("n",)

    def backward(self, grad):
        x, = self.saved_tensors
        return (grad * polygamma(self.n + 1, x),)


class PolygammaBackward1(PolygammaBackward0):
    """x.polygamma_(n): torch's in-place overload has its own node."""

    __slots__ = ()


def polygamma(n, input, *, out=None, _node=PolygammaBackward0):
    if n.__class__ is not int and not isinstance(n, np.integer):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    input = ensure_tensor(input)
    d = input._data
    if d.dtype.kind in "biu":
        d = d.astype(_dtype.get_default_dtype().np)
    _no_complex(d, "digamma" if n == 0 else "trigamma" if n == 1 else "polygamma")
    # torch's trigamma runs in the input's float type (its pole values depend on float's sin(pi x)); zeta (n >= 2)
    # accumulates in double, digamma is rounded once either way
    wide = _dtype.OPMATH_NP.get(d.dtype, d.dtype) if n == 1 else _F64
    with fp_ignore:
        r = wrap(as_array(_math().polygamma(int(n), d.astype(wide, copy=False))).astype(d.dtype, copy=False))
    if state.enabled and input._requires_grad:
        node = record(_node, (input,), r)
        node.saved = (SavedTensor(input),)
        node.n = int(n)
    return _write_out(out, r) if out is not None else r


declare(polygamma, "polygamma(int64_t n, Tensor input, *, Tensor out=None)", method=True,
        inplace=lambda self, n: inplace(self, _polygamma_method, n, name="polygamma_"))


def _polygamma_method(self, n):
    """x.polygamma_(n) computed out of place (the in-place machinery writes it into self)."""
    return polygamma(n, self, _node=PolygammaBackward1)


class MvlgammaBackward0(Node):
    """grad * sum_j digamma(x - j/2), j = 0 .. p-1 (torch's mvlgamma_backward)."""

    __slots__ = ("p",)

    def backward(self, grad):
        x, = self.saved_tensors
        s = None
        for j in range(self.p):
            t = digamma(x - j / 2)
            s = t if s is None else s + t
        return (grad * s,)


def mvlgamma(input, p, *, out=None):
    """log of the multivariate gamma function: sum_j lgamma(x - j/2) + p (p - 1)/4 log(pi) (torch's mvlgamma,
    aten/src/ATen/native/UnaryOps.cpp, which sums lgamma over x + arange((1 - p)/2, 1/2, 1/2))."""
    if p.__class__ is not int and not isinstance(p, np.integer):
        raise TypeError(f"mvlgamma(): argument 'p' (position 2) must be int, not {type(p).__name__}")
    d = input._data
    if d.dtype.kind == "b":
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if d.dtype.kind in "biu":
        d = d.astype(_dtype.get_default_dtype().np)
    _no_complex(d, "lgamma_vml_cpu")
    x = d.astype(_F64, copy=False)
    K = _math()
    with fp_ignore:
        acc = None
        for j in range(p - 1, -1, -1):  # torch's order: args from (1 - p)/2 up to 0, summed over the last dim
            t = K.lgamma(x - j / 2)
            acc = t if acc is None else acc + t
        r = wrap(as_array(acc + p * (p - 1) * math.log(math.pi) / 4).astype(d.dtype, copy=False))
    if state.enabled and input._requires_grad:
        node = record(MvlgammaBackward0, (input,), r)
        node.saved = (SavedTensor(input),)
        node.p = int(p)
    return _write_out(out, r) if out is not None else r


declare(mvlgamma, "mvlgamma(Tensor input, int64_t p, *, Tensor out=None)", method=True, inplace=True)

# ---- Bessel ----------------------------------------------------------------------------------------------------
def _exp_scaled(name, kernel):
    """i0/i1 (exp(|x|) times a series): torch computes float32 (and float16/bfloat16) inputs in float, where
    exp(|x|) overflows to inf beyond |x| = 88.72 although the result would fit: the same infinities here."""
    dbl = _in_double(name, kernel)

    def fwd(a):
        r = dbl(a)
        if a.dtype != _F64:
            xp = _xp(a)
            ax = xp.abs(a.astype(np.float32, copy=False))
            r = xp.where(xp.isinf(xp.exp(ax)) & ~xp.isinf(ax), xp.copysign(math.inf, r), r).astype(a.dtype, copy=False)
        return r
    return fwd


i0 = _unary_op("i0", "i0_vml_cpu", lambda g, x, r: g * special_i1(x), node="I0Backward0",
               fwd=_exp_scaled("i0", "i0_vml_cpu"))


def _sinc_fwd(a):
    """torch's sinc: sin(pi x) / (pi x), 1 at 0 (complex too), in the input's dtype (float16/bfloat16: float)."""
    xp = _xp(a)
    wide = a.astype(_dtype.OPMATH_NP.get(a.dtype, a.dtype), copy=False)
    px = wide * wide.dtype.type(math.pi)
    r = xp.where(wide == 0, 1.0, xp.sin(px) / xp.where(wide == 0, 1.0, px))
    return as_array(r).astype(a.dtype, copy=False)


def _sinc_grad(g, x, r):
    # torch's sinc_backward: grad * (pi x cos(pi x) - sin(pi x)) / (pi x^2) (conjugated), 0 at x = 0
    px = x * math.pi
    sq = x * x * math.pi
    out = g * ((px * cos(px) - sin(px)) / sq).conj()
    return where(sq == 0, 0.0, out)


sinc = _unary_op("sinc", "sinc", _sinc_grad, fwd=_sinc_fwd)

# ---- angles ------------------------------------------------------------------------------------------------------


def _angle_fwd(name, factor):
    def fwd(a):
        if a.dtype.kind == "c":
            raise RuntimeError(f"{name} is not supported for complex tensors.")
        return as_array(a * a.dtype.type(factor))
    return fwd


_D2R = math.pi / 180
deg2rad = _unary_op("deg2rad", None, lambda g, x, r: g * _D2R, save=None, node="Deg2RadBackward0",
                    fwd=_angle_fwd("deg2rad", _D2R))
rad2deg = _unary_op("rad2deg", None, lambda g, x, r: g * (180 / math.pi), save=None, node="Rad2DegBackward0",
                    fwd=_angle_fwd("rad2deg", 180 / math.pi))


# ---- logit ---------------------------------------------------------------------------------------------------------
class LogitBackward0(Node):
    """grad / (x (1 - x)): NaN outside [0, 1], or zero outside [eps, 1 - eps] when eps is given (torch's
    logit_backward)."""

    __slots__ = ("eps",)

    def backward(self, grad):
        x, = self.saved_tensors
        g = grad / (x * (1 - x))
        eps = self.eps
        if eps is None:
            return (where((x < 0) | (x > 1), float("nan"), g),)
        return (where((x < eps) | (x > 1 - eps), 0.0, g),)


def logit(input, eps=None, *, out=None):
    input = ensure_tensor(input)
    d = input._data
    if d.dtype.kind in "biu":
        d = d.astype(_dtype.get_default_dtype().np)
    _no_complex(d, "logit_cpu")
    low = _dtype.OPMATH_NP.get(d.dtype)
    x = d.astype(low) if low is not None else d
    with fp_ignore:
        if eps is not None:
            lo, hi = x.dtype.type(eps), x.dtype.type(1 - eps)
            x = _xp(x).where(x < lo, lo, _xp(x).where(x > hi, hi, x))
        r = wrap(as_array(_xp(x).log(x / (1 - x))).astype(d.dtype, copy=False))
    if state.enabled and input._requires_grad:
        node = record(LogitBackward0, (input,), r)
        node.saved = (SavedTensor(input),)
        node.eps = eps
    return _write_out(out, r) if out is not None else r


declare(logit, "logit(Tensor input, double? eps=None, *, Tensor out=None)", method=True, inplace=True)


# ---- torch.special unary functions -----------------------------------------------------------------------------
def _i0e_grad(g, x, r):
    return g * (special_i1e(x) - x.sgn() * special_i0e(x))  # derivatives.yaml: grad * (i1e(x) - sgn(x) * result)


def _i1_grad(g, x, r):
    # torch's i1_backward: grad * (i0(x) - result / x), 0.5 at |x| <= eps
    _no_low(x._data.dtype, "i1_backward")
    eps = float(np.finfo(np.float32 if x.dtype.itemsize <= 4 else np.float64).eps)
    tiny = x.abs() <= eps
    safe = where(tiny, eps, x)
    return g * where(tiny, 0.5, i0(safe) - special_i1(safe) / safe)


def _i1e_grad(g, x, r):
    # torch's i1e_backward: grad * (i0e(x) - result * (sgn(x) + 1 / x)), 0.5 at |x| <= eps
    _no_low(x._data.dtype, "i1e_backward")
    eps = float(np.finfo(np.float32 if x.dtype.itemsize <= 4 else np.float64).eps)
    tiny = x.abs() <= eps
    safe = where(tiny, eps, x)
    return g * where(tiny, 0.5, special_i0e(safe) - special_i1e(safe) * (safe.sgn() + 1 / safe))


_SP = "special"
special_erfcx = _unary_op("erfcx", "erfcx_cpu", lambda g, x, r: g * (x * special_erfcx(x) * 2.0 - _2_SQRTPI),
                          node="SpecialErfcxBackward0", namespace=_SP, method=False, inplace_ok=None, low=False)
special_i0e = _unary_op("i0e", "i0e_cpu", _i0e_grad, node="SpecialI0EBackward0", namespace=_SP,
                        method=False, inplace_ok=None)
special_i1 = _unary_op("i1", "i1_cpu", _i1_grad, fwd=_exp_scaled("i1", "i1_cpu"), node="SpecialI1Backward0", namespace=_SP,
                       method=False, inplace_ok=None)
special_i1e = _unary_op("i1e", "i1e_cpu", _i1e_grad, node="SpecialI1EBackward0", namespace=_SP,
                        method=False, inplace_ok=None)
special_ndtri = _unary_op("ndtri", "ndtri_cpu", lambda g, x, r: g * (exp(r * r / 2) * _SQRT_2PI), save="result",
                          node="SpecialNdtriBackward0", namespace=_SP, method=False, inplace_ok=None, low=False)
special_log_ndtr = _unary_op("log_ndtr", "log_ndtr_cpu",
                             lambda g, x, r: g * (exp(-(special_log_ndtr(x) + x * x / 2)) / _SQRT_2PI),
                             node="SpecialLogNdtrBackward0", namespace=_SP, method=False, inplace_ok=None,
                             low=False)


def _entr_fwd(a):
    _no_complex(a, "entr_cpu")
    xp = _xp(a)
    x = a.astype(_F64, copy=False)
    r = xp.where(x > 0, -x * xp.log(xp.where(x > 0, x, 1.0)), xp.where(x == 0, 0.0, -math.inf))
    return as_array(xp.where(xp.isnan(x), x, r)).astype(a.dtype, copy=False)


special_entr = _unary_op("entr", None, lambda g, x, r: g * -(log(x) + 1), node="SpecialEntrBackward0",
                         namespace=_SP, method=False, inplace_ok=None, fwd=_entr_fwd)


def special_ndtr(input, *, out=None):
    """(1 + erf(x / sqrt(2))) * 0.5, composed as torch's special_ndtr (aten/src/ATen/native/UnaryOps.cpp), so its
    grad_fn is the final product's MulBackward1."""
    input = ensure_tensor(input)
    r = ew.mul_scalar(erf(ew.mul_scalar(input, 0.70710678118654752440)) + 1, 0.5)
    return _write_out(out, r) if out is not None else r


declare(special_ndtr, "ndtr(Tensor input, *, Tensor out=None)", namespace=_SP)


# ---- binary ops ---------------------------------------------------------------------------------------------------
def _operands(name, input, other):
    """(input, other) as Tensors or Python numbers (one of them a Tensor), with torch's TypeError otherwise."""
    input = input.item() if isinstance(input, np.generic) else input
    other = other.item() if isinstance(other, np.generic) else other
    for pos, (what, x) in enumerate((("input", input), ("other", other)), start=1):
        if not isinstance(x, Tensor) and x.__class__ not in _NUMBER:
            raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be Tensor, not {type(x).__name__}")
    return input, other


def _binary_arrays(name, input, other, dt):
    """The two operands as arrays (or Python scalars) of dtype dt on one device, checked to broadcast."""
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    if is_array(a) and is_array(b):
        if a.__class__ is not b.__class__:
            a, b = same_device(a, b)
        if not ew._broadcastable(a.shape, b.shape):
            raise broadcast_error(name, a.shape, b.shape)
    a = a.astype(dt, copy=False) if is_array(a) else dt.type(a)
    b = b.astype(dt, copy=False) if is_array(b) else dt.type(b)
    return a, b


def _result_dtype(input, other, promote_int):
    if isinstance(input, Tensor):
        dt = binary_dtype(input, other)
    else:
        dt = _dtype.result_dtype_of((input, other)).np
    if promote_int and dt.kind in "biu":
        dt = _dtype.get_default_dtype().np
    return dt


class _BinaryBackward(Node):
    """A binary op's node: `_grads(self, grad, a, b, result)` in tensor ops; a, b are the saved operands (a
    Python number for a Scalar operand, whose node is the op's Backward1 / Backward2 as torch names them)."""

    __slots__ = ("consts", "_name")

    def name(self):
        return self._name

    def backward(self, grad):
        saved = self.saved_tensors
        it = iter(saved)
        a, b = (next(it) if c is None else c for c in self.consts)
        r = next(it, None)
        ga, gb = self._grads(grad, a, b, r)
        edges = self.next_edges
        if len(edges) == 1:
            return (ga if isinstance(self.consts[1], (int, float, bool)) else gb,)
        return (ga if edges[0] is not None else None), (gb if edges[1] is not None else None)


def _binary(name, kernel_name, fwd, grads=None, promote_int=True, save_result=False, node=None, scalar_ok=(1, 2),
            low_in_float=True, out_dtype=None, suffixes="012"):
    """Define a binary op: fwd(a, b) on arrays of the computation dtype (floats in float64 when low_in_float, else
    in their own dtype); grads(grad, a, b, result) -> (grad a, grad b) in tensor ops.
    scalar_ok: which operand may be a Python number (1: input, 2: other), as torch's overloads allow; suffixes: the
    node name's number for (tensor, tensor), (Scalar, tensor) and (tensor, Scalar), as torch numbers overloads."""
    cls = type(node or (name[0].upper() + name[1:] + "Backward"), (_BinaryBackward,),
               {"__slots__": (), "_grads": staticmethod(grads) if grads else None})

    def op(input, other, *, out=None):
        input, other = _operands(name, input, other)
        it, ot = isinstance(input, Tensor), isinstance(other, Tensor)
        if not it and not ot or not it and 1 not in scalar_ok or not ot and 2 not in scalar_ok:
            which, x, pos = ("other", other, 2) if not ot else ("input", input, 1)
            raise TypeError(f"{name}(): argument '{which}' (position {pos}) must be Tensor, not {type(x).__name__}")
        dt = _result_dtype(input, other, promote_int)
        fwd_dt = dt
        # floats computed in double and rounded once (torch's float kernels are correctly rounded where NumPy's
        # float32 ones may be an ulp off); low_in_float=False: in the result dtype itself (nextafter)
        wide = _F64 if low_in_float and (dt.kind == "f" or dt.kind == "V") else dt
        a, b = _binary_arrays(name, input, other, wide)
        if isinstance(out, Tensor) and _dtype.from_np[dt].category > _dtype.from_np[out._data.dtype].category:
            # TensorIterator's order: shapes, then the cast to out=, then the kernel's dtype
            raise RuntimeError(f"result type {_torch_name(dt)} can't be cast to the desired output type "
                               f"{_torch_name(out._data.dtype)}")
        with fp_ignore:
            r = fwd(a, b, dt)
        r = wrap(as_array(r).astype(out_dtype or fwd_dt, copy=False))
        if state.enabled and (getattr(input, "_requires_grad", False) or getattr(other, "_requires_grad", False)):
            tensors = tuple(x for x in (input, other) if isinstance(x, Tensor))
            n = record(cls, tensors, r)
            n.consts = (None if it else input, None if ot else other)
            n.saved = tuple(SavedTensor(x) for x in tensors) + ((SavedTensor(r, True),) if save_result else ())
            base = node or (name[0].upper() + name[1:] + "Backward")
            n._name = base + suffixes[0 if it and ot else 1 if ot else 2]
        return _write_out(out, r) if out is not None else r
    op.__name__ = name
    return op


def _kernel_check(kernel_name, kinds):
    def check(dt):
        if dt.kind not in kinds and not (dt.kind == "V" and "f" in kinds) or dt in _dtype.BAREBONES_UNSIGNED_NP:
            raise NotImplementedError(f"\"{kernel_name}\" not implemented for '{_torch_name(dt)}'")
    return check


def _float_kernel(kernel_name, f):
    """fwd for a float-only op: torch's NotImplementedError for integer/bool/complex result dtypes."""
    check = _kernel_check(kernel_name, "f")

    def fwd(a, b, dt):
        check(dt)
        return f(a, b)
    return fwd


def _xlogy_fwd(kernel, f):
    """torch's xlogy/xlog1py kernels: NaN where y is NaN, else 0 where x == 0, else x * f(y)."""
    def fwd(a, b, dt):
        _no_complex(dt, kernel)
        xp = _xp(a) if is_array(a) else _xp(b)
        return xp.where(xp.isnan(b), math.nan, xp.where(a == 0, 0.0, a * f(b)))
    return fwd


def _xlogy_self_grad(f, g, a, b, pole):
    """torch's derivatives.yaml for xlogy/special_xlog1py's self: f(grad, other) (in grad's dtype: a float64
    gradient takes the log in float64, and it is defined at self == 0), 0 where self == 0 and other <= pole (there
    the forward is 0 whatever self's neighbourhood gives); for a Scalar other, masked only if other <= pole."""
    ga = f(g, b)
    if isinstance(b, Tensor):
        return ga.masked_fill((a == 0) & (b <= pole), 0)
    return ga if b > pole else ga.masked_fill(a == 0, 0)


def _xlogy_grads(g, a, b, r):
    ga = _xlogy_self_grad(xlogy, g, a, b, 0) if isinstance(a, Tensor) else None
    gb = g * a / b if isinstance(b, Tensor) else None
    return ga, gb


def _xlog1py_grads(g, a, b, r):
    ga = _xlogy_self_grad(special_xlog1py, g, a, b, -1) if isinstance(a, Tensor) else None
    gb = g * a / (b + 1) if isinstance(b, Tensor) else None
    return ga, gb


xlogy = _binary("xlogy", "xlogy_cpu", _xlogy_fwd("xlogy_cpu", lambda b: np.log(b)), _xlogy_grads)
declare(xlogy, "xlogy(Tensor input, Tensor other, *, Tensor out=None)", "xlogy(Scalar self, Tensor other, *, Tensor out=None)",
        "xlogy(Tensor input, Scalar other, *, Tensor out=None)", method=True, inplace=True)
declare(xlogy, "xlogy(Tensor input, Tensor other, *, Tensor out=None)", "xlogy(Scalar self, Tensor other, *, Tensor out=None)",
        "xlogy(Tensor input, Scalar other, *, Tensor out=None)", namespace=_SP)


special_xlog1py = _binary("xlog1py", "xlog1py_cpu", _xlogy_fwd("xlog1py_cpu", lambda b: np.log1p(b)), _xlog1py_grads,
                          node="SpecialXlog1PyBackward")
declare(special_xlog1py, "xlog1py(Tensor input, Tensor other, *, Tensor out=None)",
        "xlog1py(Scalar self, Tensor other, *, Tensor out=None)", "xlog1py(Tensor input, Scalar other, *, Tensor out=None)",
        namespace=_SP)


def _zeta_grads(g, a, b, r):
    if isinstance(a, Tensor) and a.requires_grad:
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")
    return None, g * -a * special_zeta(a + 1.0, b) if isinstance(b, Tensor) else None


def _zeta_fwd(a, b, dt):
    _kernel_check("zeta_cpu", "f")(dt)
    _no_low(dt, "zeta_cpu")
    xp = _xp(a) if is_array(a) else _xp(b)
    aa = a.astype(_F64) if is_array(a) else None
    bb = b.astype(_F64) if is_array(b) else None
    if aa is None:
        aa = xp.full_like(bb, float(a))
    if bb is None:
        bb = xp.full_like(aa, float(b))
    return _math().zeta(aa, bb)


special_zeta = _binary("zeta", "zeta_cpu", _zeta_fwd, _zeta_grads, node="SpecialZetaBackward", low_in_float=False)
declare(special_zeta, "zeta(Tensor input, Tensor other, *, Tensor out=None)", "zeta(Scalar self, Tensor other, *, Tensor out=None)",
        "zeta(Tensor input, Scalar other, *, Tensor out=None)", namespace=_SP)


def _atan2_grads(g, a, b, r):
    # torch's atan2_backward (tools/autograd/FunctionsManual.cpp): 0 where self**2 + other**2 is 0 (at the origin,
    # or underflowed), not 0 * inf = NaN
    recip = (a * a + b * b).reciprocal()
    recip = recip.masked_fill(recip.isinf(), 0)
    return g * b * recip, g * -a * recip


atan2 = _binary("atan2", "atan2_cpu", lambda a, b, dt: (_no_complex(dt, "atan2_cpu"), np.arctan2(a, b))[1],
                _atan2_grads, scalar_ok=())
declare(atan2, "atan2(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True, aliases=("arctan2",))

hypot = _binary("hypot", "hypot_cpu", _float_kernel("hypot_cpu", np.hypot), lambda g, a, b, r: (g * a / r, g * b / r),
                promote_int=False, save_result=True, scalar_ok=())
declare(hypot, "hypot(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True)


def _copysign_grads(g, a, b, r):
    # torch's copysign_tensor_self_backward: grad * result / self, 0 where self == 0; other: zeros
    ratio = (r / a).masked_fill(a == 0, 0)
    return g * ratio, (_zeros(g) if isinstance(b, Tensor) else None)


def _zeros(g):
    return wrap(_xp(g._data).zeros_like(g._data))


copysign = _binary("copysign", "copysign_cpu",
                   lambda a, b, dt: (_no_complex(dt, "copysign_cpu"), np.copysign(a, b))[1], _copysign_grads,
                   save_result=True, scalar_ok=(2,), suffixes="0-1")
declare(copysign, "copysign(Tensor input, Tensor other, *, Tensor out=None)",
        "copysign(Tensor input, Scalar other, *, Tensor out=None)", method=True, inplace=True)


def _nextafter_grads(g, a, b, r):
    # as torch: the gradient passes to input where input != other (0 where they are equal: nextafter is then
    # constant), none to other
    return where(a == b, 0.0, g), _zeros(g)


nextafter = _binary("nextafter", "nextafter_cpu", _float_kernel("nextafter_cpu", np.nextafter), _nextafter_grads,
                    promote_int=False, low_in_float=False, scalar_ok=())
declare(nextafter, "nextafter(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True)


def _logaddexp_grads(g, a, b, r):
    da, db = exp(b - a) + 1, exp(a - b) + 1
    if da.is_complex():  # derivatives.yaml: grad / (1 + exp(other - self)).conj()
        da, db = da.conj(), db.conj()
    return g / da, g / db


def _logaddexp_fwd(a, b, dt):
    if dt.kind == "c":  # torch's complex kernel, in the operands' own dtype as torch's (BinaryOpsKernel.cpp)
        return _math().log_add_exp_complex(a, b)
    return _logaddexp_real(a, b, dt)


_logaddexp_real = _float_kernel("logaddexp_cpu", np.logaddexp)


def _logaddexp2_grads(g, a, b, r):
    return g / (ew.pow(2, b - a) + 1), g / (ew.pow(2, a - b) + 1)


logaddexp = _binary("logaddexp", "logaddexp_cpu", _logaddexp_fwd, _logaddexp_grads,
                    promote_int=False, scalar_ok=())
declare(logaddexp, "logaddexp(Tensor input, Tensor other, *, Tensor out=None)", method=True)
logaddexp2 = _binary("logaddexp2", "logaddexp2_cpu", _float_kernel("logaddexp2_cpu", np.logaddexp2),
                     _logaddexp2_grads, promote_int=False, scalar_ok=(), node="Logaddexp2Backward")
declare(logaddexp2, "logaddexp2(Tensor input, Tensor other, *, Tensor out=None)", method=True)


def _int_kernel(kernel_name, f):
    check = _kernel_check(kernel_name, "iu")

    def fwd(a, b, dt):
        check(dt)
        return f(a, b)
    return fwd


def _lcm(a, b):
    # torch: g = gcd(a, b); g == 0 ? 0 : |a / g * b| (wrapping as C++ integers do)
    g = np.gcd(a, b)
    safe = np.where(g == 0, 1, g)
    return np.where(g == 0, 0, np.abs(a // safe * b))


gcd = _binary("gcd", "gcd_cpu", _int_kernel("gcd_cpu", np.gcd), None, promote_int=False, scalar_ok=())
declare(gcd, "gcd(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True)
lcm = _binary("lcm", "lcm_cpu", _int_kernel("lcm_cpu", _lcm), None, promote_int=False, scalar_ok=())
declare(lcm, "lcm(Tensor input, Tensor other, *, Tensor out=None)", method=True, inplace=True)


def heaviside(input, values, *, out=None, _op="heaviside"):
    """input == 0 ? values : (input > 0); torch refuses operands of different dtypes and records the op with a
    NotImplemented node (its derivative is not implemented)."""
    _uint_check(input, "heaviside_cpu")
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    a, v = input._data, values._data
    if a.dtype != v.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    _no_complex(a, "heaviside_cpu")
    if a.__class__ is not v.__class__:
        a, v = same_device(a, v)
    if not ew._broadcastable(a.shape, v.shape):
        raise broadcast_error("heaviside", a.shape, v.shape)
    xp = _xp(a)
    r = wrap(as_array(xp.where(a == 0, v, (a > 0).astype(a.dtype))).astype(a.dtype, copy=False))
    if state.enabled and (input._requires_grad or values._requires_grad):
        record(ew.NotImplementedBackward, (input, values), r).op = _op
    return _write_out(out, r) if out is not None else r


declare(heaviside, "heaviside(Tensor input, Tensor values, *, Tensor out=None)", method=True,
        inplace=lambda self, values: inplace(self, _heaviside_inplace, values, name="heaviside_"))


def _heaviside_inplace(self, values):
    return heaviside(self, values, _op="heaviside_")  # torch: "derivative for aten::heaviside_ is not implemented"


# ---- comparisons -----------------------------------------------------------------------------------------------
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol |other| (with equal infinities equal, NaN equal only under equal_nan), as
    torch's isclose (aten/src/ATen/native/TensorCompare.cpp), which refuses operands of different dtypes."""
    if not isinstance(other, Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_dtype.from_np[a.dtype].scalar_name} did not match {_dtype.from_np[b.dtype].scalar_name}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {_num(rtol)}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {_num(atol)}")
    if a.__class__ is not b.__class__:
        a, b = same_device(a, b)
    if not ew._broadcastable(a.shape, b.shape):
        raise broadcast_error("isclose", a.shape, b.shape)
    xp = _xp(a)
    with fp_ignore:
        eq = a == b
        if equal_nan:
            eq = eq | (xp.isnan(a) & xp.isnan(b))
        if rtol == 0 and atol == 0:
            return wrap(as_array(eq))
        if a.dtype.kind == "b":  # torch casts bool operands to the default dtype
            a, b = (x.astype(_dtype.get_default_dtype().np) for x in (a, b))
        low = _dtype.OPMATH_NP.get(a.dtype)
        fa = a.astype(low) if low is not None else a.astype(_F64) if a.dtype.kind in "iu" else a
        fb = b.astype(low) if low is not None else b.astype(_F64) if b.dtype.kind in "iu" else b
        diff = xp.abs(fa - fb)
        close = eq | (xp.isfinite(diff) & (diff <= atol + rtol * xp.abs(fb)))
    return wrap(as_array(close))


def _num(v):
    return int(v) if float(v).is_integer() else v


declare(isclose, "isclose(Tensor input, Tensor other, double rtol=1e-05, double atol=1e-08, bool equal_nan=False)",
        method=True)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


declare(allclose, "allclose(Tensor input, Tensor other, double rtol=1e-05, double atol=1e-08, bool equal_nan=False)",
        method=True)


def positive(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


declare(positive, "positive(Tensor input)", method=True)


def signbit(input, *, out=None):
    d = input._data
    if d.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    if isinstance(out, Tensor) and out._data.dtype.kind != "b":
        raise RuntimeError("signbit does not support non-boolean outputs.")
    xp = _xp(d)
    if d.dtype.kind == "b" or d.dtype.kind == "u":
        r = xp.zeros_like(d, dtype=bool)
    elif d.dtype.kind == "i":
        r = d < 0
    else:
        r = xp.signbit(d.astype(np.float32) if d.dtype.kind == "V" else d)
    r = wrap(as_array(r))
    return _write_out(out, r) if out is not None else r


declare(signbit, "signbit(Tensor input, *, Tensor out=None)", method=True)


def isreal(input):
    d = input._data
    if d.dtype.kind != "c":
        xp = _xp(d)
        return wrap(xp.ones_like(d, dtype=bool))
    return wrap(as_array(d.imag == 0))


declare(isreal, "isreal(Tensor input)", method=True)


# ---- bit shifts ----------------------------------------------------------------------------------------------------
def _shift_fwd(left):
    kernel = "lshift_cpu" if left else "rshift_cpu"
    check = _kernel_check(kernel, "iu")

    def fwd(a, b, dt):
        check(dt)
        # torch (aten/src/ATen/native/cpu/BinaryOpsKernel.cpp): a shift by a negative amount or by the type's width
        # or more gives 0 to the left, and the sign (0 or -1) to the right; NumPy leaves those to the CPU
        bits = dt.itemsize * 8
        xp = _xp(a) if is_array(a) else _xp(b)
        bad = (b < 0) | (b >= bits)
        safe = xp.where(bad, 0, b).astype(dt, copy=False) if is_array(b) else (0 if bad else b)
        if left:
            r = xp.left_shift(a, safe)
            return xp.where(bad, 0, r).astype(dt, copy=False)
        r = xp.right_shift(a, safe)
        sign = xp.where(a < 0, -1, 0) if dt.kind == "i" else 0
        return xp.where(bad, sign, r).astype(dt, copy=False)
    return fwd


bitwise_left_shift = _binary("bitwise_left_shift", "lshift_cpu", _shift_fwd(True), None, promote_int=False,
                             scalar_ok=(1, 2), low_in_float=False)
declare(bitwise_left_shift, "bitwise_left_shift(Tensor input, Tensor other, *, Tensor out=None)",
        "bitwise_left_shift(Tensor input, Scalar other, *, Tensor out=None)",
        "bitwise_left_shift(Scalar self, Tensor other)", method=True, inplace=True)
bitwise_right_shift = _binary("bitwise_right_shift", "rshift_cpu", _shift_fwd(False), None, promote_int=False,
                              scalar_ok=(1, 2), low_in_float=False)
declare(bitwise_right_shift, "bitwise_right_shift(Tensor input, Tensor other, *, Tensor out=None)",
        "bitwise_right_shift(Tensor input, Scalar other, *, Tensor out=None)",
        "bitwise_right_shift(Scalar self, Tensor other)", method=True, inplace=True)


# ---- ember.special: aliases of ops declared elsewhere ------------------------------------------------------------
def _special_round(input, *, decimals=0, out=None):
    """torch.special.round always passes decimals (so its node is RoundBackward1)."""
    return ew.round(input, decimals=decimals, out=out)


def _special_aliases():
    from . import nn_ops, reduction
    for name, fn, sigs in (
            ("expit", ew.sigmoid, ("expit(Tensor input, *, Tensor out=None)",)),
            ("logit", logit, ("logit(Tensor input, double? eps=None, *, Tensor out=None)",)),
            ("erf", erf, ("erf(Tensor input, *, Tensor out=None)",)),
            ("erfc", erfc, ("erfc(Tensor input, *, Tensor out=None)",)),
            ("erfinv", erfinv, ("erfinv(Tensor input, *, Tensor out=None)",)),
            ("gammaln", lgamma, ("gammaln(Tensor input, *, Tensor out=None)",)),
            ("digamma", digamma, ("digamma(Tensor input, *, Tensor out=None)",)),
            ("psi", digamma, ("psi(Tensor input, *, Tensor out=None)",)),
            ("polygamma", polygamma, ("polygamma(int64_t n, Tensor input, *, Tensor out=None)",)),
            ("multigammaln", mvlgamma, ("multigammaln(Tensor input, int64_t p, *, Tensor out=None)",)),
            ("i0", i0, ("i0(Tensor input, *, Tensor out=None)",)),
            ("sinc", sinc, ("sinc(Tensor input, *, Tensor out=None)",)),
            ("exp2", ew.exp2, ("exp2(Tensor input, *, Tensor out=None)",)),
            ("expm1", ew.expm1, ("expm1(Tensor input, *, Tensor out=None)",)),
            ("log1p", ew.log1p, ("log1p(Tensor input, *, Tensor out=None)",)),
            ("round", _special_round, ("round(Tensor input, *, int64_t decimals=0, Tensor out=None)",)),
            ("softmax", nn_ops.softmax, ("softmax(Tensor input, int64_t dim, ScalarType? dtype=None)",)),
            ("log_softmax", nn_ops.log_softmax, ("log_softmax(Tensor input, int64_t dim, ScalarType? dtype=None)",)),
            ("logsumexp", reduction.logsumexp,
             ("logsumexp(Tensor input, IntArrayRef[1] dim, bool keepdim=False, *, Tensor out=None)",))):
        declare(fn, *sigs, namespace=_SP, name=name)


_special_aliases()
